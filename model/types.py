"""Array type aliases used across the model (numpy typing, for mypy)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.floating[Any]]
IntArray = NDArray[np.integer[Any]]
BoolArray = NDArray[np.bool_]


def per_resident(value: Any, size: int, dtype: Any = np.float64) -> NDArray[Any]:
    """``value`` as a contiguous array of one entry per resident.

    Submodels accept either one value for everyone or one per resident; the
    compiled loops need the second. Arrays that already fit pass through
    without a copy (this runs every step).
    """
    if isinstance(value, np.ndarray) and value.shape == (size,) and value.dtype == dtype:
        return np.ascontiguousarray(value)
    return np.ascontiguousarray(np.broadcast_to(np.asarray(value, dtype=dtype), (size,)))
