"""Calibrate defaults to facts about the world: ``python -m experiments.calibrate``.

Pattern-oriented modelling (Grimm et al. 2005) fits no outcome of the six
error pairs: it pins a few world parameters that nothing else determines to
facts the evidence gives, one parameter per fact, each measured under the
regime the fact describes. What this script calibrates, and why:

- ``org_founding_rate`` to the density of registered social organizations
  (Ministry of Civil Affairs, 2010-2012: 3.4-3.7 per 10,000 people, about
  11 per 10,000 households at three persons a household) under the baseline
  regime, at the end of five years;
- ``inflow_rate`` to the rate of mass incidents (about 180,000 in 2010, Sun
  Liping 2011, for 1.34 billion people: about 4.2 per 10,000 households a
  year) under the baseline regime, in years 4-5 of five, once the city has
  settled (below);
- ``need_drift``, which is zero in every comparison, to the growth of
  incident counts (about 16-21 % a year, 1993-2010) under the baseline
  regime over years 4-10 of ten (the first :data:`SETTLING_YEARS` hold the
  wave of protest with which a city that starts without grievance settles,
  docs/calibration.md; a growth measured across it would be the wave's
  decline, not the trend): the drift of hardship that reproduces it is what
  the validation of rising incidents uses (docs/validation.md).

Each parameter is found by bisection on a log scale, assuming the measure
rises with the parameter (checked at the bracket's ends), with the same
seeds at every trial (common random numbers), and the targets are visited
in turn until all are within tolerance at once, since they interact.
Nothing here looks at a pair's difference. The result is a results folder
(manifest, table of trials, table of the calibrated values) and the table
printed; the defaults in ``model/params.py`` are then set by hand to the
values found, citing docs/calibration.md, which records the run.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from experiments.helptext import OneLineParser, positive_int
from experiments.provenance import provenance
from experiments.runner import default_workers, local_pool
from experiments.store import ResultsStore

NEAR = 0.2
"""How near its goal every target must be, at once, to end the rounds of :func:`calibrate`."""

HOUSEHOLD_SIZE = 3.1
"""Persons per household: China's 2010 census gives 3.10; residents are households."""

SETTLING_YEARS = 3
"""Years a city needs to settle from its initial state (no grievance yet), excluded
from growth rates: the calibrated baseline has a wave of protest in years 2-3
(docs/calibration.md, the table of yearly counts)."""


@dataclass(frozen=True)
class Target:
    """A fact about the world, and the parameter that is set to reproduce it.

    Attributes:
        name: Identifier in tables.
        parameter: The world parameter calibrated.
        value: The target, in the measure's unit.
        low: Lowest acceptable measured value.
        high: Highest acceptable measured value.
        unit: Unit of the measure.
        source: Where the target comes from.
        regime: Regime the fact describes.
        residents: City size of a trial run.
        steps: Steps of a trial run.
        bracket: Lowest and highest parameter value tried.
        outcome: The model outcome the measure is made of.
        measured: How a run's outcome becomes the measure: ``"final"`` (its
            last value), ``"yearly_level"`` (the mean of its yearly sums
            after the settling years) or ``"yearly_growth"`` (the growth of
            the seeds' mean yearly sums after the settling years, which
            :func:`trial` takes over all the seeds at once).
        overrides: Other settings of the trial runs.
    """

    name: str
    parameter: str
    value: float
    low: float
    high: float
    unit: str
    source: str
    regime: str
    residents: int
    steps: int
    bracket: tuple[float, float]
    outcome: str
    measured: Literal["final", "yearly_level", "yearly_growth"]
    overrides: Mapping[str, Any] = field(default_factory=dict)


TARGETS: tuple[Target, ...] = (
    Target(
        "organization_density",
        "org_founding_rate",
        3.55 * HOUSEHOLD_SIZE,
        0.5 * 3.55 * HOUSEHOLD_SIZE,
        2.0 * 3.55 * HOUSEHOLD_SIZE,
        "organizations per 10,000 households, after five years",
        "Ministry of Civil Affairs bulletins 2010-2012 (3.4-3.7 per 10,000 people)",
        "baseline",
        10_000,
        260,
        (1e-6, 0.05),
        outcome="organizations_per_10k",
        measured="final",
    ),
    Target(
        "incident_rate",
        "inflow_rate",
        180_000 / (1.34e9 / HOUSEHOLD_SIZE) * 10_000,
        0.5 * 180_000 / (1.34e9 / HOUSEHOLD_SIZE) * 10_000,
        2.0 * 180_000 / (1.34e9 / HOUSEHOLD_SIZE) * 10_000,
        "mass incidents per 10,000 households a year, years 4-5",
        "Sun Liping (2011): about 180,000 mass incidents in 2010",
        "baseline",
        10_000,
        260,
        (0.005, 1.0),
        outcome="incidents_per_10k",
        measured="yearly_level",
    ),
)
"""The calibration targets of the model's defaults, visited in this order."""

GROWTH = Target(
    "incident_growth",
    "need_drift",
    0.185,
    0.16,
    0.21,
    "yearly growth of mass incidents over years 4-10 (share a year)",
    "Tong and Lei (2010); Ministry of Public Security; Sun Liping (2011)",
    "baseline",
    10_000,
    520,
    (1e-5, 0.0015),  # above, the city tips into lasting protest and growth falls again
    outcome="incidents_per_10k",
    measured="yearly_growth",
)
"""The drift of hardship that reproduces the growth of incident counts, under the
regime the rate of incidents is calibrated in (the checks also try it under
rigid suppression, as the article's error)."""


def measure(
    target: Target, steps: int, residents: int, seed: int, values: Mapping[str, Any]
) -> float | np.ndarray:
    """The target's measure in one run with these parameter values (a worker's task).

    For the growth target, the run's yearly counts: growth is measured on
    their mean over the seeds (:func:`trial`).
    """
    from model import simulate  # noqa: PLC0415 (imported in the worker)

    table = simulate(target.regime, steps=steps, n_residents=residents, seed=seed, **values)
    if target.measured == "final":
        return float(table[target.outcome].iloc[-1])
    yearly = yearly_sums(table[target.outcome].to_numpy()[1:])
    if target.measured == "yearly_level":
        return float(yearly[SETTLING_YEARS:].mean())
    return yearly


WEEKS_A_YEAR = 52
"""Weeks in a simulated year (a step is a week)."""


def yearly_sums(weekly: np.ndarray) -> np.ndarray:
    """Sums of a weekly outcome over each full year (step 0 excluded by the caller).

    One function for the calibration and the validation, so that both count
    a year, and so measure growth, the same way.
    """
    years = weekly.size // WEEKS_A_YEAR
    return np.asarray(weekly[: years * WEEKS_A_YEAR].reshape(years, WEEKS_A_YEAR).sum(axis=1))


def growth_rate(yearly: np.ndarray) -> float:
    """Yearly growth: the slope of log(incidents + 0.1 per 10,000) against years.

    A log-linear fit over every year, with the counts offset by a small
    constant so that a quiet first year does not make the growth infinite.
    """
    return float(growth_rates(np.asarray(yearly)[:, None])[0])


def growth_rates(yearly: np.ndarray) -> np.ndarray:
    """:func:`growth_rate` of each column of ``yearly`` (years down, series across).

    One fit for many series (bootstrap resamples of the cities' mean).
    """
    years = np.arange(yearly.shape[0], dtype=float)
    slopes = np.polyfit(years, np.log(yearly + 0.1), 1)[0]
    return np.asarray(np.expm1(slopes))


def trial(
    target: Target,
    value: float,
    fixed: Mapping[str, Any],
    seeds: Sequence[int],
    pool: Any,
    scale: float,
) -> float:
    """The target's measure, averaged over ``seeds``, with the parameter at ``value``.

    Growth is the growth of the seeds' mean yearly counts, not the mean of
    each seed's growth: a national count adds up cities whose waves are
    not in step, and a single city's quiet years would weigh as zeros in a
    log (the validation measures it so, ``experiments.validation.incidents``).
    """
    values = {**fixed, **target.overrides, target.parameter: value}
    residents = max(500, int(target.residents * scale))
    steps = target.steps
    futures = [pool.submit(measure, target, steps, residents, s, values) for s in seeds]
    measures = [f.result() for f in futures]
    if target.measured == "yearly_growth":
        return growth_rate(np.mean(measures, axis=0)[SETTLING_YEARS:])
    return float(np.nanmean(measures))


def bisect(
    target: Target,
    fixed: Mapping[str, Any],
    seeds: Sequence[int],
    pool: Any,
    scale: float,
    record: Callable[[dict[str, Any]], None],
    *,
    iterations: int = 10,
) -> float:
    """The parameter value whose measure is nearest the target (log-scale bisection)."""
    lo, hi = target.bracket
    m_lo, m_hi = (trial(target, v, fixed, seeds, pool, scale) for v in (lo, hi))
    record({"target": target.name, "value": lo, "measured": m_lo})
    record({"target": target.name, "value": hi, "measured": m_hi})
    if not m_lo <= target.value <= m_hi:
        # The target is outside what the bracket reaches: keep the nearer end.
        return lo if abs(m_lo - target.value) < abs(m_hi - target.value) else hi
    best, best_gap = lo, abs(m_lo - target.value)
    for _ in range(iterations):
        mid = math.sqrt(lo * hi)
        measured = trial(target, mid, fixed, seeds, pool, scale)
        record({"target": target.name, "value": mid, "measured": measured})
        if abs(measured - target.value) < best_gap:
            best, best_gap = mid, abs(measured - target.value)
        if target.low <= measured <= target.high and best_gap < 0.1 * target.value:
            break
        if measured < target.value:
            lo = mid
        else:
            hi = mid
    return best


def calibrate(
    targets: Sequence[Target],
    *,
    seeds: Sequence[int],
    workers: int,
    scale: float = 1.0,
    rounds: int = 3,
    fixed: Mapping[str, float] | None = None,
) -> tuple[dict[str, float], pd.DataFrame, pd.DataFrame]:
    """Calibrate every target in turn until all are within tolerance at once.

    Args:
        targets: The targets, visited in this order.
        seeds: Seeds of every trial (the same at every trial).
        workers: Worker processes.
        scale: City size of the trials relative to the targets' own.
        rounds: Most rounds over the targets.
        fixed: Parameter values held fixed (calibrated earlier).

    Returns:
        (calibrated values, every trial, the final check of each target).
    """
    trials: list[dict[str, Any]] = []
    # Each parameter starts at the middle of its bracket (on a log scale), not at
    # its default: the result must not depend on the defaults it will replace.
    start = {t.parameter: math.sqrt(t.bracket[0] * t.bracket[1]) for t in targets}
    values: dict[str, float] = {**start, **(fixed or {})}
    final: list[dict[str, Any]] = []
    with local_pool(workers) as pool:
        for round_ in range(rounds):

            def record(row: dict[str, Any], round_: int = round_) -> None:
                trials.append({"round": round_, **row})

            for target in targets:
                values[target.parameter] = bisect(target, values, seeds, pool, scale, record)
            final = [_checked(t, values, seeds, pool, scale) for t in targets]
            # Each target found alone can be moved by the next; another round
            # unless all hold at once, each near its goal, not only within
            # its (wide) tolerance.
            if all(
                row["low"] <= row["measured"] <= row["high"]
                and abs(row["measured"] - row["goal"]) <= NEAR * row["goal"]
                for row in final
            ):
                break
    return values, pd.DataFrame(trials), pd.DataFrame(final)


def _checked(
    target: Target, values: Mapping[str, float], seeds: Sequence[int], pool: Any, scale: float
) -> dict[str, Any]:
    """One row of the final table: the target, the value found, and what it gives."""
    value = values[target.parameter]
    return {
        "target": target.name,
        "parameter": target.parameter,
        "value": value,
        "measured": trial(target, value, values, seeds, pool, scale),
        "goal": target.value,
        "low": target.low,
        "high": target.high,
        "unit": target.unit,
        "source": target.source,
        "regime": target.regime,
    }


def yearly_course(
    values: Mapping[str, float], *, seeds: Sequence[int], workers: int, scale: float = 1.0
) -> pd.DataFrame:
    """Year by year over ten years, with the calibrated values: how the city settles.

    Shows what the targets' windows are chosen against: the wave of protest
    with which a city that starts without grievance settles, and the
    course with the calibrated drift (when there is one). Mean over
    ``seeds`` of each year's incidents per 10,000 households and the mean
    share protesting, under the baseline regime.
    """
    residents = max(500, int(GROWTH.residents * scale))
    drifts = [0.0] + ([values["need_drift"]] if "need_drift" in values else [])
    rows: list[dict[str, Any]] = []
    with local_pool(workers) as pool:
        for drift in drifts:
            settings = {**values, "need_drift": drift}
            futures = [
                pool.submit(_yearly_run, residents, GROWTH.steps, s, settings) for s in seeds
            ]
            incidents, protest = np.mean([f.result() for f in futures], axis=0)
            for year, (count, share) in enumerate(zip(incidents, protest, strict=True), 1):
                rows.append({"need_drift": drift, "year": year,
                             "incidents_per_10k": count, "share_protesting": share})  # fmt: skip
    return pd.DataFrame(rows)


def _yearly_run(
    residents: int, steps: int, seed: int, values: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """One baseline run's yearly incidents per 10,000 and mean share protesting (a task)."""
    from model import simulate  # noqa: PLC0415 (imported in the worker)

    table = simulate("baseline", steps=steps, n_residents=residents, seed=seed, **values)
    weekly = table.iloc[1:]
    protest = yearly_sums(weekly["share_protesting"].to_numpy()) / WEEKS_A_YEAR
    return yearly_sums(weekly["incidents_per_10k"].to_numpy()), protest


def _positive_scale(text: str) -> float:
    """``--scale``: a number above zero (argparse ``type``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{value} must be above 0")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the calibration and write its results folder."""
    parser = OneLineParser(
        prog="python -m experiments.calibrate",
        description="Calibrate the model's free world parameters to facts (docs/calibration.md).",
    )
    parser.add_argument("--seeds", type=positive_int, default=20, help="seeds per trial")
    parser.add_argument("--workers", type=positive_int, default=default_workers(), help="processes")
    parser.add_argument("--scale", type=_positive_scale, default=1.0,
                        help="city size relative to full")  # fmt: skip
    parser.add_argument("--growth", action="store_true", help="also find the drift of incidents")
    parser.add_argument("--out", default="results", help="parent folder of the results folder")
    args = parser.parse_args(argv)
    targets = (*TARGETS, GROWTH) if args.growth else TARGETS
    seeds = list(range(1000, 1000 + args.seeds))
    store = ResultsStore.create(
        args.out, "calibration",
        {"kind": "calibration", "seeds": seeds, "scale": args.scale,
         "targets": [t.name for t in targets], **provenance(executor=f"{args.workers} workers")},
    )  # fmt: skip
    values, trials, final = calibrate(TARGETS, seeds=seeds, workers=args.workers, scale=args.scale)
    if args.growth:
        # The drift is found with the calibrated defaults, and enters no other target.
        values, growth_trials, growth_final = calibrate(
            (GROWTH,), seeds=seeds, workers=args.workers, scale=args.scale, fixed=values
        )
        trials = pd.concat([trials, growth_trials], ignore_index=True)
        final = pd.concat([final, growth_final], ignore_index=True)
    store.write_summary("trials", trials)
    store.write_summary("calibrated", final)
    settling = yearly_course(values, seeds=seeds, workers=args.workers, scale=args.scale)
    store.write_summary("yearly", settling)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(final.drop(columns=["source"]).to_string(index=False))
        print(settling.round(4).to_string(index=False))
    print(f"calibration: {store.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
