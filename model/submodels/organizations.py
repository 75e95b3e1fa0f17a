"""Process 8, ``organizations``: social organizations and their members (Errors 2, 3).

Organizations are few and each has its own life, but their state is a
table (:class:`Organizations`, one row per organization id), the one home
of their traits; membership is a resident array (``org``). The process, in
order: members leave (:func:`leave_organizations`); aggrieved residents
apply to found an organization and the authorities approve some
(:func:`found_organizations`); non-members join a neighbour's organization
and members are served (:func:`recruit_and_serve`); missions drift without
oversight, a restrictive regime shuts advocacy organizations, and
organizations that have lost every member end (:func:`settle_organizations`);
members of those that ended are released, and members of a shut one feel
it (:func:`release_members`).

What an organization does depends on its kind: a service organization
relieves its members' needs, a mediation (advocacy) organization vouches
for its members' petitions, a neighbourhood organization lets its members
settle conflicts among themselves (hypothesis ``self_settlement``). Every
organization also lowers its members' cost of collective action (McCarthy
and Zald 1977; :func:`~model.submodels.stance.decide_stance`): the
capacity that serves can also mobilize.

Why (the article's Error 3), and what it costs: organizations that are not
allowed to form cannot serve or settle conflicts; government support buys
capacity, but costs the budget and makes an organization dependent, an
"alternative government" that mediates less and appeals less to recruits
(Spires 2011; Teets 2013); without oversight, missions drift toward profit
and members drift away.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from model.draws import (
    ORG_APPLY,
    ORG_APPROVE,
    ORG_CLOSURE,
    ORG_KIND,
    ORG_LEAVE,
    RECRUIT_ACCEPT,
    RECRUIT_OPEN,
    RECRUIT_PICK,
    gap_to_next,
    uniform,
)
from model.jit import inline_jit, jit, parallel_jit, prange, unsigned
from model.population import NO_ORGANIZATION, PROTESTING, weightiest
from model.submodels.livelihood import GOVERNANCE, pay
from model.types import BoolArray, FloatArray, IntArray

if TYPE_CHECKING:
    from model.neighbourhood import Network
    from model.params import Coefficients
    from model.population import Residents
    from model.submodels.livelihood import Treasury

ORGANIZATION_KINDS = ("service", "mediation", "neighbourhood")
"""Kinds of social organization; ``mediation`` includes rights advocacy."""
SERVICE, MEDIATION, NEIGHBOURHOOD = (
    ORGANIZATION_KINDS.index(kind) for kind in ("service", "mediation", "neighbourhood")
)


class Organizations(NamedTuple):
    """The traits of every organization, by id, as arrays: the organization table.

    Index ``-1`` (no organization) always reads the last row, which is kept
    empty, so ``alignment[org]`` is 0 for non-members. Rows of organizations
    that ended are emptied and never reused.

    Attributes:
        alignment: Alignment with its mission, 1 at founding; drifts toward
            profit without oversight.
        autonomy: 1 - dependence on government support.
        capacity: Most members it can serve.
        kind: Index into :data:`ORGANIZATION_KINDS`.
        alive: Whether the organization exists.
        shut: Shut down by the authorities this step.
        protest_share: Share of its members who protested last step (what
            its members count as protesting neighbours).
        next_id: One element: the id the next organization founded gets.
    """

    alignment: FloatArray
    autonomy: FloatArray
    capacity: FloatArray
    kind: IntArray
    alive: BoolArray
    shut: BoolArray
    protest_share: FloatArray
    next_id: IntArray


def empty_table(size: int = 64) -> Organizations:
    """A table with no organization; ids start at 0."""
    return _table(size, np.zeros(1, dtype=np.int64))


@jit
def _table(size: int, next_id: IntArray) -> Organizations:
    return Organizations(
        np.zeros(size),
        np.zeros(size),
        np.zeros(size),
        np.zeros(size, dtype=np.int8),
        np.zeros(size, dtype=np.bool_),
        np.zeros(size, dtype=np.bool_),
        np.zeros(size),
        next_id,
    )


@jit
def leave_organizations(
    residents: Residents,
    organizations: Organizations,
    coef: Coefficients,
    key: np.uint64,
    step: int,
    lo: int,
    hi: int,
) -> None:
    """Members of residents ``lo..hi-1`` leave their organizations.

    A member leaves with probability ``org_leave_rate``, plus
    ``org_misalignment_leave`` per unit its organization has strayed from
    its mission (members of a business in all but name drift away).
    """
    r = residents
    for k in range(lo, hi):
        i = unsigned(k)
        o = r.org[i]
        if o != NO_ORGANIZATION:
            leave = coef.org_leave_rate + coef.org_misalignment_leave * (
                1.0 - organizations.alignment[o]
            )
            if uniform(key, step, ORG_LEAVE, i) < leave:
                r.org[i] = NO_ORGANIZATION


@jit
def found_organizations(
    residents: Residents,
    organizations: Organizations,
    coef: Coefficients,
    key: np.uint64,
    step: int,
) -> Organizations:
    """Aggrieved residents apply to found organizations; the approved each start one.

    A resident outside any organization (one who just left included) with
    grievance above ``org_founding_grievance`` applies with probability
    ``org_founding_rate`` (drawn application by application,
    :func:`~model.draws.gap_to_next`: applications are rare), and the
    authorities approve with probability ``org_openness`` (the lever the
    article says cadres hold back). Each new organization gets the next id,
    in the order of its founder's number, a kind drawn for its founder,
    capacity ``org_capacity x (1 + org_support)`` (support buys capacity)
    and autonomy ``1 - org_support`` (and dependence). Serial: ids are
    given in order.

    Returns:
        The table, grown (a new record) when it had no room.
    """
    r = residents
    founders = _approved_applicants(r, coef, key, step)
    if founders.size == 0:
        return organizations
    table = _with_room(organizations, organizations.next_id[0] + founders.size)
    for f in range(founders.size):
        i = founders[f]
        uid = table.next_id[0]
        table.next_id[0] += 1
        table.alignment[uid] = 1.0
        table.autonomy[uid] = 1.0 - coef.org_support
        table.capacity[uid] = coef.org_capacity * (1.0 + coef.org_support)
        draw = uniform(key, step, ORG_KIND, i)
        table.kind[uid] = int(draw * len(ORGANIZATION_KINDS))
        table.alive[uid] = True
        r.org[i] = uid
    return table


@jit
def _approved_applicants(
    residents: Residents, coef: Coefficients, key: np.uint64, step: int
) -> IntArray:
    """The residents whose application to found an organization is approved this step."""
    r = residents
    approved = np.empty(0, dtype=np.int64)
    found = []
    applications = 0
    wait = gap_to_next(key, step, ORG_APPLY, 0, coef.org_founding_rate)
    for i in range(r.org.size):
        if r.org[i] != NO_ORGANIZATION or r.grievance[i] <= coef.org_founding_grievance:
            continue
        if wait > 0:
            wait -= 1
            continue
        applications += 1
        wait = gap_to_next(key, step, ORG_APPLY, applications, coef.org_founding_rate)
        if uniform(key, step, ORG_APPROVE, i) < coef.org_openness:
            found.append(i)
    if found:
        approved = np.array(found, dtype=np.int64)
    return approved


@jit
def _with_room(table: Organizations, last_id: int) -> Organizations:
    """The table, or a copy with rows up to ``last_id`` and the empty last row."""
    size = table.alive.size
    if last_id < size - 1:
        return table
    grown = _table(size + max(size, last_id + 2 - size), table.next_id)
    keep = size - 1  # the last row is the empty one
    grown.alignment[:keep] = table.alignment[:keep]
    grown.autonomy[:keep] = table.autonomy[:keep]
    grown.capacity[:keep] = table.capacity[:keep]
    grown.kind[:keep] = table.kind[:keep]
    grown.alive[:keep] = table.alive[:keep]
    grown.protest_share[:keep] = table.protest_share[:keep]
    return grown


@parallel_jit
def recruit_and_serve(
    residents: Residents,
    organizations: Organizations,
    network: Network,
    coef: Coefficients,
    key: np.uint64,
    step: int,
    chunks: int,
) -> FloatArray:
    """Recruitment through the network, then services to members.

    A non-member is open to joining with probability ``org_recruit_rate``;
    it then looks at one neighbour drawn at random and, if that neighbour
    belongs to an organization, would join it (from the memberships the
    founders started the step with). Recruitment therefore spreads along
    ties, fastest where members are many (Granovetter's weak ties, McAdam's
    bloc recruitment). Each organization accepts a share of its would-be
    members equal to its room left over their number, so room is respected
    in expectation, times its credibility: ``1 - support_credibility_loss x
    (1 - autonomy)`` (a dependent organization is seen as an arm of
    government). A service organization's members then have their
    weightiest need fall by a share ``org_service x alignment``. Members
    and members protesting are counted per fixed chunk of residents, so
    the result is the same on any number of threads; the share of each
    organization's members who protest is kept for the next step, and
    government support costs the budget ``org_support x org_support_cost``
    per member.

    Returns:
        Members of every organization, by id.
    """
    n, table_size = residents.org.size, organizations.alive.size
    target = np.full(n, NO_ORGANIZATION, dtype=residents.org.dtype)
    counted = np.zeros((chunks, table_size))
    wanted = np.zeros((chunks, table_size))
    for c in prange(chunks):
        lo, hi = c * n // chunks, (c + 1) * n // chunks
        _choose_targets(residents, network, coef, key, step, lo, hi, target, counted[c], wanted[c])
    room = np.maximum(organizations.capacity - counted.sum(axis=0), 0.0)
    demand = wanted.sum(axis=0)
    counted[:] = 0.0
    protesting = np.zeros((chunks, table_size))
    for c in prange(chunks):
        lo, hi = c * n // chunks, (c + 1) * n // chunks
        _join_and_serve(
            residents, organizations, coef, key, step, lo, hi, target, room, demand, counted[c],
            protesting[c],
        )  # fmt: skip
    members = counted.sum(axis=0)
    _record_protest_shares(organizations, members, protesting.sum(axis=0))
    return members


@jit
def _record_protest_shares(
    organizations: Organizations, members: FloatArray, protesting: FloatArray
) -> None:
    """Keep the share of each organization's members who protested, for the next step."""
    for o in range(members.size):
        share = protesting[o] / members[o] if members[o] > 0.0 else 0.0
        organizations.protest_share[o] = share


# The loops of recruit_and_serve are functions of their own: numba loses
# writes made through a record's field directly inside a prange body.
@jit
def _choose_targets(
    residents: Residents,
    network: Network,
    coef: Coefficients,
    key: np.uint64,
    step: int,
    lo: int,
    hi: int,
    target: IntArray,
    members: FloatArray,
    wanted: FloatArray,
) -> None:
    """Count members, and the organization each non-member would join, for ``lo..hi-1``."""
    org = residents.org
    for i in range(lo, hi):
        if org[i] != NO_ORGANIZATION:
            members[org[i]] += 1.0
            continue
        candidate = recruit_target(residents, network, key, step, i, coef.org_recruit_rate)
        if candidate != NO_ORGANIZATION:
            target[i] = candidate
            wanted[candidate] += 1.0


@jit
def _join_and_serve(
    residents: Residents,
    organizations: Organizations,
    coef: Coefficients,
    key: np.uint64,
    step: int,
    lo: int,
    hi: int,
    target: IntArray,
    room: FloatArray,
    demand: FloatArray,
    members: FloatArray,
    protesting: FloatArray,
) -> None:
    """Would-be members of ``lo..hi-1`` join within room; every member is served and counted."""
    r = residents
    for i in range(lo, hi):
        t = target[i]
        if t != NO_ORGANIZATION:
            credibility = 1.0 - coef.support_credibility_loss * (1.0 - organizations.autonomy[t])
            if uniform(key, step, RECRUIT_ACCEPT, i) < min(room[t] / demand[t], 1.0) * credibility:
                r.org[i] = t
        o = r.org[i]
        if o != NO_ORGANIZATION:
            members[o] += 1.0
            if r.stance[i] == PROTESTING:
                protesting[o] += 1.0
            if organizations.kind[o] == SERVICE:
                share = coef.org_service * organizations.alignment[o]
                r.need[i, weightiest(r.need, r.need_weight, i)] *= 1.0 - share


@inline_jit
def recruit_target(
    residents: Residents, network: Network, key: np.uint64, step: int, i: int, recruit_rate: float
) -> int:
    """The organization non-member ``i`` would join (a random neighbour's), or -1."""
    indptr = network.indptr
    degree = indptr[i + 1] - indptr[i]
    if degree == 0 or uniform(key, step, RECRUIT_OPEN, i) >= recruit_rate:
        return NO_ORGANIZATION
    pick = min(int(uniform(key, step, RECRUIT_PICK, i) * degree), degree - 1)
    return int(residents.org[network.indices[indptr[i] + pick]])


@jit
def settle_organizations(
    organizations: Organizations,
    members: FloatArray,
    treasury: Treasury,
    coef: Coefficients,
    key: np.uint64,
    step: int,
) -> None:
    """Drift, closure and dissolution of every living organization (serial, over organizations).

    Missions drift: ``a <- a + org_drift_rate (rights (1 - a) - (1 - rights) a)``:
    oversight (the ``rights`` lever: information, expression, supervision)
    pulls an organization back to its mission, its absence lets it drift;
    the alignment settles at ``rights`` (no threshold ends an organization:
    a drifting one serves less and loses members, :func:`leave_organizations`).
    A mediation (advocacy) organization is shut with probability
    ``org_closure_rate x (1 - org_openness)`` (one draw per organization and
    step). An organization ends when shut or when it has no members; its
    row is emptied, and ``shut`` keeps the mark for :func:`release_members`.
    Government support costs the budget ``org_support x org_support_cost``
    per member, incurred for the next step.
    """
    table = organizations
    closure_chance = coef.org_closure_rate * (1.0 - coef.org_openness)
    rights, rate = coef.rights, coef.org_drift_rate
    table.shut[:] = False
    for o in range(table.alive.size):
        if not table.alive[o]:
            continue
        a = table.alignment[o]
        a = min(max(a + rate * (rights * (1.0 - a) - (1.0 - rights) * a), 0.0), 1.0)
        table.alignment[o] = a
        table.shut[o] = (
            table.kind[o] == MEDIATION and uniform(key, step, ORG_CLOSURE, o) < closure_chance
        )
        if table.shut[o] or members[o] == 0.0:
            table.alignment[o] = table.autonomy[o] = table.capacity[o] = 0.0
            table.protest_share[o] = 0.0
            table.alive[o] = False
    pay(treasury, GOVERNANCE, coef.org_support * coef.org_support_cost * members.sum())


@jit
def release_members(
    residents: Residents, organizations: Organizations, coef: Coefficients, lo: int, hi: int
) -> None:
    """Members of organizations that ended leave them; residents ``lo..hi-1``.

    Members of one the authorities shut suffer ``injustice_closure`` and
    lose ``trust_closure`` (hypothesis ``closure``).
    """
    r = residents
    for k in range(lo, hi):
        i = unsigned(k)
        o = r.org[i]
        if o != NO_ORGANIZATION and not organizations.alive[o]:
            if organizations.shut[o]:
                r.injustice[i] += coef.injustice_closure
                r.experience[i] -= coef.trust_closure
            r.org[i] = NO_ORGANIZATION
