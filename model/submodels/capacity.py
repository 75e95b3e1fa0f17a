"""Serving requests within a limited capacity per group (district, cell).

Petitions, arrests and dialogue all face the same constraint: cadres of a
district can handle only so many residents a step. This is the one
implementation of that rule; submodels call it with their own capacities.
"""

from __future__ import annotations

import numpy as np

from model.types import BoolArray, FloatArray, IntArray


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
    if group.size == 0:
        return np.zeros(0, dtype=bool)
    order = np.lexsort((priority, group))
    sorted_group = group[order]
    first_of_group = np.searchsorted(sorted_group, sorted_group, side="left")
    rank = np.arange(group.size) - first_of_group
    served = np.empty(group.size, dtype=bool)
    served[order] = rank < np.floor(capacity[sorted_group])
    return served
