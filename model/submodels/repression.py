"""Detention and backlash: what coercion does, whichever process applies it.

Petitions (an intercepted petitioner may be detained) and protests (an
arrested protester is) end in the same detention, with the same term and
the same injustice and loss of trust: :func:`detain`. Everyone intercepted
or detained this step is a *victim*, and each victim's network neighbours
react (:func:`backlash`, Lichbach 1987 on repression that backfires).
Detention terms run down at the start of every step
(:func:`serve_detention`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.draws import uniform
from model.jit import jit, unsigned
from model.population import DETAINED, QUIET

if TYPE_CHECKING:
    from model.neighbourhood import Network
    from model.params import Coefficients
    from model.population import Residents


@jit
def serve_detention(residents: Residents, lo: int, hi: int) -> None:
    """A week of detention passes for residents ``lo..hi-1``.

    Those whose term ends go home quiet.
    """
    stance, left = residents.stance, residents.detention_left
    for k in range(lo, hi):
        i = unsigned(k)
        if stance[i] != DETAINED:
            left[i] = 0
        elif left[i] - 1 <= 0:
            stance[i], left[i] = QUIET, 0
        else:
            left[i] -= 1


@jit
def detention_term(key: np.uint64, step: int, stream: int, i: int, max_detention: int) -> int:
    """A detention term, uniform on 1..max_detention steps, from one draw."""
    return min(1 + int(uniform(key, step, stream, i) * max_detention), max_detention)


@jit
def detain(residents: Residents, i: int, term: int, coef: Coefficients) -> None:
    """Resident ``i`` is detained for ``term`` steps: injustice, lost trust, a victim."""
    r = residents
    r.stance[i] = DETAINED
    r.detention_left[i] = term
    r.injustice[i] += coef.injustice_detained
    r.experience[i] -= coef.trust_detained
    r.victim[i] = True


@jit
def backlash(residents: Residents, network: Network, coef: Coefficients) -> None:
    """Every network neighbour of this step's victims feels it; the marks are cleared.

    Each victim a resident knows adds ``injustice_backlash`` to its
    injustice and takes ``trust_backlash`` from its trust. Serial: it
    writes to the victims' neighbours.
    """
    r = residents
    indptr, indices = network.indptr, network.indices
    for v in range(r.victim.size):
        if not r.victim[v]:
            continue
        r.victim[v] = False
        for slot in range(indptr[v], indptr[v + 1]):
            j = indices[slot]
            r.injustice[j] += coef.injustice_backlash
            r.experience[j] -= coef.trust_backlash
