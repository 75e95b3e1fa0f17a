"""Benchmark: Mesa's Epstein example against the ``mesa`` preset of CivilViolence.

Both run in this one process with the same parameters (Mesa's defaults) at each
lattice size; the table gives agent-steps per second and their ratio. Mesa's
example is built with an explicit ``rng`` because its scenario is otherwise
unseeded. At 200x200 a Mesa step takes seconds, so few steps are timed there.

Usage::

    python -m experiments.bench_epstein [--sizes 40,100,200] [--steps N]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from model.epstein import CivilViolence


def _time_steps(step: Callable[[], None], steps: int) -> float:
    """Seconds per step, after one untimed warm-up step."""
    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


def bench_size(size: int, steps: int, mesa_steps: int, seed: int = 1) -> tuple[int, float, float]:
    """Agent-steps per second of Mesa's example and of ours at one size.

    Returns:
        Number of agents, Mesa's agent-steps per second, ours.
    """
    from mesa.examples.advanced.epstein_civil_violence.model import (  # noqa: PLC0415
        EpsteinCivilViolence,
        EpsteinScenario,
    )

    theirs = EpsteinCivilViolence(width=size, height=size, scenario=EpsteinScenario(rng=seed))
    n_theirs = len(theirs.agents)
    mesa_rate = n_theirs / _time_steps(theirs.step, mesa_steps)
    ours = CivilViolence(preset="mesa", width=size, height=size, rng=seed)
    n_ours = len(ours.pos)
    our_rate = n_ours / _time_steps(ours.step, steps)
    return n_ours, mesa_rate, our_rate


def main(argv: list[str] | None = None) -> None:
    """Print the table: size, agents, Mesa and ours in agent-steps/s, ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="40,100,200", help="comma-separated lattice sides")
    parser.add_argument("--steps", type=int, default=20, help="timed steps of our model")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in str(args.sizes).split(",") if s]
    print(f"{'size':>9} {'agents':>7} {'mesa a-s/s':>12} {'ours a-s/s':>12} {'ratio':>7}")
    for size in sizes:
        # Mesa's cost per agent grows with the lattice: time fewer of its steps.
        mesa_steps = max(2, min(int(args.steps), 40_000 // (size * size) * 5))
        agents, mesa_rate, our_rate = bench_size(size, int(args.steps), mesa_steps)
        print(
            f"{size:>4}x{size:<4} {agents:>7} {mesa_rate:>12,.0f} {our_rate:>12,.0f}"
            f" {our_rate / mesa_rate:>7.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
