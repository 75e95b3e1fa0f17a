"""Process 7, ``grid_management`` (the article's Error 6).

The city is tiled into cells of about ``grid_cell_households`` households;
each of ``grid_agencies`` agencies staffs every cell with one staffer.
Staff detect residents whose grievance is above a watch level. In
``service`` mode a detected resident's weightiest need is resolved, if the
agency that owns that domain learns of it (always when information is
shared; only when that agency itself made the detection when agencies are
siloed). In ``control`` mode a detected resident gets a "stability visit":
it is deterred from protest for a while, at the price of intrusion and lost
trust. Every household also bears a baseline intrusion that grows as cells
shrink and as siloed agencies duplicate visits. The grid's cost comes out
of the service budget.

None of this says the grid is bad: fine cells detect more, and in service
mode resolve more. The article's warning emerges only where cost
duplication, unshared information and intrusion outweigh that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from model.jit import jit
from model.types import BoolArray, FloatArray, IntArray


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


def grid_cost(n_cells: int, agencies: int, staff_cost: float) -> float:
    """Cost of the grid per step: one staffer per agency per cell."""
    return n_cells * agencies * staff_cost


@dataclass(frozen=True)
class GridResult:
    """What the grid did this step (arrays of length n).

    Attributes:
        detected: Residents detected by at least one agency.
        resolved: Residents whose weightiest need the grid resolved (service).
        visited: Residents given a stability visit (control).
        visits_per_household: Routine visits each household bears per step
            (the baseline intrusion), the same for all.
    """

    detected: BoolArray
    resolved: BoolArray
    visited: BoolArray
    visits_per_household: float


def grid_management(
    grievance: FloatArray,
    *,
    households_per_cell: int,
    agencies: int,
    info_sharing: bool,
    mode: str,
    staffing: float,
    watch_level: float,
    detection_rate: float,
    rng: np.random.Generator,
) -> GridResult:
    """Detection, then service or control, and baseline intrusion.

    Each agency's staffer detects a watched resident with probability
    ``q = min(1, detection_rate x staffing / households_per_cell)``; with
    ``agencies`` agencies detection is ``1 - (1 - q)^agencies`` (see
    :func:`grid_detection`).

    Args:
        grievance: Grievance per resident.
        households_per_cell: Cell size (> 0: the grid is on).
        agencies: Agencies that each staff every cell.
        info_sharing: Whether agencies share what they learn.
        mode: ``service`` or ``control``.
        staffing: Share of the grid's staff the budget could pay, in [0, 1].
        watch_level: Grievance above which staff notice a resident.
        detection_rate: Residents one staffer can follow closely.
        rng: The run's random generator.

    Returns:
        A :class:`GridResult`.
    """
    n = grievance.shape[0]
    q = detection_chance(detection_rate, staffing, households_per_cell)
    draws = rng.random((2, n))
    detected = np.zeros(n, dtype=bool)
    informed = np.zeros(n, dtype=bool)
    watched = grievance > watch_level
    for i in np.flatnonzero(watched):
        detected[i], informed[i] = grid_detection(
            draws[0, i], draws[1, i], q, agencies, info_sharing
        )
    visits_per_household = routine_visits(agencies, info_sharing, staffing, households_per_cell)
    if mode == "service":
        return GridResult(detected, informed, np.zeros(n, dtype=bool), visits_per_household)
    return GridResult(detected, np.zeros(n, dtype=bool), detected, visits_per_household)


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


def collective_penalty(cell: IntArray, protesting: BoolArray, n_cells: int) -> BoolArray:
    """Households that share a grid cell with a protester (collective responsibility)."""
    if n_cells == 0:
        return np.zeros(cell.shape[0], dtype=bool)
    protest_cells = np.bincount(cell[protesting], minlength=n_cells) > 0
    return np.asarray(protest_cells[cell])
