"""Outcome reporters agree with their definitions."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from model.outcomes import OUTCOME_INFO, OUTCOMES, gini, tally


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


def test_tally_means_and_hidden_grievance():
    stance = np.array([0, 0, 1, 2, 3, 0])
    grievance = np.array([0.5, 0.1, 0.9, 0.8, 0.7, 0.3])
    out = tally(stance, grievance, np.full(6, 0.5), np.full(6, 0.2),
                np.array([-1, 2, -1, 3, -1, -1]), 0.2)
    assert list(out[:4]) == [3 / 6, 1 / 6, 1 / 6, 1 / 6]
    # hidden grievance: quiet residents above the threshold, per resident
    assert out[6] == (0.5 + 0.3) / 6
    assert out[8] == 2 / 6


def test_every_outcome_is_declared_once():
    assert len(OUTCOMES) == len(set(OUTCOMES)) == len(OUTCOME_INFO)
    for info in OUTCOME_INFO.values():
        assert info.better in (-1, 0, 1) and info.meaning
