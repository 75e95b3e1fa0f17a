"""Named regimes and the six error/remedy pairs, as data.

A regime is a named setting of policy levers (MODEL.md section 6) on top of
the :class:`~model.params.Levers` defaults. It sets levers only: it can never
touch the world parameters or an outcome, so every contrast between regimes
has to come out of the mechanisms.

Each of the six errors of Gong (2012) is a pair of regimes that differ only
in the levers its row of MODEL.md section 6 names; ``tests/test_regimes.py``
proves it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from model.params import LEVER_NAMES, Levers, ParameterError, _closest


@dataclass(frozen=True)
class Regime:
    """A named setting of the policy levers.

    Attributes:
        name: Identifier used on the command line and in result tables.
        description: One paragraph for analysts and teachers.
        levers: The levers this regime sets; the rest keep their defaults.
    """

    name: str
    description: str
    levers: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for lever in self.levers:
            if lever not in LEVER_NAMES:
                raise ParameterError(
                    f"regime '{self.name}' sets unknown lever '{lever}'"
                    f"{_closest(lever, LEVER_NAMES)}"
                )
        object.__setattr__(self, "levers", MappingProxyType(dict(self.levers)))

    def resolve(self, **overrides: Any) -> Levers:
        """The complete, validated lever settings of this regime."""
        return replace(Levers(), **(dict(self.levers) | overrides))


@dataclass(frozen=True)
class ErrorPair:
    """One of the article's six errors and its remedy, as two regimes.

    Attributes:
        number: 1 to 6, in the article's order.
        title: The error's name, paraphrasing the article.
        error_regime: Name of the regime that commits the error.
        remedy_regime: Name of the regime that applies the remedy.
        levers: The only levers in which the two regimes differ.
        expected: The article's claim, as outcome -> sign of (remedy - error).
    """

    number: int
    title: str
    error_regime: str
    remedy_regime: str
    levers: tuple[str, ...]
    expected: Mapping[str, int]

    def __iter__(self) -> Any:
        """Unpack as ``error_regime, remedy_regime``."""
        return iter((self.error_regime, self.remedy_regime))


def _registry(*regimes: Regime) -> Mapping[str, Regime]:
    return MappingProxyType({r.name: r for r in regimes})


REGIMES: Mapping[str, Regime] = _registry(
    Regime(
        "baseline",
        "A neutral middle setting: petitions are accepted half the time, repression is "
        "moderate and cadre effort is split evenly between control and service. The "
        "reference against which the other regimes are read.",
        {},
    ),
    Regime(
        "rigid_suppression",
        "The rigid stability perspective the article warns against (Error 1): almost no "
        "tolerance of petitions and ready repression of petitioners and protesters, in "
        "the hope of a society without any visible 'noise'.",
        {"tolerance": 0.1, "repression": 0.8},
    ),
    Regime(
        "safety_valve",
        "The article's remedy for Error 1: petitions are tolerated and answered, so "
        "discontent is released through the channel instead of being bottled up; "
        "repression is rare.",
        {"tolerance": 0.9, "repression": 0.1},
    ),
)
"""Every named regime, by name."""


ERRORS: Mapping[int, ErrorPair] = MappingProxyType(
    {
        1: ErrorPair(
            1,
            "A rigid stability-maintenance perspective",
            "rigid_suppression",
            "safety_valve",
            ("tolerance", "repression"),
            {"mean_legitimacy": +1, "mean_grievance": -1},
        ),
    }
)
"""The article's errors by number: (error regime, remedy regime) pairs."""


def regime(name: str) -> Regime:
    """The regime called ``name``, or a one-line error naming the closest one."""
    try:
        return REGIMES[name]
    except KeyError:
        raise ParameterError(
            f"unknown regime '{name}'{_closest(name, REGIMES)}; choose one of {', '.join(REGIMES)}"
        ) from None
