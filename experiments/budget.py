"""What an experiment will cost, known before anything runs or is allocated.

A spec can be valid and still enormous: a factorial of three factors at
1,000 levels is 10^9 design points; Sobol with N = 2^20 and second order
over ten factors is 25 million rows before replicates. Building such a
design, let alone its task list, ends in :class:`MemoryError` after minutes.
So every verb first counts its tasks from the spec alone (no design is
built), estimates the time and the peak memory with the rough model below,
shows them, and refuses, exit 2, beyond :data:`MAX_TASKS` tasks or beyond
the memory the machine has available, unless ``--allow-large`` is given.

The model is rough on purpose, and says so when it prints: a run costs
about ``residents * steps / RESIDENT_STEPS_PER_SECOND`` seconds on one
worker (the README's speed table measures 4.5-5.6 million resident-steps
per second; the lower rate here leaves room for building the model), and
memory is a fixed cost per process plus a cost per resident, per task
kept in the driver and per result value collected. The progress line
corrects the time as soon as the first tasks finish.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from pathlib import Path

from experiments.runner import default_workers

MAX_TASKS = 1_000_000
"""Tasks beyond which a verb refuses without ``--allow-large``."""

RESIDENT_STEPS_PER_SECOND = 3_000_000
"""Rough throughput of one worker, building included (measured: 4.5-5.6 million)."""

PROCESS_BYTES = 300 * 2**20
"""Python with numpy, pandas, numba and the model loaded: per process."""

BYTES_PER_RESIDENT = 1_000
"""Model state per resident (the 10^6-resident benchmark peaks at 0.59 GiB)."""

BYTES_PER_TASK = 2_000
"""A task and its settings in the driver, and its run-table row."""

BYTES_PER_POINT = 2_000
"""A design point's row, its overrides and settings while tasks are built."""

BYTES_PER_VALUE = 24
"""A result value collected in the driver: 8 bytes, about three copies (concat, sort)."""


class BudgetError(ValueError):
    """An experiment too large to start without ``--allow-large`` (one-line message)."""


@dataclass(frozen=True)
class Budget:
    """The size and rough cost of an experiment.

    Attributes:
        points: Design points (scenarios, for a comparison).
        replications: Runs per point.
        task_seconds: Rough seconds of one task on one worker.
        peak_bytes: Rough peak memory of this machine (driver and local workers).
        workers: Workers the time is divided by.
    """

    points: int
    replications: int
    task_seconds: float
    peak_bytes: int
    workers: int

    @property
    def tasks(self) -> int:
        """Model runs in all."""
        return self.points * self.replications

    def describe(self) -> str:
        """One line: tasks, rough time on the workers, rough peak memory."""
        seconds = self.tasks * self.task_seconds / max(1, self.workers)
        return (
            f"{self.tasks:,} tasks ({self.points:,} points x {self.replications:,} "
            f"replications), roughly {_duration(seconds)} on {self.workers} "
            f"worker{'s' if self.workers != 1 else ''}, peak memory roughly "
            f"{_gib(self.peak_bytes)} here (rough model; the progress line measures)"
        )

    def with_workers(self, workers: int) -> Budget:
        """The same budget over ``workers`` workers (known once the executor is up)."""
        return dataclasses.replace(self, workers=max(1, workers))

    def check(self, source: str | Path, *, allow_large: bool) -> None:
        """Refuse an experiment beyond the limits unless ``allow_large``.

        Raises:
            BudgetError: More than :data:`MAX_TASKS` tasks, or more memory
                than the machine has available.
        """
        if allow_large:
            return
        if self.tasks > MAX_TASKS:
            raise BudgetError(
                f"{source}: {self.tasks:,} tasks ({self.points:,} points x "
                f"{self.replications:,} replications) exceed the limit of {MAX_TASKS:,}; "
                "shrink the design, or pass --allow-large to run it anyway"
            )
        available = available_memory()
        if available is not None and self.peak_bytes > available:
            raise BudgetError(
                f"{source}: needs roughly {_gib(self.peak_bytes)} of memory, more than the "
                f"{_gib(available)} available; use fewer workers, residents or tasks, or pass "
                "--allow-large to run it anyway"
            )


def estimate(
    points: int,
    replications: int,
    *,
    residents: int,
    steps: int,
    values_per_task: int,
    local_workers: int,
    design_values: int = 0,
) -> Budget:
    """Rough cost of ``points * replications`` model runs (see the module docs).

    Args:
        points: Design points.
        replications: Runs per point.
        residents: Residents per run.
        steps: Steps per run.
        values_per_task: Result values one task sends back (rows x columns).
        local_workers: Worker processes on this machine (0: tasks run in
            the driver; a cluster's workers do not count here).
        design_values: Numbers in the design matrix (points x factors).
    """
    tasks = points * replications
    per_run = PROCESS_BYTES // 4 + residents * BYTES_PER_RESIDENT
    driver = (
        PROCESS_BYTES
        + tasks * (BYTES_PER_TASK + values_per_task * BYTES_PER_VALUE)
        + points * BYTES_PER_POINT
        + design_values * BYTES_PER_VALUE
    )
    workers = local_workers * (PROCESS_BYTES + per_run) if local_workers > 0 else per_run
    return Budget(
        points=points,
        replications=replications,
        task_seconds=residents * (steps + 1) / RESIDENT_STEPS_PER_SECOND,
        peak_bytes=int(driver + workers),
        workers=max(1, local_workers),
    )


def available_memory() -> int | None:
    """Bytes of memory available to new processes (``MemAvailable``), if known."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def local_workers(workers: int | None, *, cluster: bool) -> int:
    """Worker processes an experiment starts on this machine (0 for a cluster's)."""
    if cluster:
        return 0
    return default_workers() if workers is None else workers


def show(plan: Budget, folder: Path, progress: bool | None) -> None:
    """Say where the results go and what the run will cost (stderr; not when silent)."""
    if progress is not False:
        print(f"sixerrors: results go to {folder}", file=sys.stderr)
        print(f"sixerrors: {plan.describe()}", file=sys.stderr, flush=True)


def _gib(n: int) -> str:
    return f"{n / 2**30:,.1f} GiB"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(seconds, 1):.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:,.0f} days"
