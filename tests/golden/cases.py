"""The golden-value cases: small runs whose outcomes are pinned.

Shared by the regression test and the refresh script, so the two cannot
disagree about what is pinned.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from model import REGIMES, simulate

VALUES = Path(__file__).with_name("values.csv")
STEPS = 60
RESIDENTS = 400
SEED = 2024


def compute() -> pd.DataFrame:
    """Final-step and time-averaged outcomes of every regime, one row each."""
    rows = {}
    for name in REGIMES:
        table = simulate(name, steps=STEPS, n_residents=RESIDENTS, seed=SEED)
        final = table.iloc[-1].add_prefix("final_")
        mean = table.mean().add_prefix("mean_")
        rows[name] = pd.concat([final, mean])
    return pd.DataFrame(rows).T.sort_index()
