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

from model.population import Stance
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
    n = protesting.shape[0]
    who = np.flatnonzero(protesting)
    draws = rng.random((4, who.size))
    group = district[who]
    reached = served_within_capacity(group, control_capacity, draws[0])
    arrested_here = reached & (draws[1] < repression)
    free = ~arrested_here
    # Dialogue capacity is rationed among the protesters still free.
    offered = np.zeros(who.size, dtype=bool)
    offered[free] = served_within_capacity(group[free], dialogue_capacity, draws[2][free])
    dialogue_here = offered & (draws[3] < tolerance * rights)
    arrested = np.zeros(n, dtype=bool)
    arrested[who[arrested_here]] = True
    dialogue = np.zeros(n, dtype=bool)
    dialogue[who[dialogue_here]] = True
    terms = rng.integers(1, max_detention + 1, size=int(arrested_here.sum()))
    return ProtestResponse(arrested=arrested, dialogue=dialogue, terms=terms)


def detain(
    stance: IntArray, detention_left: IntArray, detained: BoolArray, terms: IntArray
) -> tuple[IntArray, IntArray]:
    """Put residents in detention with the given terms (in index order)."""
    new_stance = stance.copy()
    new_left = detention_left.copy()
    rows = np.flatnonzero(detained)
    new_stance[rows] = Stance.DETAINED
    new_left[rows] = terms
    return new_stance, new_left


def serve_detention(stance: IntArray, detention_left: IntArray) -> tuple[IntArray, IntArray]:
    """One step of detention passes; residents whose term ends go home quiet."""
    detained = stance == Stance.DETAINED
    new_left = np.where(detained, detention_left - 1, 0).astype(detention_left.dtype)
    new_stance = np.where(detained & (new_left <= 0), Stance.QUIET, stance).astype(stance.dtype)
    new_left = np.maximum(new_left, 0)
    return new_stance, new_left
