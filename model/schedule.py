"""The week: the processes of ODD.md section 3, in order.

:func:`week` is the model's step for the residents and organizations: a
list of the compiled processes of :mod:`model.submodels`, in the order of
ODD.md section 3. Each process is written once, in the submodel named after
it, with every effect it has; this module only composes them.

Processes that concern one resident at a time take a range of residents
(``lo``, ``hi``). The residents are cut into fixed chunks of
:data:`CHUNK`, and each chunk into blocks of :data:`BLOCK`; the processes
that follow one another without reading what the others just wrote for
other residents run block by block (the *phases* below), so that a block's
arrays stay in the processor's cache from one process to the next. Above
:data:`~model.jit.PARALLEL_FROM` residents the chunks of a phase run on all
cores; sums over residents are carried through each chunk in resident
order and added in chunk order, so the results are the same on any number
of threads. Processes that ration a capacity or write to other residents
(petitions, protests, backlash, founding, settling organizations) run
between the phases, serially.

Below :data:`~model.jit.PARALLEL_FROM` residents the whole week is one
compiled call (:func:`~model.jit.composition`): at 2,000 residents, calling
each process from Python would cost more than some of them.

Randomness comes from :mod:`model.draws` (one counter-based uniform per
resident, step and decision), so the processes draw the same numbers in
every regime and in any order.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from model.cadres import Districts
from model.jit import composition, inline_jit, parallel_jit, prange
from model.neighbourhood import Network
from model.outcomes import (
    TALLY_SIZE,
    Incidents,
    Tally,
    as_tally,
    gini,
    mass_incidents,
    tally_residents,
)
from model.params import Coefficients
from model.population import DOMAINS, Residents
from model.submodels.grid import (
    Grid,
    grid_management,
    let_deterrence_fade,
    mark_protest_cells,
    resolve_grid_cases,
)
from model.submodels.grievance import update_grievance
from model.submodels.legitimacy import adopt_legitimacy, update_legitimacy
from model.submodels.livelihood import (
    NEED_SUMS,
    Planner,
    Relief,
    Treasury,
    choose_participants,
    collective_shocks,
    form_expectations,
    livelihood_relief,
    livelihood_shocks,
    need_by_domain,
    relieve_need,
    start_disputes,
)
from model.submodels.organizations import (
    Organizations,
    found_organizations,
    leave_organizations,
    recruit_and_serve,
    release_members,
    settle_organizations,
)
from model.submodels.petitions import PetitionReport, forget_rebuffs, respond_to_petitions
from model.submodels.prevention import prevent_at_source
from model.submodels.protests import respond_to_protests
from model.submodels.repression import backlash, serve_detention
from model.submodels.stance import (
    count_claims_seen,
    count_protesting_neighbours,
    decide_stance,
    learn_from_claims,
    let_rest_pass,
    spread_protest,
)
from model.types import FloatArray

CHUNK = 1 << 16
"""Residents per chunk: the unit of parallel work and of the sums over residents."""

BLOCK = 1 << 12
"""Residents per block: the unit a phase runs its processes on, one after the other."""


class Partition(NamedTuple):
    """How the residents are cut for the phases.

    Attributes:
        chunks: Chunks of about :data:`CHUNK` residents (chunk ``c`` holds
            residents ``c n // chunks`` to ``(c + 1) n // chunks - 1``).
        block: Residents per block within a chunk.
    """

    chunks: int
    block: int


def partition_for(n: int) -> Partition:
    """The partition of ``n`` residents into chunks of :data:`CHUNK` and blocks of :data:`BLOCK`.

    Why fixed-size chunks rather than one per thread: each chunk's partial
    sum is added in chunk order, so the rounding of every sum, and with it
    the whole run, is the same on any number of threads. Blocks change no
    result: every sum is carried through its chunk in resident order.
    """
    return Partition(max(1, -(-n // CHUNK)), BLOCK)


@inline_jit
def blocks_in(partition: Partition, chunk: int, n: int) -> int:
    """Blocks in chunk ``chunk`` of ``n`` residents."""
    chunks = partition.chunks
    size = (chunk + 1) * n // chunks - chunk * n // chunks
    return max(1, -(-size // partition.block))


@inline_jit
def block_range(partition: Partition, chunk: int, block: int, n: int) -> tuple[int, int]:
    """The residents ``lo..hi-1`` of block ``block`` of chunk ``chunk``."""
    chunks = partition.chunks
    start, end = chunk * n // chunks, (chunk + 1) * n // chunks
    lo = start + block * partition.block
    return lo, min(lo + partition.block, end)


class Week(NamedTuple):
    """What a week leaves that is not resident state.

    Attributes:
        organizations: The organization table (a new record when it grew).
        tally: Sums over residents behind the outcomes.
        relief: This step's relief and its split.
        petitions: What this step's petitions did.
        incidents: This step's mass incidents.
        grievance_gini: The Gini coefficient of grievance.
    """

    organizations: Organizations
    tally: Tally[float]
    relief: Relief
    petitions: PetitionReport
    incidents: Incidents
    grievance_gini: float


@composition
def week(
    residents: Residents,
    network: Network,
    districts: Districts,
    organizations: Organizations,
    grid: Grid,
    planner: Planner,
    treasury: Treasury,
    coef: Coefficients,
    key: np.uint64,
    step: int,
    partition: Partition,
) -> Week:
    """One week of the residents and their organizations: processes 0-9 and the sums of 10.

    The model turns the sums into the outcomes, and the cadres adapt
    afterwards (process 11, ``SocialManagementModel.step``), since they
    judge what this week recorded.
    """
    # 1. Collective shocks hit neighbourhoods; then, 0-1. detention, rebuffs
    # and deterrence run down; individual livelihood shocks;
    # who takes part in livelihood decisions; need summed per domain.
    collective_shocks(residents, network, coef, key, step)
    city, by_district, participants = terms_shocks_and_participants(
        residents, districts, coef, key, step, partition
    )
    # 2. The budget pays the grid and last step's costs; relief is split
    # between the city's allocation and the committees ...
    relief = livelihood_relief(treasury, planner, city, by_district, participants, coef)
    start_disputes(residents, relief, coef, key, step)
    # 2-4. ... and spent; expectations; grievance; stance.
    relief_grievance_and_stance(
        residents, network, districts, organizations, relief, coef, key, step, partition
    )
    spread_protest(residents, network, districts, organizations, coef)
    # 4. Mass incidents are counted as they formed in the street, before the
    # response: an incident the police break up happened all the same.
    incidents = mass_incidents(residents, network, districts.size.size, coef.incident_min_size)
    # 5-6. Petitions at their levels, protests (arrest or dialogue),
    # prevention at the source, and the backlash among the victims'
    # neighbours; the grid notes where people protest.
    mark_protest_cells(residents, grid)
    petitions = respond_to_petitions(residents, districts, organizations, treasury, coef, key, step)
    respond_to_protests(residents, network, districts, petitions, treasury, coef, key, step)
    prevent_at_source(residents, districts, treasury, coef, key, step)
    backlash(residents, network, coef)
    count_claims_seen(residents, network)
    # 7. Grid management and, in the same pass, members leaving their
    # organizations (8); the grid's cases the budget can pay are resolved.
    grid_and_members_leaving(residents, grid, organizations, coef, key, step, partition)
    resolve_grid_cases(residents, treasury, coef, key, step)
    # 8. Applications and founding, recruitment and services, drift, closure and dissolution.
    organizations = found_organizations(residents, organizations, coef, key, step)
    if organizations.alive.any():
        members = recruit_and_serve(
            residents, organizations, network, coef, key, step, partition.chunks
        )
        settle_organizations(organizations, members, treasury, coef, key, step)
    # 8-9. Members of organizations that ended are released; residents learn
    # whether voice pays; trust.
    release_learn_and_trust(residents, network, organizations, coef, partition)
    # 9-10. The new trust is adopted and the outcomes' sums taken.
    tally = adopt_trust_and_tally(residents, coef, partition)
    return Week(organizations, tally, relief, petitions, incidents, gini(residents.grievance))


@parallel_jit
def terms_shocks_and_participants(
    residents: Residents,
    districts: Districts,
    coef: Coefficients,
    key: np.uint64,
    step: int,
    partition: Partition,
) -> tuple[FloatArray, FloatArray, int]:
    """Phase of processes 0-1, block by block.

    Returns:
        The (:data:`~model.submodels.livelihood.NEED_SUMS`, domains) need
        sums of the city, the (districts, ``NEED_SUMS``, domains) sums of the
        committees, and how many residents take part.
    """
    n = residents.stance.size
    domains = len(DOMAINS)
    city = np.zeros((partition.chunks, NEED_SUMS, domains))
    by_district = np.zeros((partition.chunks, districts.size.size, NEED_SUMS, domains))
    participants = np.zeros(partition.chunks, dtype=np.int64)
    for c in prange(partition.chunks):
        for b in range(blocks_in(partition, c, n)):
            lo, hi = block_range(partition, c, b, n)
            serve_detention(residents, lo, hi)
            forget_rebuffs(residents, lo, hi)
            let_deterrence_fade(residents, lo, hi)
            let_rest_pass(residents, lo, hi)
            livelihood_shocks(residents, coef, key, step, lo, hi)
            participants[c] += choose_participants(residents, coef, key, step, lo, hi)
            need_by_domain(residents, coef, lo, hi, city[c], by_district[c])
    return city.sum(axis=0), by_district.sum(axis=0), int(participants.sum())


@parallel_jit
def relief_grievance_and_stance(
    residents: Residents,
    network: Network,
    districts: Districts,
    organizations: Organizations,
    relief: Relief,
    coef: Coefficients,
    key: np.uint64,
    step: int,
    partition: Partition,
) -> None:
    """Phase of processes 2-4: relief, expectations, grievance and stance, block by block."""
    n = residents.stance.size
    count_protesting_neighbours(residents, network)
    for c in prange(partition.chunks):
        for b in range(blocks_in(partition, c, n)):
            lo, hi = block_range(partition, c, b, n)
            relieve_need(residents, relief, coef, lo, hi)
            form_expectations(residents, relief, coef, lo, hi)
            update_grievance(residents, organizations, coef, lo, hi)
            decide_stance(residents, network, districts, organizations, coef, lo, hi)


@parallel_jit
def grid_and_members_leaving(
    residents: Residents,
    grid: Grid,
    organizations: Organizations,
    coef: Coefficients,
    key: np.uint64,
    step: int,
    partition: Partition,
) -> None:
    """Phase of processes 7-8: grid management, and members leaving their organizations.

    The two run resident by resident in one pass: neither reads what the
    other writes for other residents.
    """
    n = residents.stance.size
    for c in prange(partition.chunks):
        for b in range(blocks_in(partition, c, n)):
            lo, hi = block_range(partition, c, b, n)
            grid_management(residents, grid, coef, key, step, lo, hi)
            leave_organizations(residents, organizations, coef, key, step, lo, hi)


@parallel_jit
def release_learn_and_trust(
    residents: Residents,
    network: Network,
    organizations: Organizations,
    coef: Coefficients,
    partition: Partition,
) -> None:
    """Phase of processes 8-9: members of ended organizations released; learning; trust."""
    n = residents.stance.size
    for c in prange(partition.chunks):
        for b in range(blocks_in(partition, c, n)):
            lo, hi = block_range(partition, c, b, n)
            release_members(residents, organizations, coef, lo, hi)
            learn_from_claims(residents, coef, lo, hi)
            update_legitimacy(residents, network, coef, lo, hi)


@parallel_jit
def adopt_trust_and_tally(
    residents: Residents, coef: Coefficients, partition: Partition
) -> Tally[float]:
    """Phase of processes 9-10: every resident adopts its new trust; the sums for the outcomes."""
    n = residents.stance.size
    sums = np.zeros((partition.chunks, TALLY_SIZE))
    for c in prange(partition.chunks):
        for b in range(blocks_in(partition, c, n)):
            lo, hi = block_range(partition, c, b, n)
            adopt_legitimacy(residents, lo, hi)
            tally_residents(residents, coef, lo, hi, sums[c])
    return as_tally(sums.sum(axis=0))
