"""Benchmark of scenario discovery: the six pairs' discovery job against its target time.

Run as ``sixerrors bench discover``. The issue's target: ``sixerrors
discover`` for all six pairs at 2,000 residents and 260 steps, 256 design
points x 2 regimes x 4 replicates (12,288 model runs), finishes in under 15
minutes on a 2-core machine, analysis included (the shipped
``experiments/scenarios/discover.toml``).

By default the figure is an ESTIMATE: a few paired tasks at full size are
timed on all workers and extrapolated, and the analysis (classes, PRIM,
tables, figures) is MEASURED on made-up differences of the full design's
size. ``--full`` runs and times the whole job. Either way the speed of
Mesa's own Epstein example is printed beside it, since these machines'
speed varies from day to day.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.bench import bench_parser
from experiments.bench.model import ISSUE_MESA_RATE, mesa_epstein_rate
from experiments.discover import analyze, claim_designs, claim_settings, run_discovery
from experiments.helptext import non_negative_int, positive_int
from experiments.runner import default_workers, local_pool, make_tasks, run_tasks
from experiments.specs import DEFAULT_DISCOVERY, DiscoverySpec, load_discovery
from experiments.store import ResultsStore
from experiments.tasks import paired_task

TARGET_MINUTES = 15.0


def model_runs(spec: DiscoverySpec) -> int:
    """Model runs of a discovery job: points x replicates x 2 regimes, over pairs."""
    return spec.samples * spec.replications * len(spec.claims) * 2


def time_paired_tasks(spec: DiscoverySpec, tasks: int, workers: int) -> float:
    """Paired tasks per second at the spec's full size (the first design points of each pair).

    The pool is warmed first with one tiny task per worker: a real job pays
    the workers' start once, not once per few tasks.
    """
    designs = claim_designs(spec)
    settings = [
        claim_settings(spec, c, d.head(1))[0] for c, d in zip(spec.claims, designs, strict=True)
    ]
    chosen = [settings[i % len(settings)] for i in range(tasks)]
    tiny = [{**settings[0], "residents": 50, "steps": 2}] * max(workers, 1)
    with tempfile.TemporaryDirectory() as root, local_pool(max(workers, 1)) as pool:
        for name, batch in (("warm", tiny), ("estimate", chosen)):
            store = ResultsStore.create(root, name, {"root_seed": spec.seed})
            start = time.perf_counter()
            run_tasks(
                make_tasks(batch, 1),
                paired_task,
                store,
                executor=pool,
                workers=workers,
                batch_size=1,
                progress=False,
                collect=False,
            )
        return tasks / (time.perf_counter() - start)


def time_analysis(spec: DiscoverySpec) -> float:
    """Seconds of the analysis on made-up paired differences of the full design's size."""
    designs = claim_designs(spec)
    rng = np.random.default_rng(1)
    points = np.concatenate([d["point"].to_numpy() for d in designs])
    runs = pd.DataFrame(
        {
            "task_id": np.arange(points.size * spec.replications),
            "point": np.repeat(points, spec.replications),
            "replicate": np.tile(np.arange(spec.replications), points.size),
        }
    )
    outcomes = {o for claim in spec.claims for o in claim.outcomes}
    for outcome in sorted(outcomes):
        runs[f"diff_{outcome}_{spec.statistic}"] = rng.normal(0.01, 0.02, len(runs))
    with tempfile.TemporaryDirectory() as root:
        start = time.perf_counter()
        analyze(spec, designs, runs, Path(root))
        return time.perf_counter() - start


def build_parser() -> argparse.ArgumentParser:
    """The options of ``sixerrors bench discover``."""
    parser = bench_parser("discover", __doc__)
    parser.add_argument(
        "--workers",
        type=non_negative_int,
        default=default_workers(),
        metavar="W",
        help="local worker processes (the default is one per core)",
    )
    parser.add_argument(
        "--tasks",
        type=positive_int,
        default=16,
        metavar="N",
        help="paired tasks timed for the estimate",
    )
    parser.add_argument(
        "--full", action="store_true", help="run and time the whole discovery job instead"
    )
    parser.add_argument(
        "--out", default="results", metavar="DIR", help="results root of the --full job"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Print the discovery job's time (estimated, or measured with ``--full``)."""
    args = build_parser().parse_args(argv)
    spec = load_discovery(DEFAULT_DISCOVERY)
    runs = model_runs(spec)
    before = mesa_epstein_rate()
    if args.full:
        start = time.perf_counter()
        folder = run_discovery(spec, out=args.out, workers=args.workers)
        minutes = (time.perf_counter() - start) / 60
        kind = "MEASURED"
        print(
            f"discover ({len(spec.claims)} pairs x {spec.samples} points x "
            f"{spec.replications} replicates x 2 regimes = {runs:,} runs at "
            f"{spec.residents:,} residents x {spec.steps} steps): {minutes:.1f} min end to "
            f"end on {args.workers} workers ({runs / (minutes * 60):.1f} runs/s) -> {folder}"
        )
    else:
        rate = time_paired_tasks(spec, args.tasks, args.workers)
        analysis = time_analysis(spec)
        minutes = (runs / 2 / rate + analysis) / 60
        kind = "ESTIMATE"
        print(
            f"paired task (2 runs) at {spec.residents:,} residents x {spec.steps} steps: "
            f"{rate:.2f} tasks/s on {args.workers} workers (measured over {args.tasks})"
        )
        print(
            f"analysis (classes, PRIM, tables, figures) on the full design's size: "
            f"{analysis:.1f} s (measured)"
        )
        print(
            f"discover ({runs:,} runs): ESTIMATE {minutes:.1f} min on {args.workers} "
            "workers (runs extrapolated, analysis measured; run --full to measure)"
        )
    after = mesa_epstein_rate()
    print(
        f"  {kind}: {minutes:.1f} min against the target of {TARGET_MINUTES:.0f} min "
        f"(ratio {minutes / TARGET_MINUTES:.2f})"
    )
    if before and after:
        print(
            f"  Mesa's Epstein example on this machine before/after: {before:,.0f} / "
            f"{after:,.0f} agent-steps/s (it ran {ISSUE_MESA_RATE:,} when the targets were set)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
