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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from experiments.runner import Task

SUMMARY_SUFFIXES: tuple[str, str] = ("final", "mean")
"""A run summary has ``<outcome>_final`` and ``<outcome>_mean`` per outcome."""


def time_average(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """The project's one time average: the mean over weeks, undefined (NaN) weeks skipped.

    Callers pass weeks 1..T (week 0, the initial state shared by every
    regime, is left out; see :func:`summarize_values`). Where no week is
    defined the result is NaN rather than a warning.

    Args:
        values: Weekly values, weeks along ``axis``.
        axis: The weeks' axis.
    """
    array = np.asarray(values, dtype=float)
    defined = np.isfinite(array)
    count = defined.sum(axis=axis)
    total = np.where(defined, array, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


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
    averages = time_average(body, axis=0)
    row: dict[str, float] = {}
    for k, name in enumerate(outcomes):
        row[f"{name}_final"] = float(values[-1, k])
        row[f"{name}_mean"] = float(averages[k])
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


PAIRED_ROLES: tuple[str, str, str] = ("error", "remedy", "diff")
"""Column prefixes of a paired run: each regime's value and remedy minus error."""


def paired_outputs(outputs: Sequence[str]) -> list[str]:
    """The difference columns (``diff_<output>``) a paired run reports for ``outputs``."""
    return [f"diff_{name}" for name in outputs]


def paired_rows(
    fn: Callable[[Task, int], pd.DataFrame],
    task: Task,
    seed: int,
) -> pd.DataFrame:
    """Run ``fn`` under the task's two regimes with one seed; return both and the difference.

    ``task.settings`` names the regimes under ``error`` and ``remedy``;
    ``fn`` receives the same settings with ``regime`` set to each in turn
    and the same seed, so the two runs share every random draw (common
    random numbers: the model's draws are counter-based, so the same seed
    gives the same shocks whatever the levers) and their difference is the
    effect of the levers alone at this design point. Running both in one
    task keeps a pair whole: a resumed experiment never holds one half.

    Returns:
        One row with, for every column ``c`` of ``fn``'s one-row result,
        ``error_c``, ``remedy_c`` and ``diff_c = remedy_c - error_c``.

    Raises:
        ValueError: ``fn`` returned other than one row per regime.
    """
    settings = dict(task.settings)
    results = {}
    for role in PAIRED_ROLES[:2]:
        result = fn(replace(task, settings={**settings, "regime": settings[role]}), seed)
        if len(result) != 1:
            raise ValueError(f"a paired run needs one row per regime, got {len(result)}")
        results[role] = result.reset_index(drop=True)
    error, remedy = results["error"], results["remedy"]
    row: dict[str, Any] = {}
    for column in error.columns:
        row[f"error_{column}"] = error[column].to_numpy()
        row[f"remedy_{column}"] = remedy[column].to_numpy()
        row[f"diff_{column}"] = remedy[column].to_numpy(dtype=float) - error[column].to_numpy(
            dtype=float
        )
    return pd.DataFrame(row)


def paired_task(task: Task, seed: int) -> pd.DataFrame:
    """:func:`simulate_task` summaries of an error and its remedy, and their differences.

    What a sweep or sensitivity spec with a ``pair`` runs at each design
    point (see :func:`paired_rows`); the analysed outputs are
    ``diff_<outcome>_final`` and ``diff_<outcome>_mean``.
    """
    return paired_rows(
        simulate_task, replace(task, settings={**task.settings, "record": "summary"}), seed
    )


ISHIGAMI_A = 7.0
ISHIGAMI_B = 0.1


def ishigami(
    x1: float,
    x2: float,
    x3: float,
    a: float = ISHIGAMI_A,
    b: float = ISHIGAMI_B,
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
    y = ishigami(float(s["x1"]), float(s["x2"]), float(s["x3"])) + _seeded_noise(s, seed)
    return pd.DataFrame({"y": [y]})


def _seeded_noise(settings: Mapping[str, Any], seed: int) -> float:
    """``settings["noise"]`` (default 0) times one standard normal draw from ``seed``."""
    noise = float(settings.get("noise", 0.0))
    return noise * float(np.random.default_rng(seed).standard_normal()) if noise else 0.0


ISHIGAMI_REGIME_SCALE: Mapping[str, float] = {"error": 1.0, "remedy": 2.0}
"""How much of the Ishigami function each toy regime carries: their difference is one Ishigami."""


def ishigami_regime_task(task: Task, seed: int) -> pd.DataFrame:
    """A toy "regime" with a known paired difference, for testing paired sensitivity.

    ``y = scale * ishigami(x) + 3 x2 + cos(x3) + noise``: the remedy carries
    twice the Ishigami function of the error, both carry the same nuisance
    terms, and the noise (``settings["noise"]`` times a normal draw from the
    seed) is the same under a common seed. The paired difference is
    therefore exactly Ishigami's function, with its analytic indices and no
    noise, while each regime's own output has other indices and noise.
    """
    s = task.settings
    x1, x2, x3 = float(s["x1"]), float(s["x2"]), float(s["x3"])
    y = ISHIGAMI_REGIME_SCALE[str(s["regime"])] * ishigami(x1, x2, x3)
    y += 3.0 * x2 + math.cos(x3) + _seeded_noise(s, seed)
    return pd.DataFrame({"y": [y]})


def ishigami_pair_task(task: Task, seed: int) -> pd.DataFrame:
    """:func:`ishigami_regime_task` run paired (:func:`paired_rows`): the toy pair."""
    return paired_rows(ishigami_regime_task, task, seed)


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
