"""Process 7, ``grid_management`` (the article's Errors 4 and 6).

The city is tiled into cells of about ``grid_cell_households`` households;
each of ``grid_agencies`` agencies staffs every cell with one staffer.
Staff detect residents whose grievance is above a watch level. In
``service`` mode a detected resident's weightiest need is resolved, if the
agency that owns that domain learns of it (always when information is
shared; only when that agency itself made the detection when agencies are
siloed). In ``control`` mode a detected resident gets a "stability visit":
it is deterred from protest for a while, at the price of intrusion and lost
trust. Every household also bears a baseline intrusion that grows as cells
shrink and as siloed agencies duplicate visits, and with collective
responsibility every household of a cell where someone protested is
penalised. Everything the grid costs comes out of the livelihood budget:
its staff and each agency's own platform and records every step (when
agencies are siloed, every agency builds its own: duplicated investment),
and every need it resolves (:func:`resolve_grid_cases`), within what the
budget can pay.

None of this says the grid is bad: fine cells detect more, and in service
mode resolve more. The article's warning emerges only where cost
duplication, unshared information ("formalism": detection without
resolution) and intrusion outweigh that.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from model.draws import GRID_DETECT, GRID_INFORM, GRID_QUEUE, uniform
from model.jit import jit, unsigned
from model.params import choice_code
from model.population import PROTESTING
from model.submodels.livelihood import resolve_weightiest
from model.types import BoolArray, FloatArray, IntArray

if TYPE_CHECKING:
    from model.params import Coefficients
    from model.population import Residents
    from model.submodels.livelihood import Treasury

CONTROL = choice_code("grid_mode", "control")


class Grid(NamedTuple):
    """The grid of a run.

    Attributes:
        n_cells: Number of cells (0: no grid).
        staffing: Share of the grid's staff the budget pays, in [0, 1].
        protest_cell: Whether someone in the cell protests this step.
    """

    n_cells: int
    staffing: float
    protest_cell: BoolArray


def assign_cells(position: FloatArray, households_per_cell: int) -> tuple[IntArray, int]:
    """Tile the city into cells of exactly ``households_per_cell`` neighbours.

    Residents are ordered along horizontal strips (boustrophedon, so
    consecutive residents stay close) and cut into consecutive blocks, so
    every cell but the last has exactly the requested size and is compact.

    Returns:
        The cell of every resident, and the number of cells.
    """
    n = position.shape[0]
    if households_per_cell <= 0 or n == 0:
        return np.full(n, -1, dtype=np.int64), 0
    n_cells = math.ceil(n / households_per_cell)
    strips = max(1, round(math.sqrt(n_cells)))
    strip = np.minimum((position[:, 1] * strips).astype(np.int64), strips - 1)
    along = np.where(strip % 2 == 0, position[:, 0], 1.0 - position[:, 0])
    order = np.lexsort((along, strip))
    cell = np.empty(n, dtype=np.int64)
    cell[order] = np.arange(n) // households_per_cell
    return cell, n_cells


def grid_cost(
    n_cells: int, agencies: int, info_sharing: bool, staff_cost: float, platform_cost: float
) -> tuple[float, float]:
    """What the grid costs per step, and how much of it is duplicated investment.

    One staffer per agency per cell, and one platform (database, records)
    per agency that runs its own: all of them when siloed, one shared when
    agencies share information. The duplicated part is the platforms beyond
    the first.

    Returns:
        (cost per step, duplicated cost per step); zero without a grid.
    """
    if n_cells == 0:
        return 0.0, 0.0
    platforms = 1 if info_sharing else agencies
    return (
        n_cells * agencies * staff_cost + platforms * platform_cost,
        (platforms - 1) * platform_cost,
    )


@jit
def let_deterrence_fade(residents: Residents, lo: int, hi: int) -> None:
    """A week passes for residents ``lo..hi-1`` whom a stability visit deters."""
    left = residents.deterred_left
    for k in range(lo, hi):
        i = unsigned(k)
        left[i] = max(left[i] - 1, 0)


@jit
def mark_protest_cells(residents: Residents, grid: Grid) -> None:
    """The grid notes the cells where someone protests this step (serial).

    Before any response, so that a protester arrested this step still
    marks its cell for collective responsibility.
    """
    grid.protest_cell[:] = False
    if grid.n_cells == 0:
        return
    for i in range(residents.stance.size):
        if residents.stance[i] == PROTESTING:
            grid.protest_cell[residents.cell[i]] = True


@jit
def grid_management(
    residents: Residents,
    grid: Grid,
    coef: Coefficients,
    key: np.uint64,
    step: int,
    lo: int,
    hi: int,
) -> None:
    """Collective responsibility, detection, service or control, intrusion: residents ``lo..hi-1``.

    Each agency's staffer detects a watched resident with probability
    ``q = min(1, grid_detection_rate x staffing / grid_cell_households)``
    (:func:`grid_detection`). Service mode: a detected resident whose need
    reaches the owning agency becomes a case, resolved within the budget by
    :func:`resolve_grid_cases`. Control mode: a detected resident is visited,
    deterred for ``grid_deterrence`` steps, suffers ``injustice_visit`` and
    loses ``trust_visit``. Every household bears the routine visits of
    :func:`routine_visits`, each adding ``grid_intrusion`` injustice and
    costing ``trust_visit`` trust. With collective responsibility, every
    household of a cell where someone protested gains
    ``injustice_collective`` and loses ``trust_collective``. (Visits,
    intrusion and collective punishment are assumed payoffs: hypothesis
    ``intrusion``.)
    """
    if grid.n_cells == 0:
        return
    r = residents
    collective = coef.collective_responsibility
    control_mode = coef.grid_mode == CONTROL
    households = max(coef.grid_cell_households, 1)
    q = detection_chance(coef.grid_detection_rate, grid.staffing, households)
    visits = routine_visits(coef.grid_agencies, coef.grid_info_sharing, grid.staffing, households)
    for k in range(lo, hi):
        i = unsigned(k)
        if collective and grid.protest_cell[r.cell[i]]:
            r.injustice[i] += coef.injustice_collective
            r.experience[i] -= coef.trust_collective
        if r.grievance[i] > coef.grid_watch_level:
            detected, informed = grid_detection(
                uniform(key, step, GRID_DETECT, i),
                uniform(key, step, GRID_INFORM, i),
                q,
                coef.grid_agencies,
                coef.grid_info_sharing,
            )
            if control_mode and detected:
                r.deterred_left[i] = coef.grid_deterrence
                r.injustice[i] += coef.injustice_visit
                r.experience[i] -= coef.trust_visit
            elif not control_mode and informed:
                r.grid_case[i] = True
        r.injustice[i] += coef.grid_intrusion * visits
        r.experience[i] -= coef.trust_visit * visits


@jit
def resolve_grid_cases(
    residents: Residents, treasury: Treasury, coef: Coefficients, key: np.uint64, step: int
) -> int:
    """The grid's cases of this step are resolved, in a random order, while the budget can pay.

    Each case's weightiest need is resolved at its cost
    (:func:`~model.submodels.livelihood.resolve_weightiest`); the marks are
    cleared. Serial, because the budget is shared.

    Returns:
        How many needs were resolved.
    """
    r = residents
    cases = np.flatnonzero(r.grid_case)
    queue = np.empty(cases.size)
    for j in range(cases.size):
        queue[j] = uniform(key, step, GRID_QUEUE, cases[j])
    resolved = 0
    for position in np.argsort(queue):
        i = int(cases[position])
        r.grid_case[i] = False
        if resolve_weightiest(r, i, treasury, coef):
            resolved += 1
    return resolved


@jit
def detection_chance(detection_rate: float, staffing: float, households_per_cell: int) -> float:
    """Chance that one agency's staffer detects a watched resident in a step."""
    return min(1.0, detection_rate * staffing / households_per_cell)


@jit
def routine_visits(
    agencies: int, info_sharing: bool, staffing: float, households_per_cell: int
) -> float:
    """Routine visits each household bears per step: siloed agencies each come."""
    return (1 if info_sharing else agencies) * staffing / households_per_cell


@jit
def grid_detection(
    detect_draw: float, inform_draw: float, q: float, agencies: int, info_sharing: bool
) -> tuple[bool, bool]:
    """Whether a watched resident is detected, and whether the right agency knows.

    Each of ``agencies`` staffers detects independently with chance ``q``,
    so detection has chance ``1 - (1 - q)^agencies``. The agency that owns the
    resident's worst domain can act when information is shared, or, when
    agencies are siloed, only if its own staffer was among those who
    detected: chance ``q`` in all, ``q / (1 - (1 - q)^agencies)`` given
    detection. Two draws per resident reproduce exactly these chances,
    whatever the number of agencies, so that runs differing only in levers
    share their random numbers.
    """
    seen = 1.0 - (1.0 - q) ** agencies
    detected = detect_draw < seen
    if not detected:
        return False, False
    if info_sharing:
        return True, True
    return True, inform_draw * seen < q
