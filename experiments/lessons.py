"""What the six error notebooks (01-06) share: run a pair, summarise it, plot it.

Each of those notebooks runs an error regime and its remedy over a few
replications with common random numbers, plots the means with 95% bands,
tabulates the paired differences remedy - error, shows how much of each
difference is assumed (the same pair with every assumed direct payoff off),
says where the claim fails (from ``experiments/classroom/findings.toml``)
and offers exercises that re-run the pair in another world. That code is
the same in all six, so it is written once here and a notebook holds only
its text and its own questions; a change of method or of size is made in
one place. Like the notebooks, this module holds no model code: it runs
:func:`model.simulate` and summarises the tables it returns.

Sizes. An exercise re-runs the pair at the notebook's own city size and
horizon, so that its answer in the default world is the answer of the
notebook's main table: at 300 residents and 78 weeks an exercise shows a
fraction of the notebook's difference (:data:`MIN_RESIDENTS`,
:data:`MIN_STEPS`) and pupils would learn the wrong size of effect. Below
:data:`MIN_RESIDENTS` and :data:`MIN_STEPS` the helpers warn
(:class:`SmallLessonWarning`), naming the minimum. A run of 1,000 residents
for three or four years takes a few hundredths of a second (0.02-0.04 s on a
2-core machine, 7 Dec 2026), so the sizes cost little;
raise the replications for work to publish (``sixerrors compare`` runs many
more, in parallel, and writes them to files).
"""

from __future__ import annotations

import dataclasses
import math
import re
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy import stats

from experiments.classroom.findings import Interval, load_findings, share_text
from experiments.classroom.labels import plain_label, value_text
from experiments.palette import ERROR_COLOUR, REMEDY_COLOUR
from experiments.tasks import time_average
from model import ERRORS, REGIMES, Levers, simulate
from model.outcomes import OUTCOME_INFO
from model.params import mechanisms_only
from model.regimes import ErrorPair
from model.types import FloatArray

N_RESIDENTS = 1_000
"""Residents of every notebook run."""

REPLICATIONS = 6
"""Replications of each regime; replication ``r`` of both uses seed ``r``."""

STEPS: Mapping[int, int] = MappingProxyType({1: 208, 2: 156, 3: 156, 4: 156, 5: 156, 6: 156})
"""Weekly steps of each error's notebook: three years, four for error 1,
whose notebook sets the first half-year against the last year."""

EXERCISE_REPLICATIONS = 8
"""Replications of an exercise's re-run (:meth:`Lesson.paired_difference`).

An exercise runs at the lesson's own city size and horizon, so that in the
default world it gives the main table's answer. Eight pairs, not fewer:
rare, heavy-tailed incidents make single runs noisy, and with four, Error
1's trust difference had an interval reaching below zero
(tests/test_lessons.py checks the exercises' answers at eight)."""

MIN_RESIDENTS = 1_000
"""Smallest city in which the lessons' mechanisms work as in the notebooks.

Measured with ``python -m experiments.lessons sizes`` (:func:`size_effects`:
time-averaged paired difference in trust, six replications, at each
error's notebook horizon, as a share of the notebooks' 1,000 residents):
Error 1 keeps 48 % of it at 500 residents, 26 % at 300 and 22 % at 200;
Error 6 keeps 87 %, 73 % and 62 %. In a small city each of the 16 districts
has a few dozen residents and its cadres a unit or two of effort a week,
and a 200-household grid cell is a large part of the city. Error 1's
difference grows further with size (docs/six_errors.md, by city size)."""

MIN_STEPS = 156
"""Shortest horizon, in weeks, whose time average shows the lessons' differences.

The differences take two to three years to build up (``python -m
experiments.lessons sizes``, 1,000 residents): Error 1's time-averaged trust
difference over 78, 104 and 156 weeks is 29 %, 42 % and 71 % of its
four-year value; Error 6's over 78 and 104 weeks 49 % and 66 % of its
three-year value. To ask about the short run, keep the horizon and average
over the first weeks (``weeks=slice(1, 27)``)."""

CONFIDENCE = 0.95
"""Confidence level of every band and interval."""

_ZERO_LINE = "#555555"
"""The zero line of a difference: grey, not a side's colour, because it is neither side."""


class SmallLessonWarning(UserWarning):
    """A lesson or exercise run below :data:`MIN_RESIDENTS` or :data:`MIN_STEPS`."""


def size_problems(n_residents: int, steps: int) -> list[str]:
    """What is too small about a run of ``n_residents`` for ``steps`` weeks, in words.

    Empty when both are at least the declared minimum.
    """
    problems = []
    if n_residents < MIN_RESIDENTS:
        problems.append(
            f"{n_residents:,} residents is below the lessons' minimum city size of "
            f"{MIN_RESIDENTS:,} (MIN_RESIDENTS): the mechanisms of Errors 1 and 6 are "
            "weak in small cities, so differences come out too small"
        )
    if steps < MIN_STEPS:
        problems.append(
            f"{steps} weeks is below the lessons' minimum horizon of {MIN_STEPS} weeks "
            "(MIN_STEPS): differences take two to three years to build up, so a shorter "
            "time average understates them; to ask about the short run keep the horizon "
            "and pass weeks=slice(1, 27)"
        )
    return problems


def warn_if_small(n_residents: int, steps: int, stacklevel: int = 3) -> None:
    """Warn (:class:`SmallLessonWarning`) when a run is below the lessons' minimum sizes.

    A warning, not an error: a tiny run is still right for testing code or
    for a deliberately extreme world, but its numbers must not be read as
    the lesson's answer.
    """
    for problem in size_problems(n_residents, steps):
        warnings.warn(problem, SmallLessonWarning, stacklevel=stacklevel)


def t_band(
    values: FloatArray, confidence: float = CONFIDENCE
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Mean over rows (replications) and its Student-t interval, per column.

    A band says how well the *mean* is known with this many replications,
    not how much single runs vary.

    Args:
        values: Replications (rows) x columns, e.g. weeks; a flat array is
            one replication, so pass ``x[:, None]`` for one interval over
            the replications ``x``.
        confidence: The interval's level.

    Returns:
        Mean, lower and upper bound, one value per column.
    """
    x = np.atleast_2d(np.asarray(values, dtype=float))
    n = x.shape[0]
    mean = x.mean(axis=0)
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(axis=0, ddof=1) / np.sqrt(n)
    return mean, mean - half, mean + half


def reading(low: float, high: float) -> str:
    """What an interval of remedy - error allows one to say, in words."""
    if max(abs(low), abs(high)) < 1e-9:  # identical up to rounding
        return "no difference"
    if low > 0:
        return "remedy higher"
    if high < 0:
        return "remedy lower"
    return "cannot tell (interval includes 0)"


def interval(differences: FloatArray) -> dict[str, Any]:
    """The mean of paired differences (one per replication), its interval and reading."""
    mean, low, high = (float(v[0]) for v in t_band(np.asarray(differences, dtype=float)[:, None]))
    return {"difference": mean, "ci_low": low, "ci_high": high, "reading": reading(low, high)}


def describe(pair: ErrorPair) -> str:
    """The pair in five lines: the error, its two regimes, their levers, the claim."""
    return "\n".join(
        [
            f"Error {pair.number}: {pair.title}",
            f"  the error:  {pair.error_regime}",
            f"  the remedy: {pair.remedy_regime}",
            f"  levers that differ: {', '.join(pair.levers)}",
            f"  the article's claim (remedy minus error): {dict(pair.expected)}",
        ]
    )


def describe_regimes(pair: ErrorPair) -> str:
    """The two regimes' own descriptions, error first."""
    return f"{REGIMES[pair.error_regime].description}\n\n{REGIMES[pair.remedy_regime].description}"


def lever_table(pair: ErrorPair) -> pd.DataFrame:
    """Every lever either regime sets, with the default and both values.

    ``differs`` marks the pair's own levers; the other rows are settings the
    two regimes share (and that differ from the default), so a reader sees
    that the comparison changes only the levers it names.
    """
    error, remedy = REGIMES[pair.error_regime], REGIMES[pair.remedy_regime]
    defaults, of_error, of_remedy = Levers(), error.resolve(), remedy.resolve()
    names = [
        f.name
        for f in dataclasses.fields(Levers)
        if f.name in error.levers or f.name in remedy.levers
    ]
    return pd.DataFrame(
        {
            "default": [getattr(defaults, n) for n in names],
            pair.error_regime: [getattr(of_error, n) for n in names],
            pair.remedy_regime: [getattr(of_remedy, n) for n in names],
            "differs": [n in pair.levers for n in names],
        },
        index=pd.Index(names, name="lever"),
    )


def plot_band(
    ax: Axes,
    values: FloatArray,
    colour: str,
    label: str | None = None,
    *,
    band: tuple[str, float] | None = None,
) -> None:
    """Draw the mean over replications (rows) per week and its 95% band on ``ax``.

    The band is the line's colour, light (``band`` gives another colour and
    opacity).
    """
    mean, low, high = t_band(values)
    band_colour, alpha = (colour, 0.25) if band is None else band
    week = np.arange(len(mean))
    ax.plot(week, mean, color=colour, label=label)
    ax.fill_between(week, low, high, color=band_colour, alpha=alpha, linewidth=0)


@dataclass(frozen=True)
class Lesson:
    """One error notebook's experiment: the pair, its runs and the views of them.

    Attributes:
        pair: The error and its remedy.
        steps: Weekly steps of each run.
        n_residents: Residents of each run.
        replications: Runs of each regime.
        runs: Per regime, one outcome table per replication, in seed order.
        seconds: Wall-clock time the runs took.
    """

    pair: ErrorPair
    steps: int
    n_residents: int
    replications: int
    runs: Mapping[str, Sequence[pd.DataFrame]]
    seconds: float

    @classmethod
    def run(
        cls,
        error: int,
        *,
        steps: int | None = None,
        n_residents: int = N_RESIDENTS,
        replications: int = REPLICATIONS,
    ) -> Lesson:
        """Run error ``error``'s two regimes with common random numbers.

        Replication ``r`` of the error and replication ``r`` of the remedy
        use the same seed, so they start from the same residents, network
        and needs and meet the same shocks as long as their policies let
        them: the two runs of a pair differ by their levers, not by luck.

        Args:
            error: 1 to 6.
            steps: Weekly steps (default: :data:`STEPS` of this error).
            n_residents: Residents of each run.
            replications: Runs of each regime.
        """
        pair = ERRORS[error]
        weeks = STEPS[error] if steps is None else steps
        warn_if_small(n_residents, weeks)
        start = time.perf_counter()
        runs = {
            name: [
                simulate(name, steps=weeks, n_residents=n_residents, seed=seed)
                for seed in range(replications)
            ]
            for name in (pair.error_regime, pair.remedy_regime)
        }
        return cls(pair, weeks, n_residents, replications, runs, time.perf_counter() - start)

    @property
    def error(self) -> str:
        """The error regime's name."""
        return self.pair.error_regime

    @property
    def remedy(self) -> str:
        """The remedy regime's name."""
        return self.pair.remedy_regime

    @property
    def colours(self) -> dict[str, str]:
        """Each regime's colour, the same as in the classroom app."""
        return {self.error: ERROR_COLOUR, self.remedy: REMEDY_COLOUR}

    def summary(self) -> str:
        """One line: how many runs of what size, and how long they took."""
        return (
            f"{2 * self.replications} runs ({self.replications} per regime, "
            f"{self.n_residents:,} residents, {self.steps} weeks) in {self.seconds:.1f} s"
        )

    def stack(self, regime: str, outcome: str) -> FloatArray:
        """Replications x weeks array of one outcome for one regime."""
        return np.vstack([run[outcome].to_numpy(dtype=float) for run in self.runs[regime]])

    def differences(self, outcome: str) -> FloatArray:
        """Remedy - error per replication (rows) and week (columns): the paired difference."""
        return self.stack(self.remedy, outcome) - self.stack(self.error, outcome)

    def plot_panels(
        self, outcomes: Sequence[str], ncols: int = 3, weeks: int | None = None
    ) -> Figure:
        """Mean of each regime over time with its 95% band, one panel per outcome."""
        nrows = -(-len(outcomes) // ncols)
        fig, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(4.3 * ncols, 2.9 * nrows),
            sharex=True,
            layout="constrained",
            squeeze=False,
        )
        for ax, outcome in zip(axes.flat, outcomes, strict=False):
            for name, colour in self.colours.items():
                plot_band(ax, self.stack(name, outcome), colour, label=name)
            ax.set_title(outcome, fontsize=10)
            ax.set_ylabel(OUTCOME_INFO[outcome].unit)
            if weeks is not None:
                ax.set_xlim(0, weeks)
        for ax in axes.flat[len(outcomes) :]:
            ax.set_visible(False)
        for ax in axes[-1]:
            ax.set_xlabel("week")
        axes.flat[0].legend(fontsize=8)
        return fig

    def paired_table(self, outcomes: Sequence[str], weeks: slice | None = None) -> pd.DataFrame:
        """Remedy - error per replication, time-averaged and final, with 95% intervals.

        Args:
            outcomes: Outcome names.
            weeks: Weeks of the time average (default: every week after the start).

        Returns:
            One row per outcome and statistic, with the interval, its reading
            and the direction the article expects of the remedy.
        """
        window = slice(1, None) if weeks is None else weeks
        rows = []
        for outcome in outcomes:
            diff = self.differences(outcome)
            # The project's time average (experiments.tasks.time_average) of each
            # side, then their difference, as sixerrors compare computes it.
            averaged = time_average(
                self.stack(self.remedy, outcome)[:, window], axis=1
            ) - time_average(self.stack(self.error, outcome)[:, window], axis=1)
            expected = {1: "higher", -1: "lower"}.get(self.pair.expected.get(outcome, 0), "-")
            for label, values in (
                ("time average", averaged),
                ("final week", diff[:, -1]),
            ):
                rows.append(
                    {"outcome": outcome, "statistic": label}
                    | interval(values)
                    | {"article expects remedy": expected}
                )
        return pd.DataFrame(rows).set_index(["outcome", "statistic"])

    def plot_paired_difference(self, outcomes: Sequence[str]) -> Figure:
        """The paired difference over time, mean and 95% band, one panel per outcome."""
        fig, axes = plt.subplots(
            1, len(outcomes), figsize=(5 * len(outcomes), 3.2), layout="constrained", squeeze=False
        )
        for ax, outcome in zip(axes[0], outcomes, strict=True):
            plot_band(ax, self.differences(outcome), "black", band=("grey", 0.35))
            ax.axhline(0, color=_ZERO_LINE, linewidth=0.8, linestyle="--")
            ax.set_title(f"{outcome}: {self.remedy} − {self.error}", fontsize=10)
            ax.set_xlabel("week")
        fig.suptitle("Paired difference over time (mean and 95% interval)")
        return fig

    def paired_difference(
        self,
        outcomes: Sequence[str],
        *,
        error: str | None = None,
        remedy: str | None = None,
        error_levers: Mapping[str, Any] | None = None,
        remedy_levers: Mapping[str, Any] | None = None,
        steps: int | None = None,
        n_residents: int | None = None,
        replications: int = EXERCISE_REPLICATIONS,
        weeks: slice | None = None,
        **world: Any,
    ) -> pd.DataFrame:
        """Time-averaged remedy - error, paired by seed, with 95% t-intervals: an exercise.

        The runs have the lesson's own size and horizon unless told
        otherwise, so in the default world this is the main table's
        answer over fewer replications (seeds ``0 .. replications - 1``
        are the main run's first ones). Below :data:`MIN_RESIDENTS` or
        :data:`MIN_STEPS` it warns (:class:`SmallLessonWarning`).

        Args:
            outcomes: Outcome names.
            error: The error side's regime (default: this lesson's).
            remedy: The remedy side's regime (default: this lesson's).
            error_levers: Lever values that change the error side only.
            remedy_levers: Lever values that change the remedy side only.
            steps: Weekly steps of each run (default: the lesson's).
            n_residents: Residents of each run (default: the lesson's).
            replications: Runs of each side, seeds ``0 .. replications - 1``.
            weeks: Weeks of the time average (default: every week after the
                start); ``slice(1, 27)`` asks about the first half-year of
                a full-length run.
            **world: Parameter values that change both sides (the "world").

        Returns:
            One row per outcome: ``difference``, ``ci_low``, ``ci_high``.
        """
        steps = self.steps if steps is None else steps
        n_residents = self.n_residents if n_residents is None else n_residents
        warn_if_small(n_residents, steps)
        window = slice(1, None) if weeks is None else weeks
        sides = (
            (error or self.error, dict(error_levers or {})),
            (remedy or self.remedy, dict(remedy_levers or {})),
        )
        diffs = []
        for seed in range(replications):
            e, r = (
                simulate(name, steps=steps, n_residents=n_residents, seed=seed, **world, **levers)
                for name, levers in sides
            )
            # The project's one time average (experiments.tasks.time_average), as the
            # main table and sixerrors compare compute it.
            diffs.append(
                time_average(r[list(outcomes)].to_numpy(dtype=float)[window], axis=0)
                - time_average(e[list(outcomes)].to_numpy(dtype=float)[window], axis=0)
            )
        mean, low, high = t_band(np.array(diffs))
        return pd.DataFrame(
            {"difference": mean, "ci_low": low, "ci_high": high},
            index=pd.Index(outcomes, name="outcome"),
        )

    def one_lever_at_a_time(
        self, outcomes: Sequence[str], whole_remedy: str | None = None, **options: Any
    ) -> pd.DataFrame:
        """The error regime with one of the pair's levers set as the remedy sets it.

        Which lever does the work? Each row block is :meth:`paired_difference`
        of the error regime against itself with one lever moved to the
        remedy's value.

        Args:
            outcomes: Outcome names.
            whole_remedy: If given, a last block under this name compares the
                whole remedy, every lever at once.
            **options: Passed to :meth:`paired_difference` (sizes, world).

        Returns:
            The blocks, indexed by the lever changed and the outcome.
        """
        remedy_values = REGIMES[self.remedy].resolve()
        blocks = {
            lever: self.paired_difference(
                outcomes,
                remedy=self.error,
                remedy_levers={lever: getattr(remedy_values, lever)},
                **options,
            )
            for lever in self.pair.levers
        }
        if whole_remedy is not None:
            blocks[whole_remedy] = self.paired_difference(outcomes, **options)
        return pd.concat(blocks, names=["changed"])

    def assumed_and_emergent(self, outcomes: Sequence[str] | None = None) -> pd.DataFrame:
        """The full model's difference beside the same pair with every assumed payoff off.

        Some of a difference is put in by the modellers as direct payoffs
        (an answered petition adds trust *by assumption*: the hypothesis
        groups of ``model.params``); the rest emerges from the mechanisms.
        This re-runs both regimes at the lesson's sizes and seeds with
        :func:`model.params.mechanisms_only` (every such payoff zero), as
        ``sixerrors compare`` builds its ``error_N_mechanisms`` pairs, and
        sets the two time-averaged differences side by side.

        Args:
            outcomes: Outcome names (default: those the article makes a
                claim about).

        Returns:
            One row per outcome: ``full model`` and ``mechanisms only``
            differences with their 95% intervals, the ``share assumed``
            (1 - mechanisms only / full model, where both intervals exclude
            zero on the same side; NaN where no share can be said) and the
            ``reading`` in words (the classroom's wording).
        """
        names = list(self.pair.expected) if outcomes is None else list(outcomes)
        off = mechanisms_only()
        mechanisms = {
            regime: [
                simulate(regime, steps=self.steps, n_residents=self.n_residents, seed=seed, **off)
                for seed in range(self.replications)
            ]
            for regime in (self.pair.error_regime, self.pair.remedy_regime)
        }
        rows = []
        for outcome in names:
            full = self._interval(self.stack(self.remedy, outcome), self.stack(self.error, outcome))
            mech = self._interval(
                *(
                    np.vstack([run[outcome].to_numpy(dtype=float) for run in mechanisms[side]])
                    for side in (self.remedy, self.error)
                )
            )
            rows.append(
                {
                    "outcome": outcome,
                    "full model": full.mean,
                    "full low": full.low,
                    "full high": full.high,
                    "mechanisms only": mech.mean,
                    "mech. low": mech.low,
                    "mech. high": mech.high,
                    "share assumed": _share_assumed(full, mech),
                    "reading": share_text(full, mech),
                }
            )
        return pd.DataFrame(rows).set_index("outcome")

    @staticmethod
    def _interval(remedy: FloatArray, error: FloatArray) -> Interval:
        """The interval of remedy - error, time-averaged over weeks 1..T, per replication."""
        differences = time_average(remedy[:, 1:], axis=1) - time_average(error[:, 1:], axis=1)
        summary = interval(differences)
        return Interval(summary["difference"], summary["ci_low"], summary["ci_high"])

    def failure_region(self, path: str | Path | None = None) -> FailureRegion:
        """Where the project found this error's claim to fail (see :class:`FailureRegion`).

        Args:
            path: The findings file (default: the one the classroom reads,
                ``experiments/classroom/findings.toml``).
        """
        finding = load_findings(path).of(self.pair.number)
        if finding is None:  # the file must describe every error; be safe anyway
            return FailureRegion(self.pair.number)
        return FailureRegion(
            self.pair.number,
            fails_where=finding.fails_where,
            fails_through=finding.fails_through,
            watch=finding.watch,
            preset=dict(finding.preset),
        )

    def run_failure_preset(
        self, outcomes: Sequence[str], path: str | Path | None = None, **options: Any
    ) -> pd.DataFrame | None:
        """The pair in the default world and in the failure region's preset world, paired.

        The preset (world parameters only, never levers) is the classroom's
        "Try this" button: it moves both sides into the region where the
        claim was found to fail. Both blocks are :meth:`paired_difference`
        with the same seeds, so a change of sign or size between them is the
        preset's doing.

        Args:
            outcomes: Outcome names.
            path: The findings file (default: the classroom's).
            **options: Passed to :meth:`paired_difference` (sizes, levers).

        Returns:
            The two blocks, indexed by world and outcome; ``None`` while the
            findings file has no preset for this error (its text says so).
        """
        region = self.failure_region(path)
        if not region.preset:
            return None
        return pd.concat(
            {
                "default world": self.paired_difference(outcomes, **options),
                "where the claim fails (preset)": self.paired_difference(
                    outcomes, **options, **region.preset
                ),
            },
            names=["world"],
        )


def _share_assumed(full: Interval, mechanisms: Interval) -> float:
    """1 - mechanisms only / full model, or NaN where the intervals allow no share.

    The same conditions as the reading in words (:func:`share_text`): both
    intervals exclude zero, on the same side.
    """
    if not (full.excludes_zero and mechanisms.excludes_zero):
        return math.nan
    if math.copysign(1.0, full.mean) != math.copysign(1.0, mechanisms.mean):
        return math.nan
    return max(0.0, 1.0 - mechanisms.mean / full.mean)


def assumed_text(table: pd.DataFrame) -> str:
    """The :meth:`Lesson.assumed_and_emergent` table in sentences, one per outcome.

    Written for the notebooks, in the classroom's words: how large the
    difference is in the full model, how large with the assumed payoffs
    off, and so how much of it is assumed.
    """
    lines = []
    for outcome, row in table.iterrows():
        info = OUTCOME_INFO.get(str(outcome))
        # "Mean trust in government (Epstein's L)." -> "Mean trust in government"
        meaning = re.sub(r"\s*\([^)]*\)\.?$|\.$", "", info.meaning) if info else ""
        name = f"{meaning} ({outcome})" if meaning else str(outcome)
        lines.append(
            f"{name}: remedy - error {row['full model']:+.3f} in the full model, "
            f"{row['mechanisms only']:+.3f} with the assumed payoffs off; {row['reading']}."
        )
    return "\n".join(lines)


NOT_MEASURED = "not measured yet"
"""What a section of the failure region says while the findings file leaves it empty."""


@dataclass(frozen=True)
class FailureRegion:
    """Where an error's claim fails, as ``experiments/classroom/findings.toml`` records it.

    Another part of the project (``sixerrors discover``) finds the region;
    until it is written into the findings file the fields are empty and
    :meth:`text` says plainly that it is not measured yet, rather than
    leaving the reader to guess.

    Attributes:
        error: The error's number.
        fails_where: Where in the world the claim fails ("" when not yet known).
        fails_through: Through which mechanism it fails.
        watch: What to watch after applying the preset.
        preset: World-parameter values that move a city there (empty: none yet).
    """

    error: int
    fails_where: str = ""
    fails_through: str = ""
    watch: str = ""
    preset: Mapping[str, Any] = field(default_factory=dict)

    @property
    def measured(self) -> bool:
        """Whether the findings file says anything about where the claim fails."""
        return bool(self.fails_where or self.fails_through or self.preset)

    def text(self) -> str:
        """The region in a few lines, "not measured yet" for what is still empty."""
        head = f"Where the claim of Error {self.error} fails (experiments/classroom/findings.toml)"
        if not self.measured:
            return (
                f"{head}: {NOT_MEASURED}. The project's scenario discovery "
                "(sixerrors discover) finds the region; until it is written into the "
                "findings file there is no preset to run."
            )
        if self.preset:
            preset = "; ".join(
                f"{plain_label(k)} ({k}) = {value_text(k, v)}" for k, v in self.preset.items()
            )
        elif self.fails_where:  # e.g. a claim that reversed nowhere: "where" says so
            preset = "none (see where)"
        else:
            preset = f"none yet ({NOT_MEASURED})"
        lines = [
            f"{head}:",
            f"  where:   {self.fails_where or NOT_MEASURED}",
            f"  through: {self.fails_through or NOT_MEASURED}",
            f"  preset:  {preset}",
        ]
        if self.watch:
            lines.append(f"  watch:   {self.watch}")
        return "\n".join(lines)

    def __str__(self) -> str:
        """The region as :meth:`text` writes it, so ``print(region)`` reads well."""
        return self.text()


def size_effects(
    errors: Sequence[int] = (1, 6),
    sizes: Sequence[int] = (200, 300, 500, 1000),
    horizons: Sequence[int] = (78, 104, 156),
    replications: int = 6,
) -> pd.DataFrame:
    """How much of the notebooks' trust difference a smaller city or a shorter run shows.

    The measurement behind :data:`MIN_RESIDENTS` and :data:`MIN_STEPS`: for
    each error, the time-averaged paired difference in trust at each city
    size (at the error's notebook horizon) and at each horizon (at the
    notebooks' 1,000 residents), as a share of the difference at the
    notebook's own size and horizon. Rerun it when the model changes:
    ``python -m experiments.lessons sizes``.
    """
    rows = []

    def trust_difference(error: int, n_residents: int, steps: int) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SmallLessonWarning)
            lesson = Lesson.run(
                error, steps=steps, n_residents=n_residents, replications=replications
            )
        table = lesson.paired_table(["mean_legitimacy"])
        return float(table.xs("time average", level="statistic")["difference"].iloc[0])

    for error in errors:
        reference = trust_difference(error, N_RESIDENTS, STEPS[error])
        cases = [(n, STEPS[error]) for n in sizes] + [(N_RESIDENTS, h) for h in horizons]
        for n_residents, steps in cases:
            value = (
                reference
                if (n_residents, steps) == (N_RESIDENTS, STEPS[error])
                else trust_difference(error, n_residents, steps)
            )
            rows.append(
                {
                    "error": error,
                    "residents": n_residents,
                    "weeks": steps,
                    "trust_difference": value,
                    "share_of_notebook": value / reference if reference else math.nan,
                }
            )
    return pd.DataFrame(rows).drop_duplicates(["error", "residents", "weeks"])


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["sizes"]:
        print("usage: python -m experiments.lessons sizes", file=sys.stderr)
        sys.exit(2)
    print(size_effects().to_string(index=False, float_format=lambda x: f"{x:.3f}"))
