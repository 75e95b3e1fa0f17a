"""Task functions: what one worker does for one task.

Each is a top-level function ``fn(task, seed) -> DataFrame`` so that any
executor can pickle it by reference. The runner adds the ``task_id``,
``point`` and ``replicate`` columns to whatever these return, so they
return only their own results.

:func:`simulate_task` runs the model; the others are cheap stand-ins with
known answers that the tests and the overhead benchmark use, so the
machinery can be checked without paying for simulations.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from experiments.runner import Task

SUMMARY_SUFFIXES: tuple[str, str] = ("final", "mean")
"""A run summary has ``<outcome>_final`` and ``<outcome>_mean`` per outcome."""


def summarize_run(series: pd.DataFrame, outcomes: Sequence[str]) -> pd.DataFrame:
    """Reduce one run's per-step table to one row: final and time-averaged values.

    The time average leaves out step 0 (the initial state, the same for
    every regime) unless the run has no other step; NaN steps are skipped
    (``time_to_first_incident`` is NaN until the first incident).
    """
    values = series.loc[:, list(outcomes)].to_numpy(dtype=float)
    return summarize_values(values, outcomes)


def summarize_values(values: np.ndarray, outcomes: Sequence[str]) -> pd.DataFrame:
    """:func:`summarize_run` for a (steps + 1, outcomes) array of one run's values.

    What the sensitivity analysis calls for each of thousands of runs,
    without building the per-step table first.
    """
    body = values[1:] if len(values) > 1 else values
    row: dict[str, float] = {}
    for k, name in enumerate(outcomes):
        row[f"{name}_final"] = float(values[-1, k])
        column = body[:, k]
        row[f"{name}_mean"] = float(np.nanmean(column)) if np.isfinite(column).any() else math.nan
    return pd.DataFrame([row])


def simulate_task(task: Task, seed: int) -> pd.DataFrame:
    """Run the model for one task and return its outcomes.

    ``task.settings`` holds ``regime``, ``steps``, ``residents``,
    ``overrides`` (parameters and levers), ``outcomes`` (columns to keep,
    default all) and ``record``: ``"series"`` returns one row per step
    (with a ``step`` column), ``"summary"`` one row per run (see
    :func:`summarize_run`), which is what sensitivity analysis needs and
    keeps a 12,000-run job's results small.
    """
    from model import run_model  # noqa: PLC0415 - keep workers' import light until used
    from model.outcomes import OUTCOMES  # noqa: PLC0415

    settings = task.settings
    overrides: Mapping[str, Any] = settings.get("overrides", {})
    model = run_model(
        str(settings.get("regime", "baseline")),
        steps=int(settings.get("steps", 260)),
        n_residents=int(settings.get("residents", 2000)),
        seed=seed,
        **dict(overrides),
    )
    outcomes = tuple(settings.get("outcomes") or OUTCOMES)
    if settings.get("record", "series") == "summary":
        # Straight from the model's values: the per-step table would cost
        # more than the summary, thousands of times over.
        return summarize_values(model.outcome_values(outcomes), outcomes)
    table = model.outcome_table().loc[:, list(outcomes)].reset_index()
    if "step" not in table.columns:
        table = table.rename(columns={table.columns[0]: "step"})
    return table


ISHIGAMI_A = 7.0
ISHIGAMI_B = 0.1


def ishigami(
    x1: float, x2: float, x3: float, a: float = ISHIGAMI_A, b: float = ISHIGAMI_B,
) -> float:
    """Ishigami and Homma's (1990) test function on [-pi, pi]^3.

    Its Sobol indices are known analytically (for a=7, b=0.1: S1 = 0.314,
    0.442, 0; ST = 0.558, 0.442, 0.244), so it checks the whole sensitivity
    pipeline end to end.
    """
    return math.sin(x1) + a * math.sin(x2) ** 2 + b * x3**4 * math.sin(x1)


def ishigami_task(task: Task, seed: int) -> pd.DataFrame:
    """Ishigami at the task's ``x1, x2, x3``, plus optional seeded noise.

    ``settings["noise"]`` (default 0) adds normal noise of that standard
    deviation drawn from the task's seed: a stand-in for a stochastic model
    whose replicates differ, so replicate averaging and the randomness
    share can be checked against a known noise variance.
    """
    s = task.settings
    y = ishigami(float(s["x1"]), float(s["x2"]), float(s["x3"]))
    noise = float(s.get("noise", 0.0))
    if noise:
        y += noise * float(np.random.default_rng(seed).standard_normal())
    return pd.DataFrame({"y": [y]})


def probe_task(task: Task, seed: int) -> pd.DataFrame:
    """A near-zero-cost task for tests and the overhead benchmark.

    Returns a few rows that depend on the seed only, so determinism tests see
    any seed mix-up. ``settings`` may ask it to ``sleep`` (seconds) first,
    to ``fail`` (raise ``ValueError``), or for ``rows`` rows (default 3).
    """
    s = task.settings
    if s.get("sleep"):
        time.sleep(float(s["sleep"]))
    if s.get("fail"):
        raise ValueError(f"probe task {task.task_id} asked to fail")
    rows = int(s.get("rows", 3))
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"step": np.arange(rows, dtype=np.int64), "value": rng.random(rows)})
