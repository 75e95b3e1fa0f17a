"""Process 9, ``update_legitimacy``: experience plus social influence.

``L <- clip(L + s (mean neighbour L - L) + r (disposition - L) + experience
- gap (H - H_ref)+)`` (MODEL.md section 4, with one addition: the pull ``r``
back toward each resident's initial disposition, so that old injuries and
favours fade; without it trust can only drift, never settle).
"""

from __future__ import annotations

import numpy as np

from model.jit import jit
from model.types import FloatArray


def update_legitimacy(
    legitimacy: FloatArray,
    neighbour_legitimacy: FloatArray,
    disposition: FloatArray,
    experience: FloatArray,
    hardship: FloatArray,
    *,
    social_influence: float,
    legitimacy_recovery: float,
    performance_gap_rate: float,
    hardship_reference: float,
) -> FloatArray:
    """One step of trust in government.

    Args:
        legitimacy: Current trust per resident.
        neighbour_legitimacy: Mean trust of each resident's neighbours.
        disposition: Each resident's initial trust.
        experience: Sum of this step's experiences (answered: up;
            intercepted, detained, intruded upon: down; participation: up).
        hardship: Weighted unmet need per resident.
        social_influence: Pull toward neighbours' trust.
        legitimacy_recovery: Pull toward the disposition.
        performance_gap_rate: Trust lost per unit of excess hardship.
        hardship_reference: Hardship accepted without blame.

    Returns:
        New trust per resident, in [0, 1].
    """
    return _update(
        legitimacy,
        neighbour_legitimacy,
        disposition,
        experience,
        hardship,
        social_influence,
        legitimacy_recovery,
        performance_gap_rate,
        hardship_reference,
    )


@jit
def legitimacy_after(
    legitimacy: float,
    neighbour_legitimacy: float,
    disposition: float,
    experience: float,
    hardship: float,
    social_influence: float,
    legitimacy_recovery: float,
    performance_gap_rate: float,
    hardship_reference: float,
) -> float:
    """One resident's trust after one step: the single formula."""
    value = (
        legitimacy
        + social_influence * (neighbour_legitimacy - legitimacy)
        + legitimacy_recovery * (disposition - legitimacy)
        + experience
        - performance_gap_rate * max(hardship - hardship_reference, 0.0)
    )
    return min(max(value, 0.0), 1.0)


@jit
def _update(
    legitimacy: FloatArray,
    neighbour_legitimacy: FloatArray,
    disposition: FloatArray,
    experience: FloatArray,
    hardship: FloatArray,
    social_influence: float,
    legitimacy_recovery: float,
    performance_gap_rate: float,
    hardship_reference: float,
) -> FloatArray:
    updated = np.empty_like(legitimacy)
    for i in range(legitimacy.size):
        updated[i] = legitimacy_after(
            legitimacy[i],
            neighbour_legitimacy[i],
            disposition[i],
            experience[i],
            hardship[i],
            social_influence,
            legitimacy_recovery,
            performance_gap_rate,
            hardship_reference,
        )
    return updated
