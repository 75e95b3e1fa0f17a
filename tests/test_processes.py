"""Property tests of the processes the week runs, called as the week calls them.

Every test here calls a compiled process function of ``model.submodels``
(the code a model step runs, with the same counter-based draws) on the
records a real model builds, and checks a property the model implies:
ranges, conservation, which state a process may change, monotonicity, and
agreement with an independent computation (numpy, matrix products).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.population import NO_ORGANIZATION, Stance
from model.submodels.capacity import served_within_capacity
from model.submodels.grid import (
    assign_cells,
    grid_cost,
    grid_management,
    let_deterrence_fade,
    mark_protest_cells,
    resolve_grid_cases,
)
from model.submodels.grievance import update_grievance
from model.submodels.legitimacy import adopt_legitimacy, update_legitimacy
from model.submodels.livelihood import (
    GOVERNANCE,
    OWED,
    TARGETED,
    Relief,
    allocate,
    assess_hardship,
    can_pay,
    choose_participants,
    form_expectations,
    livelihood_relief,
    livelihood_shocks,
    need_by_domain,
    open_budget,
    pay,
    relieve_need,
    start_disputes,
    treasury,
)
from model.submodels.organizations import (
    MEDIATION,
    SERVICE,
    found_organizations,
    leave_organizations,
    recruit_and_serve,
    release_members,
    settle_organizations,
)
from model.submodels.petitions import (
    PROVINCE,
    SETTLED_LOCALLY,
    PetitionReport,
    forget_rebuffs,
    respond_to_petitions,
)
from model.submodels.prevention import prevent_at_source
from model.submodels.protests import respond_to_protests
from model.submodels.repression import backlash, serve_detention
from model.submodels.stance import (
    arrest_probability_one,
    count_claims_seen,
    count_protesting_neighbours,
    decide_stance,
    learn_from_claims,
)
from tests.worlds import changed_fields, copy_residents, world

settings.register_profile("sixerrors", max_examples=25, deadline=None)
settings.load_profile("sixerrors")

seeds = st.integers(0, 10_000)
sizes = st.integers(20, 300)
unit = st.floats(0.0, 1.0)


@given(seeds, st.integers(1, 300), st.integers(1, 8))
def test_capacity_serves_at_most_the_whole_capacity(seed, n, groups):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, groups, n)
    capacity = rng.random(groups) * 10
    served = served_within_capacity(group, capacity, rng.random(n), np.uint64(seed), 3, 0)
    per_group = np.bincount(group[served], minlength=groups)
    requests = np.bincount(group, minlength=groups)
    # The whole part always, one more now and then: never more than the ceiling.
    assert np.all(per_group >= np.minimum(requests, np.floor(capacity).astype(int)))
    assert np.all(per_group <= np.minimum(requests, np.ceil(capacity).astype(int)))


def test_fractional_capacity_serves_its_fraction_on_average():
    """A district that can answer 0.4 petitions a week answers one in 40 % of weeks."""
    key = np.uint64(11)
    served = [
        served_within_capacity(np.zeros(3, np.int64), np.array([0.4]), np.arange(3.0), key, t, 0)
        for t in range(4000)
    ]
    assert abs(np.mean([s.sum() for s in served]) - 0.4) < 0.03


# --- terms run down ---------------------------------------------------------


@given(seeds, sizes)
def test_terms_run_down_and_detention_ends_quiet(seed, n):
    w = world(n=n, seed=seed)
    before = copy_residents(w.residents)
    serve_detention(w.residents, 0, n)
    forget_rebuffs(w.residents, 0, n)
    let_deterrence_fade(w.residents, 0, n)
    r = w.residents
    assert changed_fields(before, r) <= {
        "stance",
        "detention_left",
        "rebuffed_left",
        "deterred_left",
    }
    was_detained = before.stance == Stance.DETAINED
    released = was_detained & (before.detention_left <= 1)
    assert np.all(r.stance[released] == Stance.QUIET)
    assert np.all(
        r.detention_left[was_detained & ~released]
        == before.detention_left[was_detained & ~released] - 1
    )
    assert np.all(r.stance[~was_detained] == before.stance[~was_detained])
    assert np.array_equal(r.rebuffed_left, np.maximum(before.rebuffed_left - 1, 0))
    assert np.array_equal(r.deterred_left, np.maximum(before.deterred_left - 1, 0))


# --- livelihood -------------------------------------------------------------


@given(seeds, sizes, unit, unit)
def test_shocks_only_raise_need_and_stay_in_range(seed, n, rate, size):
    w = world(n=n, seed=seed, shock_rate=rate, shock_size=size)
    before = copy_residents(w.residents)
    livelihood_shocks(w.residents, w.coef, w.key, 3, 0, n)
    assert changed_fields(before, w.residents) <= {"need"}
    assert np.all(w.residents.need >= before.need)
    assert np.all(w.residents.need <= 1.0)


def test_shocks_follow_the_independent_per_domain_law():
    """One draw decides whether any domain is hit; the law is still per domain."""
    n, rate = 200_000, 0.05
    w = world(n=n, seed=1, scramble=False, shock_rate=rate, shock_size=1.0)
    w.residents.need[:] = 0.0
    livelihood_shocks(w.residents, w.coef, w.key, 1, 0, n)
    need = w.residents.need
    hit = need > 0
    tolerance = 4 * np.sqrt(rate * (1 - rate) / n)
    assert np.all(np.abs(hit.mean(axis=0) - rate) < tolerance)
    for a, b in [(0, 1), (0, 4), (2, 3)]:
        assert abs((hit[:, a] & hit[:, b]).mean() - rate**2) < 4 * np.sqrt(rate**2 / n)
    assert abs(hit.any(axis=1).mean() - (1 - (1 - rate) ** 5)) < 4 * np.sqrt(0.23 * 0.77 / n)
    from scipy import stats

    assert stats.kstest(need[hit], "uniform").pvalue > 1e-3


@given(seeds, sizes, unit, st.floats(0.0, 0.05), st.floats(0.0, 2.0))
def test_relief_never_exceeds_budget_or_need(seed, n, participation, per_resident, bias):
    w = world(n=n, seed=seed, participation=participation, planner_bias=bias)
    r = w.residents
    assess_hardship(r, 0, n)
    count = choose_participants(r, w.coef, w.key, 2, 0, n)
    assert count == r.participates.sum()
    sums = np.zeros((3, 5))
    need_by_domain(r, w.coef, 0, n, sums, np.zeros((w.districts.size.size, 3, 5)))
    weighted = (r.need.astype(np.float64) * r.need_weight).sum(axis=0)
    assert np.allclose(sums[0], weighted, rtol=1e-5)
    assert np.allclose(sums[1], r.need.sum(axis=0), rtol=1e-5)
    voiced = (r.need.astype(np.float64) * r.need_weight)[r.participates].sum(axis=0)
    assert np.allclose(sums[2], voiced, rtol=1e-5, atol=1e-9)
    budget = per_resident * n
    fraction, spent, mismatch = allocate(sums, budget, participation, w.planner.lens)
    before = r.need.copy()
    relief = Relief(fraction, np.zeros((w.districts.size.size, 5)), spent, 0.0, mismatch)
    relieve_need(r, relief, w.coef, 0, n)
    assert spent <= budget + 1e-9
    assert np.all(r.need >= 0) and np.all(r.need <= before + 1e-7)
    assert spent == pytest.approx(float((before - r.need).sum()), rel=1e-4, abs=1e-5)
    assert 0.0 <= mismatch <= 1.0
    assert np.allclose(r.hardship, (r.need * r.need_weight).sum(axis=1), atol=1e-6)


def test_participation_targets_what_matters():
    """Residents care only about domain 0; the planner sees need levels only."""
    results = {}
    for participation in (0.0, 1.0):
        w = world(n=1000, seed=3, scramble=False, participation=participation,
                  project_dispute_rate=0.0)  # fmt: skip
        r = w.residents
        r.need[:] = 0.5
        r.need_weight[:] = [1.0, 0, 0, 0, 0]
        choose_participants(r, w.coef, w.key, 1, 0, r.size)
        sums = np.zeros((3, 5))
        need_by_domain(r, w.coef, 0, r.size, sums, np.zeros((w.districts.size.size, 3, 5)))
        fraction, spent, mismatch = allocate(sums, 50.0, participation, np.ones(5))
        relief = Relief(fraction, np.zeros((w.districts.size.size, 5)), spent, 0.0, mismatch)
        relieve_need(r, relief, w.coef, 0, r.size)
        results[participation] = (mismatch, r.hardship.mean())
    assert results[1.0][0] < results[0.0][0]
    assert results[1.0][1] < results[0.0][1]


def test_participants_gain_procedural_trust_and_no_one_else():
    w = world(n=500, seed=2, participation=0.5, trust_participation=0.01,
              participation_capture=0.0)  # fmt: skip
    before = copy_residents(w.residents)
    choose_participants(w.residents, w.coef, w.key, 4, 0, 500)
    r = w.residents
    assert 0.3 < r.participates.mean() < 0.7
    gained = r.experience - before.experience
    assert np.allclose(gained[r.participates], 0.01)
    assert np.all(gained[~r.participates] == 0)


def test_participation_is_captured_by_the_better_off():
    """With capture, the better-off take part more often (Bardhan and Mookherjee 2000)."""
    shares = {}
    for capture in (0.0, 2.0):
        w = world(n=4000, seed=3, participation=0.3, participation_capture=capture)
        r = w.residents
        r.hardship[:] = np.where(np.arange(r.size) % 2 == 0, 0.1, 0.6)
        choose_participants(r, w.coef, w.key, 5, 0, r.size)
        better_off = r.hardship < 0.3
        shares[capture] = (r.participates[better_off].mean(), r.participates[~better_off].mean())
    assert abs(shares[0.0][0] - shares[0.0][1]) < 0.04
    assert shares[2.0][0] > shares[2.0][1] + 0.2


def test_projects_start_disputes_only_where_spending_is_top_down():
    rises = {}
    for rate in (0.0, 5.0):
        w = world(n=3000, seed=4, scramble=False, project_dispute_rate=rate)
        r = w.residents
        before = r.need.copy()
        relief = Relief(np.zeros(5), np.zeros((w.districts.size.size, 5)), 30.0, 30.0, 0.0)
        started = start_disputes(r, relief, w.coef, w.key, 2)
        rises[rate] = r.need - before
        assert started == int((rises[rate] > 0).any(axis=1).sum())
    assert not rises[0.0].any()
    hit = rises[5.0] > 0
    assert hit[:, 3].mean() == pytest.approx(5.0 * 30.0 / 3000, abs=0.02)
    assert not np.delete(hit, 3, axis=1).any(), "disputes are about housing"


def test_announced_spending_raises_expectations_and_participants_discount_it():
    w = world(n=2000, seed=5, participation=0.5, spending_visibility=10.0,
              expectation_adaptation=1.0, participant_understanding=1.0)  # fmt: skip
    r = w.residents
    assess_hardship(r, 0, r.size)
    choose_participants(r, w.coef, w.key, 1, 0, r.size)
    relief = Relief(np.zeros(5), np.zeros((w.districts.size.size, 5)), 20.0, 20.0, 0.0)
    form_expectations(r, relief, w.coef, 0, r.size)
    promise = 10.0 * 20.0 / r.size
    others = ~r.participates
    assert np.allclose(r.aspiration[others], np.maximum(r.hardship[others] - promise, 0.0))
    assert np.allclose(r.aspiration[r.participates], r.hardship[r.participates])


def test_the_treasury_pays_first_what_is_owed_and_lends_no_more_than_a_budget():
    t = treasury(budget=10.0, fixed_costs=3.0)
    assert open_budget(t) == 7.0
    assert can_pay(t, 10.0) and not can_pay(t, 10.5)
    pay(t, TARGETED, 9.0)
    assert t.accounts[TARGETED] == 9.0 and not can_pay(t, 1.5)
    assert open_budget(t) == 0.0, "the next step's relief pays the debt first"
    assert t.accounts[OWED] == 2.0 and t.accounts[TARGETED] == 0.0
    assert open_budget(t) == 5.0


def test_committees_spend_their_share_on_what_their_residents_voice():
    w = world(n=2000, seed=6, scramble=False, self_management=0.5, participation=0.0,
              committee_overhead=0.2, participation_capture=0.0)  # fmt: skip
    r = w.residents
    r.need[:] = 0.5
    r.need_weight[:] = [0.0, 0.0, 1.0, 0.0, 0.0]
    city = np.zeros((3, 5))
    districts = np.zeros((w.districts.size.size, 3, 5))
    need_by_domain(r, w.coef, 0, r.size, city, districts)
    relief = livelihood_relief(w.treasury, w.planner, city, districts, 0, w.coef)
    available = w.treasury.budget - w.treasury.fixed_costs
    assert relief.spent == pytest.approx(available * (1 - 0.5 * 0.2), rel=1e-9)
    # Committees give everything to the domain their residents weigh; the city does not know it.
    assert np.all(relief.districts[:, [0, 1, 3, 4]] == 0) and np.all(relief.districts[:, 2] > 0)
    assert w.treasury.accounts[GOVERNANCE] == pytest.approx(available * 0.5 * 0.2)


# --- grievance --------------------------------------------------------------


@given(seeds, sizes, unit, unit)
def test_grievance_stays_in_range_consumes_injustice_and_rises_with_it(seed, n, decay, inflow):
    w = world(n=n, seed=seed, grievance_decay=decay, inflow_rate=inflow)
    assess_hardship(w.residents, 0, n)
    w.residents.aspiration[:] = w.residents.hardship * 0.8
    more = copy_residents(w.residents)
    more.injustice[:] += 0.1
    before = copy_residents(w.residents)
    update_grievance(w.residents, w.organizations, w.coef, 0, n)
    update_grievance(more, w.organizations, w.coef, 0, n)
    r = w.residents
    assert changed_fields(before, r) <= {"grievance", "injustice"}
    assert np.all((r.grievance >= 0) & (r.grievance <= 1))
    assert np.all(r.injustice == 0), "injustice is consumed"
    assert np.all(more.grievance >= r.grievance - 1e-12)


def test_deprivation_adds_to_grievance_only_above_what_was_expected():
    results = []
    for aspiration in (1.0, 0.0):
        w = world(n=300, seed=2, scramble=False, expectation_weight=1.0, inflow_rate=0.5)
        assess_hardship(w.residents, 0, 300)
        w.residents.aspiration[:] = aspiration
        update_grievance(w.residents, w.organizations, w.coef, 0, 300)
        results.append(w.residents.grievance.copy())
    expecting_more, expecting_nothing = results
    assert np.all(expecting_nothing >= expecting_more) and np.any(
        expecting_nothing > expecting_more
    )


@given(seeds, sizes, st.floats(0.01, 1.0), st.floats(0.001, 1.0))
def test_a_new_city_starts_with_grievance_at_its_steady_state(seed, n, decay, inflow):
    """``grievance.start_settled`` (run by the model's constructor): a week without
    injustice or new deprivation leaves the initial grievance where it is."""
    w = world(n=n, seed=seed, scramble=False, grievance_decay=decay, inflow_rate=inflow)
    r = w.residents
    assert np.all((r.grievance >= 0) & (r.grievance <= 1))
    assert np.any(r.grievance > 0), "a city does not start without grievance"
    before = r.grievance.copy()
    update_grievance(r, w.organizations, w.coef, 0, n)
    assert np.allclose(r.grievance, before, atol=1e-12)


def test_epstein_grievance_is_hardship_times_distrust():
    w = world(n=100, seed=1, grievance_mode="epstein")
    assess_hardship(w.residents, 0, 100)
    update_grievance(w.residents, w.organizations, w.coef, 0, 100)
    r = w.residents
    assert np.allclose(r.grievance, r.hardship * (1 - r.legitimacy))


# --- stance -----------------------------------------------------------------


@given(seeds, sizes)
def test_protesting_neighbours_are_a_matrix_product(seed, n):
    w = world(n=n, seed=seed)
    count_protesting_neighbours(w.residents, w.network)
    protesting = w.dense() @ (w.residents.stance == Stance.PROTESTING)
    assert np.array_equal(w.residents.protesting_neighbours, protesting)


@given(seeds, sizes, st.floats(0.0, 0.5), st.floats(0.0, 0.5))
def test_stance_follows_the_documented_rule(seed, n, threshold, contagion):
    w = world(n=n, seed=seed, protest_threshold=threshold, contagion=contagion)
    r, c = w.residents, w.coef
    count_protesting_neighbours(r, w.network)
    r.voice_expectation[:] = np.random.default_rng(seed).random(n)
    before = copy_residents(r)
    decide_stance(r, w.network, w.districts, w.organizations, c, 0, n)
    assert changed_fields(before, r) <= {"stance"}
    # An independent reading of the rule, resident by resident.
    degree = np.diff(w.network.indptr)
    share = before.protesting_neighbours / np.maximum(degree, 1)
    control = w.districts.control_in_view[before.district]
    for i in range(n):
        if before.stance[i] == Stance.DETAINED:
            assert r.stance[i] == Stance.DETAINED
            continue
        p = arrest_probability_one(control[i], before.protesting_neighbours[i] + 1.0, c.arrest_k, 0)
        g, risk = before.grievance[i], before.risk_aversion[i]
        claims = c.claims_weight * (before.voice_expectation[i] - c.initial_voice_expectation)
        if (
            before.deterred_left[i] == 0
            and g - risk * p > threshold - contagion * share[i] - claims
        ):
            expected = Stance.PROTESTING
        elif (
            g - risk * w.districts.petition_risk[before.district[i]] > c.petition_threshold - claims
            and before.legitimacy[i] >= c.petition_trust
            and before.rebuffed_left[i] <= 0
        ):
            expected = Stance.PETITIONING
        else:
            expected = Stance.QUIET
        assert r.stance[i] == expected, i


def test_members_face_collective_action_at_a_lower_cost():
    """Organizations mobilize: members weigh risk less and follow fellow members (McCarthy-Zald)."""
    decided, members = {}, None
    for mobilization in (0.0, 0.8):
        w = world(n=600, seed=8, organizations=6, org_mobilization=mobilization,
                  cadres_per_1000=80.0, repression=0.9)  # fmt: skip
        r = w.residents
        members = r.org >= 0
        r.grievance[:] = 0.45
        r.stance[:] = Stance.QUIET
        r.deterred_left[:] = 0
        w.organizations.protest_share[w.organizations.alive] = 0.5
        count_protesting_neighbours(r, w.network)
        decide_stance(r, w.network, w.districts, w.organizations, w.coef, 0, 600)
        decided[mobilization] = r.stance == Stance.PROTESTING
    assert np.array_equal(decided[0.8][~members], decided[0.0][~members]), "non-members unmoved"
    assert decided[0.8][members].sum() > decided[0.0][members].sum()


@given(seeds, sizes)
def test_residents_learn_the_share_of_claims_answered_around_them(seed, n):
    w = world(n=n, seed=seed, claims_learning=0.5)
    r = w.residents
    rng = np.random.default_rng(seed)
    r.voice_outcome[:] = rng.choice([0, 1, 2], n)
    before = r.voice_expectation.copy()
    count_claims_seen(r, w.network)
    learn_from_claims(r, w.coef, 0, n)
    seen = w.dense() + np.eye(n, dtype=np.int64)
    voiced = seen @ (r.voice_outcome > 0)
    answered = seen @ (r.voice_outcome == 2)
    share = np.divide(answered, voiced, out=np.zeros(n), where=voiced > 0)
    expected = np.where(voiced > 0, before + 0.5 * (share - before), before)
    assert np.allclose(r.voice_expectation, expected)


def test_arrest_probability_is_epsteins():
    # Epstein (2002): k = 2.3 gives P = 0.9 at C = A = 1 (0.8997 exactly).
    assert arrest_probability_one(1.0, 1.0, 2.3, 0) == pytest.approx(0.8997, abs=5e-5)
    # floor (NetLogo) truncates C/A, round (Mesa) rounds half to even.
    for control, actives, floor, rounded in [(1.0, 2.0, 0, 0), (3.0, 2.0, 1, 2), (2.5, 1.0, 2, 2)]:
        assert arrest_probability_one(control, actives, 2.3, 1) == pytest.approx(
            1 - np.exp(-2.3 * floor)
        )
        assert arrest_probability_one(control, actives, 2.3, 2) == pytest.approx(
            1 - np.exp(-2.3 * rounded)
        )


# --- petitions, protests, detention, backlash -------------------------------


def _respond(seed, n, **overrides):
    w = world(n=n, seed=seed, cadres_per_1000=60.0, **overrides)
    w.residents.petition_level[:] = 0
    open_budget(w.treasury)
    before = copy_residents(w.residents)
    report = respond_to_petitions(
        w.residents, w.districts, w.organizations, w.treasury, w.coef, w.key, 5
    )
    return w, before, report


@given(seeds, sizes, unit, unit)
def test_more_tolerance_never_more_interceptions(seed, n, t1, t2):
    low, high = sorted((t1, t2))
    a, before, report = _respond(seed, n, tolerance=low)
    b, _, _ = _respond(seed, n, tolerance=high)
    petitioned = before.stance == Stance.PETITIONING
    for w in (a, b):
        r = w.residents
        assert changed_fields(before, r) <= {
            "stance", "detention_left", "grievance", "need", "rebuffed_left", "injustice",
            "experience", "victim", "voice_outcome", "petition_level",
        }  # fmt: skip
        assert np.all(r.victim <= petitioned), "only petitioners are victims here"
        moved = r.stance != before.stance
        assert np.all(r.stance[moved] == Stance.DETAINED) and np.all(petitioned[moved])
    # Same draws in both: pointwise, the tolerant regime intercepts no one the other spared.
    assert np.all(b.residents.victim <= a.residents.victim)
    assert np.all(report.handled <= np.ceil(a.districts.service_capacity))
    assert report.handled.sum() <= petitioned.sum()
    assert np.array_equal(a.residents.voice_outcome > 0, petitioned), "every claim has an outcome"


def test_petition_fates_and_their_effects():
    w, before, report = _respond(11, 2000, tolerance=0.5, repression=0.5, resolution=0.5,
                                 escalation=1.0)  # fmt: skip
    r, c = w.residents, w.coef
    petitioned = before.stance == Stance.PETITIONING
    answered = petitioned & (r.grievance < before.grievance)
    intercepted = petitioned & r.victim
    detained = petitioned & (r.stance == Stance.DETAINED)
    unanswered = petitioned & ~answered & ~intercepted
    assert answered.any() and intercepted.any() and detained.any() and unanswered.any()
    assert np.allclose(r.grievance[answered], before.grievance[answered] * (1 - c.release))
    assert np.all(r.rebuffed_left[intercepted] == c.rebuff_memory)
    assert np.all(
        (r.detention_left[detained] >= 1) & (r.detention_left[detained] <= c.max_detention)
    )
    assert np.allclose(
        r.injustice[unanswered] - before.injustice[unanswered], c.injustice_unanswered
    )
    assert np.all(detained <= intercepted)
    assert report.handled.sum() == (answered | intercepted).sum()
    # Every local failure takes the next petition higher (escalation 1); successes stay local.
    failed = petitioned & (r.voice_outcome == 1)
    assert np.all(r.petition_level[failed] == 1) and np.all(r.petition_level[answered] == 0)
    assert report.settled[SETTLED_LOCALLY] == answered.sum()


def test_upward_petitioners_are_intercepted_within_control_or_reach_the_upper_offices():
    w = world(n=3000, seed=12, cadres_per_1000=30.0, tolerance=0.2, upper_capacity=2.0,
              upper_acceptance=1.0, repression=0.0)  # fmt: skip
    r = w.residents
    r.stance[:] = np.where(np.arange(r.size) % 5 == 0, Stance.PETITIONING, Stance.QUIET)
    r.petition_level[:] = 1
    open_budget(w.treasury)
    report = respond_to_petitions(r, w.districts, w.organizations, w.treasury, w.coef, w.key, 3)
    assert np.all(report.intercepted <= np.ceil(w.districts.arrest_capacity))
    assert report.intercepted.sum() > 0 and report.upward.sum() > 0
    assert report.upward.sum() <= np.ceil(2.0 * r.size / 1000)
    assert report.by_level[PROVINCE] == (r.stance == Stance.PETITIONING).sum()
    # Those taken up above go back to the local level; intercepted ones will try again.
    assert (r.petition_level == 0).sum() >= report.upward.sum()
    assert ((r.voice_outcome == 1) & (r.petition_level >= 1)).sum() >= report.intercepted.sum()


def test_concessions_cost_the_budget_and_stop_when_it_is_spent():
    resolved = {}
    for budget in (0.0, 0.02):
        w, before, _ = _respond(13, 2000, tolerance=1.0, resolution=1.0, livelihood_budget=budget)
        resolved[budget] = int(((before.need - w.residents.need) > 0).any(axis=1).sum())
        spent = w.treasury.accounts[TARGETED]
        assert spent == pytest.approx(float((before.need - w.residents.need).sum()), rel=1e-5)
        assert spent <= w.treasury.budget + 1e-9
    assert resolved[0.0] == 0 and resolved[0.02] > 0


@given(seeds, sizes, st.sampled_from([0.0, 0.3, 1.0]), unit)
def test_arrests_within_control_capacity_and_dialogue_for_the_free(seed, n, repression, rights):
    # Incidents too large to happen, so that only arrests and dialogue act here
    # (their settlement as a whole: tests/test_incidents.py).
    w = world(n=n, seed=seed, repression=repression, rights=rights, tolerance=0.8,
              cadres_per_1000=120.0, incident_min_size=10**6)  # fmt: skip
    open_budget(w.treasury)
    before = copy_residents(w.residents)
    k = w.districts.size.size
    nothing = PetitionReport(
        np.zeros(k), np.zeros(k), np.zeros(k, np.int64), np.zeros(3), np.zeros(2)
    )
    respond_to_protests(w.residents, w.network, w.districts, nothing, w.treasury, w.coef, w.key, 5)
    r, c = w.residents, w.coef
    protested = before.stance == Stance.PROTESTING
    arrested = protested & (r.stance == Stance.DETAINED)
    talked = protested & (r.grievance < before.grievance)
    per_district = np.bincount(r.district[arrested], minlength=w.districts.size.size)
    assert np.all(per_district <= np.ceil(w.districts.arrest_capacity))
    assert not np.any(arrested & talked)
    assert np.all(r.victim == arrested)
    assert np.all(
        (r.detention_left[arrested] >= 1) & (r.detention_left[arrested] <= c.max_detention)
    )
    assert np.allclose(r.grievance[talked], before.grievance[talked] * (1 - c.release))
    if repression == 0.0:
        assert not arrested.any()
    if rights == 0.0:
        assert not talked.any()
    if repression == 1.0:
        wanted = np.bincount(r.district[protested], minlength=per_district.size)
        capacity = w.districts.arrest_capacity
        assert np.all(per_district >= np.minimum(wanted, np.floor(capacity)))
        assert np.all(per_district <= np.minimum(wanted, np.ceil(capacity)))


def test_prevention_resolves_quiet_grievances_within_its_effort_and_the_budget(seed=3):
    w = world(n=2000, seed=seed, prevention=0.5, cadres_per_1000=40.0, prevention_watch_level=0.3)
    open_budget(w.treasury)
    r = w.residents
    before = copy_residents(r)
    resolved = prevent_at_source(r, w.districts, w.treasury, w.coef, w.key, 2)
    touched = (before.need != r.need).any(axis=1)
    assert resolved == touched.sum() > 0
    assert np.all(before.stance[touched] == Stance.QUIET)
    assert np.all(before.grievance[touched] > 0.3)
    per_district = np.bincount(r.district[touched], minlength=w.districts.size.size)
    assert np.all(per_district <= np.ceil(w.districts.prevention_capacity))
    assert w.treasury.accounts[TARGETED] == pytest.approx(float((before.need - r.need).sum()))
    none = world(n=2000, seed=seed, prevention=0.0)
    assert (
        prevent_at_source(none.residents, none.districts, none.treasury, none.coef, none.key, 2)
        == 0
    )


@given(seeds, sizes)
def test_backlash_reaches_every_neighbour_of_every_victim(seed, n):
    w = world(n=n, seed=seed, injustice_backlash=0.02, trust_backlash=0.005)
    rng = np.random.default_rng(seed)
    w.residents.victim[:] = rng.random(n) < 0.1
    victims = w.residents.victim.copy()
    before = copy_residents(w.residents)
    backlash(w.residents, w.network, w.coef)
    known = w.dense() @ victims
    assert np.allclose(w.residents.injustice - before.injustice, 0.02 * known)
    assert np.allclose(w.residents.experience - before.experience, -0.005 * known)
    assert not w.residents.victim.any(), "the marks are cleared"


# --- grid -------------------------------------------------------------------


@given(seeds, st.integers(1, 500), st.integers(1, 50))
def test_cells_have_the_requested_size(seed, n, households):
    rng = np.random.default_rng(seed)
    cell, count = assign_cells(rng.random((n, 2)), households)
    sizes_ = np.bincount(cell)
    assert count == len(sizes_) == -(-n // households)
    assert np.all(sizes_[:-1] == households) and 1 <= sizes_[-1] <= households


@given(seeds, sizes, st.integers(1, 6), st.booleans(), st.sampled_from(["service", "control"]))
def test_grid_acts_only_on_the_watched(seed, n, agencies, sharing, mode):
    w = world(
        n=n, seed=seed, grid_cell_households=10, grid_agencies=agencies,
        grid_info_sharing=sharing, grid_mode=mode, collective_responsibility=False,
        grid_detection_rate=5.0, grid_staff_cost=0.0, grid_platform_cost=0.0,
    )  # fmt: skip
    before = copy_residents(w.residents)
    grid_management(w.residents, w.grid, w.coef, w.key, 5, 0, n)
    r, c = w.residents, w.coef
    cases = r.grid_case.copy()
    open_budget(w.treasury)
    resolve_grid_cases(r, w.treasury, c, w.key, 5)
    watched = before.grievance > c.grid_watch_level
    visits = (1 if sharing else agencies) / 10
    routine = c.grid_intrusion * visits
    extra = r.injustice - before.injustice - routine
    assert np.allclose(extra[~watched], 0.0)
    assert np.all(r.need[~watched] == before.need[~watched])
    assert changed_fields(before, r) <= {"need", "injustice", "experience", "deterred_left"}
    assert not r.grid_case.any(), "cases are cleared once settled"
    assert np.all(cases <= watched)
    if mode == "service":
        assert np.all(r.deterred_left == before.deterred_left)
        assert np.all(r.need <= before.need)
        assert np.all((r.need != before.need).any(axis=1) <= cases)
        spent = float((before.need - r.need).sum())
        assert w.treasury.accounts[TARGETED] == pytest.approx(spent, rel=1e-5, abs=1e-9)
    else:
        assert np.all(r.need == before.need)
        visited = r.deterred_left != before.deterred_left
        assert np.all(visited <= watched)
        assert np.allclose(extra[visited], c.injustice_visit)
    cost, duplicated = grid_cost(7, agencies, sharing, 0.5, 2.0)
    platforms = 1 if sharing else agencies
    assert cost == pytest.approx(7 * agencies * 0.5 + platforms * 2.0)
    assert duplicated == pytest.approx((platforms - 1) * 2.0)


def test_collective_responsibility_covers_whole_cells():
    w = world(n=100, seed=4, grid_cell_households=10, collective_responsibility=True,
              grid_intrusion=0.0, grid_watch_level=1.0, injustice_collective=0.05)  # fmt: skip
    r = w.residents
    r.stance[:] = Stance.QUIET
    r.stance[[3, 57]] = Stance.PROTESTING
    before = copy_residents(r)
    mark_protest_cells(r, w.grid)
    grid_management(r, w.grid, w.coef, w.key, 1, 0, 100)
    punished = np.isin(r.cell, r.cell[[3, 57]])
    assert np.allclose(r.injustice - before.injustice, np.where(punished, 0.05, 0.0))


def test_no_grid_changes_nothing():
    w = world(n=100, seed=4, grid_cell_households=0, collective_responsibility=True)
    before = copy_residents(w.residents)
    mark_protest_cells(w.residents, w.grid)
    grid_management(w.residents, w.grid, w.coef, w.key, 1, 0, 100)
    assert not changed_fields(before, w.residents)


# --- organizations ----------------------------------------------------------


@given(seeds, sizes, unit)
def test_only_aggrieved_non_members_found_and_ids_come_in_order(seed, n, openness):
    w = world(n=n, seed=seed, organizations=3, org_openness=openness, org_founding_rate=0.5)
    before = copy_residents(w.residents)
    leave_organizations(w.residents, w.organizations, w.coef, w.key, 2, 0, n)
    r = w.residents
    assert np.all((r.org == before.org) | (r.org == NO_ORGANIZATION)), "members only leave"
    outside = r.org == NO_ORGANIZATION
    first = int(w.organizations.next_id[0])
    table = found_organizations(r, w.organizations, w.coef, w.key, 2)
    founders = np.flatnonzero(r.org >= first)
    assert np.all(outside[founders]), "only residents outside every organization found one"
    assert np.all(r.grievance[founders] > w.coef.org_founding_grievance)
    assert np.array_equal(r.org[founders], first + np.arange(founders.size)), "ids in order"
    assert int(table.next_id[0]) == first + founders.size
    assert np.all(table.alive[first : first + founders.size])
    assert np.allclose(
        table.capacity[r.org[founders]], w.coef.org_capacity * (1 + w.coef.org_support)
    )


@pytest.mark.parametrize("rate", [0.002, 0.05, 0.4])
def test_applications_drawn_event_by_event_follow_the_founding_rate(rate):
    """One geometric draw per application has the law of one draw per resident."""
    n = 40_000
    counts = []
    for step in range(1, 6):
        w = world(n=n, seed=11, organizations=0, org_founding_rate=rate, org_openness=1.0,
                  org_founding_grievance=0.0)  # fmt: skip
        w.residents.grievance[:] = 0.5
        w.residents.org[:] = NO_ORGANIZATION
        first = int(w.organizations.next_id[0])
        found_organizations(w.residents, w.organizations, w.coef, w.key, step)
        counts.append(int((w.residents.org >= first).sum()))
    expected = 5 * n * rate
    assert abs(sum(counts) - expected) < 4 * np.sqrt(expected * (1 - rate))


def test_the_table_grows_and_keeps_its_rows():
    w = world(n=400, seed=5, organizations=2, org_founding_rate=1.0, org_openness=1.0,
              org_founding_grievance=0.0)  # fmt: skip
    old = w.organizations
    alive_before = np.flatnonzero(old.alive)
    leave_organizations(w.residents, old, w.coef, w.key, 1, 0, 400)
    table = found_organizations(w.residents, old, w.coef, w.key, 1)
    assert table.alive.size > old.alive.size
    assert np.all(table.alive[alive_before])
    assert np.allclose(table.alignment[alive_before], old.alignment[alive_before])
    assert not table.alive[-1], "the last row stays empty for residents without one"


@given(seeds, sizes)
def test_recruits_join_within_room_and_members_are_served(seed, n):
    w = world(n=n, seed=seed, organizations=4, org_recruit_rate=1.0)
    table = w.organizations
    table.capacity[table.alive] = 7.0
    before = copy_residents(w.residents)
    members = recruit_and_serve(w.residents, table, w.network, w.coef, w.key, 3, 1)
    r = w.residents
    old_members = before.org != NO_ORGANIZATION
    assert np.array_equal(r.org[old_members], before.org[old_members]), "members never switch"
    assert np.array_equal(members, np.bincount(r.org[r.org >= 0], minlength=table.alive.size))
    served = (r.org >= 0) & (table.kind[r.org] == SERVICE)
    assert np.all(r.need[~served] == before.need[~served]), "only service organizations serve"
    assert np.all(r.need <= before.need)
    protesting = np.bincount(r.org[(r.org >= 0) & (r.stance == Stance.PROTESTING)],
                             minlength=members.size)  # fmt: skip
    alive = members > 0
    assert np.allclose(table.protest_share[alive], protesting[alive] / members[alive])
    joined = (before.org == NO_ORGANIZATION) & (r.org >= 0)
    neighbours = w.dense()
    for i in np.flatnonzero(joined):
        assert r.org[i] in before.org[neighbours[i] > 0], "recruited through a tie"


def test_dependent_organizations_appeal_less_to_recruits():
    joined = {}
    for loss in (0.0, 1.0):
        w = world(n=800, seed=9, organizations=6, org_recruit_rate=1.0,
                  support_credibility_loss=loss)  # fmt: skip
        table = w.organizations
        table.capacity[table.alive] = 1000.0
        table.autonomy[table.alive] = 0.2
        before = w.residents.org.copy()
        recruit_and_serve(w.residents, table, w.network, w.coef, w.key, 3, 1)
        joined[loss] = int(((before < 0) & (w.residents.org >= 0)).sum())
    assert joined[1.0] < joined[0.0] and joined[0.0] > 0


def test_members_leave_organizations_that_strayed_from_their_mission():
    left = {}
    for alignment in (1.0, 0.0):
        w = world(n=600, seed=10, organizations=9, org_leave_rate=0.0, org_misalignment_leave=0.5)
        w.organizations.alignment[w.organizations.alive] = alignment
        members = w.residents.org >= 0
        leave_organizations(w.residents, w.organizations, w.coef, w.key, 2, 0, 600)
        left[alignment] = int((members & (w.residents.org < 0)).sum())
    assert left[1.0] == 0 and left[0.0] > 0


def test_settling_drifts_toward_rights_shuts_advocates_and_ends_empty_ones():
    w = world(n=200, seed=7, organizations=6, rights=0.5, org_drift_rate=0.2,
              org_closure_rate=1.0, org_openness=0.0, org_support=0.5,
              org_support_cost=0.01)  # fmt: skip
    t = w.organizations
    ids = np.flatnonzero(t.alive)
    t.kind[ids] = [MEDIATION, 0, 0, 0, MEDIATION, 2]
    t.alignment[ids] = [0.9, 0.9, 0.05, 0.9, 0.9, 0.6]
    members = np.zeros(t.alive.size)
    members[ids] = [5, 5, 5, 0, 5, 5]
    open_budget(w.treasury)
    settle_organizations(t, members, w.treasury, w.coef, w.key, 3)
    assert list(t.shut[ids]) == [True, False, False, False, True, False]
    # Shut or empty ones end; a misaligned one lives on (its members drift away instead).
    assert list(t.alive[ids]) == [False, True, True, False, False, True]
    assert w.treasury.accounts[GOVERNANCE] == pytest.approx(0.5 * 0.01 * 25)
    assert t.alignment[ids[1]] == pytest.approx(0.9 + 0.2 * (0.5 * 0.1 - 0.5 * 0.9))
    assert t.alignment[ids[5]] == pytest.approx(0.6 + 0.2 * (0.5 * 0.4 - 0.5 * 0.6))
    # Members of the ended organizations are released; those of shut ones feel it.
    r = w.residents
    before = copy_residents(r)
    release_members(r, t, w.coef, 0, 200)
    ended = (before.org >= 0) & ~t.alive[before.org]
    assert np.all(r.org[ended] == NO_ORGANIZATION)
    shut = ended & t.shut[before.org]
    assert np.allclose(r.injustice[shut] - before.injustice[shut], w.coef.injustice_closure)
    assert np.all(r.injustice[~shut] == before.injustice[~shut])


# --- legitimacy -------------------------------------------------------------


@given(seeds, sizes, unit, unit)
def test_trust_stays_in_range_and_experience_is_consumed(seed, n, influence, recovery):
    w = world(n=n, seed=seed, social_influence=influence, legitimacy_recovery=recovery)
    assess_hardship(w.residents, 0, n)
    before = copy_residents(w.residents)
    update_legitimacy(w.residents, w.network, w.coef, 0, n)
    r = w.residents
    assert changed_fields(before, r) <= {"next_legitimacy", "experience"}
    assert np.all((r.next_legitimacy >= 0) & (r.next_legitimacy <= 1))
    assert np.all(r.experience == 0)
    adopt_legitimacy(r, 0, n)
    assert np.array_equal(r.legitimacy, r.next_legitimacy)


@given(seeds, sizes)
def test_full_social_influence_takes_the_neighbours_mean(seed, n):
    w = world(n=n, seed=seed, social_influence=1.0, legitimacy_recovery=0.0,
              performance_gap_rate=0.0)  # fmt: skip
    w.residents.experience[:] = 0.0
    update_legitimacy(w.residents, w.network, w.coef, 0, n)
    dense = w.dense()
    degree = dense.sum(axis=1)
    legitimacy = w.residents.legitimacy
    expected = np.where(degree > 0, dense @ legitimacy / np.maximum(degree, 1), legitimacy)
    assert np.allclose(w.residents.next_legitimacy, expected)
