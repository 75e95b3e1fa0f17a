"""Benchmark: Mesa's Epstein example against the ``mesa`` preset of CivilViolence.

Both run in this one process with the same parameters (Mesa's defaults) at each
lattice size; the table gives agent-steps per second and their ratio. Mesa's
example is built with an explicit ``rng`` because its scenario is otherwise
unseeded. Each step is timed on its own after one untimed warm-up step (which
also loads the compiled kernel), and the median step time is reported, so a
burst of load from other processes on a shared machine does not decide the
ratio. Both models are single-threaded, so by default steps are timed in
process CPU time (``--clock cpu``), which leaves out the time spent waiting
for a core on a busy machine; ``--clock wall`` times them by the wall clock.
At 200x200 a Mesa step takes seconds, so few of its steps are timed.

Usage::

    python -m experiments.bench.epstein [--sizes 40,100,200] [--steps N] [--clock cpu|wall]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable

from experiments.bench import bench_parser
from experiments.helptext import positive_int, positive_ints
from model.epstein import CivilViolence

CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.process_time, "wall": time.perf_counter}


def _time_steps(step: Callable[[], None], steps: int, clock: Callable[[], float]) -> float:
    """Median seconds per step over ``steps`` steps, after one untimed warm-up step."""
    step()
    times = []
    for _ in range(steps):
        start = clock()
        step()
        times.append(clock() - start)
    return statistics.median(times)


def bench_size(
    size: int, steps: int, mesa_steps: int, seed: int = 1, clock: str = "cpu"
) -> tuple[int, float, float, float, float]:
    """Agent-steps per second of Mesa's example and of ours at one size.

    Returns:
        Number of agents, Mesa's agent-steps per second, ours, and the two
        median step times in seconds (Mesa's, ours).
    """
    from mesa.examples.advanced.epstein_civil_violence.model import (  # noqa: PLC0415
        EpsteinCivilViolence,
        EpsteinScenario,
    )

    theirs = EpsteinCivilViolence(width=size, height=size, scenario=EpsteinScenario(rng=seed))
    n_theirs = len(theirs.agents)
    mesa_step = _time_steps(theirs.step, mesa_steps, CLOCKS[clock])
    # Mesa's agents and cells are many Python objects: drop them so that the
    # garbage collector does not walk them while ours is timed.
    del theirs
    gc.collect()
    ours = CivilViolence(preset="mesa", width=size, height=size, rng=seed)
    n_ours = len(ours.pos)
    our_step = _time_steps(ours.step, steps, CLOCKS[clock])
    return n_ours, n_theirs / mesa_step, n_ours / our_step, mesa_step, our_step


def build_parser() -> argparse.ArgumentParser:
    """The options of ``sixerrors bench epstein``."""
    parser = bench_parser("epstein", __doc__)
    parser.add_argument(
        "--sizes",
        type=positive_ints,
        default="40,100,200",
        metavar="L,L,...",
        help="comma-separated lattice sides",
    )
    parser.add_argument(
        "--steps",
        type=positive_int,
        default=20,
        metavar="T",
        help="timed steps of Mesa's model (fewer on large lattices)",
    )
    parser.add_argument(
        "--our-steps",
        type=positive_int,
        default=200,
        metavar="T",
        help="timed steps of ours (cheap, so more)",
    )
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="cpu",
        help="timer: process CPU time (leaves out waiting for a core) or wall time",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    """Print the table: size, agents, step times, agent-steps/s, ratio."""
    args = build_parser().parse_args(argv)
    sizes = list(args.sizes)
    print(
        f"{'size':>9} {'agents':>7} {'mesa ms':>9} {'ours ms':>8}"
        f" {'mesa a-s/s':>11} {'ours a-s/s':>11} {'ratio':>7}"
    )
    for size in sizes:
        # Mesa's cost per agent grows with the lattice: time fewer of its steps.
        mesa_steps = max(3, min(int(args.steps), 40_000 // (size * size) * 5))
        agents, mesa_rate, our_rate, mesa_s, our_s = bench_size(
            size, int(args.our_steps), mesa_steps, clock=str(args.clock)
        )
        print(
            f"{size:>4}x{size:<4} {agents:>7} {mesa_s * 1e3:>9.2f} {our_s * 1e3:>8.3f}"
            f" {mesa_rate:>11,.0f} {our_rate:>11,.0f} {our_rate / mesa_rate:>7.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
