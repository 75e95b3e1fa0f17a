"""Provenance of a results folder: code version, packages, host, time, spec hash.

Every results folder carries a manifest that is enough to reproduce it
(README.md, Reproducibility). This module gathers the facts that the
manifest needs and that do not come from the spec itself. It never fails:
outside a git checkout, or without git installed, the commit is ``"unknown"``
rather than an error, because a missing version control system must not stop
a sweep that has already been paid for.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import importlib.metadata
import json
import math
import os
import platform
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PACKAGES: tuple[str, ...] = (
    "sixerrors",
    "mesa",
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "SALib",
    "networkx",
)
"""Distributions whose versions go into every manifest."""

UNKNOWN = "unknown"


def now_iso() -> str:
    """Return the current local time as an ISO 8601 string with its UTC offset.

    The offset is kept so that start and end times stay comparable when a
    sweep is resumed on a machine in another time zone.
    """
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def git_state(path: str | Path | None = None) -> dict[str, Any]:
    """Return the git commit and dirty flag of the checkout holding ``path``.

    Args:
        path: A file or folder inside the checkout; defaults to this package.

    Returns:
        ``{"commit": sha or "unknown", "dirty": bool or "unknown"}``. A tree
        with no commit yet, no git, or no checkout all give ``"unknown"``:
        the manifest says honestly what is not known instead of failing.
    """
    where = Path(path) if path is not None else Path(__file__).resolve().parent
    if where.is_file():
        where = where.parent
    commit: str = UNKNOWN
    dirty: bool | str = UNKNOWN
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if out.returncode == 0 and out.stdout.strip():
            commit = out.stdout.strip()
            status = subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=where,
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            )
            if status.returncode == 0:
                dirty = bool(status.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return {"commit": commit, "dirty": dirty}


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Return the installed version of each distribution, ``"unknown"`` if absent."""
    versions: dict[str, str] = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = UNKNOWN
    return versions


def host_info() -> dict[str, Any]:
    """Return the host name, platform, CPU count and Python version."""
    return {
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
    }


def to_jsonable(obj: Any) -> Any:  # noqa: PLR0911 - one return per kind
    """Convert ``obj`` into plain JSON data (dicts, lists, str, numbers, bool, None).

    Dataclasses, mappings, tuples, sets, paths and numpy scalars all appear
    in specs; converting them one way, here, is what makes the spec hash
    stable. Non-finite floats become strings because JSON has no NaN.
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, set | frozenset):
        return sorted((to_jsonable(v) for v in obj), key=repr)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else repr(obj)
    item = getattr(obj, "item", None)  # numpy scalars
    if callable(item):
        return to_jsonable(item())
    return repr(obj)


def stable_json(obj: Any) -> str:
    """Serialize ``obj`` to canonical JSON: sorted keys, no spaces, ASCII."""
    return json.dumps(to_jsonable(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def spec_hash(spec: Any) -> str:
    """Return the SHA-256 of the canonical JSON of ``spec`` (hex digest).

    Resume compares this hash with the one in the manifest, so that a
    folder is never completed with tasks from a different spec.
    """
    return hashlib.sha256(stable_json(spec).encode("ascii")).hexdigest()


def provenance(*, executor: str = UNKNOWN) -> dict[str, Any]:
    """Return the environment part of a manifest (code, packages, host, executor)."""
    return {
        "git": git_state(),
        "packages": package_versions(),
        "host": host_info(),
        "executor": executor,
    }
