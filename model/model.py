"""``SocialManagementModel``: wiring, the step, and the DataCollector.

The model owns the resident arrays (:class:`~model.population.Population`),
the network, and the Mesa agents (cadres); each step calls the submodels of
MODEL.md section 3 in order. The model sets no outcome itself: a regime only
chooses lever values, and the submodels do the rest.
"""

from __future__ import annotations

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
from model.neighbourhood import Neighbourhood
from model.network import build_network, from_networkx
from model.outcomes import OUTCOMES, gini, tally
from model.params import Levers, ParameterError, Params, as_dict, split_overrides
from model.population import (
    DOMAINS,
    NO_ORGANIZATION,
    Population,
    Stance,
    count_down,
    initial_population,
)
from model.regimes import regime as find_regime
from model.submodels.grid import assign_cells, collective_penalty, grid_cost, grid_management
from model.submodels.grievance import epstein_grievance, update_grievance
from model.submodels.legitimacy import update_legitimacy
from model.submodels.livelihood import livelihood_relief, livelihood_shocks, planner_lens
from model.submodels.organizations import (
    founding_applications,
    leaving,
    member_services,
    mission_drift,
    recruitment,
)
from model.submodels.petitions import (
    resolve_worst_need,
    respond_to_petitions,
    settle_petitions,
)
from model.submodels.protests import respond_to_protests, serve_detention, settle_protests
from model.submodels.stance import arrest_probability, decide_stance
from model.types import FloatArray


def _read_outcome(name: str, model: SocialManagementModel) -> float:
    return model.outcomes[name]


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
        self.relief_spent = 0.0
        self.allocation_mismatch = 0.0
        self.org_table = OrganizationTable()
        self.incident_districts = np.zeros(p.n_districts, dtype=np.int64)
        self.incident_steps = 0
        self.first_incident: float = float("nan")
        self.control_capacity = np.zeros(p.n_districts)
        self.service_capacity = np.zeros(p.n_districts)
        self.district_tolerance = np.zeros(p.n_districts)
        self._gather_cadre_effort()
        self.outcomes: dict[str, float] = {}
        self._measure(np.zeros(0))
        self.datacollector = mesa.DataCollector(
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
        self.control_capacity = np.bincount(district, weights=control, minlength=n)
        self.service_capacity = np.bincount(district, weights=service, minlength=n)
        mean_tolerance = np.bincount(district, weights=tolerance, minlength=n) / np.maximum(
            count, 1
        )
        # A district without cadres falls back on the regime's stated tolerance.
        self.district_tolerance = np.where(count > 0, mean_tolerance, self.levers.tolerance)

    def step(self) -> None:
        """One week: the processes of MODEL.md section 3, in order."""
        p, lv, pop, rng = self.params, self.levers, self.population, self.rng
        neighbours = self.neighbours
        n = pop.size
        injustice: FloatArray = np.zeros(n)
        experience: FloatArray = np.zeros(n)
        member = pop.org != NO_ORGANIZATION
        org_alignment = self.org_table.alignment[pop.org] * member

        # Terms run down before anyone decides.
        pop.stance, pop.detention_left = serve_detention(pop.stance, pop.detention_left)
        pop.rebuffed_left = count_down(pop.rebuffed_left)
        pop.deterred_left = count_down(pop.deterred_left)

        # 1-2. Livelihood: shocks, then relief from what the grid leaves of the budget.
        pop.need = livelihood_shocks(
            pop.need, shock_rate=p.shock_rate, shock_size=p.shock_size, rng=rng
        )
        budget = lv.livelihood_budget * n
        self.grid_spent = min(self.grid_full_cost, budget)
        participating = (
            rng.random(n) < lv.participation if lv.participation > 0 else np.zeros(n, dtype=bool)
        )
        relief = livelihood_relief(
            pop.need,
            pop.need_weight,
            participating,
            budget=budget - self.grid_spent,
            participation=lv.participation,
            lens=self.lens,
        )
        pop.need = relief.need
        self.relief_spent, self.allocation_mismatch = relief.spent, relief.mismatch
        experience += p.trust_participation * participating

        # 3. Grievance, from hardship, distrust and last step's injustice.
        hardship = pop.hardship
        if p.grievance_mode == "epstein":
            pop.grievance = epstein_grievance(hardship, pop.legitimacy)
        else:
            pop.grievance = update_grievance(
                pop.grievance,
                hardship,
                pop.legitimacy,
                pop.injustice,
                p.grievance_decay + p.org_decay_bonus * org_alignment,
                p.inflow_rate,
            )

        # 4. Stance: Epstein's rule with the protesters and control in view.
        protesting_neighbours = neighbours.count(pop.stance == Stance.PROTESTING)
        share_protesting = protesting_neighbours / np.maximum(neighbours.degree, 1.0)
        # Control in view (Epstein's C): the district's control effort per
        # resident that would arrest (effort x repression), times the number
        # of residents whose surroundings one notices (control_visibility):
        # the network analogue of the cops within Epstein's vision radius.
        control_density = (
            lv.repression * self.control_capacity / np.maximum(self.district_size, 1.0)
        )
        control_in_view = control_density[pop.district] * p.control_visibility
        arrest_prob = arrest_probability(
            control_in_view, protesting_neighbours + 1.0, p.arrest_k, p.arrest_rule
        )
        # What residents expect a petition to bring: interception, then
        # detention, at the district cadres' own rates.
        petition_risk = (1.0 - self.district_tolerance) * lv.repression
        pop.stance = decide_stance(
            pop.stance,
            pop.grievance,
            pop.legitimacy,
            pop.risk_aversion,
            arrest_prob,
            share_protesting,
            pop.rebuffed_left,
            petition_risk[pop.district],
            pop.deterred_left > 0,
            protest_threshold=p.protest_threshold,
            contagion=p.contagion,
            petition_threshold=p.petition_threshold,
            petition_trust=p.petition_trust,
        )

        # 5. Petitions: accepted (safety valve) or intercepted; organizations mediate.
        mediation = p.org_mediation * self.org_table.autonomy[pop.org] * org_alignment
        petitions = respond_to_petitions(
            pop.stance == Stance.PETITIONING,
            pop.district,
            self.service_capacity,
            self.district_tolerance,
            mediation,
            repression=lv.repression,
            resolution=p.resolution,
            max_detention=p.max_detention,
            rng=rng,
        )
        settled = settle_petitions(
            petitions,
            pop.stance,
            pop.detention_left,
            pop.grievance,
            pop.need,
            pop.need_weight,
            pop.rebuffed_left,
            injustice,
            experience,
            release=p.release,
            rebuff_memory=p.rebuff_memory,
            injustice_unanswered=p.injustice_unanswered,
            injustice_intercepted=p.injustice_intercepted,
            injustice_detained=p.injustice_detained,
            trust_answered=p.trust_answered,
            trust_intercepted=p.trust_intercepted,
            trust_detained=p.trust_detained,
        )
        pop.stance, pop.detention_left = settled.stance, settled.detention_left
        pop.grievance, pop.need, pop.rebuffed_left = (
            settled.grievance,
            settled.need,
            settled.rebuffed_left,
        )
        injustice, experience = settled.injustice, settled.experience

        # 6. Protests: arrest within control capacity, or dialogue.
        protesting = pop.stance == Stance.PROTESTING
        protests = respond_to_protests(
            protesting,
            pop.district,
            self.control_capacity,
            np.maximum(self.service_capacity - petitions.handled, 0.0),
            repression=lv.repression,
            tolerance=lv.tolerance,
            rights=lv.rights,
            max_detention=p.max_detention,
            rng=rng,
        )
        calmed = settle_protests(
            protests,
            pop.stance,
            pop.detention_left,
            pop.grievance,
            injustice,
            experience,
            release=p.release,
            trust_answered=p.trust_answered,
            injustice_detained=p.injustice_detained,
            trust_detained=p.trust_detained,
        )
        pop.stance, pop.detention_left, pop.grievance = (
            calmed.stance,
            calmed.detention_left,
            calmed.grievance,
        )
        injustice, experience = calmed.injustice, calmed.experience
        detained = petitions.detained | protests.arrested
        # Backlash: neighbours of anyone detained or intercepted.
        witnessed = neighbours.count(detained | petitions.intercepted)
        injustice += p.injustice_backlash * witnessed
        experience -= p.trust_backlash * witnessed
        if lv.collective_responsibility and self.n_cells:
            punished = collective_penalty(pop.cell, protesting, self.n_cells)
            injustice += p.injustice_collective * punished
            experience -= p.trust_backlash * punished

        # 7. Grid management: detection, then service or stability visits.
        if self.n_cells:
            grid = grid_management(
                pop.grievance,
                np.argmax(pop.need_weight * pop.need, axis=1),
                households_per_cell=lv.grid_cell_households,
                agencies=lv.grid_agencies,
                info_sharing=lv.grid_info_sharing,
                mode=lv.grid_mode,
                # A grid that costs nothing is fully staffed.
                staffing=self.grid_spent / self.grid_full_cost if self.grid_full_cost else 1.0,
                watch_level=p.grid_watch_level,
                detection_rate=p.grid_detection_rate,
                rng=rng,
            )
            pop.need = resolve_worst_need(pop.need, pop.need_weight, grid.resolved)
            experience += p.trust_service * grid.resolved
            pop.deterred_left = np.where(grid.visited, p.grid_deterrence, pop.deterred_left)
            injustice += (
                p.injustice_visit * grid.visited + p.grid_intrusion * grid.visits_per_household
            )
            experience -= p.trust_visit * (grid.visited + grid.visits_per_household)

        # 8. Organizations: founding, recruitment, services, drift, closure.
        closed_members = self._organizations_step(rng)
        injustice += p.injustice_closure * closed_members
        experience -= p.trust_intercepted * closed_members

        # 9. Legitimacy: experience, social influence, performance.
        mean_before = self._district_mean_legitimacy()
        pop.legitimacy = update_legitimacy(
            pop.legitimacy,
            neighbours.mean(pop.legitimacy),
            pop.disposition,
            experience,
            hardship,
            social_influence=p.social_influence,
            legitimacy_recovery=p.legitimacy_recovery,
            performance_gap_rate=p.performance_gap_rate,
            hardship_reference=p.hardship_reference,
        )
        pop.injustice = np.minimum(injustice, 1.0)
        pop.experience = experience

        # 11 (measured before 10, which reads this step's incidents).
        self._measure(hardship)
        # 10. Cadres adapt to what they are judged by.
        if lv.cadre_incentive != "fixed":
            self._adapt_cadres(mean_before)
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

    def _organizations_step(self, rng: np.random.Generator) -> np.ndarray:
        """Process 8; returns the residents whose organization was closed."""
        p, lv, pop, table = self.params, self.levers, self.population, self.org_table
        closed = np.zeros(pop.size, dtype=bool)
        if table.alive.any():
            pop.org = leaving(pop.org, leave_rate=p.org_leave_rate, rng=rng)
        _, approved = founding_applications(
            pop.grievance,
            pop.org,
            grievance_level=p.org_founding_grievance,
            founding_rate=p.org_founding_rate,
            openness=lv.org_openness,
            rng=rng,
        )
        founders = np.flatnonzero(approved)
        for founder, kind in zip(
            founders, rng.integers(0, len(ORGANIZATION_KINDS), founders.size), strict=True
        ):
            org = SocialOrganization(
                self,
                ORGANIZATION_KINDS[kind],
                capacity=p.org_capacity * (1.0 + lv.org_support),
                autonomy=1.0 - lv.org_support,
            )
            pop.org[founder] = org.unique_id
        ids = table.ids
        if ids.size == 0:
            return closed
        member = pop.org != NO_ORGANIZATION
        members = np.bincount(pop.org[member], minlength=table.alive.size)
        pop.org = recruitment(
            pop.org,
            self.neighbours.indptr,
            self.neighbours.indices,
            np.maximum(table.capacity - members, 0.0),
            recruit_rate=p.org_recruit_rate,
            rng=rng,
        )
        member = pop.org != NO_ORGANIZATION
        pop.need = member_services(
            pop.need, pop.need_weight, p.org_service * table.alignment[pop.org] * member
        )
        # Drift, closure of advocacy organizations, dissolution.
        table.alignment[ids] = mission_drift(
            table.alignment[ids], rights=lv.rights, drift_rate=p.org_drift_rate
        )
        shut = (table.kind[ids] == ADVOCACY) & (
            rng.random(ids.size) < p.org_closure_rate * (1.0 - lv.org_openness)
        )
        members = np.bincount(pop.org[member], minlength=table.alive.size)
        ending = shut | (table.alignment[ids] < p.org_dissolve_alignment) | (members[ids] == 0)
        if ending.any():
            closed = table.alive[pop.org] & np.isin(pop.org, ids[shut])
            agents = {o.unique_id: o for o in self.agents_by_type[SocialOrganization]}
            for uid in ids[ending]:
                agents[int(uid)].remove()
            pop.org = np.where(table.alive[pop.org], pop.org, NO_ORGANIZATION)
        return closed

    def _measure(self, hardship: np.ndarray) -> None:
        """Compute this step's outcomes (MODEL.md section 5)."""
        p, pop = self.params, self.population
        protesters, label, sizes = self.neighbours.groups(pop.stance == Stance.PROTESTING)
        large = sizes >= p.incident_min_size
        incidents = int(np.count_nonzero(large))
        self.incident_districts = np.bincount(
            pop.district[protesters[large[label]]], minlength=p.n_districts
        )
        if self.steps > 0 and incidents:
            self.incident_steps += 1
            if np.isnan(self.first_incident):
                self.first_incident = float(self.steps)
        if hardship.size == 0:
            hardship = pop.hardship
        means = tally(
            pop.stance, pop.grievance, pop.legitimacy, hardship, pop.org, p.petition_threshold
        )
        self.outcomes = {
            "mean_legitimacy": float(means[4]),
            "mean_grievance": float(means[5]),
            "hidden_grievance": float(means[6]),
            "share_petitioning": float(means[Stance.PETITIONING]),
            "share_protesting": float(means[Stance.PROTESTING]),
            "share_detained": float(means[Stance.DETAINED]),
            "mass_incidents": float(incidents),
            "largest_incident": float(sizes.max()) if sizes.size else 0.0,
            "stability": 1.0 - self.incident_steps / self.steps if self.steps else 1.0,
            "time_to_first_incident": self.first_incident,
            "control_spending": float(self.control_capacity.sum()),
            "service_spending": float(self.service_capacity.sum()),
            "relief_spending": self.relief_spent,
            "grid_cost": self.grid_spent,
            "organizations": float(np.count_nonzero(self.org_table.alive)),
            "org_membership": float(means[8]),
            "mean_hardship": float(means[7]),
            "allocation_mismatch": self.allocation_mismatch,
            "grievance_gini": gini(pop.grievance),
        }

    def outcome_table(self) -> pd.DataFrame:
        """The per-step outcomes, one row per step from 0, indexed by ``step``."""
        table = pd.DataFrame(self.datacollector.get_model_vars_dataframe())
        table.index.name = "step"
        return table


def simulate(
    regime: str = "baseline",
    *,
    steps: int = 260,
    n_residents: int | None = None,
    seed: int = 0,
    **overrides: Any,
) -> pd.DataFrame:
    """Run one model and return its per-step outcome table.

    The convenience the experiments build on: one call, one seed, one table.

    Raises:
        ParameterError: Bad names or values, or a negative number of steps.
    """
    if steps < 0:
        raise ParameterError(f"steps={steps} must be zero or more")
    model = SocialManagementModel(regime, n_residents, rng=seed, **overrides)
    if steps:
        model.run_for(steps)
    return model.outcome_table()
