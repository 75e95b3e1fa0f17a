"""Process 5, ``respond_to_petitions``: the safety valve, interception, and escalation.

Petitions go to one of three levels: the district's own office (county),
the province, or the centre. At the district, cadres' service effort gives
a capacity; petitions beyond it go unanswered. A handled petition is
accepted with probability ``tolerance`` (raised for members of an
autonomous mediating organization): grievance is released and trust rises
(hypothesis ``voice``) and, with probability ``resolution``, the worst need
is resolved at the budget's expense (a concession). Otherwise it is
rejected: injustice, lost trust (hypothesis ``repression``), a rebuff that
keeps the resident away from the channel, and with probability
``repression`` detention.

A petitioner failed at one level takes its next petition a level higher
with probability ``escalation``: blocked local channels push petitioners
upward (the "inverted pyramid" of 2003). Local cadres, judged by petitions
that reach above them, try to intercept petitioners on their way up within
their control effort, with the chance that they reject a petition; an
intercepted petitioner is treated as rejected and, its problem unsolved,
will try the same level again. A petition that gets through is handled by the upper level's
offices within their capacity; one they take up (``upper_acceptance``) is
sent back to be settled at the district's expense, and counts against the
district's cadres (Minzner 2006). A petition above that comes to nothing
keeps the petitioner away for ``rebuff_memory`` steps (the journey costs
time); one that fails at the centre sends the petitioner home to the local
level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from model.draws import (
    INTERCEPT,
    INTERCEPT_LIMIT,
    INTERCEPT_QUEUE,
    PETITION_ACCEPT,
    PETITION_DETAIN,
    PETITION_ESCALATE,
    PETITION_QUEUE,
    PETITION_RESOLVE,
    PETITION_TERM,
    SERVICE_LIMIT,
    UPPER_ACCEPT,
    UPPER_LIMIT,
    UPPER_QUEUE,
    uniform,
)
from model.jit import inline_jit, jit, unsigned
from model.population import PETITIONING
from model.submodels.capacity import served_within_capacity
from model.submodels.livelihood import resolve_weightiest
from model.submodels.organizations import MEDIATION
from model.submodels.repression import detain, detention_term
from model.submodels.stance import ANSWERED, FAILED
from model.types import FloatArray, IntArray

if TYPE_CHECKING:
    from model.cadres import Districts
    from model.params import Coefficients
    from model.population import Residents
    from model.submodels.livelihood import Treasury
    from model.submodels.organizations import Organizations

LOCAL, PROVINCE, CENTRE = 0, 1, 2
"""Petition levels (``Residents.petition_level``), also slots of ``PetitionReport.by_level``."""

LEVELS = 3
"""Petition levels: local, province, centre."""

SETTLED_LOCALLY, SETTLED_ABOVE = 0, 1
"""Slots of ``PetitionReport.settled``: settled by the district, and taken up above it."""

PLACES_SETTLED = 2
"""Places a petition can be settled: locally, or from above."""


class PetitionReport(NamedTuple):
    """What this step's petitions did.

    Attributes:
        handled: Petitions the district's service effort handled, per district.
        intercepted: Upward petitioners intercepted, per district (control used).
        upward: Petitions upper levels took up against each district.
        by_level: Petitions filed at each level (slots :data:`LOCAL`,
            :data:`PROVINCE`, :data:`CENTRE`).
        settled: Petitions settled at the local level and from above (slots
            :data:`SETTLED_LOCALLY`, :data:`SETTLED_ABOVE`).
    """

    handled: FloatArray
    intercepted: FloatArray
    upward: IntArray
    by_level: FloatArray
    settled: FloatArray


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
    treasury: Treasury,
    coef: Coefficients,
    key: np.uint64,
    step: int,
) -> PetitionReport:
    """Handle this step's petitions at their levels, within each office's capacity.

    Serial, because capacities are shared. Local petitioners queue in a
    random order for the district's service effort; upward petitioners
    first meet the district's interception (within its control effort,
    :attr:`~model.cadres.Districts.arrest_capacity`), then queue for the
    province's or the centre's offices. Every petitioner's
    ``voice_outcome`` records whether its claim was answered.
    """
    r = residents
    r.voice_outcome[:] = 0
    n_districts = districts.service_capacity.size
    report = PetitionReport(
        np.zeros(n_districts),
        np.zeros(n_districts),
        np.zeros(n_districts, dtype=np.int64),
        np.zeros(LEVELS),
        np.zeros(PLACES_SETTLED),
    )
    petitioners = np.flatnonzero(r.stance == PETITIONING)
    local = petitioners[r.petition_level[petitioners] == LOCAL]
    upward = petitioners[r.petition_level[petitioners] != LOCAL]
    report.by_level[LOCAL] = local.size
    _handle_locally(r, local, districts, organizations, treasury, report, coef, key, step)
    _intercept_or_pass(r, upward, districts, treasury, report, coef, key, step)
    return report


@jit
def _handle_locally(
    r: Residents,
    petitioners: IntArray,
    districts: Districts,
    organizations: Organizations,
    treasury: Treasury,
    report: PetitionReport,
    coef: Coefficients,
    key: np.uint64,
    step: int,
) -> None:
    queue = np.empty(petitioners.size)
    for j in range(petitioners.size):
        queue[j] = uniform(key, step, PETITION_QUEUE, petitioners[j])
    handled_here = served_within_capacity(
        r.district[petitioners], districts.service_capacity, queue, key, step, SERVICE_LIMIT
    )
    for j in range(petitioners.size):
        i = unsigned(petitioners[j])
        if not handled_here[j]:
            r.injustice[i] += coef.injustice_unanswered
            _failed(r, i, coef, key, step)
            continue
        district = r.district[i]
        report.handled[district] += 1.0
        o = r.org[i]
        mediation = 0.0
        if o >= 0 and organizations.kind[o] == MEDIATION:
            mediation = coef.org_mediation * organizations.autonomy[o] * organizations.alignment[o]
        if uniform(key, step, PETITION_ACCEPT, i) < min(
            districts.tolerance[district] + mediation, 1.0
        ):
            answer(r, i, treasury, coef, uniform(key, step, PETITION_RESOLVE, i))
            report.settled[SETTLED_LOCALLY] += 1.0
        else:
            reject(r, i, coef, key, step)
            _failed(r, i, coef, key, step)


@jit
def _intercept_or_pass(
    r: Residents,
    petitioners: IntArray,
    districts: Districts,
    treasury: Treasury,
    report: PetitionReport,
    coef: Coefficients,
    key: np.uint64,
    step: int,
) -> None:
    """Upward petitioners: the district's interception first, then the upper offices."""
    queue = np.empty(petitioners.size)
    for j in range(petitioners.size):
        queue[j] = uniform(key, step, INTERCEPT_QUEUE, petitioners[j])
    reached = served_within_capacity(
        r.district[petitioners], districts.arrest_capacity, queue, key, step, INTERCEPT_LIMIT
    )
    passing = np.zeros(petitioners.size, dtype=np.bool_)
    for j in range(petitioners.size):
        i = unsigned(petitioners[j])
        district = r.district[i]
        report.by_level[r.petition_level[i]] += 1.0
        if reached[j] and uniform(key, step, INTERCEPT, i) >= districts.tolerance[district]:
            report.intercepted[district] += 1.0
            reject(r, i, coef, key, step)
            r.voice_outcome[i] = FAILED
        else:
            passing[j] = True
    through = petitioners[passing]
    n = r.stance.size
    # The upper offices' capacities, the province's first: a petition at
    # level PROVINCE queues for office 0, one at CENTRE for office 1.
    offices = np.array([coef.upper_capacity, coef.centre_capacity]) * n / 1000.0
    office = r.petition_level[through].astype(np.int64) - PROVINCE
    upper_queue = np.empty(through.size)
    for j in range(through.size):
        upper_queue[j] = uniform(key, step, UPPER_QUEUE, through[j])
    handled = served_within_capacity(office, offices, upper_queue, key, step, UPPER_LIMIT)
    for j in range(through.size):
        i = unsigned(through[j])
        if handled[j] and uniform(key, step, UPPER_ACCEPT, i) < coef.upper_acceptance:
            report.upward[r.district[i]] += 1
            report.settled[SETTLED_ABOVE] += 1.0
            answer(r, i, treasury, coef, uniform(key, step, PETITION_RESOLVE, i))
            r.petition_level[i] = LOCAL
        else:
            r.injustice[i] += coef.injustice_unanswered
            # A journey above that came to nothing costs time: the petitioner
            # stays away for a while, and from the centre goes home.
            r.rebuffed_left[i] = coef.rebuff_memory
            if r.petition_level[i] == CENTRE:
                r.petition_level[i] = LOCAL
                r.voice_outcome[i] = FAILED
            else:
                _failed(r, i, coef, key, step)


@inline_jit
def _failed(r: Residents, i: int, coef: Coefficients, key: np.uint64, step: int) -> None:
    """A claim that came to nothing: noted, and perhaps taken a level higher next time."""
    r.voice_outcome[i] = FAILED
    if r.petition_level[i] < CENTRE and uniform(key, step, PETITION_ESCALATE, i) < coef.escalation:
        r.petition_level[i] += 1


@jit
def answer(
    residents: Residents, i: int, treasury: Treasury, coef: Coefficients, resolve_draw: float
) -> None:
    """Resident ``i``'s claim is answered: voice, and perhaps a concession.

    Grievance falls by ``release`` and trust rises by ``trust_answered``
    (hypothesis ``voice``). With probability ``resolution`` the weightiest
    need is resolved, if the budget can bear it (the need resolved costs
    as much relief: a concession is targeted relief, not free); a resolved
    need earns ``trust_service`` (hypothesis ``service_gratitude``).
    """
    r = residents
    r.grievance[i] *= 1.0 - coef.release
    r.experience[i] += coef.trust_answered
    r.voice_outcome[i] = ANSWERED
    if resolve_draw < coef.resolution:
        resolve_weightiest(r, i, treasury, coef)


@jit
def reject(residents: Residents, i: int, coef: Coefficients, key: np.uint64, step: int) -> None:
    """Resident ``i``'s petition is rejected or intercepted.

    Injustice and lost trust (hypothesis ``repression``), a rebuff of
    ``rebuff_memory`` steps, and the petitioner is a victim its neighbours
    react to; with probability ``repression``, detention as well
    (:func:`~model.submodels.repression.detain`).
    """
    r = residents
    r.injustice[i] += coef.injustice_intercepted
    r.experience[i] -= coef.trust_intercepted
    r.rebuffed_left[i] = coef.rebuff_memory
    r.victim[i] = True
    if uniform(key, step, PETITION_DETAIN, i) < coef.repression:
        detain(r, i, detention_term(key, step, PETITION_TERM, i, coef.max_detention), coef)
