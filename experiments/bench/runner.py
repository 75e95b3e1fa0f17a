"""Benchmark of the experiment machinery: its overhead per task and the Sobol job's time.

Run as ``sixerrors bench runner`` or ``python -m experiments.bench.runner``.
Prints two figures the issue asks for:

1. **Framework overhead per task** (measured): thousands of near-zero tasks
   (:func:`experiments.tasks.probe_task`) through the local process pool
   and the store; overhead = (wall time - task time / workers) / tasks.
2. **The Sobol job** (10 factors counting the dummy, N = 256: 3,072 design
   points, 4 replicates, 2,000 residents, 260 steps): by default an
   ESTIMATE, extrapolated from a few measured model runs on all workers;
   with ``--full`` the job itself is run and timed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from typing import Any

from experiments import designs
from experiments.bench import bench_parser
from experiments.bench.model import ISSUE_MESA_RATE, mesa_epstein_rate
from experiments.helptext import non_negative_int, positive_int
from experiments.runner import default_workers, make_tasks, run_tasks
from experiments.specs import parse_sensitivity
from experiments.store import ResultsStore
from experiments.tasks import probe_task, simulate_task

SOBOL_FACTORS: tuple[str, ...] = (
    "tolerance",
    "repression",
    "control_share",
    "rights",
    "inflow_rate",
    "grievance_decay",
    "protest_threshold",
    "petition_threshold",
    "social_influence",
)
"""Nine model factors; with the dummy, the issue's ten parameters."""

BASE_SAMPLES = 256
REPLICATES = 4
RESIDENTS = 2000
STEPS = 260


def measure_overhead(tasks: int, workers: int) -> dict[str, float]:
    """Run ``tasks`` probe tasks; return wall time, task time and overhead per task."""
    with tempfile.TemporaryDirectory() as root:
        store = ResultsStore.create(root, "overhead", {"root_seed": 1})
        # Warm the pool's fork server and imports, which a real sweep pays once.
        run_tasks(
            make_tasks([{"rows": 1}] * 10, 1),
            probe_task,
            ResultsStore.create(root, "warm", {"root_seed": 1}),
            workers=workers,
            progress=False,
            collect=False,
        )
        start = time.perf_counter()
        run_tasks(
            make_tasks([{"rows": 1}] * tasks, 1),
            probe_task,
            store,
            workers=workers,
            progress=False,
            collect=False,
        )
        wall = time.perf_counter() - start
        work = float(store.run_table()["seconds"].sum())
    per_task = (wall - work / max(workers, 1)) / tasks
    return {"wall": wall, "work": work, "overhead_ms": per_task * 1000}


def sobol_spec() -> Any:
    """The benchmark's sensitivity spec, validated like a file would be."""
    doc = {
        "name": "bench_sobol",
        "method": "sobol",
        "regime": "baseline",
        "base_samples": BASE_SAMPLES,
        "replications": REPLICATES,
        "residents": RESIDENTS,
        "steps": STEPS,
        "seed": 2012,
        "factors": {name: {} for name in SOBOL_FACTORS},
    }
    return parse_sensitivity(doc, "bench_runner")


def sobol_tasks() -> int:
    """Number of model runs of the benchmark's Sobol job."""
    problem = designs.make_problem(SOBOL_FACTORS)
    points = BASE_SAMPLES * designs.sobol_rows_per_base(problem, second_order=False)
    return points * REPLICATES


def estimate_sobol(runs: int, workers: int) -> dict[str, float]:
    """Time ``runs`` model runs at full size on ``workers`` workers and extrapolate."""
    with tempfile.TemporaryDirectory() as root:
        store = ResultsStore.create(root, "estimate", {"root_seed": 1})
        settings = {
            "regime": "baseline",
            "steps": STEPS,
            "residents": RESIDENTS,
            "overrides": {},
            "record": "summary",
        }
        tasks = make_tasks([settings] * runs, 1)
        start = time.perf_counter()
        run_tasks(tasks, simulate_task, store, workers=workers, batch_size=1, progress=False)
        wall = time.perf_counter() - start
        per_run = float(store.run_table()["seconds"].mean())
    total = sobol_tasks()
    return {
        "wall": wall,
        "per_run": per_run,
        "throughput": runs / wall,
        "estimate_s": total / (runs / wall),
    }


def build_parser() -> argparse.ArgumentParser:
    """The options of ``sixerrors bench runner``."""
    parser = bench_parser("runner", __doc__)
    parser.add_argument(
        "--workers",
        type=non_negative_int,
        default=default_workers(),
        metavar="W",
        help="local worker processes (the default is one per core)",
    )
    parser.add_argument(
        "--tasks", type=positive_int, default=5000, metavar="N", help="near-zero probe tasks timed"
    )
    parser.add_argument(
        "--runs",
        type=positive_int,
        default=4,
        metavar="N",
        help="model runs timed for the estimate",
    )
    parser.add_argument(
        "--full", action="store_true", help="run and time the whole Sobol job instead"
    )
    parser.add_argument(
        "--out", default="results", metavar="DIR", help="results root of the --full job"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Print the overhead and the Sobol timing (estimated, or measured with ``--full``)."""
    args = build_parser().parse_args(argv)

    o = measure_overhead(args.tasks, args.workers)
    print(
        f"framework overhead: {o['overhead_ms']:.2f} ms per task (measured: {args.tasks} "
        f"near-zero tasks on {args.workers} workers in {o['wall']:.2f} s; target < 5 ms)"
    )
    total = sobol_tasks()
    if args.full:
        from experiments.sensitivity import run_sensitivity  # noqa: PLC0415 - heavy, only here

        # The machine's speed that day, as Mesa's own example runs on it.
        before = mesa_epstein_rate()
        start = time.perf_counter()
        folder = run_sensitivity(sobol_spec(), out=args.out, workers=args.workers)
        minutes = (time.perf_counter() - start) / 60
        after = mesa_epstein_rate()
        print(f"Sobol job: {total} runs finished in {minutes:.1f} min (MEASURED) -> {folder}")
        if before and after:
            print(
                f"  Mesa's Epstein example on this machine before/after: {before:,.0f} / "
                f"{after:,.0f} agent-steps/s (it ran {ISSUE_MESA_RATE:,} when the target "
                f"was set)"
            )
        return 0
    e = estimate_sobol(args.runs, args.workers)
    print(
        f"model run at {RESIDENTS} residents x {STEPS} steps: {e['per_run']:.2f} s each "
        f"(measured over {args.runs} runs), {e['throughput']:.2f} runs/s on "
        f"{args.workers} workers"
    )
    print(
        f"Sobol job (10 factors incl. dummy, N={BASE_SAMPLES}: "
        f"{total // REPLICATES} points x {REPLICATES} replicates = {total} runs): "
        f"ESTIMATE {e['estimate_s'] / 60:.0f} min on {args.workers} workers "
        f"(target < 20 min; extrapolated, not measured; run --full to measure)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
