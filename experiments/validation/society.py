"""Society's organizations and the grid, against their documented scale (EVIDENCE 4, 6).

- Registered social organizations: 3.4-3.7 per 10,000 residents in
  2010-2012 (Ministry of Civil Affairs), about 11 per 10,000 households at
  three persons a household. The baseline regime must produce a density of
  the same order (within a factor of two) after five years. The founding
  rate is calibrated to it (docs/calibration.md), so this check, on other
  seeds, tests that the calibration holds.
- Grid staffing: 160-255 households per grid leader in a typical
  community (4,839 households in 21 grids). The grid that a model of the
  service grid regime actually builds, one leader per cell, must lie in
  that range.

Each has a negative control: with no organization ever approved there is
none to count, and the fine siloed grid of Error 6 is far finer than the
documented one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from experiments.calibrate import HOUSEHOLD_SIZE
from experiments.intervals import bootstrap_interval, bootstrap_seed
from experiments.validation.registry import CheckContext, CheckResult, check, interval_words
from experiments.validation.runs import CITIES, Run, run_all, seeds_for

CIVIL_AFFAIRS = "Ministry of Civil Affairs bulletins 2010-2012"
GRID = "EVIDENCE 6: a community of 4,839 households in 21 grids"

COMMUNITY = 4_839
"""Households of the documented community (EVIDENCE 6): the grid is built for it."""

GRID_LOW, GRID_HIGH = 160, 255
"""Documented households per grid leader."""

GRID_SHARE = 0.9
"""Least share of households that must live in cells of the documented size.

Cells are cut to the regime's size in order, so the last one holds what is
left over; the share leaves room for it (and for one city-sized rounding).
"""


@check("organization_density", pattern="E4",
       title="Social organizations per 10,000 households of China's order (baseline)",
       source=CIVIL_AFFAIRS)  # fmt: skip
def organization_density(context: CheckContext) -> CheckResult:
    """The baseline regime after five years, on seeds the calibration did not use."""
    residents, count = context.size((5_000, 2), (10_000, CITIES))
    results = run_all(
        [Run("baseline", residents, 260)] * count,
        seeds_for(context.seed, count, stream="organization_density"),
        world=context.world,
    )
    by_city = [float(r.table["organizations_per_10k"].iloc[-1]) for r in results]
    density = float(np.mean(by_city))
    low, high = bootstrap_interval(by_city, seed=bootstrap_seed(context.seed))
    target = 3.55 * HOUSEHOLD_SIZE
    accepted = (target / 2, target * 2)
    return CheckResult(
        f"{density:.1f} organizations per 10,000 households after five years "
        f"({interval_words(low, high, over='cities', spec='.1f')}; {count} runs "
        f"of {residents:,} households)",
        f"{target:.1f} per 10,000 households (3.4-3.7 per 10,000 people), within a factor of two",
        bool(accepted[0] <= density <= accepted[1]),
        value=density,
        interval=(low, high),
        accepted=accepted,
    )


@check("organization_density_control", pattern="E4",
       title="Negative control: with no application approved there are no organizations",
       source=CIVIL_AFFAIRS, controls="organization_density")  # fmt: skip
def organization_density_control(context: CheckContext) -> CheckResult:
    """The baseline with ``org_openness = 0``: the density must be exactly zero.

    Why it is natural: an organization exists only once the authorities
    approve a founder's application, with probability ``org_openness``
    (``model.submodels.organizations``), and the city starts with none. With
    approval closed, any organization counted would come from a leak in the
    mechanism or in the count, which the density check alone could not see.
    Reduced size: one run of 2,000 households (the answer does not depend
    on size or seed).
    """
    residents, count = context.size((2_000, 1), (10_000, 2))
    runs = [Run("baseline", residents, 260, {"org_openness": 0.0})] * count
    results = run_all(
        runs, seeds_for(context.seed, count, stream="organization_density"), world=context.world
    )
    most = max(int(r.table["organizations"].max()) for r in results)
    density = float(np.mean([r.table["organizations_per_10k"].iloc[-1] for r in results]))
    table = pd.DataFrame(
        {
            "run": np.arange(count),
            "most_organizations": [int(r.table["organizations"].max()) for r in results],
            "organizations_per_10k_after_five_years": [
                float(r.table["organizations_per_10k"].iloc[-1]) for r in results
            ],
        }
    )
    return CheckResult(
        f"at most {most} organizations in any week; {density:.1f} per 10,000 households after "
        f"five years ({count} run(s) of {residents:,} households, org_openness 0)",
        "no organization at any time (the density pattern absent)",
        most == 0,
        value=density,
        details=table,
    )


def realised_grid(regime: str, residents: int, seed: int) -> pd.DataFrame:
    """The grid cells of a freshly built model of ``regime``, one row per cell.

    Measured on the model, not read from the regime's lever: the cells are
    whatever :func:`model.submodels.grid.assign_cells` made of the city's
    residents (``model.residents.cell``), one household per resident and one
    grid leader per cell, so a change in how cells are cut shows here.

    Returns:
        ``cell``, ``households`` and ``households_per_leader`` of each cell
        (empty when the regime runs no grid).
    """
    from model import SocialManagementModel  # noqa: PLC0415 (heavy; only when a check runs)

    model = SocialManagementModel(regime, n_residents=residents, rng=seed)
    cell = model.residents.cell
    households = np.bincount(cell[cell >= 0]) if (cell >= 0).any() else np.zeros(0, np.int64)
    leaders = np.ones_like(households)
    return pd.DataFrame(
        {
            "city_households": residents,
            "cell": np.arange(households.size),
            "households": households,
            "households_per_leader": households / np.maximum(leaders, 1),
        }
    )


def _grid_sizes(context: CheckContext) -> Sequence[int]:
    """The documented community, and in the full battery also a city of 10,000."""
    return context.size((COMMUNITY,), (COMMUNITY, 10_000))


def _grid(context: CheckContext, regime: str, name: str) -> tuple[CheckResult, bool]:
    """Measure the realised grid of ``regime``; whether it lies in the documented range.

    Returns:
        The result as the check states it (its ``passed`` is whether the
        grid is of the documented size) and that verdict.
    """
    cities = _grid_sizes(context)
    seeds = seeds_for(context.seed, len(cities), stream="grid_staffing")
    table = pd.concat(
        [realised_grid(regime, n, s) for n, s in zip(cities, seeds, strict=True)],
        ignore_index=True,
    )
    per_leader = table["households_per_leader"].to_numpy(dtype=float)
    if per_leader.size == 0:
        return CheckResult(
            f"no grid cells in a model of {regime}",
            f"{GRID_LOW}-{GRID_HIGH} households per grid leader",
            False,
            details=table,
        ), False
    inside = (per_leader >= GRID_LOW) & (per_leader <= GRID_HIGH)
    share = float(table["households"].to_numpy()[inside].sum() / table["households"].sum())
    mean = float(per_leader.mean())
    documented = bool(GRID_LOW <= mean <= GRID_HIGH and share >= GRID_SHARE)
    _plot_grid(per_leader, context.figure_path(name), regime)
    result = CheckResult(
        f"{mean:.1f} households per grid leader on average (sd {per_leader.std():.1f}, "
        f"{per_leader.min():.0f}-{per_leader.max():.0f}) over {per_leader.size} cells of the "
        f"model of {regime} for {' and '.join(f'{n:,}' for n in cities)} households; "
        f"{share:.0%} of households in cells of {GRID_LOW}-{GRID_HIGH}",
        f"{GRID_LOW}-{GRID_HIGH} households per grid leader on average, with at least "
        f"{GRID_SHARE:.0%} of households in cells of that size",
        documented,
        value=mean,
        details=table,
    )
    return result, documented


def _plot_grid(per_leader: np.ndarray, path: Path, regime: str) -> Path:
    """Histogram of households per grid leader, the documented range shaded."""
    fig = Figure(figsize=(6, 3.6), layout="constrained")
    ax = fig.add_subplot()
    ax.axvspan(GRID_LOW, GRID_HIGH, color="0.9", label="documented range")
    high = max(float(per_leader.max()), GRID_HIGH) * 1.05
    ax.hist(per_leader, bins=40, range=(0.0, high), color="C0", label="cells")
    ax.set_xlabel("households per grid leader (one leader per cell)")
    ax.set_ylabel("cells")
    ax.set_title(f"Realised grid of {regime}")
    ax.legend(fontsize="small")
    fig.savefig(path, dpi=120)
    return path


@check("grid_staffing", pattern="E6",
       title="The service grid's cells hold 160-255 households per grid leader",
       source=GRID)  # fmt: skip
def grid_staffing(context: CheckContext) -> CheckResult:
    """The cells a model of the service grid regime builds, one leader per cell.

    The documented range is a mean over grids of one community, so the
    check takes the mean over the realised cells and asks that nearly all
    households (:data:`GRID_SHARE`) live in cells of the documented size.
    """
    result, _ = _grid(context, "service_grid", "grid_staffing")
    return result


@check("grid_staffing_control", pattern="E6",
       title="Negative control: the fine siloed grid is outside 160-255 households per leader",
       source=GRID, controls="grid_staffing")  # fmt: skip
def grid_staffing_control(context: CheckContext) -> CheckResult:
    """The same measurement on the fine siloed grid of Error 6; passes when it is off range.

    Why it is natural: Error 6 is grid management abused by cutting the
    city into cells of about ten households, so the realised grid of
    ``fine_siloed_grid`` must fall outside the documented range. Were it to
    pass the staffing check too, that check would not tell the remedy's
    grid from the error's.
    """
    result, documented = _grid(context, "fine_siloed_grid", "grid_staffing_control")
    return CheckResult(
        result.measured,
        f"outside {GRID_LOW}-{GRID_HIGH} households per grid leader (the staffing pattern absent)",
        not documented and bool(len(result.details)),
        value=result.value,
        details=result.details,
    )
