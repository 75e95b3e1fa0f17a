"""The fused step (model.schedule) and its counter-based draws (model.draws).

The passes call the submodels' own rules; these tests check what the fusion
itself could get wrong: the packed parameters, the network walks (protesting
neighbours, neighbour mean trust), the sums behind the outcomes, and that
the result depends neither on the number of threads nor, for the draws, on
anything but their coordinates.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import model.jit
import model.schedule as schedule
from model import SocialManagementModel
from model.draws import STREAMS, draws_at, run_key, uniform, uniforms
from model.outcomes import tally
from model.population import NO_ORGANIZATION, Stance
from model.submodels.livelihood import livelihood_shocks
from model.submodels.stance import arrest_probability, decide_stance

ROOT = Path(__file__).resolve().parents[1]

MASK = (1 << 64) - 1


def splitmix64_reference(key: int, step: int, stream: int, index: int) -> float:
    """SplitMix64 at one counter, in plain Python integers."""
    z = (key + ((((step * STREAMS + stream) << 32) + index) * 0x9E3779B97F4A7C15)) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    z ^= z >> 31
    return (z >> 11) * 2.0**-53


@settings(deadline=None)
@given(
    st.integers(0, 2**64 - 1),
    st.integers(0, 100_000),
    st.integers(0, STREAMS - 1),
    st.integers(0, 2**32 - 1),
)
def test_uniform_is_splitmix64_at_its_coordinates(key, step, stream, index):
    assert uniform(np.uint64(key), step, stream, index) == splitmix64_reference(
        key, step, stream, index
    )


def test_draws_are_uniform_and_streams_independent():
    key = run_key(np.random.default_rng(3))
    a = uniforms(key, 7, 0, 200_000)
    b = uniforms(key, 7, 1, 200_000)
    c = uniforms(key, 8, 0, 200_000)
    assert stats.kstest(a, "uniform").pvalue > 1e-3
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.01 and abs(np.corrcoef(a, c)[0, 1]) < 0.01
    assert np.array_equal(draws_at(key, 7, 1, np.array([5, 0, 199_999])), b[[5, 0, 199_999]])


def test_coefficient_constants_follow_the_names():
    for index, name in enumerate(schedule.COEFFICIENTS):
        assert getattr(schedule, name.upper()) == index, name


def test_coefficients_carry_the_run_values():
    m = SocialManagementModel("grid_control", n_residents=300, rng=0, release=0.37)
    coef = m.coef
    assert coef[schedule.RELEASE] == 0.37
    assert coef[schedule.REPRESSION] == m.levers.repression
    assert coef[schedule.GRID_AGENCIES] == m.levers.grid_agencies
    assert coef[schedule.GRID_CONTROL_MODE] == float(m.levers.grid_mode == "control")
    assert coef[schedule.DIALOGUE_CHANCE] == pytest.approx(m.levers.tolerance * m.levers.rights)


def random_graph(seed: int, n: int, degree: int) -> sp.csr_array:
    rng = np.random.default_rng(seed)
    a = sp.random_array((n, n), density=min(degree / n, 1.0), rng=rng, format="csr")
    a = ((a + a.T) > 0).astype(np.float32)
    a.setdiag(0)
    a.eliminate_zeros()
    return sp.csr_array(a)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 120), st.integers(1, 6))
def test_end_week_trust_moves_to_the_neighbour_mean_and_sums_match_tally(seed, n, degree):
    adjacency = random_graph(seed, n, degree)
    rng = np.random.default_rng(seed)
    legitimacy, grievance, hardship = rng.random(n), rng.random(n), rng.random(n)
    stance = rng.integers(0, 4, n).astype(np.int8)
    org = np.where(rng.random(n) < 0.3, 0, NO_ORGANIZATION).astype(np.int64)
    coef = np.zeros(len(schedule.COEFFICIENTS))
    coef[schedule.SOCIAL_INFLUENCE] = 1.0  # trust becomes the neighbours' mean
    coef[schedule.PETITION_THRESHOLD] = 0.4
    injustice = rng.random(n) * 2.0
    updated, sums = schedule.end_week(
        legitimacy,
        legitimacy.copy(),
        np.zeros(n),
        injustice,
        hardship,
        grievance,
        stance,
        org,
        np.array([True, False]),
        np.array([False, False]),
        adjacency.indptr,
        adjacency.indices,
        coef,
        1,
    )
    dense = adjacency.toarray()
    degree_ = dense.sum(axis=1)
    expected = np.where(degree_ > 0, dense @ legitimacy / np.maximum(degree_, 1), legitimacy)
    assert np.allclose(updated, expected)
    assert np.all(injustice <= 1.0)
    reference = tally(stance, grievance, updated, hardship, org, 0.4)
    assert np.allclose(sums / n, reference)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 120), st.integers(1, 6))
def test_decide_week_counts_protesting_neighbours(seed, n, degree):
    """Stances equal the array rule fed with shares from a matrix product."""
    adjacency = random_graph(seed, n, degree)
    rng = np.random.default_rng(seed)
    stance = rng.choice([0, 1, 2], n, p=[0.5, 0.2, 0.3]).astype(np.int8)
    need = rng.random((n, 5)).astype(np.float32)
    weight = np.full((n, 5), 0.2, dtype=np.float32)
    legitimacy = rng.random(n)
    risk = rng.random(n)
    coef = np.zeros(len(schedule.COEFFICIENTS))
    coef[schedule.EPSTEIN_GRIEVANCE] = 1.0
    coef[schedule.ARREST_K] = 2.3
    coef[schedule.PROTEST_THRESHOLD] = 0.3
    coef[schedule.CONTAGION] = 0.25
    coef[schedule.PETITION_THRESHOLD] = 0.1
    control = np.array([0.4])
    district = np.zeros(n, dtype=np.int64)
    new_stance, hardship = schedule.decide_week(
        need,
        weight,
        np.zeros(5),
        np.zeros(n),
        legitimacy,
        np.zeros(n),
        np.zeros(n),
        risk,
        stance,
        np.zeros(n, dtype=np.int32),
        np.zeros(n, dtype=np.int32),
        np.full(n, NO_ORGANIZATION, dtype=np.int64),
        np.zeros(1),
        district,
        control,
        np.zeros(1),
        adjacency.indptr,
        adjacency.indices,
        run_key(rng),
        1,
        coef,
    )
    dense = adjacency.toarray()
    protesting = dense @ (stance == Stance.PROTESTING)
    share = protesting / np.maximum(dense.sum(axis=1), 1.0)
    expected = decide_stance(
        stance,
        hardship * (1.0 - legitimacy),
        legitimacy,
        risk,
        arrest_probability(np.full(n, 0.4), protesting + 1.0, 2.3, "literal"),
        share,
        np.zeros(n, dtype=np.int32),
        protest_threshold=0.3,
        contagion=0.25,
        petition_threshold=0.1,
        petition_trust=0.0,
    )
    assert np.allclose(hardship, (need * weight).sum(axis=1), atol=1e-6)
    assert np.array_equal(new_stance, expected)


def test_results_do_not_depend_on_threads(monkeypatch):
    """Parallel passes over many chunks give the serial result, bit for bit.

    Also checks that the week composed pass by pass (above PARALLEL_FROM)
    equals the week as one compiled call (below).
    """

    def run() -> pd.DataFrame:
        m = SocialManagementModel("shared_governance", n_residents=3000, rng=5, inflow_rate=0.4)
        m.run_for(15)
        assert m.chunks == 6
        return m.outcome_table()

    monkeypatch.setattr(schedule, "CHUNK", 512)
    serial = run()
    monkeypatch.setattr(model.jit, "PARALLEL_FROM", 1000)
    parallel = run()
    assert serial["share_petitioning"].sum() > 0  # the passes had work to do
    assert serial["org_membership"].iloc[-1] > 0
    pd.testing.assert_frame_equal(serial, parallel, check_exact=True)


def test_common_random_numbers_are_exact_across_regimes():
    """Two regimes from one seed share every resident's draws.

    With relief, services and resolutions switched off, need changes only by
    shocks; the shocks are draws, so need stays identical across regimes
    while stances, trust and grievance part ways.
    """
    quiet = dict(livelihood_budget=0.0, org_service=0.0, resolution=0.0, inflow_rate=0.5)
    a = SocialManagementModel("rigid_suppression", n_residents=800, rng=9, **quiet)
    b = SocialManagementModel("safety_valve", n_residents=800, rng=9, **quiet)
    a.run_for(20)
    b.run_for(20)
    assert a.key == b.key
    assert np.array_equal(a.population.need, b.population.need)
    assert not np.array_equal(a.population.stance, b.population.stance)
    assert not np.allclose(a.population.legitimacy, b.population.legitimacy)


def test_shocks_follow_the_independent_per_domain_law():
    """One draw decides whether any domain is hit; the law is still per domain."""
    n, rate = 400_000, 0.05
    need = livelihood_shocks(
        np.zeros((n, 5), dtype=np.float32),
        shock_rate=rate,
        shock_size=1.0,
        rng=np.random.default_rng(1),
    )
    hit = need > 0
    tolerance = 4 * np.sqrt(rate * (1 - rate) / n)
    assert np.all(np.abs(hit.mean(axis=0) - rate) < tolerance)
    for a, b in [(0, 1), (0, 4), (2, 3)]:
        assert abs((hit[:, a] & hit[:, b]).mean() - rate**2) < 4 * np.sqrt(rate**2 / n)
    assert abs(hit.any(axis=1).mean() - (1 - (1 - rate) ** 5)) < 4 * np.sqrt(0.23 * 0.77 / n)
    assert stats.kstest(need[hit], "uniform").pvalue > 1e-3


def test_a_second_process_compiles_nothing():
    """Every compiled function of a run is cached: a second process loads, never saves.

    (Numba silently recompiles, in every process, what it cannot cache, e.g.
    a function that closes over others: seconds per process and a cache
    folder that grows.)
    """
    code = (
        "from model import SocialManagementModel\n"
        "SocialManagementModel('shared_governance', n_residents=300, rng=1, inflow_rate=0.5,"
        " org_founding_grievance=0.0, org_founding_rate=0.05).run_for(5)\n"
    )
    env = {**os.environ, "NUMBA_DEBUG_CACHE": "1"}
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       check=True, cwd=ROOT)
        for _ in range(2)
    ]
    lines = runs[1].stdout.splitlines()
    assert any("data loaded from" in line for line in lines)  # the debug output is there
    saved = [line for line in lines if "saved to" in line]
    assert not saved, saved
