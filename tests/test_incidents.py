"""Property tests of how incidents arise, spread, end and are paid for.

The processes behind mass incidents, called as the week calls them, on the
records a real model builds (``tests.worlds``): collective shocks, the
spread of protest within the week through crowds, the rest after a
protest, the settlement of incidents as a whole, and the stability staff
that cadres judged by incidents hire.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components

from model import SocialManagementModel
from model.cadres import Cadre, district_effort
from model.draws import gap_to_next
from model.population import Stance
from model.submodels.livelihood import STABILITY, collective_shocks, open_budget, treasury
from model.submodels.petitions import PetitionReport
from model.submodels.protests import respond_to_protests, settle_incidents
from model.submodels.reinforcement import FORCES_GONE, send_reinforcements
from model.submodels.stance import (
    ANSWERED,
    FAILED,
    crowd_in_view,
    join_crowd,
    let_rest_pass,
    risk_alone,
    spread_protest,
    stance_now,
)
from tests.worlds import changed_fields, copy_residents, world

settings.register_profile("sixerrors", max_examples=25, deadline=None)
settings.load_profile("sixerrors")

seeds = st.integers(0, 10_000)
sizes = st.integers(20, 300)


def components(w, marked: np.ndarray) -> np.ndarray:
    """Component label of every resident in the network restricted to ``marked`` (-1 elsewhere)."""
    index = np.flatnonzero(marked)
    sub = w.model.adjacency[index][:, index]
    _, labels = connected_components(sp.csr_array(sub), directed=False)
    out = np.full(w.n, -1)
    out[index] = labels
    return out


# --- collective shocks --------------------------------------------------------


@given(seeds, sizes, st.floats(0.0, 2000.0), st.floats(1.0, 30.0), st.floats(0.5, 3.0))
@example(seed=1745, n=20, rate=97.0, least=1.25, tail=1.0)  # one household of a least of 1.25
def test_collective_shocks_hit_connected_footprints_in_one_domain(seed, n, rate, least, tail):
    w = world(n=n, seed=seed, collective_shock_rate=rate, collective_shock_least=least,
              collective_shock_tail=tail, shock_size=0.3)  # fmt: skip
    before = copy_residents(w.residents)
    events = collective_shocks(w.residents, w.network, w.coef, w.key, 4)
    r = w.residents
    assert changed_fields(before, r) <= {"need"}
    rise = r.need - before.need
    assert np.all(rise >= 0) and np.all(r.need <= 1.0)
    hit = (rise > 0).any(axis=1)
    if events == 0:
        assert not hit.any()
        return
    # Footprints may overlap: each event adds the shock size (up to 1).
    assert np.all(rise <= events * 0.3 + 1e-5)
    # With one event, every rise is the shock size or what was left below 1,
    # and the footprint is connected and at least the least size.
    if events == 1:
        raised = rise > 0
        expected = np.minimum(0.3, 1.0 - before.need[raised])
        assert np.allclose(rise[raised], expected, atol=1e-5)
        labels = components(w, hit)
        assert np.unique(labels[hit]).size == 1
        # Whole households: S rounded down, so never fewer than the least size's whole part.
        assert hit.sum() >= min(math.floor(least), n) or hit.sum() == n


def test_collective_shocks_arrive_at_their_rate_with_pareto_footprints():
    """Events per step are Poisson at the rate per 10,000; footprints Pareto above the least."""
    n, rate, least, tail = 20_000, 5.0, 10.0, 1.5
    w = world(n=n, seed=2, scramble=False, collective_shock_rate=rate, collective_shock_least=least,
              collective_shock_tail=tail, shock_size=1e-6)  # fmt: skip
    counts = [collective_shocks(w.residents, w.network, w.coef, w.key, t) for t in range(400)]
    expected = rate * n / 10_000
    assert abs(np.mean(counts) - expected) < 4 * np.sqrt(expected / 400)
    assert abs(np.var(counts) / np.mean(counts) - 1.0) < 0.3  # Poisson: variance = mean


def test_footprint_sizes_have_the_declared_tail():
    """The share of single-event footprints above s falls as (least / s)^tail."""
    n, least, tail = 50_000, 10.0, 1.0
    sizes = []
    for t in range(300):
        w = world(n=n, seed=3, scramble=False, collective_shock_rate=0.2,
                  collective_shock_least=least, collective_shock_tail=tail)  # fmt: skip
        w.residents.need[:] = 0.0
        if collective_shocks(w.residents, w.network, w.coef, w.key, t) == 1:
            sizes.append(int((w.residents.need > 0).any(axis=1).sum()))
        if len(sizes) >= 120:
            break
    sizes_array = np.array(sizes)
    assert sizes_array.min() >= least
    # P(S > 100) = 0.1 for tail 1 and least 10.
    share = (sizes_array > 100).mean()
    assert 0.02 < share < 0.25


# --- the spread of protest ----------------------------------------------------


@given(seeds, sizes, st.floats(0.0, 0.6), st.floats(0.0, 0.5))
def test_protest_spreads_to_a_fixed_point_and_never_recedes(seed, n, threshold, contagion):
    w = world(n=n, seed=seed, protest_threshold=threshold, contagion=contagion)
    r = w.residents
    r.rest_left[:] = 0
    before = copy_residents(r)
    spread_protest(r, w.network, w.districts, w.organizations, w.coef)
    assert changed_fields(before, r) <= {"stance", "protesting_neighbours"}
    was = before.stance == Stance.PROTESTING
    now = r.stance == Stance.PROTESTING
    assert np.all(now[was])  # no one leaves within the week
    # Only residents who could decide again joined: never the detained.
    assert np.all(r.stance[before.stance == Stance.DETAINED] == Stance.DETAINED)
    # The counts are this week's.
    assert np.array_equal(r.protesting_neighbours, w.dense() @ now)
    # A fixed point: no neighbour of a protester would join now.
    crowd_of = np.full(n, -1, dtype=np.int64)
    crowd_size = np.zeros(n, dtype=np.int64)
    for i in np.flatnonzero(now):
        join_crowd(w.network, r.stance, crowd_of, crowd_size, i)
    alone = risk_alone(w.districts, w.coef)
    view = int(w.coef.control_visibility)
    for i in np.flatnonzero((~now) & (r.protesting_neighbours > 0)):
        if r.stance[i] == Stance.DETAINED:
            continue
        seen = min(crowd_in_view(w.network, r.stance, crowd_of, crowd_size, i), view)
        decided = stance_now(r, w.network, w.districts, w.organizations, w.coef, i, alone, seen)
        assert decided != Stance.PROTESTING, i


@given(seeds, sizes)
def test_a_crowd_in_view_is_every_protester_connected_through_protesters(seed, n):
    w = world(n=n, seed=seed)
    r = w.residents
    protesting = r.stance == Stance.PROTESTING
    crowd_of = np.full(n, -1, dtype=np.int64)
    crowd_size = np.zeros(n, dtype=np.int64)
    for i in np.flatnonzero(protesting):
        join_crowd(w.network, r.stance, crowd_of, crowd_size, i)
    labels = components(w, protesting)
    size_of = np.bincount(labels[protesting])
    dense = w.dense()
    for i in np.flatnonzero(~protesting)[:50]:
        touching = np.unique(labels[(dense[i] > 0) & protesting])
        assert (
            crowd_in_view(w.network, r.stance, crowd_of, crowd_size, i) == size_of[touching].sum()
        )


def test_without_the_spread_only_the_counts_are_renewed():
    w = world(n=300, seed=5, spread_within_week=False, contagion=0.5, protest_threshold=0.0)
    before = copy_residents(w.residents)
    spread_protest(w.residents, w.network, w.districts, w.organizations, w.coef)
    assert np.array_equal(w.residents.stance, before.stance)
    now = w.residents.stance == Stance.PROTESTING
    assert np.array_equal(w.residents.protesting_neighbours, w.dense() @ now)


def test_a_crowd_brings_out_those_whom_fear_kept_home():
    """Safety in numbers: a loaded neighbourhood joins a crowd, not a lone protester."""
    joined = {}
    for first in (1, 6):
        w = world(n=400, seed=9, scramble=False, repression=0.9, contagion=0.0,
                  protest_threshold=0.3)  # fmt: skip
        r = w.residents
        r.grievance[:] = 0.65
        r.risk_aversion[:] = 0.5
        r.stance[:] = Stance.QUIET
        start = 0
        group = [start, *w.network.indices[w.network.indptr[start] : w.network.indptr[start + 1]]]
        r.stance[group[:first]] = Stance.PROTESTING
        spread_protest(r, w.network, w.districts, w.organizations, w.coef)
        joined[first] = int((r.stance == Stance.PROTESTING).sum()) - first
    assert joined[6] > joined[1]


@given(seeds, sizes)
def test_rest_runs_down_and_keeps_residents_from_protest(seed, n):
    w = world(n=n, seed=seed, protest_threshold=0.0, contagion=0.0)
    r = w.residents
    r.rest_left[:] = np.random.default_rng(seed).integers(0, 4, n)
    before = copy_residents(r)
    let_rest_pass(r, 0, n)
    assert changed_fields(before, r) <= {"rest_left"}
    assert np.array_equal(r.rest_left, np.maximum(before.rest_left - 1, 0))
    alone = risk_alone(w.districts, w.coef)
    for i in np.flatnonzero(r.rest_left > 0):
        decided = stance_now(r, w.network, w.districts, w.organizations, w.coef, i, alone, 0)
        assert decided != Stance.PROTESTING


# --- incidents counted as they formed ------------------------------------------


def test_an_incident_the_police_break_up_is_counted():
    """Incidents are counted before the response: arresting every protester erases none.

    Control so strong that every protester is arrested the week it protests,
    in a world aggrieved enough that crowds still form: no one is left in the
    street at the end of any week, yet the incidents are on the record, with
    their sizes (counted after the arrests, there would be none).
    """
    strong_control = {"repression": 1.0, "control_share": 1.0, "cadres_per_1000": 200.0}
    m = SocialManagementModel("rigid_suppression", 500, rng=1, inflow_rate=0.3, **strong_control)
    left_in_street = 0
    for _ in range(80):
        m.step()
        left_in_street += int((m.residents.stance == Stance.PROTESTING).sum())
    table = m.outcome_table()
    assert left_in_street == 0
    assert table["mass_incidents"].sum() > 0
    assert table["largest_incident"].max() >= m.params.incident_min_size


# --- incidents settled as a whole --------------------------------------------


def test_incidents_are_settled_as_a_whole_with_the_districts_tolerance():
    for tolerance, expected in ((1.0, True), (0.0, False)):
        w = world(n=400, seed=4, tolerance=tolerance, incident_min_size=3)
        r = w.residents
        open_budget(w.treasury)
        r.voice_outcome[:] = np.where(r.stance == Stance.PROTESTING, FAILED, 0)
        before = copy_residents(r)
        settle_incidents(r, w.network, w.districts, w.treasury, w.coef, w.key, 2)
        protesting = before.stance == Stance.PROTESTING
        labels = components(w, protesting)
        size_of = np.bincount(labels[protesting])
        in_incident = protesting & (size_of[np.maximum(labels, 0)] >= 3)
        answered = r.voice_outcome == ANSWERED
        assert np.all(~answered[~in_incident])
        assert np.all(answered[in_incident]) == expected
        if expected:
            assert np.allclose(
                r.grievance[in_incident], before.grievance[in_incident] * (1 - w.coef.release)
            )


def test_protesters_who_go_home_rest():
    w = world(n=300, seed=6, repression=0.0, rights=0.0, protest_rest=5, incident_min_size=10**6)
    open_budget(w.treasury)
    k = w.districts.size.size
    nothing = PetitionReport(
        np.zeros(k), np.zeros(k), np.zeros(k, np.int64), np.zeros(3), np.zeros(2)
    )
    protesting = w.residents.stance == Stance.PROTESTING
    respond_to_protests(w.residents, w.network, w.districts, nothing, w.treasury, w.coef, w.key, 1)
    assert np.all(w.residents.rest_left[protesting] == 5)
    assert np.all(w.residents.rest_left[~protesting] == 0)


# --- stability staff ----------------------------------------------------------


def test_cadres_judged_by_incidents_hire_staff_that_leaves_at_the_turnover():
    m = SocialManagementModel("baseline", n_residents=500, rng=1)
    cadre: Cadre = m.cadres[0]
    effort = cadre.control_effort
    cadre.adapt(incentive="stability_veto", had_incident=True, trust_fell=False, rate=0.1,
                turnover=0.5)  # fmt: skip
    assert cadre.hired == 0.1 * cadre.capacity
    assert cadre.control_effort > effort
    cadre.adapt(incentive="stability_veto", had_incident=False, trust_fell=False, rate=0.1,
                turnover=0.5)  # fmt: skip
    assert cadre.hired == 0.05 * cadre.capacity
    for incentive in ("satisfaction", "fixed"):
        other: Cadre = m.cadres[1]
        other.adapt(incentive=incentive, had_incident=True, trust_fell=True, rate=0.1,
                    turnover=0.5)  # fmt: skip
        assert other.hired == 0.0


def test_stability_staff_is_paid_before_relief():
    t = treasury(budget=10.0, fixed_costs=2.0)._replace(staff_costs=3.0)
    left = open_budget(t)
    assert left == 5.0
    assert t.accounts[STABILITY] == 3.0
    poor = treasury(budget=4.0, fixed_costs=2.0)._replace(staff_costs=3.0)
    assert open_budget(poor) == 0.0
    assert poor.accounts[STABILITY] == 2.0


def test_the_veto_hires_and_pays_in_a_run():
    veto = SocialManagementModel("rigid_suppression", n_residents=2000, rng=3,
                                 cadre_incentive="stability_veto", inflow_rate=0.2)  # fmt: skip
    veto.run_for(60)
    table = veto.outcome_table()
    assert table["stability_staff_cost"].iloc[-1] > 0
    fixed = SocialManagementModel("rigid_suppression", n_residents=2000, rng=3, inflow_rate=0.2)
    fixed.run_for(60)
    assert (fixed.outcome_table()["stability_staff_cost"] == 0).all()


# --- rare events drawn event by event -----------------------------------------


# --- forces sent from above -----------------------------------------------------


@given(
    st.lists(st.floats(0.0, 500.0), min_size=1, max_size=8),
    st.floats(0.0, 3.0),
    st.floats(0.0, 1.0),
    seeds,
)
def test_forces_are_sent_for_the_crowd_beyond_reach_and_withdraw(capacities, share, leave, seed):
    """Forces follow the crowd a district could not reach, and a share leaves each week."""
    rng = np.random.default_rng(seed)
    capacity = np.array(capacities)
    forces = rng.uniform(0.0, 100.0, capacity.size)
    crowd = rng.integers(0, 1_000, capacity.size)
    sent = send_reinforcements(forces, crowd, capacity, reinforcement=share, withdrawal=leave)
    beyond = np.maximum(crowd - capacity, 0.0)
    expected = forces * (1.0 - leave) + share * beyond
    expected[expected < FORCES_GONE] = 0.0
    np.testing.assert_allclose(sent, expected)
    within = crowd <= capacity
    assert np.all(sent[within] <= forces[within] * (1.0 - leave))
    assert np.all((sent == 0.0) | (sent >= FORCES_GONE))


def test_forces_come_after_an_overwhelming_incident_and_add_to_arrest_capacity():
    """Where a crowd outgrew a district's control, the next week's reach includes the forces.

    An aggrieved city under rigid suppression with little control: the week
    whose incidents first hold more protesters than a district can reach
    brings forces there, which the district's arrest capacity includes from
    then on; the city's budget does not pay them. With ``reinforcement`` 0
    no force ever comes.
    """
    weak_control = {"inflow_rate": 0.5, "cadres_per_1000": 4.0}
    sent = SocialManagementModel("rigid_suppression", 800, rng=2, **weak_control)
    own = sent.districts.arrest_capacity.copy()
    for _ in range(80):
        sent.step()
        if sent.outside_forces.any():
            break
    assert sent.outside_forces.any()
    assert sent.outcomes["mass_incidents"] > 0
    np.testing.assert_allclose(sent.districts.arrest_capacity, own + sent.outside_forces)
    assert sent.treasury.staff_costs == 0.0
    sent.step()
    assert sent.outcomes["outside_forces"] > 0.0
    none = SocialManagementModel("rigid_suppression", 800, rng=2, reinforcement=0.0, **weak_control)
    none.run_for(sent.steps)
    assert none.outcome_table()["outside_forces"].max() == 0.0
    np.testing.assert_array_equal(none.districts.arrest_capacity, own)


@given(
    st.lists(st.floats(0.0, 500.0), min_size=1, max_size=6),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
    st.sampled_from(["rigid_suppression", "safety_valve", "baseline"]),
    seeds,
)
def test_forces_arrest_by_the_orders_they_follow(forces_list, autonomy, own, regime, seed):
    """A district's arrest probability weighs the forces' orders by their share of its reach.

    Where no forces are present, or they follow the city (autonomy 0), a
    protester is arrested with the regime's own ``repression``, exactly;
    otherwise the probability lies between the city's and the forces' own,
    and the control residents see is that probability times the reach.
    """
    model = SocialManagementModel(
        regime, 300, rng=seed, forces_autonomy=autonomy, forces_repression=own
    )
    params = model.params
    forces = np.resize(np.array(forces_list), model.districts.size.size)
    effort = district_effort(model.cadres, model.districts.size, params, model.levers, forces)
    city = model.levers.repression
    forces_own = city + autonomy * (own - city)
    low, high = min(city, forces_own), max(city, forces_own)
    probability = effort.arrest_probability
    assert np.all((probability >= low - 1e-12) & (probability <= high + 1e-12))
    assert np.all(probability[forces == 0.0] == city)
    if autonomy == 0.0:
        assert np.all(probability == city)
    np.testing.assert_allclose(
        effort.control_in_view,
        probability
        * effort.arrest_capacity
        / np.maximum(effort.size, 1.0)
        * params.control_visibility,
    )


def test_a_tolerant_city_that_calls_forces_on_their_own_orders_sees_arrests():
    """Forces that follow higher levels' orders arrest in a city that would not.

    A safety-valve city, aggrieved and thinly staffed, calls forces; when
    they follow the city's policy (autonomy 0) they arrest as rarely as it
    does, when they follow their own orders of certain arrest they detain
    more of its residents. Same seed, same world otherwise.
    """
    harsh = {"inflow_rate": 0.5, "cadres_per_1000": 4.0, "forces_repression": 1.0}
    detained = {}
    for autonomy in (0.0, 1.0):
        model = SocialManagementModel("safety_valve", 800, rng=3, forces_autonomy=autonomy, **harsh)
        model.run_for(60)
        table = model.outcome_table()
        assert table["outside_forces"].max() > 0.0
        detained[autonomy] = table["share_detained"].sum()
    assert detained[1.0] > detained[0.0]


@given(st.floats(0.0, 1e-300), st.integers(0, 50))
def test_a_vanishing_chance_means_no_event_ever(chance, event):
    """The gap to the next event never overflows into a negative index."""
    assert gap_to_next(np.uint64(7), 3, 0, event, chance) >= 2**61


def test_gaps_follow_the_geometric_law():
    chance = 0.01
    gaps = np.array([gap_to_next(np.uint64(3), 1, 0, e, chance) for e in range(20_000)])
    assert abs(gaps.mean() - (1 - chance) / chance) < 4 * np.sqrt((1 - chance) / chance**2 / 20_000)
