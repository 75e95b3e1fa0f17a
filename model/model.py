"""``SocialManagementModel``: wiring, the step, and the DataCollector.

The model owns the state: the resident arrays
(:class:`~model.population.Residents`), the network, the organization
table, the Mesa agents (cadres) and what they do per district. Each step
runs the week of :mod:`model.schedule` (the processes of ODD.md section 3,
in order), lets the cadres adapt and records the outcomes. The model sets
no outcome itself: a regime only chooses lever values, and the processes
do the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, NamedTuple

import mesa
import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from model.cadres import Cadre, Districts, cadres_per_district, district_effort
from model.draws import run_key
from model.neighbourhood import network_of
from model.network import build_network, from_networkx
from model.outcomes import (
    OUTCOMES,
    TALLY_SIZE,
    Incidents,
    Tally,
    as_tally,
    gini,
    mass_incidents,
    tally_residents,
)
from model.params import (
    Coefficients,
    Levers,
    ParameterError,
    Params,
    as_dict,
    coefficients,
    split_overrides,
)
from model.population import DOMAINS, Residents, check_invariants, initial_population
from model.regimes import regime as find_regime
from model.schedule import partition_for, week
from model.submodels.grid import Grid, assign_cells, grid_cost
from model.submodels.grievance import start_settled
from model.submodels.livelihood import (
    GOVERNANCE,
    STABILITY,
    TARGETED,
    Planner,
    Relief,
    Treasury,
    assess_hardship,
    planner_lens,
    treasury,
)
from model.submodels.organizations import Organizations, empty_table
from model.submodels.petitions import (
    LEVELS,
    LOCAL,
    PLACES_SETTLED,
    SETTLED_ABOVE,
    SETTLED_LOCALLY,
    PetitionReport,
)
from model.submodels.reinforcement import send_reinforcements
from model.types import FloatArray, IntArray


def _read_outcome(name: str, model: SocialManagementModel) -> float:
    return model.outcomes[name]


class OutcomeCollector(mesa.DataCollector):  # type: ignore[misc]
    """Mesa's DataCollector, recording the model's outcome floats without copies.

    The reporters are Mesa's (one per outcome, read from ``model.outcomes``)
    and so is every table; only ``collect`` skips the deep copy Mesa makes of
    each value in case it is mutable. The outcomes are floats, and the copy
    costs about a tenth of a step at 2,000 residents.
    """

    def collect(self, model: SocialManagementModel) -> None:
        """Append this step's value of every outcome."""
        if hasattr(self, "_collection_steps"):
            self._collection_steps.append(model.time)
        outcomes = model.outcomes
        for name, values in self.model_vars.items():
            values.append(outcomes[name])


class SocialManagementModel(mesa.Model):  # type: ignore[misc]
    """Residents, cadres and a regime, on a social network.

    Args:
        regime: Name of a regime in :data:`model.REGIMES`.
        n_residents: Number of residents (default: the declared default);
            ignored when ``graph`` is given.
        rng: Seed or numpy Generator; the run's only source of randomness.
        graph: Optional networkx graph to use as the social network; its
            nodes become residents 0..n-1, in sorted order when their labels
            can be sorted (:func:`~model.network.from_networkx`).
        check: Check every state invariant after each step (slow; for tests).
        scenario: A Mesa ``Scenario``, accepted for Mesa's own tools; only
            its ``rng`` is used, when ``rng`` is not given.
        **overrides: Any parameter or lever by name, e.g. ``tolerance=0.8``.

    Raises:
        ParameterError: An unknown name (with the closest valid one) or a
            value out of its bounds.
    """

    def __init__(
        self,
        regime: str = "baseline",
        n_residents: int | None = None,
        rng: Any = None,
        *,
        graph: nx.Graph | None = None,
        check: bool = False,
        scenario: Any = None,
        **overrides: Any,
    ) -> None:
        # Mesa's SolaraViz resets a model by calling its class with the
        # model's keyword arguments plus a default ``scenario``; its seed is
        # the one that counts, unless ``rng`` is given explicitly.
        if rng is None and scenario is not None:
            rng = getattr(scenario, "rng", None)
        super().__init__(rng=rng)
        adjacency: sp.csr_array | None = None
        if graph is not None:
            adjacency = from_networkx(graph)
            n_residents = adjacency.shape[0]
        if n_residents is not None:
            overrides = {**overrides, "n_residents": n_residents}
        world, policy = split_overrides(overrides)
        self.regime_name = regime
        self.params: Params = Params(**world)
        self.levers: Levers = find_regime(regime).resolve(**policy)
        self.check = check
        p, lv = self.params, self.levers

        self.residents: Residents = initial_population(
            p.n_residents,
            n_districts=p.n_districts,
            initial_legitimacy=p.initial_legitimacy,
            legitimacy_spread=p.legitimacy_spread,
            initial_need=p.initial_need,
            need_weight_concentration=p.need_weight_concentration,
            voice_expectation=p.initial_voice_expectation,
            rng=self.rng,
        )
        if adjacency is None:
            adjacency = build_network(
                p.network,
                p.n_residents,
                mean_degree=p.mean_degree,
                long_range_share=p.long_range_share,
                position=self.residents.position,
                rng=self.rng,
            )
        self.adjacency: sp.csr_array = sp.csr_array(adjacency)
        self.network = network_of(self.adjacency)
        district_size = np.bincount(self.residents.district, minlength=p.n_districts).astype(
            np.float64
        )

        # Cadres in proportion to each district's population, at least one
        # per district with residents (cadres.cadres_per_district).
        count, capacity = cadres_per_district(district_size, p)
        for district in range(p.n_districts):
            for _ in range(count[district]):
                Cadre(
                    self,
                    district=district,
                    capacity=float(capacity[district]),
                    control_share=lv.control_share,
                    tolerance=lv.tolerance,
                )
        self.outside_forces: FloatArray = np.zeros(p.n_districts)
        self.districts: Districts = district_effort(
            self.cadres, district_size, p, lv, self.outside_forces
        )
        self._effort = _effort_totals(self.districts)

        self.planner = Planner(planner_lens(len(DOMAINS), p.planner_bias, self.rng))
        cell, n_cells = assign_cells(self.residents.position, lv.grid_cell_households)
        self.residents.cell[:] = cell
        grid_full_cost, self.grid_duplication = grid_cost(
            n_cells, lv.grid_agencies, lv.grid_info_sharing, p.grid_staff_cost, p.grid_platform_cost
        )
        budget = lv.livelihood_budget * p.n_residents
        # The grid is paid first, from the livelihood budget; a grid the
        # budget cannot pay in full is staffed in proportion, and one that
        # costs nothing is fully staffed.
        self.treasury: Treasury = treasury(budget, grid_full_cost)
        staffing = self.treasury.fixed_costs / grid_full_cost if grid_full_cost else 1.0
        self.grid = Grid(n_cells, staffing, np.zeros(max(n_cells, 1), dtype=np.bool_))
        self.coef: Coefficients = coefficients(p, lv)
        self.partition = partition_for(p.n_residents)
        # Every random draw after set-up is a function of this key and the
        # draw's coordinates (model.draws): exact common random numbers.
        self.key = run_key(self.rng)
        self.organizations: Organizations = empty_table()
        self.incident_steps = 0
        self.first_incident: float = float("nan")
        assess_hardship(self.residents, 0, p.n_residents)
        self.residents.aspiration[:] = self.residents.hardship
        start_settled(self.residents, self.coef)
        sums = np.zeros(TALLY_SIZE)
        tally_residents(self.residents, self.coef, 0, p.n_residents, sums)
        incidents = mass_incidents(self.residents, self.network, p.n_districts, p.incident_min_size)
        self.outcomes: dict[str, float] = {}
        self._measure(as_tally(sums), incidents, None, None, gini(self.residents.grievance))
        self.datacollector = OutcomeCollector(
            model_reporters={name: partial(_read_outcome, name) for name in OUTCOMES}
        )
        self.datacollector.collect(self)

    @property
    def parameters(self) -> dict[str, Any]:
        """Every parameter and lever value in force, flat, by name."""
        return as_dict(self.params, self.levers)

    @property
    def cadres(self) -> list[Cadre]:
        """The model's cadres (Mesa agents)."""
        return list(self.agents_by_type.get(Cadre, []))

    def step(self) -> None:
        """One week: the processes of ODD.md section 3, in order.

        The residents' and organizations' processes, with the sums behind
        the outcomes, run as one composition (:func:`model.schedule.week`);
        then the outcomes are measured (process 10), higher levels send
        forces where crowds outgrew a district's control and the cadres,
        Mesa agents, adapt to what they are judged by (process 11), and the
        DataCollector records the outcomes.
        """
        incentive = self.levers.cadre_incentive
        trust_before = self._district_mean_legitimacy() if incentive != "fixed" else None
        result = week(
            self.residents,
            self.network,
            self.districts,
            self.organizations,
            self.grid,
            self.planner,
            self.treasury,
            self.coef,
            self.key,
            self.steps,
            self.partition,
        )
        self.organizations = result.organizations
        self._measure(
            result.tally, result.incidents, result.relief, result.petitions, result.grievance_gini
        )
        # Forces are called by this step's incidents and withdraw step by step
        # after them: while any are called or present, the effort changes.
        forces_at_work = bool(result.incidents.number or self.outside_forces.any())
        if forces_at_work:
            self.outside_forces = send_reinforcements(
                self.outside_forces,
                result.incidents.protesters_by_district,
                self.districts.arrest_capacity,
                reinforcement=self.params.reinforcement,
                withdrawal=self.params.reinforcement_withdrawal,
            )
        if trust_before is not None:
            marks = result.incidents.protesters_by_district + result.petitions.upward
            self._adapt_cadres(trust_before, marks)
        if trust_before is not None or forces_at_work:
            self._gather_effort()
        self.datacollector.collect(self)
        if self.check:
            check_invariants(self.residents)

    def _district_mean_legitimacy(self) -> FloatArray:
        r = self.residents
        total = np.bincount(r.district, weights=r.legitimacy, minlength=self.params.n_districts)
        return total / np.maximum(self.districts.size, 1.0)

    def _adapt_cadres(self, trust_before: FloatArray, marks: IntArray) -> None:
        """Process 11: each cadre adapts to its district's marks or trust.

        A district's marks are its protesters in mass incidents and its
        petitions taken up above it this step.
        """
        trust_fell = self._district_mean_legitimacy() < trust_before
        for cadre in self.cadres:
            cadre.adapt(
                incentive=self.levers.cadre_incentive,
                had_incident=bool(marks[cadre.district]),
                trust_fell=bool(trust_fell[cadre.district]),
                rate=self.params.adapt_rate,
                turnover=self.params.staff_turnover,
            )

    def _gather_effort(self) -> None:
        """The districts' effort after cadres adapted or forces came or left, and its cost.

        The stability staff the cadres hired are paid from the livelihood
        budget from the next step on; the forces higher levels send are
        paid from above (the People's Armed Police has its own budget).
        """
        self.districts = district_effort(
            self.cadres, self.districts.size, self.params, self.levers, self.outside_forces
        )
        self._effort = _effort_totals(self.districts)
        staff = sum(cadre.hired for cadre in self.cadres)
        self.treasury = self.treasury._replace(
            staff_costs=min(staff * self.params.stability_staff_cost, self.treasury.budget)
        )

    def _measure(
        self,
        tally: Tally[float],
        incidents: Incidents,
        relief: Relief | None,
        petitions: PetitionReport | None,
        grievance_gini: float,
    ) -> None:
        """This step's outcomes (ODD.md, Observation), by name.

        ``relief`` and ``petitions`` are ``None`` for the initial state.
        The step's incidents are kept (``incidents``) for what an outcome
        cannot hold: the size of each one.
        """
        self.incidents = incidents
        if self.steps > 0 and incidents.number:
            self.incident_steps += 1
            if np.isnan(self.first_incident):
                self.first_incident = float(self.steps)
        n = max(self.residents.size, 1)
        accounts = self.treasury.accounts.tolist()
        settled = petitions.settled.tolist() if petitions else [0.0] * PLACES_SETTLED
        by_level = petitions.by_level.tolist() if petitions is not None else [0.0] * LEVELS
        settled_locally = settled[SETTLED_LOCALLY]
        settled_anywhere, filed = settled_locally + settled[SETTLED_ABOVE], sum(by_level)
        alive = float(np.count_nonzero(self.organizations.alive))
        self.outcomes = {
            "mean_legitimacy": tally.legitimacy / n,
            "mean_grievance": tally.grievance / n,
            "hidden_grievance": tally.hidden_grievance / n,
            "share_petitioning": tally.petitioning / n,
            "share_protesting": tally.protesting / n,
            "share_detained": tally.detained / n,
            "mass_incidents": float(incidents.number),
            "largest_incident": incidents.largest,
            "incidents_per_10k": incidents.number * 10_000.0 / n,
            "district_incidents_per_10k": incidents.by_district * 10_000.0 / n,
            "small_protests_per_10k": incidents.small * 10_000.0 / n,
            "largest_incident_per_10k": incidents.largest * 10_000.0 / n,
            "stability": 1.0 - self.incident_steps / self.steps if self.steps else 1.0,
            "time_to_first_incident": self.first_incident,
            "control_spending": self._effort.control,
            "outside_forces": float(self.outside_forces.sum()),
            "service_spending": self._effort.service,
            "relief_spending": relief.spent if relief is not None else 0.0,
            "grid_cost": self.treasury.fixed_costs,
            "stability_staff_cost": accounts[STABILITY],
            "grid_duplication": self.grid_duplication,
            "targeted_spending": accounts[TARGETED],
            "governance_costs": accounts[GOVERNANCE],
            "share_settled_locally": (
                settled_locally / settled_anywhere if settled_anywhere else np.nan
            ),
            "share_petitions_upward": 1.0 - by_level[LOCAL] / filed if filed else np.nan,
            "organizations": alive,
            "organizations_per_10k": alive * 10_000.0 / n,
            "org_membership": tally.members / n,
            "mean_hardship": tally.hardship / n,
            "expectation_gap": tally.deprivation / n,
            "expected_return_to_voice": tally.voice_expectation / n,
            "allocation_mismatch": relief.mismatch if relief is not None else 0.0,
            "grievance_gini": grievance_gini,
        }

    def outcome_values(self, names: Sequence[str] = OUTCOMES) -> FloatArray:
        """The per-step values of the named outcomes, (steps + 1, names), from step 0.

        The numbers of :meth:`outcome_table` without the table, for callers
        that reduce thousands of runs to a few numbers each.
        """
        columns = self.datacollector.model_vars
        return np.array([columns[name] for name in names], dtype=np.float64).T

    def outcome_table(self) -> pd.DataFrame:
        """The per-step outcomes, one row per step from 0, indexed by ``step``."""
        table = pd.DataFrame(self.datacollector.get_model_vars_dataframe())
        table.index.name = "step"
        return table


class Effort(NamedTuple):
    """The cadres' effort in all districts, behind the spending outcomes.

    Attributes:
        control: Effort on control: arrests, interception and prevention.
        service: Effort on service: handling petitions.
    """

    control: float
    service: float


def _effort_totals(districts: Districts) -> Effort:
    """The cadres' control and service effort in all districts (the spending outcomes)."""
    control = districts.arrest_capacity.sum() + districts.prevention_capacity.sum()
    return Effort(float(control), float(districts.service_capacity.sum()))


def run_model(
    regime: str = "baseline",
    *,
    steps: int = 260,
    n_residents: int | None = None,
    seed: int = 0,
    **overrides: Any,
) -> SocialManagementModel:
    """Build one model from one seed and run it for ``steps`` steps.

    Raises:
        ParameterError: Bad names or values, or a negative number of steps.
    """
    if steps < 0:
        raise ParameterError(f"steps={steps} must be zero or more")
    model = SocialManagementModel(regime, n_residents, rng=seed, **overrides)
    if steps:
        model.run_for(steps)
    return model


def simulate(
    regime: str = "baseline",
    *,
    steps: int = 260,
    n_residents: int | None = None,
    seed: int = 0,
    **overrides: Any,
) -> pd.DataFrame:
    """Run one model and return its per-step outcome table.

    The convenience the experiments build on: one call, one seed, one table
    (:func:`run_model`, then :meth:`SocialManagementModel.outcome_table`).

    Raises:
        ParameterError: Bad names or values, or a negative number of steps.
    """
    model = run_model(regime, steps=steps, n_residents=n_residents, seed=seed, **overrides)
    return model.outcome_table()
