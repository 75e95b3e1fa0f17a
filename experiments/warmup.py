"""Compile and cache the model's compiled loops once, at set-up.

The submodels' hot loops are compiled by numba on first use and cached on
disk (``model/jit.py``). Compiling takes tens of seconds; ``scripts/setup.sh``
runs this module once so that the first ``sixerrors compare`` (and each of
its worker processes) loads compiled code instead of compiling it again.

Run: ``python -m experiments.warmup``.
"""

from __future__ import annotations

import sys
import time

from model import REGIMES, CivilViolence, simulate
from model.jit import PARALLEL_FROM
from model.outcomes import GINI_BINS


def main() -> int:
    """Run every regime briefly, and the reference mode, to fill the cache."""
    start = time.perf_counter()
    for name in REGIMES:
        # Small, aggrieved worlds reach every code path: petitions, protests,
        # detentions, incidents, organizations, the grid.
        simulate(name, steps=30, n_residents=400, seed=1, inflow_rate=0.5)
    simulate("baseline", steps=5, n_residents=200, seed=1, grievance_mode="epstein")
    # The parallel versions of the passes over every resident, and the
    # binned Gini (large models); organizations founded at once, so that
    # the recruitment passes run too.
    simulate(
        "shared_governance",
        steps=3,
        n_residents=max(PARALLEL_FROM, GINI_BINS + 1),
        seed=1,
        inflow_rate=0.5,
        org_founding_grievance=0.0,
        org_founding_rate=0.001,
    )
    CivilViolence(preset="mesa", width=12, height=12, rng=1).run_for(3)
    print(f"warmup: compiled code cached in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
