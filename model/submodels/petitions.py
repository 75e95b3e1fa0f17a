"""Process 5, ``respond_to_petitions``: the safety valve, or interception.

Cadres' service effort gives each district a capacity; petitions beyond it
go unanswered. A handled petition is accepted with probability
``tolerance`` (raised for members of an autonomous mediating organization):
grievance is released, the worst need may be resolved, and trust rises.
Otherwise it is intercepted: injustice, lost trust, a rebuff that keeps the
resident away from the channel, and with probability ``repression``
detention (MODEL.md section 4, Petitions; the article's Errors 1 and 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.jit import jit
from model.population import weightiest
from model.submodels.capacity import served_within_capacity
from model.types import BoolArray, FloatArray, IntArray


@dataclass(frozen=True)
class PetitionResponse:
    """What happened to each resident's petition this step (all length n).

    Attributes:
        accepted: Petition handled and accepted.
        intercepted: Petition handled and intercepted.
        unanswered: Petition not handled for lack of capacity.
        detained: Intercepted and detained.
        resolved: Accepted and the worst need resolved.
        terms: Detention term of each detained resident, in index order.
        handled: Number of petitions handled per district (service effort used).
    """

    accepted: BoolArray
    intercepted: BoolArray
    unanswered: BoolArray
    detained: BoolArray
    resolved: BoolArray
    terms: IntArray
    handled: FloatArray


def respond_to_petitions(
    petitioning: BoolArray,
    district: IntArray,
    service_capacity: FloatArray,
    tolerance: FloatArray,
    tolerance_bonus: FloatArray | float,
    *,
    repression: float,
    resolution: float,
    max_detention: int,
    rng: np.random.Generator,
) -> PetitionResponse:
    """Handle this step's petitions within each district's service capacity.

    Four uniform draws are made per petitioner whatever the levers, so two
    calls with the same generator state differ only through the levers (the
    monotonicity tests rely on this: more tolerance never means more
    interceptions, all else equal).

    Args:
        petitioning: True for residents petitioning now.
        district: District of every resident.
        service_capacity: Petitions each district can handle this step.
        tolerance: Chance of acceptance in each district (the cadres').
        tolerance_bonus: Extra chance of acceptance per resident (mediation
            by an autonomous organization); scalar or length n.
        repression: Chance that an intercepted petitioner is detained.
        resolution: Chance that an accepted petition resolves the worst need.
        max_detention: Longest detention term.
        rng: The run's random generator.

    Returns:
        A :class:`PetitionResponse`.
    """
    n = petitioning.shape[0]
    who = np.flatnonzero(petitioning)
    draws = rng.random((4, who.size))
    bonus = np.broadcast_to(np.asarray(tolerance_bonus, dtype=np.float64), (n,))
    fate, handled = _handle(
        who,
        draws,
        district,
        service_capacity,
        tolerance,
        np.ascontiguousarray(bonus),
        repression,
        resolution,
    )
    detained = fate == _DETAINED
    return PetitionResponse(
        accepted=(fate == _ACCEPTED) | (fate == _RESOLVED),
        intercepted=(fate == _INTERCEPTED) | detained,
        unanswered=fate == _UNANSWERED,
        detained=detained,
        resolved=fate == _RESOLVED,
        terms=rng.integers(1, max_detention + 1, size=int(np.count_nonzero(detained))),
        handled=handled,
    )


_NONE, _UNANSWERED, _ACCEPTED, _RESOLVED, _INTERCEPTED, _DETAINED = range(6)


@jit
def _handle(
    who: IntArray,
    draws: FloatArray,
    district: IntArray,
    service_capacity: FloatArray,
    tolerance: FloatArray,
    bonus: FloatArray,
    repression: float,
    resolution: float,
) -> tuple[IntArray, FloatArray]:
    """The fate of each petition, coded as one small integer per resident."""
    fate = np.zeros(district.size, dtype=np.int8)
    group = district[who]
    handled_here = served_within_capacity(group, service_capacity, draws[0])
    handled = np.zeros(service_capacity.size)
    for j in range(who.size):
        i = who[j]
        if not handled_here[j]:
            fate[i] = _UNANSWERED
            continue
        handled[group[j]] += 1.0
        if draws[1, j] < min(tolerance[group[j]] + bonus[i], 1.0):
            fate[i] = _RESOLVED if draws[3, j] < resolution else _ACCEPTED
        else:
            fate[i] = _DETAINED if draws[2, j] < repression else _INTERCEPTED
    return fate, handled


@jit
def resolve_worst_need(
    need: FloatArray, need_weight: FloatArray, resolved: BoolArray
) -> FloatArray:
    """Set to zero the weightiest unmet need of each resident marked resolved."""
    updated = need.copy()
    for i in np.flatnonzero(resolved):
        updated[i, weightiest(need[i], need_weight[i])] = 0.0
    return updated
