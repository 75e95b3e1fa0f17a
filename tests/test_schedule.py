"""The week (model.schedule), its coefficients and its counter-based draws (model.draws).

The processes are tested one by one in test_processes.py; these tests check
what composing them could get wrong: the coefficients record, that the
result depends neither on the number of threads nor on where blocks end,
that regimes share their draws exactly, and that every compiled function
is cached.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import model.jit
import model.schedule as schedule
from model import SocialManagementModel
from model.draws import STREAMS, run_key, uniform
from model.params import DECLARATIONS, Coefficients, choice_code

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

    def draws(step: int, stream: int) -> np.ndarray:
        return np.array([uniform(key, step, stream, i) for i in range(200_000)])

    a, b, c = draws(7, 0), draws(7, 1), draws(8, 0)
    assert stats.kstest(a, "uniform").pvalue > 1e-3
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.01 and abs(np.corrcoef(a, c)[0, 1]) < 0.01


def test_coefficients_carry_the_run_values_by_name():
    m = SocialManagementModel("grid_control", n_residents=300, rng=0, release=0.37)
    coef = m.coef
    assert coef.release == 0.37
    assert coef.repression == m.levers.repression
    assert coef.grid_agencies == m.levers.grid_agencies and isinstance(coef.grid_agencies, int)
    assert coef.grid_mode == choice_code("grid_mode", "control")
    assert coef.grid_info_sharing is False
    assert set(Coefficients._fields) == set(DECLARATIONS), "one field per declaration"


def test_results_do_not_depend_on_threads(monkeypatch):
    """Parallel passes over many chunks give the serial result, bit for bit.

    Also checks that the week composed pass by pass (above PARALLEL_FROM)
    equals the week as one compiled call (below).
    """

    def run(regime: str) -> pd.DataFrame:
        m = SocialManagementModel(
            regime, n_residents=3000, rng=5, inflow_rate=0.4, org_founding_rate=0.01,
            org_openness=0.9, grid_cell_households=50,
        )  # fmt: skip
        m.run_for(15)
        assert m.partition.chunks == 6
        return m.outcome_table()

    monkeypatch.setattr(schedule, "CHUNK", 512)
    for regime in ("shared_governance", "grid_control"):
        monkeypatch.setattr(model.jit, "PARALLEL_FROM", 50_000)
        serial = run(regime)
        monkeypatch.setattr(model.jit, "PARALLEL_FROM", 1000)
        parallel = run(regime)
        assert serial["share_petitioning"].sum() > 0  # the processes had work to do
        assert serial["org_membership"].iloc[-1] > 0
        assert serial["grid_cost"].iloc[-1] > 0
        pd.testing.assert_frame_equal(serial, parallel, check_exact=True)


def test_results_do_not_depend_on_where_blocks_end(monkeypatch):
    """Phases run their processes block by block; the cut must not matter.

    If a phase held two processes of which one reads what the other writes
    for other residents, moving the block boundaries would change the
    result. Sums are carried through each chunk in resident order, so the
    results must be equal bit for bit.
    """

    def run() -> pd.DataFrame:
        m = SocialManagementModel("grid_control", n_residents=5000, rng=2, inflow_rate=0.4,
                                  org_founding_rate=0.01, org_openness=0.9)  # fmt: skip
        m.run_for(8)
        return m.outcome_table()

    assert schedule.partition_for(5000).chunks == 1
    blocks = run()
    monkeypatch.setattr(schedule, "BLOCK", 333)
    assert schedule.partition_for(5000).block == 333
    small_blocks = run()
    assert blocks["share_protesting"].sum() > 0 and blocks["org_membership"].iloc[-1] > 0
    pd.testing.assert_frame_equal(blocks, small_blocks, check_exact=True)


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
    assert np.array_equal(a.residents.need, b.residents.need)
    assert not np.array_equal(a.residents.stance, b.residents.stance)
    assert not np.allclose(a.residents.legitimacy, b.residents.legitimacy)


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
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            cwd=ROOT,
        )
        for _ in range(2)
    ]
    lines = runs[1].stdout.splitlines()
    assert any("data loaded from" in line for line in lines)  # the debug output is there
    saved = [line for line in lines if "saved to" in line]
    assert not saved, saved
