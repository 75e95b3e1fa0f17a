"""Compile hot loops with numba, keeping their type hints for mypy.

Submodels are pure functions over arrays (ARCHITECTURE.md, principle 2).
Most are written as explicit loops compiled by numba: at 2,000 residents a
step is dominated by the fixed cost of many small numpy calls, and at a
million by memory traffic; one compiled pass over the residents fixes both.
Compiled code is cached on disk (``cache=True``), so only the first run on a
machine pays for compilation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numba


def jit[F: Callable[..., Any]](function: F) -> F:
    """``numba.njit(cache=True)`` that keeps the function's signature for mypy."""
    return cast(F, numba.njit(cache=True, nogil=True)(function))
