"""Cadres: Mesa agents for the few, and their effort as compiled code sees it.

Cadres are tens to thousands and each follows its own evaluation, so they
are Mesa agents (:class:`Cadre`); residents are many and live in arrays
(:mod:`model.population`). What the compiled processes need of the cadres
is their effort and tolerance summed per district: the :class:`Districts`
record, gathered from the agents by :func:`district_effort` at the start
and whenever cadres adapt (process 11).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

import mesa
import numpy as np

from model.params import Levers, Params
from model.types import FloatArray, IntArray

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
        self.hired = 0.0

    @property
    def control_effort(self) -> float:
        """Residents it can reach through control this step, hired stability staff included."""
        return self.capacity * self.control_share + self.hired

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
        turnover: float,
    ) -> None:
        """Process 11: shift effort and tolerance toward what the cadre is judged by.

        ``stability_veto`` (judged by recorded incidents and by petitions
        that reach above them, the "one-vote veto"; Minzner 2006): after such
        a mark in its district the cadre moves effort to control and accepts
        fewer petitions. ``satisfaction`` (judged by residents' trust): when
        its district's trust falls it moves effort to service and accepts
        more petitions. The two are symmetric, at the same rate: neither
        is built to do better. ``fixed``: no change. This lets Error 1 grow
        from evaluation, not only from a fixed setting.

        A cadre under the veto also hires stability staff after a mark
        (auxiliary police, informants: the "stability maintenance" budget
        that grew with incidents until it passed defence in 2010; Yu
        Jianrong 2012): ``rate x capacity`` more control effort, paid from
        the livelihood budget (``stability_staff_cost``), of which a share
        ``turnover`` leaves every step, so the staff kept follows the rate
        of marks. Whether the staff it buys deters more than the relief it
        costs provokes is for the model to show.
        """
        self.hired *= 1.0 - turnover
        if incentive == "stability_veto" and had_incident:
            self.control_share += rate * (1.0 - self.control_share)
            self.tolerance -= rate * self.tolerance
            self.hired += rate * self.capacity
        elif incentive == "satisfaction" and trust_fell:
            self.control_share -= rate * self.control_share
            self.tolerance += rate * (1.0 - self.tolerance)


class Districts(NamedTuple):
    """The cadres' effort and stance per district, as the compiled processes read it.

    Attributes:
        size: Residents per district.
        arrest_capacity: Residents the district's control effort can reach
            per step to intercept or arrest (what prevention leaves of it,
            and the forces higher levels sent).
        prevention_capacity: Residents the control effort given to
            prevention at the source can look after per step.
        service_capacity: Residents the district's service effort serves per step.
        tolerance: Mean tolerance of the district's cadres (the regime's
            tolerance where a district has no cadre).
        arrest_probability: Probability that a protester the district's
            control reaches is arrested: the regime's ``repression`` for
            its own control, and for the forces sent from above
            ``repression`` moved a share ``forces_autonomy`` of the way to
            their own ``forces_repression``; averaged over the two by their
            share of the arrest capacity.
        control_in_view: Epstein's C for the district's residents: control
            effort per resident that would arrest (arrest capacity x
            arrest probability), times ``control_visibility``, the
            residents whose surroundings one notices (the network analogue
            of the cops within Epstein's vision radius).
        petition_risk: What residents expect a petition to bring: rejection,
            then detention, at the district cadres' own rates, unless rights
            protect petitioners: ``(1 - tolerance) x repression x (1 - rights)``.
    """

    size: FloatArray
    arrest_capacity: FloatArray
    prevention_capacity: FloatArray
    service_capacity: FloatArray
    tolerance: FloatArray
    arrest_probability: FloatArray
    control_in_view: FloatArray
    petition_risk: FloatArray


def district_effort(
    cadres: Iterable[Cadre],
    size: FloatArray,
    params: Params,
    levers: Levers,
    outside_forces: FloatArray,
) -> Districts:
    """Sum the cadres' control and service effort, and their tolerance, per district.

    ``outside_forces`` (control effort higher levels sent, per district:
    :mod:`model.submodels.reinforcement`) add to the arrest capacity, not
    to prevention: they come to disperse crowds. They arrest by the city's
    policy or by higher levels' own orders, as ``forces_autonomy`` weighs
    them: a tolerant city that calls them may see its crowds arrested.
    """
    n = size.size
    cadres = list(cadres)
    district = np.array([c.district for c in cadres], dtype=np.int64)
    control = np.array([c.control_effort for c in cadres], dtype=np.float64)
    service = np.array([c.service_effort for c in cadres], dtype=np.float64)
    tolerance = np.array([c.tolerance for c in cadres], dtype=np.float64)
    count = np.bincount(district, minlength=n)
    # float64 even without cadres (bincount of nothing is integer), so that
    # compiled processes always see the same types.
    control_capacity = np.bincount(district, weights=control, minlength=n).astype(float)
    service_capacity = np.bincount(district, weights=service, minlength=n).astype(float)
    mean_tolerance = np.bincount(district, weights=tolerance, minlength=n) / np.maximum(count, 1)
    district_tolerance = np.where(count > 0, mean_tolerance, levers.tolerance)
    repression = levers.repression
    arrest_capacity = control_capacity * (1.0 - levers.prevention) + outside_forces
    # Written as the city's repression plus the forces' departure from it,
    # so that forces following the city's policy (autonomy 0) leave every
    # figure exactly as it is without the choice.
    forces_departure = params.forces_autonomy * (params.forces_repression - repression)
    forces_share = outside_forces / np.maximum(arrest_capacity, 1e-12)
    arrest_probability = repression + forces_share * forces_departure
    return Districts(
        size=size,
        arrest_capacity=arrest_capacity,
        prevention_capacity=control_capacity * levers.prevention,
        service_capacity=service_capacity,
        tolerance=district_tolerance,
        arrest_probability=arrest_probability,
        control_in_view=arrest_probability
        * arrest_capacity
        / np.maximum(size, 1.0)
        * params.control_visibility,
        petition_risk=(1.0 - district_tolerance) * repression * (1.0 - levers.rights),
    )


def cadres_per_district(size: FloatArray, params: Params) -> tuple[IntArray, FloatArray]:
    """How many cadres each district has, and the capacity of each.

    Effort is in proportion to population (``cadres_per_1000`` x
    ``cadre_capacity`` per 1,000 residents), so that effort per resident,
    and with it the dynamics, does not change with the size of the city;
    every district with residents has at least one cadre, who carries the
    district's whole effort when it is less than one cadre's (a district of
    a small city is served part time, not left without anyone).

    Returns:
        (cadres per district, capacity of each of them).
    """
    effort = size * params.cadres_per_1000 / 1000.0 * params.cadre_capacity
    count = np.where(
        (size > 0) & (effort > 0),
        np.maximum(np.rint(effort / max(params.cadre_capacity, 1e-12)), 1),
        0,
    )
    capacity = np.where(count > 0, effort / np.maximum(count, 1), 0.0)
    return count.astype(np.int64), capacity
