"""What the six error notebooks (01-06) share: run a pair, summarise it, plot it.

Each of those notebooks runs an error regime and its remedy over a few
replications with common random numbers, plots the means with 95% bands,
tabulates the paired differences remedy - error and offers exercises that
re-run the pair in another world. That code is the same in all six, so it is
written once here and a notebook holds only its text and its own questions;
a change of method or of size is made in one place. Like the notebooks, this
module holds no model code: it runs :func:`model.simulate` and summarises the
tables it returns.

The sizes are small so that a notebook runs in well under a minute; raise
them for work to publish (``sixerrors compare`` runs many more replications,
in parallel, and writes them to files).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy import stats

from experiments.palette import ERROR_COLOUR, REMEDY_COLOUR
from experiments.tasks import time_average
from model import ERRORS, REGIMES, Levers, simulate
from model.outcomes import OUTCOME_INFO
from model.regimes import ErrorPair
from model.types import FloatArray

N_RESIDENTS = 1_000
"""Residents of every notebook run."""

REPLICATIONS = 6
"""Replications of each regime; replication ``r`` of both uses seed ``r``."""

STEPS: Mapping[int, int] = MappingProxyType({1: 208, 2: 156, 3: 156, 4: 156, 5: 156, 6: 156})
"""Weekly steps of each error's notebook: three years, four for error 1,
whose notebook sets the first half-year against the last year."""

EXERCISE_STEPS = 78
"""Steps of an exercise's re-run (:meth:`Lesson.paired_difference`): a year and a half."""

EXERCISE_RESIDENTS = 300
"""Residents of an exercise's re-run: small, so that an exercise takes seconds."""

EXERCISE_REPLICATIONS = 4
"""Replications of an exercise's re-run."""

CONFIDENCE = 0.95
"""Confidence level of every band and interval."""

_ZERO_LINE = "#555555"
"""The zero line of a difference: grey, not a side's colour, because it is neither side."""


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
        steps: int = EXERCISE_STEPS,
        n_residents: int = EXERCISE_RESIDENTS,
        replications: int = EXERCISE_REPLICATIONS,
        **world: Any,
    ) -> pd.DataFrame:
        """Time-averaged remedy - error, paired by seed, with 95% t-intervals: an exercise.

        Small defaults keep an exercise to a few seconds; raise them for
        firmer answers.

        Args:
            outcomes: Outcome names.
            error: The error side's regime (default: this lesson's).
            remedy: The remedy side's regime (default: this lesson's).
            error_levers: Lever values that change the error side only.
            remedy_levers: Lever values that change the remedy side only.
            steps: Weekly steps of each run.
            n_residents: Residents of each run.
            replications: Runs of each side, seeds ``0 .. replications - 1``.
            **world: Parameter values that change both sides (the "world").

        Returns:
            One row per outcome: ``difference``, ``ci_low``, ``ci_high``.
        """
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
            diffs.append((r[outcomes].iloc[1:].mean() - e[outcomes].iloc[1:].mean()).to_numpy())
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
