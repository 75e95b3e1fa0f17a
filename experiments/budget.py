"""What an experiment will cost, known before anything runs or is allocated.

A spec can be valid and still enormous: a factorial of three factors at
1,000 levels is 10^9 design points; Sobol with N = 2^20 and second order
over ten factors is 25 million rows before replicates. Building such a
design, let alone its task list, ends in :class:`MemoryError` after minutes.
So every verb first counts its tasks from the spec alone (no design is
built), estimates the peak memory with the rough model below, and refuses,
exit 2, beyond :data:`MAX_TASKS` tasks or beyond the memory the machine has
available, unless ``--allow-large`` is given.

The time comes from a quick calibration run (:func:`calibrate`), made just
before the run starts and only when the estimate is shown: the spec's own
task function, with the spec's settings and residents, timed at one step
and at a few more. The difference gives the cost of a step, the rest the
cost of building the model and collecting its outcomes, and a first call at
a tiny size the one-off warm-up of each process (loading or compiling the
compiled code), so a task of ``steps`` steps costs about
``fixed + steps * per_step`` and the run ``warm-up + tasks * task /
workers``. The calibration stops within :data:`CALIBRATION_SECONDS` (plus
the warm-up, which the run would pay anyway); above
:data:`CALIBRATION_RESIDENTS` residents it runs at that size and scales by
the residents. Where it cannot run (the task function fails, say), the
fixed throughput :data:`RESIDENT_STEPS_PER_SECOND` stands in, and the line
says so. It is the driver's machine that is timed: a cluster's workers may
be faster or slower, which the progress line soon shows.

Memory is a fixed cost per process plus a cost per resident, per task kept
in the driver and per result value collected.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from experiments import stopping
from experiments.runner import Task, default_workers

MAX_TASKS = 1_000_000
"""Tasks beyond which a verb refuses without ``--allow-large``."""

RESIDENT_STEPS_PER_SECOND = 3_000_000
"""Fallback throughput of one worker, building included (measured: 4.5-5.6 million)."""

CALIBRATION_SECONDS = 1.0
"""Time the calibration run may take after its warm-up."""

CALIBRATION_RESIDENTS = 250_000
"""Largest model the calibration builds; larger specs are scaled from this size."""

CALIBRATION_MAX_STEPS = 64
"""Most steps one calibration call runs (enough to average out a step's noise)."""

WARM_UP_RESIDENTS = 50
"""Residents of the calibration's first call, which only warms the process up."""

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


TaskFunction = Callable[[Task, int], pd.DataFrame]
"""What a calibration times: an experiment's task function (see experiments.runner)."""


@dataclass(frozen=True)
class Probe:
    """The kind of task an experiment runs, for :func:`calibrate` to time.

    Attributes:
        fn: The experiment's task function.
        settings: One task's settings without its design point (the
            spec's regime or pair, outcomes and common overrides); the
            calibration sets ``steps`` and ``residents`` itself.
    """

    fn: TaskFunction
    settings: Mapping[str, Any]


@dataclass(frozen=True)
class Calibration:
    """What a quick timed run measured, scaled to the spec's residents.

    Attributes:
        fixed_seconds: One task's cost besides its steps: building the
            model(s) and collecting the outcomes.
        step_seconds: One step (of every model a task runs).
        warmup_seconds: Once per process before its first task: loading
            or compiling the compiled code.
        seconds: How long the calibration took, warm-up included.
        measured: ``False``: the fallback constant, no run was made.
    """

    fixed_seconds: float
    step_seconds: float
    warmup_seconds: float = 0.0
    seconds: float = 0.0
    measured: bool = True

    def task_seconds(self, steps: int) -> float:
        """Seconds of one task of ``steps`` steps on one worker."""
        return self.fixed_seconds + steps * self.step_seconds


def fallback(residents: int, runs_per_task: int = 1) -> Calibration:
    """The rough constant :data:`RESIDENT_STEPS_PER_SECOND`, for when no run can be made."""
    per_step = runs_per_task * residents / RESIDENT_STEPS_PER_SECOND
    return Calibration(per_step, per_step, measured=False)


def calibrate(
    probe: Probe,
    *,
    residents: int,
    steps: int,
    seconds: float = CALIBRATION_SECONDS,
    max_residents: int = CALIBRATION_RESIDENTS,
) -> Calibration | None:
    """Time ``probe``'s task at the spec's size and extrapolate to ``steps`` steps.

    A first call at :data:`WARM_UP_RESIDENTS` residents and one step
    measures the warm-up (it is what a fresh worker pays once); then one
    step at the spec's size, then as many steps as fit in what is left of
    ``seconds`` (at most :data:`CALIBRATION_MAX_STEPS`, at most ``steps``),
    doubled while the steps cost less than building the model (else a
    step's cost is lost in the build's noise and can come out as zero),
    twice if time allows, keeping the faster of each (a shared machine
    only ever slows a run down). The stop flag is polled between calls and
    no call is interrupted (see :mod:`experiments.stopping`).

    Args:
        probe: The experiment's task function and settings.
        residents: Residents per model in the spec.
        steps: Steps per model in the spec.
        seconds: Time the calls after the warm-up may take, about.
        max_residents: Above this, calibrate at this size and scale the
            times by ``residents / max_residents``.

    Returns:
        The measurement, or ``None`` when the task function fails (the
        caller keeps its :func:`fallback`).

    Raises:
        KeyboardInterrupt: A stop signal arrived during the calibration.
    """
    size = max(1, min(residents, max_residents))
    scale = residents / size
    start = time.perf_counter()

    def timed(n_residents: int, n_steps: int) -> float:
        if stopping.stop_requested():
            raise KeyboardInterrupt
        settings = {**probe.settings, "residents": n_residents, "steps": n_steps}
        began = time.perf_counter()
        probe.fn(Task(task_id=0, point=0, replicate=0, settings=settings), 0)
        return time.perf_counter() - began

    try:
        with stopping.raising_stops(False):
            warm = timed(min(WARM_UP_RESIDENTS, size), 1)
            deadline = time.perf_counter() + seconds
            one = timed(size, 1)
            many, k = one, 1
            if steps >= 2:  # a k-step call costs at most k one-step calls
                most = min(steps, CALIBRATION_MAX_STEPS)
                k = max(2, min(most, int(seconds / (3 * max(one, 1e-4)))))
                many = timed(size, k)
                # Where building the model costs more than the steps (a large
                # network, few steps), the steps' time is the small difference
                # of two noisy times: double the steps until they cost as much
                # as the call without them, while time allows.
                while many < 2 * one and k < most and deadline - time.perf_counter() > 2 * many:
                    k = min(2 * k, most)
                    many = timed(size, k)
                if deadline - time.perf_counter() > many + one:
                    many = min(many, timed(size, k))
                    one = min(one, timed(size, 1))
    except KeyboardInterrupt:
        raise
    except Exception:  # a task that fails here fails in the run too, and says so there
        return None
    if stopping.stop_requested():
        raise KeyboardInterrupt
    step = max(many - one, 0.0) / (k - 1) if k > 1 else 0.0
    fixed = max(one - step, 0.0)
    return Calibration(
        fixed_seconds=fixed * scale,
        step_seconds=step * scale,
        warmup_seconds=max(warm - one, 0.0),  # a tiny model costs no more than the spec's
        seconds=time.perf_counter() - start,
    )


@dataclass(frozen=True)
class Budget:
    """The size and cost of an experiment.

    Attributes:
        points: Design points (scenarios, for a comparison).
        replications: Runs per point.
        steps: Steps per model run.
        residents: Residents per model.
        timing: What one task costs: the fallback constant until
            :meth:`calibrated` measures it.
        peak_bytes: Rough peak memory of this machine (driver and local workers).
        workers: Workers the time is divided by.
        probe: The experiment's kind of task, for the calibration run
            (``None``: the constant stays).
    """

    points: int
    replications: int
    steps: int
    residents: int
    timing: Calibration
    peak_bytes: int
    workers: int
    probe: Probe | None = field(default=None, compare=False, repr=False)

    @property
    def tasks(self) -> int:
        """Model runs in all."""
        return self.points * self.replications

    @property
    def task_seconds(self) -> float:
        """Seconds of one task on one worker."""
        return self.timing.task_seconds(self.steps)

    @property
    def seconds(self) -> float:
        """Seconds of the whole run: each worker warms up once, then shares the tasks."""
        return self.timing.warmup_seconds + self.tasks * self.task_seconds / max(1, self.workers)

    def describe(self) -> str:
        """One line: tasks, time on the workers, rough peak memory, and whence the time."""
        if self.timing.measured:
            source = f"timed by a {self.timing.seconds:.1f} s calibration run"
        else:
            source = "rough model, no calibration run"
        return (
            f"{self.tasks:,} tasks ({self.points:,} points x {self.replications:,} "
            f"replications), roughly {_duration(self.seconds)} on {self.workers} "
            f"worker{'s' if self.workers != 1 else ''}, peak memory roughly "
            f"{_gib(self.peak_bytes)} here ({source}; the progress line measures)"
        )

    def with_workers(self, workers: int) -> Budget:
        """The same budget over ``workers`` workers (known once the executor is up)."""
        return dataclasses.replace(self, workers=max(1, workers))

    def calibrated(self) -> Budget:
        """The same budget with the time measured by :func:`calibrate` (if it can run).

        Raises:
            KeyboardInterrupt: A stop signal arrived during the calibration.
        """
        if self.probe is None:
            return self
        timing = calibrate(self.probe, residents=self.residents, steps=self.steps)
        return self if timing is None else dataclasses.replace(self, timing=timing)

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
    probe: Probe | None = None,
    runs_per_task: int = 1,
) -> Budget:
    """Size and memory of ``points * replications`` tasks (see the module docs).

    Nothing runs here: the time is the fallback constant until
    :meth:`Budget.calibrated`, so a spec refused for its size costs nothing.

    Args:
        points: Design points.
        replications: Runs per point.
        residents: Residents per model.
        steps: Steps per model.
        values_per_task: Result values one task sends back (rows x columns).
        local_workers: Worker processes on this machine (0: tasks run in
            the driver; a cluster's workers do not count here).
        design_values: Numbers in the design matrix (points x factors).
        probe: The experiment's task function and settings, for the
            calibration run.
        runs_per_task: Models one task runs (a paired task: 2), for the
            fallback constant and the memory of a run.
    """
    tasks = points * replications
    per_run = PROCESS_BYTES // 4 + runs_per_task * residents * BYTES_PER_RESIDENT
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
        steps=steps,
        residents=residents,
        timing=fallback(residents, runs_per_task),
        peak_bytes=int(driver + workers),
        workers=max(1, local_workers),
        probe=probe,
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
    """Say where the results go and what the run will cost (stderr; not when silent).

    The calibration run is made here, just before the run, and only when
    its result is shown.

    Raises:
        KeyboardInterrupt: A stop signal arrived during the calibration.
    """
    if progress is not False:
        print(f"sixerrors: results go to {folder}", file=sys.stderr, flush=True)
        print(f"sixerrors: {plan.calibrated().describe()}", file=sys.stderr, flush=True)


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
