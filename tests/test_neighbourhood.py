"""Network operations agree with scipy's reference implementations."""

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components

from model.neighbourhood import Neighbourhood
from model.network import build_network

settings.register_profile("neighbourhood", max_examples=40, deadline=None)
settings.load_profile("neighbourhood")


def network(seed, n, degree):
    rng = np.random.default_rng(seed)
    return build_network(
        "erdos_renyi",
        n,
        mean_degree=degree,
        long_range_share=0.0,
        position=rng.random((n, 2)),
        rng=rng,
    ), rng


@given(st.integers(0, 10_000), st.integers(2, 200), st.integers(2, 6), st.floats(0.0, 1.0))
def test_groups_match_scipy_components(seed, n, degree, share):
    adjacency, rng = network(seed, n, degree)
    marked = rng.random(n) < share
    rows, label, sizes = Neighbourhood(adjacency).groups(marked)
    assert np.array_equal(rows, np.flatnonzero(marked))
    if rows.size == 0:
        return
    sub = sp.csr_array(adjacency)[rows][:, rows]
    count, reference = connected_components(sub, directed=False)
    assert len(sizes) == count
    assert sorted(sizes) == sorted(np.bincount(reference))
    # same partition: labels map one to one
    pairs = set(zip(label.tolist(), reference.tolist(), strict=True))
    assert len(pairs) == count
