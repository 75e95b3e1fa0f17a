"""Made-up ``sixerrors discover`` and ``sixerrors compare`` folders with known answers.

The findings refresher writes sentences and presets from a discovery's
tables; these folders plant each case it must handle, so the tests can
say exactly what it should write without running the model:

* error 1: a PRIM box on ``cadre_capacity`` (2–4) and ``mean_degree``
  (10–16, an integer parameter), with ``claims_weight`` unrestricted and
  a lever row that must be ignored; preset ``cadre_capacity = 3.0``,
  ``mean_degree = 13``.
* error 2: reversals where ``participation_capture`` is high, but no box;
  the preset is the sampled world that reversed most.
* error 3: no reversal on trust or grievance; no preset.
* error 4: trust never reverses, grievance does, in a box on ``release``
  (0.8–1.0); preset ``release = 0.9``.
* error 6: trust never reverses but weakens where ``grid_staff_cost`` is
  low: a box sought where the claim is not borne out (``target``
  "failure"); preset its middle.

Errors 5 and 1b are not searched, so their hand-written text must stay.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

N = 40
BOX_PRESET_1 = {"cadre_capacity": 3.0, "mean_degree": 13}
BOX_PRESET_4 = {"release": 0.9}
DISCOVERY_COMMIT = "b" * 40
COMPARE_COMMIT = "c" * 40


def _points(
    pair: str, outcome: str, sign: int, factors: dict[str, Any], means: Any
) -> pd.DataFrame:
    frame = pd.DataFrame({"pair": pair, "outcome": outcome, "point": np.arange(N), **factors})
    frame["n"] = 4
    frame["mean"] = np.asarray(means, dtype=float)
    frame["sd"] = 0.01
    frame["ci_low"] = frame["mean"] - 0.005
    frame["ci_high"] = frame["mean"] + 0.005
    reversal = frame["mean"] * sign < 0
    frame["class"] = np.where(reversal, "reversed", "holds")
    frame["reversal"] = reversal
    return frame


def _headline(points: pd.DataFrame, sign: int, boxes: int) -> dict[str, Any]:
    share = float(points["reversal"].mean())
    return {
        "pair": points["pair"].iloc[0],
        "outcome": points["outcome"].iloc[0],
        "expected": sign,
        "points": N,
        "defined_points": N,
        "reversal_share": share,
        "holds_share": 1 - share,
        "reversed_share": share,
        "unclear_share": 0.0,
        "no_effect_share": 0.0,
        "boxes": boxes,
    }


def _limits(
    pair: str, outcome: str, rows: list[tuple[str, float, float, bool, float, float]]
) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "pair": pair,
                "outcome": outcome,
                "box": 1,
                "parameter": name,
                "low": low,
                "high": high,
                "restricted": restricted,
                "quasi_p": 0.01 if restricted else np.nan,
                "range_low": range_low,
                "range_high": range_high,
            }
            for name, low, high, restricted, range_low, range_high in rows
        ]
    )


def _box(pair: str, outcome: str, coverage: float, density: float) -> dict[str, Any]:
    return {
        "pair": pair,
        "outcome": outcome,
        "box": 1,
        "coverage": coverage,
        "density": density,
        "mass": 0.2,
        "restricted": 2,
        "points": 8,
        "cases": 7,
        "step": 10,
        "meets_min_density": True,
    }


def make_discovery(folder: Path) -> Path:
    """Write the made-up discovery folder (see the module docstring) and return it."""
    rng = np.random.default_rng(3)
    points, headline, boxes, limits = [], [], [], []

    # error 1: reversals where few cases per cadre and many ties, and a box around them.
    f1 = {
        "cadre_capacity": rng.uniform(2, 8, N),
        "mean_degree": rng.integers(4, 21, N),
        "claims_weight": rng.uniform(0, 0.3, N),
    }
    inside = (f1["cadre_capacity"] < 4) & (f1["mean_degree"] >= 10)
    for outcome, sign in (("mean_legitimacy", 1), ("mean_grievance", -1)):
        p = _points("error_1", outcome, sign, f1, np.where(inside, -0.02, 0.03) * sign)
        points.append(p)
        headline.append(_headline(p, sign, 1))
        boxes.append(_box("error_1", outcome, 0.9, 0.85))
        limits.append(
            _limits(
                "error_1",
                outcome,
                [
                    ("cadre_capacity", 2.0, 4.0, True, 2.0, 8.0),
                    ("mean_degree", 10.0, 16.0, True, 4.0, 20.0),
                    ("claims_weight", 0.0, 0.3, False, 0.0, 0.3),
                    ("tolerance", 0.3, 0.5, True, 0.25, 1.0),  # a lever: never in a preset
                ],
            )
        )

    # error 2: reversals where capture is high; PRIM found no box.
    f2 = {"planner_bias": rng.uniform(0.25, 1, N), "participation_capture": rng.uniform(0, 2, N)}
    for outcome, sign in (("mean_legitimacy", 1), ("mean_grievance", -1)):
        diff = (1.5 - f2["participation_capture"]) * 0.01 * sign
        p = _points("error_2", outcome, sign, f2, diff)
        points.append(p)
        headline.append(_headline(p, sign, 0))

    # error 3: the claim holds everywhere.
    f3 = {"org_mobilization": rng.uniform(0, 0.8, N)}
    for outcome, sign in (("mean_legitimacy", 1), ("mean_grievance", -1)):
        p = _points("error_3", outcome, sign, f3, np.full(N, 0.01 * sign))
        points.append(p)
        headline.append(_headline(p, sign, 0))

    # error 4: trust holds everywhere, grievance reverses where release is high.
    f4 = {"release": rng.uniform(0.25, 1, N), "resolution": rng.uniform(0.25, 1, N)}
    p = _points("error_4", "mean_legitimacy", 1, f4, np.full(N, 0.02))
    points.append(p)
    headline.append(_headline(p, 1, 0))
    p = _points("error_4", "mean_grievance", -1, f4, np.where(f4["release"] > 0.8, 0.01, -0.02))
    points.append(p)
    headline.append(_headline(p, -1, 1))
    boxes.append(_box("error_4", "mean_grievance", 0.95, 0.9))
    limits.append(
        _limits(
            "error_4",
            "mean_grievance",
            [("release", 0.8, 1.0, True, 0.25, 1.0), ("resolution", 0.25, 1.0, False, 0.25, 1.0)],
        )
    )

    # error 6: trust never reverses, but weakens where grid staff are cheap (a "failure" box).
    f6 = {"grid_staff_cost": rng.uniform(0.002, 0.05, N)}
    p = _points(
        "error_6", "mean_legitimacy", 1, f6, np.where(f6["grid_staff_cost"] < 0.01, 1e-4, 0.05)
    )
    weak = f6["grid_staff_cost"] < 0.01
    p.loc[weak, "class"] = "unclear"
    points.append(p)
    headline.append(_headline(p, 1, 1))
    boxes.append(_box("error_6", "mean_legitimacy", 0.9, 0.95) | {"target": "failure"})
    limits.append(
        _limits(
            "error_6",
            "mean_legitimacy",
            [("grid_staff_cost", 0.002, 0.01, True, 0.002, 0.05)],
        )
    )

    summaries = folder / "summaries"
    summaries.mkdir(parents=True)
    pd.concat(points, ignore_index=True).to_parquet(summaries / "points.parquet")
    pd.DataFrame(headline).to_parquet(summaries / "headline.parquet")
    pd.DataFrame(boxes).to_parquet(summaries / "boxes.parquet")
    pd.concat(limits, ignore_index=True).to_parquet(summaries / "box_limits.parquet")
    manifest = {
        "kind": "discover",
        "spec": {
            "samples": N,
            "replications": 4,
            "steps": 260,
            "residents": 2000,
            "statistic": "mean",
            "overrides": {},
            "claims": [],
        },
        "git": {"commit": DISCOVERY_COMMIT, "dirty": False},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def make_compare(folder: Path) -> Path:
    """A made-up ``sixerrors compare`` folder with trust differences of error 1."""
    rows = [
        {
            "pair": pair,
            "variant": variant,
            "outcome": "mean_legitimacy",
            "statistic": "time_average",
            "mean": mean,
            "ci_low": mean - 0.01,
            "ci_high": mean + 0.01,
        }
        for pair, variant, mean in (
            ("error_1", "full model", 0.2),
            ("error_1_mechanisms", "mechanisms only", 0.05),
        )
    ]
    summaries = folder / "summaries"
    summaries.mkdir(parents=True)
    pd.DataFrame(rows).to_parquet(summaries / "pairs.parquet")
    manifest = {
        "kind": "compare",
        "spec": {"replications": 6, "steps": 156, "residents": 1000},
        "git": {"commit": COMPARE_COMMIT, "dirty": False},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder
