"""Scenario discovery: where each of the article's claims fails (``sixerrors discover``).

For every pair of a :class:`~experiments.specs.DiscoverySpec`:

1. **Design.** A Latin hypercube of ``samples`` points over the pair's world
   parameters, each over its declared plausible range (seeded by the root
   seed and the pair's place in the file).
2. **Paired runs.** At each point ``replications`` tasks, each running the
   error and the remedy with one seed (:func:`experiments.tasks.paired_task`,
   common random numbers), through the engine's runner and results store, so
   the verb runs on a pool, Dask or MPI and resumes like the others.
3. **Classes.** Per point and outcome the paired difference (remedy minus
   error, the spec's ``statistic``) is averaged over replicates with a 95 %
   t-interval, and the point is classed against the claim's sign:
   ``holds`` (interval on the claimed side of zero), ``reversed`` (interval
   on the other side), ``unclear`` (the interval straddles zero), ``no
   effect`` (a mean of exactly zero) or ``undefined`` (NaN, e.g. no incident
   in either regime). With one replicate there is no interval and the sign
   of the mean decides. A point is a **reversal** when its mean difference
   has the opposite sign to the claim, whatever its interval: a point that
   straddles zero counts by the sign of its mean. The headline is the
   reversal share of the plausible space (defined points only), reported
   with the shares of each class so a reader sees how many reversals are
   within noise.
4. **PRIM** (:mod:`experiments.prim_analysis`) on the reversals (``[prim]
   target = "reversal"``) or on every point where the claim is not borne out
   (``"failure"``: reversed, unclear or no effect), giving each box's
   limits, coverage and density, and two figures per pair and outcome.

Results folder: ``summaries/design`` (pair, point, parameters),
``summaries/runs`` (levels and differences of every run), ``points``,
``headline``, ``boxes``, ``box_limits``, ``peeling`` (Parquet and CSV),
``figures/reversal_shares.png``, ``figures/peeling_<pair>_<outcome>.png`` and
``figures/box_<pair>_<outcome>.png``, and the manifest.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from experiments import budget, designs, prim_analysis
from experiments.runner import choose_executor, make_tasks, run_session, run_tasks
from experiments.sensitivity import AnalysisError
from experiments.specs import Claim, DiscoverySpec, load_discovery
from experiments.sweep import open_or_create, point_overrides, point_summaries
from experiments.tasks import paired_task

CLASSES = ("holds", "reversed", "unclear", "no effect", "undefined")
"""How a point stands against a claim (see the module docs)."""

_VERB = {"reversal": "reverses", "failure": "fails"}


# --------------------------------------------------------------------------- design and tasks
def claim_designs(spec: DiscoverySpec) -> list[pd.DataFrame]:
    """One Latin hypercube per claim, with ``pair`` and a ``point`` numbered across claims."""
    frames = []
    offset = 0
    for k, claim in enumerate(spec.claims):
        design = designs.latin_hypercube(claim.factors, spec.samples, seed=spec.seed + k)
        design.insert(0, "point", np.arange(offset, offset + len(design), dtype=np.int64))
        design.insert(0, "pair", claim.label)
        offset += len(design)
        frames.append(design)
    return frames


def claim_settings(spec: DiscoverySpec, claim: Claim, design: pd.DataFrame) -> list[dict[str, Any]]:
    """What each of a claim's design points tells :func:`experiments.tasks.paired_task`."""
    base = {
        "error": claim.pair.error,
        "remedy": claim.pair.remedy,
        "steps": spec.steps,
        "residents": spec.residents,
        "outcomes": claim.outcomes,
    }
    factors = [f.name for f in claim.factors]
    return [
        {**base, "overrides": {**dict(claim.overrides), **point_overrides(row)}}
        for row in design[factors].to_dict("records")
    ]


# --------------------------------------------------------------------------- classes
def classify(points: pd.DataFrame, sign: int) -> pd.Series:
    """The class of each point against a claim of ``sign`` (+1: remedy higher).

    ``points`` has ``mean``, ``ci_low`` and ``ci_high`` of the paired
    difference; a NaN interval (one replicate) leaves the sign to the mean.
    """
    mean = points["mean"].to_numpy(dtype=float) * sign
    low = points["ci_low"].to_numpy(dtype=float) * sign
    high = points["ci_high"].to_numpy(dtype=float) * sign
    lower = np.fmin(low, high)
    upper = np.fmax(low, high)
    no_interval = ~np.isfinite(lower)
    classes = np.full(mean.shape, "unclear", dtype=object)
    classes[(mean > 0) & (no_interval | (lower > 0))] = "holds"
    classes[(mean < 0) & (no_interval | (upper < 0))] = "reversed"
    classes[mean == 0] = "no effect"
    classes[~np.isfinite(mean)] = "undefined"
    return pd.Series(classes, index=points.index, name="class")


def headline_row(claim: Claim, outcome: str, points: pd.DataFrame) -> dict[str, Any]:
    """The headline of one claim and outcome: its reversal share and the share of each class."""
    defined = points[points["class"] != "undefined"]
    n = len(defined)

    def share(mask: pd.Series) -> float:
        return float(mask.sum() / n) if n else float("nan")

    row: dict[str, Any] = {
        "pair": claim.label,
        "title": claim.title,
        "error": claim.pair.error,
        "remedy": claim.pair.remedy,
        "outcome": outcome,
        "expected": int(claim.pair.expected[outcome]),
        "points": len(points),
        "defined_points": n,
        "reversal_share": share(defined["reversal"]),
    }
    for name in CLASSES[:-1]:
        row[f"{name.replace(' ', '_')}_share"] = share(defined["class"] == name)
    row["mean_difference"] = float(defined["mean"].mean()) if n else float("nan")
    return row


# --------------------------------------------------------------------------- analysis
def analyze_claim(
    spec: DiscoverySpec,
    claim: Claim,
    design: pd.DataFrame,
    runs: pd.DataFrame,
    figures: Path,
) -> dict[str, list[pd.DataFrame] | list[dict[str, Any]]]:
    """Classes, headline, PRIM boxes and figures of one claim, for each of its outcomes."""
    factors = [f.name for f in claim.factors]
    mine = runs[runs["point"].isin(design["point"])]
    collected: dict[str, list[Any]] = {
        "points": [],
        "headline": [],
        "boxes": [],
        "box_limits": [],
        "peeling": [],
    }
    for outcome in claim.outcomes:
        column = f"diff_{outcome}_{spec.statistic}"
        points = point_summaries(mine, design.drop(columns="pair"), [column])
        points = points.drop(columns="output")
        points.insert(0, "outcome", outcome)
        points.insert(0, "pair", claim.label)
        sign = int(claim.pair.expected[outcome])
        points["class"] = classify(points, sign)
        points["reversal"] = (points["mean"].to_numpy(dtype=float) * sign) < 0
        collected["points"].append(points)
        collected["headline"].append(headline_row(claim, outcome, points))
        defined = points[points["class"] != "undefined"]
        sought = spec.prim.target
        if sought == "reversal" and not defined["reversal"].any():
            # A claim that reverses nowhere may still weaken: PRIM then seeks
            # where it is not borne out (no clear difference), so every claim
            # has a region where it shrinks or reverses, or none is claimed.
            sought = "failure"
        target = defined["reversal"] if sought == "reversal" else defined["class"] != "holds"
        boxes = prim_analysis.find_boxes(defined[factors], target.to_numpy(dtype=bool), spec.prim)
        collected["headline"][-1]["boxes"] = len(boxes)
        collected["headline"][-1]["box_target"] = sought
        if not boxes:
            continue
        tag = {"pair": claim.label, "outcome": outcome}
        for b in boxes:
            collected["boxes"].append(
                pd.DataFrame(
                    [
                        {
                            **tag,
                            "box": b.number,
                            "target": sought,
                            "coverage": b.coverage,
                            "density": b.density,
                            "mass": b.mass,
                            "restricted": b.restricted,
                            "points": b.points,
                            "cases": b.cases,
                            "step": b.step,
                            "meets_min_density": b.meets_density,
                        }
                    ]
                )
            )
            limits = b.limits.copy()
            plausible = {f.name: (f.low, f.high) for f in claim.factors}
            limits["range_low"] = [plausible[p][0] for p in limits["parameter"]]
            limits["range_high"] = [plausible[p][1] for p in limits["parameter"]]
            collected["box_limits"].append(limits.assign(**tag, box=b.number))
            collected["peeling"].append(b.trajectory.assign(**tag, box=b.number))
        name = f"{claim.label}_{outcome}"
        title = f"{claim.label}, {outcome}: where the claim {_VERB[sought]}"
        prim_analysis.plot_peeling(boxes, figures / f"peeling_{name}.png", title=title)
        ranges = {f.name: (float(f.low or 0.0), float(f.high or 1.0)) for f in claim.factors}
        prim_analysis.plot_box_limits(boxes, ranges, figures / f"box_{name}.png", title=title)
    return collected


def _first_columns(frame: pd.DataFrame, first: Sequence[str]) -> pd.DataFrame:
    return frame[[*first, *[c for c in frame.columns if c not in first]]]


def plot_reversal_shares(headline: pd.DataFrame, path: Path) -> Path:
    """The headline: each claim's reversal share, and the part that is significant."""
    labels = [f"{p}\n{o}" for p, o in zip(headline["pair"], headline["outcome"], strict=True)]
    fig = Figure(figsize=(max(6.0, 0.8 * len(labels)), 4.2), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(labels))
    ax.bar(
        x,
        headline["reversal_share"],
        color="C3",
        alpha=0.45,
        label="reversal share (mean difference of the opposite sign)",
    )
    ax.bar(
        x, headline["reversed_share"], color="C3", label="of which the 95 % interval excludes zero"
    )
    ax.set_xticks(x, labels, fontsize="small")
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of the plausible space")
    ax.set_title("Where each claim reverses")
    ax.legend(fontsize="small")
    fig.savefig(path, dpi=120)
    return path


def analyze(
    spec: DiscoverySpec, design: list[pd.DataFrame], runs: pd.DataFrame, figures: Path
) -> dict[str, pd.DataFrame]:
    """Every claim's tables (concatenated) and figures; see the module docs."""
    parts: dict[str, list[Any]] = {
        "points": [],
        "headline": [],
        "boxes": [],
        "box_limits": [],
        "peeling": [],
    }
    for claim, frame in zip(spec.claims, design, strict=True):
        for key, values in analyze_claim(spec, claim, frame, runs, figures).items():
            parts[key].extend(values)
    tables = {
        "headline": pd.DataFrame(parts["headline"]),
        "points": pd.concat(parts["points"], ignore_index=True),
    }
    for key, first in (
        ("boxes", ["pair", "outcome", "box"]),
        ("box_limits", ["pair", "outcome", "box", "parameter"]),
        ("peeling", ["pair", "outcome", "box", "step"]),
    ):
        if parts[key]:
            tables[key] = _first_columns(pd.concat(parts[key], ignore_index=True), first)
    plot_reversal_shares(tables["headline"], figures / "reversal_shares.png")
    return tables


def headline_lines(folder: Path) -> list[str]:
    """One printed line per claim and outcome of a results folder: its reversal share."""
    headline = pd.read_parquet(Path(folder) / "summaries" / "headline.parquet")
    return [
        f"{r.pair} {r.outcome}: reverses in {r.reversal_share:.0%} of the plausible space "
        f"(classes: {r.reversed_share:.0%} reversed, {r.unclear_share:.0%} unclear, "
        f"{r.holds_share:.0%} holds, {r.no_effect_share:.0%} no effect; "
        f"{r.boxes} PRIM box(es))"
        for r in headline.itertuples()
    ]


# --------------------------------------------------------------------------- the verb
def run_discovery(
    spec: str | Path | DiscoverySpec,
    *,
    out: str | Path = "results",
    workers: int | None = None,
    dask: str | None = None,
    mpi: bool = False,
    resume: str | Path | None = None,
    progress: bool | None = True,
    allow_large: bool = False,
) -> Path:
    """``sixerrors discover [SPEC.toml]``: run, classify, find boxes; return the folder.

    The arguments are :func:`experiments.sweep.run_sweep`'s, with ``spec`` a
    path or a loaded :class:`DiscoverySpec`; so are the errors (failed
    runs: :class:`experiments.runner.TasksFailed`; the folder keeps what
    finished; resume it).
    """
    if isinstance(spec, str | Path):
        spec = load_discovery(spec)
    probe = None
    if spec.claims:  # the first claim's pair stands for all (they run the same model)
        first = spec.claims[0]
        base: dict[str, Any] = {
            "error": first.pair.error,
            "remedy": first.pair.remedy,
            "outcomes": first.outcomes,
            "overrides": dict(first.overrides),
        }
        probe = budget.Probe(paired_task, base)
    plan = budget.estimate(  # two runs (error and remedy) per task
        spec.samples * len(spec.claims),
        spec.replications,
        residents=spec.residents,
        steps=spec.steps,
        values_per_task=40,  # one summary row of a few dozen values
        local_workers=budget.local_workers(workers, cluster=bool(dask or mpi)),
        probe=probe,
        runs_per_task=2,
    )
    plan.check(spec.source, allow_large=allow_large)
    design = claim_designs(spec)
    settings = [
        s
        for claim, frame in zip(spec.claims, design, strict=True)
        for s in claim_settings(spec, claim, frame)
    ]
    tasks = make_tasks(settings, spec.replications)
    with choose_executor(workers, dask, mpi) as choice:
        store = open_or_create(
            spec,
            "discover",
            out,
            resume,
            executor=choice.description,
            options={},
            design_points=len(settings),
            tasks=len(tasks),
        )
        with run_session(store, tasks, executor=choice.description):
            budget.show(plan.with_workers(choice.workers), store.folder, progress)
            store.write_summary("design", pd.concat(design, ignore_index=True))
            runs = run_tasks(
                tasks,
                paired_task,
                store,
                executor=choice.executor,
                workers=choice.workers,
                progress=progress,
                root_seed=spec.seed,
                label=f"discover {store.folder.name}",
            )
            missing = len(settings) - (runs["point"].nunique() if len(runs) else 0)
            if missing:
                raise AnalysisError(
                    f"{missing} of {len(settings)} design points have no finished run; "
                    f"re-run with --resume {store.folder} to complete them before analysing"
                )
            store.write_summary("runs", runs)
            tables = analyze(spec, design, runs, store.folder / "figures")
            for name, table in tables.items():
                store.write_summary(name, table)
            headline = tables["headline"]
            keys = headline["pair"] + ":" + headline["outcome"]
            store.update_manifest(
                reversal_shares=dict(
                    zip(keys, headline["reversal_share"].astype(float), strict=True)
                )
            )
    return store.folder
