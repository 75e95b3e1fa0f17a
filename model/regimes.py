"""Named regimes and the six error/remedy pairs, as data.

A regime is a named setting of policy levers (ODD.md section 2) on top of
the :class:`~model.params.Levers` defaults. It sets levers only: it can never
touch the world parameters or an outcome, so every contrast between regimes
has to come out of the mechanisms.

Each of the six errors of Gong (2012) is a pair of regimes that differ only
in the levers its pair names, and no two pairs share a distinguishing lever
(one lever group per claim); ``tests/test_regimes.py`` proves both.
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
        claim: The claim of the article the pair tests, paraphrased.
    """

    number: int
    title: str
    error_regime: str
    remedy_regime: str
    levers: tuple[str, ...]
    expected: Mapping[str, int]
    claim: str = ""


def _registry(*regimes: Regime) -> Mapping[str, Regime]:
    return MappingProxyType({r.name: r for r in regimes})


_PAIR_5_BUDGET = {"livelihood_budget": 0.015}
_GRID_ON = {"grid_mode": "service"}

REGIMES: Mapping[str, Regime] = _registry(
    Regime(
        "baseline",
        "A neutral middle setting: petitions are accepted half the time, repression is "
        "moderate, cadre effort is split evenly between control and service, a few "
        "residents take part in livelihood decisions, organizations are sometimes "
        "approved, rights are half protected, and there is no grid management. The "
        "reference for the others.",
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
        "repression is rare. Answered claims also invite more claims.",
        {"tolerance": 0.9, "repression": 0.1},
    ),
    Regime(
        "veto_evaluation",
        "Error 1 grown from how cadres are judged: the regime's own settings are the "
        "baseline's, but cadres are judged by incidents and by petitions that reach above "
        "them (the 'one-vote veto'), so after each mark they shift to control and accept "
        "fewer petitions.",
        {"cadre_incentive": "stability_veto"},
    ),
    Regime(
        "satisfaction_evaluation",
        "The remedy to the evaluation variant of Error 1: the same settings, but cadres "
        "are judged by residents' trust, so when trust falls they shift to service and "
        "accept more petitions.",
        {"cadre_incentive": "satisfaction"},
    ),
    Regime(
        "government_alone",
        "One-sided government control (Error 2): cadres spend most of their effort on "
        "watching and intercepting, and the government runs every livelihood programme "
        "itself.",
        {"control_share": 0.8, "self_management": 0.0},
    ),
    Regime(
        "shared_governance",
        "The article's remedy for Error 2: cadres spend most effort on service, and "
        "neighbourhood committees run part of the livelihood budget themselves "
        "(residents' self-management), so government and society manage together.",
        {"control_share": 0.3, "self_management": 0.4},
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
        "government support (which adds capacity but also dependence and a cost).",
        {"org_openness": 0.8, "org_support": 0.3},
    ),
    Regime(
        "stability_over_rights",
        "Stressing stability and ignoring rights (Error 4): rights are poorly protected "
        "(little dialogue with protesters, little oversight of organizations, petitioners "
        "unprotected from retaliation) and all control effort waits for trouble.",
        {"rights": 0.1, "prevention": 0.0},
    ),
    Regime(
        "rights_protected",
        "The article's remedy for Error 4: rights are protected (dialogue, oversight, "
        "safety to petition) and part of the control effort goes to resolving quiet "
        "grievances at their source before they erupt.",
        {"rights": 0.9, "prevention": 0.4},
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
        "fine_siloed_grid",
        "Abused grid management (Error 6): cells of ten households, four agencies each "
        "running its own grid and records without sharing information, and collective "
        "responsibility; staff resolve the problems they find (service mode), as in the "
        "remedy.",
        {
            "grid_cell_households": 10,
            "grid_agencies": 4,
            "grid_info_sharing": False,
            "collective_responsibility": True,
            **_GRID_ON,
        },
    ),
    Regime(
        "service_grid",
        "The article's remedy for Error 6: coarse cells of 200 households (within the "
        "documented 160-255 per grid leader), one shared platform whose information "
        "reaches the agency that can act, and no collective responsibility.",
        {
            "grid_cell_households": 200,
            "grid_agencies": 1,
            "grid_info_sharing": True,
            "collective_responsibility": False,
            **_GRID_ON,
        },
    ),
    Regime(
        "grid_control",
        "Grid management used for control, not a pair: fine siloed cells with collective "
        "responsibility, whose staff make stability visits to aggrieved residents instead "
        "of resolving their problems.",
        {
            "grid_cell_households": 10,
            "grid_agencies": 4,
            "grid_info_sharing": False,
            "collective_responsibility": True,
            "grid_mode": "control",
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
            "Tolerating and answering appeals keeps discontent within bounds and trust "
            "high; obstructing and suppressing them stores discontent up (the safety valve).",
        ),
        2: ErrorPair(
            2,
            "One-sided emphasis on government control",
            "government_alone",
            "shared_governance",
            ("control_share", "self_management"),
            _TRUST_AND_GRIEVANCE,
            "Service instead of control, and residents' self-management beside the "
            "government, settle problems at their source better than control alone.",
        ),
        3: ErrorPair(
            3,
            "Unwillingness to develop social organizations",
            "closed_to_organizations",
            "open_to_organizations",
            ("org_openness", "org_support"),
            _TRUST_AND_GRIEVANCE,
            "Loosening entry and supporting social organizations lets society serve and "
            "settle its own conflicts.",
        ),
        4: ErrorPair(
            4,
            "Stressing stability, ignoring rights",
            "stability_over_rights",
            "rights_protected",
            ("rights", "prevention"),
            _TRUST_AND_GRIEVANCE,
            "Protecting rights (expression, oversight, dialogue) and preventing problems "
            "at their source is the basis of lasting stability.",
        ),
        5: ErrorPair(
            5,
            "Stressing livelihood, ignoring democracy",
            "topdown_livelihood",
            "participatory_livelihood",
            ("participation",),
            _TRUST_AND_GRIEVANCE,
            "Livelihood spending decided without the public does not abate discontent; "
            "with participation the same money meets need and is understood.",
        ),
        6: ErrorPair(
            6,
            "Abusing grid management",
            "fine_siloed_grid",
            "service_grid",
            (
                "grid_cell_households",
                "grid_agencies",
                "grid_info_sharing",
                "collective_responsibility",
            ),
            _TRUST_AND_GRIEVANCE,
            "Siloed agencies' duplicated grids waste resources and tiny cells with "
            "collective responsibility are formalistic or intrusive.",
        ),
    }
)
"""The article's errors by number: (error regime, remedy regime) pairs."""

VARIANT_PAIRS: Mapping[str, ErrorPair] = MappingProxyType(
    {
        "1b": ErrorPair(
            1,
            "A rigid stability-maintenance perspective, grown from cadre evaluation",
            "veto_evaluation",
            "satisfaction_evaluation",
            ("cadre_incentive",),
            _TRUST_AND_GRIEVANCE,
            "Judging cadres by the absence of incidents and of petitions above them makes "
            "them rigid; judging them by residents' trust makes them tolerant.",
        ),
    }
)
"""Variants of the article's pairs: the same claim through another lever group."""


def regime(name: str) -> Regime:
    """The regime called ``name``, or a one-line error naming the closest one."""
    try:
        return REGIMES[name]
    except KeyError:
        raise ParameterError(
            f"unknown regime '{name}'{_closest(name, REGIMES)}; choose one of {', '.join(REGIMES)}"
        ) from None
