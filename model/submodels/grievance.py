"""Process 3, ``update_grievance``: grievance as a stock.

Epstein (2002) makes grievance instantaneous, ``G = H (1 - L)``. Here it is a
stock that builds up from hardship and distrust and from the injustices of
the previous step, and decays slowly: this is what lets suppression hide
grievance that later erupts (patterns P1 and P3). What flows in is
hardship, and hardship above what the resident was led to expect (relative
deprivation: Davies 1962, Gurr 1970; :func:`~model.submodels.livelihood.form_expectations`),
times distrust, plus the injustices suffered. The Epstein form stays
available as ``grievance_mode = "epstein"`` for the reference checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from model.jit import inline_jit, jit, unsigned
from model.params import choice_code
from model.population import NO_ORGANIZATION
from model.submodels.organizations import NEIGHBOURHOOD

if TYPE_CHECKING:
    from model.params import Coefficients
    from model.population import Residents
    from model.submodels.organizations import Organizations

EPSTEIN = choice_code("grievance_mode", "epstein")


@jit
def update_grievance(
    residents: Residents, organizations: Organizations, coef: Coefficients, lo: int, hi: int
) -> None:
    """One step of the grievance of residents ``lo..hi-1``; last step's injustice is consumed.

    ``G <- G (1 - decay) + (1 - G) min(1, inflow_rate D (1 - L) + injustice)``
    (:func:`grievance_after`) with ``D = H + expectation_weight x max(0, H -
    aspiration)``, and ``decay = grievance_decay + org_decay_bonus x
    alignment`` for members of a neighbourhood organization: neighbours
    settling their own conflicts (an assumed payoff, hypothesis
    ``self_settlement``). In ``epstein`` mode, ``G = H (1 - L)``.
    """
    r = residents
    epstein = coef.grievance_mode == EPSTEIN
    alignment, kind = organizations.alignment, organizations.kind
    for k in range(lo, hi):
        i = unsigned(k)
        if epstein:
            r.grievance[i] = r.hardship[i] * (1.0 - r.legitimacy[i])
        else:
            o = r.org[i]
            settles = o != NO_ORGANIZATION and kind[o] == NEIGHBOURHOOD
            decay = coef.grievance_decay + (coef.org_decay_bonus * alignment[o] if settles else 0.0)
            deprivation = r.hardship[i] + coef.expectation_weight * max(
                r.hardship[i] - r.aspiration[i], 0.0
            )
            r.grievance[i] = grievance_after(
                r.grievance[i],
                deprivation,
                r.legitimacy[i],
                r.injustice[i],
                decay,
                coef.inflow_rate,
            )
        r.injustice[i] = 0.0


@jit
def start_settled(residents: Residents, coef: Coefficients) -> None:
    """Initial grievance: the stock's steady state under the initial hardship and trust.

    A city does not start without grievance. Each resident starts at the
    fixed point of :func:`grievance_after` with no injustice, ``G* = a /
    (grievance_decay + a)``, ``a = min(1, inflow_rate H (1 - L))`` (in
    ``epstein`` mode, ``H (1 - L)``), so that no wave of protest comes from
    grievance catching up with hardship in the first years: what the
    early weeks show is the regime, not the initial state.
    """
    r = residents
    for k in range(r.stance.size):
        i = unsigned(k)
        pressure = r.hardship[i] * (1.0 - r.legitimacy[i])
        if coef.grievance_mode == EPSTEIN:
            r.grievance[i] = pressure
        else:
            inflow = min(1.0, coef.inflow_rate * pressure)
            total = coef.grievance_decay + inflow
            r.grievance[i] = inflow / total if total > 0.0 else 0.0


@inline_jit
def grievance_after(
    grievance: float,
    deprivation: float,
    legitimacy: float,
    injustice: float,
    decay: float,
    inflow_rate: float,
) -> float:
    """The grievance stock of one resident after one step: the single formula.

    The inflow fills the room left below 1, so grievance stays in [0, 1]
    and saturates rather than explodes.
    """
    inflow = min(inflow_rate * deprivation * (1.0 - legitimacy) + injustice, 1.0)
    g = grievance * (1.0 - decay) + (1.0 - grievance) * inflow
    return min(max(g, 0.0), 1.0)
