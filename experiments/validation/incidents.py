"""Patterns of mass incidents: growth, heavy tails, and the cost of coercion (EVIDENCE 1).

- Counts grow: with hardship drifting upward under rigid suppression, the
  yearly count of incidents grows at a rate comparable to China's (about
  21 % a year 1993-2005 and 16 % a year 2005-2010; Tong and Lei 2010, the
  Ministry of Public Security, Sun Liping 2011). The drift that gives it is
  found by the calibration (docs/calibration.md) and stated here; absolute
  counts are not fitted. Each rate comes with a bootstrap interval over the
  cities, and is judged for two counts of the same runs: a connected crowd
  once (the model's count), and once per district it reaches (ODD.md,
  Observation).
- Sizes are heavy-tailed: between 1,000 and 10,000 participants the number
  of incidents above a size falls 7-10-fold per tenfold size (a CCDF slope
  of about -0.85 to -1.0 on log-log axes); strikes and riots elsewhere too
  (Biggs 2005). At a city size where incidents reach hundreds of residents
  the top decade of the model's sizes must fall off as a power law of
  slope -0.6 to -1.3, not faster (thin).
- Coercion costs rise with incidents: where cadres are judged by incidents
  (the "one-vote veto"), coercive effort and incidents rise together (the
  stability-maintenance vicious circle).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from experiments.calibrate import (
    SETTLING_YEARS,
    WEEKS_A_YEAR,
    growth_rate,
    growth_rates,
    yearly_sums,
)
from experiments.intervals import (
    bootstrap_seed,
    resample_counts,
    resampled_bounds,
    resampled_means,
)
from experiments.validation.registry import CheckContext, CheckResult, check, interval_words
from experiments.validation.runs import CITIES, Result, Run, run_all, seeds_for

INCIDENT_DRIFT = 1e-05
"""The drift of every need per week that the calibration found for China's growth of
incidents under the baseline regime over years 4-10 (docs/calibration.md, ``need_drift``).
It is the lower end of the bracket: the target lies outside what the bracket gives
(the mean count of twenty cities swings in a wave that peaks in year 8 and does not
trend), so the growth checks test the model's own waves more than a drift."""

GROWTH = "Tong and Lei (2010); Ministry of Public Security (2005); Sun Liping (2011)"
TAILS = "MPS figures for 2004 (EVIDENCE 1); Biggs (2005)"
GROWTH_BY_DISTRICT = (
    GROWTH + "; counting: a confrontation with one administration (ODD.md, Observation)"
)
COERCION = "Ministry of Finance budgets 2010-2013 (internal security); Yu Jianrong (2012)"


ACCEPTED_GROWTH = (0.11, 0.26)
"""Yearly growth the growth checks accept: China's 16-21 % widened by 5 points either way."""

COUNTS = {
    "incidents_per_10k": "a connected crowd counted once",
    "district_incidents_per_10k": "counted once per district it reaches",
}
"""The two ways of counting incidents the growth checks report (ODD.md, Observation):
a connected crowd once, or once per district where it confronts an administration."""


def _growth(
    context: CheckContext, *, regime: str, name: str, stream: str, counted: str
) -> CheckResult:
    """Ten years of ``regime`` with needs drifting by :data:`INCIDENT_DRIFT` a week.

    ``counted`` (a key of :data:`COUNTS`) is the count whose growth is
    judged; the table and figure show both, from the same runs. ``stream``
    names the seeds: a check counted by district reads the runs of the
    check it counts again.
    """
    residents, count = context.size((4_000, 3), (10_000, CITIES))
    runs = [Run(regime, residents, 520, {"need_drift": INCIDENT_DRIFT})] * count
    results = run_all(runs, seeds_for(context.seed, count, stream=stream), world=context.world)

    # Yearly sums, city by city: (cities, years) for each outcome shown.
    shown = (*COUNTS, "share_protesting", "largest_incident_per_10k")
    by_city = {
        outcome: np.array([yearly_sums(r.table[outcome].to_numpy()[1:]) for r in results])
        for outcome in shown
    }
    mean_years = by_city[counted].mean(axis=0)
    growth = growth_rate(mean_years[SETTLING_YEARS:])
    # How much the rate owes to which cities were drawn: the growth of the
    # mean count of cities resampled with replacement.
    resampled = resampled_means(by_city[counted], seed=bootstrap_seed(context.seed))
    low, high = resampled_bounds(growth_rates(resampled[:, SETTLING_YEARS:].T), count)
    table = pd.DataFrame(
        {
            "year": np.arange(1, mean_years.size + 1),
            **{outcome: by_city[outcome].mean(axis=0) for outcome in COUNTS},
            # Why a count can fail to grow while protest does: the same
            # protesters in fewer, larger incidents. Weekly means per year.
            **{
                outcome: by_city[outcome].mean(axis=0) / WEEKS_A_YEAR
                for outcome in ("share_protesting", "largest_incident_per_10k")
            },
        }
    )
    fig = Figure(figsize=(6, 5.4), layout="constrained")
    count_ax, crowd_ax = fig.subplots(2, 1, sharex=True)
    for outcome, label in COUNTS.items():
        style = "o-" if outcome == counted else "o:"
        count_ax.plot(table["year"], table[outcome] + 0.1, style, label=label)
    count_ax.set_yscale("log")
    count_ax.set_ylabel("incidents per 10,000\nhouseholds a year (+0.1)")
    for ax in (count_ax, crowd_ax):
        ax.axvspan(0.5, SETTLING_YEARS + 0.5, color="0.9", label="settling (not fitted)")
    count_ax.legend(loc="best", fontsize=7)
    count_ax.set_title(
        f"{regime}, need drift {INCIDENT_DRIFT:g}/week: growth {growth:.0%}/year "
        f"({low:.0%} to {high:.0%}; solid line)",
        fontsize=10,
    )
    crowd_ax.plot(table["year"], table["share_protesting"], "s-", color="C2")
    crowd_ax.set_ylabel("share protesting\n(weekly mean)", color="C2")
    largest_ax = crowd_ax.twinx()
    largest_ax.plot(table["year"], table["largest_incident_per_10k"], "^--", color="C3")
    largest_ax.set_ylabel("largest incident per 10,000\n(weekly mean)", color="C3")
    crowd_ax.set_xlabel("year")
    fig.savefig(context.figure_path(name), dpi=120)
    what = "incidents" if counted == "incidents_per_10k" else "incidents counted by district"
    return CheckResult(
        f"growth {growth:.1%} a year over years {SETTLING_YEARS + 1}-10 "
        f"({interval_words(low, high, over='cities', spec='.0%')}); "
        f"{mean_years.sum():.1f} {what} per 10,000 "
        f"households in all ({count} seeds, {residents:,} households, need drift "
        f"{INCIDENT_DRIFT:g} a week)",
        "16-21 % a year, accepted within 11-26 %",
        bool(ACCEPTED_GROWTH[0] <= growth <= ACCEPTED_GROWTH[1]),
        value=growth,
        details=table,
        interval=(low, high),
        accepted=ACCEPTED_GROWTH,
    )


@check("incident_growth", pattern="E1",
       title="Yearly incident counts grow at China's rate when hardship drifts upward "
       "(the calibrated baseline regime)",
       source=GROWTH)  # fmt: skip
def incident_growth(context: CheckContext) -> CheckResult:
    """The baseline regime, whose incident rate is calibrated to China's, with the drift."""
    return _growth(
        context,
        regime="baseline",
        name="incident_growth",
        stream="incident_growth",
        counted="incidents_per_10k",
    )


@check("incident_growth_rigid", pattern="E1",
       title="Yearly incident counts grow at China's rate when hardship drifts upward "
       "under rigid suppression",
       source=GROWTH)  # fmt: skip
def incident_growth_rigid(context: CheckContext) -> CheckResult:
    """Rigid suppression, the article's Error 1, with the same drift."""
    return _growth(
        context,
        regime="rigid_suppression",
        name="incident_growth_rigid",
        stream="incident_growth_rigid",
        counted="incidents_per_10k",
    )


@check("incident_growth_by_district", pattern="E1",
       title="Yearly incident counts grow at China's rate when hardship drifts upward, "
       "an incident counted once per district it reaches (the calibrated baseline regime)",
       source=GROWTH_BY_DISTRICT)  # fmt: skip
def incident_growth_by_district(context: CheckContext) -> CheckResult:
    """The runs of ``incident_growth`` (same seeds), counted where crowds confront an office.

    Added after ``incident_growth`` failed because its count stays flat
    while protest grows in fewer, larger connected crowds: definitions of a
    mass incident differ between sources (EVIDENCE), and a crowd whose ties
    span districts confronts each district's office. A second reading of
    the same runs, reported beside the first, not in its place.
    """
    return _growth(
        context,
        regime="baseline",
        name="incident_growth_by_district",
        stream="incident_growth",
        counted="district_incidents_per_10k",
    )


@check("incident_growth_rigid_by_district", pattern="E1",
       title="Yearly incident counts grow at China's rate when hardship drifts upward "
       "under rigid suppression, an incident counted once per district it reaches",
       source=GROWTH_BY_DISTRICT)  # fmt: skip
def incident_growth_rigid_by_district(context: CheckContext) -> CheckResult:
    """The runs of ``incident_growth_rigid`` (same seeds), counted by district."""
    return _growth(
        context,
        regime="rigid_suppression",
        name="incident_growth_rigid_by_district",
        stream="incident_growth_rigid",
        counted="district_incidents_per_10k",
    )


def tail_slope(sizes: np.ndarray) -> float:
    """Log-log slope of the complementary CDF of ``sizes`` over its top decade.

    The CCDF at each distinct size s is the share of incidents of size at
    least s; the slope is a least-squares fit of log CCDF on log s for the
    sizes between a tenth of the largest and the largest.
    """
    values = np.sort(sizes)
    top = values[-1]
    distinct = np.unique(values[values >= top / 10.0])
    ccdf = np.array([(values >= s).mean() for s in distinct])
    if distinct.size < 3:
        return float("nan")
    return float(np.polyfit(np.log10(distinct), np.log10(ccdf), 1)[0])


HEAVY_SLOPE = (-1.3, -0.6)
"""The range of top-decade CCDF slopes that counts as a heavy tail (EVIDENCE 1)."""

HEAVY_LARGEST = 100
"""The least largest incident, in households, of a heavy tail: incidents of hundreds."""

MIN_INCIDENTS = 20
"""Fewest incidents over which a tail is measured at all."""


def slope_words(sizes: np.ndarray, slope: float) -> str:
    """The top-decade slope of sorted ``sizes`` for the record, or why there is none.

    A slope needs three distinct sizes in the top decade; when one incident
    dwarfs the rest, the decade below it is empty and the record says so,
    with the largest size under the decade.
    """
    if math.isfinite(slope):
        return f"top-decade CCDF slope {slope:.2f}"
    floor = sizes[-1] / 10.0
    inside = np.unique(sizes[sizes >= floor]).size
    below = sizes[sizes < floor]
    under = f"; the largest below it is {below[-1]:.0f}" if below.size else ""
    return (
        f"no top-decade slope: the decade {floor:.0f}-{sizes[-1]:.0f} holds {inside} distinct "
        f"size(s){under}"
    )


def is_heavy(sizes: np.ndarray, slope: float) -> bool:
    """Whether sorted incident ``sizes`` with top-decade ``slope`` have the heavy tail."""
    return bool(HEAVY_SLOPE[0] <= slope <= HEAVY_SLOPE[1] and sizes[-1] >= HEAVY_LARGEST)


def plot_ccdf(sizes: np.ndarray, slope: float, path: Path, title: str = "") -> None:
    """The CCDF of sorted incident ``sizes`` on log-log axes, the top decade marked."""
    ccdf = 1.0 - np.arange(sizes.size) / sizes.size
    fig = Figure(figsize=(6, 3.6), layout="constrained")
    ax = fig.add_subplot()
    ax.loglog(sizes, ccdf, ".", markersize=3)
    ax.axvline(sizes[-1] / 10, color="grey", linestyle="--", label="top decade")
    ax.set_xlabel("incident size (households)")
    ax.set_ylabel("share of incidents at least this large")
    ax.set_title(f"{title}{sizes.size} incidents, largest {sizes[-1]:.0f}: slope {slope:.2f}")
    ax.legend()
    fig.savefig(path, dpi=120)


def incidents_and_effort_by_city(results: Sequence[Result]) -> tuple[np.ndarray, np.ndarray]:
    """Each run's yearly incidents per 10,000 and weekly control effort, (runs, years) each."""
    incidents = np.array(
        [yearly_sums(r.table["incidents_per_10k"].to_numpy()[1:]) for r in results]
    )
    effort = np.array(
        [yearly_sums(r.table["control_spending"].to_numpy()[1:]) / WEEKS_A_YEAR for r in results]
    )
    return incidents, effort


def yearly_incidents_and_effort(results: Sequence[Result]) -> pd.DataFrame:
    """Mean over runs, year by year, of incidents per 10,000 and weekly control effort."""
    return _mean_by_year(*incidents_and_effort_by_city(results))


def _mean_by_year(incidents: np.ndarray, effort: np.ndarray) -> pd.DataFrame:
    mean_effort = effort.mean(axis=0)
    return pd.DataFrame(
        {
            "year": np.arange(1, mean_effort.size + 1),
            "incidents_per_10k": incidents.mean(axis=0),
            "control_effort": mean_effort,
        }
    )


@check("heavy_tailed_sizes", pattern="E1",
       title="Incident sizes are heavy-tailed: CCDF slope -0.6 to -1.3 over the top decade",
       source=TAILS)  # fmt: skip
def heavy_tailed_sizes(context: CheckContext) -> CheckResult:
    """A large city under the calibrated baseline regime, every incident's size recorded."""
    residents, steps, count = context.size((20_000, 156, 2), (100_000, 260, 4))
    runs = [Run("baseline", residents, steps, incident_sizes=True)] * count
    results = run_all(
        runs, seeds_for(context.seed, count, stream="heavy_tailed_sizes"), world=context.world
    )
    sizes = np.concatenate([r.incident_sizes for r in results])
    table = pd.DataFrame({"size": np.sort(sizes)})
    if sizes.size < MIN_INCIDENTS:
        return CheckResult(f"only {sizes.size} incidents", "a CCDF slope of -0.6 to -1.3",
                           False, details=table)  # fmt: skip
    slope = tail_slope(sizes)
    values = np.sort(sizes)
    plot_ccdf(values, slope, context.figure_path("heavy_tailed_sizes"))
    passed = is_heavy(values, slope)
    low, high = resampled_bounds(
        resampled_tail_slopes([r.incident_sizes for r in results], bootstrap_seed(context.seed)),
        count,
    )
    return CheckResult(
        f"{slope_words(values, slope)} ({interval_words(low, high, over='runs', spec='.2f')}; "
        f"{sizes.size} incidents, the largest {values[-1]:.0f} households; "
        f"{residents:,} households, {count} runs of {steps} weeks)",
        "slope -0.6 to -1.3 with incidents of at least 100 households",
        passed,
        value=slope,
        details=table,
        interval=(low, high),
        accepted=HEAVY_SLOPE,
    )


TAIL_RESAMPLES = 1000
"""Resamples of runs for the tail slope's interval (each refits the tail)."""


def resampled_tail_slopes(sizes_by_run: Sequence[np.ndarray], seed: int) -> np.ndarray:
    """The top-decade slope of the pooled sizes of runs resampled whole with replacement.

    Incidents of one run share its history, so the runs, not the incidents,
    are what is resampled.
    """
    counts = resample_counts(len(sizes_by_run), TAIL_RESAMPLES, seed)
    return np.array(
        [
            tail_slope(np.repeat(np.concatenate(sizes_by_run), _repeats(sizes_by_run, column)))
            for column in counts.T
        ]
    )


def _repeats(sizes_by_run: Sequence[np.ndarray], times: np.ndarray) -> np.ndarray:
    """How often each pooled size is drawn when run k is drawn ``times[k]`` times."""
    return np.concatenate(
        [np.full(sizes.size, int(t)) for sizes, t in zip(sizes_by_run, times, strict=True)]
    )


def _coercion(context: CheckContext, *, regime: str, stream: str) -> CheckResult:
    """Ten years of ``regime`` with cadres judged by incidents and hardship drifting."""
    residents, count = context.size((4_000, 3), (10_000, CITIES))
    overrides = {"need_drift": INCIDENT_DRIFT, "cadre_incentive": "stability_veto"}
    runs = [Run(regime, residents, 520, overrides)] * count
    results = run_all(runs, seeds_for(context.seed, count, stream=stream), world=context.world)
    incidents, effort = incidents_and_effort_by_city(results)
    table = _mean_by_year(incidents, effort)
    mean_incidents = table["incidents_per_10k"].to_numpy()
    mean_effort = table["control_effort"].to_numpy()
    correlation = float(correlations(mean_incidents[:, None], mean_effort[:, None])[0])
    rises = bool(mean_effort[-1] > mean_effort[0] and mean_incidents[-1] > mean_incidents[0])
    # The same resamples of cities for both series (same seed, same count).
    seed = bootstrap_seed(context.seed)
    resampled = correlations(
        resampled_means(incidents, seed=seed).T, resampled_means(effort, seed=seed).T
    )
    low, high = resampled_bounds(resampled, count)
    return CheckResult(
        f"control effort {mean_effort[0]:.0f} -> {mean_effort[-1]:.0f}, incidents "
        f"{mean_incidents[0]:.1f} -> {mean_incidents[-1]:.1f} per 10,000 a year; "
        f"correlation over years {correlation:.2f} "
        f"({interval_words(low, high, over='cities', spec='.2f')})",
        "both rise over ten years, correlated above 0.5",
        bool(rises and correlation > ACCEPTED_CORRELATION[0]),
        value=correlation,
        details=table,
        interval=(low, high),
        accepted=ACCEPTED_CORRELATION,
    )


ACCEPTED_CORRELATION = (0.5, 1.0)
"""Correlations over years of mean incidents and mean effort the coercion checks accept."""


def correlations(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Pearson correlation of each column of ``first`` with the same column of ``second``.

    Years run down the columns; NaN for a column in which either series is flat.
    """
    a = first - first.mean(axis=0)
    b = second - second.mean(axis=0)
    scale = np.sqrt((a * a).sum(axis=0) * (b * b).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(scale > 0, (a * b).sum(axis=0) / scale, np.nan))


@check("coercion_cost", pattern="E1",
       title="Under rigid suppression and the one-vote veto, coercive effort and incidents "
       "rise together",
       source=COERCION)  # fmt: skip
def coercion_cost(context: CheckContext) -> CheckResult:
    """Rigid suppression, cadres judged by incidents, hardship drifting, ten years."""
    return _coercion(context, regime="rigid_suppression", stream="coercion_cost")


@check("coercion_cost_baseline", pattern="E1",
       title="Under the baseline's levers and the one-vote veto, coercive effort and incidents "
       "rise together",
       source=COERCION)  # fmt: skip
def coercion_cost_baseline(context: CheckContext) -> CheckResult:
    """The calibrated baseline's levers, cadres judged by incidents, hardship drifting."""
    return _coercion(context, regime="baseline", stream="coercion_cost_baseline")
