"""Scenario files, sweep specs and sensitivity specs: loading and validation.

Every experiment the command line runs is described by a small TOML file. This
module turns such a file into a frozen dataclass, or raises :class:`SpecError`
with one line that names the file, the place in it (``[scenarios.tolerant].
overrides.tolerence``) and the fix, with the closest valid name when a name is
misspelled. Validation is complete before any simulation starts, so a typo
never costs an hour of computing (exit status 2, one line, no traceback:
README.md, Running experiments).

Names and bounds are never restated here: parameters are checked through
:data:`model.params.DECLARATIONS`, regimes through :data:`model.regimes.REGIMES`,
error pairs through :data:`model.regimes.ERRORS` and outcomes through
:data:`model.outcomes.OUTCOMES`, where each is declared once.

Scenario file (``sixerrors compare FILE``)::

    title = "Tolerance against repression"   # optional
    steps = 100            # steps per run
    replications = 10      # paired replications (common random numbers)
    residents = 1000       # residents per run
    seed = 20120101        # root seed; replicate r uses the same seed everywhere
    outcomes = ["mean_legitimacy", "mean_grievance"]   # default: every outcome
    regimes = "all"        # or a list: each named regime becomes a scenario
    errors = "all"         # or a list of numbers 1..6: the article's pairs
    overrides = { inflow_rate = 0.04 }   # world/lever values for every scenario

    [scenarios.tolerant]   # a named scenario: a regime plus overrides
    regime = "baseline"
    overrides = { tolerance = 0.8 }
    description = "Baseline, but petitions are mostly accepted."

    [pairs.tolerance]      # a custom paired difference: remedy minus error
    error = "baseline"
    remedy = "tolerant"
    expected = { mean_legitimacy = 1 }

Sweep spec (``sixerrors sweep SPEC``) and sensitivity spec (``sixerrors
sensitivity SPEC``) share ``name``, ``regime``, ``steps``, ``residents``,
``replications``, ``seed``, ``outcomes`` and ``overrides``; a sweep adds
``design`` (``factorial`` or ``lhs``), ``samples`` (LHS) and a ``[factors]``
table of levels (a list) or ranges (``{ low, high, levels }``); a
sensitivity spec adds ``method`` (``sobol`` or ``morris``), ``base_samples``
(Sobol's N, a power of two), ``trajectories`` and ``levels`` (Morris),
``second_order`` and ``[factors]`` of ``{ low, high }`` bounds (default: the
declared bounds).

In both, a factor written ``name = "plausible"`` is sampled over its declared
plausible range (:attr:`model.params.Declaration.plausible`), so specs follow
the declarations when the calibration moves them. Both may target an error
pair instead of one regime, to study a claim rather than a level::

    pair = 3                  # the article's Error 3 (model.regimes.ERRORS)

    [pair]                    # or any two regimes, with an optional claim
    error = "rigid_suppression"
    remedy = "safety_valve"
    expected = { mean_legitimacy = 1 }

Each design point then runs both regimes with the same seed (common random
numbers) and the outputs are the paired differences ``diff_<outcome>_final``
and ``diff_<outcome>_mean`` (remedy minus error; see
:func:`experiments.tasks.paired_task`). A lever in which the two regimes
differ can be neither varied nor fixed: it would make them the same.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from model.outcomes import OUTCOMES
from model.params import DECLARATIONS, LEVER_NAMES, ParameterError, mechanisms_only
from model.regimes import ERRORS, REGIMES, VARIANT_PAIRS

DEFAULT_STEPS = 100
DEFAULT_REPLICATIONS = 10
DEFAULT_RESIDENTS = 1000
DEFAULT_SEED = 20120101
"""Defaults when a file leaves a setting out (the default comparison's sizes)."""

MAX_STEPS = 100_000
MAX_REPLICATIONS = 100_000


class SpecError(ValueError):
    """A spec file that cannot be run, with a one-line message.

    The message names the file, the place in it and the fix, so the command
    line prints it as it is.
    """


# --------------------------------------------------------------------------- helpers


def _closest(name: str, candidates: Iterable[str]) -> str:
    match = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.5)
    return f" (did you mean '{match[0]}'?)" if match else ""


def _place(*parts: str | int) -> str:
    """TOML place: ``[scenarios.tolerant].overrides.tolerence`` style."""
    if not parts:
        return "top level"
    if len(parts) >= 2 and parts[0] in ("scenarios", "pairs"):
        head = f"[{parts[0]}.{parts[1]}]"
        rest = ".".join(str(p) for p in parts[2:])
        return f"{head}.{rest}" if rest else head
    text = str(parts[0])
    for p in parts[1:]:
        text += f"[{p}]" if isinstance(p, int) else f".{p}"
    return text


class _Reader:
    """Reads values out of a parsed TOML document, failing with a placed message."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, place: str, problem: str) -> SpecError:
        return SpecError(f"{self.path}: {place}: {problem}")

    def check_keys(
        self, table: Mapping[str, Any], allowed: Iterable[str], *where: str | int
    ) -> None:
        allowed = tuple(allowed)
        for key in table:
            if key not in allowed:
                raise self.fail(
                    _place(*where, key),
                    f"unknown key '{key}'{_closest(key, allowed)}; "
                    f"valid keys here: {', '.join(allowed)}",
                )

    def table(self, doc: Mapping[str, Any], key: str, *where: str | int) -> dict[str, Any]:
        value = doc.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(_place(*where, key), f"must be a table like {key} = {{ name = value }}")
        return value

    def integer(
        self,
        doc: Mapping[str, Any],
        key: str,
        default: int,
        low: int,
        high: int,
        *where: str | int,
    ) -> int:
        value = doc.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(
                _place(*where, key),
                f"{key} = {value!r} must be a whole number between {low} and {high}",
            )
        if not low <= value <= high:
            raise self.fail(
                _place(*where, key),
                f"{key} = {value} is out of range; use a whole number between {low} and {high}",
            )
        return value

    def string(
        self, doc: Mapping[str, Any], key: str, default: str | None, *where: str | int
    ) -> str:
        value = doc.get(key, default)
        if value is None:
            raise self.fail(_place(*where), f"missing '{key}'; add {key} = \"...\"")
        if not isinstance(value, str):
            raise self.fail(_place(*where, key), f"{key} = {value!r} must be a quoted string")
        return value

    def choice(
        self,
        doc: Mapping[str, Any],
        key: str,
        default: str | None,
        choices: Iterable[str],
        *where: str | int,
        what: str = "",
    ) -> str:
        """A string that must be one of ``choices`` (the closest is suggested).

        ``what`` names the kind of value in the message (default: the key).
        """
        valid = tuple(choices)
        value = self.string(doc, key, default, *where)
        if value not in valid:
            raise self.fail(
                _place(*where, key),
                f"unknown {what or key} '{value}'{_closest(value, valid)}; "
                f"choose one of {', '.join(valid)}",
            )
        return value

    def boolean(self, doc: Mapping[str, Any], key: str, default: bool, *where: str | int) -> bool:
        value = doc.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(_place(*where, key), f"{key} = {value!r} must be true or false")
        return value

    def regime(self, doc: Mapping[str, Any], key: str, *where: str | int) -> str:
        return self.choice(doc, key, None, REGIMES, *where, what="regime")

    def outcomes(self, doc: Mapping[str, Any], *where: str | int) -> tuple[str, ...]:
        value = doc.get("outcomes", list(OUTCOMES))
        if isinstance(value, str):
            value = list(OUTCOMES) if value == "all" else [value]
        if not isinstance(value, list) or not value:
            raise self.fail(
                _place(*where, "outcomes"),
                'must be "all" or a non-empty list of outcome names like ["mean_legitimacy"]',
            )
        for i, name in enumerate(value):
            if not isinstance(name, str) or name not in OUTCOMES:
                raise self.fail(
                    _place(*where, "outcomes", i),
                    f"unknown outcome {name!r}{_closest(str(name), OUTCOMES)}; "
                    f"valid outcomes: {', '.join(OUTCOMES)}",
                )
        return tuple(dict.fromkeys(value))

    def parameter(self, name: str, value: Any, place: str) -> Any:
        """One parameter value, checked against its declaration; ``place`` is where it sits."""
        if name not in DECLARATIONS:
            raise self.fail(
                place,
                f"unknown parameter '{name}'{_closest(name, DECLARATIONS)}; "
                "see the parameter table in ODD.md for every valid name",
            )
        if name == "n_residents":
            raise self.fail(place, "set the population size with 'residents', not in overrides")
        try:
            return DECLARATIONS[name].check(value)
        except ParameterError as exc:
            raise self.fail(place, str(exc)) from None

    def overrides(self, doc: Mapping[str, Any], *where: str | int) -> dict[str, Any]:
        table = self.table(doc, "overrides", *where)
        return {k: self.parameter(k, v, _place(*where, "overrides", k)) for k, v in table.items()}


def _load(path: str | Path) -> tuple[Path, dict[str, Any]]:
    """Parse a TOML file, turning every file problem into a one-line SpecError."""
    p = Path(path)
    if p.is_dir():
        raise SpecError(f"{p}: is a folder; give the path of a .toml file")
    try:
        text = p.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise SpecError(
            f"{p}: no such file; check the path (shipped examples are in experiments/scenarios/)"
        ) from None
    except UnicodeDecodeError:
        raise SpecError(f"{p}: not UTF-8 text; save the file as UTF-8 TOML") from None
    except OSError as exc:
        raise SpecError(f"{p}: cannot read it ({exc.strerror}); check its permissions") from None
    try:
        return p, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(
            f"{p}: malformed TOML: {exc}; fix the syntax there (see https://toml.io)"
        ) from None


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


# --------------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class Scenario:
    """One named scenario: a regime plus parameter and lever overrides.

    Attributes:
        name: Identifier in tables and figures.
        regime: Name of a regime in :data:`model.regimes.REGIMES`.
        overrides: Validated ``name -> value`` for parameters and levers.
        description: One line for the report.
    """

    name: str
    regime: str
    overrides: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""


FULL_MODEL, MECHANISMS_ONLY = "full model", "mechanisms only"
"""The two variants every article pair is reported in."""

MECHANISMS_SUFFIX = " (mechanisms only)"
"""Appended to a regime's name for its scenario with the assumed payoffs off."""

MECHANISMS_PAIR_SUFFIX = "_mechanisms"
"""Appended to an article pair's name for its variant with the assumed payoffs off."""


def pair_name(key: str, suffix: str = "") -> str:
    """A comparison's name of an article pair: ``error_<key>`` and a variant's suffix.

    ``key`` is the error's key ("1" .. "6", "1b"); ``suffix`` is "" for the
    full model and :data:`MECHANISMS_PAIR_SUFFIX` for the mechanisms only.
    """
    return f"error_{key}{suffix}"


def discovery_label(key: str) -> str:
    """Discovery's label of an error key: ``error_<n>`` for the article's six, else the key."""
    return pair_name(key) if key.isdigit() else key


def error_key(name: str) -> str:
    """The error key ("1" .. "6", "1b") of a pair name or discovery label (no suffix)."""
    return name.removeprefix("error_")


@dataclass(frozen=True)
class Pair:
    """A paired contrast between two scenarios: ``remedy - error``.

    Attributes:
        name: Identifier, ``error_1`` .. ``error_6`` for the article's pairs.
        title: Human title for tables and the report.
        error: Scenario name playing the error.
        remedy: Scenario name playing the remedy.
        expected: Outcome -> expected sign (+1/-1) of remedy minus error.
        number: The article's error number, or ``None`` for a custom pair.
        levers: The levers in which the two differ (documentation only).
        variant: ``full model``, or ``mechanisms only`` for the same pair
            run with every assumed direct payoff switched off
            (:func:`model.mechanisms_only`): how much of a difference is
            assumed and how much emerges.
        claim: The claim of the article the pair tests.
    """

    name: str
    title: str
    error: str
    remedy: str
    expected: Mapping[str, int] = field(default_factory=dict)
    number: int | None = None
    levers: tuple[str, ...] = ()
    variant: str = FULL_MODEL
    claim: str = ""


@dataclass(frozen=True)
class ScenarioSpec:
    """A validated scenario file: what ``sixerrors compare`` runs.

    Attributes:
        name: Name of the comparison (the file's stem); names the results folder.
        source: Path of the file, or ``None`` for the built-in default.
        title: Human title for the report.
        steps: Steps per run.
        replications: Paired replications per scenario.
        residents: Residents per run.
        seed: Root seed; replicate ``r`` uses a seed derived from it and ``r`` only.
        outcomes: Outcomes of interest (table, figure and report order).
        scenarios: Scenarios in file order.
        pairs: Paired contrasts (the article's error pairs first).
    """

    name: str
    source: str | None
    title: str
    steps: int
    replications: int
    residents: int
    seed: int
    outcomes: tuple[str, ...]
    scenarios: tuple[Scenario, ...]
    pairs: tuple[Pair, ...]

    def scenario(self, name: str) -> Scenario:
        """The scenario called ``name``."""
        for s in self.scenarios:
            if s.name == name:
                return s
        raise KeyError(name)

    def with_settings(
        self,
        *,
        replications: int | None = None,
        steps: int | None = None,
        residents: int | None = None,
        seed: int | None = None,
    ) -> ScenarioSpec:
        """This spec with some run sizes replaced (command-line options), validated."""
        doc: dict[str, Any] = {}
        for key, value, default in (
            ("replications", replications, self.replications),
            ("steps", steps, self.steps),
            ("residents", residents, self.residents),
            ("seed", seed, self.seed),
        ):
            doc[key] = default if value is None else value
        reader = _Reader(Path("command line"))
        return ScenarioSpec(
            name=self.name,
            source=self.source,
            title=self.title,
            steps=reader.integer(doc, "steps", self.steps, 1, MAX_STEPS),
            replications=reader.integer(
                doc, "replications", self.replications, 1, MAX_REPLICATIONS
            ),
            residents=_residents(reader, doc, self.residents),
            seed=reader.integer(doc, "seed", self.seed, 0, 2**63 - 1),
            outcomes=self.outcomes,
            scenarios=self.scenarios,
            pairs=self.pairs,
        )


_SCENARIO_FILE_KEYS = (
    "title",
    "steps",
    "replications",
    "residents",
    "seed",
    "outcomes",
    "regimes",
    "errors",
    "overrides",
    "scenarios",
    "pairs",
    "mechanisms_only",
)


def _residents(reader: _Reader, doc: Mapping[str, Any], default: int) -> int:
    d = DECLARATIONS["n_residents"]
    assert d.low is not None and d.high is not None
    return reader.integer(doc, "residents", default, int(d.low), int(d.high))


def _expected(
    reader: _Reader, table: Mapping[str, Any], outcomes: Iterable[str], *where: str | int
) -> dict[str, int]:
    expected = reader.table(table, "expected", *where)
    out: dict[str, int] = {}
    for name, sign in expected.items():
        if name not in OUTCOMES:
            raise reader.fail(
                _place(*where, "expected", name),
                f"unknown outcome '{name}'{_closest(name, OUTCOMES)}; "
                f"valid outcomes: {', '.join(OUTCOMES)}",
            )
        if isinstance(sign, bool) or sign not in (1, -1):
            raise reader.fail(
                _place(*where, "expected", name),
                f"{name} = {sign!r} must be 1 (remedy higher) or -1 (remedy lower)",
            )
        out[name] = int(sign)
    return out


def _selection(
    reader: _Reader, doc: Mapping[str, Any], key: str, valid: Mapping[Any, Any], default: Any
) -> list[Any]:
    """``"all"``, ``"none"`` or a list drawn from ``valid`` (regimes or error numbers)."""
    value = doc.get(key, default)
    if value == "all":
        return list(valid)
    if value in ("none", []):
        return []
    if not isinstance(value, list):
        raise reader.fail(_place(key), f'{key} must be "all", "none" or a list')
    for i, item in enumerate(value):
        if item not in valid or isinstance(item, bool):
            hint = _closest(str(item), [str(v) for v in valid])
            raise reader.fail(
                _place(key, i),
                f"unknown {key[:-1]} {item!r}{hint}; choose from "
                f"{', '.join(str(v) for v in valid)}",
            )
    return list(dict.fromkeys(value))


def parse_scenarios(
    doc: Mapping[str, Any], source: str | Path, *, name: str | None = None
) -> ScenarioSpec:
    """Validate a parsed scenario document.

    Separate from :func:`load_scenarios` so tests and the built-in default can
    validate dictionaries without touching the disk.
    """
    path = Path(source)
    reader = _Reader(path)
    reader.check_keys(doc, _SCENARIO_FILE_KEYS)
    title = reader.string(doc, "title", path.stem)
    steps = reader.integer(doc, "steps", DEFAULT_STEPS, 1, MAX_STEPS)
    replications = reader.integer(doc, "replications", DEFAULT_REPLICATIONS, 1, MAX_REPLICATIONS)
    residents = _residents(reader, doc, DEFAULT_RESIDENTS)
    seed = reader.integer(doc, "seed", DEFAULT_SEED, 0, 2**63 - 1)
    outcomes = reader.outcomes(doc)
    common = reader.overrides(doc)

    scenarios: dict[str, Scenario] = {}
    pairs: list[Pair] = []

    def add_regime(regime_name: str) -> None:
        if regime_name not in scenarios:
            scenarios[regime_name] = Scenario(
                regime_name, regime_name, _frozen(common), REGIMES[regime_name].description
            )

    # With none of the four selections given, the file means "everything".
    explicit = any(k in doc for k in ("scenarios", "pairs", "regimes", "errors"))
    everything: Any = [] if explicit else "all"
    for regime_name in _selection(reader, doc, "regimes", REGIMES, everything):
        add_regime(regime_name)

    table = reader.table(doc, "scenarios")
    for sname, entry in table.items():
        where = ("scenarios", sname)
        if not isinstance(entry, dict):
            raise reader.fail(_place(*where), 'must be a table with regime = "..."')
        reader.check_keys(entry, ("regime", "overrides", "description"), *where)
        regime_name = reader.regime(entry, "regime", *where)
        own = reader.overrides(entry, *where)
        description = reader.string(entry, "description", "", *where)
        scenarios[sname] = Scenario(sname, regime_name, _frozen(common | own), description)

    with_mechanisms_only = reader.boolean(doc, "mechanisms_only", True)
    article_pairs = [(str(number), ERRORS[number]) for number in
                     _selection(reader, doc, "errors", ERRORS, everything)]  # fmt: skip
    if article_pairs and len(article_pairs) == len(ERRORS):
        article_pairs += list(VARIANT_PAIRS.items())
    for label, e in article_pairs:
        add_regime(e.error_regime)
        add_regime(e.remedy_regime)
        variants = [(FULL_MODEL, "", e.error_regime, e.remedy_regime)]
        if with_mechanisms_only:
            for regime_name in (e.error_regime, e.remedy_regime):
                mechanisms = regime_name + MECHANISMS_SUFFIX
                if mechanisms not in scenarios:
                    scenarios[mechanisms] = Scenario(
                        mechanisms, regime_name, _frozen(common | mechanisms_only()),
                        "The same regime with every assumed direct payoff switched off.",
                    )  # fmt: skip
            variants.append(
                (
                    MECHANISMS_ONLY,
                    MECHANISMS_PAIR_SUFFIX,
                    e.error_regime + MECHANISMS_SUFFIX,
                    e.remedy_regime + MECHANISMS_SUFFIX,
                )
            )
        for variant, suffix, error, remedy in variants:
            pairs.append(
                Pair(
                    name=pair_name(label, suffix),
                    title=f"Error {label}: {e.title}",
                    error=error,
                    remedy=remedy,
                    expected=_frozen(e.expected),
                    number=e.number,
                    levers=tuple(e.levers),
                    variant=variant,
                    claim=e.claim,
                )
            )

    for pname, entry in reader.table(doc, "pairs").items():
        where = ("pairs", pname)
        if not isinstance(entry, dict):
            raise reader.fail(
                _place(*where), 'must be a table with error = "..." and remedy = "..."'
            )
        reader.check_keys(entry, ("title", "error", "remedy", "expected"), *where)
        ends = {}
        for role in ("error", "remedy"):
            sname = reader.string(entry, role, None, *where)
            if sname not in scenarios:
                raise reader.fail(
                    _place(*where, role),
                    f"unknown scenario '{sname}'{_closest(sname, scenarios)}; define it under "
                    f"[scenarios.{sname}] or list its regime in regimes",
                )
            ends[role] = sname
        if pname in {p.name for p in pairs}:
            raise reader.fail(_place(*where), f"pair name '{pname}' is taken; rename it")
        pairs.append(
            Pair(
                name=pname,
                title=reader.string(entry, "title", pname, *where),
                error=ends["error"],
                remedy=ends["remedy"],
                expected=_frozen(_expected(reader, entry, outcomes, *where)),
            )
        )

    if not scenarios:
        raise reader.fail(
            "top level",
            'nothing to run; add regimes = "all", errors = "all" or a [scenarios.NAME] table',
        )
    # Outcomes a pair makes a claim about are always summarised.
    for pair in pairs:
        outcomes = tuple(dict.fromkeys((*outcomes, *pair.expected)))
    return ScenarioSpec(
        name=name or path.stem,
        source=str(path),
        title=title,
        steps=steps,
        replications=replications,
        residents=residents,
        seed=seed,
        outcomes=outcomes,
        scenarios=tuple(scenarios.values()),
        pairs=tuple(pairs),
    )


def load_scenarios(path: str | Path) -> ScenarioSpec:
    """Load and validate a scenario file; raise :class:`SpecError` on any problem."""
    p, doc = _load(path)
    return parse_scenarios(doc, p)


DEFAULT_SCENARIOS = Path(__file__).parent / "scenarios" / "default.toml"
"""The scenario file ``sixerrors compare`` runs when given none."""


def default_scenarios() -> ScenarioSpec:
    """The built-in comparison: every named regime and every error pair."""
    return load_scenarios(DEFAULT_SCENARIOS)


# --------------------------------------------------------------------------- paired regimes


@dataclass(frozen=True)
class RegimePair:
    """Two regimes that a sweep or sensitivity analysis runs paired at every point.

    Attributes:
        error: Regime committing the error (the subtrahend).
        remedy: Regime applying the remedy.
        expected: The claim, outcome -> sign (+1/-1) of remedy minus error;
            may be empty for a custom pair.
        number: The article's error number, or ``None`` for a custom pair.
        levers: The levers in which the two regimes differ (neither may be
            varied or fixed by the spec).
    """

    error: str
    remedy: str
    expected: Mapping[str, int] = field(default_factory=dict)
    number: int | None = None
    levers: tuple[str, ...] = ()


def differing_levers(error: str, remedy: str) -> tuple[str, ...]:
    """The levers whose resolved values differ between two named regimes."""
    a, b = REGIMES[error].resolve(), REGIMES[remedy].resolve()
    return tuple(name for name in LEVER_NAMES if getattr(a, name) != getattr(b, name))


def article_pair(number: int) -> RegimePair:
    """The article's error ``number`` as a :class:`RegimePair`."""
    e = ERRORS[number]
    return RegimePair(
        error=e.error_regime,
        remedy=e.remedy_regime,
        expected=_frozen(e.expected),
        number=number,
        levers=differing_levers(e.error_regime, e.remedy_regime),
    )


def _regime_pair(reader: _Reader, value: Any, *where: str) -> RegimePair:
    """An error number or a table of two regimes (``error``, ``remedy``, ``expected``).

    ``where`` is the value's place in the file, e.g. ``("pair",)`` or
    ``("pairs", "mine")``.
    """
    place = _place(*where)
    if isinstance(value, int) and not isinstance(value, bool):
        if value not in ERRORS:
            raise reader.fail(
                place,
                f"pair = {value} is not one of the article's errors; use a number from "
                f"{min(ERRORS)} to {max(ERRORS)}, or a [pair] table with error and remedy",
            )
        return article_pair(value)
    if not isinstance(value, dict):
        raise reader.fail(
            place,
            "must be an error number like pair = 3, or a [pair] table with "
            'error = "..." and remedy = "..."',
        )
    error = reader.regime(value, "error", *where)
    remedy = reader.regime(value, "remedy", *where)
    levers = differing_levers(error, remedy)
    if not levers:
        raise reader.fail(
            place,
            f"'{error}' and '{remedy}' set every lever alike, so every difference is zero; "
            "pair two regimes that differ",
        )
    expected = _expected(reader, value, OUTCOMES, *where)
    return RegimePair(error=error, remedy=remedy, expected=_frozen(expected), levers=levers)


def _check_pair_levers(
    reader: _Reader, pair: RegimePair | None, names: Iterable[str], where: str
) -> None:
    """Refuse to vary or fix a lever that tells the pair's regimes apart."""
    if pair is None:
        return
    for name in names:
        if name in pair.levers:
            raise reader.fail(
                _place(where, name),
                f"{name} is a lever in which '{pair.error}' and '{pair.remedy}' differ; "
                "setting it here would make the two regimes alike, so remove it",
            )


def _regime_or_pair(reader: _Reader, doc: Mapping[str, Any]) -> tuple[str, RegimePair | None]:
    """The spec's one regime, or its pair (then the regime field is unused)."""
    pair = None
    if "pair" in doc:
        if isinstance(doc["pair"], dict):
            reader.check_keys(doc["pair"], ("error", "remedy", "expected"), "pair")
        pair = _regime_pair(reader, doc["pair"], "pair")
    if pair is not None and "regime" in doc:
        raise reader.fail(
            "regime",
            'give either regime = "..." (one regime) or pair (two, paired), not both',
        )
    regime = reader.regime(doc, "regime") if "regime" in doc else "baseline"
    return regime, pair


# --------------------------------------------------------------------------- sweeps


@dataclass(frozen=True)
class Factor:
    """One varied parameter of a sweep or sensitivity analysis.

    Attributes:
        name: A declared parameter or lever.
        low: Lower bound of the range (``None`` for a list of levels).
        high: Upper bound of the range (``None`` for a list of levels).
        levels: Explicit values (factorial designs), in order.
    """

    name: str
    low: float | None = None
    high: float | None = None
    levels: tuple[Any, ...] = ()


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep spec: a design over some factors, on one regime.

    Attributes:
        name: Names the results folder (file stem unless ``name`` is set).
        source: Path of the file.
        regime: Regime every run starts from.
        design: ``factorial`` (every combination of levels) or ``lhs``.
        samples: Number of Latin hypercube points (``lhs`` only).
        factors: The varied parameters.
        overrides: Fixed parameter and lever values for every run.
        steps: Steps per run.
        residents: Residents per run.
        replications: Runs per design point.
        seed: Root seed.
        outcomes: Outcomes to keep.
        pair: Two regimes run paired at every point instead of ``regime``
            (outputs are remedy-minus-error differences), or ``None``.
    """

    name: str
    source: str
    regime: str
    design: str
    samples: int
    factors: tuple[Factor, ...]
    overrides: Mapping[str, Any]
    steps: int
    residents: int
    replications: int
    seed: int
    outcomes: tuple[str, ...]
    pair: RegimePair | None = None


SWEEP_DESIGNS = ("factorial", "lhs")
PLAUSIBLE = "plausible"
"""A factor written ``name = "plausible"`` spans its declared plausible range."""
_COMMON_KEYS = (
    "name",
    "regime",
    "pair",
    "steps",
    "residents",
    "replications",
    "seed",
    "outcomes",
)
_SWEEP_KEYS = (*_COMMON_KEYS, "design", "samples", "factors", "overrides")


def _factor(
    reader: _Reader,
    name: str,
    entry: Any,
    *,
    levels_ok: bool,
    where: tuple[str, ...] = ("factors",),
) -> Factor:
    if name not in DECLARATIONS:
        raise reader.fail(
            _place(*where, name),
            f"unknown parameter '{name}'{_closest(name, DECLARATIONS)}; "
            "see the parameter table in ODD.md for every valid name",
        )
    declaration = DECLARATIONS[name]
    if entry == PLAUSIBLE:
        plausible = declaration.plausible
        if plausible is None or not plausible[0] < plausible[1]:
            raise reader.fail(
                _place(*where, name),
                f"{name} has no plausible range to sample (a switch, a choice or a single "
                "value); give { low = ..., high = ... } or list its levels",
            )
        return Factor(name, plausible[0], plausible[1])
    if isinstance(entry, list):
        if not levels_ok:
            raise reader.fail(
                _place(*where, name), f"give bounds as {name} = {{ low = ..., high = ... }}"
            )
        if not entry:
            raise reader.fail(_place(*where, name), "needs at least one level")
        values = tuple(
            reader.parameter(name, v, _place(*where, name, i)) for i, v in enumerate(entry)
        )
        return Factor(name, levels=values)
    if isinstance(entry, dict):
        allowed = ("low", "high", "levels") if levels_ok else ("low", "high")
        reader.check_keys(entry, allowed, *where, name)
        if declaration.kind not in ("float", "int"):
            raise reader.fail(
                _place(*where, name),
                f"{name} is a {declaration.kind}; list its values instead of a range",
            )
        assert declaration.low is not None and declaration.high is not None
        low = reader.parameter(name, entry.get("low", declaration.low), _place(*where, name, "low"))
        high = reader.parameter(
            name, entry.get("high", declaration.high), _place(*where, name, "high")
        )
        if not low < high:
            raise reader.fail(
                _place(*where, name), f"low = {low} must be below high = {high}; swap or widen them"
            )
        n_levels = 0
        if "levels" in entry:
            n_levels = reader.integer(entry, "levels", 2, 2, 1000, *where, name)
            if declaration.kind == "int":
                n_levels = min(n_levels, int(high) - int(low) + 1)
            step = (high - low) / (n_levels - 1)
            raw = [low + i * step for i in range(n_levels)]
            if declaration.kind == "int":
                raw = [round(v) for v in raw]
            return Factor(name, float(low), float(high), tuple(dict.fromkeys(raw)))
        return Factor(name, float(low), float(high))
    raise reader.fail(
        _place(*where, name),
        f"must be a list of levels, a range like {name} = {{ low = 0.1, high = 0.9 }} "
        f'or {name} = "{PLAUSIBLE}"',
    )


def _factors(reader: _Reader, doc: Mapping[str, Any], *, levels_ok: bool) -> tuple[Factor, ...]:
    table = reader.table(doc, "factors")
    if not table:
        raise reader.fail("[factors]", "no factors; add e.g. [factors] tolerance = [0.2, 0.8]")
    return tuple(_factor(reader, k, v, levels_ok=levels_ok) for k, v in table.items())


def load_sweep(path: str | Path) -> SweepSpec:
    """Load and validate a sweep spec; raise :class:`SpecError` on any problem."""
    p, doc = _load(path)
    return parse_sweep(doc, p)


def parse_sweep(doc: Mapping[str, Any], source: str | Path) -> SweepSpec:
    """Validate a parsed sweep document (see the module docstring for keys)."""
    path = Path(source)
    reader = _Reader(path)
    reader.check_keys(doc, _SWEEP_KEYS)
    design = reader.choice(doc, "design", "factorial", SWEEP_DESIGNS)
    factors = _factors(reader, doc, levels_ok=True)
    if design == "factorial":
        for f in factors:
            if not f.levels:
                raise reader.fail(
                    _place("factors", f.name),
                    "a factorial design needs levels; add levels = N or list the values",
                )
    elif any(f.low is None for f in factors):
        bad = next(f for f in factors if f.low is None)
        raise reader.fail(
            _place("factors", bad.name),
            "an lhs design samples ranges; give { low = ..., high = ... }",
        )
    varied = {f.name for f in factors}
    overrides = reader.overrides(doc)
    clash = varied & set(overrides)
    if clash:
        raise reader.fail(
            _place("overrides", sorted(clash)[0]),
            "is both fixed and varied; remove it from overrides or from [factors]",
        )
    regime, pair = _regime_or_pair(reader, doc)
    _check_pair_levers(reader, pair, varied, "factors")
    _check_pair_levers(reader, pair, overrides, "overrides")
    return SweepSpec(
        name=reader.string(doc, "name", path.stem),
        source=str(path),
        regime=regime,
        design=design,
        samples=reader.integer(doc, "samples", 16, 1, 1_000_000),
        factors=factors,
        overrides=_frozen(overrides),
        steps=reader.integer(doc, "steps", DEFAULT_STEPS, 1, MAX_STEPS),
        residents=_residents(reader, doc, DEFAULT_RESIDENTS),
        replications=reader.integer(doc, "replications", 1, 1, MAX_REPLICATIONS),
        seed=reader.integer(doc, "seed", DEFAULT_SEED, 0, 2**63 - 1),
        outcomes=reader.outcomes(doc),
        pair=pair,
    )


# --------------------------------------------------------------------------- sensitivity


@dataclass(frozen=True)
class SensitivitySpec:
    """A validated sensitivity spec: Sobol or Morris over some factors.

    Attributes:
        name: Names the results folder.
        source: Path of the file.
        method: ``sobol`` (Saltelli sampling, Sobol indices) or ``morris``.
        regime: Regime every run starts from.
        factors: Varied parameters with their ``low``/``high`` bounds.
        overrides: Fixed parameter and lever values.
        base_samples: Sobol's base sample size N (a power of two).
        second_order: Whether Sobol estimates second-order indices.
        trajectories: Morris trajectories.
        levels: Morris grid levels.
        steps: Steps per run.
        residents: Residents per run.
        replications: Runs per design point (averaged, checked for noise).
        seed: Root seed.
        outcomes: Outcomes analysed.
        pair: Two regimes run paired at every point instead of ``regime``
            (the analysed outputs are their differences), or ``None``.
    """

    name: str
    source: str
    method: str
    regime: str
    factors: tuple[Factor, ...]
    overrides: Mapping[str, Any]
    base_samples: int
    second_order: bool
    trajectories: int
    levels: int
    steps: int
    residents: int
    replications: int
    seed: int
    outcomes: tuple[str, ...]
    pair: RegimePair | None = None


SENSITIVITY_METHODS = ("sobol", "morris")
_SENSITIVITY_KEYS = (
    *_COMMON_KEYS,
    "method",
    "base_samples",
    "second_order",
    "trajectories",
    "levels",
    "factors",
    "overrides",
)


def load_sensitivity(path: str | Path) -> SensitivitySpec:
    """Load and validate a sensitivity spec; raise :class:`SpecError` on any problem."""
    p, doc = _load(path)
    return parse_sensitivity(doc, p)


def parse_sensitivity(doc: Mapping[str, Any], source: str | Path) -> SensitivitySpec:
    """Validate a parsed sensitivity document (see the module docstring for keys)."""
    path = Path(source)
    reader = _Reader(path)
    reader.check_keys(doc, _SENSITIVITY_KEYS)
    method = reader.choice(doc, "method", "sobol", SENSITIVITY_METHODS)
    base_samples = reader.integer(doc, "base_samples", 64, 1, 2**20)
    if method == "sobol" and base_samples & (base_samples - 1):
        lower = 1 << (base_samples.bit_length() - 1)
        raise reader.fail(
            "base_samples",
            f"base_samples = {base_samples} is not a power of two (Sobol sequences need one); "
            f"use {lower} or {lower * 2}",
        )
    factors = _factors(reader, doc, levels_ok=False)
    if len(factors) < 2:
        raise reader.fail("[factors]", "needs at least two factors to apportion variance")
    overrides = reader.overrides(doc)
    clash = {f.name for f in factors} & set(overrides)
    if clash:
        raise reader.fail(
            _place("overrides", sorted(clash)[0]),
            "is both fixed and varied; remove it from overrides or from [factors]",
        )
    regime, pair = _regime_or_pair(reader, doc)
    _check_pair_levers(reader, pair, (f.name for f in factors), "factors")
    _check_pair_levers(reader, pair, overrides, "overrides")
    return SensitivitySpec(
        name=reader.string(doc, "name", path.stem),
        source=str(path),
        method=method,
        regime=regime,
        factors=factors,
        overrides=_frozen(overrides),
        base_samples=base_samples,
        second_order=reader.boolean(doc, "second_order", False),
        trajectories=reader.integer(doc, "trajectories", 10, 2, 100_000),
        levels=reader.integer(doc, "levels", 4, 2, 100),
        steps=reader.integer(doc, "steps", DEFAULT_STEPS, 1, MAX_STEPS),
        residents=_residents(reader, doc, DEFAULT_RESIDENTS),
        replications=reader.integer(doc, "replications", 1, 1, MAX_REPLICATIONS),
        seed=reader.integer(doc, "seed", DEFAULT_SEED, 0, 2**63 - 1),
        outcomes=reader.outcomes(doc),
        pair=pair,
    )


# --------------------------------------------------------------------------- discovery


@dataclass(frozen=True)
class Claim:
    """One pair's claim to search for failure: its regimes, world factors and outcomes.

    Attributes:
        label: ``error_<n>`` for the article's pairs, else the table's name.
        title: Human title for tables and figures.
        pair: The two regimes and the expected signs.
        factors: World parameters sampled (Latin hypercube) for this pair.
        outcomes: Outcomes whose expected sign is tested (default: every
            outcome of ``pair.expected``).
        overrides: Fixed world values for this pair's runs.
    """

    label: str
    title: str
    pair: RegimePair
    factors: tuple[Factor, ...]
    outcomes: tuple[str, ...]
    overrides: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PrimSettings:
    """How PRIM peels and which boxes are kept (``[prim]`` in a discovery spec).

    Attributes:
        target: ``reversal`` (points whose mean paired difference has the
            opposite sign to the claim) or ``failure`` (points where the
            claim is not borne out: reversed, no effect, or a 95 % interval
            that straddles zero).
        peel_alpha: Share of points peeled per step (Friedman & Fisher 1999).
        paste_alpha: Share of points pasted back per step.
        mass_min: Smallest share of all points a box may hold.
        min_density: Least share of target points a box must hold to be
            chosen; the most covering box that reaches it is kept.
        max_boxes: Boxes sought one after the other (PRIM's covering).
    """

    target: str = "reversal"
    peel_alpha: float = 0.05
    paste_alpha: float = 0.05
    mass_min: float = 0.05
    min_density: float = 0.8
    max_boxes: int = 2


PRIM_TARGETS = ("reversal", "failure")
STATISTICS = ("mean", "final")
"""Which run summary a claim is judged on: the time average (steps 1..T) or the last step."""


@dataclass(frozen=True)
class DiscoverySpec:
    """A validated discovery spec: where each pair's claim fails (``sixerrors discover``).

    Attributes:
        name: Names the results folder.
        source: Path of the file.
        samples: Latin hypercube points per pair.
        replications: Paired runs per point (averaged; their spread gives
            each point's interval).
        steps: Steps per run.
        residents: Residents per run.
        seed: Root seed (designs and runs).
        statistic: ``mean`` or ``final``, see :data:`STATISTICS`.
        prim: PRIM's settings.
        claims: The pairs searched, in file order.
        overrides: Fixed world values for every pair.
    """

    name: str
    source: str
    samples: int
    replications: int
    steps: int
    residents: int
    seed: int
    statistic: str
    prim: PrimSettings
    claims: tuple[Claim, ...]
    overrides: Mapping[str, Any] = field(default_factory=dict)

    def with_sizes(self, **sizes: int | None) -> DiscoverySpec:
        """This spec with new run sizes (command-line options), validated as in a file.

        Args:
            **sizes: Any of ``samples``, ``replications``, ``steps``,
                ``residents`` and ``seed``; ``None`` keeps the file's value.
        """
        reader = _Reader(Path("command line"))
        doc = {k: v for k, v in sizes.items() if v is not None}
        reader.check_keys(doc, _SIZE_LIMITS)
        values: dict[str, Any] = {
            key: reader.integer(doc, key, getattr(self, key), low, high)
            for key, (low, high) in _SIZE_LIMITS.items()
        }
        return replace(self, **values)


_SIZE_LIMITS: dict[str, tuple[int, int]] = {
    "samples": (2, 1_000_000),
    "replications": (1, MAX_REPLICATIONS),
    "steps": (1, MAX_STEPS),
    "residents": (
        int(DECLARATIONS["n_residents"].low or 1),
        int(DECLARATIONS["n_residents"].high or 1),
    ),
    "seed": (0, 2**63 - 1),
}
"""Bounds of the run sizes a discovery spec or the command line may set."""
_DISCOVERY_KEYS = ("name", *_SIZE_LIMITS, "statistic", "prim", "overrides", "pairs")
_CLAIM_KEYS = ("error", "remedy", "expected", "title", "factors", "outcomes", "overrides")


def _prim_settings(reader: _Reader, doc: Mapping[str, Any]) -> PrimSettings:
    table = reader.table(doc, "prim")
    defaults = PrimSettings()
    reader.check_keys(table, [f.name for f in fields(PrimSettings)], "prim")
    target = reader.choice(table, "target", defaults.target, PRIM_TARGETS, "prim")
    shares = {}
    for key in ("peel_alpha", "paste_alpha", "mass_min", "min_density"):
        value = table.get(key, getattr(defaults, key))
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
            raise reader.fail(_place("prim", key), f"{key} = {value!r} must be a share in (0, 1)")
        shares[key] = float(value)
    return PrimSettings(
        target=target,
        max_boxes=reader.integer(table, "max_boxes", defaults.max_boxes, 1, 100, "prim"),
        **shares,
    )


def _claim(
    reader: _Reader,
    key: str,
    entry: Any,
    common: Mapping[str, Any],
) -> Claim:
    where = ("pairs", key)
    if not isinstance(entry, dict):
        raise reader.fail(_place(*where), 'must be a table with factors = ["name", ...]')
    reader.check_keys(entry, _CLAIM_KEYS, *where)
    if key.isdigit():
        stray = [k for k in ("error", "remedy", "expected") if k in entry]
        if stray:
            raise reader.fail(
                _place(*where, stray[0]),
                f"[pairs.{key}] is the article's Error {key}; its regimes and claim are fixed "
                "(name the table otherwise for a pair of your own)",
            )
        pair = _regime_pair(reader, int(key), *where)
        label, title = discovery_label(key), f"Error {key}: {ERRORS[int(key)].title}"
    else:
        pair = _regime_pair(
            reader, {k: entry[k] for k in ("error", "remedy", "expected") if k in entry}, *where
        )
        if not pair.expected:
            raise reader.fail(
                _place(*where),
                "needs expected = { outcome = 1 or -1 }: discovery looks for where that claim "
                "fails",
            )
        label, title = key, reader.string(entry, "title", key, *where)
    raw = entry.get("factors")
    if isinstance(raw, list):
        raw = {name: PLAUSIBLE for name in raw}
    if not isinstance(raw, dict) or not raw:
        raise reader.fail(
            _place(*where, "factors"),
            'list the world parameters to sample, e.g. factors = ["release", "resolution"]',
        )
    factors = tuple(
        _factor(reader, name, value, levels_ok=False, where=(*where, "factors"))
        for name, value in raw.items()
    )
    for f in factors:
        if DECLARATIONS[f.name].is_lever:
            raise reader.fail(
                _place(*where, "factors", f.name),
                f"{f.name} is a policy lever; discovery samples the world (parameters), and "
                "the pair's regimes set the policy",
            )
    outcomes = tuple(pair.expected)
    if "outcomes" in entry:
        outcomes = reader.outcomes(entry, *where)
        for name in outcomes:
            if name not in pair.expected:
                raise reader.fail(
                    _place(*where, "outcomes"),
                    f"{name} has no expected sign in this pair; choose from "
                    f"{', '.join(pair.expected)}",
                )
    overrides = {**common, **reader.overrides(entry, *where)}
    _check_pair_levers(reader, pair, overrides, _place(*where, "overrides"))
    clash = {f.name for f in factors} & set(overrides)
    if clash:
        raise reader.fail(
            _place(*where, "overrides", sorted(clash)[0]),
            "is both fixed and varied; remove it from overrides or from factors",
        )
    return Claim(label, title, pair, factors, outcomes, _frozen(overrides))


def load_discovery(path: str | Path) -> DiscoverySpec:
    """Load and validate a discovery spec; raise :class:`SpecError` on any problem."""
    p, doc = _load(path)
    return parse_discovery(doc, p)


def parse_discovery(doc: Mapping[str, Any], source: str | Path) -> DiscoverySpec:
    """Validate a parsed discovery document.

    Keys: ``name``, ``samples`` (Latin hypercube points per pair),
    ``replications``, ``steps``, ``residents``, ``seed``, ``statistic``
    (``mean`` or ``final``), ``overrides``, a ``[prim]`` table
    (:class:`PrimSettings`) and one ``[pairs.KEY]`` table per pair: ``KEY``
    a number 1-6 for the article's errors, or a name with ``error``,
    ``remedy`` and ``expected`` for a pair of one's own; each with
    ``factors`` (a list of world parameters, sampled over their plausible
    ranges, or a table of ``{ low, high }`` / ``"plausible"``), and
    optionally ``outcomes`` (default: the claim's) and ``overrides``.
    """
    path = Path(source)
    reader = _Reader(path)
    reader.check_keys(doc, _DISCOVERY_KEYS)
    statistic = reader.choice(doc, "statistic", "mean", STATISTICS)
    common = reader.overrides(doc)
    pairs = reader.table(doc, "pairs")
    if not pairs:
        raise reader.fail("[pairs]", 'no pairs; add e.g. [pairs.1] factors = ["release"]')
    claims = tuple(_claim(reader, str(key), entry, common) for key, entry in pairs.items())
    return DiscoverySpec(
        name=reader.string(doc, "name", path.stem),
        source=str(path),
        samples=reader.integer(doc, "samples", 64, *_SIZE_LIMITS["samples"]),
        replications=reader.integer(doc, "replications", 4, *_SIZE_LIMITS["replications"]),
        steps=reader.integer(doc, "steps", DEFAULT_STEPS, *_SIZE_LIMITS["steps"]),
        residents=reader.integer(doc, "residents", DEFAULT_RESIDENTS, *_SIZE_LIMITS["residents"]),
        seed=reader.integer(doc, "seed", DEFAULT_SEED, *_SIZE_LIMITS["seed"]),
        statistic=statistic,
        prim=_prim_settings(reader, doc),
        claims=claims,
        overrides=_frozen(common),
    )


DEFAULT_DISCOVERY = Path(__file__).parent / "scenarios" / "discover.toml"
"""The discovery spec ``sixerrors discover`` runs when given none: all six pairs."""


def scenario_spec_from_dict(data: Mapping[str, Any]) -> ScenarioSpec:
    """Rebuild a :class:`ScenarioSpec` from its manifest form (``to_jsonable``).

    ``--resume`` reads the spec back from the results folder rather than from
    the scenario file, which may have changed since; the values were
    validated when the run started and are checked again here.
    """
    reader = _Reader(Path(str(data.get("source") or "manifest.json")))
    try:
        scenarios = tuple(
            Scenario(
                name=s["name"],
                regime=reader.regime(s, "regime", "scenarios", s["name"]),
                overrides=_frozen(
                    {
                        k: reader.parameter(k, v, _place("scenarios", s["name"], "overrides", k))
                        for k, v in s["overrides"].items()
                    }
                ),
                description=s.get("description", ""),
            )
            for s in data["scenarios"]
        )
        pairs = tuple(
            Pair(
                name=p["name"],
                title=p["title"],
                error=p["error"],
                remedy=p["remedy"],
                expected=_frozen({k: int(v) for k, v in p["expected"].items()}),
                number=p.get("number"),
                variant=p.get("variant", FULL_MODEL),
                claim=p.get("claim", ""),
                levers=tuple(p.get("levers", ())),
            )
            for p in data["pairs"]
        )
        return ScenarioSpec(
            name=data["name"],
            source=data.get("source"),
            title=data["title"],
            steps=int(data["steps"]),
            replications=int(data["replications"]),
            residents=int(data["residents"]),
            seed=int(data["seed"]),
            outcomes=tuple(data["outcomes"]),
            scenarios=scenarios,
            pairs=pairs,
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise SpecError(
            f"manifest.json: the stored spec lacks {exc}; start a new comparison instead"
        ) from None
