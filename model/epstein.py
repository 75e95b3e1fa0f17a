"""The Epstein (2002) reference mode: civil violence Model I on a torus lattice.

``CivilViolence`` runs Epstein's Model I (PNAS 99 suppl. 3, 7243-7250) with
the estimated arrest probability and activation rule of
:mod:`model.submodels.stance`, the same two functions the main model calls
(ODD.md, "Submodels: decide_stance"). It nests the classic model so the
project's core rule can be checked against the paper, NetLogo's Rebellion and
Mesa's ``epstein_civil_violence`` example.

Citizens and cops live in numpy arrays (one row per agent) and the lattice in
two flat arrays: ``occupant`` (agent index or -1) and ``code`` (1 for a cop, 2**16
for an active citizen), so that the counts a citizen sees, C and A, are one
sum over its vision ``s``: ``C = s & 0xFFFF`` and ``A = s >> 16``.

Activation. Mesa's example steps every agent once per step in a fresh random
order, and each agent sees the world as the agents before it left it.
``CivilViolence`` does exactly that: one compiled kernel (numba) lets the
agents act one at a time in a uniformly random order drawn from the run's
generator, updating ``occupant`` and ``code`` at once, so that each look
costs O(cells in vision). Random choices (suspect, empty cell, jail term,
order) are exactly uniform, as Mesa's ``random.choice``/``randint``/
``shuffle``; only the random numbers differ. The kernel calls the shared
scalar rule and arrest probability of :mod:`model.submodels.stance`. The
test suite compares the ``mesa`` preset with Mesa's own model by two-sample
tests over many seeds, and checks that the same tests reject a wrong vision
geometry or arrest rule.

This exact sequential activation is the only update scheme: the mode exists
to be compared with Mesa's and NetLogo's models run by run, and an update
that only approximates theirs would be one more difference to explain.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any, Literal, NamedTuple

import mesa
import numpy as np

from model.jit import inline_jit, jit
from model.params import ARREST_RULES, ParameterError
from model.submodels.stance import activates, arrest_probability_one
from model.types import BoolArray, FloatArray, IntArray

Vision = Literal["euclidean", "von_neumann", "moore"]
ArrestRule = Literal["literal", "floor", "round"]
JailTerms = Literal["0..J", "0..J-1"]
Order = Literal["act_then_move", "move_then_act"]
Placement = Literal["bernoulli", "exact"]

_COP = 1
_ACTIVE = 1 << 16
_LOW = _ACTIVE - 1
_CITIZEN_VIEW, _COP_VIEW = 0, 1
"""The citizens' and the cops' vision in the views of :func:`make_views`."""

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


# ------------------------------------------------------- sequential kernel
#
# Mesa's exact activation: one agent at a time, in a fresh uniformly random
# order, each seeing the lattice as the agents before it left it. Compiled
# with numba. An agent's vision is a view (:func:`make_views`): the offsets of
# :func:`wrapped_offsets` (to draw a random cell in view) and the same cells
# as runs along lattice rows (to scan them). ``occupant`` and ``code`` are
# updated as soon as an agent moves, activates or is jailed, so every look
# costs O(cells in vision). The rule and the arrest probability are the
# shared scalar functions of :mod:`model.submodels.stance`.
#
# The kernel receives its state and settings as three named records
# (:class:`Agents`, :class:`Lattice`, :class:`Rules`), as the main model's
# processes receive ``Residents`` and ``Coefficients``, and takes them apart
# once per step. The per-agent rules are written out in the one kernel
# function rather than as helpers that receive the lattice: numba
# reference-counts the arrays a helper with branches receives (inlined or
# not), which cost more than the rules themselves. The helpers below take
# numbers only, are the short draw loop the kernel inlines
# (:func:`_draw_empty`, measured as fast as the loop written in place), or
# run off the hot path (:func:`_choose_listed_empty`, only after many
# missed draws; :func:`_release`, once per step).

_TWO32 = 1 << 32
_LOW32 = _TWO32 - 1
#: Random draws of a cell in view before a mover lists the empty cells. Any
#: number gives the same law; these are the numbers the kernel has always
#: drawn, so that a seed keeps giving the same run.
_MOVE_TRIES = 40
#: The same for a released prisoner whose cell was taken (``move_then_act``).
_RELEASE_TRIES = 20


class Agents(NamedTuple):
    """The agents as one step reads and changes them: citizens first, then cops.

    Attributes:
        n_citizens: Agents ``0..n_citizens-1`` are citizens, the rest cops.
        pos: Each agent's cell (row-major); a prisoner keeps its cell.
        active: Whether each citizen is active.
        jailed: Whether each citizen is in jail.
        jail_term: Steps of jail each citizen has left.
        grievance: Each citizen's grievance ``G = H (1 - L)``.
        risk_aversion: Each citizen's risk aversion ``R``.
    """

    n_citizens: int
    pos: IntArray
    active: BoolArray
    jailed: BoolArray
    jail_term: IntArray
    grievance: FloatArray
    risk_aversion: FloatArray


class Lattice(NamedTuple):
    """The torus, what stands on each cell, and what each agent sees of it.

    Attributes:
        occupant: Per cell, the agent on it, or -1.
        code: Per cell, 1 for a cop plus ``2**16`` for an active citizen, so
            that one sum over the cells in view counts both C and A.
        width: Cells per row.
        height: Rows.
        views: The citizens' and the cops' vision (:func:`make_views`).
        cells_in_view: Cells in each vision.
    """

    occupant: IntArray
    code: IntArray
    width: int
    height: int
    views: IntArray
    cells_in_view: IntArray


class Rules(NamedTuple):
    """The settings a step applies, fixed for a run: the mode's coefficients.

    Attributes:
        threshold: Activation threshold T.
        k: Arrest-probability constant.
        arrest_rule: The arrest rule, as its position in
            :data:`~model.params.ARREST_RULES`.
        jail_high: Jail terms are drawn uniformly from ``0..jail_high-1``.
        citizens_move: Whether citizens follow rule M.
        cops_move: Whether cops follow rule M.
        act_then_move: Mesa's order (act, then move); otherwise NetLogo's.
        cop_takes_cell: NetLogo: a cop who jails a citizen steps onto its cell.
        count_self_twice: NetLogo: an active citizen counts itself twice in A.
    """

    threshold: float
    k: float
    arrest_rule: int
    jail_high: int
    citizens_move: bool
    cops_move: bool
    act_then_move: bool
    cop_takes_cell: bool
    count_self_twice: bool


@inline_jit
def _wrap(x: int, n: int) -> int:
    """A row or column ``x`` with ``0 <= x < 2 n`` back on a torus side of ``n`` cells.

    The one torus wrap of the kernel. Offsets in view are stored reduced
    modulo the lattice (:func:`wrapped_offsets`), so a row or column plus an
    offset is below twice the side, and one conditional subtraction does
    what a modulo (an integer division) would, at a fraction of its cost in
    the innermost loops.
    """
    return x - n if x >= n else x


@inline_jit
def _cell(row: int, col: int, dy: int, dx: int, width: int, height: int) -> int:
    """The cell (row-major) at offset ``(dy, dx)`` of ``(row, col)`` on the torus."""
    return _wrap(row + dy, height) * width + _wrap(col + dx, width)


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


@inline_jit
def _below(rng: np.random.Generator, n: int) -> int:
    """A uniform integer in ``[0, n)``, ``n < 2**31``, exactly, from the run's generator.

    ``rng.random()`` carries 53 exact random bits (numpy's ``next_double``);
    its top 32 go through Lemire's (2019) multiply-and-reject method, which is
    exactly uniform and needs a division only in rare rejections. Several
    times faster in numba than ``rng.integers``.
    """
    # A count read from the 32-bit lattice, run uncompiled (tests/test_run_path.py),
    # would make the product below a 32-bit numpy integer; compiled, n is 64-bit.
    n = int(n)
    m = int(rng.random() * _TWO32) * n
    if (m & _LOW32) < n:
        floor = (_TWO32 - n) % n
        while (m & _LOW32) < floor:
            m = int(rng.random() * _TWO32) * n
    return m >> 32


@inline_jit
def _draw_empty(
    occupant: IntArray,
    row: int,
    col: int,
    views: IntArray,
    v: int,
    cells_in_view: int,
    width: int,
    height: int,
    rng: np.random.Generator,
    tries: int,
) -> int:
    """The first empty cell among up to ``tries`` uniform draws in view ``v``, or -1.

    The cheap first half of choosing a uniformly random empty cell within
    vision: in the usual case, a vision with many empty cells, a draw or two
    finds one. Each draw is uniform over the vision, so the cell found is
    uniform over the empty cells; if none is found,
    :func:`_choose_listed_empty` finishes the choice with the same law.
    """
    for _ in range(tries):
        j = _below(rng, cells_in_view)
        x = _cell(row, col, views[v, 0, j], views[v, 1, j], width, height)
        if occupant[x] < 0:
            return x
    return -1


@jit
def _choose_listed_empty(
    occupant: IntArray,
    row: int,
    col: int,
    views: IntArray,
    v: int,
    cells_in_view: int,
    width: int,
    height: int,
    rng: np.random.Generator,
    buf: IntArray,
) -> int:
    """A uniformly random empty cell in view ``v`` of ``(row, col)``, or -1 if none.

    Lists the empty cells in ``buf`` and draws one, as Mesa's
    ``random.choice(empty_neighbors)``: the second half of the choice, after
    :func:`_draw_empty` missed (a crowded vision).
    """
    n = 0
    for j in range(cells_in_view):
        x = _cell(row, col, views[v, 0, j], views[v, 1, j], width, height)
        buf[n] = x
        n += occupant[x] < 0
    if n == 0:
        return -1
    return int(buf[_below(rng, n)])


@jit
def _release(agents: Agents, lattice: Lattice, rng: np.random.Generator, buf: IntArray) -> None:
    """NetLogo: terms shorten at the end of the tick; released prisoners return.

    Prisoners go back to their cell, in index order. One whose cell has been
    taken moves to a uniformly random empty cell within vision (NetLogo
    would stack the two); with none free it waits in jail one more tick.
    """
    nc, pos, jailed, jail_term = agents.n_citizens, agents.pos, agents.jailed, agents.jail_term
    occupant, views, width, height = lattice.occupant, lattice.views, lattice.width, lattice.height
    cells_in_view = lattice.cells_in_view[_CITIZEN_VIEW]
    for i in range(nc):
        if jailed[i]:
            jail_term[i] -= 1
            if jail_term[i] <= 0 and (occupant[pos[i]] < 0 or occupant[pos[i]] == i):
                occupant[pos[i]] = i
                jailed[i] = False
    for i in range(nc):
        if jailed[i] and jail_term[i] <= 0:
            row = pos[i] // width
            col = pos[i] - row * width
            v = _CITIZEN_VIEW
            dest = _draw_empty(
                occupant, row, col, views, v, cells_in_view, width, height, rng, _RELEASE_TRIES
            )
            if dest < 0:
                dest = _choose_listed_empty(
                    occupant, row, col, views, v, cells_in_view, width, height, rng, buf
                )
            if dest >= 0:
                pos[i] = dest
                occupant[dest] = i
                jailed[i] = False
            else:
                jail_term[i] = 1


@jit
def _sequential_step(
    rng: np.random.Generator, agents: Agents, lattice: Lattice, rules: Rules
) -> None:
    """One step with Mesa's exact sequential activation.

    Every agent acts once, in a uniformly random order (Fisher-Yates), and
    each sees the lattice as the agents before it left it. An agent's turn
    is two phases, act (rule A or C) and move (rule M), in the order of
    ``rules.act_then_move``.
    """
    # Taken apart once, so the loops below read local names.
    nc, pos, active, jailed = agents.n_citizens, agents.pos, agents.active, agents.jailed
    jail_term, grievance, risk_aversion = agents.jail_term, agents.grievance, agents.risk_aversion
    occupant, code, width, height = lattice.occupant, lattice.code, lattice.width, lattice.height
    views, cells_in_view = lattice.views, lattice.cells_in_view
    threshold, k, arrest_rule = rules.threshold, rules.k, rules.arrest_rule
    jail_high = rules.jail_high
    citizens_move, cops_move = rules.citizens_move, rules.cops_move
    act_then_move, cop_takes_cell = rules.act_then_move, rules.cop_takes_cell
    count_self_twice = rules.count_self_twice
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
        v = _CITIZEN_VIEW if cit else _COP_VIEW
        for phase in range(2):
            if (phase == 0) != act_then_move:
                # Rule M: to a uniformly random empty cell within vision.
                if not (citizens_move if cit else cops_move):
                    continue
                src = pos[agent]
                row = src // width
                col = src - row * width
                dest = _draw_empty(
                    occupant, row, col, views, v, cells_in_view[v], width, height, rng, _MOVE_TRIES
                )
                if dest < 0:
                    dest = _choose_listed_empty(
                        occupant, row, col, views, v, cells_in_view[v], width, height, rng, buf
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
                    base = _wrap(row + views[v, 2, j], height) * width
                    first = _wrap(col + views[v, 3, j], width)
                    end = first + length
                    if end <= width:
                        for x in range(base + first, base + end):
                            seen += code[x]
                    else:
                        # The run crosses the torus edge: two contiguous pieces.
                        for x in range(base + first, base + width):
                            seen += code[x]
                        for x in range(base, base + _wrap(end, width)):
                            seen += code[x]
            if cit:
                # Rule A, with the shared arrest probability and rule.
                new = False
                if look:
                    actives = (seen >> 16) + 1
                    if count_self_twice and active[agent]:
                        actives += 1
                    prob = arrest_probability_one(
                        float(seen & _LOW), float(actives), k, arrest_rule
                    )
                    new = activates(grievance[agent], risk_aversion[agent], prob, threshold)
                if new != active[agent]:
                    code[cell] += _ACTIVE if new else -_ACTIVE
                    active[agent] = new
                jailed[agent] = False
            elif seen >= _ACTIVE:
                # Rule C: arrest a uniformly random active citizen in view,
                # the nth in the order of the scan above.
                nth = _below(rng, seen >> 16)
                target = -1
                for j in range(views.shape[2]):
                    length = views[v, 4, j]
                    if length == 0 or target >= 0:
                        break
                    base = _wrap(row + views[v, 2, j], height) * width
                    first = _wrap(col + views[v, 3, j], width)
                    for i in range(first, first + length):
                        x = base + _wrap(i, width)
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
                if cop_takes_cell and term > 0:
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
        _release(agents, lattice, rng, buf)


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
        n_citizens: Citizens (agents ``0..n_citizens-1``; the cops follow).
        n_cops: Cops on the lattice now (a cop schedule, ``n_cops=``, changes it).
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
            [(self._views[v, 0] >= 0).sum() for v in (_CITIZEN_VIEW, _COP_VIEW)], dtype=np.intp
        )
        if self._cells_in_view.max() >= _ACTIVE // 2:
            # C and A share one 32-bit integer (code): A << 16 must stay below 2**31.
            raise ParameterError("vision too large: at most 32,767 cells may be in view")
        self._rules = Rules(
            threshold=float(p.threshold),
            k=float(p.k),
            arrest_rule=ARREST_RULES.index(p.arrest_rule),
            jail_high=p.max_jail_term + 1 if p.jail_terms == "0..J" else p.max_jail_term,
            citizens_move=p.movement,
            cops_move=p.movement or p.cops_always_move,
            act_then_move=p.order == "act_then_move",
            cop_takes_cell=p.order == "move_then_act" and not p.jailed_hold_cell,
            count_self_twice=p.count_self_twice,
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
        # Built each step: cops come and go (``pos``) and legitimacy may
        # change (``grievance``).
        agents = Agents(
            self.n_citizens,
            self.pos,
            self.active_flag,
            self.jailed_flag,
            self.jail_term,
            self.grievance,
            self.risk_aversion,
        )
        lattice = Lattice(
            self.occupant, self.code, p.width, p.height, self._views, self._cells_in_view
        )
        _sequential_step(self.rng, agents, lattice, self._rules)
        self._record()

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
