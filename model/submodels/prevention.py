"""Process 6b, ``prevent_at_source``: resolving quiet grievances before they erupt (Error 4).

The article's remedy for stressing stability over rights is to control
problems at their source rather than assert control after an incident. With
``prevention`` > 0, that share of the cadres' control effort goes to
finding quiet residents whose grievance has passed ``prevention_watch_level``
and resolving their weightiest need, at the budget's expense; the rest of
the control effort still intercepts and arrests (and deters:
:class:`~model.cadres.Districts`). Prevention is not free: it draws on the
same budget as relief and concessions, it finds only as many residents as
the effort allows, and the control it diverts no longer deters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.draws import PREVENTION_LIMIT, PREVENTION_QUEUE, uniform
from model.jit import jit
from model.population import QUIET
from model.submodels.capacity import served_within_capacity
from model.submodels.livelihood import resolve_weightiest

if TYPE_CHECKING:
    from model.cadres import Districts
    from model.params import Coefficients
    from model.population import Residents
    from model.submodels.livelihood import Treasury


@jit
def prevent_at_source(
    residents: Residents,
    districts: Districts,
    treasury: Treasury,
    coef: Coefficients,
    key: np.uint64,
    step: int,
) -> int:
    """Cadres doing prevention resolve the needs of quiet, aggrieved residents.

    Quiet residents above ``prevention_watch_level`` queue in a random
    order for each district's prevention effort; each reached has its
    weightiest need resolved if the budget can pay
    (:func:`~model.submodels.livelihood.resolve_weightiest`). Serial,
    because effort and budget are shared.

    Returns:
        How many needs were resolved.
    """
    if coef.prevention <= 0.0:
        return 0
    r = residents
    cases = np.flatnonzero((r.stance == QUIET) & (r.grievance > coef.prevention_watch_level))
    queue = np.empty(cases.size)
    for j in range(cases.size):
        queue[j] = uniform(key, step, PREVENTION_QUEUE, cases[j])
    reached = served_within_capacity(
        r.district[cases], districts.prevention_capacity, queue, key, step, PREVENTION_LIMIT
    )
    resolved = 0
    for j in range(cases.size):
        if reached[j] and resolve_weightiest(r, cases[j], treasury, coef):
            resolved += 1
    return resolved
