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
    group = district[who]
    handled_here = served_within_capacity(group, service_capacity, draws[0])
    bonus = np.broadcast_to(np.asarray(tolerance_bonus, dtype=np.float64), (n,))[who]
    accept_chance = np.minimum(tolerance[group] + bonus, 1.0)
    accepted_here = handled_here & (draws[1] < accept_chance)
    intercepted_here = handled_here & ~accepted_here

    def spread(mask: BoolArray) -> BoolArray:
        full = np.zeros(n, dtype=bool)
        full[who[mask]] = True
        return full

    detained_here = intercepted_here & (draws[2] < repression)
    return PetitionResponse(
        accepted=spread(accepted_here),
        intercepted=spread(intercepted_here),
        unanswered=spread(~handled_here),
        detained=spread(detained_here),
        terms=rng.integers(1, max_detention + 1, size=int(detained_here.sum())),
        resolved=spread(accepted_here & (draws[3] < resolution)),
        handled=np.bincount(group[handled_here], minlength=service_capacity.shape[0]).astype(
            np.float64
        ),
    )


def resolve_worst_need(
    need: FloatArray, need_weight: FloatArray, resolved: BoolArray
) -> FloatArray:
    """Set to zero the weightiest unmet need of each resident whose petition resolved it."""
    updated = need.copy()
    rows = np.flatnonzero(resolved)
    worst = np.argmax(need_weight[rows] * need[rows], axis=1)
    updated[rows, worst] = 0.0
    return updated
