"""Scenario comparison with common random numbers, replications and intervals.

This is the project's main job (``sixerrors compare``; README.md, Running
experiments): run every scenario of a :class:`~experiments.specs.ScenarioSpec`
``R`` times and say, with an honest interval, how the scenarios differ, above
all how each of the article's remedies differs from its error.

Why common random numbers: replicate ``r`` of every scenario gets the same
seed (it depends only on the root seed and ``r``, see
:func:`experiments.runner.task_seed`), so scenarios start from the same
residents and network and differ by their levers, not by luck. Differences
are then paired per replicate, and the paired interval is far narrower than
the difference of two independent intervals (Law 2015, *Simulation Modeling
and Analysis*, section 11.2). Two identical scenarios give differences of
exactly zero.

The running is the engine's (:func:`experiments.runner.run_tasks`, the task
function :func:`experiments.tasks.simulate_task`, the folder
:class:`experiments.store.ResultsStore`); this module builds the tasks,
summarises the results and hands them to :mod:`experiments.report`. Its
intervals, and why none can leave an outcome's possible range, are
:mod:`experiments.intervals`'s.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from tqdm import tqdm

from experiments import budget, intervals, stopping
from experiments.provenance import provenance, spec_hash, to_jsonable
from experiments.runner import ExecutorChoice, choose_executor, make_tasks, run_session, run_tasks
from experiments.scales import outcome_range
from experiments.specs import (
    ScenarioSpec,
    default_scenarios,
    load_scenarios,
    scenario_spec_from_dict,
)
from experiments.store import ResultsStore, StoreError
from experiments.tasks import simulate_task, summarize_run

CONFIDENCE = intervals.CONFIDENCE
t_interval = intervals.t_interval
"""Student-t interval of a mean (:func:`experiments.intervals.t_interval`), also named here."""

STATISTICS = ("final", "time_average")
"""Per-run statistics summarised: the value at the last step, and the mean
over steps 1..T (step 0, the shared initial state, is left out; steps where
the outcome is undefined, NaN, are skipped). One definition for the whole
project: :func:`experiments.tasks.summarize_run` computes it for compare,
sensitivity, discovery and ``sixerrors run``, and the lessons use it too."""

_SUFFIX = {"final": "final", "time_average": "mean"}  # experiments.tasks.summarize_run names


class Interrupted(Exception):
    """Ctrl-C during a run, with a line saying what was kept and how to go on."""


class ComparisonError(RuntimeError):
    """A comparison that cannot be summarised (one line naming the fix)."""


# --------------------------------------------------------------------------- statistics


def run_statistics(results: pd.DataFrame, outcomes: Sequence[str]) -> pd.DataFrame:
    """One row per run (scenario, replicate): final and time-averaged outcomes, long format.

    Uses the engine's :func:`experiments.tasks.summarize_run`, so compare and
    sensitivity analysis define "time average" the same way.
    """
    rows: list[dict[str, Any]] = []
    for (scenario, replicate), group in results.groupby(["scenario", "replicate"], sort=False):
        run = group.sort_values("step").reset_index(drop=True)
        summary = summarize_run(run, outcomes).iloc[0]
        for outcome in outcomes:
            for statistic in STATISTICS:
                rows.append(
                    {
                        "scenario": scenario,
                        "replicate": int(cast(int, replicate)),
                        "outcome": outcome,
                        "statistic": statistic,
                        "value": float(summary[f"{outcome}_{_SUFFIX[statistic]}"]),
                    }
                )
    return pd.DataFrame(rows, columns=["scenario", "replicate", "outcome", "statistic", "value"])


def summarise_scenarios(
    per_run: pd.DataFrame, scenarios: Sequence[str], *, root_seed: int = 0
) -> pd.DataFrame:
    """Per scenario, outcome and statistic: n, mean, sd and a 95% interval of the mean.

    The interval of a bounded outcome (a share, a count) is the percentile
    bootstrap over replications (:func:`experiments.intervals.level_interval`):
    it cannot leave the range of the values, so a share's stays in [0, 1] and
    a count's at or above 0 without being cut. ``ci_method`` names the
    method of each row.

    Args:
        per_run: :func:`run_statistics`'s table.
        scenarios: Scenario names in report order.
        root_seed: The comparison's root seed; the bootstrap's resamples
            derive from it (:func:`experiments.intervals.bootstrap_seed`), so
            a folder's summaries are reproduced exactly.
    """
    seed = intervals.bootstrap_seed(root_seed)
    rows = []
    for (scenario, outcome, statistic), group in per_run.groupby(
        ["scenario", "outcome", "statistic"], sort=False
    ):
        summary = intervals.level_interval(group["value"].to_numpy(), str(outcome), seed=seed)
        rows.append({"scenario": scenario, "outcome": outcome, "statistic": statistic} | summary)
    columns = ["scenario", "outcome", "statistic", "n", "mean", "sd", "ci_low", "ci_high"]
    table = pd.DataFrame(rows, columns=[*columns, "ci_method"])
    order = {name: i for i, name in enumerate(scenarios)}
    return table.sort_values(
        ["scenario", "outcome", "statistic"],
        key=lambda c: c.map(order) if c.name == "scenario" else c,
        kind="mergesort",
    ).reset_index(drop=True)


def _direction(low: float, high: float) -> int:
    if low > 0:
        return 1
    if high < 0:
        return -1
    return 0


def verdict(expected: int | None, low: float, high: float) -> str:
    """Say whether a paired interval supports the expected sign.

    ``as expected`` or ``opposite`` only when the interval excludes zero;
    ``unclear`` when it includes zero; ``no claim`` when the article makes
    none about this outcome; ``too few replications`` without an interval.
    """
    if not expected:
        return "no claim"
    if not (math.isfinite(low) and math.isfinite(high)):
        return "too few replications"
    observed = _direction(low, high)
    if observed == 0:
        return "unclear"
    return "as expected" if observed == expected else "opposite"


def summarise_pairs(
    per_run: pd.DataFrame,
    pairs: Iterable[Any],
    outcomes: Sequence[str],
    *,
    root_seed: int = 0,
) -> pd.DataFrame:
    """Per pair, outcome and statistic: the paired difference remedy - error.

    Replicate ``r`` of the remedy is matched with replicate ``r`` of the
    error (common random numbers); replicates where either value is NaN are
    dropped from that outcome only. The interval is the Student-t interval
    of the paired differences, the standard for common random numbers,
    where it lies inside the difference's possible range, and the paired
    percentile bootstrap where it does not
    (:func:`experiments.intervals.difference_interval`); ``ci_method`` says
    which.

    Args:
        per_run: :func:`run_statistics`'s table.
        pairs: The spec's error/remedy pairs.
        outcomes: Outcomes to summarise.
        root_seed: The comparison's root seed, from which the bootstrap's
            resamples derive.
    """
    seed = intervals.bootstrap_seed(root_seed)
    wide = per_run.pivot_table(
        index=["outcome", "statistic", "replicate"],
        columns="scenario",
        values="value",
        aggfunc="first",
        dropna=False,
    )
    rows = []
    for pair in pairs:
        for outcome in outcomes:
            for statistic in STATISTICS:
                block = cast(pd.DataFrame, wide.loc[(outcome, statistic)])
                diff = block[pair.remedy].to_numpy(dtype=float) - block[pair.error].to_numpy(
                    dtype=float
                )
                summary = intervals.difference_interval(diff, outcome, seed=seed)
                expected = pair.expected.get(outcome)
                mean = float(cast(float, summary["mean"]))
                rows.append(
                    {
                        "pair": pair.name,
                        "number": pair.number,
                        "variant": pair.variant,
                        "title": pair.title,
                        "error": pair.error,
                        "remedy": pair.remedy,
                        "outcome": outcome,
                        "statistic": statistic,
                    }
                    | summary
                    | {
                        "expected": expected,
                        "matches_expected": (
                            None
                            if not expected or not math.isfinite(mean)
                            else bool(np.sign(mean) == expected)
                        ),
                        "verdict": verdict(
                            expected,
                            float(cast(float, summary["ci_low"])),
                            float(cast(float, summary["ci_high"])),
                        ),
                    }
                )
    columns = [
        "pair",
        "number",
        "variant",
        "title",
        "error",
        "remedy",
        "outcome",
        "statistic",
        "n",
        "mean",
        "sd",
        "ci_low",
        "ci_high",
        "ci_method",
        "expected",
        "matches_expected",
        "verdict",
    ]
    table = pd.DataFrame(rows, columns=columns)
    table["number"] = table["number"].astype("Int64")
    table["expected"] = table["expected"].astype("Int64")
    table["matches_expected"] = table["matches_expected"].astype("boolean")
    return table


def timeseries(
    results: pd.DataFrame, outcomes: Sequence[str], *, root_seed: int = 0
) -> pd.DataFrame:
    """Per scenario, outcome and step: mean and 95% band across replications.

    The band is the Student-t interval where it lies inside the outcome's
    possible range and the percentile bootstrap of that step's values where
    it does not (:func:`experiments.intervals.band_bounds`), so no band
    leaves the range and the cost stays low: only the steps near a bound are
    resampled. ``ci_method`` says which, step by step.

    Args:
        results: One row per run and step: ``scenario``, ``step`` and the
            outcomes.
        outcomes: Outcomes to summarise.
        root_seed: The comparison's root seed, from which the bootstrap's
            resamples derive.
    """
    seed = intervals.bootstrap_seed(root_seed)
    keys = ["scenario", "step"]
    frame = results[[*keys, *outcomes]].sort_values(keys, kind="stable")
    # The k-th run of a (scenario, step) goes to column k: one row per step.
    grouped = frame.groupby(keys, sort=False)
    column = grouped.cumcount().to_numpy()
    sizes = grouped.size()
    row = np.repeat(np.arange(len(sizes)), sizes.to_numpy())
    width = int(column.max()) + 1 if len(column) else 0
    scenario = sizes.index.get_level_values("scenario").to_numpy()
    step = sizes.index.get_level_values("step").to_numpy().astype("int64")
    parts = []
    for outcome in outcomes:
        samples = np.full((len(sizes), width), np.nan)
        samples[row, column] = frame[outcome].to_numpy(dtype=float)
        band = intervals.band_bounds(samples, outcome_range(outcome), seed=seed)
        parts.append(
            pd.DataFrame(
                {
                    "scenario": scenario,
                    "outcome": outcome,
                    "step": step,
                    "n": band.n.astype("int64"),
                    "mean": band.mean,
                    "ci_low": band.low,
                    "ci_high": band.high,
                    "ci_method": band.method,
                }
            )
        )
    table = pd.concat(parts, ignore_index=True)
    # Outcomes in the order given, scenarios in the order of the results.
    order = {
        "outcome": {name: i for i, name in enumerate(outcomes)},
        "scenario": {name: i for i, name in enumerate(pd.unique(results["scenario"]))},
    }
    return table.sort_values(
        ["outcome", "scenario", "step"],
        key=lambda c: c.map(order[str(c.name)]) if c.name in order else c,
        kind="stable",
    ).reset_index(drop=True)


# --------------------------------------------------------------------------- running


def load_spec(path: str | Path | None) -> ScenarioSpec:
    """The scenario file at ``path``, or the shipped default when ``None``."""
    return default_scenarios() if path is None else load_scenarios(path)


def scenario_points(spec: ScenarioSpec) -> list[dict[str, Any]]:
    """One design point per scenario, in the settings :func:`simulate_task` reads."""
    return [
        {
            "scenario": s.name,
            "regime": s.regime,
            "overrides": dict(s.overrides),
            "steps": spec.steps,
            "residents": spec.residents,
            "outcomes": list(spec.outcomes),
            "record": "series",
        }
        for s in spec.scenarios
    ]


def comparison_budget(spec: ScenarioSpec, local_workers: int) -> budget.Budget:
    """The comparison's size and rough cost."""
    return budget.estimate(
        len(spec.scenarios),
        spec.replications,
        residents=spec.residents,
        steps=spec.steps,
        values_per_task=(spec.steps + 1) * (len(spec.outcomes) + 4),
        local_workers=local_workers,
        probe=budget.Probe(simulate_task, scenario_points(spec)[0]) if spec.scenarios else None,
    )


def run_comparison(
    spec: ScenarioSpec,
    *,
    out: str | Path = "results",
    workers: int | None = None,
    dask: str | None = None,
    mpi: bool = False,
    progress: bool | None = True,
    allow_large: bool = False,
) -> Path:
    """Run a comparison into a new results folder and write its summaries and report.

    Returns:
        The results folder.

    Raises:
        experiments.budget.BudgetError: Too large, unless ``allow_large``.
        experiments.runner.RunInterrupted: A stop signal; finished runs are
            kept and ``--resume`` finishes.
        experiments.runner.TasksFailed: Some runs failed (they are listed in
            the run table); nothing is summarised.
        experiments.runner.WriteFailed: The folder could not be written.
    """
    plan = comparison_budget(spec, budget.local_workers(workers, cluster=bool(dask or mpi)))
    plan.check(spec.source or spec.name, allow_large=allow_large)
    with choose_executor(workers, dask, mpi) as choice:
        manifest = {
            "kind": "compare",
            "spec": to_jsonable(spec),
            "spec_hash": spec_hash(spec),
            "root_seed": spec.seed,
            "common_random_numbers": True,
            **provenance(executor=choice.description),
        }
        store = ResultsStore.create(out, spec.name, manifest)
        _execute(store, spec, choice, plan, progress)
    return store.folder


def resume_comparison(
    folder: str | Path,
    *,
    workers: int | None = None,
    dask: str | None = None,
    mpi: bool = False,
    progress: bool | None = True,
    expect: ScenarioSpec | None = None,
    allow_large: bool = False,
) -> Path:
    """Finish an interrupted comparison in ``folder`` with the spec it started with.

    Args:
        folder: The results folder of the interrupted comparison.
        workers: Local worker processes.
        dask: Dask scheduler address.
        mpi: Run on MPI ranks.
        progress: Progress output.
        expect: If given (a scenario file on the command line), it must be the
            folder's spec, or the folder would mix two experiments.
        allow_large: Run beyond the budget's limits.

    Raises:
        experiments.store.StoreError: Not a comparison's folder, an edited
            or damaged manifest, or another process writes the folder; and
            the exceptions of :func:`run_comparison`.
    """
    store = ResultsStore.open(folder)
    manifest = store.manifest
    if manifest.get("kind") != "compare" or "spec" not in manifest:
        raise StoreError(
            f"{store.folder} is not a comparison's results folder; "
            "pass the folder printed by sixerrors compare"
        )
    spec = scenario_spec_from_dict(manifest["spec"])
    if spec_hash(spec) != manifest.get("spec_hash"):
        raise StoreError(
            f"the spec in {store.folder}/manifest.json was edited since the run started; "
            "start a new comparison instead of resuming"
        )
    if expect is not None and spec_hash(_comparable(expect)) != spec_hash(_comparable(spec)):
        raise StoreError(
            f"{store.folder} was made from a different scenario spec; resume it without the "
            "file (or with the same file and options), or drop --resume to start afresh"
        )
    plan = comparison_budget(spec, budget.local_workers(workers, cluster=bool(dask or mpi)))
    plan.check(store.folder / "manifest.json", allow_large=allow_large)
    with choose_executor(workers, dask, mpi) as choice:
        _execute(store, spec, choice, plan, progress)
    return store.folder


def _comparable(spec: ScenarioSpec) -> dict[str, Any]:
    """A spec without where its file lies: a moved file is the same experiment."""
    data = dict(to_jsonable(spec))
    data.pop("source", None)
    return data


def _execute(
    store: ResultsStore,
    spec: ScenarioSpec,
    choice: ExecutorChoice,
    plan: budget.Budget,
    progress: bool | None,
) -> None:
    """Run the missing runs and summarise, as one session of the folder.

    The session (:func:`experiments.runner.run_session`) covers the
    summaries too: a stop while they are written still says how many runs
    are kept and how to resume, and failed runs are reported, not
    summarised (a paired difference needs both runs).
    """
    tasks = make_tasks(scenario_points(spec), spec.replications)
    with run_session(store, tasks, executor=choice.description):
        budget.show(plan.with_workers(choice.workers), store.folder, progress)
        results = run_tasks(
            tasks,
            simulate_task,
            store,
            executor=choice.executor,
            workers=choice.workers,
            root_seed=spec.seed,
            common_random_numbers=True,
            progress=progress,
            label=f"compare {spec.name}",
        )
        if store.run_table()["status"].eq("failed").any():
            return  # the session raises TasksFailed
        summarise(store, spec, results)


def summarise(store: ResultsStore, spec: ScenarioSpec, results: pd.DataFrame) -> None:
    """Write summary tables, figures and the HTML report of a finished comparison."""
    from experiments import report  # noqa: PLC0415 - matplotlib only when reporting

    names = [s.name for s in spec.scenarios]
    results = results.assign(scenario=[names[p] for p in results["point"]])
    outcomes = list(spec.outcomes)
    per_run = run_statistics(results, outcomes)
    scenario_table = summarise_scenarios(per_run, names, root_seed=spec.seed)
    pair_table = summarise_pairs(per_run, spec.pairs, outcomes, root_seed=spec.seed)
    series = timeseries(results, outcomes, root_seed=spec.seed)
    store.write_summary("runs", per_run)
    store.write_summary("scenarios", scenario_table)
    store.write_summary("pairs", pair_table)
    store.write_summary("timeseries", series)
    figures = report.comparison_figures(store, spec, series, pair_table)
    store.mark_finished(runs=int(len(per_run) // max(1, len(outcomes) * len(STATISTICS))))
    report.write_html(
        store.folder / "report.html", spec, scenario_table, pair_table, figures, store.manifest
    )


# --------------------------------------------------------------------------- one run


def run_single(
    regime: str,
    *,
    overrides: Mapping[str, Any] | None = None,
    steps: int = 260,
    residents: int | None = None,
    seed: int = 0,
    out: str | Path = "results",
    progress: bool | None = None,
) -> Path:
    """One model run into a new results folder (``sixerrors run``).

    Writes ``manifest.json`` (every parameter in force, regime, seed,
    provenance, start and end), ``summaries/outcomes.parquet`` and ``.csv``
    (one row per step) and ``figures/outcomes.png``. The model is built before
    the folder, so bad input leaves nothing behind; Ctrl-C keeps the steps done
    so far (the manifest says how many).

    Args:
        regime: Name of a regime.
        overrides: Parameter and lever values (validated by the model).
        steps: Steps to run.
        residents: Residents (default: the declared default).
        seed: The run's seed.
        out: Parent folder of the new results folder.
        progress: ``None`` shows a bar on a terminal only; ``False`` never.
    """
    from experiments import report  # noqa: PLC0415
    from model import SocialManagementModel  # noqa: PLC0415

    overrides = dict(overrides or {})
    model = SocialManagementModel(regime, residents, rng=seed, **overrides)
    manifest = {
        "kind": "run",
        "regime": regime,
        "seed": seed,
        "root_seed": seed,
        "steps": steps,
        "residents": model.params.n_residents,
        "overrides": overrides,
        "parameters": model.parameters,
        **provenance(executor="in-process"),
    }
    store = ResultsStore.create(out, regime, manifest)
    try:
        # disable=None: a bar on a terminal only, so logs and pipes stay clean.
        disable = True if progress is False else (None if progress is None else False)
        with (
            tqdm(
                total=steps, desc=f"run {regime}", unit="step", disable=disable, leave=False
            ) as bar,
            stopping.raising_stops(False),
        ):
            for _ in range(steps):
                if stopping.stop_requested():  # between steps, never inside compiled code
                    raise KeyboardInterrupt
                model.run_for(1)
                bar.update(1)
    except KeyboardInterrupt:
        table = model.outcome_table().reset_index()
        store.write_summary("outcomes", table)
        store.mark_finished("interrupted", interrupted_at_step=len(table) - 1)
        raise Interrupted(
            f"interrupted at step {len(table) - 1} of {steps}; those steps are kept in "
            f"{store.folder}/summaries/outcomes.csv; run again to get all {steps}"
        ) from None
    table = model.outcome_table().reset_index()
    store.write_summary("outcomes", table)
    report.plot_run(table, store.figure_path("outcomes"), title=f"{regime} (seed {seed})")
    store.mark_finished(steps_done=len(table) - 1)
    # A single run has no batches: drop the store's empty batch folders.
    for sub in ("parts", "runs"):
        with contextlib.suppress(OSError):
            (store.folder / sub).rmdir()
    return store.folder
