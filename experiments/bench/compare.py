"""Benchmark: wall time of ``sixerrors compare`` with its defaults.

The issue's target is under a minute on a 2-core machine for the default
comparison (every regime, every error pair, tables, figures and the HTML
report). The command runs in a fresh process, exactly as a user types it, so
the time includes importing the model, starting workers and writing the
report: what the user waits for.

Usage::

    python -m experiments.bench.compare            # the defaults
    python -m experiments.bench.compare --check    # exit 1 if over 60 s
    python -m experiments.bench.compare --replications 2 --steps 10   # smaller
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence

from experiments.bench import bench_parser
from experiments.helptext import non_negative_int, positive_int

TARGET_SECONDS = 60.0


def build_parser() -> argparse.ArgumentParser:
    """The options of ``sixerrors bench compare``: those of ``sixerrors compare`` it passes on."""
    parser = bench_parser("compare", __doc__)
    for option, metavar, what in (
        ("replications", "R", "paired replications per scenario"),
        ("steps", "T", "weekly steps per run"),
        ("residents", "N", "residents per run"),
        ("workers", "W", "local worker processes"),
    ):
        parser.add_argument(
            f"--{option}",
            type=non_negative_int if option == "workers" else positive_int,
            default=None,
            metavar=metavar,
            help=f"{what} (default: sixerrors compare's own)",
        )
    parser.add_argument(
        "--check",
        action="store_true",
        help=f"exit 1 if it takes longer than {TARGET_SECONDS:.0f} s",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Time one default comparison and print the seconds; return an exit status."""
    args = build_parser().parse_args(argv)
    command = [sys.executable, "-m", "experiments.cli", "compare"]
    for option in ("replications", "steps", "residents", "workers"):
        value = getattr(args, option)
        if value is not None:
            command += [f"--{option}", str(value)]
    with tempfile.TemporaryDirectory(prefix="sixerrors-bench-") as out:
        start = time.perf_counter()
        done = subprocess.run([*command, "--out", out], capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
    if done.returncode != 0:
        # The comparison's own last line says what failed; its status is passed on
        # (2 for bad input), so a script can tell bad input from a slow machine.
        print(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else
              f"sixerrors compare failed (exit {done.returncode})", file=sys.stderr)  # fmt: skip
        return done.returncode
    shown = " ".join(command[3:]) or "compare"
    print(f"sixerrors {shown}: {seconds:.1f} seconds (target < {TARGET_SECONDS:.0f} s on 2 cores)")
    return 1 if args.check and seconds > TARGET_SECONDS else 0


if __name__ == "__main__":
    sys.exit(main())
