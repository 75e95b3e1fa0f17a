"""Intervals that respect an outcome's range: bootstrap levels, t or bootstrap differences."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats

from experiments import compare, intervals
from experiments.scales import difference_range, outcome_range
from experiments.specs import parse_scenarios

SEED = intervals.bootstrap_seed(20120101)

SHARES = ("mean_legitimacy", "stability", "share_detained", "share_protesting")
COUNTS = ("mass_incidents", "largest_incident")

shares = st.floats(0.0, 1.0, allow_nan=False)
bounds_or_share = st.one_of(st.sampled_from([0.0, 1.0]), shares)
counts = st.one_of(st.just(0.0), st.integers(0, 10_000).map(float))


def _inside(low: float, high: float, limits: tuple[float, float]) -> bool:
    return limits[0] <= low <= high <= limits[1]


@settings(max_examples=150, deadline=None)
@given(outcome=st.sampled_from(SHARES), values=st.lists(bounds_or_share, min_size=2, max_size=40))
@example(outcome="stability", values=[1.0, 1.0, 0.8])  # t interval reaches 1.01 and beyond
@example(outcome="stability", values=[1.0, 1.0, 1.0])
@example(outcome="share_detained", values=[0.0, 0.0, 0.0, 0.02])
@example(outcome="mean_legitimacy", values=[0.1, 0.1, 0.1])
def test_a_shares_level_never_leaves_0_1(outcome: str, values: list[float]) -> None:
    got = intervals.level_interval(values, outcome, seed=SEED)
    low, high = float(got["ci_low"]), float(got["ci_high"])  # type: ignore[arg-type]
    assert got["ci_method"] == "bootstrap"
    assert _inside(low, high, outcome_range(outcome))
    assert min(values) <= low and high <= max(values)  # inside the data, hence the range


@settings(max_examples=100, deadline=None)
@given(outcome=st.sampled_from(COUNTS), values=st.lists(counts, min_size=2, max_size=40))
@example(outcome="mass_incidents", values=[0.0, 0.0, 0.0, 1.0])
def test_a_counts_level_never_goes_below_zero(outcome: str, values: list[float]) -> None:
    got = intervals.level_interval(values, outcome, seed=SEED)
    low, high = float(got["ci_low"]), float(got["ci_high"])  # type: ignore[arg-type]
    assert _inside(low, high, outcome_range(outcome))
    assert min(values) <= low and high <= max(values)


@settings(max_examples=100, deadline=None)
@given(
    outcome=st.sampled_from(SHARES),
    pairs=st.lists(st.tuples(bounds_or_share, bounds_or_share), min_size=2, max_size=40),
)
@example(outcome="stability", pairs=[(1.0, 0.0), (1.0, 0.0), (1.0, 1.0)])
@example(outcome="stability", pairs=[(1.0, 0.0), (1.0, 0.0), (1.0, 0.0)])
def test_a_paired_difference_never_leaves_its_range(
    outcome: str, pairs: list[tuple[float, float]]
) -> None:
    differences = [remedy - error for remedy, error in pairs]
    got = intervals.difference_interval(differences, outcome, seed=SEED)
    low, high = float(got["ci_low"]), float(got["ci_high"])  # type: ignore[arg-type]
    assert got["ci_method"] in ("t", "bootstrap")
    assert _inside(low, high, difference_range(outcome))


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.lists(st.one_of(bounds_or_share, st.just(math.nan)), min_size=4, max_size=4),
        min_size=1,
        max_size=12,
    )
)
@example(rows=[[0.0, 0.0, 0.0, 0.01], [1.0, 1.0, 1.0, 1.0], [0.5, math.nan, math.nan, math.nan]])
def test_a_band_never_leaves_its_range(rows: list[list[float]]) -> None:
    samples = np.array(rows, dtype=float)
    band = intervals.band_bounds(samples, (0.0, 1.0), seed=SEED)
    low, high, method = band.low, band.high, band.method
    for i, row in enumerate(samples):
        finite = row[np.isfinite(row)]
        assert band.n[i] == finite.size
        if finite.size:
            assert band.mean[i] == pytest.approx(finite.mean())
        if finite.size < 2:
            assert math.isnan(low[i]) and math.isnan(high[i]) and method[i] is None
        else:
            assert _inside(low[i], high[i], (0.0, 1.0))
            assert method[i] in ("t", "bootstrap")


def test_every_replication_the_same_gives_that_value() -> None:
    for outcome, value in (("stability", 1.0), ("share_detained", 0.0), ("mean_legitimacy", 0.1)):
        got = intervals.level_interval([value] * 5, outcome, seed=SEED)
        assert (got["mean"], got["ci_low"], got["ci_high"]) == (value, value, value)
        assert got["sd"] == 0.0


def test_one_replication_gives_no_interval() -> None:
    got = intervals.level_interval([0.4, math.nan], "mean_legitimacy", seed=SEED)
    assert got["n"] == 1 and got["mean"] == 0.4
    assert math.isnan(float(got["ci_low"])) and got["ci_method"] is None  # type: ignore[arg-type]


def test_the_bootstrap_is_reproducible_for_a_seed_and_order_free() -> None:
    x = np.random.default_rng(4).beta(2, 5, size=12)
    first = intervals.bootstrap_interval(x, seed=SEED)
    assert intervals.bootstrap_interval(x, seed=SEED) == first
    assert intervals.bootstrap_interval(x[::-1], seed=SEED) == first
    assert intervals.bootstrap_interval(x, seed=SEED + 1) != first
    # A group's interval does not depend on the other groups computed with it
    # (but for the last bit: a matrix product rounds by its shape).
    batch = np.vstack([x, np.random.default_rng(5).random(12)])
    low, high = intervals.bootstrap_bounds(batch, seed=SEED)
    assert (low[0], high[0]) == (pytest.approx(first[0], rel=1e-12), pytest.approx(first[1]))


def test_the_bootstrap_seed_derives_from_the_root_seed() -> None:
    assert intervals.bootstrap_seed(7) == intervals.bootstrap_seed(7)
    assert intervals.bootstrap_seed(7) != intervals.bootstrap_seed(8)
    assert intervals.bootstrap_seed(7) != 7


def test_expanded_bootstrap_is_close_to_t_with_many_replications() -> None:
    x = np.random.default_rng(6).normal(0.5, 0.05, size=30)
    low, high = intervals.bootstrap_interval(x, seed=SEED)
    t = intervals.t_interval(x)
    assert high - low == pytest.approx(t["ci_high"] - t["ci_low"], rel=0.15)
    assert low == pytest.approx(t["ci_low"], abs=0.01)
    assert high == pytest.approx(t["ci_high"], abs=0.01)


def test_expanded_percentiles_widen_for_few_replications() -> None:
    assert intervals.expanded_level(30) == pytest.approx(0.0188, abs=0.0005)
    assert intervals.expanded_level(8) < intervals.expanded_level(30) < 0.025
    assert math.isnan(intervals.expanded_level(1))


def _per_run(error: np.ndarray, remedy: np.ndarray, outcome: str) -> pd.DataFrame:
    rows = [
        {"scenario": scenario, "replicate": r, "outcome": outcome, "statistic": s, "value": v}
        for r in range(len(error))
        for scenario, v in (("err", error[r]), ("rem", remedy[r]))
        for s in compare.STATISTICS
    ]
    return pd.DataFrame(rows)


def _pair_spec(outcome: str):  # type: ignore[no-untyped-def]
    return parse_scenarios(
        {
            "scenarios": {"err": {"regime": "baseline"}, "rem": {"regime": "baseline"}},
            "pairs": {"p": {"error": "err", "remedy": "rem", "expected": {outcome: 1}}},
        },
        "x.toml",
    )


def test_well_behaved_paired_differences_use_the_t_interval() -> None:
    rng = np.random.default_rng(7)
    error = rng.uniform(0.3, 0.6, size=10)
    effect = rng.normal(0.05, 0.01, size=10)
    table = compare.summarise_pairs(
        _per_run(error, error + effect, "mean_legitimacy"),
        _pair_spec("mean_legitimacy").pairs,
        ["mean_legitimacy"],
        root_seed=1,
    )
    row = table[table["statistic"] == "final"].iloc[0]
    low, high = stats.t.interval(0.95, 9, loc=effect.mean(), scale=stats.sem(effect))
    assert row["ci_method"] == "t"
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(low), pytest.approx(high))
    assert row["verdict"] == "as expected"


def test_a_difference_whose_t_interval_leaves_the_range_is_bootstrapped() -> None:
    error = np.array([0.0, 0.0, 0.0, 1.0])
    remedy = np.array([1.0, 1.0, 1.0, 0.5])  # differences 1, 1, 1, -0.5: t reaches above 1
    assert intervals.t_interval(remedy - error)["ci_high"] > 1.0
    table = compare.summarise_pairs(
        _per_run(error, remedy, "stability"), _pair_spec("stability").pairs, ["stability"]
    )
    row = table[table["statistic"] == "final"].iloc[0]
    assert row["ci_method"] == "bootstrap"
    assert -0.5 <= row["ci_low"] <= row["ci_high"] <= 1.0


def test_scenario_levels_use_the_bootstrap_reproducibly() -> None:
    values = [1.0, 1.0, 0.8, 0.95, 1.0]  # stability: the t interval reaches above 1
    assert intervals.t_interval(values)["ci_high"] > 1.0
    per_run = pd.DataFrame(
        {
            "scenario": "s",
            "replicate": range(5),
            "outcome": "stability",
            "statistic": "final",
            "value": values,
        }
    )
    table = compare.summarise_scenarios(per_run, ["s"], root_seed=3)
    row = table.iloc[0]
    assert row["ci_method"] == "bootstrap"
    assert 0.8 <= row["ci_low"] < row["mean"] < row["ci_high"] <= 1.0
    again = compare.summarise_scenarios(per_run, ["s"], root_seed=3)
    pd.testing.assert_frame_equal(table, again)


def test_timeseries_bands_say_their_method() -> None:
    rng = np.random.default_rng(8)
    frames = [
        pd.DataFrame(
            {
                "scenario": "a",
                "replicate": r,
                "step": np.arange(3),
                # week 0 all equal; week 1 mostly at 0 (t would go below); week 2 mid-range
                "share_detained": [0.0, 0.02 if r == 0 else 0.0, 0.4 + rng.normal(0, 0.01)],
            }
        )
        for r in range(6)
    ]
    series = compare.timeseries(pd.concat(frames, ignore_index=True), ["share_detained"])
    by_step = series.set_index("step")
    assert list(by_step["ci_method"]) == ["t", "bootstrap", "t"]
    assert (by_step.loc[0, "ci_low"], by_step.loc[0, "ci_high"]) == (0.0, 0.0)
    assert by_step.loc[1, "ci_low"] >= 0.0


def test_resampled_means_are_the_resamples_of_the_mean_interval():
    """Rows are resampled whole, from the stream the mean interval draws from.

    For one column in ascending order (the order ``bootstrap_bounds`` puts
    values in) the sorted resampled means give back its bounds; cities that
    are all alike leave nothing to resample; each resample keeps a city's
    columns together.
    """
    rng = np.random.default_rng(5)
    column = np.sort(rng.lognormal(size=12))
    resampled = intervals.resampled_means(column[:, None], seed=11, resamples=500)
    assert resampled.shape == (500, 1)
    low, high = intervals.bootstrap_bounds(column[None, :], seed=11, resamples=500)
    k_low = max(0, math.floor(intervals.expanded_level(12) * 499))
    ordered = np.sort(resampled[:, 0])
    assert ordered[k_low] == pytest.approx(low[0])
    assert ordered[499 - k_low] == pytest.approx(high[0])
    alike = intervals.resampled_means(np.tile([1.0, 2.0], (6, 1)), seed=11, resamples=50)
    assert np.allclose(alike, [1.0, 2.0])
    linked = intervals.resampled_means(np.column_stack([column, 2 * column]), seed=3)
    assert np.allclose(linked[:, 1], 2 * linked[:, 0])


def test_resampled_bounds_of_means_are_the_mean_interval():
    """On resampled means, the statistic's interval is the mean interval itself."""
    rng = np.random.default_rng(9)
    column = np.sort(rng.normal(size=20))
    means = intervals.resampled_means(column[:, None], seed=4, resamples=800)[:, 0]
    low, high = intervals.bootstrap_bounds(column[None, :], seed=4, resamples=800)
    assert intervals.resampled_bounds(means, 20) == pytest.approx((low[0], high[0]))
    # four runs: the expanded level takes (nearly) the extremes, not a narrow band
    few = intervals.resampled_bounds(np.arange(1000.0), 4)
    assert few == (0.0, 999.0)
    assert all(math.isnan(b) for b in intervals.resampled_bounds(np.full(5, np.nan), 20))
