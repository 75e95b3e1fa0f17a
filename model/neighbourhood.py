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
from scipy.sparse.csgraph import connected_components

from model.types import BoolArray, FloatArray


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
        total = self.sum(values)
        return np.where(self.degree > 0, total / np.maximum(self.degree, 1.0), values)

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
        components with scipy's sparse graph tools (no Python loop).

        Returns:
            (residents, label, sizes): the marked residents in index order,
            the group label of each, and the size of each group by label.
        """
        rows = np.flatnonzero(marked)
        if rows.size == 0:
            return rows, rows, np.zeros(0)
        slots = self._row_slots(rows)
        target = self.indices[slots]
        keep = marked[target]
        lengths = self.indptr[rows + 1] - self.indptr[rows]
        per_row = np.bincount(np.repeat(np.arange(rows.size), lengths)[keep], minlength=rows.size)
        sub = sp.csr_array(
            (
                np.ones(int(keep.sum()), dtype=np.int8),
                np.searchsorted(rows, target[keep]).astype(np.int32),
                np.r_[0, np.cumsum(per_row)].astype(np.int32),
            ),
            shape=(rows.size, rows.size),
        )
        _, labels = connected_components(sub, directed=False)
        return rows, labels, np.bincount(labels).astype(np.float64)
