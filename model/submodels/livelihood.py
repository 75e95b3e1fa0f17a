"""Processes 1-2, ``livelihood_shocks`` and ``livelihood_relief`` (Error 5).

Needs in the article's five domains rise with random shocks. Each step a
livelihood budget is split across domains by a mix of top-down planning and
participation, then spent on residents in proportion to their need.

Why the split matters (the article's Error Five): the planner sees the mean
need in each domain through a biased lens (a per-run log-normal error) and
does not know which domains residents weigh most; participating residents
voice the need that matters to them. A large budget spent top-down
therefore lowers hardship less than the same budget spent where residents
say it is needed. Nothing here rewards participation directly: the gain can
only come from where the money goes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.draws import SHOCK, SHOCK_DOMAIN, run_key, uniform
from model.jit import inline_jit, jit, parallel_jit, prange
from model.types import BoolArray, FloatArray


def livelihood_shocks(
    need: FloatArray, *, shock_rate: float, shock_size: float, rng: np.random.Generator
) -> FloatArray:
    """Random shocks raise needs (job loss, illness, eviction...).

    Each (resident, domain) is shocked with probability ``shock_rate`` a
    step, by ``U(0, shock_size)``, capped at 1 (see :func:`shock_resident`).

    Args:
        need: (n, domains) unmet need.
        shock_rate: Chance of a shock per resident and domain per step.
        shock_size: Largest rise in need from one shock.
        rng: The run's random generator.

    Returns:
        New need array (the input is not changed).
    """
    updated = need.copy()
    _apply_shocks(updated, run_key(rng), shock_rate, shock_size)
    return updated


@jit
def _apply_shocks(need: FloatArray, key: np.uint64, shock_rate: float, shock_size: float) -> None:
    chances = shock_chances(shock_rate, need.shape[1])
    for i in range(need.shape[0]):
        shock_resident(need, i, key, 0, shock_rate, shock_size, chances)


@jit
def shock_chances(shock_rate: float, domains: int) -> FloatArray:
    """The chances :func:`shock_resident` uses, computed once per step.

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
def shock_resident(
    need: FloatArray,
    i: int,
    key: np.uint64,
    step: int,
    shock_rate: float,
    shock_size: float,
    chances: FloatArray,
) -> None:
    """This step's shocks to resident ``i``'s needs (row i, in place): the single rule.

    Each domain is shocked with probability ``shock_rate``, independently,
    by ``U(0, shock_size)``. Shocks are rare, so one draw first decides
    whether any domain is shocked (``chances[0]``, see
    :func:`shock_chances`); only then are the domains visited, each with its
    chance given that at least one of the domains left is shocked and none
    before it was, until one is; the rest are then unconditional. This is
    exactly the independent per-domain law, at one draw per resident in the
    common case. Given that a draw ``v`` fell below its chance ``c``,
    ``v / c`` is uniform: it sets the size.
    """
    domains = need.shape[1]
    if chances[0] <= 0.0 or uniform(key, step, SHOCK, i) >= chances[0]:
        return
    shocked = False
    for d in range(domains):
        chance = shock_rate if shocked else chances[domains - d]
        draw = uniform(key, step, SHOCK_DOMAIN + d, i)
        if draw < chance:
            need[i, d] = min(need[i, d] + draw / chance * shock_size, 1.0)
            shocked = True


def planner_lens(domains: int, planner_bias: float, rng: np.random.Generator) -> FloatArray:
    """The planner's per-run multiplicative error on each domain's need."""
    return np.exp(rng.normal(0.0, planner_bias, size=domains))


@dataclass(frozen=True)
class Relief:
    """The outcome of one step of livelihood spending.

    Attributes:
        need: Need after relief.
        allocation: Share of the budget given to each domain.
        spent: Budget actually spent (never above the budget).
        mismatch: Total-variation distance between the allocation and the
            domains' true shares of weighted need (0: perfect targeting).
    """

    need: FloatArray
    allocation: FloatArray
    spent: float
    mismatch: float


@jit
def _shares(weights: FloatArray) -> FloatArray:
    total = weights.sum()
    if total <= 0.0:
        return np.full(weights.size, 1.0 / weights.size)
    return weights / total


def livelihood_relief(
    need: FloatArray,
    need_weight: FloatArray,
    participating: BoolArray,
    *,
    budget: float,
    participation: float,
    lens: FloatArray,
) -> Relief:
    """Split the budget across domains and spend it against need.

    ``a_d = (1 - participation) topdown_d + participation voiced_d`` where
    ``topdown_d`` is the planner's view of mean need (true mean need times
    ``lens``) and ``voiced_d`` is the need participating residents report,
    weighted by how much each domain matters to them (MODEL.md section 4).
    Within a domain, relief goes to residents in proportion to their need
    and never exceeds it, so spending can fall short of the budget but never
    exceed it.

    Args:
        need: (n, domains) unmet need.
        need_weight: (n, domains) importance of each domain to each resident.
        participating: Residents who take part in livelihood decisions now.
        budget: Relief available this step, in units of need.
        participation: Weight of the residents' voice in the allocation.
        lens: The planner's multiplicative error per domain.

    Returns:
        A :class:`Relief`.
    """
    weighted, level, voiced_total = _domain_sums(need, need_weight, participating)
    fraction, allocation, spent, mismatch = allocate(
        weighted, level, voiced_total, float(budget), float(participation), lens
    )
    return Relief(
        need=_relieve(need, fraction), allocation=allocation, spent=spent, mismatch=mismatch
    )


@jit
def allocate(
    weighted: FloatArray,
    level: FloatArray,
    voiced_total: FloatArray,
    budget: float,
    participation: float,
    lens: FloatArray,
) -> tuple[FloatArray, FloatArray, float, float]:
    """Split the budget across domains, from the city's totals per domain.

    Compiled although it works on five numbers: it runs every step, where a
    dozen small numpy calls would cost more than a pass over 2,000 residents.

    Args:
        weighted: Total weighted need per domain (where need truly is).
        level: Total need per domain (what relief can meet).
        voiced_total: Weighted need voiced by participating residents.
        budget: Relief available this step.
        participation: Weight of the residents' voice.
        lens: The planner's multiplicative error per domain.

    Returns:
        (relieved fraction of need per domain, allocation shares, spent,
        mismatch); see :class:`Relief`.
    """
    true_shares = _shares(weighted)
    topdown = _shares(level * lens)
    speaking = participation > 0.0 and voiced_total.sum() > 0.0
    voiced = _shares(voiced_total) if speaking else topdown
    allocation = (1.0 - participation) * topdown + participation * voiced
    # Each resident gets the domain's budget in proportion to its need there,
    # capped at the need itself: the fraction of need relieved is the same
    # for everyone in a domain.
    fraction = np.zeros(level.size)
    spent, mismatch = 0.0, 0.0
    for d in range(level.size):
        domain_budget = budget * allocation[d]
        if level[d] > 0.0:
            fraction[d] = min(domain_budget / level[d], 1.0)
        spent += min(domain_budget, level[d])
        mismatch += 0.5 * abs(allocation[d] - true_shares[d])
    return fraction, allocation, spent, mismatch


@jit
def _domain_sums(
    need: FloatArray, need_weight: FloatArray, participating: BoolArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per domain: total weighted need, total need, weighted need voiced."""
    domains = need.shape[1]
    weighted = np.zeros(domains)
    level = np.zeros(domains)
    voiced = np.zeros(domains)
    for i in range(need.shape[0]):
        for d in range(domains):
            w = need_weight[i, d] * need[i, d]
            weighted[d] += w
            level[d] += need[i, d]
            if participating[i]:
                voiced[d] += w
    return weighted, level, voiced


@parallel_jit
def _relieve(need: FloatArray, fraction: FloatArray) -> FloatArray:
    updated = np.empty_like(need)
    for i in prange(need.shape[0]):
        for d in range(need.shape[1]):
            updated[i, d] = need[i, d] * (1.0 - fraction[d])
    return updated
