"""Parameter sweeps: spec -> design -> tasks -> store -> summary tables.

``sixerrors sweep SPEC.toml`` runs a full factorial or Latin hypercube
design over any parameters and levers, ``replications`` runs per point, each
run's per-step outcomes into the results store, and then summarises:

* ``summaries/design``: one row per design point (its factor values).
* ``summaries/runs``: one row per run: final and time-averaged value of
  every outcome (``<outcome>_final``, ``<outcome>_mean``).
* ``summaries/points``: per design point and output, the number of runs,
  mean, standard deviation and a 95 % t-interval of the mean.

The helpers :func:`open_or_create`, :func:`task_plan` and
:func:`point_overrides` are shared with :mod:`experiments.sensitivity` and
:mod:`experiments.discover`; a verb's session (lock, manifest status, how it
ended) is :func:`experiments.runner.run_session`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from experiments import budget, designs
from experiments.designs import DUMMY
from experiments.provenance import provenance, spec_hash, to_jsonable
from experiments.runner import TaskFunction, choose_executor, make_tasks, run_session, run_tasks
from experiments.specs import load_sweep
from experiments.store import ResultsStore, StoreError
from experiments.tasks import paired_task, simulate_task
from model.outcomes import OUTCOMES
from model.params import DECLARATIONS

CONFIDENCE = 0.95


def _hashable_spec(kind: str, spec: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a spec that defines the results (not where the file lies)."""
    data = to_jsonable(spec)
    if isinstance(data, dict):
        data.pop("source", None)
        if data.get("pair", 0) is None:
            data.pop("pair")  # specs of one regime hash as before pairs existed
    return {"kind": kind, "spec": data, "options": to_jsonable(options)}


def open_or_create(
    spec: Any,
    kind: str,
    out: str | Path,
    resume: str | Path | None,
    *,
    executor: str,
    options: Mapping[str, Any],
    **design: Any,
) -> ResultsStore:
    """Create a new results folder for ``spec``, or reopen ``resume`` after checking it.

    Raises:
        StoreError: ``resume`` holds another kind of experiment or another
            spec (its hash differs): completing it would mix two experiments.
    """
    digest = spec_hash(_hashable_spec(kind, spec, options))
    if resume is not None:
        store = ResultsStore.open(resume)
        manifest = store.manifest
        if manifest.get("kind") != kind or manifest.get("spec_hash") != digest:
            raise StoreError(
                f"{store.folder} was made by a different {manifest.get('kind', 'experiment')} "
                "spec; resume it with the same spec file, or drop --resume to start afresh"
            )
        return store
    manifest = {
        "kind": kind,
        "name": spec.name,
        "spec": to_jsonable(spec),
        "options": to_jsonable(options),
        "spec_hash": digest,
        "root_seed": int(spec.seed),
        "design": to_jsonable(design),
        **provenance(executor=executor),
    }
    return ResultsStore.create(out, spec.name, manifest)


def point_overrides(row: Mapping[Any, Any]) -> dict[str, Any]:
    """Model overrides of one design row: declared types, no ``dummy`` or ``point``.

    Values are checked and converted by their declarations (numpy integers
    become ``int``, floats ``float``), so tasks pickle small and the
    manifest's JSON stays readable.
    """
    return {
        str(name): DECLARATIONS[str(name)].check(value.item() if hasattr(value, "item") else value)
        for name, value in row.items()
        if name not in (DUMMY, "point")
    }


def task_plan(spec: Any, record: str) -> tuple[dict[str, Any], TaskFunction]:
    """What every task of a sweep or sensitivity spec receives, and the function it runs.

    One regime: :func:`experiments.tasks.simulate_task` recording
    ``record`` (``"series"`` or ``"summary"``). An error pair:
    :func:`experiments.tasks.paired_task`, which always records summaries
    (one row of levels and differences per run), so a claim's difference
    means the same thing in a sweep as in a sensitivity analysis.
    """
    base: dict[str, Any] = {
        "steps": spec.steps,
        "residents": spec.residents,
        "outcomes": tuple(spec.outcomes),
    }
    if spec.pair is None:
        return {**base, "regime": spec.regime, "record": record}, simulate_task
    return {**base, "error": spec.pair.error, "remedy": spec.pair.remedy}, paired_task


def run_summaries(series: pd.DataFrame, outcomes: Sequence[str]) -> pd.DataFrame:
    """One row per run: ``<outcome>_final`` and ``<outcome>_mean`` (steps >= 1).

    Matches :func:`experiments.tasks.summarize_run`, computed for all runs at
    once.
    """
    keys = ["task_id", "point", "replicate"]
    ordered = series.sort_values(["task_id", "step"], kind="mergesort")
    final = ordered.groupby("task_id", sort=True).tail(1).set_index("task_id")
    body = ordered[ordered["step"] >= 1] if (ordered["step"] >= 1).any() else ordered
    mean = body.groupby("task_id", sort=True)[list(outcomes)].mean()
    table = final[["point", "replicate"]].copy()
    for name in outcomes:
        table[f"{name}_final"] = final[name].astype(float)
        table[f"{name}_mean"] = mean[name].astype(float)
    return table.reset_index()[keys + [c for c in table.columns if c not in keys]]


def point_summaries(
    runs: pd.DataFrame,
    design: pd.DataFrame,
    outputs: Sequence[str],
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """Per design point and output: runs, mean, sd and a t-interval of the mean.

    Long format (one row per point and output) so that any number of
    outcomes fits one table; the design's factor columns come first.
    """
    long = runs.melt(id_vars=["point"], value_vars=list(outputs), var_name="output")
    grouped = long.groupby(["point", "output"], sort=False)["value"]
    table = grouped.agg(n="count", mean="mean", sd="std").reset_index()
    sem = table["sd"] / np.sqrt(table["n"])
    tcrit = stats.t.ppf(0.5 + confidence / 2, np.maximum(table["n"] - 1, 1))
    half = np.where(table["n"] > 1, tcrit * sem, np.nan)
    table["ci_low"] = table["mean"] - half
    table["ci_high"] = table["mean"] + half
    table = design.merge(table, on="point", how="right")
    order = {name: i for i, name in enumerate(outputs)}
    table["_order"] = table["output"].map(order)
    return (
        table.sort_values(["point", "_order"], kind="mergesort")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def build_design(spec: Any) -> pd.DataFrame:
    """The sweep's design points (factorial or Latin hypercube, seeded by the spec)."""
    if spec.design == "factorial":
        return designs.factorial(spec.factors)
    return designs.latin_hypercube(spec.factors, spec.samples, seed=spec.seed)


def sweep_budget(spec: Any, local_workers: int) -> budget.Budget:
    """The sweep's size and rough cost, from the spec alone (no design is built)."""
    if spec.design == "factorial":
        points = math.prod(len(f.levels) for f in spec.factors)
    else:
        points = spec.samples
    columns = len(spec.outcomes or OUTCOMES) + 4  # and task_id, point, replicate, step
    base, fn = task_plan(spec, "series")
    return budget.estimate(
        points,
        spec.replications,
        residents=spec.residents,
        steps=spec.steps,
        values_per_task=(spec.steps + 1) * columns,
        local_workers=local_workers,
        design_values=points * len(spec.factors),
        probe=budget.Probe(fn, {**base, "overrides": dict(spec.overrides)}),
        runs_per_task=1 if spec.pair is None else 2,
    )


def run_sweep(
    spec: str | Path | Any,
    *,
    out: str | Path = "results",
    workers: int | None = None,
    dask: str | None = None,
    mpi: bool = False,
    resume: str | Path | None = None,
    progress: bool | None = True,
    allow_large: bool = False,
) -> Path:
    """``sixerrors sweep SPEC.toml``: run the sweep and summarise it; return its folder.

    Args:
        spec: Path of a sweep spec, or an already loaded
            :class:`experiments.specs.SweepSpec`.
        out: Parent of the results folder.
        workers: Local worker processes (default: one per core).
        dask: Address of a Dask scheduler to run on instead.
        mpi: Run on ``mpi4py.futures`` workers (start under ``mpiexec``).
        resume: An earlier folder of the same spec: run only what is missing.
        progress: Progress output (see :func:`experiments.runner.run_tasks`).
        allow_large: Run beyond :data:`experiments.budget.MAX_TASKS` tasks
            or the machine's available memory.

    Raises:
        experiments.specs.SpecError: The spec is invalid (nothing has run).
        experiments.budget.BudgetError: Too large (nothing was allocated).
        experiments.store.StoreError: ``resume`` is not a folder of this spec,
            or another process writes it.
        experiments.runner.RunnerError: Executor problems.
        experiments.runner.RunInterrupted, experiments.runner.TasksFailed,
        experiments.runner.WriteFailed: How the run ended, if not well
            (see :func:`experiments.runner.run_session`).
    """
    if isinstance(spec, str | Path):
        spec = load_sweep(spec)
    plan = sweep_budget(spec, budget.local_workers(workers, cluster=bool(dask or mpi)))
    plan.check(spec.source, allow_large=allow_large)
    design = build_design(spec)
    design.insert(0, "point", np.arange(len(design), dtype=np.int64))
    base, fn = task_plan(spec, "series")
    settings = [
        {**base, "overrides": {**dict(spec.overrides), **point_overrides(row)}}
        for row in design.to_dict("records")
    ]
    tasks = make_tasks(settings, spec.replications)
    with choose_executor(workers, dask, mpi) as choice:
        store = open_or_create(
            spec,
            "sweep",
            out,
            resume,
            executor=choice.description,
            options={},
            design_points=len(design),
            tasks=len(tasks),
        )
        with run_session(store, tasks, executor=choice.description):
            budget.show(plan.with_workers(choice.workers), store.folder, progress)
            store.write_summary("design", design)
            series = run_tasks(
                tasks,
                fn,
                store,
                executor=choice.executor,
                workers=choice.workers,
                progress=progress,
                root_seed=spec.seed,
                label=f"sweep {store.folder.name}",
            )
            if len(series):
                # A paired sweep's rows are already run summaries.
                runs = series if spec.pair else run_summaries(series, spec.outcomes)
                outputs = [c for c in runs.columns if c not in ("task_id", "point", "replicate")]
                store.write_summary("runs", runs)
                store.write_summary("points", point_summaries(runs, design, outputs))
    return store.folder
