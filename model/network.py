"""Fast builders of the residents' social network, and networkx in and out.

MODEL.md section 2 ("Social network") asks for a spatial small world by
default (k nearest neighbours plus a small share of long-range ties), with
Watts-Strogatz, Barabási-Albert and Erdős-Rényi as alternatives, and for any
networkx graph a user passes in. At large N the builders must use numpy and
scipy, not networkx: every builder here is vectorised, takes all its
randomness from the run's single :class:`numpy.random.Generator`
(ARCHITECTURE.md principle 6) and builds a million residents in seconds.

Every builder returns the same canonical adjacency matrix: a
:class:`scipy.sparse.csr_array` that is symmetric, has no self-loops and no
duplicate ties, stores 1.0 for every tie as float32 (so ``adjacency @ x`` is a
fast sum over neighbours) and has sorted int32 indices (int64 only when the
number of stored ties would overflow int32).

Internally an undirected tie ``{i, j}`` is encoded as the int64 key
``min(i, j) * n + max(i, j)``: sorting keys removes
duplicates and order ties by row, which is all the CSR assembly needs.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from model.params import NETWORK_KINDS, ParameterError, _closest

if TYPE_CHECKING:
    import networkx

__all__ = ["build_network", "from_networkx", "neighbour_count", "to_networkx"]

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

    Implements the network of MODEL.md section 2. The four kinds follow
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
        edges = _spatial_small_world(position, mean_degree, long_range_share, rng)
    elif kind == "watts_strogatz":
        edges = _watts_strogatz(n, mean_degree, long_range_share, rng)
    elif kind == "barabasi_albert":
        edges = _barabasi_albert(n, mean_degree // 2, rng)
    else:
        edges = _erdos_renyi(n, n * mean_degree // 2, rng)
    return _adjacency_from_keys(edges, n)


def from_networkx(graph: networkx.Graph) -> sp.csr_array:
    """Convert a user's networkx graph to the canonical adjacency matrix.

    MODEL.md section 2 lets a user pass in any networkx graph. Row ``i`` of
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


def neighbour_count(adjacency: sp.csr_array, n: int) -> NDArray[np.int64]:
    """Return the number of ties (degree) of each of the ``n`` residents.

    For a canonical CSR adjacency this is just the row lengths, with no
    arithmetic on the stored values.

    Args:
        adjacency: The ``(n, n)`` adjacency matrix.
        n: Number of residents; checked against the matrix shape.

    Returns:
        Integer array of length ``n``.

    Raises:
        ParameterError: If the matrix is not ``(n, n)``.
    """
    if adjacency.shape != (n, n):
        raise ParameterError(
            f"adjacency has shape {adjacency.shape}; it must be (n, n) = ({n}, {n})"
        )
    csr = adjacency if isinstance(adjacency, sp.csr_array) else sp.csr_array(adjacency)
    return np.diff(csr.indptr).astype(np.int64)


# ------------------------------------------------------------------- builders


def _spatial_small_world(
    position: NDArray[np.floating[Any]],
    mean_degree: int,
    share: float,
    rng: np.random.Generator,
) -> Int64Array:
    """Keys of a spatial small world: nearest neighbours, some ties rewired.

    MODEL.md section 2's default network: residents know their neighbours,
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
    The neighbour query uses :class:`scipy.spatial.cKDTree`.

    Rewiring: each tie is rewired with probability ``share``; a fair coin
    picks which end keeps it (so low-numbered residents are not favoured)
    and the other end moves to a uniformly random resident, as in
    :func:`_rewire_pairs`.
    """
    n = position.shape[0]
    k_max = min(mean_degree, n - 1)
    if k_max <= 0:
        return np.empty(0, dtype=np.int64)
    target = n * k_max // 2
    tree = cKDTree(position, balanced_tree=False, compact_nodes=False)
    # Query in the tree's leaf order: neighbouring queries then touch the
    # same nodes, which makes the query about 1.5 times faster at 10^6.
    # k_max + 1 because the resident itself is usually its own first match.
    me = tree.indices.astype(np.int64)[:, None]
    _, found = tree.query(position[me[:, 0]], k=k_max + 1, workers=-1)
    found = found.astype(np.int64, copy=False)
    if np.array_equal(found[:, 0], me[:, 0]):  # the usual case: self comes first
        src = np.repeat(me[:, 0], k_max)
        dst = found[:, 1:].ravel()
        rank_kept = np.tile(np.arange(1, k_max + 1, dtype=np.int64), n)
    else:
        keep = found != me
        # With many residents at one spot, self may be missing from the
        # list; then drop the last (farthest) candidate so each keeps k_max.
        no_self = keep.all(axis=1)
        keep[no_self, -1] = False
        rank = np.cumsum(keep, axis=1)  # 1 = nearest other resident
        src = np.broadcast_to(me, found.shape)[keep]
        dst = found[keep]
        rank_kept = rank[keep]
        del keep, rank
    del found
    # One key per directed candidate, carrying its rank in the low digits so
    # that a single sort gives each undirected tie with its smallest rank:
    # the tie belongs to the k-NN union for every k >= that rank.
    base = k_max + 1
    combined = _keys(src, dst, n) * base + rank_kept
    del src, dst, rank_kept
    combined.sort()
    tie = combined // base
    first = _first_of_runs(tie)
    keys = tie[first]
    min_rank = combined[first] % base
    del combined, tie, first
    # Whole rank levels up to level - 1, then the shortest of level `level`.
    per_level = np.bincount(min_rank, minlength=base)
    cumulative = np.cumsum(per_level)
    level = int(np.searchsorted(cumulative, target, side="left"))
    below = int(cumulative[level - 1]) if level > 0 else 0
    chosen = keys[min_rank < level]
    if target > below:
        candidates = keys[min_rank == level]
        lo, hi = candidates // n, candidates % n
        length = np.hypot(*(position[lo] - position[hi]).T)
        need = target - below
        if need < candidates.size:
            candidates = candidates[np.argpartition(length, need - 1)[:need]]
        chosen = np.concatenate([chosen, candidates])
    lo, hi = chosen // n, chosen % n
    swap = rng.random(chosen.size) < 0.5
    return _rewire_pairs(np.where(swap, hi, lo), np.where(swap, lo, hi), n, share, rng)


def _watts_strogatz(n: int, mean_degree: int, p: float, rng: np.random.Generator) -> Int64Array:
    """Keys of a Watts & Strogatz (1998) small world.

    A ring lattice where each resident is tied to the ``k / 2`` nearest on
    each side (``k`` = ``mean_degree`` rounded down to even), then each tie
    ``(i, i + j)`` is rewired with probability ``p``: ``i`` keeps it and the
    other end moves to a uniformly random resident, avoiding self-loops and
    duplicate ties as in the original (here by vectorised rejection), so
    the number of ties stays ``n * k / 2``. Once ``k >= n - 1`` the lattice
    is the complete graph and no rewiring is possible.
    """
    k = mean_degree - mean_degree % 2
    if n <= 1 or k == 0:
        return np.empty(0, dtype=np.int64)
    if k >= n - 1:
        return _complete(n)
    src = np.repeat(np.arange(n, dtype=np.int64), k // 2)
    dst = (src + np.tile(np.arange(1, k // 2 + 1, dtype=np.int64), n)) % n
    # Keep the lattice order (source-major) so that the `i keeps it` rule
    # knows which end is the source; keys are sorted after rewiring.
    return _rewire_pairs(src, dst, n, p, rng)


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


def _rewire_pairs(
    src: Int64Array, dst: Int64Array, n: int, p: float, rng: np.random.Generator
) -> Int64Array:
    """Rewire ties ``(src, dst)`` with probability ``p``: ``dst`` moves.

    The new end is uniform over residents other than ``src``; draws that
    would duplicate an existing tie or another rewired one are redrawn
    (Watts & Strogatz 1998 forbid both). A moving tie's old place counts as
    taken until the tie has moved, so it never moves onto itself and can
    always go back: in a graph so dense that redrawing keeps failing, the tie
    stays where it was after ``_MAX_ROUNDS`` attempts (as networkx does when
    a node is already tied to everyone). So rewiring never changes the
    number of ties.

    Returns:
        Sorted keys of the rewired ties (``src`` and ``dst`` are not kept in
        order).
    """
    moving = rng.random(src.size) < p
    if not moving.any() or n <= 2:
        return np.sort(_keys(src, dst, n))
    fixed = np.sort(_keys(src[~moving], dst[~moving], n))
    anchor = src[moving]
    original = _keys(anchor, dst[moving], n)
    placed = np.full(anchor.size, -1, dtype=np.int64)  # new key, -1 = not yet
    for _ in range(_MAX_ROUNDS):
        todo = np.flatnonzero(placed < 0)
        if todo.size == 0:
            break
        draw = rng.integers(0, n - 1, size=todo.size, dtype=np.int64)
        draw += draw >= anchor[todo]  # uniform over residents except the anchor
        candidate = _keys(anchor[todo], draw, n)
        in_motion = np.sort(np.where(placed >= 0, placed, original))
        clash = _isin_sorted(candidate, fixed) | _isin_sorted(candidate, in_motion)
        # Among candidates equal to each other, the first one wins.
        order = np.argsort(candidate, kind="stable")
        unique_first = np.zeros(todo.size, dtype=bool)
        unique_first[order[_first_of_runs(candidate[order])]] = True
        ok = ~clash & unique_first
        placed[todo[ok]] = candidate[ok]
    stuck = placed < 0
    placed[stuck] = original[stuck]
    return np.sort(np.concatenate([fixed, placed]))


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


def _adjacency_from_keys(keys: Int64Array, n: int) -> sp.csr_array:
    """Assemble the canonical CSR adjacency from undirected tie keys.

    Drops self-loops and duplicate keys, writes each tie in both directions
    and builds ``indptr`` directly from row counts (no COO round trip, which
    would cost a second sort and a duplicate-summing pass at 10^6 residents).
    """
    if n == 0:
        return sp.csr_array((0, 0), dtype=np.float32)
    keys = np.asarray(keys, dtype=np.int64)
    lo, hi = keys // n, keys % n
    off_diagonal = lo != hi
    lo, hi = lo[off_diagonal], hi[off_diagonal]
    directed = np.concatenate([lo * n + hi, hi * n + lo])
    del lo, hi
    directed = _unique(directed)
    fits = max(n, directed.size) < np.iinfo(np.int32).max
    index_dtype: np.dtype[np.signedinteger[Any]] = np.dtype(np.int32 if fits else np.int64)
    rows = directed // n
    indices = (directed % n).astype(index_dtype)
    del directed
    indptr = np.zeros(n + 1, dtype=index_dtype)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    data = np.ones(indices.size, dtype=np.float32)
    adjacency = sp.csr_array((data, indices, indptr), shape=(n, n))
    adjacency.has_sorted_indices = True
    adjacency.has_canonical_format = True
    return adjacency
