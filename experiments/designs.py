"""Experimental designs: full factorial, Latin hypercube, Sobol (Saltelli) and Morris.

Bounds and kinds come from :data:`model.params.DECLARATIONS` (or from a
spec's factors, which were checked against them), never typed again: every
parameter is declared once (ODD.md section 2, World parameters), so a design
cannot drift from the model. Every design is returned as a DataFrame with
one row per design point and one column per factor, in model units and
kinds, ready to become a task's overrides.

How kinds are sampled:

* ``float``: uniform on ``[low, high]``.
* ``int``: the sampler draws ``u`` on ``[low, high + 1)`` and the value is
  ``floor(u)`` (``high`` at the very top), so every whole number in the range
  is equally likely, ends included. SALib sees the continuous ``u``, which is
  what variance-based indices need; the model sees a whole number.
* ``bool`` and ``choice``: only in factorial designs, as listed levels
  (a variance decomposition over unordered categories is not meaningful
  with these samplers; the spec loader rejects them as ranges).

A ``dummy`` factor that the model never reads is added to sensitivity
designs by default: its estimated index is pure estimation noise, so any
parameter whose index does not exceed the dummy's is indistinguishable from
having no effect (Khorashadi Zadeh et al. 2017).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from SALib.sample import morris as salib_morris
from SALib.sample import sobol as salib_sobol
from scipy.stats import qmc

from model.params import DECLARATIONS, ParameterError

DUMMY = "dummy"
"""Name of the noise-floor factor; never passed to the model."""


class DesignError(ValueError):
    """A design that cannot be built (one-line message naming the fix)."""


class FactorLike(Protocol):
    """What a design needs of a factor (``experiments.specs.Factor`` fits)."""

    @property
    def name(self) -> str:
        """Declared parameter or lever name."""
        ...

    @property
    def low(self) -> float | None:
        """Lower bound, or ``None`` for listed levels."""
        ...

    @property
    def high(self) -> float | None:
        """Upper bound, or ``None`` for listed levels."""
        ...

    @property
    def levels(self) -> tuple[Any, ...]:
        """Listed levels (factorial), possibly empty."""
        ...


@dataclass(frozen=True)
class Range:
    """A factor given by its bounds (a minimal :class:`FactorLike`)."""

    name: str
    low: float | None = None
    high: float | None = None
    levels: tuple[Any, ...] = ()


def declared_range(name: str) -> Range:
    """Return ``name``'s factor over its full declared range."""
    if name not in DECLARATIONS:
        raise DesignError(f"unknown parameter '{name}'; see the parameter table in ODD.md")
    d = DECLARATIONS[name]
    if d.kind not in ("float", "int"):
        raise DesignError(f"{name} is a {d.kind}; only numeric parameters have a range")
    return Range(name, d.low, d.high)


@dataclass(frozen=True)
class Problem:
    """The sampling problem: factor names, kinds and sampler bounds.

    Attributes:
        names: Factor names in column order (``dummy`` last if present).
        kinds: ``float`` or ``int`` per factor (the dummy is a float).
        lows: Declared lower bound per factor.
        highs: Declared upper bound per factor.
    """

    names: tuple[str, ...]
    kinds: tuple[str, ...]
    lows: tuple[float, ...]
    highs: tuple[float, ...]

    @property
    def sampler_bounds(self) -> list[list[float]]:
        """Bounds as the samplers see them (``[low, high + 1]`` for int factors)."""
        return [
            [lo, hi + 1.0] if kind == "int" else [lo, hi]
            for lo, hi, kind in zip(self.lows, self.highs, self.kinds, strict=True)
        ]

    def salib(self) -> dict[str, Any]:
        """The SALib problem dictionary."""
        return {
            "num_vars": len(self.names),
            "names": list(self.names),
            "bounds": self.sampler_bounds,
        }

    @property
    def model_factors(self) -> tuple[str, ...]:
        """Factor names the model reads (all but the dummy)."""
        return tuple(n for n in self.names if n != DUMMY)

    def to_points(self, samples: NDArray[np.float64]) -> pd.DataFrame:
        """Convert sampler output (one row per point) into model values.

        Integer factors are floored (see the module docs); the result has one
        column per factor, integer columns as ``int64``.
        """
        samples = np.asarray(samples, dtype=float)
        columns: dict[str, Any] = {}
        for j, (name, kind) in enumerate(zip(self.names, self.kinds, strict=True)):
            col = samples[:, j]
            if kind == "int":
                columns[name] = np.minimum(np.floor(col), self.highs[j]).astype(np.int64)
            else:
                columns[name] = col
        return pd.DataFrame(columns)


def make_problem(factors: Iterable[FactorLike | str], *, dummy: bool = True) -> Problem:
    """Build the sampling problem for numeric factors, plus a dummy by default.

    Args:
        factors: Spec factors with ``low``/``high``, or bare names (their
            declared range).
        dummy: Add the ``dummy`` factor on [0, 1] (the noise floor).

    Raises:
        DesignError: Unknown names, non-numeric kinds, empty or inverted ranges.
    """
    names: list[str] = []
    kinds: list[str] = []
    lows: list[float] = []
    highs: list[float] = []
    for item in factors:
        factor: FactorLike = declared_range(item) if isinstance(item, str) else item
        if factor.name not in DECLARATIONS:
            raise DesignError(f"unknown parameter '{factor.name}'; see ODD.md for valid names")
        if factor.name in names or factor.name == DUMMY:
            raise DesignError(f"factor '{factor.name}' appears twice; list each factor once")
        kind = DECLARATIONS[factor.name].kind
        if kind not in ("float", "int"):
            raise DesignError(f"{factor.name} is a {kind}; sample only numeric factors")
        declared = declared_range(factor.name)
        low = declared.low if factor.low is None else factor.low
        high = declared.high if factor.high is None else factor.high
        assert low is not None and high is not None
        if not low < high:
            raise DesignError(f"{factor.name}: low {low} must be below high {high}")
        names.append(factor.name)
        kinds.append(kind)
        lows.append(float(low))
        highs.append(float(high))
    if not names:
        raise DesignError("no factors to sample; list at least one")
    if dummy:
        names.append(DUMMY)
        kinds.append("float")
        lows.append(0.0)
        highs.append(1.0)
    return Problem(tuple(names), tuple(kinds), tuple(lows), tuple(highs))


# --------------------------------------------------------------------------- sweeps
def factorial(factors: Sequence[FactorLike]) -> pd.DataFrame:
    """Every combination of the factors' levels, the first factor varying slowest.

    Levels are checked against the declarations, so a factorial design can
    mix numbers, booleans and choices.
    """
    if not factors:
        raise DesignError("no factors; list at least one with its levels")
    level_lists: list[list[Any]] = []
    for f in factors:
        if not f.levels:
            raise DesignError(f"factor '{f.name}' has no levels; list them or give levels = N")
        try:
            level_lists.append([DECLARATIONS[f.name].check(v) for v in f.levels])
        except (KeyError, ParameterError) as exc:
            raise DesignError(f"factor '{f.name}': {exc}") from None
    rows = list(itertools.product(*level_lists))
    frame = pd.DataFrame(rows, columns=[f.name for f in factors])
    for f in factors:
        kind = DECLARATIONS[f.name].kind
        if kind == "int":
            frame[f.name] = frame[f.name].astype(np.int64)
        elif kind == "float":
            frame[f.name] = frame[f.name].astype(np.float64)
        elif kind == "bool":
            frame[f.name] = frame[f.name].astype(bool)
    return frame


def latin_hypercube(factors: Sequence[FactorLike], samples: int, seed: int) -> pd.DataFrame:
    """A Latin hypercube of ``samples`` points over the factors' ranges.

    Uses :class:`scipy.stats.qmc.LatinHypercube` seeded from ``seed``, so the
    design is part of what the root seed reproduces.
    """
    if samples < 1:
        raise DesignError(f"samples = {samples} must be at least 1")
    problem = make_problem(factors, dummy=False)
    unit = qmc.LatinHypercube(d=len(problem.names), rng=np.random.default_rng(seed)).random(samples)
    bounds = np.array(problem.sampler_bounds)
    scaled = qmc.scale(unit, bounds[:, 0], bounds[:, 1]) if len(unit) else unit
    return problem.to_points(scaled)


# --------------------------------------------------------------------------- sensitivity
def sobol_rows_per_base(problem: Problem, second_order: bool) -> int:
    """Rows of a Saltelli design per base sample: D + 2, or 2D + 2 with second order."""
    d = len(problem.names)
    return 2 * d + 2 if second_order else d + 2


def sobol(
    problem: Problem,
    base_samples: int,
    *,
    second_order: bool = False,
    seed: int = 0,
) -> NDArray[np.float64]:
    """Saltelli's extension of the Sobol sequence (SALib's ``sobol`` sampler).

    The rows of base sample ``i`` are contiguous (``A, AB_1..AB_D, [BA_1..BA_D],
    B``), so the first ``k * rows_per_base`` rows are themselves a valid design
    of base size ``k``: that is what the convergence check at N/2 uses.

    Returns:
        The raw sampler matrix (continuous; pass it through
        :meth:`Problem.to_points` for model values).

    Raises:
        DesignError: ``base_samples`` not a power of two.
    """
    if base_samples < 2 or base_samples & (base_samples - 1):
        lower = 1 << max(1, base_samples.bit_length() - 1)
        raise DesignError(
            f"base_samples = {base_samples} is not a power of two; use {lower} or {lower * 2}"
        )
    matrix = salib_sobol.sample(
        problem.salib(),
        base_samples,
        calc_second_order=second_order,
        scramble=True,
        seed=seed,
    )
    return np.asarray(matrix, dtype=float)


def morris(
    problem: Problem,
    trajectories: int,
    *,
    levels: int = 4,
    seed: int = 0,
) -> NDArray[np.float64]:
    """Morris elementary-effects trajectories (SALib's ``morris`` sampler).

    Returns ``trajectories * (D + 1)`` rows of the continuous sampler matrix.
    """
    if trajectories < 2:
        raise DesignError(f"trajectories = {trajectories} must be at least 2")
    if levels < 2:
        raise DesignError(f"levels = {levels} must be at least 2, e.g. 4")
    matrix = salib_morris.sample(problem.salib(), trajectories, num_levels=levels, seed=seed)
    return np.asarray(matrix, dtype=float)


def design_size(n_points: int, replicates: int) -> int:
    """Number of tasks (model runs) a design of ``n_points`` needs."""
    return int(n_points) * int(replicates)


def is_power_of_two(n: int) -> bool:
    """True for 1, 2, 4, 8, ..."""
    return n > 0 and not n & (n - 1) and math.log2(n).is_integer()
