"""The pattern battery behind ``sixerrors validate`` (pattern-oriented modelling).

:mod:`~experiments.validation.registry` defines what a check is and how one
is registered; :mod:`~experiments.validation.battery` runs checks into a
results folder; each theme module (``cascades``, ...) holds the checks of
one pattern. docs/validation.md describes them all.
"""
