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
        label: A few plain words for a teacher ("Tolerance of petitions"):
            the classroom's slider label and the ODD table's second column.
            Written here, beside the meaning, rather than derived from the
            name, because names use the model's words (``legitimacy``,
            ``org``) that a class does not.
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
        hypothesis: For a direct payoff (an event that by itself adds
            trust, or grievance or injustice, or removes grievance), the
            named hypothesis group it belongs to (:data:`HYPOTHESES`);
            ``None`` for mechanisms and settings. Every such parameter is
            zero in the "mechanisms only" variant (:func:`mechanisms_only`).
        basis: Why the default is what it is: a source, a calibration
            target, or the plain statement that it is a free assumption.
    """

    name: str
    default: Any
    low: float | None
    high: float | None
    unit: str
    meaning: str
    group: str
    kind: Kind
    label: str
    choices: tuple[str, ...] = ()
    is_lever: bool = False
    plausible: tuple[float, float] | None = None
    hypothesis: str | None = None
    basis: str = "free assumption"

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
    label: str,
    group: str,
    choices: tuple[str, ...] = (),
    plausible: tuple[float, float] | None = None,
    hypothesis: str | None = None,
    basis: str = "free assumption",
) -> Any:
    """Declare a dataclass field with its metadata (the single declaration).

    ``label`` is required, so a parameter cannot be declared without the
    words a teacher reads on its slider.
    """
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
        "label": label,
        "group": group,
        "kind": kind,
        "choices": choices,
        "plausible": _plausible(default, low, high, kind, plausible),
        "hypothesis": hypothesis,
        "basis": basis,
    }
    if hypothesis is not None and hypothesis not in HYPOTHESES:
        raise ValueError(f"unknown hypothesis group {hypothesis!r}")
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


@dataclass(frozen=True)
class Hypothesis:
    """A named group of assumed direct payoffs, and why anyone would assume them.

    Attributes:
        name: The group's name (``Declaration.hypothesis``).
        claim: What the payoff assumes, in one sentence.
        source: Where the assumption comes from.
    """

    name: str
    claim: str
    source: str


HYPOTHESES: dict[str, Hypothesis] = {
    h.name: h
    for h in (
        Hypothesis(
            "voice",
            "Being answered (a petition accepted, a protest met with dialogue) by itself "
            "releases grievance and raises trust.",
            "Coser (1956) on the safety valve; Tyler (2006) on procedural justice",
        ),
        Hypothesis(
            "frustration",
            "A petition left unanswered for lack of capacity is itself an injustice.",
            "Gurr (1970) on blocked expectations; free assumption for its size",
        ),
        Hypothesis(
            "repression",
            "Being intercepted or detained is an injustice and costs trust.",
            "Yu Jianrong's 2004 survey of petitioners (retaliation); Lichbach (1987)",
        ),
        Hypothesis(
            "backlash",
            "Seeing a network neighbour intercepted or detained is an injustice and costs trust.",
            "Lichbach (1987); Francisco (2004) on repression that backfires",
        ),
        Hypothesis(
            "procedural_justice",
            "Taking part in livelihood decisions raises trust whatever the outcome.",
            "Tyler (2006)",
        ),
        Hypothesis(
            "service_gratitude",
            "Having a need resolved by the grid, a cadre or an organization raises trust.",
            "free assumption (performance legitimacy)",
        ),
        Hypothesis(
            "intrusion",
            "Grid visits, stability visits and collective punishment are injustices and "
            "cost trust.",
            "Gong (2012), Error 6; Tang (2020) on grid governance",
        ),
        Hypothesis(
            "self_settlement",
            "Members of an organization settle part of their grievance among themselves.",
            "Gong (2012), Errors 2 and 3 (society settling its own conflicts)",
        ),
        Hypothesis(
            "membership_service",
            "A service organization meets part of its members' weightiest need, at no cost "
            "to the budget (volunteers and its own funds).",
            "free assumption (what service organizations do; Spires 2011 on their role)",
        ),
        Hypothesis(
            "closure",
            "Having one's organization shut down is an injustice and costs trust.",
            "free assumption",
        ),
    )
}
"""Every group of assumed direct payoffs, by name (ODD.md, Design concepts)."""


NETWORK_KINDS = ("spatial_small_world", "watts_strogatz", "barabasi_albert", "erdos_renyi")
ARREST_RULES = ("literal", "floor", "round")
GRIEVANCE_MODES = ("stock", "epstein")
GRID_MODES = ("service", "control")
CADRE_INCENTIVES = ("fixed", "stability_veto", "satisfaction")


@dataclass(frozen=True)
class Params:
    """The world: population, network, behaviour and response rules.

    These are the model's uncertainties (in the EMA Workbench sense): no
    regime sets them, researchers sweep them. Each declaration says what
    its default rests on (``basis``); the calibration behind some of them is
    in docs/calibration.md.
    """

    # --- population and space (ODD.md section 2)
    n_residents: int = _declare(
        2000, 1, 10_000_000, unit="households", group="population",
        label="Residents",
        meaning="Number of residents (households) in the city.",
        basis="a city district of about 6,000 people; any size works (ODD.md, Scales)",
    )  # fmt: skip
    n_districts: int = _declare(
        16, 1, 10_000, unit="districts", group="population",
        label="Districts",
        meaning="Districts tiling the city; each is served by its own cadres and committee.",
        basis="free assumption",
    )  # fmt: skip
    initial_legitimacy: float = _declare(
        0.6, 0.0, 1.0, unit="share", group="population",
        label="Initial trust",
        meaning="Mean initial trust in government (Epstein's L).",
        basis="free assumption (surveys report high trust in central, lower in local government)",
    )  # fmt: skip
    legitimacy_spread: float = _declare(
        0.15, 0.0, 0.5, unit="share", group="population",
        label="Spread of initial trust",
        meaning="Standard deviation of initial trust across residents (clipped to [0, 1]).",
    )  # fmt: skip
    initial_need: float = _declare(
        0.3, 0.0, 0.5, unit="share", group="population",
        label="Initial unmet need",
        meaning="Mean initial unmet need; each resident's level is U(0, 2 x this).",
    )  # fmt: skip
    need_weight_concentration: float = _declare(
        2.0, 0.05, 1000.0, unit="Dirichlet alpha", group="population",
        label="Shared priorities",
        meaning="How closely residents' domain weights follow the city's shared priorities.",
    )  # fmt: skip
    need_drift: float = _declare(
        0.0, 0.0, 0.01, unit="need/step", group="livelihood", plausible=(0.0, 0.002),
        label="Worsening of needs",
        meaning="Rise of every unmet need per step: a slowly worsening economy.",
        basis="0 in the comparisons; calibrated to the growth of incident counts (16-21 % a "
        "year) for the validation of rising incidents, which it cannot reach: the counts "
        "grow faster with no drift at all (docs/calibration.md)",
    )  # fmt: skip
    # --- social network
    network: str = _declare(
        "spatial_small_world", unit="kind", group="network", choices=NETWORK_KINDS,
        label="Network type",
        meaning="Generator of the social network among residents.",
    )  # fmt: skip
    mean_degree: int = _declare(
        10, 2, 200, unit="ties", group="network", plausible=(4, 20),
        label="Ties per resident",
        meaning="Mean number of ties per resident.",
    )  # fmt: skip
    long_range_share: float = _declare(
        0.05, 0.0, 1.0, unit="share", group="network",
        label="Long-distance ties",
        meaning="Share of ties rewired to random residents (small world, Watts-Strogatz).",
        basis="Watts and Strogatz (1998): a few long ties make a small world",
    )  # fmt: skip
    # --- cadres
    cadres_per_1000: float = _declare(
        16.0, 0.0, 1000.0, unit="cadres per 1,000 residents", group="cadres",
        label="Cadres per 1,000 residents",
        meaning="Cadres per 1,000 residents; every district has at least one, sharing its effort.",
    )  # fmt: skip
    cadre_capacity: float = _declare(
        4.0, 0.0, 10_000.0, unit="residents/step", group="cadres",
        label="Cases per cadre",
        meaning="Residents one cadre can handle per step, split between control and service.",
    )  # fmt: skip
    adapt_rate: float = _declare(
        0.05, 0.0, 1.0, unit="share/step", group="cadres",
        label="Cadres' adaptation speed",
        meaning="How fast a cadre shifts its control share and tolerance under an incentive.",
    )  # fmt: skip
    staff_turnover: float = _declare(
        1.0 / 52.0, 0.0, 1.0, unit="1/step", group="cadres", label="Stability staff turnover",
        meaning="Share of the stability staff hired by cadres that leaves each step.",
        basis="free assumption (contracts of about a year)",
    )  # fmt: skip
    stability_staff_cost: float = _declare(
        0.05, 0.0, 10.0, unit="need units per unit of effort per step", group="cadres",
        label="Cost of stability staff",
        meaning="What a unit of control effort hired after incidents costs the livelihood budget.",
        basis="free assumption, of the order of internal security outlays (about defence's, "
        "Ministry of Finance 2010-2013; EVIDENCE)",
    )  # fmt: skip
    # --- grievance (ODD.md, Submodels: grievance)
    grievance_mode: str = _declare(
        "stock", unit="kind", group="grievance", choices=GRIEVANCE_MODES,
        label="Grievance rule",
        meaning="'stock': grievance accumulates and decays; 'epstein': G = hardship x (1 - L).",
    )  # fmt: skip
    inflow_rate: float = _declare(
        0.0453, 0.0, 1.0, unit="1/step", group="grievance", plausible=(0.032, 0.068),
        label="Grievance build-up rate",
        meaning="Rate at which hardship and distrust turn into grievance.",
        basis="calibrated to China's rate of mass incidents, about 4 per 10,000 households a "
        "year in 2010 (docs/calibration.md)",
    )  # fmt: skip
    grievance_decay: float = _declare(
        0.05, 0.0, 1.0, unit="1/step", group="grievance",
        label="Grievance fading",
        meaning="Share of grievance that fades each step without any response.",
    )  # fmt: skip
    expectation_weight: float = _declare(
        1.0, 0.0, 10.0, unit="-", group="grievance", plausible=(0.0, 3.0),
        label="Weight of dashed hopes",
        meaning="Weight of hardship above what one was led to expect, next to hardship itself.",
        basis="Davies (1962), Gurr (1970): relative deprivation; its size a free assumption",
    )  # fmt: skip
    expectation_adaptation: float = _declare(
        0.05, 0.0, 1.0, unit="1/step", group="grievance",
        label="Speed hopes adjust",
        meaning="How fast what residents expect follows what they get.",
    )  # fmt: skip
    spending_visibility: float = _declare(
        5.0, 0.0, 100.0, unit="hardship per need/resident/step", group="grievance",
        plausible=(0.0, 15.0),
        label="Hope from announced spending",
        meaning="Fall in expected hardship per unit of relief per resident announced.",
        basis="Davies (1962): improvements raise expectations; size a free assumption",
    )  # fmt: skip
    participant_understanding: float = _declare(
        0.5, 0.0, 1.0, unit="share", group="grievance", plausible=(0.0, 1.0),
        label="Participants' understanding",
        meaning="Share of the announced promise a participant discounts, knowing the constraints.",
        basis="Gong (2012), Error 5 (participants understand what cannot be done at once); "
        "size a free assumption",
    )  # fmt: skip
    # --- stance (Epstein's rule on the network)
    arrest_k: float = _declare(
        2.3, 0.0, 100.0, unit="-", group="stance",
        label="Arrest risk steepness (k)",
        meaning="Epstein's k in P = 1 - exp(-k r(C/A)); 2.3 gives P = 0.9 at C = A = 1.",
        basis="Epstein (2002)",
    )  # fmt: skip
    arrest_rule: str = _declare(
        "literal", unit="kind", group="stance", choices=ARREST_RULES,
        label="Arrest rounding rule",
        meaning="Rounding r of C/A: literal (paper), floor (NetLogo), round (Mesa).",
        basis="Epstein (2002) as printed; ODD.md, Submodels: stance",
    )  # fmt: skip
    protest_threshold: float = _declare(
        0.3, 0.0, 1.0, unit="grievance", group="stance",
        label="Protest threshold",
        meaning="Epstein's T: net grievance above which a resident protests.",
    )  # fmt: skip
    petition_threshold: float = _declare(
        0.2, 0.0, 1.0, unit="grievance", group="stance",
        label="Petition threshold",
        meaning="Grievance above which a resident who trusts the channel petitions.",
    )  # fmt: skip
    petition_trust: float = _declare(
        0.3, 0.0, 1.0, unit="legitimacy", group="stance",
        label="Trust needed to petition",
        meaning="Least trust needed to petition: petitioning is itself an expression of trust.",
        basis="Gong (2012), Error 1 (a petition expresses trust); level a free assumption",
    )  # fmt: skip
    control_visibility: float = _declare(
        100.0, 0.0, 100_000.0, unit="residents", group="stance",
        label="Residents one watches",
        meaning="Residents one keeps an eye on; scales control in view (Epstein's vision).",
    )  # fmt: skip
    contagion: float = _declare(
        0.1, 0.0, 1.0, unit="grievance", group="stance",
        label="Protest contagion",
        meaning="Fall of the protest threshold when all neighbours protest (threshold contagion).",
        basis="Granovetter (1978), Watts (2002); size a free assumption",
    )  # fmt: skip
    spread_within_week: bool = _declare(
        True, unit="switch", group="stance", label="Protest spreads within the week",
        meaning="Protest spreads within the week until no one else joins (incidents unfold fast).",
        basis="Granovetter (1978): a riot is the equilibrium of thresholds, reached in hours",
    )  # fmt: skip
    protest_rest: int = _declare(
        4, 0, 520, unit="steps", group="stance", plausible=(0.0, 12.0),
        label="Rest after a protest",
        meaning="Steps a protester who went home rests before it protests again.",
        basis="Tarrow (1998): protest waves end in exhaustion and demobilization; "
        "length a free assumption",
    )  # fmt: skip
    rebuff_memory: int = _declare(
        8, 0, 520, unit="steps", group="stance",
        label="Time away after a rebuff",
        meaning="Steps a resident whose petition was rejected stays away from the channel.",
    )  # fmt: skip
    claims_learning: float = _declare(
        0.1, 0.0, 1.0, unit="1/step", group="stance", plausible=(0.0, 0.3),
        label="Learning from others' claims",
        meaning="How fast residents learn from their neighbours' claims whether voice pays.",
        basis="Chen (2012): a big fuss gets a big solution; Lorentzen (2013); rate free",
    )  # fmt: skip
    claims_weight: float = _declare(
        0.1, 0.0, 1.0, unit="grievance", group="stance", plausible=(0.0, 0.3),
        label="Pull of successful claims",
        meaning="How far petition and protest thresholds fall as expected returns to voice rise.",
        basis="Chen (2012); Lorentzen (2013): tolerated claims invite more; size free",
    )  # fmt: skip
    initial_voice_expectation: float = _declare(
        0.5, 0.0, 1.0, unit="probability", group="stance",
        label="Expected chance of an answer",
        meaning="Chance of being answered residents expect before they have seen any claim.",
    )  # fmt: skip
    # --- petitions
    release: float = _declare(
        0.5, 0.0, 1.0, unit="share", group="petitions", hypothesis="voice",
        label="Grievance released when answered",
        meaning="Share of grievance released when a petition or protest is answered.",
    )  # fmt: skip
    resolution: float = _declare(
        0.5, 0.0, 1.0, unit="probability", group="petitions",
        label="Answers that fix a need",
        meaning="Chance that an answered claim resolves the claimant's worst need (paid).",
    )  # fmt: skip
    escalation: float = _declare(
        0.5, 0.0, 1.0, unit="probability", group="petitions",
        label="Petitioning higher up",
        meaning="Chance that a petitioner failed at one level takes the next petition higher.",
        basis="State Bureau for Letters and Calls (2003): blocked local channels push upward",
    )  # fmt: skip
    upper_capacity: float = _declare(
        0.5, 0.0, 1000.0, unit="petitions per 1,000 residents per step", group="petitions",
        label="Province office capacity",
        meaning="Petitions the province's offices handle per step for the city.",
    )  # fmt: skip
    centre_capacity: float = _declare(
        0.1, 0.0, 1000.0, unit="petitions per 1,000 residents per step", group="petitions",
        label="Central office capacity",
        meaning="Petitions the centre's offices handle per step for the city.",
    )  # fmt: skip
    upper_acceptance: float = _declare(
        0.3, 0.0, 1.0, unit="probability", group="petitions",
        label="Petitions taken up above",
        meaning="Chance that an upper level handling a petition sends it back to be settled.",
    )  # fmt: skip
    # --- protests
    max_detention: int = _declare(
        8, 1, 520, unit="steps", group="protests",
        label="Longest detention",
        meaning="Longest detention; terms are uniform on 1..max_detention steps.",
    )  # fmt: skip
    incident_min_size: int = _declare(
        5, 1, 1_000_000, unit="residents", group="protests",
        label="Smallest mass incident",
        meaning="Smallest connected group of protesting neighbours counted as a mass incident.",
    )  # fmt: skip
    reinforcement: float = _declare(
        1.0, 0.0, 100.0, unit="units of control effort per protester", group="protests",
        plausible=(0.0, 2.0), label="Forces sent from above",
        meaning="Control effort higher levels send to a district per protester in its mass "
        "incidents beyond its own reach.",
        basis="free assumption: 1 sends enough to reach the whole crowd, as the People's Armed "
        "Police are sent to incidents local police cannot contain (Tanner 2004); 0 sends none",
    )  # fmt: skip
    reinforcement_withdrawal: float = _declare(
        0.25, 0.0, 1.0, unit="1/step", group="protests", plausible=(0.1, 1.0),
        label="Withdrawal of outside forces",
        meaning="Share of the forces sent from above that leaves each step.",
        basis="free assumption (deployments of about a month)",
    )  # fmt: skip
    forces_autonomy: float = _declare(
        0.0, 0.0, 1.0, unit="share", group="protests", plausible=(0.0, 1.0),
        label="Forces' own orders",
        meaning="Weight of higher levels' own orders, against the city's policy, in how readily "
        "the forces sent from above arrest.",
        basis="free assumption: 0, the forces follow the city's policy, is the model before "
        "the choice was open; higher levels both send the People's Armed Police to disperse "
        "crowds (Tanner 2004) and restrain local repression that goes too far (Cai 2008), so "
        "whose orders the forces follow is not settled by the sources",
    )  # fmt: skip
    forces_repression: float = _declare(
        0.8, 0.0, 1.0, unit="probability", group="protests", plausible=(0.0, 1.0),
        label="Forces' own repression",
        meaning="Probability that forces acting on higher levels' orders arrest a protester "
        "they reach.",
        basis="free assumption: forces sent to disperse a crowd arrest as readily as rigid "
        "suppression does; acts only through forces_autonomy",
    )  # fmt: skip
    # --- assumed payoffs: injustice
    injustice_unanswered: float = _declare(
        0.005, 0.0, 1.0, unit="grievance", group="injustice", hypothesis="frustration",
        label="Hurt of an unanswered petition",
        meaning="Injustice of a petition left unanswered for lack of capacity.",
    )  # fmt: skip
    injustice_intercepted: float = _declare(
        0.15, 0.0, 1.0, unit="grievance", group="injustice", hypothesis="repression",
        label="Hurt of an interception",
        meaning="Injustice of having one's petition rejected or intercepted.",
    )  # fmt: skip
    injustice_detained: float = _declare(
        0.25, 0.0, 1.0, unit="grievance", group="injustice", hypothesis="repression",
        label="Hurt of detention",
        meaning="Injustice of being detained.",
    )  # fmt: skip
    injustice_backlash: float = _declare(
        0.02, 0.0, 1.0, unit="grievance", group="injustice", hypothesis="backlash",
        label="Hurt of a neighbour's detention",
        meaning="Injustice felt per network neighbour intercepted or detained.",
    )  # fmt: skip
    # --- legitimacy
    social_influence: float = _declare(
        0.05, 0.0, 1.0, unit="1/step", group="legitimacy",
        label="Neighbours' pull on trust",
        meaning="Pull of a resident's trust toward its neighbours' mean trust.",
    )  # fmt: skip
    trust_answered: float = _declare(
        0.05, 0.0, 1.0, unit="legitimacy", group="legitimacy", hypothesis="voice",
        label="Trust gained when answered",
        meaning="Trust gained when one's petition or protest is answered.",
    )  # fmt: skip
    trust_intercepted: float = _declare(
        0.05, 0.0, 1.0, unit="legitimacy", group="legitimacy", hypothesis="repression",
        label="Trust lost when intercepted",
        meaning="Trust lost when one's petition is rejected or intercepted.",
    )  # fmt: skip
    trust_detained: float = _declare(
        0.15, 0.0, 1.0, unit="legitimacy", group="legitimacy", hypothesis="repression",
        label="Trust lost when detained",
        meaning="Trust lost when one is detained.",
    )  # fmt: skip
    trust_backlash: float = _declare(
        0.005, 0.0, 1.0, unit="legitimacy", group="legitimacy", hypothesis="backlash",
        label="Trust lost over a neighbour",
        meaning="Trust lost per network neighbour intercepted or detained.",
    )  # fmt: skip
    performance_gap_rate: float = _declare(
        0.01, 0.0, 1.0, unit="legitimacy/step", group="legitimacy",
        label="Trust lost to hardship",
        meaning="Trust lost per step per unit of hardship above the reference.",
        basis="free assumption (performance legitimacy)",
    )  # fmt: skip
    hardship_reference: float = _declare(
        0.3, 0.0, 1.0, unit="hardship", group="legitimacy",
        label="Hardship people accept",
        meaning="Hardship residents accept without blaming the government.",
    )  # fmt: skip
    legitimacy_recovery: float = _declare(
        0.01, 0.0, 1.0, unit="1/step", group="legitimacy",
        label="Trust recovery",
        meaning="Pull of trust back toward the resident's initial disposition (memories fade).",
    )  # fmt: skip
    trust_participation: float = _declare(
        0.002, 0.0, 1.0, unit="legitimacy", group="legitimacy",
        hypothesis="procedural_justice",
        label="Trust gained by taking part",
        meaning="Trust gained per step in livelihood decisions (procedural justice).",
    )  # fmt: skip
    trust_service: float = _declare(
        0.02, 0.0, 1.0, unit="legitimacy", group="legitimacy", hypothesis="service_gratitude",
        label="Trust gained when helped",
        meaning="Trust gained when a cadre, the grid or an organization resolves one's need.",
    )  # fmt: skip
    # --- livelihood (ODD.md, Submodels: livelihood)
    shock_rate: float = _declare(
        0.015, 0.0, 1.0, unit="1/step", group="livelihood",
        label="Livelihood shocks",
        meaning="Expected shocks per resident and domain per step.",
    )  # fmt: skip
    shock_size: float = _declare(
        0.3, 0.0, 1.0, unit="need", group="livelihood",
        label="Size of a shock",
        meaning="Largest rise in need from one shock; shocks are U(0, this).",
    )  # fmt: skip
    collective_shock_rate: float = _declare(
        1.0, 0.0, 10_000.0, unit="events per 10,000 residents per step", group="livelihood",
        plausible=(0.25, 4.0), label="Collective shocks",
        meaning="Collective shocks (a layoff, a requisition, pollution) that hit a neighbourhood.",
        basis="shared grievances (land, layoffs, pollution) behind most incidents (EVIDENCE); "
        "rate a free assumption",
    )  # fmt: skip
    collective_shock_least: float = _declare(
        10.0, 1.0, 1_000_000.0, unit="households", group="livelihood", plausible=(5.0, 20.0),
        label="Smallest collective shock",
        meaning="Least footprint of a collective shock (the Pareto scale of its size).",
    )  # fmt: skip
    collective_shock_tail: float = _declare(
        1.06, 0.1, 10.0, unit="-", group="livelihood", plausible=(0.8, 1.5),
        label="Tail of collective shocks",
        meaning="Pareto exponent of collective shocks' footprints (smaller: heavier tail).",
        basis="Axtell (2001): firm sizes are Zipf-distributed with exponent 1.06",
    )  # fmt: skip
    planner_bias: float = _declare(
        0.5, 0.0, 3.0, unit="log-sd", group="livelihood",
        label="Planner's error",
        meaning="Spread of the planner's per-run log-normal error on each domain's need.",
    )  # fmt: skip
    participation_capture: float = _declare(
        0.5, 0.0, 5.0, unit="-", group="livelihood", plausible=(0.0, 2.0),
        label="Capture by the better-off",
        meaning="How much more the better-off and the organized take part (0: at random).",
        basis="Bardhan and Mookherjee (2000) on elite capture; size a free assumption",
    )  # fmt: skip
    participation_cost: float = _declare(
        0.002, 0.0, 1.0, unit="need per participant per step", group="livelihood",
        label="Cost of participation",
        meaning="What running participation costs the livelihood budget, per participant.",
        basis="He Baogang (2011): deliberation costs time and money; size a free assumption",
    )  # fmt: skip
    project_dispute_rate: float = _declare(
        0.5, 0.0, 100.0, unit="disputes per unit of top-down relief", group="livelihood",
        plausible=(0.0, 2.0),
        label="Disputes from projects",
        meaning="Disputes (land, relocation) that top-down livelihood projects start.",
        basis="land acquisition for projects as a leading cause of incidents (EVIDENCE); "
        "rate a free assumption",
    )  # fmt: skip
    committee_overhead: float = _declare(
        0.2, 0.0, 1.0, unit="share", group="livelihood",
        label="Committees' running cost",
        meaning="Share of a budget devolved to neighbourhood committees lost to running them.",
    )  # fmt: skip
    # --- social organizations
    org_founding_grievance: float = _declare(
        0.2, 0.0, 1.0, unit="grievance", group="organizations",
        label="Grievance that founds groups",
        meaning="Grievance above which residents outside any organization may found one.",
    )  # fmt: skip
    org_founding_rate: float = _declare(
        0.000265, 0.0, 1.0, unit="1/step", group="organizations", plausible=(0.00013, 0.00053),
        label="Applications to found groups",
        meaning="Chance per step that an aggrieved non-member applies to found an organization.",
        basis="calibrated to 3.4-3.7 registered social organizations per 10,000 people in "
        "2010-2012 (docs/calibration.md)",
    )  # fmt: skip
    org_capacity: float = _declare(
        30.0, 1.0, 1_000_000.0, unit="members", group="organizations",
        label="Members a group can serve",
        meaning="Members an organization can serve without government support.",
    )  # fmt: skip
    org_recruit_rate: float = _declare(
        0.05, 0.0, 1.0, unit="1/step", group="organizations",
        label="Recruiting through ties",
        meaning="Chance that a non-member looks at a neighbour's organization to join.",
    )  # fmt: skip
    org_leave_rate: float = _declare(
        0.02, 0.0, 1.0, unit="1/step", group="organizations",
        label="Members leaving",
        meaning="Chance per step that a member of an organization true to its mission leaves.",
    )  # fmt: skip
    org_misalignment_leave: float = _declare(
        0.1, 0.0, 1.0, unit="1/step", group="organizations",
        label="Leaving a drifting group",
        meaning="Extra chance per step of leaving, per unit of straying from the mission.",
    )  # fmt: skip
    org_service: float = _declare(
        0.05, 0.0, 1.0, unit="share/step", group="organizations",
        label="Help from organizations", hypothesis="membership_service",
        meaning="Share of a member's weightiest need a service organization relieves per step.",
    )  # fmt: skip
    org_mediation: float = _declare(
        0.3, 0.0, 1.0, unit="probability", group="organizations",
        label="Mediation by organizations",
        meaning="Extra chance a mediating organization's member has a petition accepted.",
    )  # fmt: skip
    org_mobilization: float = _declare(
        0.3, 0.0, 1.0, unit="share", group="organizations", plausible=(0.0, 0.8),
        label="Mobilization by organizations",
        meaning="How much membership lowers the cost of collective action (risk, contagion).",
        basis="McCarthy and Zald (1977): organizations lower the cost of collective action",
    )  # fmt: skip
    org_support_cost: float = _declare(
        0.01, 0.0, 10.0, unit="need per member per step", group="organizations",
        label="Cost of support",
        meaning="What full government support costs the livelihood budget per member.",
    )  # fmt: skip
    support_credibility_loss: float = _declare(
        0.5, 0.0, 1.0, unit="share", group="organizations", plausible=(0.0, 1.0),
        label="Credibility lost to support",
        meaning="How much dependence on government funds cuts an organization's appeal.",
        basis="Spires (2011), Teets (2013): support buys capacity, costs credibility",
    )  # fmt: skip
    org_decay_bonus: float = _declare(
        0.02, 0.0, 1.0, unit="1/step", group="organizations", hypothesis="self_settlement",
        label="Members settling grievances",
        meaning="Extra grievance decay of a neighbourhood organization's members.",
    )  # fmt: skip
    org_drift_rate: float = _declare(
        0.02, 0.0, 1.0, unit="1/step", group="organizations",
        label="Mission drift speed",
        meaning="Speed at which missions drift without oversight and recover with it.",
    )  # fmt: skip
    org_closure_rate: float = _declare(
        0.02, 0.0, 1.0, unit="1/step", group="organizations",
        label="Closures of advocacy groups",
        meaning="Chance per step that a closed regime (openness 0) shuts an advocacy organization.",
    )  # fmt: skip
    injustice_closure: float = _declare(
        0.15, 0.0, 1.0, unit="grievance", group="organizations", hypothesis="closure",
        label="Hurt of a closure",
        meaning="Injustice felt by members when their organization is shut down.",
    )  # fmt: skip
    trust_closure: float = _declare(
        0.05, 0.0, 1.0, unit="legitimacy", group="organizations", hypothesis="closure",
        label="Trust lost in a closure",
        meaning="Trust lost by members when their organization is shut down.",
    )  # fmt: skip
    # --- grid management
    grid_watch_level: float = _declare(
        0.2, 0.0, 1.0, unit="grievance", group="grid",
        label="Grievance the grid notices",
        meaning="Grievance above which grid staff notice a resident.",
    )  # fmt: skip
    grid_detection_rate: float = _declare(
        2.0, 0.0, 1000.0, unit="households", group="grid",
        label="Households a staffer follows",
        meaning="Households one grid staffer can follow closely per step.",
    )  # fmt: skip
    grid_staff_cost: float = _declare(
        0.02, 0.0, 1000.0, unit="need/step", group="grid", plausible=(0.002, 0.05),
        label="Cost of a grid staffer",
        meaning="Cost of one grid staffer per step, in the units of the livelihood budget.",
        basis="free assumption: a staffer for 200 households costs about 1 % of their "
        "livelihood budget; captains of 10-household cells may cost far less",
    )  # fmt: skip
    grid_platform_cost: float = _declare(
        0.5, 0.0, 1000.0, unit="need/step", group="grid",
        label="Cost of a grid platform",
        meaning="Cost per step of an agency's own grid platform and records.",
        basis="duplicated grids acknowledged in the 2019 'multiple grids into one' opinion "
        "(EVIDENCE); size a free assumption",
    )  # fmt: skip
    grid_intrusion: float = _declare(
        0.005, 0.0, 1.0, unit="grievance", group="grid", hypothesis="intrusion",
        plausible=(0.0, 0.02),
        label="Hurt of routine visits",
        meaning="Injustice per step of one visit per household (baseline intrusion).",
        basis="free assumption, kept low: at 0.02 (with trust_visit 0.01) a fine siloed grid "
        "drove nine residents in ten to protest, an implausible world",
    )  # fmt: skip
    grid_deterrence: int = _declare(
        4, 0, 520, unit="steps", group="grid",
        label="Deterrence of a visit",
        meaning="Steps a stability visit deters a resident from protest.",
    )  # fmt: skip
    injustice_visit: float = _declare(
        0.05, 0.0, 1.0, unit="grievance", group="grid", hypothesis="intrusion",
        label="Hurt of a stability visit",
        meaning="Injustice of a stability visit (control mode).",
    )  # fmt: skip
    trust_visit: float = _declare(
        0.005, 0.0, 1.0, unit="legitimacy", group="grid", hypothesis="intrusion",
        plausible=(0.0, 0.01),
        label="Trust lost per grid visit",
        meaning="Trust lost per stability visit, and per unit of baseline intrusion.",
        basis="free assumption, kept low (see grid_intrusion)",
    )  # fmt: skip
    injustice_collective: float = _declare(
        0.05, 0.0, 1.0, unit="grievance", group="grid", hypothesis="intrusion",
        label="Hurt of a collective penalty",
        meaning="Injustice to every household of a cell penalised for a protester in it.",
    )  # fmt: skip
    collective_deterrence: float = _declare(
        0.1, 0.0, 1.0, unit="grievance", group="grid", plausible=(0.0, 0.3),
        label="Deterrence of collective penalty",
        meaning="Rise of the protest threshold when one's whole cell answers for a protester.",
        basis="the intent of collective responsibility (mutual surveillance deters); size "
        "a free assumption",
    )  # fmt: skip
    trust_collective: float = _declare(
        0.005, 0.0, 1.0, unit="legitimacy", group="grid", hypothesis="intrusion",
        label="Trust lost to collective penalty",
        meaning="Trust lost by every household of a cell penalised for a protester in it.",
    )  # fmt: skip
    # --- prevention at the source
    prevention_watch_level: float = _declare(
        0.2, 0.0, 1.0, unit="grievance", group="prevention",
        label="Grievance prevention looks for",
        meaning="Grievance above which cadres doing prevention look into a quiet resident's case.",
    )  # fmt: skip

    def __post_init__(self) -> None:
        _validate(self)


@dataclass(frozen=True)
class Levers:
    """The policy: what a regime sets (ODD.md section 2, Policy levers).

    A regime may set levers, never outcomes: every difference between regimes
    must come out of the mechanisms these levers feed.
    """

    tolerance: float = _declare(
        0.5, 0.0, 1.0, unit="probability", group="levers",
        label="Tolerance of petitions",
        meaning="Chance that a handled petition is accepted rather than rejected or intercepted.",
    )  # fmt: skip
    repression: float = _declare(
        0.3, 0.0, 1.0, unit="probability", group="levers",
        label="Repression",
        meaning="Readiness to arrest protesters and detain intercepted petitioners.",
    )  # fmt: skip
    control_share: float = _declare(
        0.5, 0.0, 1.0, unit="share", group="levers",
        label="Effort on control",
        meaning="Share of cadre effort spent on control rather than service.",
    )  # fmt: skip
    self_management: float = _declare(
        0.0, 0.0, 1.0, unit="share", group="levers",
        label="Budget run by neighbourhoods",
        meaning="Share of the livelihood budget devolved to neighbourhood committees.",
    )  # fmt: skip
    rights: float = _declare(
        0.5, 0.0, 1.0, unit="share", group="levers",
        label="Rights protection",
        meaning="Protection of rights: dialogue with protesters, oversight, safety to petition.",
    )  # fmt: skip
    prevention: float = _declare(
        0.0, 0.0, 1.0, unit="share", group="levers",
        label="Prevention at the source",
        meaning="Share of control effort spent resolving quiet grievances before they erupt.",
    )  # fmt: skip
    participation: float = _declare(
        0.2, 0.0, 1.0, unit="share", group="levers",
        label="Residents' participation",
        meaning="Share of residents in livelihood decisions, and the weight of their voice.",
    )  # fmt: skip
    livelihood_budget: float = _declare(
        0.01, 0.0, 1.0, unit="need/resident/step", group="levers",
        label="Livelihood budget",
        meaning="Livelihood (service) budget per resident per step: relief, grid, concessions.",
    )  # fmt: skip
    org_openness: float = _declare(
        0.3, 0.0, 1.0, unit="probability", group="levers",
        label="Approval of organizations",
        meaning="Chance that an application to found a social organization is approved.",
    )  # fmt: skip
    org_support: float = _declare(
        0.2, 0.0, 1.0, unit="share", group="levers",
        label="Support to organizations",
        meaning="Government support to organizations: capacity, dependence and a cost.",
    )  # fmt: skip
    grid_cell_households: int = _declare(
        0, 0, 100_000, unit="households", group="levers",
        label="Households per grid cell",
        meaning="Households per grid-management cell; 0 switches grid management off.",
    )  # fmt: skip
    grid_agencies: int = _declare(
        1, 1, 20, unit="agencies", group="levers",
        label="Agencies with own grids",
        meaning="Agencies that each run their own grid over every cell.",
    )  # fmt: skip
    grid_info_sharing: bool = _declare(
        True, unit="switch", group="levers",
        label="Shared grid information",
        meaning="Whether grid agencies share one platform (else siloed: duplicated visits).",
    )  # fmt: skip
    grid_mode: str = _declare(
        "service", unit="kind", group="levers", choices=GRID_MODES,
        label="What grid staff do",
        meaning="What grid staff do with a detected resident: resolve needs, or visit to deter.",
    )  # fmt: skip
    collective_responsibility: bool = _declare(
        False, unit="switch", group="levers",
        label="Collective responsibility",
        meaning="Penalise every household of a grid cell for a protester in it.",
    )  # fmt: skip
    cadre_incentive: str = _declare(
        "fixed", unit="kind", group="levers", choices=CADRE_INCENTIVES,
        label="What cadres are judged by",
        meaning="What cadres are judged by: nothing (fixed), incidents (veto) or trust.",
    )  # fmt: skip

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
        label=meta["label"],
        choices=meta["choices"],
        is_lever=is_lever,
        plausible=meta["plausible"],
        hypothesis=meta["hypothesis"],
        basis=meta["basis"],
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


def mechanisms_only() -> dict[str, Any]:
    """Overrides that switch every assumed direct payoff off ("mechanisms only").

    Every parameter in a hypothesis group (:data:`HYPOTHESES`) is set to
    zero, so what remains of a difference between two regimes comes from
    the mechanisms alone: needs, relief and its costs, deterrence,
    expectations, organizations' capacity and mobilization, the grid's
    detection and cost.
    """
    return {name: 0.0 for name, d in DECLARATIONS.items() if d.hypothesis is not None}


def hypothesis_off(group: str) -> dict[str, Any]:
    """Overrides that switch one hypothesis group off, by its name.

    Raises:
        ParameterError: ``group`` is not a hypothesis group.
    """
    if group not in HYPOTHESES:
        raise ParameterError(
            f"unknown hypothesis group '{group}'{_closest(group, HYPOTHESES)}; "
            f"choose one of {', '.join(HYPOTHESES)}"
        )
    return {name: 0.0 for name, d in DECLARATIONS.items() if d.hypothesis == group}
