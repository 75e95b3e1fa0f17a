"""Process 9, ``update_legitimacy``: experience plus social influence.

``L <- clip(L + s (mean neighbour L - L) + r (disposition - L) + experience
- gap (H - H_ref)+)``, with one addition to Epstein's fixed L: the pull
``r`` back toward each resident's initial disposition, so that old injuries
and favours fade; without it trust can only drift, never settle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from model.jit import inline_jit, jit, unsigned

if TYPE_CHECKING:
    from model.neighbourhood import Network
    from model.params import Coefficients
    from model.population import Residents


@jit
def update_legitimacy(
    residents: Residents, network: Network, coef: Coefficients, lo: int, hi: int
) -> None:
    """This step's trust of residents ``lo..hi-1``, into ``next_legitimacy``.

    Trust moves toward the neighbours' mean trust of the step before (so
    the result goes to ``next_legitimacy``, which :func:`adopt_legitimacy`
    makes current once every resident has been updated), toward the
    resident's disposition, by this step's experiences, and down by
    hardship above what residents accept (:func:`legitimacy_after`). The
    experience is consumed.
    """
    r = residents
    indptr, indices = network.indptr, network.indices
    # Two passes: the neighbours' mean trust first (parked in
    # ``next_legitimacy``), then the rule. Why: the sum over a resident's
    # neighbours is a chain of additions that waits on scattered reads; alone
    # in its loop, one resident's chain overlaps the next one's, which the
    # rule's arithmetic and stores in between prevented (a fifth faster).
    for k in range(lo, hi):
        i = unsigned(k)
        start, end = indptr[i], indptr[unsigned(k + 1)]
        neighbour_mean = r.legitimacy[i]
        if end > start:
            total = 0.0
            for slot in range(start, end):
                total += r.legitimacy[unsigned(indices[slot])]
            neighbour_mean = total / (end - start)
        r.next_legitimacy[i] = neighbour_mean
    for k in range(lo, hi):
        i = unsigned(k)
        r.next_legitimacy[i] = legitimacy_after(
            r.legitimacy[i],
            r.next_legitimacy[i],
            r.disposition[i],
            r.experience[i],
            r.hardship[i],
            coef.social_influence,
            coef.legitimacy_recovery,
            coef.performance_gap_rate,
            coef.hardship_reference,
        )
        r.experience[i] = 0.0


@jit
def adopt_legitimacy(residents: Residents, lo: int, hi: int) -> None:
    """Residents ``lo..hi-1`` take the trust :func:`update_legitimacy` computed."""
    for k in range(lo, hi):
        i = unsigned(k)
        residents.legitimacy[i] = residents.next_legitimacy[i]


@inline_jit
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
