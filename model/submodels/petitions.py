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
from model.population import DETAINED as DETAINED_STANCE
from model.population import weightiest
from model.submodels.capacity import served_within_capacity
from model.types import BoolArray, FloatArray, IntArray, per_resident

NONE, UNANSWERED, ACCEPTED, RESOLVED, INTERCEPTED, DETAINED = range(6)
"""The fate of a resident's petition, one code per resident."""


@dataclass(frozen=True)
class PetitionResponse:
    """What happened to each resident's petition this step.

    Attributes:
        fate: One code per resident: NONE (no petition), UNANSWERED,
            ACCEPTED, RESOLVED (accepted and the worst need resolved),
            INTERCEPTED or DETAINED (intercepted and detained).
        terms: Detention term of each detained resident, in index order.
        handled: Number of petitions handled per district (service effort used).
    """

    fate: IntArray
    terms: IntArray
    handled: FloatArray

    @property
    def accepted(self) -> BoolArray:
        """Handled and accepted (resolved or not)."""
        return np.asarray((self.fate == ACCEPTED) | (self.fate == RESOLVED))

    @property
    def resolved(self) -> BoolArray:
        """Accepted, and the weightiest need resolved."""
        return np.asarray(self.fate == RESOLVED)

    @property
    def intercepted(self) -> BoolArray:
        """Handled and intercepted (detained or not)."""
        return np.asarray((self.fate == INTERCEPTED) | (self.fate == DETAINED))

    @property
    def detained(self) -> BoolArray:
        """Intercepted and detained."""
        return np.asarray(self.fate == DETAINED)

    @property
    def unanswered(self) -> BoolArray:
        """Not handled, for lack of capacity."""
        return np.asarray(self.fate == UNANSWERED)


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
    bonus = per_resident(tolerance_bonus, n)
    fate, handled = _handle(
        who,
        draws,
        district,
        service_capacity,
        tolerance,
        bonus,
        repression,
        resolution,
    )
    detained = int(np.count_nonzero(fate == DETAINED))
    return PetitionResponse(
        fate=fate, terms=rng.integers(1, max_detention + 1, size=detained), handled=handled
    )


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
            fate[i] = UNANSWERED
            continue
        handled[group[j]] += 1.0
        fate[i] = petition_fate(
            draws[1, j],
            draws[2, j],
            draws[3, j],
            tolerance[group[j]] + bonus[i],
            repression,
            resolution,
        )
    return fate, handled


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
def resolve_worst_need(
    need: FloatArray, need_weight: FloatArray, resolved: BoolArray
) -> FloatArray:
    """Set to zero the weightiest unmet need of each resident marked resolved."""
    updated = need.copy()
    for i in np.flatnonzero(resolved):
        updated[i, weightiest(need, need_weight, int(i))] = 0.0
    return updated


@dataclass(frozen=True)
class PetitionEffects:
    """Resident state after the consequences of this step's petitions."""

    stance: IntArray
    detention_left: IntArray
    grievance: FloatArray
    need: FloatArray
    rebuffed_left: IntArray
    injustice: FloatArray
    experience: FloatArray


def settle_petitions(
    response: PetitionResponse,
    stance: IntArray,
    detention_left: IntArray,
    grievance: FloatArray,
    need: FloatArray,
    need_weight: FloatArray,
    rebuffed_left: IntArray,
    injustice: FloatArray,
    experience: FloatArray,
    *,
    release: float,
    rebuff_memory: int,
    injustice_unanswered: float,
    injustice_intercepted: float,
    injustice_detained: float,
    trust_answered: float,
    trust_intercepted: float,
    trust_detained: float,
) -> PetitionEffects:
    """Apply what each petition's fate means for its petitioner.

    Accepted: grievance falls by ``release`` and trust rises; resolved: the
    weightiest need is met as well. Unanswered: a small injustice.
    Intercepted: injustice, lost trust and a rebuff of ``rebuff_memory``
    steps; detained: detention for its term, with its own injustice and loss
    of trust. One pass over the residents; inputs are not changed.
    """
    return PetitionEffects(
        *_settle(
            response.fate,
            response.terms,
            stance,
            detention_left,
            grievance,
            need,
            need_weight,
            rebuffed_left,
            injustice,
            experience,
            release,
            rebuff_memory,
            injustice_unanswered,
            injustice_intercepted,
            injustice_detained,
            trust_answered,
            trust_intercepted,
            trust_detained,
        )
    )


@jit
def _settle(
    fate: IntArray,
    terms: IntArray,
    stance: IntArray,
    detention_left: IntArray,
    grievance: FloatArray,
    need: FloatArray,
    need_weight: FloatArray,
    rebuffed_left: IntArray,
    injustice: FloatArray,
    experience: FloatArray,
    release: float,
    rebuff_memory: int,
    injustice_unanswered: float,
    injustice_intercepted: float,
    injustice_detained: float,
    trust_answered: float,
    trust_intercepted: float,
    trust_detained: float,
) -> tuple[IntArray, IntArray, FloatArray, FloatArray, IntArray, FloatArray, FloatArray]:
    stance, detention_left = stance.copy(), detention_left.copy()
    grievance, rebuffed_left = grievance.copy(), rebuffed_left.copy()
    if np.any(fate == RESOLVED):  # the (n, 5) copy only when a need is met
        need = need.copy()
    injustice, experience = injustice.copy(), experience.copy()
    term = 0
    for i in range(fate.size):
        if fate[i] == DETAINED:
            detention = terms[term]
            term += 1
        else:
            detention = 0
        settle_petition(
            i,
            fate[i],
            detention,
            stance,
            detention_left,
            grievance,
            need,
            need_weight,
            rebuffed_left,
            injustice,
            experience,
            release,
            rebuff_memory,
            injustice_unanswered,
            injustice_intercepted,
            injustice_detained,
            trust_answered,
            trust_intercepted,
            trust_detained,
        )
    return stance, detention_left, grievance, need, rebuffed_left, injustice, experience


@jit
def settle_petition(
    i: int,
    fate: int,
    term: int,
    stance: IntArray,
    detention_left: IntArray,
    grievance: FloatArray,
    need: FloatArray,
    need_weight: FloatArray,
    rebuffed_left: IntArray,
    injustice: FloatArray,
    experience: FloatArray,
    release: float,
    rebuff_memory: int,
    injustice_unanswered: float,
    injustice_intercepted: float,
    injustice_detained: float,
    trust_answered: float,
    trust_intercepted: float,
    trust_detained: float,
) -> None:
    """What one petition's fate means for petitioner ``i`` (in place): the single rule."""
    if fate == NONE:
        return
    if fate == UNANSWERED:
        injustice[i] += injustice_unanswered
    elif fate in (ACCEPTED, RESOLVED):
        grievance[i] *= 1.0 - release
        experience[i] += trust_answered
        if fate == RESOLVED:
            need[i, weightiest(need, need_weight, i)] = 0.0
    else:
        injustice[i] += injustice_intercepted
        experience[i] -= trust_intercepted
        rebuffed_left[i] = rebuff_memory
        if fate == DETAINED:
            stance[i] = DETAINED_STANCE
            detention_left[i] = term
            injustice[i] += injustice_detained
            experience[i] -= trust_detained


