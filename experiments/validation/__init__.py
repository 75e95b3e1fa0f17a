"""The pattern battery behind ``sixerrors validate`` (pattern-oriented modelling).

:mod:`~experiments.validation.registry` defines what a check is and how one
is registered; :mod:`~experiments.validation.battery` runs checks into a
results folder; each theme module (``cascades``, ...) holds the checks of
one pattern, and ``controls`` the negative controls of the incident and
petition patterns. :mod:`~experiments.validation.document` writes
docs/validation.md from a battery's results folder.
"""
