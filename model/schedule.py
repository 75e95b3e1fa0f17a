"""The residents' week, compiled: the processes of MODEL.md section 3 in few passes.

Each process has one rule, written once as a compiled scalar function in its
submodel (``grievance_after``, ``stance_of``, ``petition_fate``,
``settle_petition``, ``grid_detection``, ``legitimacy_after``...). The
submodels' array functions apply a rule to whole arrays, one process at a
time: that is the readable, property-tested form. A model step needs all of
them, resident by resident, in order; calling them one by one costs a
compiled call, fresh arrays and a pass over memory per process, which is
most of a step at 2,000 residents (call overhead) and at a million (memory
traffic). So the step is fused here into six passes over the residents
that call the same rules, in the order of MODEL.md section 3, and the
passes are composed in two (:func:`week_until_founding`,
:func:`week_after_founding`), between which ``SocialManagementModel.step``
turns approved founders into organization agents. Below
:data:`~model.jit.PARALLEL_FROM` residents each composition is one
compiled call (at 2,000 residents each call from Python costs a few
microseconds of a step of a few hundred); above, the passes run one by one.

Randomness comes from :mod:`model.draws` (one counter-based uniform per
resident, step and decision), so the passes can run in any order and on any
number of threads with identical results. Passes that only read other
residents' previous state and write their own run in parallel above
:data:`~model.jit.PARALLEL_FROM` residents; sums over residents are
accumulated per fixed-size chunk of residents and added in chunk order, so
they too are independent of the number of threads.

The passes change the model's state arrays in place (the model owns them);
scalar parameters arrive packed in one array, ``coef``, indexed by the
constants below (:func:`coefficients` fills it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.agents import clear_organization
from model.draws import (
    DIALOGUE,
    DIALOGUE_QUEUE,
    GRID_DETECT,
    GRID_INFORM,
    PARTICIPATE,
    PETITION_ACCEPT,
    PETITION_DETAIN,
    PETITION_QUEUE,
    PETITION_RESOLVE,
    PETITION_TERM,
    PROTEST_ARREST,
    PROTEST_QUEUE,
    PROTEST_TERM,
    uniform,
)
from model.jit import composition, jit, parallel_jit, prange, unsigned
from model.neighbourhood import mass_incidents
from model.population import (
    NO_ORGANIZATION,
    PETITIONING,
    PROTESTING,
    QUIET,
    weightiest,
)
from model.submodels.capacity import served_within_capacity
from model.submodels.grid import detection_chance, grid_detection, routine_visits
from model.submodels.grievance import grievance_after
from model.submodels.legitimacy import legitimacy_after
from model.submodels.livelihood import allocate, shock_chances, shock_resident
from model.submodels.organizations import (
    founds,
    joins,
    leaves,
    recruit_target,
    relieve_weightiest,
    settle_organizations,
)
from model.submodels.petitions import (
    INTERCEPTED,
    UNANSWERED,
    petition_fate,
    settle_petition,
)
from model.submodels.protests import (
    answers,
    arrests,
    detention_after,
    settle_arrest,
    settle_dialogue,
)
from model.submodels.stance import arrest_probability_one, arrest_rule_code, stance_of
from model.types import BoolArray, FloatArray, IntArray

COEFFICIENTS: tuple[str, ...] = (
    "shock_rate",
    "shock_size",
    "participation",
    "trust_participation",
    "epstein_grievance",
    "grievance_decay",
    "org_decay_bonus",
    "inflow_rate",
    "arrest_k",
    "arrest_rule",
    "protest_threshold",
    "contagion",
    "petition_threshold",
    "petition_trust",
    "org_mediation",
    "repression",
    "resolution",
    "max_detention",
    "release",
    "rebuff_memory",
    "injustice_unanswered",
    "injustice_intercepted",
    "injustice_detained",
    "trust_answered",
    "trust_intercepted",
    "trust_detained",
    "dialogue_chance",
    "injustice_backlash",
    "trust_backlash",
    "collective_responsibility",
    "injustice_collective",
    "grid_on",
    "grid_detection_chance",
    "grid_agencies",
    "grid_info_sharing",
    "grid_control_mode",
    "grid_watch_level",
    "grid_routine_visits",
    "trust_service",
    "grid_deterrence",
    "injustice_visit",
    "grid_intrusion",
    "trust_visit",
    "org_leave_rate",
    "org_founding_grievance",
    "org_founding_rate",
    "org_openness",
    "org_recruit_rate",
    "org_service",
    "injustice_closure",
    "social_influence",
    "legitimacy_recovery",
    "performance_gap_rate",
    "hardship_reference",
    "rights",
    "org_drift_rate",
    "org_closure_chance",
    "org_dissolve_alignment",
)
"""The scalar parameters the passes read, in the order of ``coef``."""

(
    SHOCK_RATE,
    SHOCK_SIZE,
    PARTICIPATION,
    TRUST_PARTICIPATION,
    EPSTEIN_GRIEVANCE,
    GRIEVANCE_DECAY,
    ORG_DECAY_BONUS,
    INFLOW_RATE,
    ARREST_K,
    ARREST_RULE,
    PROTEST_THRESHOLD,
    CONTAGION,
    PETITION_THRESHOLD,
    PETITION_TRUST,
    ORG_MEDIATION,
    REPRESSION,
    RESOLUTION,
    MAX_DETENTION,
    RELEASE,
    REBUFF_MEMORY,
    INJUSTICE_UNANSWERED,
    INJUSTICE_INTERCEPTED,
    INJUSTICE_DETAINED,
    TRUST_ANSWERED,
    TRUST_INTERCEPTED,
    TRUST_DETAINED,
    DIALOGUE_CHANCE,
    INJUSTICE_BACKLASH,
    TRUST_BACKLASH,
    COLLECTIVE_RESPONSIBILITY,
    INJUSTICE_COLLECTIVE,
    GRID_ON,
    GRID_DETECTION_CHANCE,
    GRID_AGENCIES,
    GRID_INFO_SHARING,
    GRID_CONTROL_MODE,
    GRID_WATCH_LEVEL,
    GRID_ROUTINE_VISITS,
    TRUST_SERVICE,
    GRID_DETERRENCE,
    INJUSTICE_VISIT,
    GRID_INTRUSION,
    TRUST_VISIT,
    ORG_LEAVE_RATE,
    ORG_FOUNDING_GRIEVANCE,
    ORG_FOUNDING_RATE,
    ORG_OPENNESS,
    ORG_RECRUIT_RATE,
    ORG_SERVICE,
    INJUSTICE_CLOSURE,
    SOCIAL_INFLUENCE,
    LEGITIMACY_RECOVERY,
    PERFORMANCE_GAP_RATE,
    HARDSHIP_REFERENCE,
    RIGHTS,
    ORG_DRIFT_RATE,
    ORG_CLOSURE_CHANCE,
    ORG_DISSOLVE_ALIGNMENT,
) = range(len(COEFFICIENTS))

TALLY = 9
"""Sums kept by :func:`end_week`: stance counts (4), legitimacy, grievance,
hidden grievance, hardship, members."""


def coefficients(params: Any, levers: Any, n_cells: int, staffing: float) -> FloatArray:
    """Pack the scalar parameters of a run into the ``coef`` array.

    Args:
        params: The run's :class:`~model.params.Params`.
        levers: The run's :class:`~model.params.Levers`.
        n_cells: Grid cells (0: no grid).
        staffing: Share of the grid's staff the budget pays, in [0, 1].
    """
    values = {**vars(params), **vars(levers)}
    households = max(int(levers.grid_cell_households), 1)
    values.update(
        epstein_grievance=float(params.grievance_mode == "epstein"),
        arrest_rule=float(arrest_rule_code(params.arrest_rule)),
        dialogue_chance=levers.tolerance * levers.rights,
        collective_responsibility=float(bool(levers.collective_responsibility)),
        grid_on=float(n_cells > 0),
        # Advocacy organizations are shut less where the regime is open to them.
        org_closure_chance=params.org_closure_rate * (1.0 - levers.org_openness),
        grid_detection_chance=detection_chance(params.grid_detection_rate, staffing, households),
        grid_info_sharing=float(bool(levers.grid_info_sharing)),
        grid_control_mode=float(levers.grid_mode == "control"),
        grid_routine_visits=routine_visits(
            int(levers.grid_agencies), bool(levers.grid_info_sharing), staffing, households
        ),
    )
    return np.array([float(values[name]) for name in COEFFICIENTS])


CHUNK = 1 << 16
"""Residents per chunk of the per-chunk sums."""


def chunks_for(n: int) -> int:
    """Chunks of residents for the sums over residents.

    Why fixed-size chunks rather than one per thread: each chunk's partial
    sum is added in chunk order, so the rounding of every sum, and with it
    the whole run, is the same on any number of threads.
    """
    return max(1, -(-n // CHUNK))


@parallel_jit
def begin_week(
    need: FloatArray,
    need_weight: FloatArray,
    stance: IntArray,
    detention_left: IntArray,
    rebuffed_left: IntArray,
    deterred_left: IntArray,
    key: np.uint64,
    step: int,
    coef: FloatArray,
    chunks: int,
) -> FloatArray:
    """Terms run down; livelihood shocks; the city's sums of need per domain.

    Returns:
        (3, domains): weighted need, need, and weighted need voiced by
        participating residents, per domain (for :func:`~model.submodels.
        livelihood.allocate`).
    """
    n, domains = need.shape
    partial = np.zeros((chunks, 3, domains))
    chances = shock_chances(coef[SHOCK_RATE], domains)
    participation = coef[PARTICIPATION]
    for c in prange(chunks):
        lo, hi = c * n // chunks, (c + 1) * n // chunks
        speaks = np.zeros(hi - lo, dtype=np.bool_)
        for k in range(hi - lo):
            i = unsigned(lo + k)
            stance[i], detention_left[i] = detention_after(stance[i], detention_left[i])
            rebuffed_left[i] = max(rebuffed_left[i] - 1, 0)
            deterred_left[i] = max(deterred_left[i] - 1, 0)
            shock_resident(need, i, key, step, coef[SHOCK_RATE], coef[SHOCK_SIZE], chances)
            speaks[k] = _participates(key, step, i, participation)
        # Domain by domain, so that the sums stay in registers.
        for d in range(domains):
            weighted = level = voiced = 0.0
            for i in range(lo, hi):
                value = need[unsigned(i), d]
                w = need_weight[unsigned(i), d] * value
                weighted += w
                level += value
                # Adding an exact zero rather than branching keeps the sum's
                # rounding and shortens its dependency chain.
                voiced += w if speaks[i - lo] else 0.0
            partial[c, 0, d], partial[c, 1, d], partial[c, 2, d] = weighted, level, voiced
    return partial.sum(axis=0)


@jit
def _participates(key: np.uint64, step: int, i: int, participation: float) -> bool:
    return participation > 0.0 and uniform(key, step, PARTICIPATE, i) < participation


@jit
def count_protesting_neighbours(stance: IntArray, indptr: IntArray, indices: IntArray) -> IntArray:
    """How many of each resident's neighbours protest.

    Walks the rows of the protesters, who are few, rather than every
    resident's row (the network is symmetric: i is a neighbour of a
    protester exactly when the protester is a neighbour of i).
    """
    count = np.zeros(stance.size, dtype=np.int32)
    for j in range(stance.size):
        if stance[j] == PROTESTING:
            for slot in range(indptr[j], indptr[j + 1]):
                count[indices[slot]] += 1
    return count


@parallel_jit
def decide_week(
    need: FloatArray,
    need_weight: FloatArray,
    relieved_fraction: FloatArray,
    grievance: FloatArray,
    legitimacy: FloatArray,
    injustice: FloatArray,
    experience: FloatArray,
    risk_aversion: FloatArray,
    stance: IntArray,
    rebuffed_left: IntArray,
    deterred_left: IntArray,
    org: IntArray,
    org_alignment: FloatArray,
    district: IntArray,
    control_in_view: FloatArray,
    petition_risk: FloatArray,
    indptr: IntArray,
    indices: IntArray,
    key: np.uint64,
    step: int,
    coef: FloatArray,
) -> tuple[IntArray, FloatArray]:
    """Relief, grievance, and each resident's stance (processes 2-4).

    Last step's injustice is consumed into grievance and the step's
    injustice and experience start afresh. Stances are decided from the
    neighbours' stances of the previous step (counted by
    :func:`count_protesting_neighbours`) and written to a new array.

    Returns:
        (new stance, hardship): hardship is weighted need after relief.
    """
    n, domains = need.shape
    protesting_neighbours = count_protesting_neighbours(stance, indptr, indices)
    new_stance = np.empty_like(stance)
    hardship = np.empty(n)
    # Coefficients read once: inside the loop every read would be repeated,
    # since the compiler cannot prove that the state arrays leave them be.
    rule = int(coef[ARREST_RULE])
    epstein = coef[EPSTEIN_GRIEVANCE] > 0.0
    decay_base, decay_bonus, inflow = (
        coef[GRIEVANCE_DECAY],
        coef[ORG_DECAY_BONUS],
        coef[INFLOW_RATE],
    )
    trust_participation, participation = coef[TRUST_PARTICIPATION], coef[PARTICIPATION]
    protest_threshold, contagion, arrest_k = (
        coef[PROTEST_THRESHOLD],
        coef[CONTAGION],
        coef[ARREST_K],
    )
    petition_threshold, petition_trust = coef[PETITION_THRESHOLD], coef[PETITION_TRUST]
    for i in prange(n):
        h = 0.0
        for d in range(domains):
            need[i, d] = need[i, d] * (1.0 - relieved_fraction[d])
            h += need_weight[i, d] * need[i, d]
        hardship[i] = h
        if epstein:
            grievance[i] = h * (1.0 - legitimacy[i])
        else:
            decay = decay_base + decay_bonus * org_alignment[org[i]]
            grievance[i] = grievance_after(
                grievance[i], h, legitimacy[i], injustice[i], decay, inflow
            )
        injustice[i] = 0.0
        experience[i] = trust_participation if _participates(key, step, i, participation) else 0.0
        share = protesting_neighbours[i] / max(indptr[i + 1] - indptr[i], 1)
        # Epstein's rule cannot fire when grievance is below the lowered
        # threshold, whatever the risk; the arrest probability (an
        # exponential) is computed only for those it can concern.
        arrest_prob = 1.0
        if grievance[i] > protest_threshold - contagion * share:
            arrest_prob = arrest_probability_one(
                control_in_view[district[i]], protesting_neighbours[i] + 1.0, arrest_k, rule
            )
        new_stance[i] = stance_of(
            stance[i],
            grievance[i],
            legitimacy[i],
            risk_aversion[i],
            arrest_prob,
            share,
            rebuffed_left[i],
            petition_risk[district[i]],
            deterred_left[i] > 0,
            protest_threshold,
            contagion,
            petition_threshold,
            petition_trust,
        )
    return new_stance, hardship


@jit
def _term(key: np.uint64, step: int, stream: int, i: int, max_detention: float) -> int:
    """A detention term, uniform on 1..max_detention, from one draw."""
    return min(1 + int(uniform(key, step, stream, i) * max_detention), int(max_detention))


@jit
def respond_week(
    stance: IntArray,
    detention_left: IntArray,
    grievance: FloatArray,
    need: FloatArray,
    need_weight: FloatArray,
    rebuffed_left: IntArray,
    injustice: FloatArray,
    experience: FloatArray,
    district: IntArray,
    cell: IntArray,
    n_cells: int,
    org: IntArray,
    org_alignment: FloatArray,
    org_autonomy: FloatArray,
    service_capacity: FloatArray,
    control_capacity: FloatArray,
    district_tolerance: FloatArray,
    indptr: IntArray,
    indices: IntArray,
    key: np.uint64,
    step: int,
    coef: FloatArray,
) -> BoolArray:
    """Petitions, then protests, then the backlash they cause (processes 5-6).

    Serial: capacity is rationed per district among this step's petitioners
    and protesters, who are few, in the order of their queue draws.

    Returns:
        The grid cells where someone protested (for collective responsibility).
    """
    petitioners = np.flatnonzero(stance == PETITIONING)
    protesters = np.flatnonzero(stance == PROTESTING)
    victims = np.zeros(petitioners.size + protesters.size, dtype=np.int64)
    n_victims = 0
    max_detention = coef[MAX_DETENTION]

    queue = np.empty(petitioners.size)
    for j in range(petitioners.size):
        queue[j] = uniform(key, step, PETITION_QUEUE, petitioners[j])
    handled_here = served_within_capacity(district[petitioners], service_capacity, queue)
    handled = np.zeros(service_capacity.size)
    for j in range(petitioners.size):
        i = petitioners[j]
        fate = UNANSWERED
        if handled_here[j]:
            handled[district[i]] += 1.0
            mediation = coef[ORG_MEDIATION] * org_autonomy[org[i]] * org_alignment[org[i]]
            fate = petition_fate(
                uniform(key, step, PETITION_ACCEPT, i),
                uniform(key, step, PETITION_DETAIN, i),
                uniform(key, step, PETITION_RESOLVE, i),
                district_tolerance[district[i]] + mediation,
                coef[REPRESSION],
                coef[RESOLUTION],
            )
        settle_petition(
            i,
            fate,
            _term(key, step, PETITION_TERM, i, max_detention),
            stance,
            detention_left,
            grievance,
            need,
            need_weight,
            rebuffed_left,
            injustice,
            experience,
            coef[RELEASE],
            int(coef[REBUFF_MEMORY]),
            coef[INJUSTICE_UNANSWERED],
            coef[INJUSTICE_INTERCEPTED],
            coef[INJUSTICE_DETAINED],
            coef[TRUST_ANSWERED],
            coef[TRUST_INTERCEPTED],
            coef[TRUST_DETAINED],
        )
        if fate >= INTERCEPTED:  # intercepted or detained
            victims[n_victims] = i
            n_victims += 1

    protest_cell = np.zeros(max(n_cells, 1), dtype=np.bool_)
    control_queue = np.empty(protesters.size)
    for j in range(protesters.size):
        control_queue[j] = uniform(key, step, PROTEST_QUEUE, protesters[j])
        if n_cells > 0:
            protest_cell[cell[protesters[j]]] = True
    reached = served_within_capacity(district[protesters], control_capacity, control_queue)
    free = np.zeros(protesters.size, dtype=np.bool_)
    for j in range(protesters.size):
        i = protesters[j]
        if reached[j] and arrests(uniform(key, step, PROTEST_ARREST, i), coef[REPRESSION]):
            settle_arrest(
                i,
                _term(key, step, PROTEST_TERM, i, max_detention),
                stance,
                detention_left,
                injustice,
                experience,
                coef[INJUSTICE_DETAINED],
                coef[TRUST_DETAINED],
            )
            victims[n_victims] = i
            n_victims += 1
        else:
            free[j] = True
    # Dialogue, within the service effort petitions left, for those still free.
    still_free = protesters[free]
    dialogue_queue = np.empty(still_free.size)
    for j in range(still_free.size):
        dialogue_queue[j] = uniform(key, step, DIALOGUE_QUEUE, still_free[j])
    offered = served_within_capacity(
        district[still_free], np.maximum(service_capacity - handled, 0.0), dialogue_queue
    )
    for j in range(still_free.size):
        i = still_free[j]
        if offered[j] and answers(uniform(key, step, DIALOGUE, i), coef[DIALOGUE_CHANCE]):
            settle_dialogue(i, grievance, experience, coef[RELEASE], coef[TRUST_ANSWERED])

    # Backlash: every neighbour of someone detained or intercepted.
    for v in range(n_victims):
        i = victims[v]
        for slot in range(indptr[i], indptr[i + 1]):
            k = indices[slot]
            injustice[k] += coef[INJUSTICE_BACKLASH]
            experience[k] -= coef[TRUST_BACKLASH]
    return protest_cell


@parallel_jit
def watch_week(
    grievance: FloatArray,
    need: FloatArray,
    need_weight: FloatArray,
    injustice: FloatArray,
    experience: FloatArray,
    deterred_left: IntArray,
    cell: IntArray,
    protest_cell: BoolArray,
    org: IntArray,
    founder: BoolArray,
    key: np.uint64,
    step: int,
    coef: FloatArray,
) -> None:
    """Collective responsibility, the grid, leaving and founding (processes 6-8).

    Marks in ``founder`` the residents whose application to found an
    organization is approved; the model creates the organizations.
    """
    grid_on = coef[GRID_ON] > 0.0
    collective = grid_on and coef[COLLECTIVE_RESPONSIBILITY] > 0.0
    control_mode = coef[GRID_CONTROL_MODE] > 0.0
    visits = coef[GRID_ROUTINE_VISITS]
    for i in prange(grievance.size):
        if collective and protest_cell[cell[i]]:
            injustice[i] += coef[INJUSTICE_COLLECTIVE]
            experience[i] -= coef[TRUST_BACKLASH]
        if grid_on:
            if grievance[i] > coef[GRID_WATCH_LEVEL]:
                detected, informed = grid_detection(
                    uniform(key, step, GRID_DETECT, i),
                    uniform(key, step, GRID_INFORM, i),
                    coef[GRID_DETECTION_CHANCE],
                    int(coef[GRID_AGENCIES]),
                    coef[GRID_INFO_SHARING] > 0.0,
                )
                if control_mode and detected:
                    deterred_left[i] = int(coef[GRID_DETERRENCE])
                    injustice[i] += coef[INJUSTICE_VISIT]
                    experience[i] -= coef[TRUST_VISIT]
                elif not control_mode and informed:
                    need[i, weightiest(need, need_weight, i)] = 0.0
                    experience[i] += coef[TRUST_SERVICE]
            injustice[i] += coef[GRID_INTRUSION] * visits
            experience[i] -= coef[TRUST_VISIT] * visits
        if leaves(org[i], key, step, i, coef[ORG_LEAVE_RATE]):
            org[i] = NO_ORGANIZATION
        founder[i] = founds(
            org[i],
            grievance[i],
            key,
            step,
            i,
            coef[ORG_FOUNDING_GRIEVANCE],
            coef[ORG_FOUNDING_RATE],
            coef[ORG_OPENNESS],
        )[1]


@parallel_jit
def organize_week(
    org: IntArray,
    need: FloatArray,
    need_weight: FloatArray,
    org_alignment: FloatArray,
    org_kind: IntArray,
    org_alive: BoolArray,
    org_capacity: FloatArray,
    indptr: IntArray,
    indices: IntArray,
    key: np.uint64,
    step: int,
    coef: FloatArray,
    chunks: int,
    advocacy: int,
) -> tuple[BoolArray, IntArray]:
    """Recruitment, service, drift, closure and dissolution (process 8).

    Residents outside any organization may ask to join a neighbour's
    (:func:`~model.submodels.organizations.recruit_target`), from the
    memberships the founders started the step with; recruits join within
    each organization's room (:func:`~model.submodels.organizations.joins`);
    members are served; then every organization is settled
    (:func:`~model.submodels.organizations.settle_organizations`). One
    compiled call, because at 2,000 residents the calls cost more than the
    work.

    Returns:
        (shut, ending): which ids were shut down, and the ids that end.
    """
    n, table_size = org.size, org_alive.size
    target = np.full(n, NO_ORGANIZATION, dtype=org.dtype)
    counted = np.zeros((chunks, table_size))
    wanted = np.zeros((chunks, table_size))
    for c in prange(chunks):
        for i in range(c * n // chunks, (c + 1) * n // chunks):
            if org[i] != NO_ORGANIZATION:
                counted[c, org[i]] += 1.0
                continue
            candidate = recruit_target(org, indptr, indices, key, step, i, coef[ORG_RECRUIT_RATE])
            if candidate != NO_ORGANIZATION:
                target[i] = candidate
                wanted[c, candidate] += 1.0
    members_before, demand = counted.sum(axis=0), wanted.sum(axis=0)
    room = np.maximum(org_capacity - members_before, 0.0)
    counted[:] = 0.0
    for c in prange(chunks):
        for i in range(c * n // chunks, (c + 1) * n // chunks):
            if joins(target[i], room, demand, key, step, i):
                org[i] = target[i]
            if org[i] != NO_ORGANIZATION:
                counted[c, org[i]] += 1.0
                relieve_weightiest(need, need_weight, i, coef[ORG_SERVICE] * org_alignment[org[i]])
    return settle_organizations(
        org_alignment,
        org_kind,
        org_alive,
        counted.sum(axis=0),
        key,
        step,
        advocacy,
        coef[RIGHTS],
        coef[ORG_DRIFT_RATE],
        coef[ORG_CLOSURE_CHANCE],
        coef[ORG_DISSOLVE_ALIGNMENT],
    )


@parallel_jit
def end_week(
    legitimacy: FloatArray,
    disposition: FloatArray,
    experience: FloatArray,
    injustice: FloatArray,
    hardship: FloatArray,
    grievance: FloatArray,
    stance: IntArray,
    org: IntArray,
    org_alive: BoolArray,
    org_shut: BoolArray,
    indptr: IntArray,
    indices: IntArray,
    coef: FloatArray,
    chunks: int,
) -> tuple[FloatArray, FloatArray]:
    """Closed organizations' members; trust; and the step's sums (processes 8-9, 11).

    Trust is updated from the neighbours' trust of the previous step, so it
    is written to a new array.

    Returns:
        (new legitimacy, sums): the sums are stance counts, then the totals
        of legitimacy, grievance, hidden grievance, hardship and members.
    """
    n = legitimacy.size
    updated = np.empty(n)
    partial = np.zeros((chunks, TALLY))
    closure_injustice, closure_trust = coef[INJUSTICE_CLOSURE], coef[TRUST_INTERCEPTED]
    influence, recovery = coef[SOCIAL_INFLUENCE], coef[LEGITIMACY_RECOVERY]
    gap_rate, reference = coef[PERFORMANCE_GAP_RATE], coef[HARDSHIP_REFERENCE]
    petition_threshold = coef[PETITION_THRESHOLD]
    for c in prange(chunks):
        # Local sums (registers), written to the chunk's row at the end.
        quiet = petitioning = protesting = detained = 0.0
        trust = aggrieved = hidden = hard = members = 0.0
        for resident in range(c * n // chunks, (c + 1) * n // chunks):
            i = unsigned(resident)
            o = org[i]
            if o != NO_ORGANIZATION and not org_alive[o]:
                if org_shut[o]:
                    injustice[i] += closure_injustice
                    experience[i] -= closure_trust
                org[i] = NO_ORGANIZATION
            start, end = indptr[i], indptr[unsigned(resident + 1)]
            neighbour_mean = legitimacy[i]
            if end > start:
                total = 0.0
                for slot in range(start, end):
                    total += legitimacy[unsigned(indices[slot])]
                neighbour_mean = total / (end - start)
            updated[i] = legitimacy_after(
                legitimacy[i],
                neighbour_mean,
                disposition[i],
                experience[i],
                hardship[i],
                influence,
                recovery,
                gap_rate,
                reference,
            )
            injustice[i] = min(injustice[i], 1.0)
            s = stance[i]
            if s == QUIET:
                quiet += 1.0
                if grievance[i] > petition_threshold:
                    hidden += grievance[i]
            elif s == PETITIONING:
                petitioning += 1.0
            elif s == PROTESTING:
                protesting += 1.0
            else:
                detained += 1.0
            trust += updated[i]
            aggrieved += grievance[i]
            hard += hardship[i]
            if org[i] != NO_ORGANIZATION:
                members += 1.0
        partial[c, 0], partial[c, 1], partial[c, 2], partial[c, 3] = (
            quiet,
            petitioning,
            protesting,
            detained,
        )
        partial[c, 4], partial[c, 5], partial[c, 6] = trust, aggrieved, hidden
        partial[c, 7], partial[c, 8] = hard, members
    return updated, partial.sum(axis=0)


@composition
def week_until_founding(
    need: FloatArray,
    need_weight: FloatArray,
    stance: IntArray,
    detention_left: IntArray,
    rebuffed_left: IntArray,
    deterred_left: IntArray,
    grievance: FloatArray,
    legitimacy: FloatArray,
    injustice: FloatArray,
    experience: FloatArray,
    risk_aversion: FloatArray,
    org: IntArray,
    org_alignment: FloatArray,
    org_autonomy: FloatArray,
    district: IntArray,
    cell: IntArray,
    n_cells: int,
    control_in_view: FloatArray,
    petition_risk: FloatArray,
    service_capacity: FloatArray,
    control_capacity: FloatArray,
    district_tolerance: FloatArray,
    relief_budget: float,
    lens: FloatArray,
    founder: BoolArray,
    indptr: IntArray,
    indices: IntArray,
    key: np.uint64,
    step: int,
    coef: FloatArray,
    chunks: int,
) -> tuple[IntArray, FloatArray, float, float]:
    """Processes 1-7 and the founders' applications of 8, in order.

    Terms run down and livelihood shocks (:func:`begin_week`); relief
    (:func:`~model.submodels.livelihood.allocate`); grievance and stance
    (:func:`decide_week`); petitions, protests and backlash
    (:func:`respond_week`); collective responsibility, the grid, members
    leaving and founders applying (:func:`watch_week`). Below
    :data:`~model.jit.PARALLEL_FROM` residents the five run as one compiled
    call (:func:`~model.jit.composition`), since at 2,000 residents calling
    them one by one from Python costs a tenth of the step; above, they run
    one by one, each on all cores. Same passes, same order, same results.

    Returns:
        (new stance, hardship, relief spent, allocation mismatch).
    """
    sums = begin_week(
        need, need_weight, stance, detention_left, rebuffed_left, deterred_left, key, step,
        coef, chunks,
    )  # fmt: skip
    fraction, _, spent, mismatch = allocate(
        sums[0], sums[1], sums[2], relief_budget, coef[PARTICIPATION], lens
    )
    new_stance, hardship = decide_week(
        need, need_weight, fraction, grievance, legitimacy, injustice, experience,
        risk_aversion, stance, rebuffed_left, deterred_left, org, org_alignment, district,
        control_in_view, petition_risk, indptr, indices, key, step, coef,
    )  # fmt: skip
    protest_cell = respond_week(
        new_stance, detention_left, grievance, need, need_weight, rebuffed_left, injustice,
        experience, district, cell, n_cells, org, org_alignment, org_autonomy,
        service_capacity, control_capacity, district_tolerance, indptr, indices, key, step,
        coef,
    )  # fmt: skip
    watch_week(
        grievance, need, need_weight, injustice, experience, deterred_left, cell,
        protest_cell, org, founder, key, step, coef,
    )  # fmt: skip
    return new_stance, hardship, spent, mismatch


@composition
def week_after_founding(
    org: IntArray,
    need: FloatArray,
    need_weight: FloatArray,
    org_alignment: FloatArray,
    org_autonomy: FloatArray,
    org_kind: IntArray,
    org_alive: BoolArray,
    org_capacity: FloatArray,
    legitimacy: FloatArray,
    disposition: FloatArray,
    experience: FloatArray,
    injustice: FloatArray,
    hardship: FloatArray,
    grievance: FloatArray,
    stance: IntArray,
    district: IntArray,
    n_districts: int,
    incident_min_size: float,
    indptr: IntArray,
    indices: IntArray,
    key: np.uint64,
    step: int,
    coef: FloatArray,
    chunks: int,
    advocacy: int,
) -> tuple[FloatArray, FloatArray, IntArray, int, float, IntArray]:
    """The rest of process 8, then 9 and the sums and incidents of 11.

    Organizations recruit, serve and are settled (:func:`organize_week`;
    the rows of those that end are emptied here, their agents leave the
    model afterwards); closed organizations' members are released and
    trust moves (:func:`end_week`); mass incidents are found
    (:func:`~model.neighbourhood.mass_incidents`). One compiled call below
    :data:`~model.jit.PARALLEL_FROM` residents, pass by pass above, as
    :func:`week_until_founding`.

    Returns:
        (new legitimacy, the sums of :func:`end_week`, ids of the
        organizations that end, incidents, largest group, protesters in
        incidents per district).
    """
    shut = np.zeros(org_alive.size, dtype=np.bool_)
    ending: IntArray = np.zeros(0, dtype=np.int64)
    if org_alive.any():
        shut, ending = organize_week(
            org, need, need_weight, org_alignment, org_kind, org_alive, org_capacity, indptr,
            indices, key, step, coef, chunks, advocacy,
        )  # fmt: skip
        for k in range(ending.size):
            clear_organization(org_alignment, org_autonomy, org_capacity, org_alive, int(ending[k]))
    updated, sums = end_week(
        legitimacy, disposition, experience, injustice, hardship, grievance, stance, org,
        org_alive, shut, indptr, indices, coef, chunks,
    )  # fmt: skip
    incidents, largest, per_district = mass_incidents(
        stance, indptr, indices, district, n_districts, incident_min_size
    )
    return updated, sums, ending, incidents, largest, per_district


__all__ = [
    "COEFFICIENTS",
    "begin_week",
    "chunks_for",
    "coefficients",
    "count_protesting_neighbours",
    "decide_week",
    "end_week",
    "organize_week",
    "respond_week",
    "watch_week",
    "week_after_founding",
    "week_until_founding",
]
