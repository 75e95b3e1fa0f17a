"""Process 6, ``respond_to_protests``: arrest or dialogue.

Control effort gives each district a capacity to act against protesters
(what interception of upward petitioners left of it); each protester it
reaches is arrested with the district's arrest probability (the regime's
``repression``, unless forces sent from above on their own orders are
part of the reach: ``Districts.arrest_probability``) and detained
(:func:`~model.submodels.repression.detain`). Protesters not arrested get
dialogue with probability ``rights``, within the service effort left after
petitions: their claim is answered like a petition (voice, and perhaps a
concession at the budget's expense: disruption pays, Chen 2012). The
neighbours of everyone detained or intercepted then react
(:func:`~model.submodels.repression.backlash`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.draws import (
    CONTROL_LIMIT,
    DIALOGUE,
    DIALOGUE_LIMIT,
    DIALOGUE_QUEUE,
    DIALOGUE_RESOLVE,
    INCIDENT_RESOLVE,
    INCIDENT_SETTLE,
    PROTEST_ARREST,
    PROTEST_QUEUE,
    PROTEST_TERM,
    uniform,
)
from model.jit import jit
from model.neighbourhood import connected_groups
from model.population import PROTESTING
from model.submodels.capacity import served_within_capacity
from model.submodels.petitions import PetitionReport, answer
from model.submodels.repression import detain, detention_term
from model.submodels.stance import FAILED

if TYPE_CHECKING:
    from model.cadres import Districts
    from model.neighbourhood import Network
    from model.params import Coefficients
    from model.population import Residents
    from model.submodels.livelihood import Treasury


@jit
def respond_to_protests(
    residents: Residents,
    network: Network,
    districts: Districts,
    petitions: PetitionReport,
    treasury: Treasury,
    coef: Coefficients,
    key: np.uint64,
    step: int,
) -> None:
    """Arrest or answer this step's protesters, district by district.

    Protesters queue for control in a random order; those the district's
    control effort (less the interceptions of ``petitions``) reaches are
    arrested with the district's ``arrest_probability``. The rest queue for dialogue
    within the service effort the handled petitions left, and get it with
    probability ``rights`` (:func:`~model.submodels.petitions.answer`).
    Serial, because capacity is shared.
    """
    r = residents
    protesters = np.flatnonzero(r.stance == PROTESTING)
    queue = np.empty(protesters.size)
    for j in range(protesters.size):
        queue[j] = uniform(key, step, PROTEST_QUEUE, protesters[j])
    control_left = np.maximum(districts.arrest_capacity - petitions.intercepted, 0.0)
    reached = served_within_capacity(
        r.district[protesters], control_left, queue, key, step, CONTROL_LIMIT
    )
    free = np.zeros(protesters.size, dtype=np.bool_)
    for j in range(protesters.size):
        i = protesters[j]
        if (
            reached[j]
            and uniform(key, step, PROTEST_ARREST, i) < districts.arrest_probability[r.district[i]]
        ):
            detain(r, i, detention_term(key, step, PROTEST_TERM, i, coef.max_detention), coef)
            r.voice_outcome[i] = FAILED
        else:
            free[j] = True
    still_free = protesters[free]
    dialogue_queue = np.empty(still_free.size)
    for j in range(still_free.size):
        dialogue_queue[j] = uniform(key, step, DIALOGUE_QUEUE, still_free[j])
    service_left = np.maximum(districts.service_capacity - petitions.handled, 0.0)
    offered = served_within_capacity(
        r.district[still_free], service_left, dialogue_queue, key, step, DIALOGUE_LIMIT
    )
    for j in range(still_free.size):
        i = still_free[j]
        r.rest_left[i] = coef.protest_rest
        if offered[j] and uniform(key, step, DIALOGUE, i) < coef.rights:
            answer(r, i, treasury, coef, uniform(key, step, DIALOGUE_RESOLVE, i))
        else:
            r.voice_outcome[i] = FAILED
    settle_incidents(r, network, districts, treasury, coef, key, step)


@jit
def settle_incidents(
    residents: Residents,
    network: Network,
    districts: Districts,
    treasury: Treasury,
    coef: Coefficients,
    key: np.uint64,
    step: int,
) -> None:
    """Mass incidents are settled as a whole, or not: a big fuss, a big solution.

    Authorities answer a large incident collectively where they answer an
    individual only within a cadre's effort: higher levels send a team,
    settle with the crowd and pay (Cai 2010: disruptive, large protests
    win concessions more often; Chen 2012). Each mass incident still in
    the street after the arrests (a connected group of at least
    ``incident_min_size`` free protesters) is settled with probability
    the tolerance of the district of its first member; then every member
    whose claim was not yet answered is answered
    (:func:`~model.submodels.petitions.answer`: voice, and a concession
    with probability ``resolution`` as far as the budget can pay).
    Otherwise the crowd goes home unanswered.
    """
    r = residents
    members, label, sizes = connected_groups(
        r.stance == PROTESTING, network.indptr, network.indices, r.scratch
    )
    first = np.full(sizes.size, -1, dtype=np.int64)
    for m in range(members.size):
        if first[label[m]] < 0:
            first[label[m]] = members[m]
    settled = np.zeros(sizes.size, dtype=np.bool_)
    for g in range(sizes.size):
        if sizes[g] >= coef.incident_min_size:
            tolerance = districts.tolerance[r.district[first[g]]]
            settled[g] = uniform(key, step, INCIDENT_SETTLE, first[g]) < tolerance
    for m in range(members.size):
        i = members[m]
        if settled[label[m]] and r.voice_outcome[i] == FAILED:
            answer(r, i, treasury, coef, uniform(key, step, INCIDENT_RESOLVE, i))
