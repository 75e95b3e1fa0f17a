"""Process 5, ``respond_to_petitions``: the safety valve, or interception.

Cadres' service effort gives each district a capacity; petitions beyond it
go unanswered. A handled petition is accepted with probability
``tolerance`` (raised for members of an autonomous mediating organization):
grievance is released, the worst need may be resolved, and trust rises.
Otherwise it is intercepted: injustice, lost trust, a rebuff that keeps the
resident away from the channel, and with probability ``repression``
detention (the article's Errors 1 and 2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.draws import (
    PETITION_ACCEPT,
    PETITION_DETAIN,
    PETITION_QUEUE,
    PETITION_RESOLVE,
    PETITION_TERM,
    uniform,
)
from model.jit import jit, unsigned
from model.population import PETITIONING, weightiest
from model.submodels.capacity import served_within_capacity
from model.submodels.repression import detain, detention_term
from model.types import FloatArray

if TYPE_CHECKING:
    from model.cadres import Districts
    from model.params import Coefficients
    from model.population import Residents
    from model.submodels.organizations import Organizations

UNANSWERED, ACCEPTED, RESOLVED, INTERCEPTED, DETAINED = range(1, 6)
"""The fate of a petition."""


@jit
def forget_rebuffs(residents: Residents, lo: int, hi: int) -> None:
    """A week passes for residents ``lo..hi-1`` rebuffed from the channel."""
    left = residents.rebuffed_left
    for k in range(lo, hi):
        i = unsigned(k)
        left[i] = max(left[i] - 1, 0)


@jit
def respond_to_petitions(
    residents: Residents,
    districts: Districts,
    organizations: Organizations,
    coef: Coefficients,
    key: np.uint64,
    step: int,
) -> FloatArray:
    """Handle this step's petitions within each district's service capacity.

    Petitioners queue in a random order (one draw each); each district's
    cadres handle as many as their service effort allows
    (:func:`~model.submodels.capacity.served_within_capacity`). A handled
    petition's fate is :func:`petition_fate`; the acceptance chance is the
    district cadres' tolerance plus the mediation of the petitioner's
    organization, ``org_mediation x autonomy x alignment``: an autonomous
    organization true to its mission vouches for its members, a dependent
    or drifting one does not. Serial, because capacity is shared.

    Returns:
        Petitions handled per district (the service effort they used).
    """
    r = residents
    petitioners = np.flatnonzero(r.stance == PETITIONING)
    queue = np.empty(petitioners.size)
    for j in range(petitioners.size):
        queue[j] = uniform(key, step, PETITION_QUEUE, petitioners[j])
    handled_here = served_within_capacity(
        r.district[petitioners], districts.service_capacity, queue
    )
    handled = np.zeros(districts.service_capacity.size)
    for j in range(petitioners.size):
        i = unsigned(petitioners[j])
        fate = UNANSWERED
        if handled_here[j]:
            handled[r.district[i]] += 1.0
            o = r.org[i]
            mediation = coef.org_mediation * organizations.autonomy[o] * organizations.alignment[o]
            fate = petition_fate(
                uniform(key, step, PETITION_ACCEPT, i),
                uniform(key, step, PETITION_DETAIN, i),
                uniform(key, step, PETITION_RESOLVE, i),
                districts.tolerance[r.district[i]] + mediation,
                coef.repression,
                coef.resolution,
            )
        settle_petition(r, i, fate, coef, key, step)
    return handled


@jit
def petition_fate(
    accept_draw: float,
    detain_draw: float,
    resolve_draw: float,
    tolerance: float,
    repression: float,
    resolution: float,
) -> int:
    """The fate of one handled petition, from its three uniform draws."""
    if accept_draw < min(tolerance, 1.0):
        return RESOLVED if resolve_draw < resolution else ACCEPTED
    return DETAINED if detain_draw < repression else INTERCEPTED


@jit
def settle_petition(
    residents: Residents, i: int, fate: int, coef: Coefficients, key: np.uint64, step: int
) -> None:
    """What a petition's fate means for petitioner ``i`` (in place).

    Accepted: grievance falls by ``release`` and trust rises; resolved: the
    weightiest need is met as well. Unanswered: a small injustice.
    Intercepted: injustice, lost trust and a rebuff of ``rebuff_memory``
    steps, and the petitioner is a victim its neighbours react to;
    detained: detention as well (:func:`~model.submodels.repression.detain`).
    """
    r = residents
    if fate == UNANSWERED:
        r.injustice[i] += coef.injustice_unanswered
    elif fate in (ACCEPTED, RESOLVED):
        r.grievance[i] *= 1.0 - coef.release
        r.experience[i] += coef.trust_answered
        if fate == RESOLVED:
            r.need[i, weightiest(r.need, r.need_weight, i)] = 0.0
    else:
        r.injustice[i] += coef.injustice_intercepted
        r.experience[i] -= coef.trust_intercepted
        r.rebuffed_left[i] = coef.rebuff_memory
        r.victim[i] = True
        if fate == DETAINED:
            detain(r, i, detention_term(key, step, PETITION_TERM, i, coef.max_detention), coef)
