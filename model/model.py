"""``SocialManagementModel``: wiring, the step, and the DataCollector.

The model owns the resident arrays (:class:`~model.population.Population`),
the network, and the Mesa agents (cadres); each step calls the submodels of
MODEL.md section 3 in order. The model sets no outcome itself: a regime only
chooses lever values, and the submodels do the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import mesa
import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from model.agents import (
    ADVOCACY,
    ORGANIZATION_KINDS,
    Cadre,
    OrganizationTable,
    SocialOrganization,
)
from model.draws import ORG_KIND, draws_at, run_key
from model.neighbourhood import Neighbourhood, mass_incidents
from model.network import build_network, from_networkx
from model.outcomes import OUTCOMES, gini, tally
from model.params import Levers, ParameterError, Params, as_dict, split_overrides
from model.population import DOMAINS, Population, Stance, initial_population
from model.regimes import regime as find_regime
from model.schedule import (
    chunks_for,
    coefficients,
    week_after_founding,
    week_until_founding,
)
from model.submodels.grid import assign_cells, grid_cost
from model.submodels.livelihood import planner_lens
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
            nodes, in iteration order, become residents 0..n-1.
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
        p = self.params

        self.population: Population = initial_population(
            p.n_residents,
            n_districts=p.n_districts,
            initial_legitimacy=p.initial_legitimacy,
            legitimacy_spread=p.legitimacy_spread,
            initial_need=p.initial_need,
            need_weight_concentration=p.need_weight_concentration,
            rng=self.rng,
        )
        if adjacency is None:
            adjacency = build_network(
                p.network,
                p.n_residents,
                mean_degree=p.mean_degree,
                long_range_share=p.long_range_share,
                position=self.population.position,
                rng=self.rng,
            )
        self.neighbours = Neighbourhood(adjacency)
        self.district_size = np.bincount(self.population.district, minlength=p.n_districts).astype(
            np.float64
        )

        # Cadres in proportion to each district's population, so that effort
        # per resident, and with it the dynamics, does not change with size.
        cadres = np.rint(self.district_size * p.cadres_per_1000 / 1000.0).astype(int)
        for district in range(p.n_districts):
            for _ in range(cadres[district]):
                Cadre(
                    self,
                    district=district,
                    capacity=p.cadre_capacity,
                    control_share=self.levers.control_share,
                    tolerance=self.levers.tolerance,
                )

        self.lens = planner_lens(len(DOMAINS), p.planner_bias, self.rng)
        cell, self.n_cells = assign_cells(
            self.population.position, self.levers.grid_cell_households
        )
        self.population.cell = cell
        self.grid_full_cost = grid_cost(self.n_cells, self.levers.grid_agencies, p.grid_staff_cost)
        self.grid_spent = min(self.grid_full_cost, self.levers.livelihood_budget * p.n_residents)
        # What the grid leaves of the budget goes to relief, every step.
        self.relief_budget = self.levers.livelihood_budget * p.n_residents - self.grid_spent
        # Marks of approved founders, rewritten for every resident each step.
        self._founder = np.zeros(p.n_residents, dtype=bool)
        # A grid that costs nothing is fully staffed.
        staffing = self.grid_spent / self.grid_full_cost if self.grid_full_cost else 1.0
        self.coef = coefficients(p, self.levers, self.n_cells, staffing)
        self.chunks = chunks_for(p.n_residents)
        # Every random draw after set-up is a function of this key and the
        # draw's coordinates (model.draws): exact common random numbers.
        self.key = run_key(self.rng)
        self.relief_spent = 0.0
        self.allocation_mismatch = 0.0
        self.org_table = OrganizationTable()
        # The organization agents by id, for closing them without a search.
        self._organizations: dict[int, SocialOrganization] = {}
        self.incident_districts: IntArray = np.zeros(p.n_districts, dtype=np.int64)
        self.incident_steps = 0
        self.first_incident: float = float("nan")
        self.control_capacity = np.zeros(p.n_districts)
        self.service_capacity = np.zeros(p.n_districts)
        self.control_spending = self.service_spending = 0.0
        self.district_tolerance = np.zeros(p.n_districts)
        self.control_in_view = np.zeros(p.n_districts)
        self.petition_risk = np.zeros(p.n_districts)
        self._gather_cadre_effort()
        self.outcomes: dict[str, float] = {}
        self._measure()
        self.datacollector = OutcomeCollector(
            model_reporters={name: partial(_read_outcome, name) for name in OUTCOMES}
        )
        self.datacollector.collect(self)

    @property
    def parameters(self) -> dict[str, Any]:
        """Every parameter and lever value in force, flat, by name."""
        return as_dict(self.params, self.levers)

    def _gather_cadre_effort(self) -> None:
        """Sum cadres' control and service effort, and tolerance, per district."""
        n = self.params.n_districts
        cadres = list(self.agents_by_type.get(Cadre, []))
        district = np.array([c.district for c in cadres], dtype=np.int64)
        control = np.array([c.control_effort for c in cadres], dtype=np.float64)
        service = np.array([c.service_effort for c in cadres], dtype=np.float64)
        tolerance = np.array([c.tolerance for c in cadres], dtype=np.float64)
        count = np.bincount(district, minlength=n)
        # float64 even without cadres (bincount of nothing is integer), so
        # that compiled passes always see the same types.
        self.control_capacity = np.bincount(district, weights=control, minlength=n).astype(float)
        self.service_capacity = np.bincount(district, weights=service, minlength=n).astype(float)
        self.control_spending = float(self.control_capacity.sum())
        self.service_spending = float(self.service_capacity.sum())
        mean_tolerance = np.bincount(district, weights=tolerance, minlength=n) / np.maximum(
            count, 1
        )
        # A district without cadres falls back on the regime's stated tolerance.
        self.district_tolerance = np.where(count > 0, mean_tolerance, self.levers.tolerance)
        # Control in view (Epstein's C): the district's control effort per
        # resident that would arrest (effort x repression), times the number
        # of residents whose surroundings one notices (control_visibility):
        # the network analogue of the cops within Epstein's vision radius.
        repression = self.levers.repression
        self.control_in_view = (
            repression
            * self.control_capacity
            / np.maximum(self.district_size, 1.0)
            * self.params.control_visibility
        )
        # What residents expect a petition to bring: interception, then
        # detention, at the district cadres' own rates.
        self.petition_risk = (1.0 - self.district_tolerance) * repression

    def step(self) -> None:
        """One week: the processes of MODEL.md section 3, in order.

        The resident side runs as the fused compiled passes of
        :mod:`model.schedule` (each calls the processes' own rules); the
        model does what concerns the few: the budget, organizations as
        agents, cadres, and the outcomes.
        """
        lv, pop, table = self.levers, self.population, self.org_table
        key, week, coef, chunks = self.key, self.steps, self.coef, self.chunks
        indptr, indices = self.neighbours.indptr, self.neighbours.indices

        # 1-7 and the founders' applications (8), as one composition of the
        # passes of model.schedule: terms run down; livelihood shocks;
        # relief from what the grid leaves of the budget; grievance; stance
        # (Epstein's rule with the protesting neighbours and the control in
        # view); petitions (safety valve or interception); protests (arrest
        # or dialogue) and the backlash among the neighbours of the victims;
        # collective responsibility; the grid; members leave; residents apply
        # to found organizations.
        founder = self._founder
        pop.stance, hardship, self.relief_spent, self.allocation_mismatch = week_until_founding(
            pop.need,
            pop.need_weight,
            pop.stance,
            pop.detention_left,
            pop.rebuffed_left,
            pop.deterred_left,
            pop.grievance,
            pop.legitimacy,
            pop.injustice,
            pop.experience,
            pop.risk_aversion,
            pop.org,
            table.alignment,
            table.autonomy,
            pop.district,
            pop.cell,
            self.n_cells,
            self.control_in_view,
            self.petition_risk,
            self.service_capacity,
            self.control_capacity,
            self.district_tolerance,
            self.relief_budget,
            self.lens,
            founder,
            indptr,
            indices,
            key,
            week,
            coef,
            chunks,
        )
        # 8. Founders' organizations join the model as agents.
        self._found_organizations(np.flatnonzero(founder))
        trust_before = self._district_mean_legitimacy() if lv.cadre_incentive != "fixed" else None
        # 8-9, 11. Recruitment, services, drift, closure and dissolution;
        # members of closed organizations released; legitimacy; the step's
        # sums and mass incidents.
        pop.legitimacy, totals, ending, count, largest, per_district = week_after_founding(
            pop.org,
            pop.need,
            pop.need_weight,
            table.alignment,
            table.autonomy,
            table.kind,
            table.alive,
            table.capacity,
            pop.legitimacy,
            pop.disposition,
            pop.experience,
            pop.injustice,
            hardship,
            pop.grievance,
            pop.stance,
            pop.district,
            self.params.n_districts,
            float(self.params.incident_min_size),
            indptr,
            indices,
            key,
            week,
            coef,
            chunks,
            ADVOCACY,
        )
        self._close_organizations(ending)
        self._measure(totals / max(pop.size, 1), (count, largest, per_district))
        # 10. Cadres adapt to what they are judged by (after 11, which
        # records the incidents they are judged on).
        if trust_before is not None:
            self._adapt_cadres(trust_before)
        self.datacollector.collect(self)
        if self.check:
            pop.check_invariants()

    def _district_mean_legitimacy(self) -> np.ndarray:
        pop = self.population
        total = np.bincount(pop.district, weights=pop.legitimacy, minlength=self.params.n_districts)
        return total / np.maximum(self.district_size, 1.0)

    def _adapt_cadres(self, trust_before: np.ndarray) -> None:
        """Process 10: each cadre adapts to its district's incidents or trust."""
        trust_fell = self._district_mean_legitimacy() < trust_before
        for cadre in self.agents_by_type.get(Cadre, []):
            cadre.adapt(
                incentive=self.levers.cadre_incentive,
                had_incident=bool(self.incident_districts[cadre.district]),
                trust_fell=bool(trust_fell[cadre.district]),
                rate=self.params.adapt_rate,
                ceiling_tolerance=self.levers.tolerance,
            )
        self._gather_cadre_effort()

    def _found_organizations(self, founders: np.ndarray) -> None:
        """Process 8: approved founders each start an organization (a Mesa agent).

        Its kind is drawn for the founder; its row of the organization table
        is where the compiled passes read and update it (recruitment,
        services, drift, closure: :func:`model.schedule.week_after_founding`).
        """
        if not founders.size:
            return
        p, lv, pop = self.params, self.levers, self.population
        kinds = draws_at(self.key, self.steps, ORG_KIND, founders)
        for founder, draw in zip(founders, kinds, strict=True):
            org = SocialOrganization(
                self,
                ORGANIZATION_KINDS[int(draw * len(ORGANIZATION_KINDS))],
                capacity=p.org_capacity * (1.0 + lv.org_support),
                autonomy=1.0 - lv.org_support,
            )
            pop.org[founder] = org.unique_id
            self._organizations[org.unique_id] = org

    def _close_organizations(self, ending: np.ndarray) -> None:
        """Organizations shut down or dissolved this step leave the model."""
        for uid in ending.tolist():
            self._organizations.pop(uid).remove()

    def _measure(
        self,
        means: np.ndarray | None = None,
        incidents: tuple[int, float, IntArray] | None = None,
    ) -> None:
        """Compute this step's outcomes (MODEL.md section 5).

        Args:
            means: The per-resident means of :func:`~model.outcomes.tally`,
                when a step has already summed them (the initial state is
                tallied here).
            incidents: What :func:`~model.neighbourhood.mass_incidents`
                returns, when the step has already found them.
        """
        p, pop = self.params, self.population
        if means is None:
            means = tally(
                pop.stance,
                pop.grievance,
                pop.legitimacy,
                pop.hardship,
                pop.org,
                p.petition_threshold,
            )
        if incidents is None:
            incidents = mass_incidents(
                pop.stance,
                self.neighbours.indptr,
                self.neighbours.indices,
                pop.district,
                p.n_districts,
                float(p.incident_min_size),
            )
        count, largest, self.incident_districts = incidents
        if self.steps > 0 and count:
            self.incident_steps += 1
            if np.isnan(self.first_incident):
                self.first_incident = float(self.steps)
        self.outcomes = {
            "mean_legitimacy": float(means[4]),
            "mean_grievance": float(means[5]),
            "hidden_grievance": float(means[6]),
            "share_petitioning": float(means[Stance.PETITIONING]),
            "share_protesting": float(means[Stance.PROTESTING]),
            "share_detained": float(means[Stance.DETAINED]),
            "mass_incidents": float(count),
            "largest_incident": largest,
            "stability": 1.0 - self.incident_steps / self.steps if self.steps else 1.0,
            "time_to_first_incident": self.first_incident,
            "control_spending": self.control_spending,
            "service_spending": self.service_spending,
            "relief_spending": self.relief_spent,
            "grid_cost": self.grid_spent,
            "organizations": float(np.count_nonzero(self.org_table.alive)),
            "org_membership": float(means[8]),
            "mean_hardship": float(means[7]),
            "allocation_mismatch": self.allocation_mismatch,
            "grievance_gini": gini(pop.grievance),
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
