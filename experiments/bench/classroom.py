"""Benchmark: one classroom tick (a step of both models plus the redraw).

The classroom must feel smooth at 2,000 residents: each tick of Play steps
both sides and redraws both networks and both chart panels. This measures
exactly that work on the server (the same :class:`ClassroomPair` and
:class:`SideDrawing` the app uses), without the browser's share (decoding
four PNGs, a few milliseconds). Run ``python -m experiments.bench.classroom``
or ``sixerrors bench classroom``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence

from experiments.bench import bench_parser
from experiments.classroom.drawing import SideDrawing
from experiments.classroom.pair import ClassroomPair, PairChoice
from experiments.helptext import non_negative_int, positive_int


def measure(
    error: int = 1, residents: int = 2000, warmup: int = 20, ticks: int = 40, seed: int = 42
) -> dict[str, list[float]]:
    """Milliseconds per tick: ``step`` (both models), ``draw`` (both sides), ``tick``.

    The first ``warmup`` ticks are not timed: they include building the
    figures' static backgrounds, which happens once per model.
    """
    choice = PairChoice.of_error(error)
    pair = ClassroomPair(choice.left, choice.right, error, seed=seed, n_residents=residents)
    colours = ("#c0392b", "#1e8449")
    drawings = [SideDrawing(side, c) for side, c in zip(pair.sides, colours, strict=True)]
    timings: dict[str, list[float]] = {"step": [], "draw": [], "tick": []}
    for i in range(warmup + ticks):
        started = time.perf_counter()
        pair.step()
        stepped = time.perf_counter()
        drawings[0].draw(pair.sides[1])
        drawings[1].draw(pair.sides[0])
        done = time.perf_counter()
        if i >= warmup:
            timings["step"].append(1000 * (stepped - started))
            timings["draw"].append(1000 * (done - stepped))
            timings["tick"].append(1000 * (done - started))
    return timings


def build_parser() -> argparse.ArgumentParser:
    """The options of ``sixerrors bench classroom``."""
    parser = bench_parser("classroom", __doc__)
    parser.add_argument(
        "--error",
        type=int,
        default=None,
        choices=range(1, 7),
        metavar="N",
        help="one error pair, 1 to 6 (default: all six)",
    )
    parser.add_argument(
        "--residents", type=positive_int, default=2000, metavar="N", help="residents of each side"
    )
    parser.add_argument(
        "--warmup",
        type=non_negative_int,
        default=20,
        metavar="N",
        help="ticks not timed first (they build the figures' backgrounds)",
    )
    parser.add_argument("--ticks", type=positive_int, default=40, metavar="N", help="ticks timed")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Print the median, 90th percentile and worst tick in milliseconds."""
    args = build_parser().parse_args(argv)
    errors = [args.error] if args.error else list(range(1, 7))
    print(f"classroom tick at {args.residents} residents: both models step, both sides redraw")
    print(f"{'error':>5} {'part':>5} {'median':>8} {'p90':>8} {'worst':>8}  (ms)")
    for error in errors:
        timings = measure(error, args.residents, args.warmup, args.ticks)
        for part, values in timings.items():
            ordered = sorted(values)
            p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
            median = statistics.median(values)
            print(f"{error:>5} {part:>5} {median:8.1f} {p90:8.1f} {ordered[-1]:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
