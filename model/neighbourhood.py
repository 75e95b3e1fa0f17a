"""The social network as the step reads it, and connected groups of protesters.

The compiled passes of :mod:`model.schedule` walk each resident's row of
the adjacency (``indptr``, ``indices``) directly: how many neighbours
protest, who witnessed a detention, the neighbours' mean trust. What is
left here is the question asked once a step of the whole network: which
protesters form connected groups (mass incidents).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from model.jit import jit
from model.population import PROTESTING
from model.types import BoolArray, FloatArray, IntArray


class Neighbourhood:
    """Neighbour operations over one fixed, symmetric adjacency matrix.

    Args:
        adjacency: Symmetric CSR adjacency with unit weights.
    """

    def __init__(self, adjacency: sp.csr_array) -> None:
        csr = sp.csr_array(adjacency).astype(np.float32)
        csr.sort_indices()
        self.adjacency = csr
        self.size = int(csr.shape[0])
        self.indptr = csr.indptr
        self.indices = csr.indices


@jit
def connected_groups(
    marked: BoolArray, indptr: IntArray, indices: IntArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Connected groups of marked residents.

    The network restricted to the marked residents, split into connected
    components by union-find over the ties between marked residents (one
    compiled pass; equivalent to ``scipy.sparse.csgraph.connected_components``
    on the induced subgraph, which the tests use as the reference).

    Returns:
        (residents, label, sizes): the marked residents in index order,
        the group label of each, and the size of each group by label.
    """
    rows = np.flatnonzero(marked)
    if rows.size == 0:
        return rows, rows, np.zeros(0)
    label, sizes = _components(indptr, indices, marked, rows)
    return rows, label, sizes


@jit
def mass_incidents(
    stance: IntArray,
    indptr: IntArray,
    indices: IntArray,
    district: IntArray,
    n_districts: int,
    min_size: float,
) -> tuple[int, float, IntArray]:
    """The step's mass incidents: connected groups of protesters, counted once.

    ``stance`` holds each resident's :class:`~model.population.Stance`.

    A group of at least ``min_size`` protesters is an incident (MODEL.md
    section 5). Compiled whole, because the model asks it every step and at
    2,000 residents numpy glue around :func:`connected_groups` cost more
    than finding the groups.

    Returns:
        (incidents, largest, per_district): how many groups are incidents,
        the size of the largest group (incident or not), and per district
        the number of protesters taking part in an incident.
    """
    per_district = np.zeros(n_districts, dtype=np.int64)
    rows, label, sizes = connected_groups(stance == PROTESTING, indptr, indices)
    count, largest = 0, 0.0
    for size in sizes:
        largest = max(largest, size)
        if size >= min_size:
            count += 1
    for k in range(rows.size):
        if sizes[label[k]] >= min_size:
            per_district[district[rows[k]]] += 1
    return count, largest, per_district


@jit
def _find(parent: IntArray, i: int) -> int:
    root = i
    while parent[root] != root:
        root = parent[root]
    while parent[i] != root:  # path compression
        parent[i], i = root, parent[i]
    return root


@jit
def _components(
    indptr: IntArray, indices: IntArray, marked: BoolArray, rows: IntArray
) -> tuple[IntArray, FloatArray]:
    position = np.full(marked.size, -1, dtype=np.int64)
    for k in range(rows.size):
        position[rows[k]] = k
    parent = np.arange(rows.size)
    for k in range(rows.size):
        i = rows[k]
        for slot in range(indptr[i], indptr[i + 1]):
            j = indices[slot]
            if j > i and marked[j]:
                a, b = _find(parent, k), _find(parent, position[j])
                if a != b:
                    parent[max(a, b)] = min(a, b)
    label = np.empty(rows.size, dtype=np.int64)
    root_label = np.full(rows.size, -1, dtype=np.int64)
    count = 0
    for k in range(rows.size):
        root = _find(parent, k)
        if root_label[root] < 0:
            root_label[root] = count
            count += 1
        label[k] = root_label[root]
    sizes = np.zeros(count)
    for k in range(rows.size):
        sizes[label[k]] += 1.0
    return label, sizes
