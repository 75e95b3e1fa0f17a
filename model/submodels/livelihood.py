"""Processes 1-2, ``livelihood_shocks`` and ``livelihood_relief`` (Error 5).

Needs in the article's five domains rise with random shocks. Each step a
livelihood budget is split across domains by a mix of top-down planning and
participation, then spent on residents in proportion to their need.

Why the split matters (the article's Error Five): the planner sees the mean
need in each domain through a biased lens (a per-run log-normal error) and
does not know which domains residents weigh most; participating residents
voice the need that matters to them. A large budget spent top-down
therefore lowers hardship less than the same budget spent where residents
say it is needed. The only direct reward of participation is the trust
participants gain from being heard (``trust_participation``, procedural
justice; :func:`choose_participants`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from model.draws import PARTICIPATE, SHOCK, SHOCK_DOMAIN, uniform
from model.jit import inline_jit, jit, unsigned
from model.types import FloatArray

if TYPE_CHECKING:
    from model.params import Coefficients
    from model.population import Residents


class Planner(NamedTuple):
    """What the livelihood planner works with, fixed for a run.

    Attributes:
        lens: The planner's multiplicative error on each domain's need.
        relief_budget: Relief available each step, in units of need: the
            livelihood budget less what the grid costs.
    """

    lens: FloatArray
    relief_budget: float


def planner_lens(domains: int, planner_bias: float, rng: np.random.Generator) -> FloatArray:
    """The planner's per-run multiplicative error on each domain's need."""
    return np.exp(rng.normal(0.0, planner_bias, size=domains))


@jit
def livelihood_shocks(
    residents: Residents, coef: Coefficients, key: np.uint64, step: int, lo: int, hi: int
) -> None:
    """Random shocks raise the needs of residents ``lo..hi-1`` (job loss, illness, eviction...).

    Each (resident, domain) is shocked with probability ``shock_rate`` a
    step, independently, by ``U(0, shock_size)``, capped at 1. Shocks are
    rare, so one draw first decides whether any domain is shocked
    (:func:`shock_chances`); only then are the domains visited, each with
    its chance given that at least one of the domains left is shocked and
    none before it was, until one is; the rest are then unconditional. This
    is exactly the independent per-domain law, at one draw per resident in
    the common case. Given that a draw ``v`` fell below its chance ``c``,
    ``v / c`` is uniform: it sets the size.
    """
    need = residents.need
    domains = need.shape[1]
    rate, size = coef.shock_rate, coef.shock_size
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


@jit
def choose_participants(
    residents: Residents, coef: Coefficients, key: np.uint64, step: int, lo: int, hi: int
) -> None:
    """Which of residents ``lo..hi-1`` take part in this step's livelihood decisions.

    Each resident takes part with probability ``participation``, drawn
    afresh every step; a participant gains ``trust_participation`` in trust
    (procedural justice: being heard raises legitimacy whatever the
    outcome, Tyler 2006).
    """
    participation = coef.participation
    for k in range(lo, hi):
        i = unsigned(k)
        speaks = participation > 0.0 and uniform(key, step, PARTICIPATE, i) < participation
        residents.participates[i] = speaks
        if speaks:
            residents.experience[i] += coef.trust_participation


@jit
def need_by_domain(residents: Residents, lo: int, hi: int, sums: FloatArray) -> None:
    """Add residents ``lo..hi-1``'s need to the city's sums per domain.

    ``sums`` is (3, domains): weighted need (where need truly is), need
    (what the planner sees and relief can meet) and weighted need voiced
    by participants. Domain by domain, so that each sum stays in a
    register; adding an exact zero rather than branching keeps the sum's
    rounding and shortens its dependency chain.
    """
    need, need_weight, speaks = residents.need, residents.need_weight, residents.participates
    for d in range(need.shape[1]):
        weighted, level, voiced = sums[0, d], sums[1, d], sums[2, d]
        for k in range(lo, hi):
            i = unsigned(k)
            value = need[i, d]
            w = need_weight[i, d] * value
            weighted += w
            level += value
            voiced += w if speaks[i] else 0.0
        sums[0, d], sums[1, d], sums[2, d] = weighted, level, voiced


@jit
def allocate(
    sums: FloatArray, relief_budget: float, participation: float, lens: FloatArray
) -> tuple[FloatArray, float, float]:
    """Split the budget across domains, from the city's sums per domain.

    ``a_d = (1 - participation) topdown_d + participation voiced_d`` where
    ``topdown_d`` is the planner's view of mean need (true mean need times
    ``lens``) and ``voiced_d`` is the need participating residents report,
    weighted by how much each domain matters to them. Each resident gets
    the domain's budget in proportion to its need there, capped at the need
    itself, so the fraction of need relieved is the same for everyone in a
    domain, and spending can fall short of the budget but never exceed it.

    Args:
        sums: The (3, domains) sums of :func:`need_by_domain`.
        relief_budget: Relief available this step.
        participation: Weight of the residents' voice.
        lens: The planner's multiplicative error per domain.

    Returns:
        (relieved fraction of need per domain, spent, mismatch): mismatch is
        the total-variation distance between the allocation and the
        domains' true shares of weighted need (0: perfect targeting).
    """
    weighted, level, voiced_total = sums[0], sums[1], sums[2]
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


@jit
def relieve_need(residents: Residents, fraction: FloatArray, lo: int, hi: int) -> None:
    """Spend the allocation: each domain's need falls by its ``fraction``, then hardship.

    Residents ``lo..hi-1``; ``fraction`` comes from :func:`allocate`.
    """
    need = residents.need
    for k in range(lo, hi):
        i = unsigned(k)
        for d in range(need.shape[1]):
            need[i, d] = need[i, d] * (1.0 - fraction[d])
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
