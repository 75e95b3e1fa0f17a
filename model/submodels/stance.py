"""Process 4, ``decide_stance``: Epstein's rule, on the social network.

The one implementation of Epstein's (2002) estimated arrest probability and
activation rule: the main model's :func:`decide_stance` and the reference
mode (:mod:`model.epstein`) both call :func:`activates` and
:func:`arrest_probability_one`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from model.jit import inline_jit, jit, unsigned
from model.params import ARREST_RULES
from model.population import DETAINED, NO_ORGANIZATION, PETITIONING, PROTESTING, QUIET

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
    r = residents
    indptr = network.indptr
    rule = coef.arrest_rule
    threshold, contagion, k_arrest = coef.protest_threshold, coef.contagion, coef.arrest_k
    collective = coef.collective_responsibility
    for k in range(lo, hi):
        i = unsigned(k)
        degree = indptr[unsigned(k + 1)] - indptr[i]
        share = r.protesting_neighbours[i] / max(degree, 1)
        risk_aversion = r.risk_aversion[i]
        o = r.org[i]
        if o != NO_ORGANIZATION:
            share = max(share, organizations.protest_share[o])
            risk_aversion *= 1.0 - coef.org_mobilization
        claims = coef.claims_weight * (r.voice_expectation[i] - coef.initial_voice_expectation)
        if collective and r.cell[i] >= 0:
            claims -= coef.collective_deterrence
        district = r.district[i]
        # Epstein's rule cannot fire when grievance is below the lowered
        # threshold, whatever the risk; the arrest probability (an
        # exponential) is computed only for those it can concern.
        arrest_prob = 1.0
        if r.grievance[i] > threshold - contagion * share - claims:
            arrest_prob = arrest_probability_one(
                districts.control_in_view[district],
                r.protesting_neighbours[i] + 1.0,
                k_arrest,
                rule,
            )
        r.stance[i] = stance_of(
            r.stance[i],
            r.grievance[i],
            r.legitimacy[i],
            risk_aversion,
            arrest_prob,
            share,
            claims,
            r.rebuffed_left[i],
            districts.petition_risk[district],
            r.deterred_left[i] > 0,
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
def learn_from_claims(
    residents: Residents, network: Network, coef: Coefficients, lo: int, hi: int
) -> None:
    """Residents ``lo..hi-1`` learn from this step's claims whether voice pays.

    Of the claims a resident saw this step, its own and its neighbours'
    (petitions and protests, ``voice_outcome``), the share answered pulls
    its expectation at rate ``claims_learning``; a resident who saw none
    keeps what it expected. Reads the neighbours' outcomes of this step,
    which the responses wrote before this phase.
    """
    r = residents
    indptr, indices = network.indptr, network.indices
    rate = coef.claims_learning
    if rate <= 0.0:
        return
    for k in range(lo, hi):
        i = unsigned(k)
        seen = answered = 0.0
        if r.voice_outcome[i] > 0:
            seen += 1.0
            answered += 1.0 if r.voice_outcome[i] == ANSWERED else 0.0
        for slot in range(indptr[i], indptr[unsigned(k + 1)]):
            outcome = r.voice_outcome[unsigned(indices[slot])]
            if outcome > 0:
                seen += 1.0
                answered += 1.0 if outcome == ANSWERED else 0.0
        if seen > 0.0:
            r.voice_expectation[i] += rate * (answered / seen - r.voice_expectation[i])


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
