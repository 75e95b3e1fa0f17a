"""The Epstein (2002) reference mode: civil violence Model I on a torus lattice.

``CivilViolence`` runs Epstein's Model I (PNAS 99 suppl. 3, 7243-7250) with
the estimated arrest probability and activation rule of
:mod:`model.submodels.stance`, the same two functions the main model calls
(MODEL.md section 7, ODD.md "Submodels: decide_stance"). It nests the classic
model so the project's core rule can be checked against the paper, NetLogo's
Rebellion and Mesa's ``epstein_civil_violence`` example.

Citizens and cops live in numpy arrays (one row per agent) and the lattice in
two flat arrays: ``occupant`` (agent index or -1) and ``code`` (1 for a cop, 2**16
for an active citizen), so that the counts a citizen sees, C and A, are one
sum over its vision ``s``: ``C = s & 0xFFFF`` and ``A = s >> 16``.

Activation. Mesa's example steps every agent once per step in a fresh random
order, and each agent sees the world as the agents before it left it.
``CivilViolence`` does exactly that (``batches=0``, the default of every
preset): one compiled kernel (numba) lets the agents act one at a time in a
uniformly random order drawn from the run's generator, updating ``occupant``
and ``code`` at once, so that each look costs O(cells in vision). Random
choices (suspect, empty cell, jail term, order) are exactly uniform, as
Mesa's ``random.choice``/``randint``/``shuffle``; only the random numbers
differ. The kernel calls the shared scalar rule and arrest probability of
:mod:`model.submodels.stance`. The test suite compares the ``mesa`` preset
with Mesa's own model by two-sample tests over many seeds, and checks that
the same tests reject a wrong vision geometry or arrest rule.

``batches=b > 0`` is an update-scheme ablation kept from the first, numpy
version: each step's random order is cut into ``b`` slices whose agents see
the world as earlier slices left it, but not each other's changes (write
conflicts resolved in the random order). It is slower than the exact kernel
and only approximates Mesa's rule.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any, Literal, cast

import mesa
import numba
import numpy as np

from model.jit import jit
from model.params import ParameterError
from model.submodels.stance import (
    activates,
    arrest_probability,
    arrest_probability_one,
    arrest_rule_code,
    wants_to_protest,
)
from model.types import BoolArray, FloatArray, IntArray

Vision = Literal["euclidean", "von_neumann", "moore"]
ArrestRule = Literal["literal", "floor", "round"]
JailTerms = Literal["0..J", "0..J-1"]
Order = Literal["act_then_move", "move_then_act"]
Placement = Literal["bernoulli", "exact"]

_COP = 1
_ACTIVE = 1 << 16
_LOW = _ACTIVE - 1

#: Epstein's Run 1-2 population: 40x40 lattice at citizen density 0.7. The
#: outburst threshold of 50 actives is scaled with population from here.
EPSTEIN_CITIZENS = 1120


@dataclass(frozen=True)
class EpsteinParams:
    """All settings of the reference mode; each preset is one instance.

    Defaults are Mesa's example (``preset="mesa"``), because that is the
    implementation the test suite compares against run by run.

    Attributes:
        width: Lattice width (torus).
        height: Lattice height (torus).
        citizen_density: Share of cells holding a citizen at the start.
        cop_density: Share of cells holding a cop at the start.
        citizen_vision: Radius within which a citizen counts cops and actives
            and chooses where to move.
        cop_vision: Radius within which a cop looks for actives and moves.
        legitimacy: Regime legitimacy L, a number or a function of the step.
        threshold: Activation threshold T.
        k: Arrest-probability constant (2.3 makes P = 0.9 at C = A = 1).
        max_jail_term: J_max.
        movement: Whether citizens move (in Mesa's example also cops).
        vision: Neighbourhood geometry: ``euclidean`` (NetLogo's in-radius),
            ``von_neumann`` (Mesa's default grid) or ``moore``.
        arrest_rule: ``literal``, ``floor`` (NetLogo) or ``round`` (Mesa).
        jail_terms: ``0..J`` (Mesa's ``randint(0, J)``) or ``0..J-1``
            (NetLogo's ``random J``).
        order: ``act_then_move`` (Mesa: decide or arrest, then move) or
            ``move_then_act`` (NetLogo: move, then decide or arrest).
        jailed_hold_cell: Mesa keeps prisoners on their cell (blocking it);
            in NetLogo they stop blocking and the arresting cop steps onto
            the prisoner's cell. Used with ``move_then_act``; with
            ``act_then_move`` prisoners always hold their cell, as in Mesa.
        count_self_twice: NetLogo counts an active citizen in its own
            patch as well as in the ``1 +``, so A includes it twice.
        cops_always_move: NetLogo's cops move even with movement off;
            Mesa's obey the movement switch.
        placement: ``bernoulli`` (Mesa: each cell draws citizen, cop or
            empty) or ``exact`` (NetLogo: rounded counts on random cells).
        n_cops: Number of cops as a function of the step (``None``: keep the
            initial cops); for the cop-reduction experiment.
        batches: ``0`` (default): Mesa's exact sequential activation, one
            agent at a time. ``b > 0``: an update-scheme ablation that cuts
            each step's random order into ``b`` slices whose agents see the
            world as the previous slice left it (nearly synchronous for
            small ``b``); kept to study how much the update scheme matters.
    """

    width: int = 40
    height: int = 40
    citizen_density: float = 0.7
    cop_density: float = 0.074
    citizen_vision: int = 7
    cop_vision: int = 7
    legitimacy: float | Callable[[int], float] = 0.8
    threshold: float = 0.1
    k: float = 2.3
    max_jail_term: int = 1000
    movement: bool = True
    vision: Vision = "von_neumann"
    arrest_rule: ArrestRule = "round"
    jail_terms: JailTerms = "0..J"
    order: Order = "act_then_move"
    jailed_hold_cell: bool = True
    count_self_twice: bool = False
    cops_always_move: bool = False
    placement: Placement = "bernoulli"
    n_cops: Callable[[int], int] | None = None
    batches: int = 0

    def check(self) -> None:
        """Raise a one-line :class:`ParameterError` for an impossible setting."""
        choices: dict[str, tuple[str, ...]] = {
            "vision": ("euclidean", "von_neumann", "moore"),
            "arrest_rule": ("literal", "floor", "round"),
            "jail_terms": ("0..J", "0..J-1"),
            "order": ("act_then_move", "move_then_act"),
            "placement": ("bernoulli", "exact"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ParameterError(
                    f"{name}={getattr(self, name)!r} is not allowed; choose one of "
                    + ", ".join(allowed)
                )
        if self.width < 1 or self.height < 1:
            raise ParameterError("width and height must be at least 1")
        if self.citizen_vision < 1 or self.cop_vision < 1:
            raise ParameterError("citizen_vision and cop_vision must be at least 1")
        if not 0 <= self.citizen_density + self.cop_density <= 1:
            raise ParameterError("citizen_density + cop_density must lie in [0, 1]")
        if self.max_jail_term < 1:
            raise ParameterError("max_jail_term must be at least 1")
        if self.k < 0:
            raise ParameterError("k must be at least 0 (P = 1 - exp(-k C/A) is a probability)")
        if self.batches < 0:
            raise ParameterError("batches must be 0 (exact sequential) or more")


#: Named settings. ``mesa`` is Mesa 3.5's example (its citizens look with
#: ``cop_vision``; keep the two visions equal to match it); ``netlogo`` is
#: NetLogo's Rebellion (Wilensky 2004) with its slider defaults; ``epstein``
#: is the paper's Run 1-2 setting as printed (literal ratio; vision 7 "north,
#: south, east and west", i.e. Von Neumann; J_max 30).
PRESETS: dict[str, EpsteinParams] = {
    "mesa": EpsteinParams(),
    "netlogo": EpsteinParams(
        citizen_density=0.7,
        cop_density=0.04,
        citizen_vision=7,
        cop_vision=7,
        legitimacy=0.82,
        max_jail_term=30,
        vision="euclidean",
        arrest_rule="floor",
        jail_terms="0..J-1",
        order="move_then_act",
        jailed_hold_cell=False,
        count_self_twice=True,
        cops_always_move=True,
        placement="exact",
    ),
    "epstein": EpsteinParams(
        cop_density=0.04,
        legitimacy=0.82,
        max_jail_term=30,
        vision="von_neumann",
        arrest_rule="literal",
    ),
}

_FIELDS = tuple(f.name for f in fields(EpsteinParams))


def resolve_params(preset: str, overrides: dict[str, Any]) -> EpsteinParams:
    """A preset with flat keyword overrides, checked.

    Unknown names raise an error that suggests the closest valid name, so a
    typo never silently falls back to a default.
    """
    if preset not in PRESETS:
        raise ParameterError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    for name in overrides:
        if name not in _FIELDS:
            close = difflib.get_close_matches(name, _FIELDS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ParameterError(f"unknown parameter {name!r}{hint}")
    params = replace(PRESETS[preset], **overrides)
    params.check()
    return params


def neighbourhood_offsets(radius: int, vision: str) -> list[tuple[int, int]]:
    """Offsets ``(dy, dx)`` within ``radius``, the centre excluded.

    ``von_neumann`` and ``moore`` are the cells Mesa's breadth-first search
    reaches on its Von Neumann and Moore grids (|dy| + |dx| <= r and
    max(|dy|, |dx|) <= r); ``euclidean`` is NetLogo's ``in-radius``.
    """
    out: list[tuple[int, int]] = []
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if dy == 0 and dx == 0:
                continue
            if vision == "von_neumann":
                inside = abs(dy) + abs(dx) <= radius
            elif vision == "moore":
                inside = True
            else:
                inside = dy * dy + dx * dx <= radius * radius
            if inside:
                out.append((dy, dx))
    return out


def wrapped_offsets(width: int, height: int, radius: int, vision: str) -> tuple[IntArray, IntArray]:
    """The distinct offsets ``(dy, dx)`` within vision on a ``width`` x ``height`` torus.

    Offsets are reduced modulo the lattice (``0 <= dy < height``,
    ``0 <= dx < width``), so a cell's neighbour is one conditional
    subtraction away. On a small torus several offsets wrap onto the same
    cell; like Mesa's search, each cell is listed once and the cell itself
    never. Sorted row by row, so a scan reads the lattice in order.
    """
    wrapped = sorted(
        {(dy % height, dx % width) for dy, dx in neighbourhood_offsets(radius, vision)} - {(0, 0)}
    )
    dy = np.array([o[0] for o in wrapped], dtype=np.intp)
    dx = np.array([o[1] for o in wrapped], dtype=np.intp)
    return dy, dx


def neighbour_table(width: int, height: int, radius: int, vision: str) -> IntArray:
    """For every cell (row-major), the distinct other cells within vision.

    The rows of :func:`wrapped_offsets` applied to every cell; the torus is
    homogeneous, so every row has the same length.
    """
    dy, dx = wrapped_offsets(width, height, radius, vision)
    rows, cols = np.divmod(np.arange(width * height, dtype=np.intp), width)
    table = ((rows[:, None] + dy) % height) * width + (cols[:, None] + dx) % width
    return np.ascontiguousarray(table)


@dataclass(frozen=True)
class Outburst:
    """One outburst: actives rose above the threshold and fell below it again.

    Attributes:
        start: First step above the threshold.
        end: First step back below it.
        peak: Largest number of actives during the outburst.
        activation: Sum of actives over the outburst's steps.
    """

    start: int
    end: int
    peak: int
    activation: int


def outburst_threshold(n_citizens: int) -> float:
    """Epstein's 50 actives (of 1,120 citizens), scaled with population."""
    return 50.0 * n_citizens / EPSTEIN_CITIZENS


def find_outbursts(active: IntArray, threshold: float) -> list[Outburst]:
    """Outbursts in a series of active counts.

    An outburst starts at a step above ``threshold`` that follows one at or
    below it and ends at the next step below it; one still running at the
    end of the series is not counted (its size is unknown).
    """
    above = np.asarray(active) > threshold
    out: list[Outburst] = []
    t = 1
    n = len(above)
    while t < n:
        if above[t] and not above[t - 1]:
            end = t
            while end < n and above[end]:
                end += 1
            if end == n:
                break
            seg = np.asarray(active[t:end])
            out.append(Outburst(t, end, int(seg.max()), int(seg.sum())))
            t = end
        t += 1
    return out


def waiting_times(outbursts: list[Outburst]) -> IntArray:
    """Steps between the starts of consecutive outbursts."""
    starts = np.array([o.start for o in outbursts], dtype=np.int64)
    return np.diff(starts)


# ------------------------------------------------------- sequential kernel
#
# Mesa's exact activation: one agent at a time, in a fresh uniformly random
# order, each seeing the lattice as the agents before it left it. Compiled
# with numba. An agent's vision is a view (:func:`make_view`): the offsets of
# :func:`wrapped_offsets` (to draw a random cell in view) and the same cells
# as runs along lattice rows (to scan them: a few contiguous slices, with
# modular indexing at the torus edge). ``occupant`` and ``code`` are updated
# as soon as an agent moves, activates or is jailed, so every look costs
# O(cells in vision). The rule and the arrest probability are the shared
# scalar functions of :mod:`model.submodels.stance`.
#
# The per-agent rules are written out in the one kernel function rather than
# as helpers: numba reference-counts the arrays a helper with branches
# receives (inlined or not), which cost more than the rules themselves.

_TWO32 = 1 << 32
_LOW32 = _TWO32 - 1
#: Random draws of a cell before a mover scans its whole vision for empty cells.
_TRIES = 20


def _inline[F: Callable[..., Any]](function: F) -> F:
    """:func:`model.jit.jit` that numba inlines into its compiled callers."""
    return cast(F, numba.njit(cache=True, nogil=True, inline="always")(function))


def vision_runs(width: int, dy: IntArray, dx: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """The cells of :func:`wrapped_offsets` as runs of consecutive columns.

    Each run is ``(row offset, first column offset, length)``, columns taken
    cyclically (a run may cross the torus edge), so a Von Neumann diamond of
    radius r is 2r + 1 runs, one per row, split only at the agent's own cell.
    """
    run_dy: list[int] = []
    run_dx: list[int] = []
    run_len: list[int] = []
    for row in sorted(set(dy.tolist())):
        cols = set(dx[dy == row].tolist())
        if len(cols) == width:
            starts = [0]
        else:
            starts = sorted(c for c in cols if (c - 1) % width not in cols)
        for start in starts:
            length = 1
            while length < width and (start + length) % width in cols:
                length += 1
            run_dy.append(row)
            run_dx.append(start)
            run_len.append(length)
    return (
        np.array(run_dy, dtype=np.intp),
        np.array(run_dx, dtype=np.intp),
        np.array(run_len, dtype=np.intp),
    )


def make_views(width: int, height: int, radii: tuple[int, int], vision: str) -> IntArray:
    """The citizens' (0) and cops' (1) vision on one torus, as one array.

    ``views[v]`` has five rows: ``dy`` and ``dx`` (one column per cell in
    view, padded with ``-1``), then the runs of :func:`vision_runs`: row
    offset, first column offset and length (padded with length 0).
    """
    parts = []
    for radius in radii:
        dy, dx = wrapped_offsets(width, height, radius, vision)
        parts.append((dy, dx, *vision_runs(width, dy, dx)))
    size = max(len(p[0]) for p in parts)
    views = np.zeros((2, 5, size), dtype=np.intp)
    views[:, :2] = -1
    for v, rows in enumerate(parts):
        for r, row in enumerate(rows):
            views[v, r, : len(row)] = row
    return views


@_inline
def _below(rng: np.random.Generator, n: int) -> int:
    """A uniform integer in ``[0, n)``, ``n < 2**31``, exactly, from the run's generator.

    ``rng.random()`` carries 53 exact random bits (numpy's ``next_double``);
    its top 32 go through Lemire's (2019) multiply-and-reject method, which is
    exactly uniform and needs a division only in rare rejections. Several
    times faster in numba than ``rng.integers``.
    """
    m = int(rng.random() * _TWO32) * n
    if (m & _LOW32) < n:
        floor = (_TWO32 - n) % n
        while (m & _LOW32) < floor:
            m = int(rng.random() * _TWO32) * n
    return m >> 32


@jit
def _pick_empty(
    occupant: IntArray,
    cell: int,
    views: IntArray,
    v: int,
    cells_in_view: int,
    width: int,
    height: int,
    rng: np.random.Generator,
    buf: IntArray,
) -> int:
    """A uniformly random empty cell within view ``v`` of ``cell``, or -1 if none.

    A few cells of the vision are drawn at random and the first empty one
    is taken; if all are occupied, the empty cells are listed and one is
    drawn. Each empty cell has the same chance either way (every draw is
    uniform over the vision), so the result is exactly uniform over the
    empty cells, as Mesa's ``random.choice(empty_neighbors)``.
    """
    row = cell // width
    col = cell - row * width
    for _ in range(_TRIES):
        j = _below(rng, cells_in_view)
        r = row + views[v, 0, j]
        if r >= height:
            r -= height
        c = col + views[v, 1, j]
        if c >= width:
            c -= width
        x = r * width + c
        if occupant[x] < 0:
            return int(x)
    n = 0
    for j in range(cells_in_view):
        r = row + views[v, 0, j]
        if r >= height:
            r -= height
        c = col + views[v, 1, j]
        if c >= width:
            c -= width
        x = r * width + c
        buf[n] = x
        n += occupant[x] < 0
    if n == 0:
        return -1
    return int(buf[_below(rng, n)])


@jit
def _release(
    nc: int,
    pos: IntArray,
    occupant: IntArray,
    jailed: BoolArray,
    jail_term: IntArray,
    views: IntArray,
    cells_in_view: int,
    width: int,
    height: int,
    rng: np.random.Generator,
    buf: IntArray,
) -> None:
    """NetLogo: terms shorten at the end of the tick; released prisoners return.

    Prisoners go back to their cell, in index order. One whose cell has been
    taken moves to a uniformly random empty cell within vision (NetLogo
    would stack the two); with none free it waits in jail one more tick.
    """
    for i in range(nc):
        if jailed[i]:
            jail_term[i] -= 1
            if jail_term[i] <= 0 and (occupant[pos[i]] < 0 or occupant[pos[i]] == i):
                occupant[pos[i]] = i
                jailed[i] = False
    for i in range(nc):
        if jailed[i] and jail_term[i] <= 0:
            dest = _pick_empty(occupant, pos[i], views, 0, cells_in_view, width, height, rng, buf)
            if dest >= 0:
                pos[i] = dest
                occupant[dest] = i
                jailed[i] = False
            else:
                jail_term[i] = 1


@jit
def _sequential_step(
    rng: np.random.Generator,
    nc: int,
    pos: IntArray,
    occupant: IntArray,
    code: IntArray,
    active: BoolArray,
    jailed: BoolArray,
    jail_term: IntArray,
    grievance: FloatArray,
    risk_aversion: FloatArray,
    views: IntArray,
    cells_in_view: IntArray,
    width: int,
    height: int,
    threshold: float,
    k: float,
    rule_code: int,
    jail_high: int,
    citizens_move: bool,
    cops_move: bool,
    act_then_move: bool,
    move_onto: bool,
    count_self_twice: bool,
) -> None:
    """One step with Mesa's exact sequential activation.

    Every agent acts once, in a uniformly random order (Fisher-Yates), and
    each sees the lattice as the agents before it left it. An agent's turn
    is two phases, act (rule A or C) and move (rule M), in the order of
    ``act_then_move``.
    """
    n = pos.size
    order = np.arange(n)
    for i in range(n - 1, 0, -1):
        j = _below(rng, i + 1)
        order[i], order[j] = order[j], order[i]
    buf = np.empty(views.shape[2], dtype=np.intp)
    for agent in order:
        cit = agent < nc
        if cit:
            if act_then_move:
                # Mesa: a prisoner's own turn only shortens its term.
                if jail_term[agent] > 0:
                    jail_term[agent] -= 1
                    continue
            elif jailed[agent]:
                continue
        v = 0 if cit else 1
        for phase in range(2):
            if (phase == 0) != act_then_move:
                # Rule M: to a uniformly random empty cell within vision.
                if not (citizens_move if cit else cops_move):
                    continue
                src = pos[agent]
                dest = -1
                row = src // width
                col = src - row * width
                for _ in range(_TRIES):
                    j = _below(rng, cells_in_view[v])
                    r = row + views[v, 0, j]
                    if r >= height:
                        r -= height
                    c = col + views[v, 1, j]
                    if c >= width:
                        c -= width
                    if occupant[r * width + c] < 0:
                        dest = r * width + c
                        break
                if dest < 0:
                    dest = _pick_empty(
                        occupant, src, views, v, cells_in_view[v], width, height, rng, buf
                    )
                if dest >= 0:
                    val = (_ACTIVE if active[agent] else 0) if cit else _COP
                    occupant[src] = -1
                    code[src] -= val
                    occupant[dest] = agent
                    code[dest] += val
                    pos[agent] = dest
                continue
            cell = pos[agent]
            row = cell // width
            col = cell - row * width
            # P >= 0 and R >= 0, so G - R P > T implies G - R 0 > T: a
            # citizen failing this bound stays quiet whatever it would see.
            look = not cit or activates(grievance[agent], risk_aversion[agent], 0.0, threshold)
            seen = 0  # C + A << 16 within vision
            if look:
                for j in range(views.shape[2]):
                    length = views[v, 4, j]
                    if length == 0:
                        break
                    r = row + views[v, 2, j]
                    if r >= height:
                        r -= height
                    c = col + views[v, 3, j]
                    if c >= width:
                        c -= width
                    base = r * width
                    end = c + length
                    if end <= width:
                        for x in range(base + c, base + end):
                            seen += code[x]
                    else:
                        for x in range(base + c, base + width):
                            seen += code[x]
                        for x in range(base, base + end - width):
                            seen += code[x]
            if cit:
                # Rule A, with the shared arrest probability and rule.
                new = False
                if look:
                    actives = (seen >> 16) + 1
                    if count_self_twice and active[agent]:
                        actives += 1
                    prob = arrest_probability_one(float(seen & _LOW), float(actives), k, rule_code)
                    new = activates(grievance[agent], risk_aversion[agent], prob, threshold)
                if new != active[agent]:
                    code[cell] += _ACTIVE if new else -_ACTIVE
                    active[agent] = new
                jailed[agent] = False
            elif seen >= _ACTIVE:
                # Rule C: arrest a uniformly random active citizen in view.
                nth = _below(rng, seen >> 16)
                target = -1
                for j in range(views.shape[2]):
                    length = views[v, 4, j]
                    if length == 0 or target >= 0:
                        break
                    r = row + views[v, 2, j]
                    if r >= height:
                        r -= height
                    c = col + views[v, 3, j]
                    if c >= width:
                        c -= width
                    for i in range(c, c + length):
                        x = r * width + (i if i < width else i - width)
                        if code[x] >= _ACTIVE:
                            if nth == 0:
                                target = x
                                break
                            nth -= 1
                suspect = occupant[target]
                term = _below(rng, jail_high)
                active[suspect] = False
                code[target] -= _ACTIVE
                jail_term[suspect] = term
                # Mesa: ARRESTED even with a term of 0 (free again at its
                # next turn); NetLogo: a term of 0 is no jail at all.
                jailed[suspect] = True if act_then_move else term > 0
                if move_onto and term > 0:
                    # NetLogo: the cop steps onto the prisoner's patch and
                    # prisoners stop blocking. With a term of 0 the citizen
                    # keeps its cell and the cop stays (NetLogo would stack
                    # the two on one patch).
                    occupant[cell] = -1
                    code[cell] -= _COP
                    occupant[target] = agent
                    code[target] += _COP
                    pos[agent] = target
    if not act_then_move:
        _release(
            nc, pos, occupant, jailed, jail_term, views, cells_in_view[0], width, height, rng, buf
        )


class CivilViolence(mesa.Model):  # type: ignore[misc]
    """Epstein's (2002) Model I, fast, with Mesa's and NetLogo's semantics.

    Build it as ``CivilViolence(preset="mesa", width=40, height=40, rng=1)``
    or ``CivilViolence.preset("netlogo", rng=1)``; any field of
    :class:`EpsteinParams` is a flat keyword override, so ``mesa.batch_run``
    and SolaraViz can build it. The run's one random generator is
    ``self.rng`` (from ``rng`` or ``seed``); nothing else draws numbers, so
    the same seed gives the same run.

    Attributes:
        params: The resolved settings.
        active: Active citizens after the last step.
        quiet: Quiet citizens (neither active nor jailed).
        jailed: Citizens in jail (Mesa: in state ARRESTED).
        datacollector: Mesa collector with reporters ``active``, ``quiet``,
            ``jailed``, collected at the start and after every step.
    """

    def __init__(
        self,
        preset: str = "mesa",
        *,
        rng: int | np.random.Generator | None = None,
        seed: int | None = None,
        **overrides: Any,
    ) -> None:
        if seed is not None and rng is None:
            rng, seed = seed, None
        super().__init__(rng=rng)
        p = resolve_params(preset, overrides)
        self.params = p
        self.n_cells = p.width * p.height
        self._views = make_views(p.width, p.height, (p.citizen_vision, p.cop_vision), p.vision)
        self._cells_in_view = np.array(
            [(self._views[v, 0] >= 0).sum() for v in range(2)], dtype=np.intp
        )
        if self._cells_in_view.max() >= _ACTIVE // 2:
            # C and A share one 32-bit integer (code): A << 16 must stay below 2**31.
            raise ParameterError("vision too large: at most 32,767 cells may be in view")
        self._rule_code = arrest_rule_code(p.arrest_rule)
        self._same_vision = p.cop_vision == p.citizen_vision
        if p.batches > 0:
            self._nbr_cit = neighbour_table(p.width, p.height, p.citizen_vision, p.vision)
            self._nbr_cop = (
                self._nbr_cit
                if self._same_vision
                else neighbour_table(p.width, p.height, p.cop_vision, p.vision)
            )
        self._t = 0
        self._place()
        self.hardship: FloatArray = self.rng.random(self.n_citizens)
        self.risk_aversion: FloatArray = self.rng.random(self.n_citizens)
        self.grievance: FloatArray = self.hardship * (1.0 - self._legitimacy(0))
        self.active_flag: BoolArray = np.zeros(self.n_citizens, dtype=bool)
        self.jailed_flag: BoolArray = np.zeros(self.n_citizens, dtype=bool)
        self.jail_term: IntArray = np.zeros(self.n_citizens, dtype=np.int64)
        self._history: list[tuple[int, int, int]] = []
        self.datacollector = mesa.DataCollector(
            model_reporters={"active": "active", "quiet": "quiet", "jailed": "jailed"}
        )
        self._record()

    @classmethod
    def preset(cls, name: str, **kwargs: Any) -> CivilViolence:
        """Build the model from a named preset (``mesa``, ``netlogo``, ``epstein``)."""
        return cls(preset=name, **kwargs)

    # ----------------------------------------------------------------- setup

    def _legitimacy(self, t: int) -> float:
        legit = self.params.legitimacy
        return float(legit(t)) if callable(legit) else float(legit)

    def _place(self) -> None:
        p = self.params
        if p.placement == "bernoulli":
            # Mesa: each cell independently holds a citizen, a cop or nothing.
            u = self.rng.random(self.n_cells)
            cit_cells = np.flatnonzero(u < p.citizen_density)
            cop_cells = np.flatnonzero(
                (u >= p.citizen_density) & (u < p.citizen_density + p.cop_density)
            )
        else:
            # NetLogo: rounded counts on distinct random cells.
            n_cit = round(p.citizen_density * self.n_cells)
            n_cop = round(p.cop_density * self.n_cells)
            cells = self.rng.permutation(self.n_cells)
            cop_cells, cit_cells = cells[:n_cop], cells[n_cop : n_cop + n_cit]
        self.n_citizens = len(cit_cells)
        # 32-bit lattice arrays: half the memory traffic of the kernel's
        # random reads on large lattices.
        self.pos: IntArray = np.concatenate([cit_cells, cop_cells]).astype(np.int32)
        self.occupant: IntArray = np.full(self.n_cells, -1, dtype=np.int32)
        self.occupant[self.pos] = np.arange(len(self.pos))
        self.code: IntArray = np.zeros(self.n_cells, dtype=np.int32)
        self.code[cop_cells] = _COP

    @property
    def n_cops(self) -> int:
        """Cops on the lattice now."""
        return len(self.pos) - self.n_citizens

    def _set_cops(self, target: int) -> None:
        """Remove random cops or add cops on random empty cells (cop schedule)."""
        nc = self.n_citizens
        cops = self.pos[nc:]
        if target < len(cops):
            drop = self.rng.choice(len(cops), size=len(cops) - target, replace=False)
            self.occupant[cops[drop]] = -1
            self.code[cops[drop]] -= _COP
            cops = np.delete(cops, drop)
        elif target > len(cops):
            empty = np.flatnonzero(self.occupant < 0)
            add = self.rng.choice(empty, size=min(target - len(cops), len(empty)), replace=False)
            self.code[add] += _COP
            cops = np.concatenate([cops, add])
        self.pos = np.concatenate([self.pos[:nc], cops]).astype(np.int32)
        self.occupant[cops] = nc + np.arange(len(cops))

    # ------------------------------------------------------------------ step

    def step(self) -> None:
        """One step: every agent acts once, in a fresh random order."""
        p = self.params
        self._t += 1
        if p.n_cops is not None:
            self._set_cops(int(p.n_cops(self._t)))
        if callable(p.legitimacy):
            self.grievance = self.hardship * (1.0 - self._legitimacy(self._t))
        if p.batches == 0:
            self._sequential_step()
        else:
            self._sliced_step()
        self._record()

    def _sequential_step(self) -> None:
        """Mesa's exact sequential activation, in the compiled kernel."""
        p = self.params
        _sequential_step(
            self.rng,
            self.n_citizens,
            self.pos,
            self.occupant,
            self.code,
            self.active_flag,
            self.jailed_flag,
            self.jail_term,
            self.grievance,
            self.risk_aversion,
            self._views,
            self._cells_in_view,
            p.width,
            p.height,
            float(p.threshold),
            float(p.k),
            self._rule_code,
            p.max_jail_term + 1 if p.jail_terms == "0..J" else p.max_jail_term,
            p.movement,
            p.movement or p.cops_always_move,
            p.order == "act_then_move",
            p.order == "move_then_act" and not p.jailed_hold_cell,
            p.count_self_twice,
        )

    def _sliced_step(self) -> None:
        """The ``batches > 0`` ablation: slices of the random order act together."""
        p = self.params
        n = len(self.pos)
        order = self.rng.permutation(n)
        rank = np.empty(n, dtype=np.intp)
        rank[order] = np.arange(n)
        slices = min(p.batches, max(n, 1))
        bounds = np.linspace(0, n, slices + 1).astype(np.intp)
        for s, e in itertools.pairwise(bounds):
            if e > s:
                self._process(order[s:e], rank)
        if p.order == "move_then_act":
            self._end_of_tick_release()

    def _process(self, ids: IntArray, rank: IntArray) -> None:
        """Let one slice of the random order act; ``ids`` are in rank order."""
        p = self.params
        nc = self.n_citizens
        is_cit = ids < nc
        cit = ids[is_cit]
        cops = ids[~is_cit]
        if p.order == "act_then_move":
            # Mesa: a prisoner's own turn only shortens its term.
            serving = self.jail_term[cit] > 0
            self.jail_term[cit[serving]] -= 1
            free = cit[~serving]
            self._decide(free)
            victims, by = self._arrest(cops, move_onto=False)
            # A suspect whose turn came after its arrest in this slice serves
            # that turn in jail and does not move, as in Mesa.
            if not p.movement:
                return
            if len(victims):
                later = np.isin(victims, ids) & (rank[victims] > rank[by])
                late = victims[later]
                self.jail_term[late[self.jail_term[late] > 0]] -= 1
                free = free[~np.isin(free, late)]
            movers = np.concatenate([free, cops])
            self._move(movers[np.argsort(rank[movers], kind="stable")])
        else:
            free = cit[~self.jailed_flag[cit]]
            movers_c = free if p.movement else free[:0]
            movers_k = cops if (p.movement or p.cops_always_move) else cops[:0]
            movers = np.concatenate([movers_c, movers_k])
            self._move(movers[np.argsort(rank[movers], kind="stable")])
            self._decide(free)
            self._arrest(cops, move_onto=not p.jailed_hold_cell)

    def _decide(self, cit: IntArray) -> None:
        """Epstein's rule A for free citizens, with the shared stance functions."""
        p = self.params
        g = self.grievance[cit]
        # G - R P > T is impossible when G <= T (P >= 0), so only citizens
        # with G > T need their neighbourhood counted; the outcome is exact.
        maybe = g > p.threshold
        cand = cit[maybe]
        new = np.zeros(len(cit), dtype=bool)
        if len(cand):
            s = self.code[self._nbr_cit[self.pos[cand]]].sum(axis=1)
            cops_seen = (s & _LOW).astype(np.float64)
            actives_seen = (s >> 16).astype(np.float64) + 1.0
            if p.count_self_twice:
                actives_seen += self.active_flag[cand]
            prob = arrest_probability(cops_seen, actives_seen, p.k, p.arrest_rule)
            new[maybe] = wants_to_protest(g[maybe], self.risk_aversion[cand], prob, p.threshold)
        old = self.active_flag[cit]
        changed = new != old
        self.code[self.pos[cit[changed]]] += np.where(new[changed], _ACTIVE, -_ACTIVE)
        self.active_flag[cit] = new
        self.jailed_flag[cit] = False

    def _arrest(self, cops: IntArray, *, move_onto: bool) -> tuple[IntArray, IntArray]:
        """Rule C: each cop arrests a random active citizen in its vision.

        Cops go in rank order: when two pick the same suspect, the later one
        picks again among the actives still free, as it would in Mesa.

        Returns:
            The arrested citizens and, for each, the arresting cop.
        """
        p = self.params
        victims: list[IntArray] = []
        arresters: list[IntArray] = []
        todo = cops
        while len(todo):
            cells = self._nbr_cop[self.pos[todo]]
            seen = self.code[cells] >= _ACTIVE
            has = seen.any(axis=1)
            if not has.any():
                break
            todo, cells, seen = todo[has], cells[has], seen[has]
            keys = np.where(seen, self.rng.random(seen.shape), -1.0)
            target = cells[np.arange(len(todo)), keys.argmax(axis=1)]
            _, first = np.unique(target, return_index=True)
            win = np.zeros(len(todo), dtype=bool)
            win[first] = True
            cop_w = todo[win]
            cell_w = target[win]
            vic = self.occupant[cell_w]
            high = p.max_jail_term + 1 if p.jail_terms == "0..J" else p.max_jail_term
            terms = self.rng.integers(0, high, size=len(vic))
            self.active_flag[vic] = False
            self.code[cell_w] -= _ACTIVE
            self.jail_term[vic] = terms
            if p.order == "act_then_move":
                self.jailed_flag[vic] = True
            else:
                # NetLogo: a term of 0 is no jail at all.
                self.jailed_flag[vic] = terms > 0
            if move_onto:
                self._cops_step_onto(cop_w, vic, terms > 0)
            victims.append(vic)
            arresters.append(cop_w)
            todo = todo[~win]
        if not victims:
            return cops[:0], cops[:0]
        return np.concatenate(victims), np.concatenate(arresters)

    def _cops_step_onto(self, cops: IntArray, vic: IntArray, jailed: BoolArray) -> None:
        """NetLogo: the cop moves onto the prisoner's patch; prisoners stop blocking.

        A prisoner with a term of 0 stays free and keeps its cell, so the cop
        stays where it is (NetLogo would stack the two on one patch).
        """
        cops, vic = cops[jailed], vic[jailed]
        cells = self.pos[vic]
        self.occupant[cells] = -1
        old = self.pos[cops]
        self.occupant[old] = -1
        self.code[old] -= _COP
        self.pos[cops] = cells
        self.occupant[cells] = cops
        self.code[cells] += _COP

    def _move(self, movers: IntArray) -> None:
        """Rule M: move to a uniformly random empty cell within vision.

        Each mover draws a few cells of its neighbourhood at random and takes
        the first empty one (rejection sampling, uniform over empty cells);
        movers who drew none look at the whole neighbourhood. Movers who pick
        the same cell go in rank order; the later ones choose again from the
        cells left, including those just vacated.
        """
        nc = self.n_citizens
        todo = movers
        while len(todo):
            target = np.full(len(todo), -1, dtype=np.intp)
            if self._same_vision:
                groups = [(np.arange(len(todo)), self._nbr_cit)]
            else:
                is_cit = todo < nc
                groups = [
                    (np.flatnonzero(is_cit), self._nbr_cit),
                    (np.flatnonzero(~is_cit), self._nbr_cop),
                ]
            for idx, table in groups:
                if len(idx):
                    target[idx] = self._pick_empty(self.pos[todo[idx]], table)
            going = target >= 0
            todo, target = todo[going], target[going]
            if not len(todo):
                break
            _, first = np.unique(target, return_index=True)
            win = np.zeros(len(todo), dtype=bool)
            win[first] = True
            who, dest = todo[win], target[win]
            src = self.pos[who]
            # One agent per cell, so the source cell's code is the mover's own.
            val = self.code[src].copy()
            self.occupant[src] = -1
            self.code[src] -= val
            self.occupant[dest] = who
            self.code[dest] += val
            self.pos[who] = dest
            todo = todo[~win]

    def _pick_empty(self, rows: IntArray, table: IntArray) -> IntArray:
        """A uniformly random empty cell of each row's neighbourhood, or -1."""
        width = table.shape[1]
        target = np.full(len(rows), -1, dtype=np.intp)
        draws = self.rng.integers(0, width, size=(len(rows), 4))
        cand = table[rows[:, None], draws]
        empty = self.occupant[cand] < 0
        got = empty.any(axis=1)
        target[got] = cand[got, empty[got].argmax(axis=1)]
        miss = np.flatnonzero(~got)
        if len(miss):
            full = table[rows[miss]]
            free = self.occupant[full] < 0
            keys = np.where(free, self.rng.random(free.shape), -1.0)
            pick = keys.argmax(axis=1)
            ok = free[np.arange(len(miss)), pick]
            target[miss[ok]] = full[ok, pick[ok]]
        return target

    def _end_of_tick_release(self) -> None:
        """NetLogo: terms shorten at the end of the tick; released prisoners return.

        A released prisoner whose cell has been taken moves to a random empty
        cell within vision (NetLogo would stack the two); with none free it
        waits in jail one more tick.
        """
        jailed = np.flatnonzero(self.jailed_flag)
        self.jail_term[jailed] -= 1
        out = jailed[self.jail_term[jailed] <= 0]
        if not len(out):
            return
        cells = self.pos[out]
        free = (self.occupant[cells] < 0) | (self.occupant[cells] == out)
        _, first = np.unique(cells, return_index=True)
        back = np.zeros(len(out), dtype=bool)
        back[first] = True
        back &= free
        self.occupant[cells[back]] = out[back]
        self.jailed_flag[out[back]] = False
        # Rare (the cell was taken while its owner served), so one at a time.
        for who in out[~back]:
            cells_seen = self._nbr_cit[self.pos[who]]
            empty = cells_seen[self.occupant[cells_seen] < 0]
            if len(empty):
                dest = int(empty[self.rng.integers(len(empty))])
                self.pos[who] = dest
                self.occupant[dest] = who
                self.jailed_flag[who] = False
            else:
                self.jail_term[who] = 1

    # --------------------------------------------------------------- outputs

    def _record(self) -> None:
        self.active = int(self.active_flag.sum())
        self.jailed = int(self.jailed_flag.sum())
        self.quiet = self.n_citizens - self.active - self.jailed
        self._history.append((self.active, self.quiet, self.jailed))
        self.datacollector.collect(self)

    def run(self, steps: int) -> None:
        """Advance ``steps`` steps."""
        for _ in range(steps):
            self.step()

    def series(self) -> dict[str, IntArray]:
        """Counts per step (step 0 is the start): ``active``, ``quiet``, ``jailed``."""
        h = np.array(self._history, dtype=np.int64).reshape(-1, 3)
        return {"active": h[:, 0], "quiet": h[:, 1], "jailed": h[:, 2]}

    def outbursts(self, threshold: float | None = None) -> list[Outburst]:
        """Outbursts so far; default threshold 50 actives per 1,120 citizens."""
        thr = outburst_threshold(self.n_citizens) if threshold is None else threshold
        return find_outbursts(self.series()["active"], thr)
