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

from model.jit import jit, parallel_jit, prange
from model.types import BoolArray, FloatArray, IntArray


def livelihood_shocks(
    need: FloatArray, *, shock_rate: float, shock_size: float, rng: np.random.Generator
) -> FloatArray:
    """Random shocks raise needs (job loss, illness, eviction...).

    The number of shocks is Binomial(n x domains, shock_rate); each lands on
    a uniformly chosen (resident, domain) and adds U(0, shock_size), capped
    at 1. Drawing the count first keeps the cost proportional to the shocks,
    not to the population (a million residents x five domains per step).

    Args:
        need: (n, domains) unmet need.
        shock_rate: Expected shocks per resident and domain per step.
        shock_size: Largest rise in need from one shock.
        rng: The run's random generator.

    Returns:
        New need array (the input is not changed).
    """
    count = int(rng.binomial(need.size, shock_rate)) if need.size else 0
    where = rng.integers(0, max(need.size, 1), size=count)
    return _apply_shocks(need, where, rng.random(count) * shock_size)


@jit
def _apply_shocks(need: FloatArray, where: IntArray, amount: FloatArray) -> FloatArray:
    updated = need.copy()
    flat = updated.reshape(-1)
    for k in range(where.size):
        flat[where[k]] = min(flat[where[k]] + amount[k], 1.0)
    return updated


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


def _shares(weights: FloatArray) -> FloatArray:
    total = float(weights.sum())
    if total <= 0.0:
        return np.full(weights.shape[0], 1.0 / weights.shape[0])
    return np.asarray(weights / total)


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
    true_shares = _shares(weighted)
    topdown = _shares(level / max(need.shape[0], 1) * lens)
    speaking = participation > 0.0 and voiced_total.sum() > 0.0
    voiced = _shares(voiced_total) if speaking else topdown
    allocation = (1.0 - participation) * topdown + participation * voiced
    domain_budget = budget * allocation
    # Each resident gets the domain's budget in proportion to its need there,
    # capped at the need itself: the fraction of need relieved is the same
    # for everyone in a domain.
    relieved_fraction = np.minimum(
        np.divide(domain_budget, level, out=np.zeros_like(level), where=level > 0), 1.0
    )
    return Relief(
        need=_relieve(need, relieved_fraction),
        allocation=allocation,
        spent=float(np.minimum(domain_budget, level).sum()),
        mismatch=0.5 * float(np.abs(allocation - true_shares).sum()),
    )


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
