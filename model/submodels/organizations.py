"""Process 8, ``organizations``: the resident side of social organizations.

Organizations themselves are Mesa agents (:class:`model.agents.SocialOrganization`,
few, each with its own life); membership is a resident array (``org``). This
module holds the vectorized rules over residents: founding applications,
recruitment through the network, leaving, services to members, and the
drift of missions without oversight (the article's Error 3: organizations
that are not allowed to form cannot settle conflicts; organizations that
rely on government money become "alternative governments"; organizations
without oversight drift toward profit).
"""

from __future__ import annotations

import numpy as np

from model.draws import (
    ORG_APPLY,
    ORG_APPROVE,
    ORG_CLOSURE,
    ORG_LEAVE,
    RECRUIT_ACCEPT,
    RECRUIT_OPEN,
    RECRUIT_PICK,
    run_key,
    uniform,
)
from model.jit import inline_jit, jit
from model.population import NO_ORGANIZATION, weightiest
from model.types import BoolArray, FloatArray, IntArray


def founding_applications(
    grievance: FloatArray,
    org: IntArray,
    *,
    grievance_level: float,
    founding_rate: float,
    openness: float,
    rng: np.random.Generator,
) -> tuple[BoolArray, BoolArray]:
    """Who applies to found an organization, and whose application is approved.

    Aggrieved residents outside any organization apply with probability
    ``founding_rate``; the authorities approve with probability ``openness``
    (the lever the article says cadres hold back); see :func:`founds`.

    Returns:
        (applied, approved) masks.
    """
    return _found(grievance, org, grievance_level, founding_rate, openness, run_key(rng))


@jit
def _found(
    grievance: FloatArray,
    org: IntArray,
    grievance_level: float,
    founding_rate: float,
    openness: float,
    key: np.uint64,
) -> tuple[BoolArray, BoolArray]:
    applied = np.zeros(org.size, dtype=np.bool_)
    approved = np.zeros(org.size, dtype=np.bool_)
    for i in range(org.size):
        applied[i], approved[i] = founds(
            org[i], grievance[i], key, 0, i, grievance_level, founding_rate, openness
        )
    return applied, approved


@inline_jit
def founds(
    org: int,
    grievance: float,
    key: np.uint64,
    step: int,
    i: int,
    grievance_level: float,
    founding_rate: float,
    openness: float,
) -> tuple[bool, bool]:
    """Whether resident ``i`` applies to found an organization, and is approved.

    Only residents outside any organization with grievance above the level
    are eligible; their draws are taken only then.
    """
    if org != NO_ORGANIZATION or grievance <= grievance_level:
        return False, False
    if uniform(key, step, ORG_APPLY, i) >= founding_rate:
        return False, False
    return True, uniform(key, step, ORG_APPROVE, i) < openness


def leaving(org: IntArray, *, leave_rate: float, rng: np.random.Generator) -> IntArray:
    """Members leave their organization with probability ``leave_rate`` a step."""
    return _leave(org, leave_rate, run_key(rng))


@jit
def _leave(org: IntArray, leave_rate: float, key: np.uint64) -> IntArray:
    new = org.copy()
    for i in range(org.size):
        if leaves(org[i], key, 0, i, leave_rate):
            new[i] = NO_ORGANIZATION
    return new


@inline_jit
def leaves(org: int, key: np.uint64, step: int, i: int, leave_rate: float) -> bool:
    """Whether member ``i`` leaves its organization this step."""
    return org != NO_ORGANIZATION and uniform(key, step, ORG_LEAVE, i) < leave_rate


def recruitment(
    org: IntArray,
    indptr: IntArray,
    indices: IntArray,
    room: FloatArray,
    *,
    recruit_rate: float,
    rng: np.random.Generator,
) -> IntArray:
    """Non-members join the organization of a random neighbour who is a member.

    A non-member is open to joining with probability ``recruit_rate``; it
    then looks at one neighbour drawn at random and, if that neighbour
    belongs to an organization with room left, joins it. Recruitment
    therefore spreads along ties, fastest where members are many
    (Granovetter's weak ties, McAdam's bloc recruitment). Room is respected
    in expectation: each organization accepts a share of its would-be
    members equal to room / would-be members (:func:`recruit_target`,
    :func:`joins`).

    Args:
        org: Organization of every resident.
        indptr: CSR row pointer of the network.
        indices: CSR column indices of the network.
        room: Places left in each organization, indexed by organization id.
        recruit_rate: Chance of joining when the neighbour is a member.
        rng: The run's random generator.

    Returns:
        New membership array.
    """
    return _recruit(org, indptr, indices, room, recruit_rate, run_key(rng))


@jit
def _recruit(
    org: IntArray,
    indptr: IntArray,
    indices: IntArray,
    room: FloatArray,
    recruit_rate: float,
    key: np.uint64,
) -> IntArray:
    n = org.shape[0]
    target = np.full(n, NO_ORGANIZATION, dtype=org.dtype)
    demand = np.zeros(room.size)
    for i in range(n):
        target[i] = recruit_target(org, indptr, indices, key, 0, i, recruit_rate)
        if target[i] != NO_ORGANIZATION:
            demand[target[i]] += 1.0
    new = org.copy()
    for i in range(n):
        if joins(target[i], room, demand, key, 0, i):
            new[i] = target[i]
    return new


@inline_jit
def recruit_target(
    org: IntArray,
    indptr: IntArray,
    indices: IntArray,
    key: np.uint64,
    step: int,
    i: int,
    recruit_rate: float,
) -> int:
    """The organization non-member ``i`` would join (a random neighbour's), or -1."""
    degree = indptr[i + 1] - indptr[i]
    if org[i] != NO_ORGANIZATION or degree == 0:
        return NO_ORGANIZATION
    if uniform(key, step, RECRUIT_OPEN, i) >= recruit_rate:
        return NO_ORGANIZATION
    return int(
        org[indices[indptr[i] + neighbour_pick(uniform(key, step, RECRUIT_PICK, i), degree)]]
    )


@inline_jit
def joins(
    target: int, room: FloatArray, demand: FloatArray, key: np.uint64, step: int, i: int
) -> bool:
    """Whether would-be member ``i`` is accepted: room / would-be members."""
    if target == NO_ORGANIZATION:
        return False
    return bool(uniform(key, step, RECRUIT_ACCEPT, i) < room[target] / demand[target])


@jit
def member_services(need: FloatArray, need_weight: FloatArray, service: FloatArray) -> FloatArray:
    """Organizations reduce each member's weightiest unmet need.

    Args:
        need: (n, domains) unmet need.
        need_weight: (n, domains) importance of each domain.
        service: Share of the weightiest need relieved per resident this step
            (zero for non-members; scaled by the organization's alignment).

    Returns:
        New need array.
    """
    updated = need.copy()
    for i in np.flatnonzero(service > 0):
        relieve_weightiest(updated, need_weight, int(i), service[i])
    return updated


@inline_jit
def relieve_weightiest(need: FloatArray, need_weight: FloatArray, i: int, share: float) -> None:
    """Relieve ``share`` of resident ``i``'s weightiest need (in place)."""
    need[i, weightiest(need, need_weight, i)] *= 1.0 - share


@inline_jit
def neighbour_pick(draw: float, degree: int) -> int:
    """Which of ``degree`` neighbours a uniform draw points at."""
    return min(int(draw * degree), degree - 1)


def mission_drift(alignment: FloatArray, *, rights: float, drift_rate: float) -> FloatArray:
    """Missions drift toward profit without oversight, and recover with it.

    ``a <- a + drift_rate (rights (1 - a) - (1 - rights) a)``: oversight
    (the ``rights`` lever: information, expression, supervision) pulls an
    organization back to its mission, its absence lets it drift; the
    alignment settles at ``rights`` (see :func:`drifted`).
    """
    return np.array([drifted(a, rights, drift_rate) for a in alignment], dtype=np.float64)


@jit
def drifted(alignment: float, rights: float, drift_rate: float) -> float:
    """One organization's alignment after a step of drift: the single formula."""
    value = alignment + drift_rate * (rights * (1.0 - alignment) - (1.0 - rights) * alignment)
    return min(max(value, 0.0), 1.0)


@jit
def settle_organizations(
    alignment: FloatArray,
    kind: IntArray,
    alive: BoolArray,
    members: FloatArray,
    key: np.uint64,
    step: int,
    advocacy: int,
    rights: float,
    drift_rate: float,
    closure_chance: float,
    dissolve_alignment: float,
) -> tuple[BoolArray, IntArray]:
    """Drift, closure and dissolution of every living organization, in one pass.

    Each living organization's mission drifts (:func:`drifted`); an advocacy
    organization is shut with ``closure_chance`` (one draw per organization
    and step, :mod:`model.draws`); an organization ends when shut, when
    its alignment falls below ``dissolve_alignment``, or when it has no
    members. ``alignment`` is updated in place.

    Returns:
        (shut, ending): which ids were shut down (a mask over ids), and the
        ids that end this step.
    """
    shut = np.zeros(alive.size, dtype=np.bool_)
    ending = np.empty(alive.size, dtype=np.int64)
    n_ending = 0
    for o in range(alive.size):
        if not alive[o]:
            continue
        alignment[o] = drifted(alignment[o], rights, drift_rate)
        shut[o] = kind[o] == advocacy and uniform(key, step, ORG_CLOSURE, o) < closure_chance
        if shut[o] or alignment[o] < dissolve_alignment or members[o] == 0.0:
            ending[n_ending] = o
            n_ending += 1
    return shut, ending[:n_ending]
