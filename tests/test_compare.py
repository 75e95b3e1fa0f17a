"""Comparison: interval arithmetic, pairing, and common random numbers end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from experiments import compare
from experiments.specs import parse_scenarios
from experiments.store import ResultsStore


def test_t_interval_matches_scipy() -> None:
    x = np.random.default_rng(3).normal(2.0, 1.5, size=9)
    got = compare.t_interval(x)
    low, high = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert got["n"] == 9
    assert got["mean"] == pytest.approx(x.mean())
    assert got["sd"] == pytest.approx(x.std(ddof=1))
    assert (got["ci_low"], got["ci_high"]) == (pytest.approx(low), pytest.approx(high))


def test_t_interval_skips_nan_and_refuses_one_value() -> None:
    got = compare.t_interval([1.0, np.nan, 3.0])
    assert got["n"] == 2 and got["mean"] == 2.0
    one = compare.t_interval([5.0])
    assert one["mean"] == 5.0 and np.isnan(one["ci_low"]) and np.isnan(one["sd"])


@pytest.mark.parametrize(
    ("expected", "low", "high", "verdict"),
    [
        (1, 0.1, 0.3, "as expected"),
        (-1, 0.1, 0.3, "opposite"),
        (-1, -0.3, -0.1, "as expected"),
        (1, -0.1, 0.3, "unclear"),
        (None, 0.1, 0.3, "no claim"),
        (1, np.nan, np.nan, "too few replications"),
    ],
)
def test_verdict(expected, low, high, verdict) -> None:
    assert compare.verdict(expected, low, high) == verdict


def test_paired_differences_are_paired() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(0, 10, size=6)  # large shared noise, removed by pairing
    effect = rng.normal(0.5, 0.1, size=6)
    rows = []
    for r in range(6):
        for scenario, value in (("err", base[r]), ("rem", base[r] + effect[r])):
            for statistic in compare.STATISTICS:
                rows.append(
                    {
                        "scenario": scenario,
                        "replicate": r,
                        "outcome": "y",
                        "statistic": statistic,
                        "value": value,
                    }
                )
    spec = parse_scenarios(
        {
            "scenarios": {"err": {"regime": "baseline"}, "rem": {"regime": "baseline"}},
            "pairs": {"p": {"error": "err", "remedy": "rem", "expected": {"mean_legitimacy": 1}}},
        },
        "x.toml",
    )
    table = compare.summarise_pairs(pd.DataFrame(rows), spec.pairs, ["y"])
    row = table[table["statistic"] == "final"].iloc[0]
    low, high = stats.t.interval(0.95, 5, loc=effect.mean(), scale=stats.sem(effect))
    assert row["mean"] == pytest.approx(effect.mean())
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(low), pytest.approx(high))
    assert row["verdict"] == "no claim"  # the claim is about another outcome


def test_timeseries_band_matches_manual() -> None:
    rng = np.random.default_rng(2)
    frames = [
        pd.DataFrame({"scenario": "a", "replicate": r, "step": np.arange(4), "y": rng.random(4)})
        for r in range(5)
    ]
    data = pd.concat(frames, ignore_index=True)
    series = compare.timeseries(data, ["y"])
    at2 = data[data["step"] == 2]["y"].to_numpy()
    row = series[series["step"] == 2].iloc[0]
    low, high = stats.t.interval(0.95, 4, loc=at2.mean(), scale=stats.sem(at2))
    assert row["n"] == 5 and row["mean"] == pytest.approx(at2.mean())
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(low), pytest.approx(high))


TINY = {
    "steps": 30,
    "replications": 3,
    "residents": 100,
    "seed": 5,
    "outcomes": ["mean_legitimacy", "mean_grievance", "share_protesting"],
}


def test_identical_scenarios_differ_by_exactly_zero(tmp_path: Path) -> None:
    spec = parse_scenarios(
        TINY
        | {
            "scenarios": {
                "a": {"regime": "rigid_suppression"},
                "b": {"regime": "rigid_suppression"},
                "c": {"regime": "safety_valve"},
            },
            "pairs": {
                "same": {"error": "a", "remedy": "b"},
                "other": {"error": "a", "remedy": "c"},
            },
        },
        "crn.toml",
    )
    folder = compare.run_comparison(spec, out=tmp_path, workers=0, progress=False)
    store = ResultsStore.open(folder)
    pairs = store.read_summary("pairs")
    same = pairs[pairs["pair"] == "same"]
    assert len(same) == 3 * 2
    assert (same["mean"] == 0).all() and (same["sd"] == 0).all()
    # A different regime is not identical (else the test above proves nothing).
    other = pairs[pairs["pair"] == "other"]
    assert (other["sd"] > 0).any() or (other["mean"] != 0).any()
    # Replicates themselves differ from each other (seeds differ by replicate).
    runs = store.read_summary("runs")
    finals = runs[
        (runs["scenario"] == "a")
        & (runs["statistic"] == "final")
        & (runs["outcome"] == "mean_legitimacy")
    ]["value"]
    assert finals.nunique() == 3
    for name in ("scenarios", "pairs", "timeseries", "runs"):
        assert (folder / "summaries" / f"{name}.parquet").is_file()
        assert (folder / "summaries" / f"{name}.csv").is_file()
    assert (folder / "figures" / "forest.png").is_file()
    assert (folder / "report.html").is_file()
    assert store.manifest["finished"] and store.manifest["common_random_numbers"] is True


def test_resume_finishes_to_the_same_tables(tmp_path: Path) -> None:
    spec = parse_scenarios(TINY | {"errors": [1]}, "r.toml")
    full = compare.run_comparison(spec, out=tmp_path / "full", workers=0, progress=False)
    part = compare.run_comparison(spec, out=tmp_path / "part", workers=0, progress=False)
    # Lose half of the committed batches, as if the run had been interrupted.
    for run in sorted((part / "runs").glob("*.parquet"))[::2]:
        run.unlink()
    (part / "summaries" / "pairs.parquet").unlink()
    compare.resume_comparison(part, workers=0, progress=False)
    a = ResultsStore.open(full).read_summary("pairs")
    b = ResultsStore.open(part).read_summary("pairs")
    pd.testing.assert_frame_equal(a, b)
