"""Society's organizations and the grid, against their documented scale (EVIDENCE 4, 6).

- Registered social organizations: 3.4-3.7 per 10,000 residents in
  2010-2012 (Ministry of Civil Affairs), about 11 per 10,000 households at
  three persons a household. The baseline regime must produce a density of
  the same order (within a factor of two) after five years. The founding
  rate is calibrated to it (docs/calibration.md), so this check, on other
  seeds, tests that the calibration holds.
- Grid staffing: 160-255 households per grid leader in a typical
  community (4,839 households in 21 grids). The service grid's cell must
  lie in that range.
"""

from __future__ import annotations

import numpy as np

from experiments.calibrate import HOUSEHOLD_SIZE
from experiments.validation.registry import CheckContext, CheckResult, check
from experiments.validation.runs import Run, run_all, seeds_for
from model import REGIMES

CIVIL_AFFAIRS = "Ministry of Civil Affairs bulletins 2010-2012"
GRID = "EVIDENCE 6: a community of 4,839 households in 21 grids"


@check("organization_density", pattern="E4",
       title="Social organizations per 10,000 households of China's order (baseline)",
       source=CIVIL_AFFAIRS)  # fmt: skip
def organization_density(context: CheckContext) -> CheckResult:
    """The baseline regime after five years, on seeds the calibration did not use."""
    residents, count = context.size((5_000, 2), (10_000, 6))
    results = run_all([Run("baseline", residents, 260)] * count, seeds_for(context.seed, count))
    density = float(np.mean([r.table["organizations_per_10k"].iloc[-1] for r in results]))
    target = 3.55 * HOUSEHOLD_SIZE
    return CheckResult(
        f"{density:.1f} organizations per 10,000 households after five years ({count} runs of "
        f"{residents:,} households)",
        f"{target:.1f} per 10,000 households (3.4-3.7 per 10,000 people), within a factor of two",
        bool(target / 2 <= density <= target * 2),
        value=density,
    )


@check("grid_staffing", pattern="E6",
       title="The service grid's cells hold 160-255 households per grid leader",
       source=GRID)  # fmt: skip
def grid_staffing(context: CheckContext) -> CheckResult:
    """The households per cell (one leader per cell) of the service grid regime."""
    levers = REGIMES["service_grid"].resolve()
    per_leader = levers.grid_cell_households
    return CheckResult(
        f"{per_leader} households per grid leader in the service grid",
        "160-255 households per grid leader",
        bool(160 <= per_leader <= 255),
        value=float(per_leader),
    )
