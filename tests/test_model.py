"""The model as a whole: contract, determinism, analytic checks, invariants."""

import mesa
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from model import OUTCOMES, SocialManagementModel, simulate
from model.outcomes import mass_incidents
from model.population import Stance

SMALL = {"n_residents": 300}


def test_contract_constructor_and_outcomes():
    m = SocialManagementModel(regime="safety_valve", n_residents=300, rng=42, tolerance=0.7)
    assert isinstance(m, mesa.Model)
    assert m.levers.tolerance == 0.7 and m.levers.repression == 0.1  # override + regime
    m.run_for(5)
    df = m.datacollector.get_model_vars_dataframe()
    assert list(df.columns) == list(OUTCOMES)
    assert len(df) == 6  # the initial state and five steps
    assert m.parameters["tolerance"] == 0.7 and m.parameters["n_residents"] == 300


def test_outcome_names_cover_model_md_section_5():
    required = {
        "mean_legitimacy",
        "mean_grievance",
        "hidden_grievance",
        "share_petitioning",
        "share_protesting",
        "share_detained",
        "mass_incidents",
        "largest_incident",
        "stability",
        "time_to_first_incident",
        "control_spending",
        "service_spending",
        "grid_cost",
        "organizations",
        "org_membership",
        "mean_hardship",
        "allocation_mismatch",
        "grievance_gini",
    }
    assert required <= set(OUTCOMES)


def test_same_seed_same_table_different_seed_differs():
    a = simulate("baseline", steps=40, seed=3, **SMALL)
    b = simulate("baseline", steps=40, seed=3, **SMALL)
    c = simulate("baseline", steps=40, seed=4, **SMALL)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


@pytest.mark.parametrize("regime", ["baseline", "grid_control", "shared_governance"])
def test_invariants_hold_every_step(regime):
    m = SocialManagementModel(regime, n_residents=400, rng=5, check=True)
    m.run_for(60)  # check=True asserts the invariants after each step
    df = m.outcome_table()
    shares = df[["share_petitioning", "share_protesting", "share_detained"]].sum(axis=1)
    assert (shares <= 1.0 + 1e-12).all()
    assert df["stability"].between(0, 1).all()


@pytest.mark.parametrize("legitimacy", [0.3, 0.5, 0.7])
def test_no_cadres_protest_share_is_epsteins(legitimacy):
    # No cadres (C = 0), no contagion, no collective shocks, no rest after
    # protest, grievance H (1 - L) with H ~ U(0, 1):
    # share protesting = P(H (1 - L) > T) = 1 - T / (1 - L).
    threshold = 0.1
    m = SocialManagementModel(
        n_residents=20_000,
        rng=11,
        cadres_per_1000=0.0,
        grievance_mode="epstein",
        contagion=0.0,
        initial_need=0.5,
        legitimacy_spread=0.0,
        initial_legitimacy=legitimacy,
        performance_gap_rate=0.0,
        shock_rate=0.0,
        livelihood_budget=0.0,
        petition_threshold=1.0,
        protest_threshold=threshold,
        org_founding_rate=0.0,
        participation=0.0,
        claims_weight=0.0,
        collective_shock_rate=0.0,
        protest_rest=0,
        tolerance=0.0,  # no incident settled: no answered protester gains trust
        reinforcement=0.0,  # and no forces from above: no control at all
    )
    m.run_for(3)
    expected = 1 - threshold / (1 - legitimacy)
    assert m.outcomes["share_protesting"] == pytest.approx(expected, abs=0.01)


def test_mass_incidents_are_connected_protest_groups():
    graph = nx.Graph([(0, 1), (1, 2), (3, 4), (5, 6), (6, 7), (7, 8), (8, 9)])
    m = SocialManagementModel(n_residents=10, rng=1, graph=graph, incident_min_size=3)
    m.residents.stance[:] = Stance.PROTESTING
    m.residents.stance[[3, 4]] = Stance.QUIET
    incidents = mass_incidents(m.residents, m.network, m.params.n_districts, 3)
    assert incidents.number == 2  # {0,1,2} and {5..9}
    assert incidents.largest == 5
    m.residents.district[:] = [0, 0, 0, 0, 0, 0, 0, 1, 1, 1]
    parts = mass_incidents(m.residents, m.network, m.params.n_districts, 3).by_district
    assert parts == 2  # {0,1,2}; {5..9} only by its part {7,8,9} ({5,6} is too small)
    parts = mass_incidents(m.residents, m.network, m.params.n_districts, 2).by_district
    assert parts == 3  # {0,1,2}; {5..9} once in district 0 and once in district 1


def test_networkx_graph_sets_population():
    graph = nx.karate_club_graph()
    m = SocialManagementModel(rng=2, graph=graph)
    assert m.residents.size == graph.number_of_nodes()
    assert m.adjacency.nnz == 2 * graph.number_of_edges()
    m.run_for(3)


def test_grid_spending_never_exceeds_budget():
    for regime in ("grid_control", "service_grid", "fine_siloed_grid"):
        m = SocialManagementModel(regime, n_residents=500, rng=3)
        m.run_for(20)
        df = m.outcome_table()
        budget = m.levers.livelihood_budget * 500
        assert (df["grid_cost"] + df["relief_spending"] <= budget + 1e-9).all(), regime
        assert (df["grid_cost"] > 0).all()


def test_organizations_are_founded_and_dissolved_in_the_table():
    m = SocialManagementModel(
        "open_to_organizations",
        n_residents=600,
        rng=4,
        org_founding_rate=0.05,
        org_founding_grievance=0.0,
        org_closure_rate=0.0,
    )
    m.run_for(30)
    assert m.outcomes["organizations"] == np.count_nonzero(m.organizations.alive) > 0
    members = np.unique(m.residents.org[m.residents.org >= 0])
    assert np.all(m.organizations.alive[members]), "every member belongs to a living organization"
    # Without oversight (rights = 0) missions drift until organizations dissolve.
    m2 = SocialManagementModel(
        "open_to_organizations",
        n_residents=600,
        rng=4,
        org_founding_rate=0.05,
        org_founding_grievance=0.0,
        rights=0.0,
        org_drift_rate=0.5,
    )
    m2.run_for(30)
    assert m2.outcomes["organizations"] < m.outcomes["organizations"]


def test_restrictive_regime_closes_advocacy_organizations():
    from model.submodels.organizations import MEDIATION

    def advocates(closure_rate):
        m = SocialManagementModel(
            "baseline",
            n_residents=800,
            rng=8,
            org_founding_rate=0.05,
            org_founding_grievance=0.0,
            org_openness=0.5,
            org_closure_rate=closure_rate,
        )
        m.run_for(25)
        table = m.organizations
        return int(np.count_nonzero(table.alive & (table.kind == MEDIATION))), int(
            np.count_nonzero(table.alive)
        )

    open_advocates, open_total = advocates(0.0)
    closed_advocates, closed_total = advocates(1.0)
    assert open_advocates > 0
    assert closed_advocates / closed_total < open_advocates / open_total


def test_cadres_adapt_to_their_incentive():
    from model.cadres import Cadre

    veto = SocialManagementModel(
        "baseline",
        n_residents=800,
        rng=6,
        cadre_incentive="stability_veto",
        protest_threshold=0.0,
        contagion=0.5,
    )
    veto.run_for(20)
    shares = [c.control_share for c in veto.agents_by_type[Cadre]]
    assert max(shares) > veto.levers.control_share  # incidents pushed effort to control
    fixed = SocialManagementModel(
        "baseline", n_residents=800, rng=6, protest_threshold=0.0, contagion=0.5
    )
    fixed.run_for(20)
    assert {c.control_share for c in fixed.agents_by_type[Cadre]} == {fixed.levers.control_share}


def test_simulate_rejects_negative_steps():
    from model import ParameterError

    with pytest.raises(ParameterError):
        simulate(steps=-1)


def test_accepts_mesa_scenario_as_solaraviz_reset_does():
    from mesa.experimental.scenarios import Scenario

    reset = SocialManagementModel(n_residents=100, tolerance=0.2, scenario=Scenario(rng=7))
    seeded = SocialManagementModel(n_residents=100, tolerance=0.2, rng=7)
    assert reset.levers.tolerance == 0.2
    assert np.array_equal(reset.residents.legitimacy, seeded.residents.legitimacy)
