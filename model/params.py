"""Every parameter and policy lever of the model, declared once.

Each field of :class:`Params` (the world: uncertainties a researcher sweeps)
and :class:`Levers` (the policy: what a regime sets) carries its default,
bounds, unit, group and meaning in one place. The model constructor, the
scenario-file validation, the SALib problem, the classroom sliders and the
parameter tables of ``ODD.md`` are all derived from these declarations
so none of them can drift from the others (Mesa's own Epstein example drifted:
its model and its app disagree on defaults).
"""

from __future__ import annotations

import difflib
import math
from collections import namedtuple
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal

Kind = Literal["float", "int", "bool", "choice"]


class ParameterError(ValueError):
    """A parameter name or value that the model cannot accept.

    The message is one line that names the problem and the fix, so command
    line tools can print it as it is.
    """


@dataclass(frozen=True)
class Declaration:
    """What is known about one parameter or lever.

    Attributes:
        name: The name used in code, ``ODD.md``, result columns and SALib.
        default: The value used when nothing else is said.
        low: Smallest allowed value (numeric kinds), else ``None``.
        high: Largest allowed value (numeric kinds), else ``None``.
        unit: Unit of measure, or a short description of the scale.
        meaning: One line that says what it means in the model.
        group: The submodel or part of the model it belongs to.
        kind: ``float``, ``int``, ``bool`` or ``choice``.
        choices: The allowed values of a ``choice``.
        is_lever: True for a policy lever (set by regimes), False for the world.
        plausible: The range a researcher should treat as plausible for the
            world (what scenario discovery and the shipped sensitivity specs
            sample), inside ``low``..``high``; ``None`` for switches and
            choices. Where no range is declared it is half to twice the
            default, within the bounds: a stated default width, not evidence.
    """

    name: str
    default: Any
    low: float | None
    high: float | None
    unit: str
    meaning: str
    group: str
    kind: Kind
    choices: tuple[str, ...] = ()
    is_lever: bool = False
    plausible: tuple[float, float] | None = None

    def check(self, value: Any) -> Any:
        """Return ``value`` converted to this parameter's kind, or raise.

        Integral floats are accepted for integer parameters (samplers produce
        floats); anything else that does not fit raises a one-line
        :class:`ParameterError` that states the allowed range.
        """
        if self.kind == "choice":
            if value not in self.choices:
                hint = _closest(str(value), self.choices)
                raise ParameterError(
                    f"{self.name}={value!r} is not allowed; choose one of "
                    f"{', '.join(self.choices)}{hint}"
                )
            return value
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, int | float) and value in (0, 1):
                return bool(value)
            if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
                return value.lower() in ("true", "1")
            raise ParameterError(f"{self.name}={value!r} must be true or false")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParameterError(
                f"{self.name}={value!r} must be a number between {self.low:g} and {self.high:g}"
            )
        if self.kind == "int":
            if not float(value).is_integer():
                raise ParameterError(
                    f"{self.name}={value!r} must be a whole number between "
                    f"{self.low:g} and {self.high:g}"
                )
            value = int(value)
        else:
            value = float(value)
        assert self.low is not None and self.high is not None
        if math.isnan(value) or not self.low <= value <= self.high:
            raise ParameterError(
                f"{self.name}={value!r} is out of range; use a value between "
                f"{self.low:g} and {self.high:g} ({self.unit})"
            )
        return value


def _declare(
    default: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    unit: str,
    meaning: str,
    group: str,
    choices: tuple[str, ...] = (),
    plausible: tuple[float, float] | None = None,
) -> Any:
    """Declare a dataclass field with its metadata (the single declaration)."""
    kind: Kind
    if choices:
        kind = "choice"
    elif isinstance(default, bool):
        kind = "bool"
    elif isinstance(default, int):
        kind = "int"
    else:
        kind = "float"
    meta = {
        "low": low,
        "high": high,
        "unit": unit,
        "meaning": meaning,
        "group": group,
        "kind": kind,
        "choices": choices,
        "plausible": _plausible(default, low, high, kind, plausible),
    }
    return field(default=default, metadata=meta)


def _plausible(
    default: Any,
    low: float | None,
    high: float | None,
    kind: Kind,
    declared: tuple[float, float] | None,
) -> tuple[float, float] | None:
    """The declared plausible range, or half to twice the default within the bounds."""
    if kind in ("bool", "choice"):
        return None
    assert low is not None and high is not None
    if declared is not None:
        if not low <= declared[0] <= declared[1] <= high:
            raise ValueError(f"plausible range {declared} must lie within {low}..{high}")
        return (float(declared[0]), float(declared[1]))
    if default == 0:
        return (float(low), float(low))
    return (max(float(low), default / 2.0), min(float(high), default * 2.0))


def _validate(instance: Any) -> None:
    for f in fields(instance):
        declaration = _declaration_of(f, is_lever=isinstance(instance, Levers))
        object.__setattr__(instance, f.name, declaration.check(getattr(instance, f.name)))


NETWORK_KINDS = ("spatial_small_world", "watts_strogatz", "barabasi_albert", "erdos_renyi")
ARREST_RULES = ("literal", "floor", "round")
GRIEVANCE_MODES = ("stock", "epstein")
GRID_MODES = ("service", "control")
CADRE_INCENTIVES = ("fixed", "stability_veto", "satisfaction")


@dataclass(frozen=True)
class Params:
    """The world: population, network, behaviour and response rules.

    These are the model's uncertainties (in the EMA Workbench sense): no
    regime sets them, researchers sweep them. Defaults are illustrative, not
    calibrated (ODD.md, Initialization and input data).
    """

    # --- population and space (ODD.md section 2)
    n_residents: int = _declare(
        2000,
        1,
        10_000_000,
        unit="households",
        group="population",
        meaning="Number of residents (households) in the city.",
    )
    n_districts: int = _declare(
        16,
        1,
        10_000,
        unit="districts",
        group="population",
        meaning="Districts tiling the city; each is served by its own cadres.",
    )
    initial_legitimacy: float = _declare(
        0.6,
        0.0,
        1.0,
        unit="share",
        group="population",
        meaning="Mean initial trust in government (Epstein's L).",
    )
    legitimacy_spread: float = _declare(
        0.15,
        0.0,
        0.5,
        unit="share",
        group="population",
        meaning="Standard deviation of initial trust across residents (clipped to [0, 1]).",
    )
    initial_need: float = _declare(
        0.3,
        0.0,
        0.5,
        unit="share",
        group="population",
        meaning="Mean initial unmet need; each resident's level is U(0, 2 x this).",
    )
    need_weight_concentration: float = _declare(
        2.0,
        0.05,
        1000.0,
        unit="Dirichlet alpha",
        group="population",
        meaning="How closely residents' domain weights follow the city's shared priorities.",
    )
    # --- social network
    network: str = _declare(
        "spatial_small_world",
        unit="kind",
        group="network",
        choices=NETWORK_KINDS,
        meaning="Generator of the social network among residents.",
    )
    mean_degree: int = _declare(
        10,
        2,
        200,
        unit="ties",
        group="network",
        meaning="Mean number of ties per resident.",
    )
    long_range_share: float = _declare(
        0.05,
        0.0,
        1.0,
        unit="share",
        group="network",
        meaning="Share of ties rewired to random residents (small world, Watts-Strogatz).",
    )
    # --- cadres
    cadres_per_1000: float = _declare(
        16.0,
        0.0,
        1000.0,
        unit="cadres per 1,000 residents",
        group="cadres",
        meaning="Cadres per 1,000 residents; each district gets its share, rounded.",
    )
    cadre_capacity: float = _declare(
        4.0,
        0.0,
        10_000.0,
        unit="residents/step",
        group="cadres",
        meaning="Residents one cadre can handle per step, split between control and service.",
    )
    adapt_rate: float = _declare(
        0.05,
        0.0,
        1.0,
        unit="share/step",
        group="cadres",
        meaning="How fast a cadre shifts its control share and tolerance under an incentive.",
    )
    # --- grievance (ODD.md, Submodels: grievance)
    grievance_mode: str = _declare(
        "stock",
        unit="kind",
        group="grievance",
        choices=GRIEVANCE_MODES,
        meaning="'stock': grievance accumulates and decays; 'epstein': G = hardship x (1 - L).",
    )
    inflow_rate: float = _declare(
        0.1,
        0.0,
        1.0,
        unit="1/step",
        group="grievance",
        meaning="Rate at which hardship and distrust turn into grievance.",
    )
    grievance_decay: float = _declare(
        0.05,
        0.0,
        1.0,
        unit="1/step",
        group="grievance",
        meaning="Share of grievance that fades each step without any response.",
    )
    # --- stance (Epstein's rule on the network)
    arrest_k: float = _declare(
        2.3,
        0.0,
        100.0,
        unit="-",
        group="stance",
        meaning="Epstein's k in P = 1 - exp(-k r(C/A)); 2.3 gives P = 0.9 at C = A = 1.",
    )
    arrest_rule: str = _declare(
        "literal",
        unit="kind",
        group="stance",
        choices=ARREST_RULES,
        meaning="Rounding r of C/A: literal (paper), floor (NetLogo), round (Mesa).",
    )
    protest_threshold: float = _declare(
        0.3,
        0.0,
        1.0,
        unit="grievance",
        group="stance",
        meaning="Epstein's T: net grievance above which a resident protests.",
    )
    petition_threshold: float = _declare(
        0.2,
        0.0,
        1.0,
        unit="grievance",
        group="stance",
        meaning="Grievance above which a resident who trusts the channel petitions.",
    )
    petition_trust: float = _declare(
        0.3,
        0.0,
        1.0,
        unit="legitimacy",
        group="stance",
        meaning="Least trust needed to petition: petitioning is itself an expression of trust.",
    )
    control_visibility: float = _declare(
        100.0,
        0.0,
        100_000.0,
        unit="residents",
        group="stance",
        meaning="Residents one keeps an eye on; scales control in view (Epstein's vision).",
    )
    contagion: float = _declare(
        0.1,
        0.0,
        1.0,
        unit="grievance",
        group="stance",
        meaning="Fall of the protest threshold when all neighbours protest (threshold contagion).",
    )
    rebuff_memory: int = _declare(
        8,
        0,
        520,
        unit="steps",
        group="stance",
        meaning="Steps a resident whose petition was intercepted stays away from the channel.",
    )
    # --- petitions
    release: float = _declare(
        0.5,
        0.0,
        1.0,
        unit="share",
        group="petitions",
        meaning="Share of grievance released when a petition or protest is answered.",
    )
    resolution: float = _declare(
        0.5,
        0.0,
        1.0,
        unit="probability",
        group="petitions",
        meaning="Chance that an answered petition resolves the resident's worst need.",
    )
    # --- protests
    max_detention: int = _declare(
        8,
        1,
        520,
        unit="steps",
        group="protests",
        meaning="Longest detention; terms are uniform on 1..max_detention steps.",
    )
    incident_min_size: int = _declare(
        5,
        1,
        1_000_000,
        unit="residents",
        group="protests",
        meaning="Smallest connected group of protesting neighbours counted as a mass incident.",
    )
    # --- injustice: the grievance inflow that responses cause
    injustice_unanswered: float = _declare(
        0.005,
        0.0,
        1.0,
        unit="grievance",
        group="injustice",
        meaning="Injustice of a petition left unanswered for lack of capacity.",
    )
    injustice_intercepted: float = _declare(
        0.15,
        0.0,
        1.0,
        unit="grievance",
        group="injustice",
        meaning="Injustice of having one's petition intercepted.",
    )
    injustice_detained: float = _declare(
        0.25,
        0.0,
        1.0,
        unit="grievance",
        group="injustice",
        meaning="Injustice of being detained.",
    )
    injustice_backlash: float = _declare(
        0.02,
        0.0,
        1.0,
        unit="grievance",
        group="injustice",
        meaning="Injustice felt per network neighbour arrested or intercepted.",
    )
    # --- legitimacy
    social_influence: float = _declare(
        0.05,
        0.0,
        1.0,
        unit="1/step",
        group="legitimacy",
        meaning="Pull of a resident's trust toward its neighbours' mean trust.",
    )
    trust_answered: float = _declare(
        0.05,
        0.0,
        1.0,
        unit="legitimacy",
        group="legitimacy",
        meaning="Trust gained when one's petition or protest is answered.",
    )
    trust_intercepted: float = _declare(
        0.05,
        0.0,
        1.0,
        unit="legitimacy",
        group="legitimacy",
        meaning="Trust lost when one's petition is intercepted.",
    )
    trust_detained: float = _declare(
        0.15,
        0.0,
        1.0,
        unit="legitimacy",
        group="legitimacy",
        meaning="Trust lost when one is detained.",
    )
    trust_backlash: float = _declare(
        0.005,
        0.0,
        1.0,
        unit="legitimacy",
        group="legitimacy",
        meaning="Trust lost per network neighbour arrested or intercepted.",
    )
    performance_gap_rate: float = _declare(
        0.01,
        0.0,
        1.0,
        unit="legitimacy/step",
        group="legitimacy",
        meaning="Trust lost per step per unit of hardship above the reference.",
    )
    hardship_reference: float = _declare(
        0.3,
        0.0,
        1.0,
        unit="hardship",
        group="legitimacy",
        meaning="Hardship residents accept without blaming the government.",
    )
    legitimacy_recovery: float = _declare(
        0.01,
        0.0,
        1.0,
        unit="1/step",
        group="legitimacy",
        meaning="Pull of trust back toward the resident's initial disposition (memories fade).",
    )

    trust_participation: float = _declare(
        0.002,
        0.0,
        1.0,
        unit="legitimacy",
        group="legitimacy",
        meaning="Trust gained per step in livelihood decisions (procedural justice).",
    )
    # --- livelihood (ODD.md, Submodels: livelihood)
    shock_rate: float = _declare(
        0.015,
        0.0,
        1.0,
        unit="1/step",
        group="livelihood",
        meaning="Expected shocks per resident and domain per step.",
    )
    shock_size: float = _declare(
        0.3,
        0.0,
        1.0,
        unit="need",
        group="livelihood",
        meaning="Largest rise in need from one shock; shocks are U(0, this).",
    )
    planner_bias: float = _declare(
        0.5,
        0.0,
        3.0,
        unit="log-sd",
        group="livelihood",
        meaning="Spread of the planner's per-run log-normal error on each domain's need.",
    )
    # --- social organizations
    org_founding_grievance: float = _declare(
        0.2,
        0.0,
        1.0,
        unit="grievance",
        group="organizations",
        meaning="Grievance above which residents outside any organization may found one.",
    )
    org_founding_rate: float = _declare(
        0.002,
        0.0,
        1.0,
        unit="1/step",
        group="organizations",
        meaning="Chance per step that an aggrieved non-member applies to found an organization.",
    )
    org_capacity: float = _declare(
        30.0,
        1.0,
        1_000_000.0,
        unit="members",
        group="organizations",
        meaning="Members an organization can serve without government support.",
    )
    org_recruit_rate: float = _declare(
        0.05,
        0.0,
        1.0,
        unit="1/step",
        group="organizations",
        meaning="Chance that a non-member joins when the neighbour it looks at is a member.",
    )
    org_leave_rate: float = _declare(
        0.02,
        0.0,
        1.0,
        unit="1/step",
        group="organizations",
        meaning="Chance per step that a member leaves its organization.",
    )
    org_service: float = _declare(
        0.05,
        0.0,
        1.0,
        unit="share/step",
        group="organizations",
        meaning="Share of a member's weightiest need an aligned organization relieves per step.",
    )
    org_mediation: float = _declare(
        0.3,
        0.0,
        1.0,
        unit="probability",
        group="organizations",
        meaning="Extra chance a member's petition is accepted (autonomous, aligned organization).",
    )
    org_decay_bonus: float = _declare(
        0.02,
        0.0,
        1.0,
        unit="1/step",
        group="organizations",
        meaning="Extra grievance decay of members: society settling its own conflicts.",
    )
    org_drift_rate: float = _declare(
        0.02,
        0.0,
        1.0,
        unit="1/step",
        group="organizations",
        meaning="Speed at which missions drift without oversight and recover with it.",
    )
    org_dissolve_alignment: float = _declare(
        0.2,
        0.0,
        1.0,
        unit="alignment",
        group="organizations",
        meaning="Alignment below which an organization has become a business and dissolves.",
    )
    org_closure_rate: float = _declare(
        0.02,
        0.0,
        1.0,
        unit="1/step",
        group="organizations",
        meaning="Chance per step that a closed regime (openness 0) shuts an advocacy organization.",
    )
    injustice_closure: float = _declare(
        0.15,
        0.0,
        1.0,
        unit="grievance",
        group="organizations",
        meaning="Injustice felt by members when their organization is closed.",
    )
    # --- grid management
    grid_watch_level: float = _declare(
        0.2,
        0.0,
        1.0,
        unit="grievance",
        group="grid",
        meaning="Grievance above which grid staff notice a resident.",
    )
    grid_detection_rate: float = _declare(
        2.0,
        0.0,
        1000.0,
        unit="households",
        group="grid",
        meaning="Households one grid staffer can follow closely per step.",
    )
    grid_staff_cost: float = _declare(
        0.05,
        0.0,
        1000.0,
        unit="need/step",
        group="grid",
        meaning="Cost of one grid staffer per step, in the units of the livelihood budget.",
    )
    grid_intrusion: float = _declare(
        0.02,
        0.0,
        1.0,
        unit="grievance",
        group="grid",
        meaning="Injustice per step of one visit per household (baseline intrusion).",
    )
    grid_deterrence: int = _declare(
        4,
        0,
        520,
        unit="steps",
        group="grid",
        meaning="Steps a stability visit deters a resident from protest.",
    )
    injustice_visit: float = _declare(
        0.05,
        0.0,
        1.0,
        unit="grievance",
        group="grid",
        meaning="Injustice of a stability visit (control mode).",
    )
    trust_visit: float = _declare(
        0.01,
        0.0,
        1.0,
        unit="legitimacy",
        group="grid",
        meaning="Trust lost per stability visit, and per unit of baseline intrusion.",
    )
    injustice_collective: float = _declare(
        0.05,
        0.0,
        1.0,
        unit="grievance",
        group="grid",
        meaning="Injustice to every household of a cell penalised for a protester in it.",
    )
    trust_service: float = _declare(
        0.02,
        0.0,
        1.0,
        unit="legitimacy",
        group="legitimacy",
        meaning="Trust gained when the grid or an organization resolves one's need.",
    )

    def __post_init__(self) -> None:
        _validate(self)


@dataclass(frozen=True)
class Levers:
    """The policy: what a regime sets (ODD.md section 2, Policy levers).

    A regime may set levers, never outcomes: every difference between regimes
    must come out of the mechanisms these levers feed.
    """

    tolerance: float = _declare(
        0.5,
        0.0,
        1.0,
        unit="probability",
        group="levers",
        meaning="Chance that a handled petition is accepted rather than intercepted.",
    )
    repression: float = _declare(
        0.3,
        0.0,
        1.0,
        unit="probability",
        group="levers",
        meaning="Readiness to arrest protesters and detain intercepted petitioners.",
    )
    control_share: float = _declare(
        0.5,
        0.0,
        1.0,
        unit="share",
        group="levers",
        meaning="Share of cadre effort spent on control rather than service.",
    )
    rights: float = _declare(
        0.5,
        0.0,
        1.0,
        unit="share",
        group="levers",
        meaning="Protection of rights: dialogue with protesters, oversight of organizations.",
    )

    participation: float = _declare(
        0.2,
        0.0,
        1.0,
        unit="share",
        group="levers",
        meaning="Share of residents in livelihood decisions, and the weight of their voice.",
    )
    livelihood_budget: float = _declare(
        0.01,
        0.0,
        1.0,
        unit="need/resident/step",
        group="levers",
        meaning="Livelihood (service) budget per resident per step; the grid is paid from it.",
    )
    org_openness: float = _declare(
        0.3,
        0.0,
        1.0,
        unit="probability",
        group="levers",
        meaning="Chance that an application to found a social organization is approved.",
    )
    org_support: float = _declare(
        0.2,
        0.0,
        1.0,
        unit="share",
        group="levers",
        meaning="Government support to organizations: adds capacity, and dependence.",
    )
    grid_cell_households: int = _declare(
        0,
        0,
        100_000,
        unit="households",
        group="levers",
        meaning="Households per grid-management cell; 0 switches grid management off.",
    )
    grid_agencies: int = _declare(
        1,
        1,
        20,
        unit="agencies",
        group="levers",
        meaning="Agencies that each run their own grid over every cell.",
    )
    grid_info_sharing: bool = _declare(
        True,
        unit="switch",
        group="levers",
        meaning="Whether grid agencies share information (else siloed: duplicated visits).",
    )
    grid_mode: str = _declare(
        "service",
        unit="kind",
        group="levers",
        choices=GRID_MODES,
        meaning="What grid staff do with a detected resident: resolve needs, or visit to deter.",
    )
    collective_responsibility: bool = _declare(
        False,
        unit="switch",
        group="levers",
        meaning="Penalise every household of a grid cell for a protester in it.",
    )
    cadre_incentive: str = _declare(
        "fixed",
        unit="kind",
        group="levers",
        choices=CADRE_INCENTIVES,
        meaning="What cadres are judged by: nothing (fixed), incidents (veto) or trust.",
    )

    def __post_init__(self) -> None:
        _validate(self)


def _declaration_of(f: Any, *, is_lever: bool) -> Declaration:
    meta = f.metadata
    return Declaration(
        name=f.name,
        default=f.default,
        low=meta["low"],
        high=meta["high"],
        unit=meta["unit"],
        meaning=meta["meaning"],
        group=meta["group"],
        kind=meta["kind"],
        choices=meta["choices"],
        is_lever=is_lever,
        plausible=meta["plausible"],
    )


DECLARATIONS: dict[str, Declaration] = {
    f.name: _declaration_of(f, is_lever=False) for f in fields(Params)
} | {f.name: _declaration_of(f, is_lever=True) for f in fields(Levers)}
"""Every parameter and lever by name, in declaration order."""

PARAMETER_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Params))
LEVER_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Levers))


def _closest(name: str, candidates: Iterable[str]) -> str:
    match = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.5)
    return f" (did you mean '{match[0]}'?)" if match else ""


def check_names(names: Iterable[str]) -> None:
    """Raise :class:`ParameterError` for the first name that is not declared."""
    for name in names:
        if name not in DECLARATIONS:
            raise ParameterError(
                f"unknown parameter '{name}'{_closest(name, DECLARATIONS)}; "
                "see the parameter table in ODD.md for every valid name"
            )


def split_overrides(
    overrides: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split flat ``name=value`` overrides into world parameters and levers."""
    check_names(overrides)
    params = {k: v for k, v in overrides.items() if not DECLARATIONS[k].is_lever}
    levers = {k: v for k, v in overrides.items() if DECLARATIONS[k].is_lever}
    return params, levers


def as_dict(params: Params, levers: Levers) -> dict[str, Any]:
    """Every parameter and lever value, flat, in declaration order."""
    values = {f.name: getattr(params, f.name) for f in fields(Params)}
    values |= {f.name: getattr(levers, f.name) for f in fields(Levers)}
    return values


if TYPE_CHECKING:  # the fields are generated, so type checkers see a record of Any
    Coefficients = Any
else:
    Coefficients = namedtuple("Coefficients", tuple(DECLARATIONS), module=__name__)
"""Every parameter and lever of a run as one record for compiled code, by name.

Generated from :data:`DECLARATIONS`, so a new parameter is in the record the
moment it is declared: its rule reads ``coef.<name>`` and nothing else
changes. Numbers keep their kind (``float``, ``int``, ``bool``); a choice is
its position in ``choices`` (see :func:`choice_code`), so compiled rules
compare integers, not strings.
"""


def choice_code(name: str, choice: str) -> int:
    """The integer that stands for ``choice`` of parameter ``name`` in :class:`Coefficients`.

    Raises:
        ParameterError: ``choice`` is not one of the parameter's choices.
    """
    return DECLARATIONS[name].choices.index(DECLARATIONS[name].check(choice))


def coefficients(params: Params, levers: Levers) -> Any:
    """The :class:`Coefficients` record of a run's parameters and levers."""
    values: list[Any] = []
    for name, declaration in DECLARATIONS.items():
        value = getattr(levers if declaration.is_lever else params, name)
        if declaration.kind == "choice":
            value = declaration.choices.index(value)
        elif declaration.kind == "float":
            value = float(value)
        values.append(value)
    return Coefficients(*values)
