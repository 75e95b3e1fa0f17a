"""Fast builders of the residents' social network, and networkx in and out.

ODD.md section 2 ("Social network") calls for a spatial small world by
default (k nearest neighbours plus a small share of long-range ties), with
Watts-Strogatz, Barabási-Albert and Erdős-Rényi as alternatives, and for any
networkx graph a user passes in. At large N the builders must not use
networkx: they are vectorised with numpy, with the passes that touch every
tie compiled by numba (:mod:`model.jit`); every builder takes all its
randomness from the run's single :class:`numpy.random.Generator`
(one seed, one result) and the default network of a million
residents takes about a second.

Every builder returns the same canonical adjacency matrix: a
:class:`scipy.sparse.csr_array` that is symmetric, has no self-loops and no
duplicate ties, stores 1.0 for every tie as float32 (so ``adjacency @ x`` is a
fast sum over neighbours) and has sorted int32 indices (int64 only when the
number of stored ties would overflow int32).

Internally the lattice-based builders (spatial small world, Watts-Strogatz)
hold their ties as a table with one row per resident, each tie listed once
by one of its ends, and write it into CSR form directly
(:func:`_assemble`); the others encode an undirected tie ``{i, j}`` as the
int64 key ``min(i, j) * n + max(i, j)``, so that sorting keys removes
duplicates and orders ties by row (:func:`_adjacency_from_keys`).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from model.jit import jit, parallel_jit, prange
from model.params import NETWORK_KINDS, ParameterError, _closest
from model.types import FloatArray, IntArray

if TYPE_CHECKING:
    import networkx

__all__ = ["build_network", "from_networkx", "to_networkx"]

Int64Array = NDArray[np.int64]

# Rejection rounds when rewiring or drawing distinct targets. Collisions are
# rare except in tiny, dense graphs, where a few may be impossible to avoid.
_MAX_ROUNDS = 64


# --------------------------------------------------------------------- public


def build_network(
    kind: str,
    n: int,
    *,
    mean_degree: int,
    long_range_share: float,
    position: NDArray[np.floating[Any]],
    rng: np.random.Generator,
) -> sp.csr_array:
    """Build the social network among ``n`` residents.

    Implements the network of ODD.md section 2. The four kinds follow
    their sources; see the builder functions for details and deviations:

    * ``spatial_small_world``: the k nearest neighbours in space (using
      ``position``), then a share ``long_range_share`` of ties rewired to
      uniformly random residents (Watts & Strogatz 1998 rewiring on a
      geometric instead of a ring lattice).
    * ``watts_strogatz``: ring lattice of ``mean_degree`` (rounded down to
      even), each tie rewired with probability ``long_range_share``
      (Watts & Strogatz 1998).
    * ``barabasi_albert``: ``mean_degree // 2`` ties per new resident,
      attached preferentially by degree (Barabási & Albert 1999).
    * ``erdos_renyi``: G(n, M) with ``M = n * mean_degree // 2`` distinct
      ties drawn uniformly (Erdős & Rényi 1959).

    Whenever ``mean_degree >= n - 1`` the degree is capped at ``n - 1``, i.e.
    the result is the complete graph (for ``watts_strogatz`` once the even
    lattice degree reaches ``n - 1``; for ``barabasi_albert`` once
    ``mean_degree // 2 >= n - 1``).

    Args:
        kind: One of :data:`model.params.NETWORK_KINDS`.
        n: Number of residents (rows of the matrix).
        mean_degree: Requested mean number of ties per resident.
        long_range_share: Share of ties rewired to random residents
            (spatial small world and Watts-Strogatz only; ignored otherwise).
        position: ``(n, 2)`` resident locations in the unit square; used by
            ``spatial_small_world`` only, but checked for shape by every kind
            so that a caller's mistake is not silently ignored.
        rng: The run's random generator; the only source of randomness.

    Returns:
        The ``(n, n)`` adjacency matrix in the canonical form described in
        the module docstring.

    Raises:
        ParameterError: If ``kind`` is unknown (the message suggests the
            closest valid kind) or an argument is out of range.
    """
    if kind not in NETWORK_KINDS:
        raise ParameterError(
            f"unknown network kind '{kind}'{_closest(kind, NETWORK_KINDS)}; "
            f"choose one of {', '.join(NETWORK_KINDS)}"
        )
    n, mean_degree = _check_counts(n, mean_degree)
    if not 0.0 <= long_range_share <= 1.0:
        raise ParameterError(
            f"long_range_share={long_range_share!r} is out of range; use a value between 0 and 1"
        )
    position = np.asarray(position)
    if position.shape != (n, 2):
        raise ParameterError(f"position has shape {position.shape}; it must be (n, 2) = ({n}, 2)")
    if kind == "spatial_small_world":
        return _spatial_small_world(position, mean_degree, long_range_share, rng)
    if kind == "watts_strogatz":
        return _watts_strogatz(n, mean_degree, long_range_share, rng)
    if kind == "barabasi_albert":
        edges = _barabasi_albert(n, mean_degree // 2, rng)
    else:
        edges = _erdos_renyi(n, n * mean_degree // 2, rng)
    return _adjacency_from_keys(edges, n)


def from_networkx(graph: networkx.Graph) -> sp.csr_array:
    """Convert a user's networkx graph to the canonical adjacency matrix.

    ODD.md section 2 lets a user pass in any networkx graph. Row ``i`` of
    the result is the ``i``-th node of ``sorted(graph.nodes)`` when the node
    labels can be sorted (so a graph labelled ``0 .. n-1`` maps node ``i`` to
    resident ``i``), and of the graph's insertion order otherwise. Edge
    directions, weights, parallel edges and self-loops are dropped: the
    model's ties are undirected and unweighted.

    Args:
        graph: Any networkx graph, directed or not, multigraph or not.

    Returns:
        The ``(n, n)`` adjacency matrix, canonical as in the module docstring.

    Raises:
        ParameterError: If the graph has no nodes.
    """
    nodes = list(graph.nodes)
    if not nodes:
        raise ParameterError(
            "the networkx graph has no nodes; pass a graph with one node per resident"
        )
    with contextlib.suppress(TypeError):  # unorderable labels: insertion order
        nodes = sorted(nodes)
    n = len(nodes)
    index = {node: i for i, node in enumerate(nodes)}
    pairs = np.fromiter(
        (index[x] for edge in graph.edges() for x in edge[:2]),
        dtype=np.int64,
        count=2 * graph.number_of_edges(),
    ).reshape(-1, 2)
    return _adjacency_from_keys(_keys(pairs[:, 0], pairs[:, 1], n), n)


def to_networkx(adjacency: sp.csr_array) -> networkx.Graph:
    """Convert an adjacency matrix to an undirected, unweighted networkx graph.

    Nodes are ``0 .. n-1`` (row numbers, i.e. residents), including isolated
    ones; edges carry no attributes. Useful for analysis with networkx's
    algorithms; the model itself never goes through networkx.

    Args:
        adjacency: A square sparse matrix; any non-zero ``(i, j)`` or
            ``(j, i)`` with ``i != j`` is a tie.

    Returns:
        A :class:`networkx.Graph`.
    """
    import networkx as nx  # noqa: PLC0415  (networkx is needed only on this path)

    coo = sp.coo_array(adjacency)
    n = coo.shape[0]
    upper = coo.row < coo.col
    lower = coo.row > coo.col
    lo = np.concatenate([coo.row[upper], coo.col[lower]]).astype(np.int64)
    hi = np.concatenate([coo.col[upper], coo.row[lower]]).astype(np.int64)
    keys = _unique(lo * n + hi)
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(zip((keys // n).tolist(), (keys % n).tolist(), strict=True))
    return graph


def _spatial_small_world(
    position: NDArray[np.floating[Any]],
    mean_degree: int,
    share: float,
    rng: np.random.Generator,
) -> sp.csr_array:
    """A spatial small world: nearest neighbours, some ties rewired.

    ODD.md section 2's default network: residents know their neighbours,
    plus a few long-range ties (the small-world recipe of Watts & Strogatz
    1998 on a random geometric lattice instead of a ring).

    Symmetrising "each resident's k nearest neighbours" gives more than k ties
    per resident on average, because not all neighbour relations are mutual
    (for residents scattered uniformly: 1.38 ties at k = 1, 11.4 at k = 10).
    To make the mean degree exactly ``mean_degree`` (``n * mean_degree // 2``
    ties, before rewiring) we take the k-nearest-neighbour union for the
    largest k whose union does not exceed that count, and fill the remainder
    with the shortest of the ties that k + 1 would add. So nobody is
    isolated: every resident keeps at least their k nearest neighbours
    (k = 8 for ``mean_degree`` 10), and the degree spread stays narrow.
    The neighbours come from :func:`_nearest_others`.

    Rewiring: each tie is rewired with probability ``share``; a fair coin
    picks which end keeps it (so no end of a neighbour relation is
    favoured) and the other end moves to a uniformly random resident, as in
    :func:`_rewired_adjacency`.
    """
    n = position.shape[0]
    k_max = min(mean_degree, n - 1)
    if k_max <= 0:
        return _adjacency_from_keys(np.empty(0, dtype=np.int64), n)
    if not np.isfinite(position).all():
        raise ParameterError("position has non-finite values; give every resident a location")
    target = n * k_max // 2
    x = np.ascontiguousarray(position[:, 0], dtype=np.float64)
    y = np.ascontiguousarray(position[:, 1], dtype=np.float64)
    found = _nearest_others(x, y, k_max)
    # Each undirected tie of the k_max-NN union, listed once, with the
    # smallest k whose union holds it: the tie belongs to every union from
    # that k on.
    rank = np.empty(found.shape, dtype=np.int8 if k_max < 2**7 else np.int32)
    _union_rank(found, rank)
    rank = rank.reshape(-1)
    # Whole rank levels up to level - 1, then the shortest of level `level`.
    per_level = _level_counts(rank, k_max)
    cumulative = np.cumsum(per_level)
    level = int(np.searchsorted(cumulative, target, side="left"))
    below = int(cumulative[level - 1])
    present = (rank > 0) & (rank < level)
    if target > below:
        candidates = np.flatnonzero(rank == level)
        need = target - below
        if need < candidates.size:
            lo, hi = candidates // k_max, found.ravel()[candidates]
            length = np.square(x[lo] - x[hi]) + np.square(y[lo] - y[hi])
            candidates = candidates[np.argpartition(length, need - 1)[:need]]
        present[candidates] = True
    del rank
    return _rewired_adjacency(found, present.reshape(found.shape), share, rng, either_end=True)


def _watts_strogatz(n: int, mean_degree: int, p: float, rng: np.random.Generator) -> sp.csr_array:
    """A Watts & Strogatz (1998) small world.

    A ring lattice where each resident is tied to the ``k / 2`` nearest on
    each side (``k`` = ``mean_degree`` rounded down to even), then each tie
    ``(i, i + j)`` is rewired with probability ``p``: ``i`` keeps it and the
    other end moves to a uniformly random resident, avoiding self-loops and
    duplicate ties as in the original (see :func:`_rewired_adjacency`), so
    the number of ties stays ``n * k / 2``. Once ``k >= n - 1`` the lattice
    is the complete graph and no rewiring is possible.
    """
    k = mean_degree - mean_degree % 2
    if n <= 1 or k == 0:
        return _adjacency_from_keys(np.empty(0, dtype=np.int64), n)
    if k >= n - 1:
        return _adjacency_from_keys(_complete(n), n)
    # Row i lists i's ties to i + 1 .. i + k/2: each tie once, lattice order.
    lattice = (np.arange(n, dtype=np.int64)[:, None] + np.arange(1, k // 2 + 1)) % n
    lattice = lattice.astype(_resident_dtype(n))
    present = np.ones(lattice.shape, dtype=bool)
    return _rewired_adjacency(lattice, present, p, rng, either_end=False)


def _barabasi_albert(n: int, m: int, rng: np.random.Generator) -> Int64Array:
    """Keys of a Barabási & Albert (1999) preferential-attachment network.

    Starts from a complete graph on ``m + 1`` residents; each later resident
    ``v`` brings ``m`` ties to ``m`` distinct earlier residents, each chosen
    with probability proportional to its current degree (the model of
    networkx's ``barabasi_albert_graph``, except for the seed graph, which
    there is a star). So the mean degree is ``2 m`` up to ``O(m^2 / n)``.

    Vectorised with the edge-list trick of Batagelj & Brandes (2005,
    "Efficient generation of large random networks", Phys. Rev. E 71,
    036113): list every tie's two ends in the order ties are made; a
    resident appears in this list as often as its degree, so a uniformly
    random earlier slot is a degree-proportional choice. A new tie's target
    slot copies such an earlier slot; the copy chains are resolved by pointer
    jumping instead of a Python loop. Where one resident's ``m`` draws hit the
    same target, the repeated draws are redrawn (rejection, like networkx's
    distinct-target rule) and the chains resolved again until none remain.
    This is the Barabási-Albert process itself, not an approximation such as
    the linearised chord diagram: no self-loops or parallel ties are made
    and then dropped. ``m = 0`` (``mean_degree`` below 2) gives no ties.
    """
    if n <= 1 or m <= 0:
        return np.empty(0, dtype=np.int64)
    m = min(m, n - 1)
    seed_size = m + 1
    if n == seed_size:
        return _complete(n)
    seed_lo, seed_hi = np.triu_indices(seed_size, 1)
    seed_slots = np.stack([seed_lo, seed_hi], axis=1).ravel().astype(np.int64)
    s0 = seed_slots.size  # slots before the first new resident
    n_new = n - seed_size
    new_node = np.arange(seed_size, n, dtype=np.int64)
    # Tie e (0-based among new ties) has slots s0 + 2e (its source, the new
    # resident) and s0 + 2e + 1 (its target, a copy of an earlier slot).
    start = s0 + 2 * m * (new_node - seed_size)  # first slot of each resident
    bound = np.repeat(start, m)  # draws must come from slots before that
    pointer = rng.integers(0, bound, dtype=np.int64)

    def is_copy(slots: Int64Array) -> NDArray[np.bool_]:
        """Whether each slot is a target slot of a new tie (a copy)."""
        return np.asarray((slots >= s0) & ((slots - s0) % 2 == 1), dtype=bool)

    def resolve(slots: Int64Array) -> Int64Array:
        """Follow copy pointers from ``slots`` until each reaches a known node."""
        slots = slots.copy()
        todo = np.flatnonzero(is_copy(slots))
        while todo.size:
            slots[todo] = pointer[(slots[todo] - s0) // 2]
            todo = todo[is_copy(slots[todo])]
        node = np.empty(slots.size, dtype=np.int64)
        in_seed = slots < s0
        node[in_seed] = seed_slots[slots[in_seed]]
        node[~in_seed] = seed_size + (slots[~in_seed] - s0) // (2 * m)
        return node

    target = resolve(pointer)
    # Which ties copy which (tie `child` copies the target slot of `parent`),
    # grouped by parent, so a redraw re-resolves only the ties downstream.
    ties = pointer.size
    child = np.flatnonzero(is_copy(pointer))
    link = np.sort((pointer[child] - s0) // 2 * ties + child)
    link_parent, link_child = link // ties, link % ties
    del child, link
    # Links made by redraws, in the order made (few; searched linearly).
    extra_parent = np.empty(0, dtype=np.int64)
    extra_child = np.empty(0, dtype=np.int64)
    rows = np.arange(n_new, dtype=np.int64)
    for _ in range(_MAX_ROUNDS):
        repeated = _repeats_in_rows(target.reshape(-1, m)[rows])
        if not repeated.any():
            break
        redrawn = (rows[:, None] * m + np.arange(m))[repeated]
        pointer[redrawn] = rng.integers(0, bound[redrawn], dtype=np.int64)
        copies = redrawn[is_copy(pointer[redrawn])]
        extra_parent = np.concatenate([extra_parent, (pointer[copies] - s0) // 2])
        extra_child = np.concatenate([extra_child, copies])
        # A redraw changes its slot's value and so the value of every later
        # tie that copies it, directly or through a chain: collect those
        # (following only links that still hold) and resolve them again.
        affected = np.zeros(ties, dtype=bool)
        affected[redrawn] = True
        frontier = redrawn
        while frontier.size:
            first = np.searchsorted(link_parent, frontier, side="left")
            count = np.searchsorted(link_parent, frontier, side="right") - first
            offset = np.repeat(first - np.cumsum(count) + count, count)
            found = link_child[offset + np.arange(offset.size)]
            holds = pointer[found] == s0 + 2 * np.repeat(frontier, count) + 1
            from_extra = _isin_sorted(extra_parent, np.sort(frontier))
            extra_holds = pointer[extra_child[from_extra]] == s0 + 2 * extra_parent[from_extra] + 1
            found = np.concatenate([found[holds], extra_child[from_extra][extra_holds]])
            found = _unique(found[~affected[found]])
            affected[found] = True
            frontier = found
        changed = np.flatnonzero(affected)
        target[changed] = resolve(pointer[changed])
        rows = _unique(changed // m)
    new_keys = _keys(np.repeat(new_node, m), target, n)
    return np.concatenate([_keys(seed_slots[0::2], seed_slots[1::2], n), new_keys])


def _erdos_renyi(n: int, ties: int, rng: np.random.Generator) -> Int64Array:
    """Keys of an Erdős-Rényi G(n, M) graph: ``M`` distinct uniform ties.

    G(n, M) rather than G(n, p) so the mean degree is exactly what was asked
    (Erdős & Rényi 1959). Small graphs (up to 4 million pairs) sample ``M``
    of all pairs without replacement; larger ones draw random pairs until
    ``M`` distinct ones are found and drop a uniformly random excess, which
    is again a uniform ``M``-subset.
    """
    pairs = n * (n - 1) // 2
    ties = min(ties, pairs)
    if ties == 0:
        return np.empty(0, dtype=np.int64)
    if pairs <= 4_000_000:
        lo, hi = np.triu_indices(n, 1)
        pick = rng.choice(pairs, size=ties, replace=False)
        return np.sort(lo[pick].astype(np.int64) * n + hi[pick])
    # The distinct values among i.i.d. uniform draws, given how many there
    # are, form a uniformly random subset; so does a uniformly random
    # M-subset of them.
    found = np.empty(0, dtype=np.int64)
    while found.size < ties:
        draw = int((ties - found.size) * 1.05) + 64
        src = rng.integers(0, n, size=draw, dtype=np.int64)
        dst = (src + rng.integers(1, n, size=draw, dtype=np.int64)) % n  # never src
        found = _unique(np.concatenate([found, _keys(src, dst, n)]))
    excess = found.size - ties
    if excess:
        drop = np.zeros(found.size, dtype=bool)
        drop[rng.choice(found.size, size=excess, replace=False)] = True
        found = found[~drop]
    return found


# -------------------------------------------------------------------- helpers


def _resident_dtype(n: int) -> type[np.signedinteger[Any]]:
    """int32 for resident numbers below ``n`` if they fit, else int64."""
    return np.int32 if n <= np.iinfo(np.int32).max else np.int64


def _check_counts(n: int, mean_degree: int) -> tuple[int, int]:
    """Check that ``n`` and ``mean_degree`` are non-negative whole numbers."""
    for name, value in (("n", n), ("mean_degree", mean_degree)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise ParameterError(f"{name}={value!r} must be a whole number >= 0")
    return int(n), int(mean_degree)


def _keys(a: Int64Array, b: Int64Array, n: int) -> Int64Array:
    """Encode undirected ties ``{a, b}`` as ``min * n + max`` (int64)."""
    a = a.astype(np.int64, copy=False)
    b = b.astype(np.int64, copy=False)
    return np.minimum(a, b) * n + np.maximum(a, b)


def _complete(n: int) -> Int64Array:
    """Keys of the complete graph on ``n`` residents, sorted."""
    lo, hi = np.triu_indices(n, 1)
    return lo.astype(np.int64) * n + hi


def _repeats_in_rows(values: Int64Array) -> NDArray[np.bool_]:
    """Mark every entry equal to an earlier entry of the same row."""
    order = np.argsort(values, axis=1, kind="stable")
    ordered = np.take_along_axis(values, order, axis=1)
    repeat_sorted = np.zeros(values.shape, dtype=bool)
    repeat_sorted[:, 1:] = ordered[:, 1:] == ordered[:, :-1]
    repeated = np.zeros(values.shape, dtype=bool)
    np.put_along_axis(repeated, order, repeat_sorted, axis=1)
    return repeated


def _first_of_runs(ordered: Int64Array) -> NDArray[np.bool_]:
    """Mark the first element of each run of equal values in a sorted array."""
    first = np.empty(ordered.size, dtype=bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return first


def _unique(values: Int64Array) -> Int64Array:
    """Sorted distinct values.

    Same result as ``np.unique``, which in the pinned numpy (2.5) takes about
    100 times longer than sorting and masking on 10^7 int64 values.
    """
    ordered = np.sort(values)
    return ordered[_first_of_runs(ordered)]


def _isin_sorted(values: Int64Array, sorted_pool: Int64Array) -> NDArray[np.bool_]:
    """Membership test of ``values`` in an already sorted array."""
    if sorted_pool.size == 0:
        return np.zeros(values.size, dtype=bool)
    where = np.searchsorted(sorted_pool, values)
    where[where == sorted_pool.size] = 0
    return np.asarray(sorted_pool[where] == values, dtype=bool)


# --------------------------------------------------- nearest neighbours (k-NN)

# Mean residents per cell of the k-NN grid, per neighbour sought: with
# k / 5 per cell the 3 x 3 block around a resident usually holds its k
# nearest, and few cells are scanned in vain. Timed optimum at k = 10.
_GRID_OCCUPANCY_PER_NEIGHBOUR = 0.2
# The grid is fast only while residents are spread fairly evenly: a query
# costs about the occupancy of the cells it scans, which averaged over the
# residents is sum(count^2) / n, or 1 + occupancy when uniform. Above this
# many times the occupancy a k-d tree (scipy) answers instead.
_GRID_CROWDING_LIMIT = 16.0
# Residents per parallel task of the k-NN query.
_CHUNK = 1024


def _nearest_others(x: FloatArray, y: FloatArray, k: int) -> IntArray:
    """Each resident's ``k`` nearest other residents, nearest first.

    Exact Euclidean k-NN, ties in distance broken by the lower resident
    number. A uniform grid of square cells (:func:`_grid_cells`) and an
    expanding search around each resident's cell (:func:`_grid_knn`), run on
    all cores, is three to four times faster at 10^6 residents than
    :class:`scipy.spatial.cKDTree`, because residents are scattered fairly
    evenly over the city. When they are not (tower blocks, a few dense
    clusters far apart), grid cells would be crowded and the k-d tree is
    used instead; either way the answer is the same up to ties in distance.

    Returns:
        ``(n, k)`` resident numbers; row ``i`` never contains ``i``.
    """
    n = x.size
    x0, y0 = float(x.min()), float(y.min())
    width, height = float(x.max()) - x0, float(y.max()) - y0
    occupancy = max(1.0, _GRID_OCCUPANCY_PER_NEIGHBOUR * k)
    # Square cells, `occupancy` residents each on average over the
    # bounding box (the second term covers residents on a line).
    side = max(np.sqrt(width * height * occupancy / n), max(width, height) * occupancy / n)
    if not side > 0.0:  # everyone at one spot
        side = 1.0
    columns = int(width / side) + 1
    rows = int(height / side) + 1
    start, members = _grid_cells(x, y, x0, y0, side, columns, rows)
    count = np.diff(start)
    # Resident numbers in 32 bits when they fit: half the memory to fill.
    found = np.empty((n, k), dtype=_resident_dtype(n))
    if float(count @ count) <= _GRID_CROWDING_LIMIT * occupancy * n:
        _grid_knn(x, y, start, members, x[members], y[members], x0, y0, side, rows, found)
        return found
    position = np.stack([x, y], axis=1)
    tree = cKDTree(position, balanced_tree=False, compact_nodes=False)
    # Query in the tree's leaf order: neighbouring queries then touch the
    # same nodes, which makes the query about 1.5 times faster at 10^6.
    # k + 1 because the resident itself is usually its own first match.
    order = tree.indices
    near = np.empty((n, k + 1), dtype=np.int64)
    near[order] = tree.query(position[order], k=k + 1, workers=-1)[1]
    _drop_self(near, found)
    return found


@jit
def _grid_cells(
    x: FloatArray, y: FloatArray, x0: float, y0: float, side: float, columns: int, rows: int
) -> tuple[Int64Array, Int64Array]:
    """Residents by grid cell (a counting sort): ``members[start[c]:start[c + 1]]``.

    Cell ``(cx, cy)`` is number ``cx * rows + cy``; residents within a cell
    keep their order.
    """
    n = x.size
    cell = np.empty(n, dtype=np.int64)
    start = np.zeros(columns * rows + 1, dtype=np.int64)
    for i in range(n):
        cx = min(int((x[i] - x0) / side), columns - 1)
        cy = min(int((y[i] - y0) / side), rows - 1)
        cell[i] = cx * rows + cy
        start[cell[i] + 1] += 1
    for c in range(columns * rows):
        start[c + 1] += start[c]
    cursor = start[:-1].copy()
    members = np.empty(n, dtype=np.int64)
    for i in range(n):
        members[cursor[cell[i]]] = i
        cursor[cell[i]] += 1
    return start, members


@parallel_jit
def _grid_knn(
    x: FloatArray,
    y: FloatArray,
    start: Int64Array,
    members: Int64Array,
    member_x: FloatArray,
    member_y: FloatArray,
    x0: float,
    y0: float,
    side: float,
    rows: int,
    found: IntArray,
) -> None:
    """Exact k-NN on the grid of :func:`_grid_cells`, into ``found`` (n, k).

    Each resident scans the block of cells around its own (3 x 3, doubled
    until it holds ``k`` others), keeping the nearest in sorted order
    (distance, then number); then the cells that meet the square around it
    of half-side the k-th distance, which hold every resident that can still
    be nearer. A block's cells along one grid column are consecutive in
    ``members``, so the scan reads a few contiguous runs, and ``member_x``
    and ``member_y`` give the coordinates in that order. The loop over
    residents is cut in chunks, so that each task allocates its candidate
    buffers once.
    """
    n, k = found.shape
    columns = (start.size - 1) // rows
    for chunk in prange((n + _CHUNK - 1) // _CHUNK):
        best = np.empty(k, dtype=np.int64)
        distance = np.empty(k)
        for i in range(chunk * _CHUNK, min(n, (chunk + 1) * _CHUNK)):
            px, py = x[i], y[i]
            cx = min(int((px - x0) / side), columns - 1)
            cy = min(int((py - y0) / side), rows - 1)
            held = 0
            worst = np.inf  # squared distance of the k-th candidate, once held == k
            bx0, bx1, by0, by1 = 0, -1, 0, -1  # the block scanned so far (none)
            radius = 1
            while True:
                final = held == k
                if final:  # the square around the resident that can hold nearer ones
                    reach = np.sqrt(worst) * (1.0 + 1e-9)  # margin for rounding
                    ax0 = max(int((px - reach - x0) / side), 0)
                    ax1 = min(int((px + reach - x0) / side), columns - 1)
                    ay0 = max(int((py - reach - y0) / side), 0)
                    ay1 = min(int((py + reach - y0) / side), rows - 1)
                else:
                    ax0, ax1 = max(cx - radius, 0), min(cx + radius, columns - 1)
                    ay0, ay1 = max(cy - radius, 0), min(cy + radius, rows - 1)
                for gx in range(ax0, ax1 + 1):
                    # Cells ay0..ay1 of this column, less those scanned already.
                    inside = bx0 <= gx <= bx1
                    for part in range(2 if inside else 1):
                        if not inside:
                            lo, hi = ay0, ay1
                        elif part == 0:
                            lo, hi = ay0, min(ay1, by0 - 1)
                        else:
                            lo, hi = max(ay0, by1 + 1), ay1
                        if lo > hi:
                            continue
                        for s in range(start[gx * rows + lo], start[gx * rows + hi + 1]):
                            ex, ey = member_x[s] - px, member_y[s] - py
                            d = ex * ex + ey * ey
                            if d > worst:
                                continue
                            j = members[s]
                            if j == i or (d == worst and j > best[k - 1]):
                                continue
                            slot = held if held < k else k - 1
                            while slot > 0 and (
                                distance[slot - 1] > d
                                or (distance[slot - 1] == d and best[slot - 1] > j)
                            ):
                                distance[slot] = distance[slot - 1]
                                best[slot] = best[slot - 1]
                                slot -= 1
                            distance[slot] = d
                            best[slot] = j
                            if held < k:
                                held += 1
                            if held == k:
                                worst = distance[k - 1]
                if final:
                    break
                if held < k and ax0 == 0 and ay0 == 0 and ax1 == columns - 1 and ay1 == rows - 1:
                    break  # everyone seen: only if k > n - 1, which callers exclude
                bx0, bx1, by0, by1 = ax0, ax1, ay0, ay1
                radius *= 2
            for q in range(k):
                found[i, q] = best[q]


@jit
def _drop_self(near: Int64Array, out: IntArray) -> None:
    """Drop each resident from its own ``k + 1`` nearest (or the farthest one).

    With many residents at one spot a k-d tree may list others before self,
    or not list self at all; then the farthest candidate goes instead.
    """
    n, k = out.shape
    for i in range(n):
        kept = 0
        for r in range(k + 1):
            if near[i, r] != i and kept < k:
                out[i, kept] = near[i, r]
                kept += 1


@parallel_jit
def _union_rank(found: IntArray, rank: IntArray) -> None:
    """List each tie of the k-NN union once, with the smallest k that makes it.

    ``found[i, r]`` is ``i``'s ``(r + 1)``-th nearest. A one-way relation
    (``i`` lists ``j``, ``j`` does not list ``i``) is a tie from k = r + 1
    on, listed by ``i``. A mutual one is listed by the lower-numbered end,
    from the smaller of the two ranks on; the other end's entry gets 0.
    Written into ``rank`` (same shape as ``found``, a small integer type:
    it is read several times afterwards). The search for ``i`` in ``j``'s
    row has no early exit, so the compiler makes it branch-free.
    """
    n, k = found.shape
    for i in prange(n):
        for r in range(k):
            j = found[i, r]
            q = k
            for s in range(k):
                q = s if found[j, s] == i else q
            if q == k:
                rank[i, r] = r + 1
            elif i < j:
                rank[i, r] = min(r, q) + 1
            else:
                rank[i, r] = 0


@jit
def _level_counts(rank: IntArray, k: int) -> Int64Array:
    """Ties per rank 1..k (index 0 stays 0: rank 0 is a second listing).

    ``np.bincount`` would first copy the small-integer ranks to int64.
    """
    count = np.zeros(k + 1, dtype=np.int64)
    for e in range(rank.size):
        count[rank[e]] += 1
    count[0] = 0
    return count


# ------------------------------------------------------------------- rewiring

# Multiplier of the Fibonacci hash for the rewired ties' hash table.
_HASH = -7046029254386353131  # 0x9E3779B97F4A7C15 as a signed 64-bit integer


def _rewired_adjacency(
    lattice: IntArray,
    present: NDArray[np.bool_],
    p: float,
    rng: np.random.Generator,
    *,
    either_end: bool,
) -> sp.csr_array:
    """Rewire a lattice's ties with probability ``p`` and assemble the adjacency.

    ``lattice[i, s]`` with ``present[i, s]`` is a tie between ``i`` and
    ``lattice[i, s]``, each tie listed once. A moving tie keeps one end (its
    row, or a fair coin's pick of either end if ``either_end``) and moves
    the other to a uniformly random resident. Draws that would make a
    self-loop, duplicate an existing tie or another rewired one are redrawn
    (Watts & Strogatz 1998 forbid all three). Ties move one after the
    other, each seeing the graph as the ones before left it, as in the
    original (a tie whose draw is refused tries again once all the others
    have had their turn); a moving tie's old place counts as taken until
    it has moved, so it never moves onto itself and can always go back: in
    a graph so dense that redrawing keeps failing, the tie stays where it
    was after ``_MAX_ROUNDS`` rounds of redraws (as networkx does when a
    node is already tied to everyone). So rewiring never changes the number
    of ties.

    A compiled loop with a hash table of the moved ties replaces the old
    rounds of sorting and membership tests over all ties; all draws still
    come from ``rng``, in rounds, so the result depends only on its state.
    """
    n, width = lattice.shape
    flat_lattice = lattice.reshape(-1)
    flat_present = present.reshape(-1)
    entry = np.flatnonzero(flat_present)
    entry = entry[_successes(entry.size, p, rng)]
    anchor = entry // max(width, 1)
    if either_end:
        anchor = np.where(rng.random(entry.size) < 0.5, anchor, flat_lattice[entry])
    placed = np.full(entry.size, -1, dtype=np.int64)  # the new end, -1 = not yet
    if n > 2 and entry.size:
        table = np.full(1 << (2 * entry.size).bit_length(), -1, dtype=np.int64)
        todo = np.arange(entry.size, dtype=np.int64)
        for _ in range(_MAX_ROUNDS):
            draw = rng.integers(0, n - 1, size=todo.size, dtype=np.int64)
            _rewire_round(
                flat_lattice, flat_present, width, entry, anchor, todo, draw, placed, table
            )
            todo = todo[placed[todo] < 0]
            if todo.size == 0:
                break
    moved = placed >= 0
    return _assemble(n, flat_lattice, flat_present, width, anchor[moved], placed[moved])


def _successes(trials: int, p: float, rng: np.random.Generator) -> Int64Array:
    """Which of ``trials`` independent Bernoulli(``p``) trials succeed, ascending.

    For small ``p`` the gaps between successes are drawn (geometric), which
    takes ``p * trials`` draws instead of one uniform per trial: at 10^6
    residents that is 0.5 instead of 5 million draws, and no 40 MB array.
    Below ``p = 1e-9`` the gaps could overflow 64 bits, so one uniform per
    trial is drawn after all.
    """
    if p <= 0.0 or trials == 0:
        return np.empty(0, dtype=np.int64)
    if 1e-9 <= p <= 0.25:
        found = [np.empty(0, dtype=np.int64)]
        last = -1  # the latest success so far
        while last < trials:
            steps = last + np.cumsum(rng.geometric(p, size=int((trials - last) * p * 1.05) + 64))
            found.append(steps[steps < trials])
            last = int(steps[-1])
        return np.concatenate(found)
    return np.flatnonzero(rng.random(trials) < p)


@jit
def _rewire_round(
    lattice: IntArray,
    present: NDArray[np.bool_],
    width: int,
    entry: Int64Array,
    anchor: Int64Array,
    todo: Int64Array,
    draw: Int64Array,
    placed: Int64Array,
    table: Int64Array,
) -> None:
    """One round of :func:`_rewired_adjacency`: try one draw per tie in ``todo``.

    A tie ``{a, c}`` exists if it is still at its lattice place (row ``a``
    or row ``c`` lists it, present) or if a rewired tie moved there (in
    ``table``, open addressing on the key ``min * n + max``). Lattice rows
    are short, so the first test is a scan of two rows.
    """
    n = lattice.size // width
    mask = table.size - 1
    for q in range(todo.size):
        t = todo[q]
        a = anchor[t]
        c = draw[q]
        if c >= a:  # uniform over residents other than the anchor
            c += 1
        taken = False
        for s in range(width):
            if (lattice[a * width + s] == c and present[a * width + s]) or (
                lattice[c * width + s] == a and present[c * width + s]
            ):
                taken = True
                break
        if taken:
            continue
        key = min(a, c) * n + max(a, c)
        h = key * _HASH
        slot = (h ^ (h >> 29)) & mask
        while table[slot] != -1 and table[slot] != key:
            slot = (slot + 1) & mask
        if table[slot] == key:
            continue
        table[slot] = key
        present[entry[t]] = False  # the old place is free from now on
        placed[t] = c


# ------------------------------------------------------------------- assembly


def _assemble(
    n: int,
    lattice: IntArray,
    present: NDArray[np.bool_],
    width: int,
    a: Int64Array,
    b: Int64Array,
) -> sp.csr_array:
    """The canonical CSR adjacency of a lattice's ties plus the ties ``{a, b}``.

    The lattice part is a flattened ``(n, width)`` table with its
    ``present`` mask, as in :func:`_rewired_adjacency`; each tie is listed
    once, and the ``{a, b}`` are distinct from them and from each other.
    Compiled passes count degrees, write each tie into both its rows and
    sort each short row in place. Lattice ties join nearby residents, whose
    rows are near each other in memory, so this touches memory almost in
    order; a global sort of all ties, as for random ties
    (:func:`_adjacency_from_keys`), would cost several times more.
    """
    # The extra ties join random residents: written in row order (sorted
    # directed entries) they fill memory in order instead of at random.
    directed = np.concatenate([a * n + b, b * n + a])
    directed.sort()
    rows = directed // n
    columns = directed - rows * n
    del directed
    degree = _degrees(n, lattice, present, width, rows)
    stored = int(degree.sum())
    index_dtype = _index_dtype(n, stored)
    indptr = np.zeros(n + 1, dtype=index_dtype)
    np.cumsum(degree, out=indptr[1:])
    indices = np.empty(stored, dtype=index_dtype)
    _scatter(indptr, lattice, present, width, rows, columns, indices)
    _sort_rows(indptr, indices)
    return _csr(indptr, indices, n)


def _index_dtype(n: int, stored: int) -> np.dtype[np.signedinteger[Any]]:
    """int32 for the CSR indices unless ``n`` or the stored entries overflow it."""
    return np.dtype(np.int32 if max(n, stored) < np.iinfo(np.int32).max else np.int64)


def _csr(indptr: IntArray, indices: IntArray, n: int) -> sp.csr_array:
    """Wrap canonical CSR arrays (rows sorted, distinct) without scipy's checks."""
    data = np.ones(indices.size, dtype=np.float32)
    adjacency = sp.csr_array((data, indices, indptr), shape=(n, n))
    adjacency.has_sorted_indices = True
    adjacency.has_canonical_format = True
    return adjacency


@jit
def _degrees(
    n: int,
    lattice: IntArray,
    present: NDArray[np.bool_],
    width: int,
    rows: Int64Array,
) -> Int64Array:
    """Entries per row: lattice ties in both rows, one entry in each of ``rows``."""
    degree = np.zeros(n, dtype=np.int64)
    if width:
        for i in range(n):
            for e in range(i * width, (i + 1) * width):
                degree[i] += present[e]  # branch-free: present is a coin flip
                degree[lattice[e]] += present[e]
    for t in range(rows.size):
        degree[rows[t]] += 1
    return degree


@jit
def _scatter(
    indptr: IntArray,
    lattice: IntArray,
    present: NDArray[np.bool_],
    width: int,
    rows: Int64Array,
    columns: Int64Array,
    indices: IntArray,
) -> None:
    """Write lattice ties into both their rows, then ``columns`` into ``rows`` (unsorted)."""
    n = indptr.size - 1
    cursor = indptr[:-1].astype(np.int64)
    if width:
        for i in range(n):
            for e in range(i * width, (i + 1) * width):
                if present[e]:
                    j = lattice[e]
                    indices[cursor[i]] = j
                    cursor[i] += 1
                    indices[cursor[j]] = i
                    cursor[j] += 1
    for t in range(rows.size):
        indices[cursor[rows[t]]] = columns[t]
        cursor[rows[t]] += 1


@parallel_jit
def _sort_rows(indptr: IntArray, indices: IntArray) -> None:
    """Sort each row of a CSR matrix in place."""
    n = indptr.size - 1
    for i in prange(n):
        begin, end = indptr[i], indptr[i + 1]
        if end - begin > 32:  # hubs and dense graphs
            indices[begin:end] = np.sort(indices[begin:end])
        else:  # insertion sort: rows of the usual networks hold about ten
            for s in range(begin + 1, end):
                value = indices[s]
                t = s
                while t > begin and indices[t - 1] > value:
                    indices[t] = indices[t - 1]
                    t -= 1
                indices[t] = value


def _adjacency_from_keys(keys: Int64Array, n: int) -> sp.csr_array:
    """Assemble the canonical CSR adjacency from undirected tie keys.

    Drops self-loops and duplicate keys. Ties given as keys join random
    residents, so writing them into their rows one by one would touch
    memory at random, which costs more than two fast sorts: the sorted
    keys ``lo * n + hi`` are the upper triangle in row order, their
    transposes ``hi * n + lo``, sorted, the lower one, and row ``i`` is its
    lower part (columns below ``i``) followed by its upper part
    (:func:`_merge_triangles`).
    """
    if n == 0:
        return sp.csr_array((0, 0), dtype=np.float32)
    upper = _unique(np.asarray(keys, dtype=np.int64))
    lower = _transposed(upper, n)
    lower.sort()
    index_dtype = _index_dtype(n, 2 * lower.size)
    indptr = np.zeros(n + 1, dtype=index_dtype)
    indices = np.empty(2 * lower.size, dtype=index_dtype)
    _merge_triangles(upper, lower, n, indptr, indices)
    return _csr(indptr, indices, n)


@jit
def _transposed(keys: Int64Array, n: int) -> Int64Array:
    """Keys ``lo * n + hi`` as ``hi * n + lo``, self-loops (lo == hi) left out."""
    out = np.empty(keys.size, dtype=np.int64)
    kept = 0
    for t in range(keys.size):
        lo = keys[t] // n
        hi = keys[t] - lo * n
        if lo != hi:
            out[kept] = hi * n + lo
            kept += 1
    return out[:kept]


@jit
def _merge_triangles(
    upper: Int64Array, lower: Int64Array, n: int, indptr: IntArray, indices: IntArray
) -> None:
    """Fill CSR rows from sorted upper-triangle and lower-triangle keys.

    Row ``i`` holds its lower-triangle columns (all below ``i``, ascending)
    then its upper-triangle ones (above ``i``), so it comes out sorted.
    Self-loops in ``upper`` are skipped (``lower`` has none).
    """
    p = q = at = 0
    for i in range(n):
        while p < lower.size and lower[p] // n == i:
            indices[at] = lower[p] - i * n
            at += 1
            p += 1
        while q < upper.size and upper[q] // n == i:
            if upper[q] - i * n != i:  # not a self-loop
                indices[at] = upper[q] - i * n
                at += 1
            q += 1
        indptr[i + 1] = at
