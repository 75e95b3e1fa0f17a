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

from model.draws import ORG_CLOSURE, uniform
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
    (the lever the article says cadres hold back). Draws are made only for
    eligible residents (outside any organization, grievance above the level).

    Returns:
        (applied, approved) masks.
    """
    return _found(grievance, org, grievance_level, founding_rate, openness, rng)


@jit
def _found(
    grievance: FloatArray,
    org: IntArray,
    grievance_level: float,
    founding_rate: float,
    openness: float,
    rng: np.random.Generator,
) -> tuple[BoolArray, BoolArray]:
    applied = np.zeros(org.size, dtype=np.bool_)
    approved = np.zeros(org.size, dtype=np.bool_)
    for i in range(org.size):
        eligible = org[i] == NO_ORGANIZATION and grievance[i] > grievance_level
        if eligible and rng.random() < founding_rate:
            applied[i] = True
            approved[i] = rng.random() < openness
    return applied, approved


def leaving(org: IntArray, *, leave_rate: float, rng: np.random.Generator) -> IntArray:
    """Members leave their organization with probability ``leave_rate`` a step."""
    return _leave(org, leave_rate, rng)


@jit
def _leave(org: IntArray, leave_rate: float, rng: np.random.Generator) -> IntArray:
    new = org.copy()
    for i in range(org.size):
        if org[i] != NO_ORGANIZATION and rng.random() < leave_rate:
            new[i] = NO_ORGANIZATION
    return new


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
    members equal to room / would-be members.

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
    return _recruit(org, indptr, indices, room, recruit_rate, rng)


@jit
def _recruit(
    org: IntArray,
    indptr: IntArray,
    indices: IntArray,
    room: FloatArray,
    recruit_rate: float,
    rng: np.random.Generator,
) -> IntArray:
    n = org.shape[0]
    target = np.full(n, NO_ORGANIZATION, dtype=org.dtype)
    demand = np.zeros(room.size)
    wants = 0
    for i in range(n):
        degree = indptr[i + 1] - indptr[i]
        if org[i] != NO_ORGANIZATION or degree == 0 or rng.random() >= recruit_rate:
            continue
        pick = neighbour_pick(rng.random(), degree)
        candidate = org[indices[indptr[i] + pick]]
        if candidate != NO_ORGANIZATION:
            target[i] = candidate
            demand[candidate] += 1.0
            wants += 1
    new = org.copy()
    if wants == 0:
        return new
    for i in range(n):
        t = target[i]
        if t != NO_ORGANIZATION and rng.random() < room[t] / demand[t]:
            new[i] = t
    return new


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
