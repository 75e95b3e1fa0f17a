"""Named regimes and the six error/remedy pairs, as data.

A regime is a named setting of policy levers (ODD.md section 2) on top of
the :class:`~model.params.Levers` defaults. It sets levers only: it can never
touch the world parameters or an outcome, so every contrast between regimes
has to come out of the mechanisms.

Each of the six errors of Gong (2012) is a pair of regimes that differ only
in the levers its pair names; ``tests/test_regimes.py``
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


_PAIR_4_GRID = {"grid_cell_households": 100}
_PAIR_5_BUDGET = {"livelihood_budget": 0.015}

REGIMES: Mapping[str, Regime] = _registry(
    Regime(
        "baseline",
        "A neutral middle setting: petitions are accepted half the time, repression is "
        "moderate, cadre effort is split evenly between control and service, a few "
        "residents take part in livelihood decisions, organizations are sometimes "
        "approved, and there is no grid management. The reference for the others.",
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
    Regime(
        "government_alone",
        "One-sided government control (Error 2): cadres spend most of their effort on "
        "watching and intercepting, residents have no say in livelihood decisions and "
        "social organizations are rarely allowed to form.",
        {"control_share": 0.8, "org_openness": 0.05, "participation": 0.0},
    ),
    Regime(
        "shared_governance",
        "The article's remedy for Error 2: cadres spend most effort on service, residents "
        "take part in livelihood decisions and social organizations are welcome, so "
        "government and society manage together.",
        {"control_share": 0.3, "org_openness": 0.8, "participation": 0.6},
    ),
    Regime(
        "closed_to_organizations",
        "Unwillingness to develop social organizations (Error 3): applications to found "
        "one are almost always refused and those that exist get no support.",
        {"org_openness": 0.05, "org_support": 0.0},
    ),
    Regime(
        "open_to_organizations",
        "The article's remedy for Error 3: entry is loosened and organizations get some "
        "government support (which adds capacity but also dependence).",
        {"org_openness": 0.8, "org_support": 0.3},
    ),
    Regime(
        "stability_over_rights",
        "Stressing stability and ignoring rights (Error 4): rights are poorly protected "
        "(little dialogue with protesters, little oversight of organizations) and the "
        "grid of 100-household cells is used for control visits.",
        {"rights": 0.1, "grid_mode": "control", **_PAIR_4_GRID},
    ),
    Regime(
        "rights_protected",
        "The article's remedy for Error 4: rights are protected, so protesters are "
        "answered through dialogue and organizations are overseen, and the same grid "
        "is used to find and resolve problems at their source.",
        {"rights": 0.9, "grid_mode": "service", **_PAIR_4_GRID},
    ),
    Regime(
        "topdown_livelihood",
        "Stressing livelihood and ignoring democracy (Error 5): a large livelihood budget "
        "spent on the planner's picture of need, with no participation.",
        {"participation": 0.0, **_PAIR_5_BUDGET},
    ),
    Regime(
        "participatory_livelihood",
        "The article's remedy for Error 5: the same large budget, allocated with "
        "residents taking part in deciding where it goes.",
        {"participation": 0.6, **_PAIR_5_BUDGET},
    ),
    Regime(
        "grid_control",
        "Abused grid management (Error 6): cells of ten households, four agencies each "
        "running its own grid without sharing information, collective responsibility, "
        "and staff who make stability visits rather than solve problems.",
        {
            "grid_cell_households": 10,
            "grid_agencies": 4,
            "grid_info_sharing": False,
            "grid_mode": "control",
            "collective_responsibility": True,
        },
    ),
    Regime(
        "service_grid",
        "The article's remedy for Error 6: coarse cells of 200 households, one shared "
        "platform whose information reaches the agency that can act, no collective "
        "responsibility, and staff who resolve problems.",
        {
            "grid_cell_households": 200,
            "grid_agencies": 1,
            "grid_info_sharing": True,
            "grid_mode": "service",
            "collective_responsibility": False,
        },
    ),
)
"""Every named regime, by name."""

_TRUST_AND_GRIEVANCE = {"mean_legitimacy": +1, "mean_grievance": -1}

ERRORS: Mapping[int, ErrorPair] = MappingProxyType(
    {
        1: ErrorPair(
            1,
            "A rigid stability-maintenance perspective",
            "rigid_suppression",
            "safety_valve",
            ("tolerance", "repression"),
            _TRUST_AND_GRIEVANCE,
        ),
        2: ErrorPair(
            2,
            "One-sided emphasis on government control",
            "government_alone",
            "shared_governance",
            ("control_share", "org_openness", "participation"),
            _TRUST_AND_GRIEVANCE,
        ),
        3: ErrorPair(
            3,
            "Unwillingness to develop social organizations",
            "closed_to_organizations",
            "open_to_organizations",
            ("org_openness", "org_support"),
            _TRUST_AND_GRIEVANCE,
        ),
        4: ErrorPair(
            4,
            "Stressing stability, ignoring rights",
            "stability_over_rights",
            "rights_protected",
            ("rights", "grid_mode"),
            _TRUST_AND_GRIEVANCE,
        ),
        5: ErrorPair(
            5,
            "Stressing livelihood, ignoring democracy",
            "topdown_livelihood",
            "participatory_livelihood",
            ("participation",),
            _TRUST_AND_GRIEVANCE,
        ),
        6: ErrorPair(
            6,
            "Abusing grid management",
            "grid_control",
            "service_grid",
            (
                "grid_cell_households",
                "grid_agencies",
                "grid_info_sharing",
                "grid_mode",
                "collective_responsibility",
            ),
            _TRUST_AND_GRIEVANCE,
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
