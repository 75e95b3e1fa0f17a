"""Outcomes: their declarations, and the sums and incidents behind them (ODD.md, Observation).

Names here are the column names of every result table, in code, ODD.md
and reports alike. Each outcome has one declaration with its meaning, unit and
the direction the article would call better, so reports and tests never
restate them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from model.jit import jit, unsigned
from model.neighbourhood import connected_groups
from model.population import NO_ORGANIZATION, PETITIONING, PROTESTING, QUIET
from model.types import FloatArray, IntArray

if TYPE_CHECKING:
    from model.neighbourhood import Network
    from model.params import Coefficients
    from model.population import Residents


@dataclass(frozen=True)
class Outcome:
    """What one outcome column means.

    Attributes:
        name: Column name.
        meaning: One line for tables and reports.
        unit: Unit or scale.
        better: +1 if higher is better for society, -1 if lower is, 0 if neither.
    """

    name: str
    meaning: str
    unit: str
    better: int


_OUTCOMES = (
    Outcome("mean_legitimacy", "Mean trust in government (Epstein's L)", "share", +1),
    Outcome("mean_grievance", "Mean accumulated grievance", "share", -1),
    Outcome(
        "hidden_grievance",
        "Grievance held in silence: grievance of quiet residents above the petition "
        "threshold, per resident",
        "grievance per resident",
        -1,
    ),
    Outcome("share_petitioning", "Share of residents petitioning", "share", 0),
    Outcome("share_protesting", "Share of residents protesting", "share", -1),
    Outcome("share_detained", "Share of residents detained", "share", -1),
    Outcome(
        "mass_incidents",
        "Connected groups of protesting neighbours of at least incident_min_size",
        "incidents",
        -1,
    ),
    Outcome("largest_incident", "Residents in the largest connected protest", "residents", -1),
    Outcome("incidents_per_10k", "Mass incidents per 10,000 residents", "per 10,000", -1),
    Outcome(
        "district_incidents_per_10k",
        "Mass incidents counted once per district they reach with at least incident_min_size"
        " protesters, per 10,000 residents",
        "per 10,000",
        -1,
    ),
    Outcome(
        "small_protests_per_10k",
        "Connected groups of protesters too small to be mass incidents, per 10,000 residents",
        "per 10,000",
        0,
    ),
    Outcome(
        "largest_incident_per_10k",
        "Residents in the largest connected protest, per 10,000 residents",
        "per 10,000",
        -1,
    ),
    Outcome("stability", "Share of steps so far with no mass incident", "share", +1),
    Outcome(
        "time_to_first_incident",
        "Step of the first mass incident (NaN while there has been none)",
        "steps",
        +1,
    ),
    Outcome(
        "control_spending",
        "Control effort this step: cadres', their stability staff's and forces sent from above",
        "effort",
        0,
    ),
    Outcome(
        "outside_forces",
        "Control effort sent by higher levels to districts whose crowds outgrew their control",
        "effort",
        0,
    ),
    Outcome("service_spending", "Cadre effort spent on service this step", "effort", 0),
    Outcome("relief_spending", "Livelihood budget spent on relief this step", "need units", 0),
    Outcome(
        "grid_cost",
        "Grid staff and platforms paid from the livelihood budget this step",
        "need units",
        -1,
    ),
    Outcome(
        "grid_duplication",
        "Part of the grid's cost that duplicates: the platforms of siloed agencies beyond one",
        "need units",
        -1,
    ),
    Outcome(
        "stability_staff_cost",
        "Stability staff hired after incidents, paid from the livelihood budget this step",
        "need units",
        -1,
    ),
    Outcome(
        "targeted_spending",
        "Needs resolved this step at the budget's expense (concessions, grid, prevention)",
        "need units",
        0,
    ),
    Outcome(
        "governance_costs",
        "Participation, committees and support to organizations paid this step",
        "need units",
        0,
    ),
    Outcome(
        "share_settled_locally",
        "Of the petitions settled this step, the share settled at the local level",
        "share",
        +1,
    ),
    Outcome(
        "share_petitions_upward",
        "Of the petitions filed this step, the share filed above the local level",
        "share",
        -1,
    ),
    Outcome("organizations", "Social organizations in existence", "organizations", +1),
    Outcome("organizations_per_10k", "Social organizations per 10,000 residents", "per 10,000", +1),
    Outcome("org_membership", "Share of residents in a social organization", "share", +1),
    Outcome("mean_hardship", "Mean weighted unmet need", "share", -1),
    Outcome(
        "expectation_gap",
        "Mean hardship above what residents were led to expect (relative deprivation)",
        "hardship",
        -1,
    ),
    Outcome(
        "expected_return_to_voice",
        "Mean chance residents expect a petition or protest to be answered",
        "probability",
        0,
    ),
    Outcome(
        "allocation_mismatch",
        "Distance between the budget's split across domains and where weighted need is",
        "share",
        -1,
    ),
    Outcome("grievance_gini", "Gini coefficient of grievance", "index", 0),
)

OUTCOME_INFO: dict[str, Outcome] = {o.name: o for o in _OUTCOMES}
"""Every outcome by name."""

OUTCOMES: tuple[str, ...] = tuple(OUTCOME_INFO)
"""Outcome column names, in table order."""


class Tally[T: (float, int)](NamedTuple):
    """The sums over residents behind this step's outcomes.

    A ``Tally[float]`` holds the sums. Compiled code adds to a vector of
    sums instead (one per chunk of residents, so that the chunks can be
    summed in order); :data:`TALLY_SLOT`, a ``Tally[int]``, says where each
    sum sits in that vector, so the vector is read and written by name.

    Attributes:
        quiet: Residents quiet.
        petitioning: Residents petitioning.
        protesting: Residents protesting.
        detained: Residents detained.
        legitimacy: Total trust.
        grievance: Total grievance.
        hidden_grievance: Total grievance of quiet residents above the
            petition threshold. Why a total over everyone rather than the
            mean over silent residents: when suppression drives petitioners
            back into silence, the number of silent aggrieved residents grows
            as well as their grievance; a conditional mean would hide the
            first (ODD.md, Observation).
        hardship: Total hardship.
        members: Residents in an organization.
        deprivation: Total hardship above what residents were led to expect.
        voice_expectation: Total of the chance residents expect a claim to
            be answered.
    """

    quiet: T
    petitioning: T
    protesting: T
    detained: T
    legitimacy: T
    grievance: T
    hidden_grievance: T
    hardship: T
    members: T
    deprivation: T
    voice_expectation: T


TALLY_SIZE = len(Tally._fields)
"""Length of the vectors of sums :func:`tally_residents` adds to."""

TALLY_SLOT: Tally[int] = Tally(*range(TALLY_SIZE))
"""Where each sum of :class:`Tally` sits in a vector of sums: its field's position.

Generated from the fields, so a new sum is a new field and nothing else;
compiled code reads it as constants.
"""


@jit
def tally_residents(
    residents: Residents, coef: Coefficients, lo: int, hi: int, sums: FloatArray
) -> None:
    """Add residents ``lo..hi-1`` to the step's vector of sums (slots :data:`TALLY_SLOT`).

    Each sum is carried in a register through the residents, in their
    order, so the rounding is that of one sum in resident order.
    """
    r = residents
    at = TALLY_SLOT
    quiet, petitioning = sums[at.quiet], sums[at.petitioning]
    protesting, detained = sums[at.protesting], sums[at.detained]
    trust, aggrieved = sums[at.legitimacy], sums[at.grievance]
    hidden, hard, members = sums[at.hidden_grievance], sums[at.hardship], sums[at.members]
    deprived, expects = sums[at.deprivation], sums[at.voice_expectation]
    threshold = coef.petition_threshold
    for k in range(lo, hi):
        i = unsigned(k)
        s = r.stance[i]
        if s == QUIET:
            quiet += 1.0
            if r.grievance[i] > threshold:
                hidden += r.grievance[i]
        elif s == PETITIONING:
            petitioning += 1.0
        elif s == PROTESTING:
            protesting += 1.0
        else:
            detained += 1.0
        trust += r.legitimacy[i]
        aggrieved += r.grievance[i]
        hard += r.hardship[i]
        if r.org[i] != NO_ORGANIZATION:
            members += 1.0
        deprived += max(r.hardship[i] - r.aspiration[i], 0.0)
        expects += r.voice_expectation[i]
    sums[at.quiet], sums[at.petitioning] = quiet, petitioning
    sums[at.protesting], sums[at.detained] = protesting, detained
    sums[at.legitimacy], sums[at.grievance] = trust, aggrieved
    sums[at.hidden_grievance], sums[at.hardship], sums[at.members] = hidden, hard, members
    sums[at.deprivation], sums[at.voice_expectation] = deprived, expects


@jit
def as_tally(sums: FloatArray) -> Tally[float]:
    """The :class:`Tally` of a vector of sums (slots :data:`TALLY_SLOT`)."""
    at = TALLY_SLOT
    return Tally(
        quiet=sums[at.quiet],
        petitioning=sums[at.petitioning],
        protesting=sums[at.protesting],
        detained=sums[at.detained],
        legitimacy=sums[at.legitimacy],
        grievance=sums[at.grievance],
        hidden_grievance=sums[at.hidden_grievance],
        hardship=sums[at.hardship],
        members=sums[at.members],
        deprivation=sums[at.deprivation],
        voice_expectation=sums[at.voice_expectation],
    )


class Incidents(NamedTuple):
    """This step's mass incidents.

    Attributes:
        number: Connected groups of protesters of at least ``incident_min_size``.
        small: Connected groups of protesters smaller than that: the small,
            tolerable protests (Lorentzen 2013).
        largest: Size of the largest connected group of protesters (incident or not).
        protesters_by_district: Protesters taking part in an incident, per
            district (what cadres judged by incidents see).
        sizes: Protesters in each incident, as it formed (for the size
            distribution; ``number`` values).
        by_district: Incidents counted where they confront an administration:
            each incident's part in one district with at least
            ``incident_min_size`` protesters counts once, so a crowd whose
            ties run across three districts is up to three (ODD.md,
            Observation).
    """

    number: int
    small: int
    largest: float
    protesters_by_district: IntArray
    sizes: FloatArray
    by_district: int


@jit
def mass_incidents(
    residents: Residents, network: Network, n_districts: int, min_size: float
) -> Incidents:
    """The step's mass incidents: connected groups of protesters, counted once.

    A group of at least ``min_size`` protesters is an incident (ODD.md,
    Observation). The week calls it once protest has spread and before
    anyone responds: an incident the police break up, or cut into pieces,
    happened all the same, at the size it reached (police statistics count
    the incidents they handled). Compiled whole, because the model asks it
    every step and at 2,000 residents numpy glue around
    :func:`connected_groups` cost more than finding the groups.
    """
    per_district = np.zeros(n_districts, dtype=np.int64)
    rows, label, sizes = connected_groups(
        residents.stance == PROTESTING, network.indptr, network.indices, residents.scratch
    )
    count, small, largest = 0, 0, 0.0
    for size in sizes:
        largest = max(largest, size)
        if size >= min_size:
            count += 1
        else:
            small += 1
    # Each incident member's key (its incident, its district): sorted, a run
    # of equal keys is the incident's part in one district.
    keys = np.empty(rows.size, dtype=np.int64)
    members = 0
    for k in range(rows.size):
        if sizes[label[k]] >= min_size:
            district = residents.district[rows[k]]
            per_district[district] += 1
            keys[members] = label[k] * n_districts + district
            members += 1
    return Incidents(
        count,
        small,
        largest,
        per_district,
        sizes[sizes >= min_size],
        _parts_of_at_least(np.sort(keys[:members]), min_size),
    )


@jit
def _parts_of_at_least(sorted_keys: IntArray, min_size: float) -> int:
    """Runs of equal keys in ``sorted_keys`` at least ``min_size`` long."""
    parts, run = 0, 0
    for k in range(sorted_keys.size):
        run = run + 1 if k > 0 and sorted_keys[k] == sorted_keys[k - 1] else 1
        if run >= min_size > run - 1:  # the run has just reached min_size
            parts += 1
    return parts


GINI_BINS = 1 << 16
"""Resolution of :func:`gini`: values in [0, 1] are counted in this many bins."""


@jit
def gini(values: FloatArray) -> float:
    """Gini coefficient of values in [0, 1] (0: all equal).

    Up to :data:`GINI_BINS` values the exact formula over sorted values is
    used, sorted by a bucket sort (:func:`_ascending`: linear in the number
    of values, where a comparison sort of a few thousand values costs more
    than a step's other outcomes together). Above, values are counted
    in 65,536 equal bins of [0, 1] and the same formula is applied to the
    bin counts, in one pass; values within a bin are treated as equal, so
    the result differs from the exact Gini by less than 1/65,536 of the
    range divided by the mean (``tests/test_outcomes.py`` checks both paths
    against the exact formula). Compiled, so the week computes it.
    """
    n = values.size
    if n == 0:
        return 0.0
    if n > GINI_BINS:
        return _binned_gini(values)
    ordered = _ascending(values)
    total, weighted = 0.0, 0.0
    for k in range(n):
        total += ordered[k]
        weighted += (k + 1.0) * ordered[k]
    if total <= 0.0:
        return 0.0
    return 2.0 * weighted / (n * total) - (n + 1.0) / n


_SIGN = np.uint64(1 << 63)
_FEW = 16
"""Values :func:`_ascending` sorts by insertion rather than by buckets."""


@jit
def _ascending(values: FloatArray) -> FloatArray:
    """``values`` in ascending order: a bucket sort of their bit patterns.

    A float's bits, with the sign bit flipped (every bit for a negative
    value), order as unsigned integers exactly as the floats do; the result
    is the one sorted array, bit for bit. The keys between the least and
    the largest are cut into about as many equal buckets as there are
    values; a bucket of more than :data:`_FEW` is sorted the same way in
    turn, a smaller one by insertion. Why the bits rather than the values:
    grievance often sits within a tiny range (all near 0, or near 1), so
    buckets of equal width in value put most values in one bucket (a sort
    quadratic in the residents, a fifth of a step at 2,000 residents); the
    bits grow with the logarithm of a value, and each round of buckets
    narrows the range by as many times as it has values.
    """
    n = values.size
    keys = np.empty(n, dtype=np.uint64)
    bits = np.ascontiguousarray(values).view(np.uint64)
    for k in range(n):
        b = bits[k]
        keys[k] = ~b if b & _SIGN else b | _SIGN
    spare = np.empty(n, dtype=np.uint64)
    ends = np.empty(n + 1, dtype=np.int64)
    # Ranges of keys still to sort, as (start, end) pairs; they are
    # disjoint and longer than _FEW, so there are never more than this.
    todo = np.empty(2 * (n // (_FEW + 1) + 1), dtype=np.int64)
    todo[0], todo[1] = 0, n
    waiting = 1
    while waiting:
        waiting -= 1
        lo, hi = todo[2 * waiting], todo[2 * waiting + 1]
        least, most = keys[lo], keys[lo]
        for k in range(lo + 1, hi):
            least, most = min(least, keys[k]), max(most, keys[k])
        if least == most:
            continue
        span, count, shift = most - least, np.uint64(hi - lo), np.uint64(0)
        while (span >> shift) >= count:
            shift += np.uint64(1)
        buckets = int(span >> shift) + 1
        ends[: buckets + 1] = 0
        for k in range(lo, hi):
            ends[((keys[k] - least) >> shift) + np.uint64(1)] += 1
        ends[0] = lo
        for b in range(buckets):
            ends[b + 1] += ends[b]
        for k in range(lo, hi):
            b = (keys[k] - least) >> shift
            spare[ends[b]] = keys[k]
            ends[b] += 1
        keys[lo:hi] = spare[lo:hi]
        start = lo
        for b in range(buckets):
            end = ends[b]
            if end - start > _FEW:
                todo[2 * waiting], todo[2 * waiting + 1] = start, end
                waiting += 1
            else:  # a few keys: by insertion
                for k in range(start + 1, end):
                    key = keys[k]
                    j = k - 1
                    while j >= start and keys[j] > key:
                        keys[j + 1] = keys[j]
                        j -= 1
                    keys[j + 1] = key
            start = end
    for k in range(n):
        key = keys[k]
        keys[k] = key ^ _SIGN if key & _SIGN else ~key
    return keys.view(np.float64)


@jit
def _binned_gini(values: FloatArray) -> float:
    n = values.size
    counts = np.zeros(GINI_BINS + 1)
    sums = np.zeros(GINI_BINS + 1)
    total = 0.0
    for v in values:
        b = min(max(int(v * GINI_BINS), 0), GINI_BINS)
        counts[b] += 1.0
        sums[b] += v
        total += v
    if total <= 0.0:
        return 0.0
    # sum_i rank_i x_i over sorted values, with the values of one bin given
    # the consecutive ranks they would occupy (their order inside a bin does
    # not change the sum when they are treated as equal).
    weighted, before = 0.0, 0.0
    for b in range(GINI_BINS + 1):
        c = counts[b]
        if c > 0.0:
            mean_rank = before + (c + 1.0) / 2.0
            weighted += mean_rank * sums[b]
            before += c
    return 2.0 * weighted / (n * total) - (n + 1.0) / n
