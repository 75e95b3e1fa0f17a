"""Network operations agree with scipy's reference implementations."""

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components

from model.neighbourhood import Network, connected_groups
from model.network import build_network
from model.outcomes import mass_incidents
from model.population import Stance
from tests.worlds import world

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
    csr = sp.csr_array(adjacency)
    slot = np.full(n, -1, dtype=np.int64)
    rows, label, sizes = connected_groups(marked, csr.indptr, csr.indices, slot)
    assert np.array_equal(rows, np.flatnonzero(marked))
    assert np.all(slot == -1), "working space left in use"
    if rows.size == 0:
        return
    sub = sp.csr_array(adjacency)[rows][:, rows]
    count, reference = connected_components(sub, directed=False)
    assert len(sizes) == count
    assert sorted(sizes) == sorted(np.bincount(reference))
    # same partition: labels map one to one
    pairs = set(zip(label.tolist(), reference.tolist(), strict=True))
    assert len(pairs) == count


@given(
    st.integers(0, 10_000),
    st.integers(2, 200),
    st.integers(2, 6),
    st.floats(0.0, 1.0),
    st.sampled_from([1, 2, 2.5, 3, 5]),
)
def test_mass_incidents_count_the_large_groups_of_scipy_components(seed, n, degree, share, size):
    adjacency, rng = network(seed, n, degree)
    marked = rng.random(n) < share
    district = rng.integers(0, 3, n)
    csr = sp.csr_array(adjacency)
    residents = world(n=n, seed=seed, scramble=False).residents
    residents.stance[:] = np.where(marked, int(Stance.PROTESTING), int(Stance.QUIET))
    residents.district[:] = district
    incidents, small, largest, per_district, incident_sizes, by_district = mass_incidents(
        residents, Network(csr.indptr, csr.indices), 3, size
    )
    rows = np.flatnonzero(marked)
    expected_districts = np.zeros(3, dtype=np.int64)
    expected_by_district = 0
    if rows.size:
        _, reference = connected_components(csr[rows][:, rows], directed=False)
        sizes = np.bincount(reference)
        large = sizes >= size
        assert incidents == int(large.sum())
        assert small == int((~large).sum())
        assert largest == sizes.max()
        assert sorted(incident_sizes) == sorted(sizes[large])
        expected_districts = np.bincount(district[rows[large[reference]]], minlength=3)
        # each incident's part in one district, counted if it has `size` members
        in_incident = large[reference]
        part_sizes = np.bincount(reference[in_incident] * 3 + district[rows[in_incident]])
        expected_by_district = int((part_sizes >= size).sum())
    else:
        assert (incidents, small, largest, incident_sizes.size) == (0, 0, 0.0, 0)
    assert np.array_equal(per_district, expected_districts)
    assert by_district == expected_by_district
    assert by_district <= 3 * incidents
