"""The colours of the two sides of a comparison, shared by the classroom and the notebooks.

A student who meets an error in red and its remedy in green in the
classroom app should meet them in the same colours in the notebooks, so the
colours are named once, here. The module imports nothing, so the notebooks
can use it without loading the app's web framework.
"""

from __future__ import annotations

ERROR_COLOUR = "#c0392b"
"""The side that commits one of the six errors: red."""

REMEDY_COLOUR = "#1e8449"
"""The side that applies its remedy: green."""

FREE_COLOURS: tuple[str, str] = ("#0072b2", "#d55e00")
"""Two freely chosen regimes, neither an error nor a remedy: blue and orange."""
