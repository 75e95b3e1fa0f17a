"""Mesa agents for the few: cadres (and, later, social organizations).

Cadres are tens to thousands and each follows its own evaluation, so they
are Mesa agents; residents are millions and live in arrays
(:mod:`model.population`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from model.jit import jit
from model.types import BoolArray, FloatArray

if TYPE_CHECKING:
    from model.model import SocialManagementModel


class Cadre(mesa.Agent):  # type: ignore[misc]
    """An official serving one district.

    Each step a cadre can handle ``capacity`` residents, split between
    control (watching, intercepting, arresting) and service (answering
    petitions, resolving problems). Its ``control_share`` and ``tolerance``
    start at the regime's levers.

    Args:
        model: The model the cadre belongs to.
        district: The district it serves.
        capacity: Residents it can handle per step.
        control_share: Share of its effort spent on control.
        tolerance: Chance it accepts a petition it handles.
    """

    def __init__(
        self,
        model: SocialManagementModel,
        district: int,
        capacity: float,
        control_share: float,
        tolerance: float,
    ) -> None:
        super().__init__(model)
        self.district = district
        self.capacity = capacity
        self.control_share = control_share
        self.tolerance = tolerance

    @property
    def control_effort(self) -> float:
        """Residents it can reach through control this step."""
        return self.capacity * self.control_share

    @property
    def service_effort(self) -> float:
        """Residents it can serve this step."""
        return self.capacity * (1.0 - self.control_share)

    def adapt(
        self,
        *,
        incentive: str,
        had_incident: bool,
        trust_fell: bool,
        rate: float,
        ceiling_tolerance: float,
    ) -> None:
        """Shift effort and tolerance toward what the cadre is judged by.

        ``stability_veto`` (judged by recorded incidents, the "one-vote veto"):
        after an incident in its district the cadre moves effort to control
        and accepts fewer petitions. ``satisfaction`` (judged by residents'
        trust): when trust falls it moves effort to service and accepts more
        petitions, up to the regime's own tolerance ceiling. ``fixed``: no
        change. This lets Errors 1 and 4 grow from evaluation, not only from
        a fixed setting (MODEL.md section 4, Cadre incentives).
        """
        if incentive == "stability_veto" and had_incident:
            self.control_share += rate * (1.0 - self.control_share)
            self.tolerance -= rate * self.tolerance
        elif incentive == "satisfaction" and trust_fell:
            self.control_share -= rate * self.control_share
            self.tolerance += rate * (max(ceiling_tolerance, self.tolerance) - self.tolerance)


ORGANIZATION_KINDS = ("service", "mediation", "neighbourhood")
"""Kinds of social organization; ``mediation`` includes rights advocacy."""
ADVOCACY = ORGANIZATION_KINDS.index("mediation")


@jit
def clear_organization(
    alignment: FloatArray, autonomy: FloatArray, capacity: FloatArray, alive: BoolArray, uid: int
) -> None:
    """Empty organization ``uid``'s row of the table's columns: the one rule.

    Compiled, so that the compiled end of the week can close organizations
    in the same way as :meth:`OrganizationTable.remove`.
    """
    alignment[uid] = autonomy[uid] = capacity[uid] = 0.0
    alive[uid] = False


class OrganizationTable:
    """The traits of every organization, by id, as arrays.

    This is the one home of organization state: vectorized submodels read
    and update whole columns (drift, closure, lookups by each resident's
    ``org``), and each :class:`SocialOrganization` agent is a handle onto its
    row. Index ``-1`` (no organization) always reads the last row, which is
    kept empty, so ``table.alignment[org]`` is 0 for non-members.
    """

    def __init__(self, size: int = 64) -> None:
        self.alignment = np.zeros(size)
        self.autonomy = np.zeros(size)
        self.capacity = np.zeros(size)
        self.kind = np.zeros(size, dtype=np.int8)
        self.alive = np.zeros(size, dtype=bool)

    def add(self, uid: int, kind: int, capacity: float, autonomy: float) -> None:
        """Give organization ``uid`` its row (growing the table if needed)."""
        if uid >= self.alive.size - 1:
            grow = max(self.alive.size, uid + 2)
            for name in ("alignment", "autonomy", "capacity", "kind", "alive"):
                old = getattr(self, name)
                new = np.zeros(old.size + grow, dtype=old.dtype)
                new[: old.size - 1] = old[:-1]
                setattr(self, name, new)
        self.alignment[uid], self.autonomy[uid], self.capacity[uid] = 1.0, autonomy, capacity
        self.kind[uid], self.alive[uid] = kind, True

    def remove(self, uid: int) -> None:
        """Empty the row of a closed or dissolved organization."""
        clear_organization(self.alignment, self.autonomy, self.capacity, self.alive, uid)

    @property
    def ids(self) -> np.ndarray:
        """Ids of the organizations alive now."""
        return np.flatnonzero(self.alive)


class SocialOrganization(mesa.Agent):  # type: ignore[misc]
    """A social organization founded by residents during a run.

    Its members are the residents whose ``org`` equals its ``unique_id``
    (membership has one home, the resident array); its traits live in the
    model's :class:`OrganizationTable`, read through the properties below.

    Args:
        model: The model it belongs to.
        kind: One of :data:`ORGANIZATION_KINDS`.
        capacity: Most members it can serve.
        autonomy: 1 - dependence on government funds; a dependent
            organization is seen as an arm of government and mediates less.
    """

    def __init__(
        self, model: SocialManagementModel, kind: str, capacity: float, autonomy: float
    ) -> None:
        super().__init__(model)
        self.table: OrganizationTable = model.org_table
        self.table.add(self.unique_id, ORGANIZATION_KINDS.index(kind), capacity, autonomy)

    @property
    def kind(self) -> str:
        """Service, mediation (and advocacy) or neighbourhood."""
        return ORGANIZATION_KINDS[int(self.table.kind[self.unique_id])]

    @property
    def alignment(self) -> float:
        """Alignment with its mission, 1 at founding."""
        return float(self.table.alignment[self.unique_id])

    @property
    def autonomy(self) -> float:
        """1 - dependence on government support."""
        return float(self.table.autonomy[self.unique_id])

    @property
    def capacity(self) -> float:
        """Most members it can serve."""
        return float(self.table.capacity[self.unique_id])

    @property
    def advocates(self) -> bool:
        """Whether it defends members' rights (the kind a restrictive regime closes)."""
        return self.kind == "mediation"

    def remove(self) -> None:
        """Close or dissolve: free its row, then leave the model."""
        self.table.remove(self.unique_id)
        super().remove()
