"""Process 6, ``respond_to_protests``: arrest or dialogue.

Control effort gives each district a capacity to act against protesters;
each protester it reaches is arrested with probability ``repression`` and
detained (:func:`~model.submodels.repression.detain`). Protesters not
arrested get dialogue with probability ``tolerance x rights``, within the
service effort left after petitions: part of their grievance is released
(the article's Errors 1 and 4). The neighbours of everyone detained or
intercepted then react (:func:`~model.submodels.repression.backlash`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.draws import (
    DIALOGUE,
    DIALOGUE_QUEUE,
    PROTEST_ARREST,
    PROTEST_QUEUE,
    PROTEST_TERM,
    uniform,
)
from model.jit import jit
from model.population import PROTESTING
from model.submodels.capacity import served_within_capacity
from model.submodels.repression import detain, detention_term
from model.types import FloatArray

if TYPE_CHECKING:
    from model.cadres import Districts
    from model.params import Coefficients
    from model.population import Residents


@jit
def respond_to_protests(
    residents: Residents,
    districts: Districts,
    petitions_handled: FloatArray,
    coef: Coefficients,
    key: np.uint64,
    step: int,
) -> None:
    """Arrest or answer this step's protesters, district by district.

    Protesters queue for control in a random order; those the district's
    control effort reaches are arrested with probability ``repression``.
    The rest queue for dialogue within the service effort that the
    ``petitions_handled`` in each district left, and get it with probability
    ``tolerance x rights``: grievance falls by ``release`` and trust rises
    by ``trust_answered``. Serial, because capacity is shared.
    """
    r = residents
    protesters = np.flatnonzero(r.stance == PROTESTING)
    queue = np.empty(protesters.size)
    for j in range(protesters.size):
        queue[j] = uniform(key, step, PROTEST_QUEUE, protesters[j])
    reached = served_within_capacity(r.district[protesters], districts.control_capacity, queue)
    free = np.zeros(protesters.size, dtype=np.bool_)
    for j in range(protesters.size):
        i = protesters[j]
        if reached[j] and uniform(key, step, PROTEST_ARREST, i) < coef.repression:
            detain(r, i, detention_term(key, step, PROTEST_TERM, i, coef.max_detention), coef)
        else:
            free[j] = True
    still_free = protesters[free]
    dialogue_queue = np.empty(still_free.size)
    for j in range(still_free.size):
        dialogue_queue[j] = uniform(key, step, DIALOGUE_QUEUE, still_free[j])
    service_left = np.maximum(districts.service_capacity - petitions_handled, 0.0)
    offered = served_within_capacity(r.district[still_free], service_left, dialogue_queue)
    dialogue_chance = coef.tolerance * coef.rights
    for j in range(still_free.size):
        i = still_free[j]
        if offered[j] and uniform(key, step, DIALOGUE, i) < dialogue_chance:
            r.grievance[i] *= 1.0 - coef.release
            r.experience[i] += coef.trust_answered
