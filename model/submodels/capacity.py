"""Serving requests within a limited capacity per group (district, cell).

Petitions, arrests and dialogue all face the same constraint: cadres of a
district can handle only so many residents a step. This is the one
implementation of that rule; submodels call it with their own capacities.
"""

from __future__ import annotations

import numpy as np

from model.jit import jit
from model.types import BoolArray, FloatArray, IntArray


@jit
def served_within_capacity(
    group: IntArray, capacity: FloatArray, priority: FloatArray
) -> BoolArray:
    """Which requests are served when each group can serve only so many.

    Requests in a group are served in order of ``priority`` (a random draw,
    so who is served is random), up to ``floor(capacity[group])`` of them.

    Args:
        group: Group of each request (index into ``capacity``).
        capacity: Requests each group can serve this step.
        priority: One uniform draw per request; lower is served first.

    Returns:
        True for each request that is served.
    """
    served = np.zeros(group.size, dtype=np.bool_)
    used = np.zeros(capacity.size)
    limit = np.floor(capacity)
    for i in np.argsort(priority):
        g = group[i]
        if used[g] < limit[g]:
            served[i] = True
            used[g] += 1.0
    return served
