"""The social network as the processes read it, and connected groups of residents.

The compiled processes walk each resident's row of the adjacency
(:class:`Network`: ``indptr``, ``indices``) directly: how many neighbours
protest, who witnessed a detention, the neighbours' mean trust. What is
left here is the question asked once a step of the whole network: which
marked residents form connected groups (:func:`connected_groups`; mass
incidents are the large groups of protesters, :mod:`model.outcomes`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from model.jit import jit
from model.types import BoolArray, FloatArray, IntArray


class Network(NamedTuple):
    """The social network in compressed sparse rows, symmetric and unweighted.

    The neighbours of resident i are ``indices[indptr[i]:indptr[i + 1]]``, sorted.
    """

    indptr: IntArray
    indices: IntArray


def network_of(adjacency: sp.csr_array) -> Network:
    """The :class:`Network` record of a symmetric adjacency matrix."""
    csr = sp.csr_array(adjacency)
    csr.sort_indices()
    return Network(indptr=csr.indptr, indices=csr.indices)


@jit
def connected_groups(
    marked: BoolArray, indptr: IntArray, indices: IntArray, slot: IntArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Connected groups of marked residents.

    The network restricted to the marked residents, split into connected
    components by union-find over the ties between marked residents (one
    compiled pass; equivalent to ``scipy.sparse.csgraph.connected_components``
    on the induced subgraph, which the tests use as the reference).
    ``slot`` is working space of one entry per resident, -1 everywhere
    (``Residents.scratch``), and is left so: it holds each marked
    resident's place among them while the groups are found, so that the
    work is over the marked residents and not the whole city.

    Returns:
        (residents, label, sizes): the marked residents in index order,
        the group label of each, and the size of each group by label.
    """
    rows = np.flatnonzero(marked)
    if rows.size == 0:
        return rows, rows, np.zeros(0)
    label, sizes = _components(indptr, indices, marked, rows, slot)
    return rows, label, sizes


@jit
def find_root(parent: IntArray, i: int) -> int:
    """The root of ``i``'s tree in the union-find forest ``parent``, compressing the path.

    The one union-find of the model: mass incidents' connected groups and
    the crowds that protest spreads through (:mod:`model.submodels.stance`).
    """
    root = i
    while parent[root] != root:
        root = parent[root]
    while parent[i] != root:  # path compression
        parent[i], i = root, parent[i]
    return root


@jit
def _components(
    indptr: IntArray, indices: IntArray, marked: BoolArray, rows: IntArray, position: IntArray
) -> tuple[IntArray, FloatArray]:
    for k in range(rows.size):
        position[rows[k]] = k
    parent = np.arange(rows.size)
    for k in range(rows.size):
        i = rows[k]
        for slot in range(indptr[i], indptr[i + 1]):
            j = indices[slot]
            if j > i and marked[j]:
                a, b = find_root(parent, k), find_root(parent, position[j])
                if a != b:
                    parent[max(a, b)] = min(a, b)
    for k in range(rows.size):
        position[rows[k]] = -1
    label = np.empty(rows.size, dtype=np.int64)
    root_label = np.full(rows.size, -1, dtype=np.int64)
    count = 0
    for k in range(rows.size):
        root = find_root(parent, k)
        if root_label[root] < 0:
            root_label[root] = count
            count += 1
        label[k] = root_label[root]
    sizes = np.zeros(count)
    for k in range(rows.size):
        sizes[label[k]] += 1.0
    return label, sizes
