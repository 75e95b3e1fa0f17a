"""Process 4, ``decide_stance``: Epstein's rule, on the social network.

The one implementation of Epstein's (2002) estimated arrest probability and
activation rule; the main model and the reference mode (:mod:`model.epstein`)
both call these functions (ODD.md, Submodels: decide_stance). Each formula is
written once, as a compiled scalar function (:func:`activates`,
:func:`arrest_probability_one`, :func:`rounded_ratio_one`) that compiled
loops call directly; the array functions loop over it.
"""

from __future__ import annotations

import math

import numpy as np

from model.jit import jit, parallel_jit, prange
from model.population import DETAINED, PETITIONING, PROTESTING, QUIET
from model.types import BoolArray, FloatArray, IntArray, per_resident

#: Integer codes of the arrest rules, for compiled callers of the scalar functions.
ARREST_RULE_CODES: dict[str, int] = {"literal": 0, "floor": 1, "round": 2}


def arrest_rule_code(rule: str) -> int:
    """The integer code of an arrest rule name, or a ``ValueError``."""
    if rule not in ARREST_RULE_CODES:
        raise ValueError(f"unknown arrest rule {rule!r}; use literal, floor or round")
    return ARREST_RULE_CODES[rule]


@jit
def rounded_ratio_one(control: float, actives: float, rule_code: int) -> float:
    """The ratio C/A under one arrest rule, for one resident: the single formula.

    Codes as in :data:`ARREST_RULE_CODES`: 0 ``literal``, 1 ``floor``, 2 ``round``
    (half to even, as Python's ``round`` in Mesa's example).
    """
    ratio = control / actives
    if rule_code == 1:
        return float(np.floor(ratio))
    if rule_code == 2:
        return float(np.rint(ratio))
    return ratio


@jit
def arrest_probability_one(control: float, actives: float, k: float, rule_code: int) -> float:
    """Epstein's ``P = 1 - exp(-k r(C/A))`` for one resident: the single formula.

    The array :func:`arrest_probability` and the reference mode's sequential
    kernel (:mod:`model.epstein`) both call it.
    """
    return -math.expm1(-k * rounded_ratio_one(control, actives, rule_code))


def rounded_ratio(control: FloatArray, actives: FloatArray, rule: str) -> FloatArray:
    """The ratio C/A under one of the three arrest rules.

    Why a switch: the paper prints ``1 - exp(-k (C/A))`` (``literal``);
    NetLogo's Rebellion truncates the ratio (``floor``), so fear collapses
    once protesters outnumber the control in view; Mesa's example rounds it
    half to even (``round``, as Python's ``round``). The three produce
    qualitatively different dynamics (ODD.md, Design concepts).

    Args:
        control: Control presence each resident sees (Epstein's C).
        actives: Protesters each resident sees, counting itself (A >= 1).
        rule: ``literal``, ``floor`` or ``round``.

    Returns:
        The ratio after the rule, one value per resident.
    """
    code = arrest_rule_code(rule)
    c, a = _broadcast_float(control, actives)
    return _rounded_ratio_all(c.ravel(), a.ravel(), code).reshape(c.shape)[()]


def arrest_probability(control: FloatArray, actives: FloatArray, k: float, rule: str) -> FloatArray:
    """Epstein's estimated arrest probability ``P = 1 - exp(-k r(C/A))``.

    Args:
        control: Control presence each resident sees (C).
        actives: Protesters each resident sees, itself included (A >= 1).
        k: Epstein's constant (2.3 makes P = 0.9 at C = A = 1).
        rule: The rounding of C/A, see :func:`rounded_ratio`.

    Returns:
        P in [0, 1], one value per resident.
    """
    code = arrest_rule_code(rule)
    c, a = _broadcast_float(control, actives)
    return _arrest_probability_all(c.ravel(), a.ravel(), float(k), code).reshape(c.shape)[()]


def _broadcast_float(control: FloatArray, actives: FloatArray) -> tuple[FloatArray, FloatArray]:
    c, a = np.broadcast_arrays(
        np.asarray(control, dtype=np.float64), np.asarray(actives, dtype=np.float64)
    )
    # ravel() copies broadcast views; the shape is kept for the result.
    return c, a


@jit
def _rounded_ratio_all(control: FloatArray, actives: FloatArray, rule_code: int) -> FloatArray:
    out = np.empty(control.size, dtype=np.float64)
    for i in range(control.size):
        out[i] = rounded_ratio_one(control[i], actives[i], rule_code)
    return out


@parallel_jit
def _arrest_probability_all(
    control: FloatArray, actives: FloatArray, k: float, rule_code: int
) -> FloatArray:
    out = np.empty(control.size, dtype=np.float64)
    for i in prange(control.size):
        out[i] = arrest_probability_one(control[i], actives[i], k, rule_code)
    return out


def wants_to_protest(
    grievance: FloatArray,
    risk_aversion: FloatArray,
    arrest_prob: FloatArray,
    threshold: FloatArray | float,
) -> BoolArray:
    """Epstein's activation rule: protest when ``G - R P > T``.

    Args:
        grievance: G, per resident.
        risk_aversion: R, per resident.
        arrest_prob: P, per resident.
        threshold: T, possibly lowered per resident by contagion.

    Returns:
        True where the resident protests.
    """
    g, r, p, t = np.broadcast_arrays(
        np.asarray(grievance, dtype=np.float64),
        np.asarray(risk_aversion, dtype=np.float64),
        np.asarray(arrest_prob, dtype=np.float64),
        np.asarray(threshold, dtype=np.float64),
    )
    return _activate_all(g.ravel(), r.ravel(), p.ravel(), t.ravel()).reshape(g.shape)


@jit
def activates(grievance: float, risk_aversion: float, arrest_prob: float, threshold: float) -> bool:
    """The activation rule for one agent: the single implementation of ``G - R P > T``."""
    return grievance - risk_aversion * arrest_prob > threshold


@jit
def _activate_all(
    grievance: FloatArray, risk_aversion: FloatArray, arrest_prob: FloatArray, threshold: FloatArray
) -> BoolArray:
    out = np.empty(grievance.size, dtype=np.bool_)
    for i in range(grievance.size):
        out[i] = activates(grievance[i], risk_aversion[i], arrest_prob[i], threshold[i])
    return out


def decide_stance(
    stance: IntArray,
    grievance: FloatArray,
    legitimacy: FloatArray,
    risk_aversion: FloatArray,
    arrest_prob: FloatArray,
    protesting_share_of_neighbours: FloatArray,
    rebuffed_left: IntArray,
    petition_risk: FloatArray | float = 0.0,
    deterred: BoolArray | bool = False,
    *,
    protest_threshold: float,
    contagion: float,
    petition_threshold: float,
    petition_trust: float,
) -> IntArray:
    """Quiet, petition or protest, for every resident who is not detained.

    Protest follows Epstein's rule with the threshold lowered by threshold
    contagion (Granovetter 1978): ``G - R P > T - contagion x share of
    neighbours protesting``. Otherwise a resident petitions when its
    grievance net of the risk of petitioning is above the threshold,
    ``G - R x petition_risk > petition_threshold``, and it still trusts the
    channel: trust of at least ``petition_trust`` and no recent rebuff (the
    article: petitioning is an expression of trust). Otherwise it stays
    quiet, holding its grievance in silence: the same weighing of grievance
    against risk as Epstein's rule, applied to the ordinary channel, is what
    lets obstruction of appeals turn voiced grievance into hidden grievance.

    Args:
        stance: Current stances; detained residents keep theirs.
        grievance: G per resident.
        legitimacy: L per resident.
        risk_aversion: R per resident.
        arrest_prob: P per resident, from :func:`arrest_probability`.
        protesting_share_of_neighbours: Share of a resident's neighbours
            protesting in the previous step.
        rebuffed_left: Steps until a rebuffed resident petitions again.
        petition_risk: Chance, as residents judge it, that a petition ends
            in detention: the cadres' readiness to intercept and repress.
        deterred: Residents a recent stability visit deters from protest.
        protest_threshold: Epstein's T.
        contagion: Fall in T when every neighbour protests.
        petition_threshold: Least grievance that leads to a petition.
        petition_trust: Least trust that leads to a petition.

    Returns:
        A new stance array (the input is not changed).
    """
    deterred_now = per_resident(deterred, stance.size, np.bool_)
    risk = per_resident(petition_risk, stance.size)
    return _decide(
        stance,
        grievance,
        legitimacy,
        risk_aversion,
        arrest_prob,
        protesting_share_of_neighbours,
        rebuffed_left,
        risk,
        deterred_now,
        protest_threshold,
        contagion,
        petition_threshold,
        petition_trust,
    )


@jit
def stance_of(
    stance: int,
    grievance: float,
    legitimacy: float,
    risk_aversion: float,
    arrest_prob: float,
    share: float,
    rebuffed_left: int,
    petition_risk: float,
    deterred: bool,
    protest_threshold: float,
    contagion: float,
    petition_threshold: float,
    petition_trust: float,
) -> int:
    """One resident's stance this step: the single implementation of the rule."""
    if stance == DETAINED:
        return DETAINED
    if not deterred and activates(
        grievance, risk_aversion, arrest_prob, protest_threshold - contagion * share
    ):
        return PROTESTING
    if (
        activates(grievance, risk_aversion, petition_risk, petition_threshold)
        and legitimacy >= petition_trust
        and rebuffed_left <= 0
    ):
        return PETITIONING
    return QUIET


@jit
def _decide(
    stance: IntArray,
    grievance: FloatArray,
    legitimacy: FloatArray,
    risk_aversion: FloatArray,
    arrest_prob: FloatArray,
    share: FloatArray,
    rebuffed_left: IntArray,
    petition_risk: FloatArray,
    deterred: BoolArray,
    protest_threshold: float,
    contagion: float,
    petition_threshold: float,
    petition_trust: float,
) -> IntArray:
    new = np.empty_like(stance)
    for i in range(stance.size):
        new[i] = stance_of(
            stance[i],
            grievance[i],
            legitimacy[i],
            risk_aversion[i],
            arrest_prob[i],
            share[i],
            rebuffed_left[i],
            petition_risk[i],
            deterred[i],
            protest_threshold,
            contagion,
            petition_threshold,
            petition_trust,
        )
    return new


