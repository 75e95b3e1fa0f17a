"""Resident state: one row per resident, held as arrays (ODD.md section 2).

Residents are numerous, so their state is a struct of arrays, not Mesa
agents: the :class:`Residents` record. It is the one home of every resident
state variable; the compiled processes of :mod:`model.submodels` read and
write its arrays by name, in place.
"""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple

import numpy as np

from model.jit import inline_jit
from model.types import BoolArray, FloatArray, IntArray

DOMAINS: tuple[str, ...] = ("employment", "education", "healthcare", "housing", "social_security")
"""The five livelihood domains the article lists (Error Five)."""

NO_ORGANIZATION = -1
"""The value of ``org`` for a resident who belongs to no organization."""


class Stance(IntEnum):
    """What a resident does this step."""

    QUIET = 0
    PETITIONING = 1
    PROTESTING = 2
    DETAINED = 3


QUIET, PETITIONING, PROTESTING, DETAINED = (int(s) for s in Stance)
"""The stances as plain integers, for compiled code (an enum member there
costs a lookup; a module-level integer is a constant)."""


class Residents(NamedTuple):
    """Arrays of resident state; row i is resident i.

    A named tuple, so that compiled code takes the whole record as one
    argument and reads each array by name (numba passes its fields as
    separate arrays, at no cost per access).

    Attributes:
        position: (n, 2) location in the unit-square city.
        district: District served by the resident's cadres.
        cell: Grid-management cell (-1 when there is no grid).
        need: (n, 5) unmet need per livelihood domain, in [0, 1].
        need_weight: (n, 5) how much each domain matters; rows sum to 1.
        hardship: Weighted unmet need after this step's relief,
            ``sum_d need_weight * need``: what grievance and trust respond
            to this step (grid and organization services later in the step
            lower need, which counts from the next relief on).
        legitimacy: Trust in government, in [0, 1] (Epstein's L, dynamic).
        disposition: Initial trust, toward which trust slowly recovers.
        grievance: Accumulated grievance, in [0, 1].
        risk_aversion: Fixed, U(0, 1) (Epstein's R).
        stance: A :class:`Stance` per resident.
        detention_left: Steps of detention left (0 when free).
        rebuffed_left: Steps until a rebuffed resident petitions again.
        deterred_left: Steps a stability visit still deters protest.
        rest_left: Steps a resident who protested rests before it protests
            again (demobilization after an incident).
        org: Organization id, or :data:`NO_ORGANIZATION`.
        petition_level: Where the resident's next petition goes: 0 the
            local (district) office, 1 the province, 2 the centre.
        voice_expectation: The chance of being answered that the resident
            expects of a claim, learned from its own and its neighbours'
            claims ("a big fuss gets a big solution").
        aspiration: The hardship the resident expects to have, pulled down
            by announced spending and toward its actual hardship by
            experience; hardship above it feeds grievance (relative
            deprivation).
        injustice: Injustice suffered this step; feeds next step's grievance,
            which consumes it.
        experience: Change in trust from this step's experiences; the trust
            update consumes it.
        participates: Whether the resident takes part in this step's
            livelihood decisions.
        protesting_neighbours: How many of its neighbours protested last step.
        victim: Intercepted or detained this step (its neighbours react).
        voice_outcome: What came of this step's claim: 0 none, 1 failed
            (unanswered, rejected, intercepted), 2 answered.
        claims_seen: Claims the resident saw this step, its own and its
            neighbours'.
        claims_answered: Of those, the ones answered.
        grid_case: Detected by the grid this step with a need the right
            agency can act on (resolved within the budget).
        next_legitimacy: Trust after this step's update, before every
            resident adopts it (the update reads the neighbours' trust of
            the step before).
        scratch: Working space, not state: a number per resident that a
            process may use while it runs (a protester's link to its crowd
            while protest spreads, its place among the protesters while
            mass incidents are found), -1 for every resident before and
            after. Why here: a process that made its own would fill an array
            the size of the city each step, for the few protesters it
            concerns (milliseconds a step at a million residents).
    """

    position: FloatArray
    district: IntArray
    cell: IntArray
    need: FloatArray
    need_weight: FloatArray
    hardship: FloatArray
    legitimacy: FloatArray
    disposition: FloatArray
    grievance: FloatArray
    risk_aversion: FloatArray
    stance: IntArray
    detention_left: IntArray
    rebuffed_left: IntArray
    deterred_left: IntArray
    rest_left: IntArray
    org: IntArray
    petition_level: IntArray
    voice_expectation: FloatArray
    aspiration: FloatArray
    injustice: FloatArray
    experience: FloatArray
    participates: BoolArray
    protesting_neighbours: IntArray
    victim: BoolArray
    voice_outcome: IntArray
    claims_seen: IntArray
    claims_answered: IntArray
    grid_case: BoolArray
    next_legitimacy: FloatArray
    scratch: IntArray

    @property
    def size(self) -> int:
        """Number of residents."""
        return int(self.legitimacy.shape[0])


def check_invariants(residents: Residents) -> None:
    """Raise AssertionError if any state variable left its range.

    Used by tests and by ``SocialManagementModel(check=True)``; cheap
    enough to run every step in debugging, not on by default.
    """
    r = residents
    for name in (
        "need", "hardship", "legitimacy", "grievance", "risk_aversion", "voice_expectation",
    ):  # fmt: skip
        values = getattr(r, name)
        assert np.all((values >= 0) & (values <= 1)), f"{name} left [0, 1]"
    assert np.all(r.injustice >= 0), "negative injustice"
    assert np.allclose(r.need_weight.sum(axis=1), 1.0, atol=1e-5), "need_weight rows must sum to 1"
    assert np.all((r.stance >= 0) & (r.stance <= Stance.DETAINED)), "unknown stance"
    assert np.all((r.petition_level >= 0) & (r.petition_level <= 2)), "unknown petition level"
    detained = r.stance == Stance.DETAINED
    assert np.all(r.detention_left[detained] > 0), "detained without a term"
    assert np.all(r.detention_left[~detained] == 0), "free with a term"
    assert np.all(r.scratch == -1), "working space left in use"


@inline_jit
def weightiest(need: FloatArray, need_weight: FloatArray, i: int) -> int:
    """The domain where resident ``i``'s weighted unmet need is largest.

    Takes the whole arrays and a row number rather than a row: a row view
    made inside a compiled loop costs an atomic reference count, which
    threads contend for.
    """
    best, best_value = 0, -1.0
    for d in range(need.shape[1]):
        value = need_weight[i, d] * need[i, d]
        if value > best_value:
            best, best_value = d, value
    return best


def uniform_positions(n: int, rng: np.random.Generator) -> FloatArray:
    """``n`` uniform random points of the unit square, numbered along a Z-order curve.

    Residents are exchangeable, so their numbering is free; numbering them
    along a space-filling (Morton, Z-order) curve puts spatial neighbours,
    and so most network neighbours, close together in memory. Every
    neighbour sum then reads nearby memory instead of random addresses: at a
    million residents this makes the network operations several times
    faster. It changes no distribution in the model.

    Drawing the points and then sorting them costs a sort and a gather to
    random addresses, more than the drawing itself. So the points are drawn
    already in order: how many of the ``n`` fall in each cell of a
    ``2^b x 2^b`` grid is multinomial, and the cells, taken along the curve,
    are filled with uniform points of their own. The result is ``n``
    independent uniform points, as before, numbered along the curve down to
    cells of about 16 residents (within a cell, in random order, which
    costs no locality: the cell's residents are adjacent in memory anyway).
    All draws come from ``rng``.
    """
    bits = min((n // 16).bit_length() // 2, 12)
    cells = 1 << (2 * bits)
    counts = rng.multinomial(n, np.full(cells, 1.0 / cells))
    # A cell's column and row along the curve: the even and odd bits of its
    # number.
    along = np.arange(cells)
    corner = np.stack([_compact_bits(along), _compact_bits(along >> 1)], axis=1)
    position = corner.astype(np.float64)[np.repeat(along, counts)]
    position += rng.random((n, 2))
    position *= 1.0 / (1 << bits)
    # Rounding can land a point on the far edge; the square is half-open.
    return np.minimum(position, np.nextafter(1.0, 0.0), out=position)


def _compact_bits(code: IntArray) -> IntArray:
    """The even bits of each 32-bit ``code``, packed (bit 2k moves to bit k)."""
    x = code & 0x55555555
    for shift, mask in ((1, 0x33333333), (2, 0x0F0F0F0F), (4, 0x00FF00FF), (8, 0x0000FFFF)):
        x = (x | (x >> shift)) & mask
    return x


def district_of(position: FloatArray, n_districts: int) -> IntArray:
    """Districts as a fixed tiling of the unit square into columns x rows.

    The tiling uses the most square factorisation of ``n_districts`` (16 ->
    4 x 4; a prime -> strips), so every district is a rectangle of equal area.
    """
    columns = int(np.sqrt(n_districts))
    while n_districts % columns:
        columns -= 1
    rows = n_districts // columns
    col = np.minimum((position[:, 0] * columns).astype(np.int64), columns - 1)
    row = np.minimum((position[:, 1] * rows).astype(np.int64), rows - 1)
    return col * rows + row


def initial_population(
    n: int,
    *,
    n_districts: int,
    initial_legitimacy: float,
    legitimacy_spread: float,
    initial_need: float,
    need_weight_concentration: float,
    voice_expectation: float,
    rng: np.random.Generator,
) -> Residents:
    """Draw the initial residents (ODD.md, Initialization).

    Each resident's need starts at one level ``U(0, 2 x initial_need)`` in
    every domain, so hardship is uniform as Epstein's H when
    ``initial_need = 0.5``; domains diverge through shocks and relief. How
    much each domain matters follows a city-wide profile of priorities drawn
    per run (Dirichlet(1, ..., 1)); residents' weights are Dirichlet around
    it with concentration ``need_weight_concentration x 5``. The planner
    never sees these priorities; participating residents voice them.
    ``hardship`` and ``aspiration`` are left at zero: the model assesses
    them once the residents exist
    (:func:`~model.submodels.livelihood.assess_hardship`). Every resident
    starts expecting a claim to be answered with chance
    ``voice_expectation``.
    """
    position = uniform_positions(n, rng)
    level = rng.random(n) * 2.0 * initial_need
    # Single precision for the (n, 5) arrays: they dominate memory traffic at
    # a million residents, and seven digits are far beyond the model's
    # precision.
    need = np.empty((n, len(DOMAINS)), dtype=np.float32)
    need[:] = level[:, None]
    # The city's shared priorities (unknown to the planner) differ by run;
    # each resident's weights scatter around them.
    priorities = rng.dirichlet(np.ones(len(DOMAINS)))
    need_weight = rng.dirichlet(
        need_weight_concentration * len(DOMAINS) * priorities, size=n
    ).astype(np.float32)
    legitimacy = np.clip(rng.normal(initial_legitimacy, legitimacy_spread, n), 0.0, 1.0)
    return Residents(
        position=position,
        district=district_of(position, n_districts),
        cell=np.full(n, -1, dtype=np.int64),
        need=need,
        need_weight=need_weight,
        hardship=np.zeros(n),
        legitimacy=legitimacy,
        disposition=legitimacy.copy(),
        grievance=np.zeros(n),
        risk_aversion=rng.random(n),
        stance=np.zeros(n, dtype=np.int8),
        detention_left=np.zeros(n, dtype=np.int32),
        rebuffed_left=np.zeros(n, dtype=np.int32),
        deterred_left=np.zeros(n, dtype=np.int32),
        rest_left=np.zeros(n, dtype=np.int32),
        org=np.full(n, NO_ORGANIZATION, dtype=np.int64),
        petition_level=np.zeros(n, dtype=np.int8),
        voice_expectation=np.full(n, voice_expectation),
        aspiration=np.zeros(n),
        injustice=np.zeros(n),
        experience=np.zeros(n),
        participates=np.zeros(n, dtype=np.bool_),
        protesting_neighbours=np.zeros(n, dtype=np.int32),
        victim=np.zeros(n, dtype=np.bool_),
        voice_outcome=np.zeros(n, dtype=np.int8),
        claims_seen=np.zeros(n, dtype=np.int32),
        claims_answered=np.zeros(n, dtype=np.int32),
        grid_case=np.zeros(n, dtype=np.bool_),
        next_legitimacy=np.zeros(n),
        scratch=np.full(n, -1, dtype=np.int64),
    )
