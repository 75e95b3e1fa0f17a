"""Small worlds for the process tests: the records a model run builds, in odd states.

The process tests call the compiled process functions of ``model.submodels``
exactly as the week does, on the records a real ``SocialManagementModel``
builds (so the set-up is the model's own), after scrambling the state so
that every branch of the rules has residents to act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from model import SocialManagementModel
from model.cadres import Districts
from model.neighbourhood import Network
from model.population import NO_ORGANIZATION, Residents, Stance
from model.submodels.grid import Grid
from model.submodels.livelihood import Planner, Treasury
from model.submodels.organizations import Organizations


@dataclass
class World:
    """The records of one model, for calling processes directly."""

    model: SocialManagementModel
    residents: Residents
    network: Network
    districts: Districts
    organizations: Organizations
    grid: Grid
    planner: Planner
    treasury: Treasury
    coef: Any
    key: np.uint64

    @property
    def n(self) -> int:
        return self.residents.size

    def dense(self) -> np.ndarray:
        """The adjacency as a dense 0/1 matrix (for reference computations)."""
        return (self.model.adjacency.toarray() > 0).astype(np.int64)


def world(
    regime: str = "baseline",
    n: int = 200,
    seed: int = 0,
    *,
    scramble: bool = True,
    organizations: int = 0,
    **overrides: Any,
) -> World:
    """A model's records; with ``scramble``, residents in every stance and state.

    Args:
        regime: The regime whose levers the records carry.
        n: Residents.
        seed: Seed of the model and of the scrambling.
        scramble: Give residents random grievance, trust, stances, terms,
            rebuffs and deterrence, and some injustice and experience.
        organizations: Found this many organizations (alive, of the kinds
            in turn: service, mediation, neighbourhood) and give each a few
            random members.
        **overrides: Parameters or levers.
    """
    m = SocialManagementModel(regime, n_residents=n, rng=seed, **overrides)
    r = m.residents
    rng = np.random.default_rng(seed + 1)
    if scramble:
        r.grievance[:] = rng.random(n)
        r.legitimacy[:] = rng.random(n)
        r.stance[:] = rng.choice(4, n, p=[0.4, 0.25, 0.25, 0.1])
        detained = r.stance == Stance.DETAINED
        r.detention_left[:] = np.where(detained, rng.integers(1, 5, n), 0)
        r.rebuffed_left[:] = np.where(rng.random(n) < 0.2, rng.integers(1, 5, n), 0)
        r.deterred_left[:] = np.where(rng.random(n) < 0.2, rng.integers(1, 5, n), 0)
        r.injustice[:] = rng.random(n) * 0.1
        r.experience[:] = rng.normal(0.0, 0.01, n)
    table = m.organizations
    for number in range(organizations):
        uid = int(table.next_id[0])
        table.next_id[0] += 1
        table.alignment[uid] = rng.uniform(0.3, 1.0)
        table.autonomy[uid] = rng.uniform(0.0, 1.0)
        table.capacity[uid] = 20.0
        table.kind[uid] = number % 3
        table.alive[uid] = True
        members = rng.choice(n, size=min(5, n), replace=False)
        r.org[members] = np.where(r.org[members] == NO_ORGANIZATION, uid, r.org[members])
    return World(m, r, m.network, m.districts, table, m.grid, m.planner, m.treasury, m.coef, m.key)


def copy_residents(residents: Residents) -> Residents:
    """An independent copy of every resident array."""
    return Residents(*(np.array(field, copy=True) for field in residents))


def changed_fields(before: Residents, after: Residents) -> set[str]:
    """The resident arrays that differ between two records."""
    return {
        name
        for name, a, b in zip(Residents._fields, before, after, strict=True)
        if not np.array_equal(a, b)
    }
