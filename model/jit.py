"""Compile hot loops with numba, keeping their type hints for mypy.

Every process of the model is an explicit loop compiled by numba: at 2,000
residents a step would otherwise be dominated by the fixed cost of many
small numpy calls, and at a million by memory traffic.

Compiled code is cached on disk, so only the first run on a machine pays for
compilation. Numba invalidates a cached function when its own file changes,
but not when a compiled function it calls (in another file) changes; stale
machine code can then crash the interpreter. So the cache lives in a folder
named after a fingerprint of the whole ``model`` package's source: any edit
gives a fresh folder (one recompilation), and a clean checkout never meets
a stale cache. This module and numba's cache are the only places where
``model`` touches files.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numba
import numpy as np
from numba._dispatcher import compute_fingerprint

PACKAGE = Path(__file__).resolve().parent


def source_fingerprint() -> str:
    """A short hash of every Python source file of the ``model`` package."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_folder() -> Path:
    """Where compiled code is cached: ``$SIXERRORS_CACHE``, else ``~/.cache/sixerrors``.

    Without a home folder (some batch systems) the system's temporary
    folder is used; caching is a speed-up, never a requirement.
    """
    root = os.environ.get("SIXERRORS_CACHE")
    if root is None:
        try:
            root = str(Path.home() / ".cache" / "sixerrors")
        except RuntimeError:
            root = str(Path(tempfile.gettempdir()) / "sixerrors-cache")
    return Path(root) / "numba" / source_fingerprint()


if "NUMBA_CACHE_DIR" not in os.environ:  # an explicit choice of the user wins
    numba.config.CACHE_DIR = str(cache_folder())  # type: ignore[attr-defined]

# Idle OpenMP threads (numba's usual threading layer) sleep rather than spin
# between the phases of a step. Spinning threads take a core from the serial
# processes between the phases and from any other program; on a busy 2-core
# machine each phase then waited milliseconds for its threads (a million
# residents ran a third slower). Read when the threads start, at the first
# parallel phase; an explicit choice of the user wins.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

# The coefficients record (one field per declared parameter) is a tuple that
# parallel loops receive unpacked; numba refuses tuples above 100 fields there.
_LARGEST_TUPLE = numba.config.PARFOR_MAX_TUPLE_SIZE  # type: ignore[attr-defined]
numba.config.PARFOR_MAX_TUPLE_SIZE = max(_LARGEST_TUPLE, 400)  # type: ignore[attr-defined]


def jit[F: Callable[..., Any]](function: F) -> F:
    """``numba.njit(cache=True)`` that keeps the function's signature for mypy."""
    return cast(F, numba.njit(cache=True, nogil=True)(function))


def inline_jit[F: Callable[..., Any]](function: F) -> F:
    """Like :func:`jit`, and inlined into compiled callers.

    For the small rules that compiled loops call once per resident with
    whole arrays as arguments: an ordinary call passes each array with an
    atomic reference count and cannot be optimised with the loop around it,
    which costs more than the rule itself.

    Inlining removes those counts only when the rule reads every array of a
    record it takes before its first branch (``if``, ``and``, ``or``, a
    conditional expression): numba holds a reference to each array of the
    record until the last read, and cannot drop the pair across a branch.
    ``stance_now`` (:mod:`model.submodels.stance`) shows the pattern.
    """
    return cast(F, numba.njit(cache=True, nogil=True, inline="always")(function))


PARALLEL_FROM = 50_000
"""Residents from which :func:`parallel_jit` functions run on all cores."""


def runs_parallel(n: int) -> bool:
    """Whether work over ``n`` residents runs on all cores (see :data:`PARALLEL_FROM`)."""
    return n >= PARALLEL_FROM


def residents_in(first_argument: Any) -> int:
    """How many residents a pass works on, from its first argument.

    A record of resident arrays (:class:`~model.population.Residents`)
    says so itself; an array has one row per resident.
    """
    if isinstance(first_argument, tuple):
        return int(first_argument.size)  # type: ignore[attr-defined]
    return len(first_argument)


def parallel_jit[F: Callable[..., Any]](function: F) -> F:
    """Like :func:`jit`, with ``numba.prange`` loops spread over the cores.

    For the few passes that touch every resident and dominate at a million
    residents. Starting threads costs more than a whole pass over a few
    thousand residents, so the function is compiled twice, serial and
    parallel, and each call picks by the residents in its first argument
    (:func:`residents_in`).
    Worker processes of a sweep run one thread each (``experiments.runner``),
    so parallel sweeps do not oversubscribe.
    """
    serial = numba.njit(cache=True, nogil=True)(function)
    # A twin with its own name, so that the two compiled versions have
    # separate cache files.
    twin = types.FunctionType(
        function.__code__,
        function.__globals__,
        function.__name__ + "_parallel",
        function.__defaults__,
        function.__closure__,
    )
    twin.__qualname__ = function.__qualname__ + "_parallel"
    twin.__module__ = function.__module__
    parallel = numba.njit(cache=True, nogil=True, parallel=True)(twin)

    @functools.wraps(function)
    def by_size(*args: Any) -> Any:
        return (parallel if runs_parallel(residents_in(args[0])) else serial)(*args)

    by_size.serial = serial  # type: ignore[attr-defined]
    return cast(F, by_size)


def composition[F: Callable[..., Any]](function: F) -> F:
    """A function that calls :func:`parallel_jit` passes in turn, compiled whole when small.

    Below :data:`PARALLEL_FROM` residents (:func:`residents_in` the first
    argument) the function runs as one compiled call, in which the passes'
    serial versions replace them (compiled code cannot call the Python
    wrapper that picks a version by size): at a few thousand residents,
    calling the passes one by one from Python costs more than some of them.
    Above, it runs as written, in Python, each pass on all cores. Same code,
    same order, same results (tested). The compiled twin's names are looked
    up at the first call, so a composition may call passes defined after it.

    The compiled call skips numba's choice of a compiled version once it has
    been made for arguments of the same types (:func:`argument_types`):
    numba's own choice spells out the name of every field of every record,
    which cost a tenth of a step at 2,000 residents.
    """
    names: dict[str, Any] = {}
    entries: dict[tuple[Any, ...], Callable[..., Any]] = {}
    twin = types.FunctionType(
        function.__code__,
        names,
        function.__name__ + "_compiled",
        function.__defaults__,
        function.__closure__,
    )
    twin.__qualname__ = function.__qualname__ + "_compiled"
    twin.__module__ = function.__module__
    compiled = numba.njit(cache=True, nogil=True)(twin)

    @functools.wraps(function)
    def by_size(*args: Any) -> Any:
        if runs_parallel(residents_in(args[0])):
            return function(*args)
        if not names:
            names.update(function.__globals__)
            for name, value in function.__globals__.items():
                if hasattr(value, "serial"):
                    names[name] = value.serial
        types_now = argument_types(args)
        entry = entries.get(types_now) if types_now is not None else None
        if entry is not None:
            return entry(*args)
        result = compiled(*args)
        overloads = getattr(compiled, "overloads", None)  # None when numba is disabled
        if types_now is not None and overloads is not None:
            chosen = overloads.get(tuple(compiled.typeof_pyval(a) for a in args))
            if chosen is not None:
                entries[types_now] = chosen.entry_point
        return result

    return cast(F, by_size)


def argument_types(args: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """What decides which compiled version of a function takes ``args``, cheaply.

    The class of each argument, and numba's fingerprint of the arguments
    with every record as a plain tuple (the fingerprint of a named tuple
    spells out its field names, which costs more than the call it serves).
    Records of arrays and numbers only; ``None`` for anything numba cannot
    fingerprint, which then goes through numba's own dispatch.
    """
    try:
        plain = tuple(tuple(a) if isinstance(a, tuple) else a for a in args)
        return tuple(map(type, args)), compute_fingerprint(plain)
    except NotImplementedError:
        return None


prange = numba.prange
"""Parallel range for :func:`parallel_jit` functions (a plain range elsewhere)."""


@inline_jit
def unsigned(index: int) -> int:
    """An index as an unsigned integer, in compiled loops.

    Numba lets a negative index count from the end, so every read with a
    signed index carries a check; indices that cannot be negative skip it
    when they are unsigned (a quarter to a third of some passes at 2,000
    residents). Results do not change. Arithmetic on the result must stay
    unsigned: ``unsigned(i) + 1`` is a float in Numba, so write
    ``unsigned(i + 1)``.
    """
    return np.uint64(index)  # type: ignore[return-value]
