"""Serving requests within a limited capacity per group (district, city office).

Petitions, interceptions, arrests, dialogue and prevention all face the
same constraint: cadres of a district can handle only so many residents a
step. This is the one implementation of that rule; processes call it with
their own capacities and draw streams.
"""

from __future__ import annotations

import math

import numpy as np

from model.draws import uniform
from model.jit import jit
from model.types import BoolArray, FloatArray, IntArray


@jit
def served_within_capacity(
    group: IntArray,
    capacity: FloatArray,
    priority: FloatArray,
    key: np.uint64,
    step: int,
    stream: int,
) -> BoolArray:
    """Which requests are served when each group can serve only so many.

    Requests in a group are served in order of ``priority`` (a random draw,
    so who is served is random), up to the group's capacity this step: its
    whole part, plus one more with a probability equal to its fractional
    part (one draw per group from ``stream``). A district whose cadres can
    answer 0.4 petitions a week answers one in 40 % of weeks, not none, so
    capacity per resident is the same in small cities as in large ones.

    Args:
        group: Group of each request (index into ``capacity``).
        capacity: Requests each group can serve this step, in expectation.
        priority: One uniform draw per request; lower is served first.
        key: The run's key.
        step: The step.
        stream: The draw stream of this kind of request.

    Returns:
        True for each request that is served.
    """
    served = np.zeros(group.size, dtype=np.bool_)
    if group.size == 0:
        return served
    used = np.zeros(capacity.size)
    limit = np.empty(capacity.size)
    for g in range(capacity.size):
        whole = math.floor(capacity[g])
        limit[g] = whole + (1.0 if uniform(key, step, stream, g) < capacity[g] - whole else 0.0)
    for i in np.argsort(priority):
        g = group[i]
        if used[g] < limit[g]:
            served[i] = True
            used[g] += 1.0
    return served
