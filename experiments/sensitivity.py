"""Global sensitivity analysis of the model: Sobol indices and Morris screening.

The pipeline (``sixerrors sensitivity SPEC.toml``): a Saltelli or Morris
design over the spec's factors plus a ``dummy`` (see
:mod:`experiments.designs`), ``replications`` model runs per design point,
each reduced to its final and time-averaged outcomes, then per output:

1. **Replicate averaging.** SALib's estimators assume a deterministic
   function; the model is stochastic, so the analysed value at a design
   point is the mean of its replicates.
2. **Share of variance due to randomness**: the mean within-point variance
   of the replicates over the total variance of all runs. A high share
   means indices mostly describe noise: add replicates.
3. **Indices** with bootstrap confidence intervals: Sobol S1 and ST (S2
   optional) or Morris mu*, sigma. The dummy's index is the noise floor.
4. **Convergence**: Sobol indices from the first N/2 base samples against
   all N (the half design is valid because SALib keeps each base sample's
   rows together); a large change means N is too small.
5. **Plots** of the indices with their intervals (PNG).

A spec with a ``pair`` analyses a claim instead of a level: each design
point runs the error and the remedy with one seed and the outputs are
``diff_<outcome>_<statistic>`` (remedy minus error), through the same five
steps (:func:`experiments.sweep.task_plan`).

The same functions reproduce the Ishigami function's analytic indices in
the test suite, which is the check that the pipeline, not only SALib, is
right (SALib's own practice: tests against known analytic answers).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from numpy.typing import NDArray
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze

from experiments import budget, designs
from experiments.designs import DUMMY, Problem
from experiments.runner import TaskFunction, choose_executor, make_tasks, run_session, run_tasks
from experiments.specs import load_sensitivity
from experiments.store import ResultsStore
from experiments.sweep import open_or_create, point_overrides, task_plan
from experiments.tasks import SUMMARY_SUFFIXES, paired_outputs

CONVERGENCE_TOLERANCE = 0.05
"""Largest change of an S1 or ST between N/2 and N still called converged."""


class AnalysisError(RuntimeError):
    """Results that cannot be analysed (one-line message naming the fix)."""


# --------------------------------------------------------------------------- replicates
def average_replicates(
    runs: pd.DataFrame,
    outputs: Sequence[str],
    n_points: int,
) -> pd.DataFrame:
    """Return the mean of each output over replicates, one row per design point.

    Raises:
        AnalysisError: A design point has no successful run (the estimators
            need every point); the message says how many are missing.
    """
    means = runs.groupby("point")[list(outputs)].mean().reindex(range(n_points))
    # A point is missing when no run of it finished; an output that is NaN
    # where runs did finish (time to a first incident that never came) is
    # the output's problem, reported by the caller, not a missing point.
    missing = n_points - int(np.isin(np.arange(n_points), runs["point"].to_numpy()).sum())
    if missing:
        raise AnalysisError(
            f"{missing} of {n_points} design points have no finished run; "
            "re-run with --resume to complete them before analysing"
        )
    return means


def randomness_share(runs: pd.DataFrame, output: str) -> dict[str, float]:
    """Split the variance of ``output`` over all runs into noise and design.

    Returns:
        ``within`` (mean of the per-point replicate variances), ``total``
        (variance of all runs) and ``share = within / total``, NaN with a
        single replicate per point (no within-point variance to measure).
    """
    groups = runs.groupby("point")[output]
    counts = groups.count()
    total = float(runs[output].var(ddof=1))
    if counts.max() < 2 or not math.isfinite(total):
        return {"within": math.nan, "total": total, "share": math.nan}
    within = float(groups.var(ddof=1)[counts >= 2].mean())
    share = within / total if total > 0 else math.nan
    return {"within": within, "total": total, "share": share}


# --------------------------------------------------------------------------- Sobol
def sobol_indices(
    problem: Problem,
    y: NDArray[np.float64],
    *,
    second_order: bool = False,
    num_resamples: int = 200,
    conf_level: float = 0.95,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sobol first-order and total indices (and optionally second-order).

    Args:
        problem: The sampled problem (its factor order is the design's).
        y: One value per design row, in design order.
        second_order: The design was drawn with second order.
        num_resamples: Bootstrap resamples for the confidence intervals.
        conf_level: Confidence level of the intervals.
        seed: Seed of the bootstrap, so intervals are reproducible.

    Returns:
        ``(first_total, second)``: one row per factor with ``S1, S1_conf,
        ST, ST_conf``; and one row per factor pair with ``S2, S2_conf``
        (empty without second order).
    """
    y = np.asarray(y, dtype=float)
    with warnings.catch_warnings():
        # Constant subsets (e.g. no protest anywhere) make SALib warn; whole
        # constant outputs are skipped before this, and NaN shows in the table.
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        result = sobol_analyze.analyze(
            problem.salib(),
            y,
            calc_second_order=second_order,
            num_resamples=num_resamples,
            conf_level=conf_level,
            seed=seed,
        )
    table = pd.DataFrame(
        {
            "factor": list(problem.names),
            "S1": result["S1"],
            "S1_conf": result["S1_conf"],
            "ST": result["ST"],
            "ST_conf": result["ST_conf"],
        }
    )
    pairs: list[dict[str, Any]] = []
    if second_order:
        names = problem.names
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                pairs.append(
                    {
                        "factor": names[i],
                        "other": names[j],
                        "S2": float(result["S2"][i, j]),
                        "S2_conf": float(result["S2_conf"][i, j]),
                    }
                )
    return table, pd.DataFrame(pairs, columns=["factor", "other", "S2", "S2_conf"])


def sobol_convergence(
    problem: Problem,
    y: NDArray[np.float64],
    base_samples: int,
    *,
    second_order: bool = False,
    seed: int = 0,
    tolerance: float = CONVERGENCE_TOLERANCE,
) -> pd.DataFrame:
    """Compare Sobol indices from the first N/2 base samples with all N.

    The first ``N/2 * rows_per_base`` rows of a SALib Saltelli design are a
    complete design of base size N/2 (rows of one base sample are
    contiguous, and the first half of a scrambled Sobol sequence is itself
    balanced), so no new runs are needed.

    Returns:
        One row per factor: ``S1_half, S1, ST_half, ST``, the largest absolute
        change ``change`` and ``converged`` (change at most ``tolerance``).
    """
    rows = designs.sobol_rows_per_base(problem, second_order)
    half = base_samples // 2
    full, _ = sobol_indices(problem, y, second_order=second_order, num_resamples=2, seed=seed)
    part, _ = sobol_indices(
        problem, np.asarray(y)[: half * rows], second_order=second_order, num_resamples=2, seed=seed
    )
    table = pd.DataFrame(
        {
            "factor": full["factor"],
            "S1_half": part["S1"],
            "S1": full["S1"],
            "ST_half": part["ST"],
            "ST": full["ST"],
        }
    )
    table["change"] = np.maximum(
        (table["S1"] - table["S1_half"]).abs(), (table["ST"] - table["ST_half"]).abs()
    )
    table["converged"] = table["change"] <= tolerance
    return table


# --------------------------------------------------------------------------- Morris
def morris_indices(
    problem: Problem,
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    *,
    levels: int = 4,
    num_resamples: int = 200,
    conf_level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Morris elementary effects: ``mu, mu_star, mu_star_conf, sigma`` per factor."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = morris_analyze.analyze(
            problem.salib(),
            np.asarray(x, dtype=float),
            np.asarray(y, dtype=float),
            num_resamples=num_resamples,
            conf_level=conf_level,
            num_levels=levels,
            seed=seed,
        )
    return pd.DataFrame(
        {
            "factor": list(problem.names),
            "mu": np.asarray(result["mu"], dtype=float),
            "mu_star": np.asarray(result["mu_star"], dtype=float),
            "mu_star_conf": np.asarray(result["mu_star_conf"], dtype=float),
            "sigma": np.asarray(result["sigma"], dtype=float),
        }
    )


# --------------------------------------------------------------------------- plots
def plot_indices(
    table: pd.DataFrame,
    path: Path,
    *,
    title: str,
    columns: Sequence[tuple[str, str]] = (("S1", "S1_conf"), ("ST", "ST_conf")),
) -> Path:
    """Horizontal bars of indices with their confidence intervals, saved as PNG.

    The dummy's bar is drawn grey and its upper interval end as a dashed
    line: bars below it cannot be told apart from no effect.
    """
    factors = list(table["factor"])
    n = len(factors)
    # A bare Figure draws with Agg and never touches pyplot's global state,
    # so plotting is safe in workers and headless servers.
    fig = Figure(figsize=(7, 1.2 + 0.45 * n))
    ax = fig.add_subplot()
    height = 0.8 / len(columns)
    positions = np.arange(n)
    for k, (value, conf) in enumerate(columns):
        values = table[value].to_numpy(dtype=float)
        errors = table[conf].to_numpy(dtype=float)
        colors = ["0.6" if f == DUMMY else f"C{k}" for f in factors]
        ax.barh(
            positions + k * height,
            values,
            height,
            xerr=errors,
            color=colors,
            label=value,
            capsize=3,
        )
        if DUMMY in factors:
            i = factors.index(DUMMY)
            ax.axvline(values[i] + errors[i], color=f"C{k}", linestyle="--", linewidth=0.8)
    ax.set_yticks(positions + height * (len(columns) - 1) / 2, factors)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel("index (bars: estimate, whiskers: bootstrap interval)")
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


# --------------------------------------------------------------------------- one output
def analyze_output(
    problem: Problem,
    runs: pd.DataFrame,
    output: str,
    *,
    method: str,
    n_points: int,
    x: NDArray[np.float64],
    base_samples: int = 0,
    second_order: bool = False,
    levels: int = 4,
    num_resamples: int = 200,
    seed: int = 0,
) -> dict[str, pd.DataFrame]:
    """Run the whole analysis for one output column of per-run results.

    Returns:
        Tables keyed ``indices``, ``second_order`` (Sobol with S2),
        ``convergence`` (Sobol) and ``randomness``, each tagged with an
        ``output`` column.

    Raises:
        AnalysisError: Missing design points, or an output that is NaN at
            some point or constant (no variance to apportion).
    """
    means = average_replicates(runs, [output], n_points)[output].to_numpy(dtype=float)
    if not np.isfinite(means).all():
        raise AnalysisError(f"{output} is NaN at {int((~np.isfinite(means)).sum())} points")
    if float(np.var(means)) == 0.0:
        raise AnalysisError(f"{output} is constant over the design; nothing to apportion")
    noise = randomness_share(runs, output)
    tables: dict[str, pd.DataFrame] = {
        "randomness": pd.DataFrame([{"output": output, **noise}]),
    }
    if method == "sobol":
        indices, pairs = sobol_indices(
            problem, means, second_order=second_order, num_resamples=num_resamples, seed=seed
        )
        tables["indices"] = indices
        tables["second_order"] = pairs
        tables["convergence"] = sobol_convergence(
            problem, means, base_samples, second_order=second_order, seed=seed
        )
    elif method == "morris":
        tables["indices"] = morris_indices(
            problem, x, means, levels=levels, num_resamples=num_resamples, seed=seed
        )
    else:
        raise AnalysisError(f"unknown method '{method}'; use sobol or morris")
    for name, table in tables.items():
        if "output" not in table.columns:
            table.insert(0, "output", output)
            tables[name] = table
    return tables


def analyze_outputs(
    problem: Problem,
    runs: pd.DataFrame,
    outputs: Sequence[str],
    **options: Any,
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Analyse several outputs; collect their tables and the reasons any was skipped.

    Returns:
        ``(tables, skipped)``: tables concatenated over outputs, and
        ``output -> reason`` for outputs that could not be analysed (e.g.
        ``time_to_first_incident`` when some runs never had an incident).
        Missing design points are not skipped but raised, since they affect
        every output.
    """
    collected: dict[str, list[pd.DataFrame]] = {}
    skipped: dict[str, str] = {}
    for output in outputs:
        try:
            tables = analyze_output(problem, runs, output, **options)
        except AnalysisError as exc:
            if "design points" in str(exc):
                raise
            skipped[output] = str(exc)
            continue
        for name, table in tables.items():
            collected.setdefault(name, []).append(table)
    merged = {name: pd.concat(parts, ignore_index=True) for name, parts in collected.items()}
    return merged, skipped


def indices_by_output(table: pd.DataFrame) -> Mapping[str, pd.DataFrame]:
    """Split a concatenated indices table into one table per output."""
    return {str(k): v.reset_index(drop=True) for k, v in table.groupby("output", sort=False)}


# --------------------------------------------------------------------------- end to end
def run_design_analysis(
    store: ResultsStore,
    problem: Problem,
    x: NDArray[np.float64],
    *,
    settings: Sequence[Mapping[str, Any]],
    fn: TaskFunction,
    outputs: Sequence[str],
    method: str,
    replications: int,
    root_seed: int,
    base_samples: int = 0,
    second_order: bool = False,
    levels: int = 4,
    num_resamples: int = 200,
    executor: Any = None,
    workers: int | None = None,
    progress: bool | None = True,
    batch_size: int | None = None,
) -> dict[str, pd.DataFrame]:
    """Run a sampled design through the runner and analyse it into ``store``.

    This is the part shared by ``sixerrors sensitivity`` and the Ishigami
    test: ``settings[i]`` is what design row ``i``'s tasks receive, ``fn``
    must return one row per run holding every name in ``outputs``.

    Writes ``summaries/{design,runs,indices,convergence,randomness,
    second_order}`` and one figure per output, and returns the tables.

    Raises:
        AnalysisError: Some design points have no finished run.
    """
    design = problem.to_points(x)
    design.insert(0, "point", np.arange(len(design), dtype=np.int64))
    store.write_summary("design", design)
    tasks = make_tasks(settings, replications)
    runs = run_tasks(
        tasks,
        fn,
        store,
        executor=executor,
        workers=workers,
        progress=progress,
        root_seed=root_seed,
        label=f"{method} {store.folder.name}",
        batch_size=batch_size,
    )
    if len(runs):
        store.write_summary("runs", runs)
    if runs.empty:
        raise AnalysisError("no run finished; see the run table (runs/) for the errors")
    tables, skipped = analyze_outputs(
        problem,
        runs,
        outputs,
        method=method,
        n_points=len(design),
        x=x,
        base_samples=base_samples,
        second_order=second_order,
        levels=levels,
        num_resamples=num_resamples,
        seed=root_seed,
    )
    for name, table in tables.items():
        if name != "second_order" or len(table):
            store.write_summary(name, table)
    if "indices" in tables:
        columns = (
            (("S1", "S1_conf"), ("ST", "ST_conf"))
            if method == "sobol"
            else (("mu_star", "mu_star_conf"),)
        )
        for output, table in indices_by_output(tables["indices"]).items():
            plot_indices(
                table,
                store.figure_path(f"{method}_{output}"),
                title=f"{method.capitalize()} indices: {output}",
                columns=columns,
            )
    store.update_manifest(skipped_outputs=skipped)
    return tables


def _sobol_or_morris(spec: Any, problem: Problem) -> NDArray[np.float64]:
    if spec.method == "sobol":
        return designs.sobol(
            problem, spec.base_samples, second_order=spec.second_order, seed=spec.seed
        )
    return designs.morris(problem, spec.trajectories, levels=spec.levels, seed=spec.seed)


def sensitivity_budget(spec: Any, problem: Problem, local_workers: int) -> budget.Budget:
    """The analysis's size and rough cost, from the spec alone (nothing is sampled)."""
    if spec.method == "sobol":
        points = spec.base_samples * designs.sobol_rows_per_base(problem, spec.second_order)
    else:
        points = spec.trajectories * (len(problem.names) + 1)
    base, fn = task_plan(spec, "summary")
    return budget.estimate(
        points,
        spec.replications,
        residents=spec.residents,
        steps=spec.steps,
        values_per_task=2 * len(spec.outcomes) + 3,
        local_workers=local_workers,
        design_values=points * len(problem.names),
        probe=budget.Probe(fn, {**base, "overrides": dict(spec.overrides)}),
        runs_per_task=1 if spec.pair is None else 2,
    )


def run_sensitivity(
    spec: str | Path | Any,
    *,
    out: str | Path = "results",
    workers: int | None = None,
    dask: str | None = None,
    mpi: bool = False,
    resume: str | Path | None = None,
    progress: bool | None = True,
    dummy: bool = True,
    num_resamples: int = 200,
    allow_large: bool = False,
) -> Path:
    """``sixerrors sensitivity SPEC.toml``: run and analyse; return the results folder.

    Args:
        spec: Path of a sensitivity spec, or an already loaded
            :class:`experiments.specs.SensitivitySpec`.
        out: Parent of the results folder.
        workers: Local worker processes (default: one per core).
        dask: Address of a Dask scheduler to run on instead.
        mpi: Run on ``mpi4py.futures`` workers (start under ``mpiexec``).
        resume: An earlier folder of the same spec: run only what is missing.
        progress: Progress output (see :func:`experiments.runner.run_tasks`).
        dummy: Include the ``dummy`` factor (the noise floor).
        num_resamples: Bootstrap resamples for the intervals.
        allow_large: Run beyond :data:`experiments.budget.MAX_TASKS` tasks
            or the machine's available memory.

    Raises:
        experiments.specs.SpecError: The spec is invalid (nothing has run).
        experiments.budget.BudgetError: Too large (nothing was sampled).
        experiments.store.StoreError: ``resume`` is not a folder of this spec,
            or another process writes it.
        experiments.runner.RunnerError: Executor problems.
        experiments.runner.TasksFailed: Runs failed (the folder keeps what
            finished; fix the cause and resume).
        experiments.runner.RunInterrupted, experiments.runner.WriteFailed:
            A stop signal, or results that could not be written.
    """
    if isinstance(spec, str | Path):
        spec = load_sensitivity(spec)
    problem = designs.make_problem(spec.factors, dummy=dummy)
    plan = sensitivity_budget(
        spec, problem, budget.local_workers(workers, cluster=bool(dask or mpi))
    )
    plan.check(spec.source, allow_large=allow_large)
    x = _sobol_or_morris(spec, problem)
    design = problem.to_points(x)
    base, fn = task_plan(spec, "summary")
    settings = [
        {**base, "overrides": {**dict(spec.overrides), **point_overrides(row)}}
        for row in design.to_dict("records")
    ]
    outputs = [f"{o}_{s}" for o in spec.outcomes for s in SUMMARY_SUFFIXES]
    if spec.pair is not None:
        outputs = paired_outputs(outputs)  # the claim: remedy minus error
    options = {"dummy": dummy, "num_resamples": num_resamples}
    with choose_executor(workers, dask, mpi) as choice:
        store = open_or_create(
            spec,
            "sensitivity",
            out,
            resume,
            executor=choice.description,
            options=options,
            design_points=len(design),
            tasks=len(design) * spec.replications,
        )
        with run_session(
            store, make_tasks(settings, spec.replications), executor=choice.description
        ):
            budget.show(plan.with_workers(choice.workers), store.folder, progress)
            run_design_analysis(
                store,
                problem,
                x,
                settings=settings,
                fn=fn,
                outputs=outputs,
                method=spec.method,
                replications=spec.replications,
                root_seed=spec.seed,
                base_samples=spec.base_samples,
                second_order=spec.second_order,
                levels=spec.levels,
                num_resamples=num_resamples,
                executor=choice.executor,
                workers=choice.workers,
                progress=progress,
            )
    return store.folder
