"""Run the pattern battery into a results folder: ``sixerrors validate``.

Each check of :data:`~experiments.validation.registry.REGISTRY` runs in turn
at the chosen size; the battery prints what each measured, against which
target and source, and whether it passed, and writes a results folder like
every other verb: ``manifest.json`` (seed, size, checks, provenance, how
many passed), ``summaries/checks`` (one row per check, Parquet and CSV),
``summaries/<check>`` (each check's own table) and ``figures/``. The
manifest also says which figures each check drew, which checks are
negative controls of which, and what each check does (its docstring, which
for a control says why the pattern must be absent), so that a document
generated from the folder (:mod:`experiments.validation.document`) needs
nothing but the folder and describes the code that ran, not today's.

A check that raises is recorded as an error and counts as failed: a
battery that cannot measure a pattern has not reproduced it.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import math
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.provenance import provenance
from experiments.specs import DEFAULT_SEED
from experiments.store import FIGURES, ResultsStore
from experiments.validation.registry import REGISTRY, Check, CheckContext, CheckResult

THEMES: tuple[str, ...] = (
    "experiments.validation.incidents",
    "experiments.validation.petitions",
    "experiments.validation.valve",
    "experiments.validation.society",
    "experiments.validation.controls",
    "experiments.validation.cascades",
)
"""Modules whose import registers checks; add a theme's module here."""

CHECK_COLUMNS = (
    "check",
    "pattern",
    "title",
    "status",
    "measured",
    "value",
    "low",
    "high",
    "settled",
    "target",
    "source",
    "seconds",
)
"""Columns of ``summaries/checks``; ``status`` is ``pass``, ``fail`` or ``error``; ``low``
and ``high`` bound ``value``'s confidence interval and ``settled`` says whether the
verdict holds over it (empty where a check gives no interval)."""


class ValidationError(ValueError):
    """A battery that cannot start (one line naming the fix), e.g. an unknown check."""


def registered_checks() -> dict[str, Check]:
    """Every check of every theme, by name, in theme order.

    Raises:
        ValidationError: A negative control names a check that no theme
            registers (a control of nothing says nothing).
    """
    for module in THEMES:
        importlib.import_module(module)
    for chosen in REGISTRY.values():
        if chosen.controls is not None and chosen.controls not in REGISTRY:
            raise ValidationError(
                f"negative control '{chosen.name}' controls unknown check '{chosen.controls}'"
            )
    return dict(REGISTRY)


def negative_controls(checks: Sequence[Check]) -> dict[str, str]:
    """Each negative control among ``checks`` and the check it controls."""
    return {c.name: c.controls for c in checks if c.controls is not None}


def _figure_stamps(folder: Path) -> dict[str, int]:
    """Each figure in ``folder`` and when it was last written (to tell what a check drew)."""
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.glob("*.png"))}


def select_checks(names: Sequence[str] = ()) -> list[Check]:
    """The checks called ``names`` (every check when empty).

    Raises:
        ValidationError: An unknown name (with the closest valid one).
    """
    checks = registered_checks()
    for name in names:
        if name not in checks:
            match = difflib.get_close_matches(name, list(checks), n=1, cutoff=0.5)
            hint = f" (did you mean '{match[0]}'?)" if match else ""
            raise ValidationError(
                f"unknown check '{name}'{hint}; 'sixerrors validate --list' shows every check"
            )
    return [checks[n] for n in dict.fromkeys(names)] if names else list(checks.values())


def _run_one(chosen: Check, context: CheckContext) -> tuple[str, CheckResult, float]:
    start = time.perf_counter()
    try:
        result = chosen.run(context)
        status = "pass" if result.passed else "fail"
    except Exception as exc:  # a broken check is a failed check, recorded
        detail = traceback.format_exception_only(exc)[-1].strip()
        result = CheckResult(measured=f"error: {detail}", target="", passed=False)
        status = "error"
    return status, result, time.perf_counter() - start


def describe(chosen: Check, status: str, result: CheckResult) -> str:
    """The lines printed for one check: status, name, title, measured, target, source.

    A verdict its own interval does not settle says so, on a line of its own.
    """
    unsettled = (
        f"\n    not settled: the measured figure's interval crosses an edge of the accepted "
        f"range; other seeds could turn this {status}"
        if result.settled is False
        else ""
    )
    return (
        f"[{status.upper()}] {chosen.name} ({chosen.pattern}): {chosen.title}\n"
        f"    measured: {result.measured}\n"
        f"    target:   {result.target}\n"
        f"    source:   {chosen.source}{unsettled}"
    )


def run_battery(
    names: Sequence[str] = (),
    *,
    reduced: bool = False,
    seed: int = DEFAULT_SEED,
    out: str | Path = "results",
    report: Callable[[str], None] | None = None,
    world: Mapping[str, Any] | None = None,
) -> tuple[Path, pd.DataFrame]:
    """Run the chosen checks (all by default) and write the results folder.

    Args:
        names: Checks to run; empty for every registered check.
        reduced: The test suite's size instead of the full one.
        seed: Root seed of every check's randomness.
        world: World parameters every run starts from (validated values,
            ``--set``): the battery in another plausible world. A check's
            own settings win.
        out: Parent of the results folder.
        report: Called with each check's printed lines as it finishes.

    Returns:
        The results folder and the table of checks.

    Raises:
        ValidationError: An unknown check name (nothing has run).
    """
    checks = select_checks(names)
    store = ResultsStore.create(
        out,
        "validate-reduced" if reduced else "validate",
        {
            "kind": "validate",
            "reduced": reduced,
            "root_seed": int(seed),
            "world": dict(world or {}),
            "checks": [c.name for c in checks],
            "selected": list(dict.fromkeys(names)),
            "negative_controls": negative_controls(checks),
            "descriptions": {c.name: inspect.getdoc(c.run) or "" for c in checks},
            **provenance(executor="in-process"),
        },
    )
    context = CheckContext(
        reduced=reduced, seed=int(seed), figures=store.folder / FIGURES, world=dict(world or {})
    )
    rows = []
    drawn: dict[str, list[str]] = {}
    for chosen in checks:
        before = _figure_stamps(context.figures)
        status, result, seconds = _run_one(chosen, context)
        after = _figure_stamps(context.figures)
        drawn[chosen.name] = [name for name, stamp in after.items() if before.get(name) != stamp]
        if len(result.details):
            store.write_summary(chosen.name, result.details)
        rows.append(
            {
                "check": chosen.name,
                "pattern": chosen.pattern,
                "title": chosen.title,
                "status": status,
                "measured": result.measured,
                "value": float(result.value),
                "low": result.interval[0] if result.interval else math.nan,
                "high": result.interval[1] if result.interval else math.nan,
                "settled": result.settled,
                "target": result.target,
                "source": chosen.source,
                "seconds": seconds,
            }
        )
        if report is not None:
            report(describe(chosen, status, result))
    table = pd.DataFrame(rows, columns=list(CHECK_COLUMNS))
    store.write_summary("checks", table)
    failed = table.loc[table["status"] != "pass", "check"].tolist()
    store.mark_finished(checks_passed=len(table) - len(failed), checks_failed=failed, figures=drawn)
    return store.folder, table
