"""Fast sums over network neighbours, and connected groups of marked residents.

Every step asks the same few questions of the network: how many of my
neighbours protest, how many were arrested, what is my neighbours' mean
trust, which protesters form connected groups. At a million residents these
are the hot path, so they live here, tuned once: indicator sums touch only
the rows of the few marked residents (protesters, victims), and dense sums
call scipy's CSR kernel on float32 without the Python layer's dtype checks.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse import _sparsetools  # the CSR kernel behind ``A @ x``

from model.jit import jit, parallel_jit, prange
from model.types import BoolArray, FloatArray, IntArray


@parallel_jit
def _neighbour_mean(indptr: IntArray, indices: IntArray, values: FloatArray) -> FloatArray:
    out = np.empty(values.size)
    for i in prange(values.size):
        start, end = indptr[i], indptr[i + 1]
        if end == start:
            out[i] = values[i]
            continue
        total = 0.0
        for k in range(start, end):
            total += values[indices[k]]
        out[i] = total / (end - start)
    return out


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
        self._data = csr.data
        self.degree: FloatArray = np.diff(csr.indptr).astype(np.float64)
        self._mean_degree = float(self.degree.mean()) if self.size else 0.0

    def sum(self, values: FloatArray) -> FloatArray:
        """Sum of ``values`` over each resident's neighbours (float64 result)."""
        out = np.zeros(self.size, dtype=np.float32)
        _sparsetools.csr_matvec(
            self.size,
            self.size,
            self.indptr,
            self.indices,
            self._data,
            np.ascontiguousarray(values, dtype=np.float32),
            out,
        )
        return out.astype(np.float64)

    def mean(self, values: FloatArray) -> FloatArray:
        """Mean of ``values`` over each resident's neighbours; own value if isolated."""
        return _neighbour_mean(self.indptr, self.indices, values)

    def count(self, marked: BoolArray) -> FloatArray:
        """Number of marked neighbours of every resident.

        Why not ``A @ marked``: the marked (protesters, victims) are usually
        few, so gathering their rows is far cheaper than a full product. The
        adjacency is symmetric, so "marked neighbours of i" equals "times i
        appears in a marked resident's row".
        """
        rows = np.flatnonzero(marked)
        if rows.size == 0:
            return np.zeros(self.size)
        if rows.size * self._mean_degree > self.size:
            return self.sum(marked.astype(np.float32))
        return np.bincount(self.indices[self._row_slots(rows)], minlength=self.size).astype(
            np.float64
        )

    def _row_slots(self, rows: np.ndarray) -> np.ndarray:
        """Positions in ``indices`` of every entry of the given rows."""
        starts = self.indptr[rows]
        lengths = self.indptr[rows + 1] - starts
        total = int(lengths.sum())
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        return offsets + np.arange(total)

    def groups(self, marked: BoolArray) -> tuple[np.ndarray, np.ndarray, FloatArray]:
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
        label, sizes = _components(self.indptr, self.indices, marked, rows)
        return rows, label, sizes


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
