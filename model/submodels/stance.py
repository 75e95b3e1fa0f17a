"""Process 4, ``decide_stance``: Epstein's rule, on the social network.

The one implementation of Epstein's (2002) estimated arrest probability and
activation rule: the main model's :func:`decide_stance` and the reference
mode (:mod:`model.epstein`) both call :func:`activates` and
:func:`arrest_probability_one`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from model.jit import inline_jit, jit, unsigned
from model.neighbourhood import find_root
from model.params import ARREST_RULES
from model.population import DETAINED, NO_ORGANIZATION, PETITIONING, PROTESTING, QUIET
from model.types import FloatArray, IntArray

if TYPE_CHECKING:
    from model.cadres import Districts
    from model.neighbourhood import Network
    from model.params import Coefficients
    from model.population import Residents
    from model.submodels.organizations import Organizations

FAILED, ANSWERED = 1, 2
"""Values of ``Residents.voice_outcome``: a claim that failed, a claim answered."""

LITERAL, FLOOR, ROUND = (ARREST_RULES.index(rule) for rule in ("literal", "floor", "round"))
"""The arrest rules as the integers compiled code compares."""


@jit
def count_protesting_neighbours(residents: Residents, network: Network) -> None:
    """How many of each resident's neighbours protested last step.

    Walks the rows of the protesters, who are few, rather than every
    resident's row (the network is symmetric: i is a neighbour of a
    protester exactly when the protester is a neighbour of i). Serial: it
    writes to other residents' counts.
    """
    count, stance = residents.protesting_neighbours, residents.stance
    indptr, indices = network.indptr, network.indices
    count[:] = 0
    for j in range(stance.size):
        if stance[j] == PROTESTING:
            for slot in range(indptr[j], indptr[j + 1]):
                count[indices[slot]] += 1


@jit
def decide_stance(
    residents: Residents,
    network: Network,
    districts: Districts,
    organizations: Organizations,
    coef: Coefficients,
    lo: int,
    hi: int,
) -> None:
    """Quiet, petition or protest, for residents ``lo..hi-1`` who are not detained.

    Protest follows Epstein's rule with the threshold lowered by threshold
    contagion (Granovetter 1978): ``G - R P > T - contagion x share of
    neighbours protesting``, with P the arrest probability estimated from
    the district's control in view and the protesting neighbours
    (:func:`arrest_probability_one`). Otherwise a resident petitions when
    its grievance net of the risk of petitioning is above the threshold,
    ``G - R x petition_risk > petition_threshold``, and it still trusts the
    channel: trust of at least ``petition_trust`` and no recent rebuff (the
    article: petitioning is an expression of trust). Otherwise it stays
    quiet, holding its grievance in silence. Residents a stability visit
    deters do not protest.

    Two things move the thresholds. What a resident expects voice to bring
    (``voice_expectation``, :func:`learn_from_claims`): both thresholds
    fall by ``claims_weight`` times its excess over the initial
    expectation, and rise when voice has been seen to fail (Chen 2012: a
    big fuss gets a big solution). Membership of an organization lowers the
    cost of collective action (McCarthy and Zald 1977): a member weighs the
    risk ``org_mobilization`` less, and counts its fellow members' protest
    of last step as its neighbours'. Where the grid makes a whole cell
    answer for a protester, both thresholds rise by
    ``collective_deterrence`` (neighbours hold each other back). Reads the
    neighbours' stances of last step through
    :func:`count_protesting_neighbours`, so it may write the
    stance in place.
    """
    alone = risk_alone(districts, coef)
    for k in range(lo, hi):
        i = unsigned(k)
        residents.stance[i] = stance_now(
            residents,
            network,
            districts,
            organizations,
            coef,
            i,
            alone,
            residents.protesting_neighbours[i],
        )


@jit
def let_rest_pass(residents: Residents, lo: int, hi: int) -> None:
    """A week passes for residents ``lo..hi-1`` resting after a protest."""
    left = residents.rest_left
    for k in range(lo, hi):
        i = unsigned(k)
        left[i] = max(left[i] - 1, 0)


class Spread(NamedTuple):
    """The week's spread of protest as it unfolds (:func:`spread_protest`'s working state).

    Attributes:
        crowd_of: Union-find parent of each protester's crowd, -1 for
            residents not protesting this week.
        crowd_size: Size of the crowd whose root a resident is.
        queue: Protesters in the order they joined; ``tail`` (kept apart,
            since it moves) marks the end.
        alone: Each district's arrest probability for a resident who sees
            no other protester (:func:`risk_alone`).
        most_seen: Most protesters a resident sees (``control_visibility``).
    """

    crowd_of: IntArray
    crowd_size: IntArray
    queue: IntArray
    alone: FloatArray
    most_seen: int


@jit
def spread_protest(
    residents: Residents,
    network: Network,
    districts: Districts,
    organizations: Organizations,
    coef: Coefficients,
) -> None:
    """The week's protest spreads until no one else joins: an incident unfolds within the week.

    Mass incidents grow in hours, not weeks: onlookers join when they see
    a crowd in the street (Granovetter 1978: the riot is the equilibrium
    of the thresholds; Watts 2002). After every resident has decided
    (:func:`decide_stance`, which sees last week's protest), every
    neighbour of a protester decides again by the same rule, with this
    week's protest in view: the share of its neighbours protesting (the
    contagion of the threshold) and, as the protesters it sees (Epstein's
    A), the crowd it would join, that is every protester connected to it
    through protesting neighbours, as far as one sees: at most
    ``control_visibility`` residents, the view in which C counts control
    (safety in numbers: Epstein 2002; Kuran 1991). Its earlier decision
    stands unless the rule now says protest; each new protester's
    neighbours decide in turn, and then, since a merged crowd is larger for
    everyone beside it, every resident beside a protester decides again,
    pass after pass, until a whole pass adds no one. Joining is one way
    within the week (Granovetter's monotone dynamics), so the spread ends.
    Afterwards ``protesting_neighbours`` holds this week's counts. Serial:
    a joiner changes its neighbours' counts and crowds.
    """
    r = residents
    indptr, indices = network.indptr, network.indices
    count, stance = r.protesting_neighbours, r.stance
    n = stance.size
    queue = np.empty(n, dtype=np.int64)
    tail = 0
    for j in range(n):
        if stance[j] == PROTESTING:
            queue[tail] = j
            tail += 1
    count[:] = 0
    for head in range(tail):
        j = unsigned(queue[head])
        for slot in range(indptr[j], indptr[unsigned(j + 1)]):
            count[indices[slot]] += 1
    if not coef.spread_within_week:
        return
    # The crowds: protesters joined through protesting neighbours (union-find,
    # in the residents' working space; a size is set as its resident joins).
    crowd_of = r.scratch
    crowd_size = np.empty(n, dtype=np.int64)
    for head in range(tail):
        join_crowd(network, stance, crowd_of, crowd_size, queue[head])
    # Epstein's A counts protesters among the residents one keeps an eye on,
    # the same view in which C counts control (control_visibility). Built by
    # position: compiled code cannot build a named tuple by keyword; the
    # order is Spread's.
    spread = Spread(
        crowd_of, crowd_size, queue, risk_alone(districts, coef), int(coef.control_visibility)
    )
    head = 0
    # Queue length when every resident beside a protester last decided with
    # the crowds as they stood: the drain below has each initial protester's
    # neighbours decide, so the fringe needs another pass only after a joiner.
    settled = tail
    while True:
        while head < tail:
            j = unsigned(queue[head])
            head += 1
            for slot in range(indptr[j], indptr[unsigned(j + 1)]):
                tail = join_if_moved(
                    r, network, districts, organizations, coef, spread, tail,
                    unsigned(indices[slot]),
                )  # fmt: skip
        if tail == settled:
            break
        # A crowd that grew through a joiner elsewhere is larger for every
        # resident beside it, not only for the joiner's neighbours: all of
        # them decide again, and the spread goes on until a whole pass adds
        # no one (the fixed point; each pass is over the protesters' fringe).
        settled = tail
        for k in range(n):
            if count[k] > 0:
                tail = join_if_moved(
                    r, network, districts, organizations, coef, spread, tail, unsigned(k)
                )  # fmt: skip
    for head in range(tail):
        crowd_of[queue[head]] = -1


@inline_jit
def join_if_moved(
    residents: Residents,
    network: Network,
    districts: Districts,
    organizations: Organizations,
    coef: Coefficients,
    spread: Spread,
    tail: int,
    k: int,
) -> int:
    """Resident ``k`` decides again with this week's protest in view; a joiner is queued.

    Returns the new end of the queue (``spread.queue`` up to ``tail``). The
    detained and those already protesting do not decide again (joining is
    one way within the week).
    """
    stance = residents.stance
    if stance[k] == PROTESTING or stance[k] == DETAINED:
        return tail
    seen = min(
        crowd_in_view(network, stance, spread.crowd_of, spread.crowd_size, k), spread.most_seen
    )
    decided = stance_now(residents, network, districts, organizations, coef, k, spread.alone, seen)
    if decided != PROTESTING:
        return tail
    stance[k] = PROTESTING
    join_crowd(network, stance, spread.crowd_of, spread.crowd_size, k)
    spread.queue[tail] = k
    count = residents.protesting_neighbours
    for other in range(network.indptr[k], network.indptr[unsigned(k + 1)]):
        count[network.indices[other]] += 1
    return tail + 1


@jit
def join_crowd(
    network: Network, stance: IntArray, crowd_of: IntArray, crowd_size: IntArray, i: int
) -> None:
    """Protester ``i`` joins the crowds of its protesting neighbours, merging them."""
    me = int(np.int64(i))  # one integer type (int64), whatever the caller's index
    if crowd_of[me] < 0:
        crowd_of[me] = me
        crowd_size[me] = 1
    for slot in range(network.indptr[me], network.indptr[me + 1]):
        k = network.indices[slot]
        if stance[k] != PROTESTING or crowd_of[k] < 0:
            continue
        a, b = find_root(crowd_of, me), find_root(crowd_of, k)
        if a != b:
            if crowd_size[a] < crowd_size[b]:
                a, b = b, a
            crowd_of[b] = a
            crowd_size[a] += crowd_size[b]


@jit
def crowd_in_view(
    network: Network, stance: IntArray, crowd_of: IntArray, crowd_size: IntArray, i: int
) -> int:
    """Protesters resident ``i`` sees: the crowds its protesting neighbours belong to."""
    seen = 0
    start, end = network.indptr[i], network.indptr[i + 1]
    for slot in range(start, end):
        k = network.indices[slot]
        if stance[k] != PROTESTING or crowd_of[k] < 0:
            continue
        root = find_root(crowd_of, k)
        counted = False
        for earlier in range(start, slot):
            m = network.indices[earlier]
            if stance[m] == PROTESTING and crowd_of[m] >= 0 and find_root(crowd_of, m) == root:
                counted = True
                break
        if not counted:
            seen += crowd_size[root]
    return seen


@jit
def risk_alone(districts: Districts, coef: Coefficients) -> FloatArray:
    """Each district's arrest probability for a resident who sees no other protester.

    Most residents see none: their risk is their district's, computed once a pass.
    """
    alone = np.empty(districts.control_in_view.size)
    for d in range(alone.size):
        alone[d] = arrest_probability_one(
            districts.control_in_view[d], 1.0, coef.arrest_k, coef.arrest_rule
        )
    return alone


@inline_jit
def stance_now(
    residents: Residents,
    network: Network,
    districts: Districts,
    organizations: Organizations,
    coef: Coefficients,
    i: int,
    alone: FloatArray,
    seen: int,
) -> int:
    """Resident ``i``'s stance given the protesters it sees now (``seen``, Epstein's A - 1).

    The inputs of :func:`stance_of` for one resident: the share of its
    neighbours protesting (or of its organization's members), its risk
    aversion (lower for members), the expected return to voice, collective
    deterrence, and its arrest probability from its district's control and
    the protesters it sees.
    """
    r = residents
    # Every read from the records comes first, before any branch: an inlined
    # function holds a reference to each array of the records it takes
    # until its last read, and past a branch numba can no longer drop the
    # pair of atomic reference counts (about 80 per resident here, 25 times
    # the cost of the rule itself). A non-member reads the organization
    # table's last row, which is always empty (``Organizations``).
    degree = network.indptr[unsigned(i + 1)] - network.indptr[i]
    protesting_neighbours = r.protesting_neighbours[i]
    risk_aversion = r.risk_aversion[i]
    o = r.org[i]
    members_protesting = organizations.protest_share[o]
    voice_expectation = r.voice_expectation[i]
    in_cell = r.cell[i] >= 0
    district = r.district[i]
    grievance = r.grievance[i]
    stance = r.stance[i]
    legitimacy = r.legitimacy[i]
    rebuffed_left = r.rebuffed_left[i]
    held_back = (r.deterred_left[i] > 0) | (r.rest_left[i] > 0)
    control = districts.control_in_view[district]
    petition_risk = districts.petition_risk[district]
    risk_when_alone = alone[district]
    share = protesting_neighbours / max(degree, 1)
    if o != NO_ORGANIZATION:
        share = max(share, members_protesting)
        risk_aversion *= 1.0 - coef.org_mobilization
    claims = coef.claims_weight * (voice_expectation - coef.initial_voice_expectation)
    if coef.collective_responsibility and in_cell:
        claims -= coef.collective_deterrence
    # Epstein's rule cannot fire when grievance is below the lowered
    # threshold, whatever the risk; the arrest probability (an
    # exponential) is computed only for those it can concern.
    arrest_prob = 1.0
    if grievance > coef.protest_threshold - coef.contagion * share - claims:
        if seen == 0:
            arrest_prob = risk_when_alone
        else:
            arrest_prob = arrest_probability_one(
                control, seen + 1.0, coef.arrest_k, coef.arrest_rule
            )
    return stance_of(
        stance,
        grievance,
        legitimacy,
        risk_aversion,
        arrest_prob,
        share,
        claims,
        rebuffed_left,
        petition_risk,
        held_back,
        coef,
    )


@inline_jit
def stance_of(
    stance: int,
    grievance: float,
    legitimacy: float,
    risk_aversion: float,
    arrest_prob: float,
    share: float,
    claims: float,
    rebuffed_left: int,
    petition_risk: float,
    deterred: bool,
    coef: Coefficients,
) -> int:
    """One resident's stance this step: the decision rule of :func:`decide_stance`."""
    if stance == DETAINED:
        return DETAINED
    if not deterred and activates(
        grievance,
        risk_aversion,
        arrest_prob,
        coef.protest_threshold - coef.contagion * share - claims,
    ):
        return PROTESTING
    if (
        activates(grievance, risk_aversion, petition_risk, coef.petition_threshold - claims)
        and legitimacy >= coef.petition_trust
        and rebuffed_left <= 0
    ):
        return PETITIONING
    return QUIET


@jit
def count_claims_seen(residents: Residents, network: Network) -> None:
    """How many claims each resident saw this step, and how many were answered.

    A resident sees its own claim and its neighbours'.
    Walks the rows of the residents who made a claim, who are few, rather
    than every resident's row (the network is symmetric). Serial: it writes
    to other residents' counts.
    """
    r = residents
    indptr, indices = network.indptr, network.indices
    r.claims_seen[:] = 0
    r.claims_answered[:] = 0
    for j in range(r.voice_outcome.size):
        outcome = r.voice_outcome[j]
        if outcome == 0:
            continue
        answered = 1 if outcome == ANSWERED else 0
        r.claims_seen[j] += 1
        r.claims_answered[j] += answered
        for slot in range(indptr[j], indptr[j + 1]):
            k = indices[slot]
            r.claims_seen[k] += 1
            r.claims_answered[k] += answered


@jit
def learn_from_claims(residents: Residents, coef: Coefficients, lo: int, hi: int) -> None:
    """Residents ``lo..hi-1`` learn from this step's claims whether voice pays.

    Of the claims a resident saw this step, its own and its neighbours'
    (petitions and protests, counted by :func:`count_claims_seen`), the
    share answered pulls its expectation at rate ``claims_learning``; a
    resident who saw none keeps what it expected.
    """
    r = residents
    rate = coef.claims_learning
    if rate <= 0.0:
        return
    for k in range(lo, hi):
        i = unsigned(k)
        seen = r.claims_seen[i]
        if seen > 0:
            share = r.claims_answered[i] / seen
            r.voice_expectation[i] += rate * (share - r.voice_expectation[i])


@jit
def activates(grievance: float, risk_aversion: float, arrest_prob: float, threshold: float) -> bool:
    """Epstein's activation rule for one agent: ``G - R P > T``.

    The single implementation, called by the main model (for protest and,
    with the risk of petitioning, for petitions) and by the reference modes.
    """
    return grievance - risk_aversion * arrest_prob > threshold


@jit
def arrest_probability_one(control: float, actives: float, k: float, rule_code: int) -> float:
    """Epstein's ``P = 1 - exp(-k r(C/A))`` for one agent: the single formula.

    ``control`` is the control presence the agent sees (C), ``actives`` the
    active agents it sees, itself included (A >= 1). The rule ``r`` is a
    switch: the paper prints ``1 - exp(-k (C/A))`` (``literal``); NetLogo's
    Rebellion truncates the ratio (``floor``), so fear collapses once
    protesters outnumber the control in view; Mesa's example rounds it half
    to even (``round``, as Python's ``round``). The three produce
    qualitatively different dynamics (ODD.md, Design concepts).
    """
    ratio = control / actives
    if rule_code == FLOOR:
        ratio = float(np.floor(ratio))
    elif rule_code == ROUND:
        ratio = float(np.rint(ratio))
    return -math.expm1(-k * ratio)
