"""The results store: one folder per experiment, written so that nothing is lost.

Layout of ``results/<name>-<YYYYmmdd-HHMMSS>/``::

    manifest.json            resolved spec, its hash, root seed, provenance, start/end
    parts/<batch>.parquet    result rows of one finished batch
    runs/<batch>.parquet     run-table rows of the same batch (the commit record)
    summaries/<name>.parquet and .csv
    figures/<name>.png

Why two files per batch: the result rows of a batch are written first and
its run-table rows second, each to a temporary name and then moved into place
with :func:`os.replace`, which is atomic on POSIX. A batch counts as done only
once its run-table file exists. A process killed with SIGKILL can therefore
leave at most a results part without its run record (an orphan); orphans are
ignored when reading and deleted when the folder is opened for resume, so a
resumed experiment never holds a task twice. Temporary files from a killed
writer are removed on resume as well.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.provenance import now_iso, to_jsonable

MANIFEST = "manifest.json"
PARTS = "parts"
RUNS = "runs"
SUMMARIES = "summaries"
FIGURES = "figures"
_TMP_PREFIX = ".tmp-"

RUN_COLUMNS: tuple[str, ...] = (
    "task_id", "point", "replicate", "status", "error", "worker", "seconds", "finished", "batch",
)
"""Columns of the run table, in order."""


class StoreError(RuntimeError):
    """A results folder that cannot be created, opened or resumed (one-line message)."""


@dataclass(frozen=True)
class RunRecord:
    """One row of the run table: what happened to one task.

    Attributes:
        task_id: The task's identity within the experiment.
        point: Design point index.
        replicate: Replicate index at that point.
        status: ``"done"`` or ``"failed"``.
        error: ``"ExceptionType: message"`` for a failed task, else ``""``.
        worker: ``host:pid`` of the process that ran it.
        seconds: Wall time of the task itself, measured on the worker.
        finished: ISO time at which the task ended.
    """

    task_id: int
    point: int
    replicate: int
    status: str
    error: str
    worker: str
    seconds: float
    finished: str


def _atomic_write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` so that readers see either nothing or all of it."""
    tmp = path.with_name(f"{_TMP_PREFIX}{path.name}.{os.getpid()}")
    frame.to_parquet(tmp, index=False)
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _atomic_write_text(text: str, path: Path) -> None:
    tmp = path.with_name(f"{_TMP_PREFIX}{path.name}.{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class ResultsStore:
    """A results folder: manifest, atomic Parquet parts, run table, summaries.

    Create one with :meth:`create` (a new folder, never an existing one) or
    :meth:`open` (an existing folder, to resume or to read).
    """

    def __init__(self, folder: Path) -> None:
        """Wrap an existing folder; use :meth:`create` or :meth:`open` instead."""
        self.folder = folder

    # ------------------------------------------------------------ creation
    @classmethod
    def create(
        cls, root: str | Path, name: str, manifest: Mapping[str, Any],
        *, timestamp: _dt.datetime | None = None,
    ) -> ResultsStore:
        """Make ``root/<name>-<YYYYmmdd-HHMMSS>`` and write its manifest.

        Never overwrites: if the folder exists (two runs in the same second),
        ``-2``, ``-3`` ... is appended. :func:`os.mkdir` without ``exist_ok``
        makes the claim atomic even between concurrent processes.

        Args:
            root: Parent folder (created if missing).
            name: Experiment name; path separators are replaced.
            manifest: JSON-able facts (spec, hash, seed, provenance); a
                ``started`` time is added unless given.
            timestamp: Time used in the folder name (tests); default now.
        """
        root = Path(root)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "experiment"
        stamp = (timestamp or _dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create results root {root}: {exc.strerror}; choose another --out"
            ) from exc
        folder = root / f"{safe}-{stamp}"
        suffix = 1
        while True:
            try:
                folder.mkdir()
                break
            except FileExistsError:
                suffix += 1
                folder = root / f"{safe}-{stamp}-{suffix}"
        for sub in (PARTS, RUNS, SUMMARIES, FIGURES):
            (folder / sub).mkdir()
        store = cls(folder)
        data = dict(to_jsonable(dict(manifest)))
        data.setdefault("name", name)
        data.setdefault("started", now_iso())
        data.setdefault("finished", None)
        store.write_manifest(data)
        return store

    @classmethod
    def open(cls, folder: str | Path, *, clean: bool = True) -> ResultsStore:
        """Open an existing results folder, e.g. for ``--resume``.

        Args:
            folder: The folder made by :meth:`create`.
            clean: Remove leftovers of a killed writer (temporary files and
                result parts without a run record) so the resumed run can
                redo those tasks without duplicating rows.

        Raises:
            StoreError: The folder is missing or has no manifest.
        """
        folder = Path(folder)
        if not (folder / MANIFEST).is_file():
            raise StoreError(
                f"{folder} is not a results folder (no {MANIFEST}); "
                "pass the folder printed when the experiment started"
            )
        for sub in (PARTS, RUNS, SUMMARIES, FIGURES):
            (folder / sub).mkdir(exist_ok=True)
        store = cls(folder)
        if clean:
            store._clean()
        return store

    def _clean(self) -> None:
        for sub in (PARTS, RUNS, SUMMARIES, FIGURES, "."):
            for tmp in (self.folder / sub).glob(f"{_TMP_PREFIX}*"):
                tmp.unlink(missing_ok=True)
        committed = {p.stem for p in (self.folder / RUNS).glob("*.parquet")}
        for part in (self.folder / PARTS).glob("*.parquet"):
            if part.stem not in committed:
                part.unlink(missing_ok=True)

    # ------------------------------------------------------------ manifest
    @property
    def manifest(self) -> dict[str, Any]:
        """The manifest as stored on disk."""
        data: dict[str, Any] = json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))
        return data

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        """Replace the manifest atomically (pretty JSON, sorted keys)."""
        text = json.dumps(to_jsonable(dict(manifest)), indent=2, sort_keys=True) + "\n"
        _atomic_write_text(text, self.folder / MANIFEST)

    def update_manifest(self, **fields: Any) -> None:
        """Set top-level manifest fields, keeping the others."""
        data = self.manifest
        data.update(to_jsonable(fields))
        self.write_manifest(data)

    def mark_started(self, **fields: Any) -> None:
        """Record a (re)start: appends to ``sessions`` with time and fields.

        ``started`` stays the first start; each resume adds a session so the
        manifest tells how the folder came to be.
        """
        data = self.manifest
        sessions = list(data.get("sessions", []))
        sessions.append(to_jsonable({"started": now_iso(), **fields}))
        data["sessions"] = sessions
        data["finished"] = None
        self.write_manifest(data)

    def mark_finished(self, **fields: Any) -> None:
        """Record the end time (and e.g. counts of done and failed tasks)."""
        data = self.manifest
        end = now_iso()
        data["finished"] = end
        if data.get("sessions"):
            data["sessions"][-1]["finished"] = end
        data.update(to_jsonable(fields))
        self.write_manifest(data)

    # ------------------------------------------------------------ parts
    def new_batch_id(self) -> str:
        """Return a batch name unique across workers, sessions and hosts."""
        return f"{_dt.datetime.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:12]}"

    def write_part(
        self, rows: pd.DataFrame | None, records: Sequence[RunRecord], *, batch: str | None = None,
    ) -> str:
        """Commit one finished batch: its result rows, then its run records.

        Args:
            rows: Result rows of the batch's successful tasks (may be empty or
                ``None`` when every task failed).
            records: One :class:`RunRecord` per task of the batch.
            batch: Name of the batch; a fresh unique one by default.

        Returns:
            The batch name.
        """
        batch = batch or self.new_batch_id()
        if rows is not None and len(rows):
            _atomic_write_parquet(rows, self.folder / PARTS / f"{batch}.parquet")
        table = pd.DataFrame([asdict(r) for r in records], columns=list(RUN_COLUMNS[:-1]))
        table["batch"] = batch
        table = table.astype({"task_id": "int64", "point": "int64", "replicate": "int64",
                              "seconds": "float64"})
        _atomic_write_parquet(table, self.folder / RUNS / f"{batch}.parquet")
        return batch

    def run_table(self, *, latest: bool = True) -> pd.DataFrame:
        """Return the run table of every committed batch.

        Args:
            latest: Keep one row per task: ``done`` if the task ever
                succeeded, else its latest failure. With ``False``, every
                attempt (a failed task retried on resume shows twice).
        """
        files = sorted((self.folder / RUNS).glob("*.parquet"))
        if not files:
            return pd.DataFrame({c: pd.Series(dtype=_RUN_DTYPES[c]) for c in RUN_COLUMNS})
        table = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
        if latest and len(table):
            table["_done"] = table["status"].eq("done")
            table = table.sort_values(["task_id", "_done", "finished"], kind="mergesort")
            table = table.drop_duplicates("task_id", keep="last").drop(columns="_done")
        return table.sort_values("task_id", kind="mergesort").reset_index(drop=True)

    def done_task_ids(self) -> set[int]:
        """Return the ids of tasks that finished successfully (skipped on resume)."""
        table = self.run_table(latest=False)
        return set(table.loc[table["status"] == "done", "task_id"].astype(int).tolist())

    def read_results(self, columns: Iterable[str] | None = None) -> pd.DataFrame:
        """Return the result rows of every committed batch as one DataFrame.

        Rows are ordered by ``task_id`` and, within a task, as the task
        function returned them, so the frame does not depend on which worker
        finished first, how tasks were batched, or whether the run was
        resumed. Orphan parts (no run record) are left out.
        """
        committed = {p.stem for p in (self.folder / RUNS).glob("*.parquet")}
        files = sorted(p for p in (self.folder / PARTS).glob("*.parquet") if p.stem in committed)
        cols = list(columns) if columns is not None else None
        frames = [pd.read_parquet(f, columns=cols) for f in files]
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame()
        data = pd.concat(frames, ignore_index=True)
        if "task_id" in data.columns:
            data = data.sort_values("task_id", kind="mergesort").reset_index(drop=True)
        return data

    # ------------------------------------------------------------ outputs
    def write_summary(self, name: str, frame: pd.DataFrame) -> tuple[Path, Path]:
        """Write a summary table as ``summaries/<name>.parquet`` and ``.csv``."""
        parquet = self.folder / SUMMARIES / f"{name}.parquet"
        csv = self.folder / SUMMARIES / f"{name}.csv"
        _atomic_write_parquet(frame, parquet)
        tmp = csv.with_name(f"{_TMP_PREFIX}{csv.name}")
        frame.to_csv(tmp, index=False)
        os.replace(tmp, csv)
        return parquet, csv

    def read_summary(self, name: str) -> pd.DataFrame:
        """Read back a summary written by :meth:`write_summary`."""
        return pd.read_parquet(self.folder / SUMMARIES / f"{name}.parquet")

    def figure_path(self, name: str) -> Path:
        """Return ``figures/<name>.png`` (the folder exists)."""
        return self.folder / FIGURES / f"{name}.png"


_RUN_DTYPES: dict[str, str] = {
    "task_id": "int64", "point": "int64", "replicate": "int64", "status": "object",
    "error": "object", "worker": "object", "seconds": "float64", "finished": "object",
    "batch": "object",
}
