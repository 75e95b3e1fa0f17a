"""The calibration of the defaults (experiments/calibrate.py, docs/calibration.md)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from experiments import calibrate
from experiments.calibrate import GROWTH, TARGETS, Target, bisect, growth_rate, yearly_sums
from experiments.runner import InlineExecutor


def test_growth_rate_recovers_an_exponential_trend():
    years = 50.0 * 1.2 ** np.arange(7)
    assert growth_rate(years) == pytest.approx(0.2, abs=0.005)
    assert growth_rate(years[::-1]) < 0


def test_yearly_incidents_sum_full_years_only():
    weekly = np.ones(52 * 3 + 10)
    assert np.array_equal(yearly_sums(weekly), [52.0, 52.0, 52.0])


def _linear_target(value: float, bracket: tuple[float, float]) -> Target:
    return Target("toy", "inflow_rate", value, 0.9 * value, 1.1 * value, "-", "-", "baseline",
                  1000, 10, bracket, outcome="incidents_per_10k", measured="final")  # fmt: skip


def test_bisection_finds_the_value_of_a_rising_measure(monkeypatch):
    """A measure 100 x parameter: the target 5 is reached near 0.05, within tolerance."""
    calls: list[float] = []

    def fake_trial(target: Target, value: float, *args: Any) -> float:
        calls.append(value)
        return 100.0 * value

    monkeypatch.setattr(calibrate, "trial", fake_trial)
    rows: list[dict[str, Any]] = []
    found = bisect(_linear_target(5.0, (0.001, 1.0)), {}, [1], None, 1.0, rows.append)
    assert 0.9 * 5.0 <= 100.0 * found <= 1.1 * 5.0
    assert len(rows) == len(calls) and len(calls) < 12


def test_bisection_keeps_the_nearer_end_when_the_target_is_out_of_reach(monkeypatch):
    monkeypatch.setattr(calibrate, "trial", lambda target, value, *a: 100.0 * value)
    found = bisect(_linear_target(500.0, (0.001, 1.0)), {}, [1], None, 1.0, lambda row: None)
    assert found == 1.0


def test_growth_is_of_the_seeds_mean_counts_as_the_validation_measures_it(monkeypatch):
    """Two cities whose waves are not in step: the growth of their sum, not of each."""
    early = np.array([5.0] * 3 + [20.0, 1, 1, 1, 1, 1, 1])
    late = np.array([5.0] * 3 + [1.0, 1, 1, 1, 1, 1, 20])
    by_seed = {1: early, 2: late}
    monkeypatch.setattr(calibrate, "measure", lambda target, steps, n, seed, values: by_seed[seed])
    measured = calibrate.trial(GROWTH, 1e-5, {}, [1, 2], InlineExecutor(), 1.0)
    settled = calibrate.SETTLING_YEARS
    assert measured == pytest.approx(growth_rate(((early + late) / 2)[settled:]))
    each = np.mean([growth_rate(early[settled:]), growth_rate(late[settled:])])
    assert abs(measured - each) > 0.01


def test_targets_are_world_facts_under_the_baseline_and_never_a_pair():
    for target in (*TARGETS, GROWTH):
        assert target.regime == "baseline"
        assert target.low < target.value < target.high
        assert target.source
    # About 180,000 incidents for 1.34 billion people at 3.1 persons a household.
    rate = next(t for t in TARGETS if t.name == "incident_rate").value
    assert rate == pytest.approx(180_000 / (1.34e9 / 3.1) * 10_000)


def test_defaults_are_the_calibrated_values_cited_in_the_docs():
    """params.py holds what docs/calibration.md records (rounded as printed there)."""
    from model.params import Params

    text = (Path(__file__).parents[1] / "docs" / "calibration.md").read_text(encoding="utf-8")
    defaults = Params()
    for name in ("inflow_rate", "org_founding_rate"):
        value = getattr(defaults, name)
        assert f"`{name}` = {value:g}" in text, f"docs/calibration.md does not record {name}"
    from experiments.validation.incidents import INCIDENT_DRIFT

    assert f"`need_drift` = {INCIDENT_DRIFT:g}" in text


def test_command_writes_the_calibrated_values_and_the_yearly_course(tmp_path, capsys):
    """A small city, one seed: the folder holds every trial, the values and the years."""
    assert calibrate.main(["--seeds", "1", "--scale", "0.05", "--workers", "1",
                           "--out", str(tmp_path)]) == 0  # fmt: skip
    folder = next(tmp_path.glob("calibration-*"))
    final = pd.read_csv(folder / "summaries" / "calibrated.csv")
    assert set(final["parameter"]) == {"org_founding_rate", "inflow_rate"}
    low = {t.parameter: t.bracket[0] for t in TARGETS}
    high = {t.parameter: t.bracket[1] for t in TARGETS}
    for row in final.itertuples():
        assert low[row.parameter] <= row.value <= high[row.parameter]
        assert math.isfinite(row.measured)
    trials = pd.read_csv(folder / "summaries" / "trials.csv")
    assert len(trials) >= 2 * len(TARGETS), "both ends of each bracket are tried"
    years = pd.read_csv(folder / "summaries" / "yearly.csv")
    assert list(years["year"]) == list(range(1, 11))
    assert (years["incidents_per_10k"] >= 0).all()
    assert "calibration:" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("option", "needle"),
    [
        (["--seeds", "0"], "0 must be at least 1"),
        (["--seeds", "six"], "'six' is not a whole number"),
        (["--workers", "0"], "0 must be at least 1"),
        (["--scale", "0"], "0.0 must be above 0"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(tmp_path, capsys, option, needle):
    with pytest.raises(SystemExit) as stop:
        calibrate.main([*option, "--out", str(tmp_path)])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and needle in err
    assert not any(tmp_path.iterdir())  # nothing was started


def test_growth_rates_fit_each_series_as_growth_rate_fits_one():
    yearly = np.array([[1.0, 2.0], [1.2, 2.0], [1.44, 2.0], [1.728, 2.0]])
    rates = calibrate.growth_rates(yearly)
    assert rates == pytest.approx([calibrate.growth_rate(yearly[:, 0]), 0.0], abs=1e-12)
    assert 0.15 < rates[0] < 0.2  # 20 % a year, less for the +0.1 offset
