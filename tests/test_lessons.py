"""The error notebooks' shared helpers (experiments.lessons) on small runs."""

from __future__ import annotations

import math

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from scipy import stats

from experiments import compare, lessons
from experiments.lessons import Lesson
from experiments.palette import ERROR_COLOUR, REMEDY_COLOUR
from model import ERRORS, REGIMES, simulate

mpl.use("Agg")

ERROR = 4
STEPS, RESIDENTS, REPLICATIONS = 30, 120, 3
OUTCOMES = ["share_protesting", "share_petitioning", "mean_grievance"]
TINY = {"steps": 6, "n_residents": 60, "replications": 2}


@pytest.fixture(scope="module")
def lesson() -> Lesson:
    return Lesson.run(ERROR, steps=STEPS, n_residents=RESIDENTS, replications=REPLICATIONS)


def test_sizes_are_declared_for_every_error() -> None:
    assert set(lessons.STEPS) == set(ERRORS)
    assert lessons.STEPS[1] == 208
    assert all(lessons.STEPS[e] == 156 for e in range(2, 7))


def test_t_band_matches_the_formula_and_compare() -> None:
    x = np.array([[1.0, 2.0], [3.0, 5.0], [5.0, 11.0]])
    mean, low, high = lessons.t_band(x)
    assert mean.tolist() == [3.0, 6.0]
    half = stats.t.ppf(0.975, 2) * x.std(axis=0, ddof=1) / math.sqrt(3)
    assert np.allclose(high - mean, half) and np.allclose(mean - low, half)
    # One interval over replications, the same as the comparison's.
    column = compare.t_interval(x[:, 1])
    assert lessons.interval(x[:, 1])["ci_low"] == pytest.approx(column["ci_low"])
    assert lessons.interval(x[:, 1])["ci_high"] == pytest.approx(column["ci_high"])


@pytest.mark.parametrize(
    ("low", "high", "said"),
    [
        (0.1, 0.3, "remedy higher"),
        (-0.3, -0.1, "remedy lower"),
        (-0.1, 0.2, "cannot tell (interval includes 0)"),
        (0.0, 0.0, "no difference"),
    ],
)
def test_reading(low: float, high: float, said: str) -> None:
    assert lessons.reading(low, high) == said


def test_describe_and_lever_table() -> None:
    pair = ERRORS[ERROR]
    text = lessons.describe(pair)
    assert text.splitlines()[0] == f"Error {ERROR}: {pair.title}"
    assert pair.error_regime in text and pair.remedy_regime in text
    assert REGIMES[pair.remedy_regime].description in lessons.describe_regimes(pair)
    table = lessons.lever_table(pair)
    assert set(table.index[table["differs"]]) == set(pair.levers)
    remedy = REGIMES[pair.remedy_regime].resolve()
    for lever in table.index:
        assert table.loc[lever, pair.remedy_regime] == getattr(remedy, lever)


def test_runs_pair_seeds_across_regimes(lesson: Lesson) -> None:
    assert set(lesson.runs) == {lesson.error, lesson.remedy}
    assert all(len(runs) == REPLICATIONS for runs in lesson.runs.values())
    # Replication r of a regime is the run with seed r: nothing else.
    again = simulate(lesson.remedy, steps=STEPS, n_residents=RESIDENTS, seed=1)
    pd.testing.assert_frame_equal(lesson.runs[lesson.remedy][1], again)
    assert lesson.stack(lesson.error, "mean_grievance").shape == (REPLICATIONS, STEPS + 1)
    assert f"{2 * REPLICATIONS} runs" in lesson.summary()
    assert lesson.colours == {lesson.error: ERROR_COLOUR, lesson.remedy: REMEDY_COLOUR}


def test_paired_table_is_the_interval_of_the_differences(lesson: Lesson) -> None:
    table = lesson.paired_table(OUTCOMES)
    assert list(table.index) == [(o, s) for o in OUTCOMES for s in ("time average", "final week")]
    diff = lesson.stack(lesson.remedy, "mean_grievance") - lesson.stack(
        lesson.error, "mean_grievance"
    )
    row = table.loc[("mean_grievance", "time average")]
    assert row["difference"] == pytest.approx(diff[:, 1:].mean())
    assert row["ci_low"] < row["difference"] < row["ci_high"]
    assert row["reading"] == lessons.reading(row["ci_low"], row["ci_high"])
    expected = {1: "higher", -1: "lower"}.get(lesson.pair.expected.get("mean_grievance", 0), "-")
    assert row["article expects remedy"] == expected
    final = table.loc[("mean_grievance", "final week")]
    assert final["difference"] == pytest.approx(diff[:, -1].mean())


def test_plots_draw_each_side_in_the_shared_colours(lesson: Lesson) -> None:
    fig = lesson.plot_panels(OUTCOMES, ncols=2)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == OUTCOMES
    for ax in visible:
        assert [to_hex(line.get_color()) for line in ax.lines] == [ERROR_COLOUR, REMEDY_COLOUR]
    assert len(fig.axes) == 4  # 2 x 2, the last hidden
    diff = lesson.plot_paired_difference(OUTCOMES[:2])
    assert [ax.get_title() for ax in diff.axes] == [
        f"{o}: {lesson.remedy} − {lesson.error}" for o in OUTCOMES[:2]
    ]


def test_paired_difference_is_remedy_minus_error_by_seed(lesson: Lesson) -> None:
    # The error regime against itself: every difference is exactly zero.
    same = lesson.paired_difference(OUTCOMES, remedy=lesson.error, **TINY)
    assert (same["difference"] == 0).all()
    got = lesson.paired_difference(["mean_grievance"], contagion=0.2, **TINY)
    by_seed = [
        simulate(lesson.remedy, steps=6, n_residents=60, seed=s, contagion=0.2)["mean_grievance"]
        .iloc[1:]
        .mean()
        - simulate(lesson.error, steps=6, n_residents=60, seed=s, contagion=0.2)["mean_grievance"]
        .iloc[1:]
        .mean()
        for s in range(2)
    ]
    assert got.loc["mean_grievance", "difference"] == pytest.approx(np.mean(by_seed))


def test_one_lever_at_a_time(lesson: Lesson) -> None:
    table = lesson.one_lever_at_a_time(["mean_grievance"], whole_remedy="all", **TINY)
    assert table.index.names == ["changed", "outcome"]
    assert list(table.index.get_level_values("changed")) == [*lesson.pair.levers, "all"]
    whole = lesson.paired_difference(["mean_grievance"], **TINY)
    assert table.loc[("all", "mean_grievance"), "difference"] == pytest.approx(
        whole.loc["mean_grievance", "difference"]
    )
