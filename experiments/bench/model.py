"""Benchmark of the model's speed and memory, from 1,000 to a million residents.

Run as ``sixerrors bench model``. Prints, for each population size, the time
to build the model, resident-steps per second and peak memory, each size
measured in a fresh process so that its peak memory is its own; then the two
targets of the core model (a 2,000-resident, 260-step run under 0.2 s; a
million residents for 100 steps under 30 s and 3 GiB) with their ratios;
and, for scale, the agent-steps per second of Mesa's own Epstein example
measured in the same run.

Usage: ``python -m experiments.bench.model [--sizes 1000,10000,100000,1000000]
[--steps N] [--regime NAME] [--quick]``. Timings on a shared machine are
noisy: compare ratios measured in one run, and repeat.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any

from experiments.bench import bench_parser
from experiments.helptext import positive_int, positive_ints

GIB = 1024**3
ISSUE_MESA_RATE = 25_000
"""Agent-steps/s of Mesa's Epstein example on these machines when the targets were set."""


def measure(n: int, steps: int, regime: str) -> dict[str, float]:
    """Build and run one model in this process; return timings and peak memory."""
    from model import SocialManagementModel  # noqa: PLC0415 (only the child pays for it)

    # Load every compiled pass the run may call (organizations included) from
    # the cache, so that the timing is the run's, not the loading's.
    warm = SocialManagementModel(
        regime,
        n_residents=300,
        rng=0,
        inflow_rate=0.5,
        org_founding_grievance=0.0,
        org_founding_rate=0.05,
    )
    warm.run_for(5)
    start = time.perf_counter()
    model = SocialManagementModel(regime, n_residents=n, rng=1)
    built = time.perf_counter()
    model.run_for(steps)
    ran = time.perf_counter()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "n": n,
        "steps": steps,
        "build_s": built - start,
        "run_s": ran - built,
        "total_s": ran - start,
        "resident_steps_per_s": n * steps / (ran - built),
        "peak_gib": peak_kib * 1024 / GIB,
    }


def in_child(n: int, steps: int, regime: str) -> dict[str, float]:
    """Run :func:`measure` in a fresh interpreter (its own peak memory)."""
    out = subprocess.run(
        [sys.executable, "-m", "experiments.bench.model", "--child", str(n), str(steps), regime],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def mesa_epstein_rate(steps: int = 5) -> float | None:
    """Agent-steps per second of Mesa's own Epstein example at 40 x 40."""
    try:
        from mesa.examples.advanced.epstein_civil_violence.model import (  # noqa: PLC0415
            EpsteinCivilViolence,
            EpsteinScenario,
        )
    except ImportError:
        return None
    model = EpsteinCivilViolence(width=40, height=40, scenario=EpsteinScenario(rng=1))
    model.step()
    agents = len(model.agents)
    start = time.perf_counter()
    for _ in range(steps):
        model.step()
    return agents * steps / (time.perf_counter() - start)


def build_parser() -> argparse.ArgumentParser:
    """The options of ``sixerrors bench model``."""
    parser = bench_parser("model", __doc__)
    parser.add_argument(
        "--sizes",
        type=positive_ints,
        default="1000,10000,100000,1000000",
        metavar="N,N,...",
        help="comma-separated numbers of residents, each measured in a fresh process",
    )
    parser.add_argument(
        "--steps", type=positive_int, default=100, metavar="T", help="steps per size"
    )
    parser.add_argument("--regime", default="baseline", metavar="NAME", help="the regime run")
    parser.add_argument(
        "--quick", action="store_true", help="1,000 and 10,000 residents only (a smoke test)"
    )
    parser.add_argument(
        "--child", nargs=3, metavar=("N", "STEPS", "REGIME"), help=argparse.SUPPRESS
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table and the target ratios."""
    args = build_parser().parse_args(argv)
    if args.child:
        print(json.dumps(measure(int(args.child[0]), int(args.child[1]), args.child[2])))
        return 0
    sizes = [1000, 10_000] if args.quick else list(args.sizes)
    print(f"sixerrors model benchmark, regime {args.regime}, {args.steps} steps per size")
    print(f"{'residents':>10} {'build s':>8} {'run s':>8} {'resident-steps/s':>17} {'peak GiB':>9}")
    rows: list[dict[str, Any]] = []
    for n in sizes:
        row = in_child(n, args.steps, args.regime)
        rows.append(row)
        print(
            f"{n:>10,} {row['build_s']:>8.2f} {row['run_s']:>8.2f} "
            f"{row['resident_steps_per_s']:>17,.0f} {row['peak_gib']:>9.2f}"
        )
    print("\ntargets")
    small = min((in_child(2000, 260, args.regime) for _ in range(3)), key=lambda r: r["total_s"])
    print(
        f"  2,000 residents x 260 steps: {small['total_s']:.3f} s (build + run, best of 3); "
        f"target 0.2 s -> {0.2 / small['total_s']:.2f}x the target speed"
    )
    if not args.quick:
        big = next((r for r in rows if r["n"] == 1_000_000 and r["steps"] == 100), None)
        if big is None:
            big = in_child(1_000_000, 100, args.regime)
        print(
            f"  1,000,000 residents x 100 steps: {big['total_s']:.1f} s, "
            f"peak {big['peak_gib']:.2f} GiB; targets 30 s and 3 GiB -> "
            f"{30 / big['total_s']:.2f}x time, {3 / big['peak_gib']:.2f}x memory"
        )
    mesa_rate = mesa_epstein_rate()
    if mesa_rate:
        ours = small["resident_steps_per_s"]
        print(
            f"\nfor scale: Mesa's Epstein example, 40 x 40, {mesa_rate:,.0f} agent-steps/s; "
            f"this model at 2,000 residents {ours:,.0f} resident-steps/s ({ours / mesa_rate:.0f}x)"
        )
        # The same machines run at different speeds from day to day (Mesa's
        # example: 10,000-25,000 agent-steps/s). The 0.2 s target was set
        # when it ran about 25,000; as a ratio to Mesa measured now, it reads:
        needed = 2000 * 260 / 0.2 / ISSUE_MESA_RATE
        achieved = 2000 * 260 / small["total_s"] / mesa_rate
        print(
            f"  machine-speed-independent: the 0.2 s target is {needed:.0f}x the rate of "
            f"Mesa's example (set when it ran {ISSUE_MESA_RATE:,} agent-steps/s here); "
            f"measured side by side now, build included: {achieved:.0f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
