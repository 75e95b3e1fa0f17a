"""The error notebooks' shared helpers (experiments.lessons) on small runs.

Most tests run tiny cities for speed, below the lessons' minimum sizes, so
the :class:`~experiments.lessons.SmallLessonWarning` is silenced here except
where a test asks for it; the slow test at the end runs the notebooks' own
sizes and checks that an exercise gives the answer of the main run.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from scipy import stats

from experiments import compare, lessons
from experiments.classroom.findings import FINDINGS_FILE, Interval, share_text, to_toml
from experiments.lessons import Lesson, SmallLessonWarning
from experiments.palette import ERROR_COLOUR, REMEDY_COLOUR
from model import ERRORS, REGIMES, mechanisms_only, simulate

mpl.use("Agg")

pytestmark = pytest.mark.filterwarnings("ignore::experiments.lessons.SmallLessonWarning")

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


# --------------------------------------------------------------------------- sizes


def test_small_runs_warn_naming_the_minimum() -> None:
    with pytest.warns(SmallLessonWarning, match=f"minimum city size of {lessons.MIN_RESIDENTS:,}"):
        lessons.warn_if_small(300, lessons.MIN_STEPS)
    with pytest.warns(SmallLessonWarning, match=f"minimum horizon of {lessons.MIN_STEPS} weeks"):
        lessons.warn_if_small(lessons.MIN_RESIDENTS, 78)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lessons.warn_if_small(lessons.MIN_RESIDENTS, lessons.MIN_STEPS)  # at the minimum: silent
    # the notebooks' own sizes are above it
    assert lessons.N_RESIDENTS >= lessons.MIN_RESIDENTS
    assert min(lessons.STEPS.values()) >= lessons.MIN_STEPS


def test_exercises_and_lessons_warn_below_the_minimum(lesson: Lesson) -> None:
    with pytest.warns(SmallLessonWarning, match="residents is below"):
        lesson.paired_difference(["mean_grievance"], **TINY)
    with pytest.warns(SmallLessonWarning, match="weeks is below"):
        Lesson.run(ERROR, steps=6, n_residents=lessons.MIN_RESIDENTS, replications=2)


def test_an_exercise_runs_at_the_lessons_sizes_and_repeats_its_answer(lesson: Lesson) -> None:
    """In the default world an exercise is the main table over its first seeds."""
    again = lesson.paired_difference(OUTCOMES, replications=lesson.replications)
    table = lesson.paired_table(OUTCOMES).xs("time average", level="statistic")
    for outcome in OUTCOMES:
        assert again.loc[outcome, "difference"] == pytest.approx(table.loc[outcome, "difference"])
        assert again.loc[outcome, "ci_low"] == pytest.approx(table.loc[outcome, "ci_low"])


def test_a_window_asks_about_the_first_weeks_of_a_full_length_run(lesson: Lesson) -> None:
    early = lesson.paired_difference(["mean_grievance"], replications=2, weeks=slice(1, 11))
    diff = lesson.differences("mean_grievance")[:2, 1:11].mean(axis=1)
    assert early.loc["mean_grievance", "difference"] == pytest.approx(diff.mean())


# --------------------------------------------------------------------------- assumed payoffs


def test_assumed_and_emergent_sets_mechanisms_only_beside_the_full_model(lesson: Lesson) -> None:
    table = lesson.assumed_and_emergent(["mean_grievance"])
    row = table.loc["mean_grievance"]
    main = lesson.paired_table(["mean_grievance"]).loc[("mean_grievance", "time average")]
    assert row["full model"] == pytest.approx(main["difference"])

    def averaged(regime: str) -> float:
        """Mean over seeds of the regime's time-averaged grievance, payoffs off."""
        runs = [
            simulate(regime, steps=STEPS, n_residents=RESIDENTS, seed=seed, **mechanisms_only())
            for seed in range(REPLICATIONS)
        ]
        return float(np.mean([run["mean_grievance"].iloc[1:].mean() for run in runs]))

    assert row["mechanisms only"] == pytest.approx(averaged(lesson.remedy) - averaged(lesson.error))
    full = Interval(row["full model"], row["full low"], row["full high"])
    mech = Interval(row["mechanisms only"], row["mech. low"], row["mech. high"])
    assert row["reading"] == share_text(full, mech)  # the classroom's words
    text = lessons.assumed_text(table)
    assert "Mean accumulated grievance (mean_grievance)" in text and row["reading"] in text
    # by default: the outcomes the article makes a claim about
    assert list(lesson.assumed_and_emergent().index) == list(lesson.pair.expected)


@pytest.mark.parametrize(
    ("full", "mech", "share"),
    [
        (Interval(0.2, 0.1, 0.3), Interval(0.05, 0.01, 0.09), 0.75),
        (Interval(0.2, 0.1, 0.3), Interval(0.01, -0.01, 0.03), math.nan),  # rests on payoffs
        (Interval(0.2, 0.1, 0.3), Interval(-0.05, -0.09, -0.01), math.nan),  # reverses
        (Interval(0.2, 0.1, 0.3), Interval(0.3, 0.25, 0.35), 0.0),  # all of it emerges
    ],
)
def test_share_assumed(full: Interval, mech: Interval, share: float) -> None:
    got = lessons._share_assumed(full, mech)
    assert (math.isnan(got) and math.isnan(share)) or got == pytest.approx(share)


# --------------------------------------------------------------------------- failure region


def _findings(tmp_path: Path, entry: dict[str, object]) -> Path:
    errors = {str(n): {} for n in ERRORS} | {str(ERROR): entry}
    path = tmp_path / "findings.toml"
    path.write_text(to_toml({"about": {"source": "test"}, "errors": errors}), encoding="utf-8")
    return path


def test_failure_region_says_not_measured_yet_while_the_file_is_empty(
    lesson: Lesson, tmp_path: Path
) -> None:
    path = _findings(tmp_path, {})
    region = lesson.failure_region(path)
    assert not region.measured
    assert "not measured yet" in str(region) and f"Error {ERROR}" in str(region)
    assert lesson.run_failure_preset(["mean_grievance"], path) is None
    # the shipped file parses, whatever it says today
    assert f"Error {ERROR}" in lesson.failure_region(FINDINGS_FILE).text()


def test_failure_region_shows_the_file_and_runs_its_preset_as_a_paired_comparison(
    lesson: Lesson, tmp_path: Path
) -> None:
    entry: dict[str, object] = {
        "fails_where": "where shocks are frequent",
        "fails_through": "relief cannot keep up",
        "watch": "grievance on both sides",
        "preset": {"shock_rate": 0.08},
    }
    path = _findings(tmp_path, entry)
    region = lesson.failure_region(path)
    text = region.text()
    for words in ("where shocks are frequent", "relief cannot keep up", "grievance on both"):
        assert words in text
    assert "Livelihood shocks (shock_rate) = 0.08 per week" in text
    assert "not measured yet" not in text
    table = lesson.run_failure_preset(["mean_grievance"], path, **TINY)
    assert table is not None
    preset = table.xs("where the claim fails (preset)", level="world")
    direct = lesson.paired_difference(["mean_grievance"], shock_rate=0.08, **TINY)
    pd.testing.assert_frame_equal(preset, direct)
    default = table.xs("default world", level="world")
    pd.testing.assert_frame_equal(default, lesson.paired_difference(["mean_grievance"], **TINY))
    # half measured: what is missing still says so
    partial = lesson.failure_region(_findings(tmp_path, {"fails_where": "somewhere"}))
    assert "through: not measured yet" in partial.text()
    assert "preset:  none (see where)" in partial.text()
    assert (
        "preset:  none yet"
        in lesson.failure_region(_findings(tmp_path, {"fails_through": "x"})).text()
    )


# --------------------------------------------------------------------------- agreement


CLAIMED = ["mean_legitimacy", "mean_grievance"]


@pytest.mark.slow
@pytest.mark.filterwarnings("error::experiments.lessons.SmallLessonWarning")
@pytest.mark.parametrize("error", sorted(ERRORS))
def test_an_exercise_gives_the_answer_of_the_main_run(error: int) -> None:
    """The exercise's default-world difference has the main run's sign and rough size.

    The bug this guards against: exercises at 300 residents and 78 weeks
    taught a trust difference of +0.04 for Error 1 while the notebook's
    main table said +0.21. Where the main run cannot tell the sides apart
    (Error 3), the exercise must not claim a difference of note either.
    """
    main = Lesson.run(error).paired_table(CLAIMED).xs("time average", level="statistic")
    exercise = Lesson.run(error, replications=2).paired_difference(CLAIMED)
    for outcome in CLAIMED:
        want, got = main.loc[outcome], exercise.loc[outcome]
        if want["ci_low"] > 0 or want["ci_high"] < 0:
            assert math.copysign(1, got["difference"]) == math.copysign(1, want["difference"])
            assert 0.5 <= got["difference"] / want["difference"] <= 2.0, (outcome, got, want)
            assert got["ci_low"] > 0 or got["ci_high"] < 0, f"{outcome}: exercise cannot tell"
        else:
            assert abs(got["difference"]) < 0.01, (outcome, got, want)


def test_failure_region_from_a_generated_findings_file_runs_its_preset(
    lesson: Lesson, tmp_path: Path
) -> None:
    """Error 4 of the made-up discovery: trust never reverses, grievance does, in a box."""
    from experiments.classroom.findings import refresh
    from tests.synthetic_discovery import BOX_PRESET_4, make_discovery

    path = _findings(tmp_path, {})
    refresh(None, path, discovery=make_discovery(tmp_path / "discover-x"))
    region = lesson.failure_region(path)
    text = region.text()
    assert "where:   Trust never reversed; the grievance claim" in text
    assert "through: Through the model's petitions" in text
    assert "Grievance released when answered (release) = 90 %" in text
    assert "watch:   Watch the Grievance chart" in text
    table = lesson.run_failure_preset(["mean_grievance"], path, **TINY)
    assert table is not None
    preset = table.xs("where the claim fails (preset)", level="world")
    direct = lesson.paired_difference(["mean_grievance"], **BOX_PRESET_4, **TINY)
    pd.testing.assert_frame_equal(preset, direct)


def test_the_size_measurement_behind_the_minimums_reports_shares_of_the_notebook() -> None:
    """``python -m experiments.lessons sizes``: the notebook's own size is 100 % of itself."""
    table = lessons.size_effects(errors=(6,), sizes=(200, 1_000), horizons=(), replications=2)
    assert list(table["residents"]) == [200, 1_000]
    own = table[table["residents"] == lessons.N_RESIDENTS].iloc[0]
    assert own["weeks"] == lessons.STEPS[6]
    # The reference is the notebook's own table, computed here the notebook's way.
    notebook = Lesson.run(6, replications=2).paired_table(["mean_legitimacy"])
    expected = notebook.loc[("mean_legitimacy", "time average"), "difference"]
    assert own["trust_difference"] == pytest.approx(expected)
    small = table[table["residents"] == 200].iloc[0]
    assert small["share_of_notebook"] == pytest.approx(
        small["trust_difference"] / own["trust_difference"]
    )
