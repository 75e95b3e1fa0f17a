"""Regression: outcomes for fixed seeds stay what they were.

A failure means model behaviour changed. If the change is intended, run
``python -m tests.golden.refresh`` and record it in CHANGELOG.md.
"""

import numpy as np
import pandas as pd

from tests.golden.cases import VALUES, compute


def test_outcomes_match_golden_values():
    expected = pd.read_csv(VALUES, index_col=0)
    actual = compute()
    assert list(actual.index) == list(expected.index), "regimes changed: refresh golden values"
    assert list(actual.columns) == list(expected.columns), "outcomes changed: refresh"
    np.testing.assert_allclose(
        actual.to_numpy(dtype=float),
        expected.to_numpy(dtype=float),
        rtol=1e-9,
        atol=1e-12,
        equal_nan=True,
        err_msg="model behaviour changed; see tests/golden/refresh.py",
    )
