"""What values each outcome can take, and the axis it is drawn on.

Two things every table and figure of the project needs and the outcome
declarations (:data:`model.outcomes.OUTCOME_INFO`) do not say in numbers:

* the **possible range** of an outcome, read from its unit: a share lies in
  [0, 1], a count is never negative. An interval that leaves that range (a
  stability interval reaching 1.01, a count's reaching below zero) claims
  values no run can produce; :mod:`experiments.intervals` chooses, from
  this range, an interval method that cannot leave it (a percentile
  bootstrap for a bounded outcome's level, the t interval for a paired
  difference where it fits), rather than cutting a t interval back.
* the **axis** an outcome is drawn on: fixed, from zero, with a top that
  moves only in a few round jumps (:func:`axis_top`), so that a change from
  0.604 to 0.626 looks as small as it is and a line never runs off its
  axis. ``sixerrors run``, the classroom and the report's time series share
  these axes.

Why from the unit: the units are declared once per outcome; a new outcome
with a unit this module does not know fails ``tests/test_scales.py`` rather
than being drawn or bounded wrongly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

from model.outcomes import OUTCOME_INFO

UNIT_RANGES: Mapping[str, tuple[float, float]] = MappingProxyType(
    {
        "share": (0.0, 1.0),
        "probability": (0.0, 1.0),
        "index": (0.0, 1.0),
        "grievance per resident": (0.0, 1.0),
        "hardship": (0.0, 1.0),
        "incidents": (0.0, math.inf),
        "residents": (0.0, math.inf),
        "per 10,000": (0.0, 10_000.0),
        "steps": (0.0, math.inf),
        "effort": (0.0, math.inf),
        "need units": (0.0, math.inf),
        "organizations": (0.0, math.inf),
    }
)
"""Possible range of an outcome by its declared unit."""

FULL_SCALE: frozenset[str] = frozenset(
    {"mean_legitimacy", "mean_grievance", "stability", "mean_hardship", "org_membership"}
)
"""Outcomes always drawn over their whole range (0 to 1): the levels a reader compares."""

AXIS_FLOORS: Mapping[str, float] = MappingProxyType(
    {
        "hidden_grievance": 0.5,
        "share_protesting": 0.1,
        "share_detained": 0.1,
        "share_petitioning": 0.1,
        "incidents_per_10k": 10.0,
        "largest_incident_per_10k": 100.0,
        "mass_incidents": 5.0,
        "largest_incident": 20.0,
    }
)
"""The smallest axis top of an outcome: small values stay small on the page."""


def outcome_range(outcome: str) -> tuple[float, float]:
    """The values ``outcome`` can take: ``(-inf, inf)`` for an unknown name or unit."""
    info = OUTCOME_INFO.get(outcome)
    if info is None:
        return (-math.inf, math.inf)
    return UNIT_RANGES.get(info.unit, (-math.inf, math.inf))


def difference_range(outcome: str) -> tuple[float, float]:
    """The values a difference of two values of ``outcome`` can take (e.g. -1..1 for a share)."""
    low, high = outcome_range(outcome)
    span = high - low
    return (-span, span)


def nice_ceiling(value: float, floor: float) -> float:
    """The smallest of 1, 2, 5 x 10^k at or above ``value`` (and at least ``floor``).

    Axis tops move in these few jumps only, so a chart's ticks change
    rarely while its lines grow.
    """
    value = max(value, floor)
    if not math.isfinite(value) or value <= 0:
        return floor
    exponent = math.floor(math.log10(value))
    for mantissa in (1.0, 2.0, 5.0, 10.0):
        top = mantissa * 10.0**exponent
        if top >= value * (1 - 1e-12):
            return float(top)
    return float(10.0 ** (exponent + 1))  # pragma: no cover - unreachable


def axis_top(outcome: str, peak: float) -> float:
    """The top of ``outcome``'s axis (its bottom is zero) for a largest value ``peak``.

    Levels of trust, grievance and the like are drawn over their whole range;
    anything else from zero to the first round number above both ``peak``
    and the outcome's floor, never beyond the outcome's possible maximum.
    """
    low, high = outcome_range(outcome)
    if outcome in FULL_SCALE and math.isfinite(high):
        return high
    floor = AXIS_FLOORS.get(outcome, 0.1 if high <= 1.0 else 1.0)
    peak = peak if math.isfinite(peak) else 0.0
    return min(nice_ceiling(max(peak, low), floor), high)
