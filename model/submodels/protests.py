"""Process 6, ``respond_to_protests``: arrest or dialogue; detention.

Control effort gives each district a capacity to act against protesters;
each protester it reaches is arrested with probability ``repression`` and
detained for a term uniform on ``1..max_detention`` steps. Protesters not
arrested get dialogue with probability ``tolerance x rights``, within the
service effort left after petitions: part of their grievance is released
(MODEL.md section 4, Protests; the article's Errors 1 and 4).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.jit import jit
from model.population import DETAINED, QUIET
from model.submodels.capacity import served_within_capacity
from model.types import BoolArray, FloatArray, IntArray


@dataclass(frozen=True)
class ProtestResponse:
    """What happened to each protester this step (all length n but ``terms``).

    Attributes:
        arrested: Reached by control and arrested.
        dialogue: Not arrested, and answered through dialogue.
        terms: Detention term of each arrested resident, in index order.
    """

    arrested: BoolArray
    dialogue: BoolArray
    terms: IntArray


def respond_to_protests(
    protesting: BoolArray,
    district: IntArray,
    control_capacity: FloatArray,
    dialogue_capacity: FloatArray,
    *,
    repression: float,
    tolerance: float,
    rights: float,
    max_detention: int,
    rng: np.random.Generator,
) -> ProtestResponse:
    """Arrest or answer this step's protesters, district by district.

    Args:
        protesting: True for residents protesting now.
        district: District of every resident.
        control_capacity: Protesters control can reach per district.
        dialogue_capacity: Protesters service can still answer per district.
        repression: Chance that a reached protester is arrested.
        tolerance: The regime's tolerance (dialogue needs tolerance and rights).
        rights: Protection of rights.
        max_detention: Longest detention term.
        rng: The run's random generator.

    Returns:
        A :class:`ProtestResponse`.
    """
    who = np.flatnonzero(protesting)
    draws = rng.random((4, who.size))
    arrested, dialogue = _arrest_or_answer(
        who, draws, district, control_capacity, dialogue_capacity, repression, tolerance * rights
    )
    terms = rng.integers(1, max_detention + 1, size=int(np.count_nonzero(arrested)))
    return ProtestResponse(arrested=arrested, dialogue=dialogue, terms=terms)


@jit
def _arrest_or_answer(
    who: IntArray,
    draws: FloatArray,
    district: IntArray,
    control_capacity: FloatArray,
    dialogue_capacity: FloatArray,
    repression: float,
    dialogue_chance: float,
) -> tuple[BoolArray, BoolArray]:
    """Arrests within control capacity, then dialogue for those still free."""
    arrested = np.zeros(district.size, dtype=np.bool_)
    dialogue = np.zeros(district.size, dtype=np.bool_)
    group = district[who]
    reached = served_within_capacity(group, control_capacity, draws[0])
    free = np.zeros(who.size, dtype=np.bool_)
    for j in range(who.size):
        if reached[j] and arrests(draws[1, j], repression):
            arrested[who[j]] = True
        else:
            free[j] = True
    # Dialogue capacity is rationed among the protesters still free.
    rest = np.flatnonzero(free)
    offered = served_within_capacity(group[rest], dialogue_capacity, draws[2][rest])
    for k in range(rest.size):
        j = rest[k]
        if offered[k] and answers(draws[3, j], dialogue_chance):
            dialogue[who[j]] = True
    return arrested, dialogue


@jit
def arrests(draw: float, repression: float) -> bool:
    """Whether control that reaches a protester arrests it (one draw)."""
    return draw < repression


@jit
def answers(draw: float, dialogue_chance: float) -> bool:
    """Whether a protester offered dialogue gets it (one draw)."""
    return draw < dialogue_chance


@jit
def serve_detention(stance: IntArray, detention_left: IntArray) -> tuple[IntArray, IntArray]:
    """One step of detention passes; residents whose term ends go home quiet."""
    new_stance = stance.copy()
    new_left = detention_left.copy()
    for i in range(stance.size):
        new_stance[i], new_left[i] = detention_after(stance[i], detention_left[i])
    return new_stance, new_left


@jit
def detention_after(stance: int, detention_left: int) -> tuple[int, int]:
    """One resident's (stance, term left) after a week of detention passes."""
    if stance != DETAINED:
        return stance, 0
    if detention_left - 1 <= 0:
        return QUIET, 0
    return stance, detention_left - 1




@dataclass(frozen=True)
class ProtestEffects:
    """Resident state after the consequences of this step's protests."""

    stance: IntArray
    detention_left: IntArray
    grievance: FloatArray
    injustice: FloatArray
    experience: FloatArray


def settle_protests(
    response: ProtestResponse,
    stance: IntArray,
    detention_left: IntArray,
    grievance: FloatArray,
    injustice: FloatArray,
    experience: FloatArray,
    *,
    release: float,
    trust_answered: float,
    injustice_detained: float,
    trust_detained: float,
) -> ProtestEffects:
    """Apply arrest and dialogue to the protesters concerned.

    Arrested: detention for the drawn term, with its injustice and loss of
    trust. Dialogue: grievance falls by ``release`` and trust rises. One pass
    over the residents; inputs are not changed.
    """
    return ProtestEffects(
        *_settle(
            response.arrested,
            response.dialogue,
            response.terms,
            stance,
            detention_left,
            grievance,
            injustice,
            experience,
            release,
            trust_answered,
            injustice_detained,
            trust_detained,
        )
    )


@jit
def _settle(
    arrested: BoolArray,
    dialogue: BoolArray,
    terms: IntArray,
    stance: IntArray,
    detention_left: IntArray,
    grievance: FloatArray,
    injustice: FloatArray,
    experience: FloatArray,
    release: float,
    trust_answered: float,
    injustice_detained: float,
    trust_detained: float,
) -> tuple[IntArray, IntArray, FloatArray, FloatArray, FloatArray]:
    stance, detention_left, grievance = stance.copy(), detention_left.copy(), grievance.copy()
    injustice, experience = injustice.copy(), experience.copy()
    term = 0
    for i in range(arrested.size):
        if arrested[i]:
            settle_arrest(
                i,
                terms[term],
                stance,
                detention_left,
                injustice,
                experience,
                injustice_detained,
                trust_detained,
            )
            term += 1
        elif dialogue[i]:
            settle_dialogue(i, grievance, experience, release, trust_answered)
    return stance, detention_left, grievance, injustice, experience


@jit
def settle_arrest(
    i: int,
    term: int,
    stance: IntArray,
    detention_left: IntArray,
    injustice: FloatArray,
    experience: FloatArray,
    injustice_detained: float,
    trust_detained: float,
) -> None:
    """Detention of arrested resident ``i`` for ``term`` steps (in place)."""
    stance[i] = DETAINED
    detention_left[i] = term
    injustice[i] += injustice_detained
    experience[i] -= trust_detained


@jit
def settle_dialogue(
    i: int, grievance: FloatArray, experience: FloatArray, release: float, trust_answered: float
) -> None:
    """Dialogue with protester ``i``: grievance released, trust gained (in place)."""
    grievance[i] *= 1.0 - release
    experience[i] += trust_answered
