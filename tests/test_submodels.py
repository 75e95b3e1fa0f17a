"""Property tests of the pure submodels: ranges, conservation, no mutation,
monotonicity (hypothesis)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.population import Stance
from model.submodels.capacity import served_within_capacity
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
from model.submodels.petitions import resolve_worst_need, respond_to_petitions
from model.submodels.protests import (
    ProtestResponse,
    respond_to_protests,
    serve_detention,
    settle_protests,
)
from model.submodels.stance import arrest_probability, decide_stance

settings.register_profile("sixerrors", max_examples=40, deadline=None)
settings.load_profile("sixerrors")

seeds = st.integers(0, 2**32 - 1)
sizes = st.integers(1, 300)
unit = st.floats(0.0, 1.0)


def arrays(seed, n, d=5):
    rng = np.random.default_rng(seed)
    need = rng.random((n, d))
    weight = rng.dirichlet(np.ones(d), size=n)
    return rng, need, weight


def test_arrest_probability_epstein_value():
    # Epstein (2002): k = 2.3 gives P = 0.9 at C = A = 1 (0.8997 exactly).
    p = arrest_probability(np.array([1.0]), np.array([1.0]), 2.3, "literal")
    assert p[0] == pytest.approx(0.8997, abs=5e-5)


def test_arrest_rules_differ_as_documented():
    c, a = np.array([1.0, 3.0, 2.5]), np.array([2.0, 2.0, 1.0])
    assert np.allclose(
        arrest_probability(c, a, 2.3, "floor"), 1 - np.exp(-2.3 * np.array([0, 1, 2]))
    )
    # Mesa's round() is half to even: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2.
    assert np.allclose(
        arrest_probability(c, a, 2.3, "round"), 1 - np.exp(-2.3 * np.array([0, 2, 2]))
    )
    with pytest.raises(ValueError, match="arrest rule"):
        arrest_probability(c, a, 2.3, "ceil")


@given(seeds, sizes, st.integers(1, 8))
def test_capacity_never_exceeded(seed, n, groups):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, groups, n)
    capacity = rng.random(groups) * 10
    served = served_within_capacity(group, capacity, rng.random(n))
    per_group = np.bincount(group[served], minlength=groups)
    requests = np.bincount(group, minlength=groups)
    assert np.array_equal(per_group, np.minimum(requests, np.floor(capacity).astype(int)))


@given(seeds, sizes, unit, unit)
def test_grievance_stays_in_range_and_rises_with_injustice(seed, n, decay, inflow):
    rng = np.random.default_rng(seed)
    g, h, legit, inj = (rng.random(n) for _ in range(4))
    before = g.copy()
    new = update_grievance(g, h, legit, inj, decay, inflow)
    assert np.all((new >= 0) & (new <= 1))
    assert np.array_equal(g, before), "input mutated"
    more = update_grievance(g, h, legit, np.minimum(inj + 0.1, 1.0), decay, inflow)
    assert np.all(more >= new - 1e-12)
    assert np.allclose(epstein_grievance(h, legit), h * (1 - legit))


@given(seeds, sizes)
def test_stance_partitions_residents_and_keeps_detained(seed, n):
    rng = np.random.default_rng(seed)
    stance = rng.integers(0, 4, n).astype(np.int8)
    before = stance.copy()
    new = decide_stance(
        stance,
        rng.random(n),
        rng.random(n),
        rng.random(n),
        rng.random(n),
        rng.random(n),
        rng.integers(0, 3, n),
        rng.random(n),
        rng.random(n) < 0.2,
        protest_threshold=0.1,
        contagion=0.1,
        petition_threshold=0.2,
        petition_trust=0.3,
    )
    assert np.array_equal(stance, before)
    assert np.all(np.isin(new, [s.value for s in Stance]))
    assert np.array_equal(new == Stance.DETAINED, stance == Stance.DETAINED)


def _petitions(seed, n, tolerance, repression=0.5):
    rng = np.random.default_rng(seed)
    data = np.random.default_rng(seed + 1)
    petitioning = data.random(n) < 0.5
    district = data.integers(0, 4, n)
    capacity = data.random(4) * n / 4
    return (
        respond_to_petitions(
            petitioning,
            district,
            capacity,
            np.full(4, tolerance),
            0.0,
            repression=repression,
            resolution=0.5,
            max_detention=5,
            rng=rng,
        ),
        petitioning,
        capacity,
        district,
    )


@given(st.integers(0, 2**31), sizes, unit, unit)
def test_more_tolerance_never_more_interceptions(seed, n, t1, t2):
    low, high = sorted((t1, t2))
    a, petitioning, capacity, _ = _petitions(seed, n, low)
    b, *_ = _petitions(seed, n, high)
    assert b.intercepted.sum() <= a.intercepted.sum()
    assert np.all(b.intercepted <= a.intercepted)  # same draws: pointwise
    for r in (a, b):
        outcomes = r.accepted.astype(int) + r.intercepted + r.unanswered
        assert np.array_equal(outcomes, petitioning.astype(int)), "each petition has one fate"
        assert np.all(r.detained <= r.intercepted) and np.all(r.resolved <= r.accepted)
        assert r.terms.size == r.detained.sum() and np.all(r.terms >= 1) and np.all(r.terms <= 5)
        assert np.all(r.handled <= np.floor(capacity))


@given(st.integers(0, 2**31), sizes, unit)
def test_protest_arrests_within_control_capacity(seed, n, repression):
    rng = np.random.default_rng(seed)
    protesting = rng.random(n) < 0.5
    district = rng.integers(0, 3, n)
    control = rng.random(3) * 10
    r = respond_to_protests(
        protesting,
        district,
        control,
        rng.random(3) * 10,
        repression=repression,
        tolerance=0.5,
        rights=0.5,
        max_detention=4,
        rng=rng,
    )
    assert np.all(np.bincount(district[r.arrested], minlength=3) <= np.floor(control))
    assert not np.any(r.arrested & r.dialogue)
    assert np.all(r.arrested <= protesting) and np.all(r.dialogue <= protesting)


def test_arrest_detains_for_its_term_and_dialogue_releases():
    stance = np.full(4, Stance.PROTESTING, dtype=np.int8)
    left = np.zeros(4, dtype=np.int32)
    grievance = np.full(4, 0.8)
    zeros = np.zeros(4)
    response = ProtestResponse(
        arrested=np.array([True, False, True, False]),
        dialogue=np.array([False, True, False, False]),
        terms=np.array([1, 2]),
    )
    after = settle_protests(
        response,
        stance,
        left,
        grievance,
        zeros,
        zeros,
        release=0.5,
        trust_answered=0.1,
        injustice_detained=0.3,
        trust_detained=0.2,
    )
    assert list(grievance) == [0.8] * 4 and list(stance) == [Stance.PROTESTING] * 4, "mutated"
    assert list(after.grievance) == [0.8, 0.4, 0.8, 0.8]
    assert list(after.injustice) == [0.3, 0.0, 0.3, 0.0]
    assert np.allclose(after.experience, [-0.2, 0.1, -0.2, 0.0])
    stance, left = after.stance[:3].copy(), after.detention_left[:3].copy()
    stance[1] = Stance.QUIET
    assert list(stance) == [Stance.DETAINED, Stance.QUIET, Stance.DETAINED]
    stance, left = serve_detention(stance, left)
    assert list(stance) == [Stance.QUIET, Stance.QUIET, Stance.DETAINED]
    stance, left = serve_detention(stance, left)
    assert list(stance) == [0, 0, 0] and list(left) == [0, 0, 0]


@given(seeds, sizes, unit, st.floats(0.0, 0.5), unit)
def test_relief_never_exceeds_budget_or_need(seed, n, participation, per_resident, bias):
    rng, need, weight = arrays(seed, n)
    before = need.copy()
    participating = rng.random(n) < participation
    relief = livelihood_relief(
        need,
        weight,
        participating,
        budget=per_resident * n,
        participation=participation,
        lens=planner_lens(5, bias, rng),
    )
    assert np.array_equal(need, before)
    assert relief.spent <= per_resident * n + 1e-9
    assert np.all(relief.need >= 0) and np.all(relief.need <= need + 1e-12)
    assert relief.spent == pytest.approx(float((need - relief.need).sum()), rel=1e-9, abs=1e-9)
    assert relief.allocation.sum() == pytest.approx(1.0)
    assert 0.0 <= relief.mismatch <= 1.0


def test_participation_targets_what_matters():
    # Residents care only about domain 0; the planner sees need levels only.
    n = 1000
    need = np.full((n, 5), 0.5)
    weight = np.tile([1.0, 0, 0, 0, 0], (n, 1))
    everyone = np.ones(n, dtype=bool)
    lens = np.ones(5)
    top = livelihood_relief(need, weight, everyone, budget=50.0, participation=0.0, lens=lens)
    voiced = livelihood_relief(need, weight, everyone, budget=50.0, participation=1.0, lens=lens)
    hardship = lambda nd: float((weight * nd).sum(axis=1).mean())  # noqa: E731
    assert voiced.mismatch < top.mismatch
    assert hardship(voiced.need) < hardship(top.need)


@given(seeds, sizes, unit, unit)
def test_shocks_raise_need_within_range(seed, n, rate, size):
    rng, need, _ = arrays(seed, n)
    before = need.copy()
    new = livelihood_shocks(need, shock_rate=rate, shock_size=size, rng=rng)
    assert np.array_equal(need, before)
    assert np.all(new >= need) and np.all(new <= 1.0)


@given(seeds, st.integers(1, 500), st.integers(1, 50))
def test_cells_have_the_requested_size(seed, n, households):
    rng = np.random.default_rng(seed)
    cell, count = assign_cells(rng.random((n, 2)), households)
    sizes_ = np.bincount(cell)
    assert count == len(sizes_) == -(-n // households)
    assert np.all(sizes_[:-1] == households) and 1 <= sizes_[-1] <= households


@given(seeds, sizes, st.integers(1, 6), st.booleans(), st.sampled_from(["service", "control"]))
def test_grid_acts_only_on_detected(seed, n, agencies, sharing, mode):
    rng = np.random.default_rng(seed)
    grievance = rng.random(n)
    r = grid_management(
        grievance,
        households_per_cell=10,
        agencies=agencies,
        info_sharing=sharing,
        mode=mode,
        staffing=1.0,
        watch_level=0.3,
        detection_rate=5.0,
        rng=rng,
    )
    assert np.all(r.detected <= (grievance > 0.3))
    assert np.all(r.resolved <= r.detected) and np.all(r.visited <= r.detected)
    assert not (r.resolved.any() and mode == "control")
    assert r.visits_per_household == pytest.approx((1 if sharing else agencies) / 10)
    assert grid_cost(7, agencies, 0.5) == pytest.approx(7 * agencies * 0.5)


def test_collective_penalty_covers_whole_cells():
    cell = np.array([0, 0, 1, 1, 2])
    punished = collective_penalty(cell, np.array([False, True, False, False, False]), 3)
    assert list(punished) == [True, True, False, False, False]


@given(seeds, sizes, unit, unit)
def test_legitimacy_in_range(seed, n, influence, recovery):
    rng = np.random.default_rng(seed)
    legit = rng.random(n)
    before = legit.copy()
    new = update_legitimacy(
        legit,
        rng.random(n),
        rng.random(n),
        rng.normal(0, 0.5, n),
        rng.random(n),
        social_influence=influence,
        legitimacy_recovery=recovery,
        performance_gap_rate=0.1,
        hardship_reference=0.3,
    )
    assert np.array_equal(legit, before)
    assert np.all((new >= 0) & (new <= 1))


@given(seeds, sizes, unit)
def test_organization_rules(seed, n, openness):
    rng = np.random.default_rng(seed)
    org = np.where(rng.random(n) < 0.3, rng.integers(0, 3, n), -1)
    before = org.copy()
    applied, approved = founding_applications(
        rng.random(n), org, grievance_level=0.2, founding_rate=0.5, openness=openness, rng=rng
    )
    assert np.all(approved <= applied) and not np.any(applied & (org >= 0))
    left = leaving(org, leave_rate=0.5, rng=rng)
    assert np.all((left == org) | (left == -1))
    # a ring network
    indptr = np.arange(0, 2 * n + 1, 2)
    indices = np.stack([(np.arange(n) - 1) % n, (np.arange(n) + 1) % n], axis=1).ravel()
    room = np.array([0.0, 5.0, 1e9, 0.0])
    joined = recruitment(org, indptr, indices, room, recruit_rate=1.0, rng=rng)
    assert np.array_equal(org, before)
    assert np.all(joined[org >= 0] == org[org >= 0]), "members never switch"
    newcomers = (org == -1) & (joined >= 0)
    assert not np.any(joined[newcomers] == 0), "a full organization takes no one"
    need = rng.random((n, 5))
    served = member_services(need, rng.dirichlet(np.ones(5), n), np.full(n, 0.5))
    assert np.all(served <= need) and served.sum() < need.sum()
    assert np.allclose(mission_drift(np.array([0.3]), rights=0.7, drift_rate=1.0), [0.7])


def test_resolve_worst_need_zeroes_weightiest_domain():
    need = np.array([[0.5, 0.9, 0.2]])
    weight = np.array([[0.8, 0.1, 0.1]])
    assert list(resolve_worst_need(need, weight, np.array([True]))[0]) == [0.0, 0.9, 0.2]


def test_settle_organizations_drifts_shuts_and_dissolves():
    from model.submodels.organizations import drifted, settle_organizations

    alignment = np.array([0.9, 0.9, 0.05, 0.9, 0.9, 0.0])
    kind = np.array([1, 0, 0, 0, 1, 0], dtype=np.int8)  # 1: advocacy
    alive = np.array([True, True, True, True, True, False])
    members = np.array([5.0, 5.0, 5.0, 0.0, 5.0, 0.0])
    before = alignment.copy()

    def settle(closure_chance: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a = before.copy()
        shut, ending = settle_organizations(
            a, kind, alive, members, np.uint64(7), 3, 1, 0.5, 0.2, closure_chance, 0.2
        )
        return a, shut, ending

    a, shut, ending = settle(1.0)
    assert list(shut) == [True, False, False, False, True, False]
    assert sorted(ending) == [0, 2, 3, 4]  # shut, misaligned, empty
    assert a[1] == pytest.approx(drifted(0.9, 0.5, 0.2)) and a[1] < 0.9  # toward rights
    assert a[5] == 0.0  # the dead row is left alone
    _, shut, ending = settle(0.0)
    assert not shut.any() and sorted(ending) == [2, 3]
