"""Processes 1-2, ``livelihood_shocks`` and ``livelihood_relief`` (Errors 2 and 5).

Needs in the article's five domains rise with random shocks (and, where
the economy worsens, with a slow drift). Each step the livelihood budget
pays, in this order, the grid's fixed costs, what the last step's targeted
spending left owed (concessions, resolved cases, participation, support to
organizations: :class:`Treasury`), and then relief: split across domains by
a mix of top-down planning and participation, with a share devolved to
neighbourhood committees, and spent on residents in proportion to their
need.

Why the split matters (the article's Error Five): the planner sees the mean
need in each domain through a biased lens (a per-run log-normal error) and
does not know which domains residents weigh most; participants voice the
need that matters to them, and committees know their neighbours. Neither
is free or neutral: participation costs money and is captured by the
better-off and the organized (Bardhan and Mookherjee 2000), and so is a
committee's ear; top-down projects start disputes (land, relocation), and
announced spending raises what residents expect (Davies 1962), which
participants, knowing the constraints, discount (:func:`form_expectations`).
Whether spending abates discontent comes out of these, in either direction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from model.draws import (
    COLLECTIVE_DOMAIN,
    COLLECTIVE_SHOCK,
    COLLECTIVE_SIZE,
    PARTICIPATE,
    PROJECT_DISPUTE,
    PROJECT_DISPUTE_SIZE,
    SHOCK,
    SHOCK_DOMAIN,
    gap_to_next,
    uniform,
)
from model.jit import inline_jit, jit, unsigned
from model.population import DOMAINS, NO_ORGANIZATION, weightiest
from model.types import FloatArray

if TYPE_CHECKING:
    from model.neighbourhood import Network
    from model.params import Coefficients
    from model.population import Residents

HOUSING = DOMAINS.index("housing")
"""The domain that projects' disputes (land, relocation) hit."""

ACCOUNTS = 6
"""How many accounts a :class:`Treasury` keeps (the slots below)."""

OWED, RELIEF, TARGETED, GOVERNANCE, GRID, STABILITY = range(ACCOUNTS)
"""The accounts of :class:`Treasury`: what is owed to the next step, and this step's
relief, targeted spending (concessions and resolved cases), governance
(participation, committees, support to organizations), the grid and the
stability staff that cadres judged by incidents hire."""

WEIGHTED_NEED, NEED, VOICED_NEED = range(3)
"""The rows of the need sums per domain of :func:`need_by_domain`: need weighted by
how much it matters (where need truly is), need itself (what the planner sees
and relief can meet) and weighted need voiced by participants or, in a
district's sums, heard by its committee."""

NEED_SUMS = 3
"""Rows of the need sums per domain (:data:`WEIGHTED_NEED`, :data:`NEED`, :data:`VOICED_NEED`)."""


class Planner(NamedTuple):
    """What the livelihood planner works with, fixed for a run.

    Attributes:
        lens: The planner's multiplicative error on each domain's need.
    """

    lens: FloatArray


class Treasury(NamedTuple):
    """The livelihood budget: what it pays, and what the next step owes.

    Costs incurred during a step (a concession, a case the grid resolves,
    participation, support to organizations) are paid from the next step's
    budget before relief, and may be incurred only while what is owed stays
    within one step's budget (:func:`can_pay`): responsiveness competes with
    relief for the same money.

    Attributes:
        budget: The livelihood budget per step (need units).
        fixed_costs: What the grid's staff and platforms cost per step.
        accounts: Indexed by :data:`OWED`, :data:`RELIEF`, :data:`TARGETED`,
            :data:`GOVERNANCE`, :data:`GRID`, :data:`STABILITY`.
        staff_costs: What the stability staff hired by cadres cost per step
            (:meth:`model.cadres.Cadre.adapt`); paid after the grid.
    """

    budget: float
    fixed_costs: float
    accounts: FloatArray
    staff_costs: float = 0.0


def treasury(budget: float, fixed_costs: float) -> Treasury:
    """A treasury with nothing owed; the grid gets at most the whole budget."""
    accounts = np.zeros(ACCOUNTS)
    return Treasury(budget, min(fixed_costs, budget), accounts, 0.0)


@jit
def open_budget(treasury: Treasury) -> float:
    """Start a step's accounts: pay the grid, the stability staff and what is owed.

    Returns:
        What is left for relief.
    """
    accounts = treasury.accounts
    staff = min(treasury.staff_costs, treasury.budget - treasury.fixed_costs)
    available = treasury.budget - treasury.fixed_costs - staff
    paid = min(accounts[OWED], available)
    accounts[OWED] -= paid
    accounts[RELIEF] = accounts[TARGETED] = accounts[GOVERNANCE] = 0.0
    accounts[GRID] = treasury.fixed_costs
    accounts[STABILITY] = staff
    left: float = available - paid
    return left


@jit
def can_pay(treasury: Treasury, amount: float) -> bool:
    """Whether a cost can be incurred now: what is owed stays within one step's budget."""
    affordable: bool = treasury.accounts[OWED] + amount <= treasury.budget
    return affordable


@jit
def pay(treasury: Treasury, account: int, amount: float) -> None:
    """Incur a cost on ``account``, to be paid from the next step's budget."""
    treasury.accounts[OWED] += amount
    treasury.accounts[account] += amount


@jit
def resolve_weightiest(
    residents: Residents, i: int, treasury: Treasury, coef: Coefficients
) -> bool:
    """Resolve resident ``i``'s weightiest need at the budget's expense, if it can pay.

    Targeted relief: the need resolved costs as much relief would, and is
    incurred for the next step (:func:`pay`). A resolved need earns
    ``trust_service`` (hypothesis ``service_gratitude``). Concessions
    (:mod:`~model.submodels.petitions`), the grid's cases
    (:mod:`~model.submodels.grid`) and prevention
    (:mod:`~model.submodels.prevention`) all resolve needs this way.

    Returns:
        Whether the need was resolved.
    """
    r = residents
    d = weightiest(r.need, r.need_weight, i)
    cost = float(r.need[i, d])
    if not can_pay(treasury, cost):
        return False
    pay(treasury, TARGETED, cost)
    r.need[i, d] = 0.0
    r.experience[i] += coef.trust_service
    return True


def planner_lens(domains: int, planner_bias: float, rng: np.random.Generator) -> FloatArray:
    """The planner's per-run multiplicative error on each domain's need."""
    return np.exp(rng.normal(0.0, planner_bias, size=domains))


@jit
def livelihood_shocks(
    residents: Residents, coef: Coefficients, key: np.uint64, step: int, lo: int, hi: int
) -> None:
    """Random shocks (and the drift) raise the needs of residents ``lo..hi-1``.

    Each (resident, domain) is shocked with probability ``shock_rate`` a
    step, independently, by ``U(0, shock_size)``, capped at 1. Shocks are
    rare, so one draw first decides whether any domain is shocked
    (:func:`shock_chances`); only then are the domains visited, each with
    its chance given that at least one of the domains left is shocked and
    none before it was, until one is; the rest are then unconditional. This
    is exactly the independent per-domain law, at one draw per resident in
    the common case. Given that a draw ``v`` fell below its chance ``c``,
    ``v / c`` is uniform: it sets the size. Every need also rises by
    ``need_drift`` a step.
    """
    need = residents.need
    domains = need.shape[1]
    rate, size, drift = coef.shock_rate, coef.shock_size, coef.need_drift
    if drift > 0.0:
        for k in range(lo, hi):
            i = unsigned(k)
            for d in range(domains):
                need[i, d] = min(need[i, d] + drift, 1.0)
    chances = shock_chances(rate, domains)
    if chances[0] <= 0.0:
        return
    for k in range(lo, hi):
        i = unsigned(k)
        if uniform(key, step, SHOCK, i) >= chances[0]:
            continue
        shocked = False
        for d in range(domains):
            chance = rate if shocked else chances[domains - d]
            draw = uniform(key, step, SHOCK_DOMAIN + d, i)
            if draw < chance:
                need[i, d] = min(need[i, d] + draw / chance * size, 1.0)
                shocked = True


@jit
def collective_shocks(
    residents: Residents, network: Network, coef: Coefficients, key: np.uint64, step: int
) -> int:
    """Collective shocks: a layoff, a requisition or a polluting plant hits a neighbourhood at once.

    Most grievances behind mass incidents are shared: a factory closes, a
    village's land is requisitioned, a plant pollutes a district (EVIDENCE:
    projects' disputes a leading cause). Events arrive at
    ``collective_shock_rate`` per 10,000 residents a step, each resident an
    epicentre independently (drawn event by event,
    :func:`~model.draws.gap_to_next`). An event hits one domain, drawn at
    random, of a footprint of ``S`` households: the epicentre and its
    network neighbours in breadth-first order (the network is spatial, so
    the footprint is a neighbourhood). ``S`` is Pareto with least size
    ``collective_shock_least`` and tail exponent ``collective_shock_tail``
    (the sizes of firms, the employers whose closures hit their workers
    together, are Zipf-distributed: Axtell 2001), rounded down to whole
    households and at most the city. Each
    household hit has its need in that domain raised by ``shock_size``.
    Serial: the footprints cross any partition of the residents.

    Returns:
        How many events there were.
    """
    rate = coef.collective_shock_rate / 10_000.0
    if rate <= 0.0:
        return 0
    need = residents.need
    indptr, indices = network.indptr, network.indices
    n = residents.stance.size
    domains = need.shape[1]
    # A household already hit by this event is marked in the residents'
    # working space (0; -1 otherwise, as it is left).
    hit = residents.scratch
    events = 0
    epicentre = gap_to_next(key, step, COLLECTIVE_SHOCK, 0, rate)
    # The footprint's households in order, allocated only in a week with an event.
    footprint = np.empty(n if epicentre < n else 0, dtype=np.int64)
    while epicentre < n:
        size = coef.collective_shock_least * (
            1.0 - uniform(key, step, COLLECTIVE_SIZE, epicentre)
        ) ** (-1.0 / coef.collective_shock_tail)
        households = int(min(size, n))
        domain = min(int(uniform(key, step, COLLECTIVE_DOMAIN, epicentre) * domains), domains - 1)
        footprint[0] = epicentre
        hit[epicentre] = 0
        head, tail = 0, 1
        while head < tail < households:
            j = unsigned(footprint[head])
            head += 1
            for slot in range(indptr[j], indptr[unsigned(j + 1)]):
                k = indices[slot]
                if hit[k] < 0 and tail < households:
                    hit[k] = 0
                    footprint[tail] = k
                    tail += 1
        for m in range(tail):
            i = unsigned(footprint[m])
            need[i, domain] = min(need[i, domain] + coef.shock_size, 1.0)
            hit[i] = -1
        events += 1
        epicentre += 1 + gap_to_next(key, step, COLLECTIVE_SHOCK, events, rate)
    return events


@jit
def shock_chances(shock_rate: float, domains: int) -> FloatArray:
    """The chances :func:`livelihood_shocks` uses, computed once per step.

    ``chances[0]``: that any of the ``domains`` is shocked,
    ``1 - (1 - rate)^domains``; ``chances[k]`` for k >= 1: that a domain is
    shocked given that at least one of the ``k`` domains left, itself
    included, is, ``rate / (1 - (1 - rate)^k)``.
    """
    chances = np.zeros(domains + 1)
    spared = 1.0
    for k in range(1, domains + 1):
        spared *= 1.0 - shock_rate
        chances[k] = shock_rate / (1.0 - spared) if spared < 1.0 else 0.0
    chances[0] = 1.0 - spared
    return chances


@inline_jit
def voice_weight(residents: Residents, i: int, capture: float) -> float:
    """How loud resident ``i`` is where residents are consulted: capture by the better-off.

    ``1 + capture x (1 - 2 hardship) + capture x member``: with capture 0
    every resident counts the same; above, the better-off (low hardship)
    and the organized are heard more and the hard-pressed less (elite
    capture, Bardhan and Mookherjee 2000).
    """
    member = 1.0 if residents.org[i] != NO_ORGANIZATION else 0.0
    weight: float = max(1.0 + capture * (1.0 - 2.0 * residents.hardship[i] + member), 0.0)
    return weight


@jit
def choose_participants(
    residents: Residents, coef: Coefficients, key: np.uint64, step: int, lo: int, hi: int
) -> int:
    """Which of residents ``lo..hi-1`` take part in this step's livelihood decisions.

    Each resident takes part with probability ``participation`` times its
    :func:`voice_weight` (capped at 1), drawn afresh every step; a
    participant gains ``trust_participation`` in trust (procedural justice:
    being heard raises legitimacy whatever the outcome, Tyler 2006).

    Returns:
        How many take part (participation costs the budget per participant).
    """
    participation, capture = coef.participation, coef.participation_capture
    count = 0
    for k in range(lo, hi):
        i = unsigned(k)
        chance = min(participation * voice_weight(residents, i, capture), 1.0)
        speaks = participation > 0.0 and uniform(key, step, PARTICIPATE, i) < chance
        residents.participates[i] = speaks
        if speaks:
            residents.experience[i] += coef.trust_participation
            count += 1
    return count


@jit
def need_by_domain(
    residents: Residents,
    coef: Coefficients,
    lo: int,
    hi: int,
    city: FloatArray,
    districts: FloatArray,
) -> None:
    """Add residents ``lo..hi-1``'s need to the sums the planner and the committees see.

    ``city`` is (:data:`NEED_SUMS`, domains): weighted need (where need
    truly is), need (what the planner sees and relief can meet) and weighted
    need voiced by participants. ``districts`` is (districts,
    :data:`NEED_SUMS`, domains), the same per
    district with the committee's ear (:func:`voice_weight`) in place of
    the participants. Domain by domain, so that each sum stays in a
    register; adding an exact zero rather than branching keeps the sum's
    rounding and shortens its dependency chain.
    """
    need, need_weight, speaks = residents.need, residents.need_weight, residents.participates
    for d in range(need.shape[1]):
        weighted, level = city[WEIGHTED_NEED, d], city[NEED, d]
        voiced = city[VOICED_NEED, d]
        for k in range(lo, hi):
            i = unsigned(k)
            value = need[i, d]
            w = need_weight[i, d] * value
            weighted += w
            level += value
            voiced += w if speaks[i] else 0.0
        city[WEIGHTED_NEED, d], city[NEED, d], city[VOICED_NEED, d] = weighted, level, voiced
    if coef.self_management <= 0.0:
        return
    capture = coef.participation_capture
    for k in range(lo, hi):
        i = unsigned(k)
        district = residents.district[i]
        loudness = voice_weight(residents, i, capture)
        for d in range(need.shape[1]):
            w = need_weight[i, d] * need[i, d]
            districts[district, WEIGHTED_NEED, d] += w
            districts[district, NEED, d] += need[i, d]
            districts[district, VOICED_NEED, d] += loudness * w


@jit
def allocate(
    sums: FloatArray, relief_budget: float, participation: float, lens: FloatArray
) -> tuple[FloatArray, float, float]:
    """Split a budget across domains, from the sums per domain of :func:`need_by_domain`.

    ``a_d = (1 - participation) topdown_d + participation voiced_d`` where
    ``topdown_d`` is the planner's view of mean need (true mean need times
    ``lens``) and ``voiced_d`` is the need voiced, weighted by how much each
    domain matters to those who voice it. Each resident gets the domain's
    budget in proportion to its need there, capped at the need itself, so
    the fraction of need relieved is the same for everyone in a domain, and
    spending can fall short of the budget but never exceed it.

    Returns:
        (relieved fraction of need per domain, spent, mismatch): mismatch is
        the total-variation distance between the allocation and the
        domains' true shares of weighted need (0: perfect targeting).
    """
    weighted, level, voiced_total = sums[WEIGHTED_NEED], sums[NEED], sums[VOICED_NEED]
    true_shares = _shares(weighted)
    topdown = _shares(level * lens)
    speaking = participation > 0.0 and voiced_total.sum() > 0.0
    voiced = _shares(voiced_total) if speaking else topdown
    allocation = (1.0 - participation) * topdown + participation * voiced
    fraction = np.zeros(level.size)
    spent, mismatch = 0.0, 0.0
    for d in range(level.size):
        domain_budget = relief_budget * allocation[d]
        if level[d] > 0.0:
            fraction[d] = min(domain_budget / level[d], 1.0)
        spent += min(domain_budget, level[d])
        mismatch += 0.5 * abs(allocation[d] - true_shares[d])
    return fraction, spent, mismatch


@jit
def _shares(weights: FloatArray) -> FloatArray:
    total = weights.sum()
    if total <= 0.0:
        return np.full(weights.size, 1.0 / weights.size)
    return weights / total


class Relief(NamedTuple):
    """A step's relief: what each resident's need falls by, and what it cost.

    Attributes:
        city: Fraction of need relieved per domain by the city's allocation.
        districts: (districts, domains) fraction relieved by the committees,
            of the need the city's relief left.
        spent: Relief spent in all.
        topdown: Relief the planner spent top-down (what starts projects'
            disputes and what residents are promised).
        mismatch: The city allocation's distance from where need is.
    """

    city: FloatArray
    districts: FloatArray
    spent: float
    topdown: float
    mismatch: float


@jit
def livelihood_relief(
    treasury: Treasury,
    planner: Planner,
    city: FloatArray,
    districts: FloatArray,
    participants: int,
    coef: Coefficients,
) -> Relief:
    """Split this step's relief between the city's allocation and the neighbourhood committees.

    The treasury pays the grid and what is owed (:func:`open_budget`); a
    share ``self_management`` of the rest is devolved to the districts'
    committees in proportion to their residents, less ``committee_overhead``
    for running them, and each committee splits its part by what its
    residents voice (:func:`need_by_domain`); the city splits the rest
    (:func:`allocate`). Participation's cost is incurred for the next step.
    """
    available = open_budget(treasury)
    devolved = coef.self_management * available
    fraction, spent, mismatch = allocate(
        city, available - devolved, coef.participation, planner.lens
    )
    topdown = spent * (1.0 - coef.participation)
    n_districts, domains = districts.shape[0], districts.shape[2]
    by_district = np.zeros((n_districts, domains))
    total_level = city[NEED].sum()
    overhead = devolved * coef.committee_overhead
    if devolved > 0.0 and total_level > 0.0:
        residents_share = districts[:, NEED].sum(axis=1) / total_level
        for k in range(n_districts):
            left = districts[k].copy()
            left[NEED] = left[NEED] * (1.0 - fraction)
            share, used, _ = allocate(
                left, (devolved - overhead) * residents_share[k], 1.0, planner.lens
            )
            by_district[k] = share
            spent += used
    treasury.accounts[RELIEF] += spent
    treasury.accounts[GOVERNANCE] += overhead if devolved > 0.0 else 0.0
    pay(treasury, GOVERNANCE, participants * coef.participation_cost)
    return Relief(fraction, by_district, spent, topdown, mismatch)


@jit
def start_disputes(
    residents: Residents, relief: Relief, coef: Coefficients, key: np.uint64, step: int
) -> int:
    """Top-down projects start disputes (land, relocation) over housing.

    Each resident is caught in one with probability ``project_dispute_rate
    x top-down relief / residents``, which raises its housing need by
    ``U(0, shock_size)``. Serial, drawn event by event
    (:func:`~model.draws.gap_to_next`): disputes are rare.

    Returns:
        How many disputes started.
    """
    need = residents.need
    n = residents.stance.size
    chance = coef.project_dispute_rate * relief.topdown / max(n, 1)
    count = 0
    i = gap_to_next(key, step, PROJECT_DISPUTE, 0, chance)
    while i < n:
        rise = uniform(key, step, PROJECT_DISPUTE_SIZE, i) * coef.shock_size
        need[i, HOUSING] = min(need[i, HOUSING] + rise, 1.0)
        count += 1
        i += 1 + gap_to_next(key, step, PROJECT_DISPUTE, count, chance)
    return count


@jit
def relieve_need(
    residents: Residents, relief: Relief, coef: Coefficients, lo: int, hi: int
) -> None:
    """Spend the relief on residents ``lo..hi-1``, then assess their hardship.

    Each domain's need falls by the city's fraction, then by the
    resident's committee's fraction of what is left.
    """
    need = residents.need
    devolved = coef.self_management > 0.0
    for k in range(lo, hi):
        i = unsigned(k)
        for d in range(need.shape[1]):
            need[i, d] = need[i, d] * (1.0 - relief.city[d])
        if devolved:
            district = residents.district[i]
            for d in range(need.shape[1]):
                need[i, d] = need[i, d] * (1.0 - relief.districts[district, d])
    assess_hardship(residents, lo, hi)


@jit
def assess_hardship(residents: Residents, lo: int, hi: int) -> None:
    """Hardship of residents ``lo..hi-1``: need weighted by how much each domain matters."""
    for k in range(lo, hi):
        i = unsigned(k)
        residents.hardship[i] = weighted_need(residents.need, residents.need_weight, i)


@inline_jit
def weighted_need(need: FloatArray, need_weight: FloatArray, i: int) -> float:
    """``sum_d need_weight[i, d] * need[i, d]``: the single formula of hardship."""
    total = 0.0
    for d in range(need.shape[1]):
        total += need_weight[i, d] * need[i, d]
    return total


@jit
def form_expectations(
    residents: Residents, relief: Relief, coef: Coefficients, lo: int, hi: int
) -> None:
    """What residents ``lo..hi-1`` expect their hardship to be, after this step's announcements.

    Announced relief, however it was decided, promises every resident a
    fall in hardship of ``spending_visibility x relief per resident`` (a
    participant, who knows the constraints, discounts a share
    ``participant_understanding`` of it); the expectation moves toward
    actual hardship less the promise at rate ``expectation_adaptation``.
    Hardship above it is relative deprivation (Davies 1962; Gurr 1970),
    which feeds grievance (:mod:`~model.submodels.grievance`).
    """
    r = residents
    n = r.stance.size
    promise = coef.spending_visibility * relief.spent / max(n, 1)
    rate = coef.expectation_adaptation
    for k in range(lo, hi):
        i = unsigned(k)
        promised = (
            promise * (1.0 - coef.participant_understanding) if r.participates[i] else promise
        )
        target = max(r.hardship[i] - promised, 0.0)
        r.aspiration[i] += rate * (target - r.aspiration[i])
