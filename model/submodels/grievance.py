"""Process 3, ``update_grievance``: grievance as a stock (MODEL.md section 4).

Epstein (2002) makes grievance instantaneous, ``G = H (1 - L)``. Here it is a
stock that builds up from hardship and distrust and from the injustices of
the previous step, and decays slowly: this is what lets suppression hide
grievance that later erupts (patterns P1 and P3). The Epstein form stays
available as ``grievance_mode = "epstein"`` for the reference checks.
"""

from __future__ import annotations

import numpy as np

from model.jit import jit
from model.types import FloatArray, per_resident


def update_grievance(
    grievance: FloatArray,
    hardship: FloatArray,
    legitimacy: FloatArray,
    injustice: FloatArray,
    decay: FloatArray | float,
    inflow_rate: float,
) -> FloatArray:
    """One step of the grievance stock.

    ``G <- G (1 - decay) + (1 - G) min(1, inflow_rate H (1 - L) + injustice)``:
    the inflow fills the room left below 1, so grievance stays in [0, 1]
    and saturates rather than explodes.

    Args:
        grievance: Current grievance per resident.
        hardship: Weighted unmet need per resident.
        legitimacy: Trust per resident.
        injustice: Injustice suffered last step per resident.
        decay: Share of grievance that fades (per resident or one value);
            larger for members of a working organization.
        inflow_rate: Rate at which hardship and distrust become grievance.

    Returns:
        New grievance per resident.
    """
    decays = per_resident(decay, grievance.size)
    return _update(grievance, hardship, legitimacy, injustice, decays, inflow_rate)


@jit
def grievance_after(
    grievance: float,
    hardship: float,
    legitimacy: float,
    injustice: float,
    decay: float,
    inflow_rate: float,
) -> float:
    """The grievance stock of one resident after one step: the single formula."""
    inflow = min(inflow_rate * hardship * (1.0 - legitimacy) + injustice, 1.0)
    g = grievance * (1.0 - decay) + (1.0 - grievance) * inflow
    return min(max(g, 0.0), 1.0)


@jit
def _update(
    grievance: FloatArray,
    hardship: FloatArray,
    legitimacy: FloatArray,
    injustice: FloatArray,
    decay: FloatArray,
    inflow_rate: float,
) -> FloatArray:
    updated = np.empty_like(grievance)
    for i in range(grievance.size):
        updated[i] = grievance_after(
            grievance[i], hardship[i], legitimacy[i], injustice[i], decay[i], inflow_rate
        )
    return updated


def epstein_grievance(hardship: FloatArray, legitimacy: FloatArray) -> FloatArray:
    """Epstein's instantaneous grievance ``G = H (1 - L)``."""
    return np.asarray(hardship * (1.0 - legitimacy))
