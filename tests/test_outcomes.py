"""Outcome reporters agree with their definitions."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.outcomes import OUTCOME_INFO, OUTCOMES, TALLY_SIZE, as_tally, gini, tally_residents
from tests.worlds import world


def exact_gini(values):
    ordered = np.sort(values)
    n = len(values)
    return (2.0 * np.dot(np.arange(1, n + 1), ordered) / (n * ordered.sum())) - (n + 1) / n


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 3000), st.floats(0.1, 5.0))
def test_binned_gini_matches_exact(seed, n, shape):
    values = np.random.default_rng(seed).beta(shape, 2.0, n)
    assert abs(gini(values) - exact_gini(values)) < 2e-4 / max(values.mean(), 1e-3)


def test_binned_path_for_large_populations():
    values = np.random.default_rng(3).beta(2.0, 5.0, 200_000)
    assert abs(gini(values) - exact_gini(values)) < 2e-4


def test_gini_extremes():
    assert abs(gini(np.full(100, 0.4))) < 1e-12
    one = np.zeros(1000)
    one[0] = 1.0
    assert abs(gini(one) - (1 - 1 / 1000)) < 1e-9
    assert gini(np.zeros(10)) == 0.0


def test_tally_sums_stances_and_hidden_grievance():
    w = world(n=6, seed=1, scramble=False, petition_threshold=0.2)
    r = w.residents
    r.stance[:] = [0, 0, 1, 2, 3, 0]
    r.grievance[:] = [0.5, 0.1, 0.9, 0.8, 0.7, 0.3]
    r.org[:] = [-1, 2, -1, 3, -1, -1]
    sums = np.zeros(TALLY_SIZE)
    tally_residents(r, w.coef, 0, 6, sums)
    tally = as_tally(sums)
    assert (tally.quiet, tally.petitioning, tally.protesting, tally.detained) == (3, 1, 1, 1)
    # hidden grievance: quiet residents above the threshold
    assert tally.hidden_grievance == 0.5 + 0.3
    assert tally.members == 2
    assert tally.legitimacy == pytest.approx(r.legitimacy.sum())


def test_every_outcome_is_declared_once():
    assert len(OUTCOMES) == len(set(OUTCOMES)) == len(OUTCOME_INFO)
    for info in OUTCOME_INFO.values():
        assert info.better in (-1, 0, 1) and info.meaning
