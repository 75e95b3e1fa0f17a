"""Where each claim fails, in a class's words, from a ``sixerrors discover`` folder.

The Info panel's "Where the claim fails" and the "Try this" button used to
be typed by hand; a hand-typed region drifts from the runs it cites and is
easily wrong. Here they are written from the discovery's own tables, so the
refresher (``python -m experiments.classroom.findings --discovery FOLDER``)
can rewrite them whenever the discovery is run again:

* **fails_where**: the share of the plausible world where the claim
  reverses and, when PRIM found a box, the parameters it restricts with
  their limits, coverage and density; without a box, the parameters whose
  values set the reversed worlds most apart from the rest; or plainly that
  the claim reversed at no sampled world.
* **fails_through**: the model's mechanisms those parameters belong to
  (each declaration's ``group`` and its subsection of ``ODD.md`` section 7).
* **watch**: which chart to watch and which side should end lower.
* **preset**: world parameters (never levers) that place the city in the
  failure region: the box's restricted parameters at the middle of their
  limits or, without a box, the sampled world that most opposes the claim;
  empty when the claim never reversed, which hides the button.

The outcome described is trust (``mean_legitimacy``); when trust never
reversed but grievance did, grievance, so a class still sees where the
claim fails on the outcome where it does.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.classroom.findings import check_preset
from experiments.classroom.labels import PERCENT_UNITS, plain_unit, regime_text
from experiments.prim_analysis import restricted_limits
from experiments.specs import discovery_label, error_key
from model import ERRORS, VARIANT_PAIRS
from model.params import DECLARATIONS
from model.regimes import ErrorPair

ODD_PATH = Path(__file__).resolve().parents[2] / "ODD.md"
"""The model description whose section 7 names the submodels (mechanisms)."""

TRUST, GRIEVANCE = "mean_legitimacy", "mean_grievance"
OUTCOMES = (TRUST, GRIEVANCE)
"""The outcomes a region is described on, in order of preference."""

CHART_TITLES = {TRUST: "Trust in government", GRIEVANCE: "Grievance"}
"""The classroom's chart titles (``experiments.classroom.drawing.CHARTS``) of those outcomes."""

MIN_APART = 0.1
"""Least gap, as a share of a parameter's plausible range, between the mean of the
reversed worlds and of the others for that parameter to be named without a box."""

_TABLES = ("headline", "points", "boxes", "box_limits")
_NOT_FACTORS = frozenset({"pair", "outcome", "point", "mean", "ci_low", "ci_high", "class"})


class DiscoveryError(ValueError):
    """A folder that is not a usable ``sixerrors discover`` results folder."""


@dataclass(frozen=True)
class Discovery:
    """The tables of a discovery results folder that the sentences are written from.

    Attributes:
        folder: The results folder.
        headline: One row per pair and outcome (``reversal_share`` ...).
        points: One row per pair, outcome and sampled world.
        boxes: PRIM's boxes (empty when none was found anywhere).
        box_limits: Each box's limits per parameter (empty likewise).
        manifest: The folder's ``manifest.json``.
    """

    folder: Path
    headline: pd.DataFrame
    points: pd.DataFrame
    boxes: pd.DataFrame = field(default_factory=pd.DataFrame)
    box_limits: pd.DataFrame = field(default_factory=pd.DataFrame)
    manifest: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, folder: str | Path) -> Discovery:
        """Read a results folder of ``sixerrors discover``.

        ``boxes`` and ``box_limits`` are optional because discovery writes
        them only when PRIM found a box for some pair.

        Raises:
            DiscoveryError: No headline or points table: not a discovery folder.
        """
        folder = Path(folder)
        tables: dict[str, pd.DataFrame] = {}
        for name in _TABLES:
            path = folder / "summaries" / f"{name}.parquet"
            if path.exists():
                tables[name] = pd.read_parquet(path)
            elif name in ("headline", "points"):
                raise DiscoveryError(
                    f"{folder}: no summaries/{name}.parquet; give the results folder of "
                    "sixerrors discover"
                )
        manifest_path = folder / "manifest.json"
        manifest = (
            json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
        )
        return cls(folder=folder, manifest=manifest, **tables)

    @property
    def spec(self) -> Mapping[str, Any]:
        """The discovery spec as the manifest records it (empty if unknown)."""
        spec = self.manifest.get("spec", {})
        return spec if isinstance(spec, dict) else {}

    def source(self) -> str:
        """One line saying how the discovery was made, for ``[about]``."""
        spec = self.spec
        git = self.manifest.get("git", {})
        commit = str(git.get("commit", ""))[:10] if isinstance(git, dict) else ""
        commit = "" if commit in ("", "unknown") else commit
        return (
            f"sixerrors discover: {spec.get('samples', '?')} sampled worlds per error, "
            f"{spec.get('replications', '?')} paired run(s) each of {spec.get('steps', '?')} "
            f"weeks with {_thousands(spec.get('residents', '?'))} residents"
            + (f", commit {commit}" if commit else "")
            + f" ({self.folder.name})"
        )


@dataclass(frozen=True)
class Region:
    """The generated fields of one error's findings entry.

    ``region`` is ``"fails"`` (the claim reverses there), ``"weakens"`` (it
    only shrinks to no clear difference) or ``""`` (no region to try).
    """

    fails_where: str
    fails_through: str
    watch: str
    preset: Mapping[str, Any]
    region: str = "fails"

    def entry(self) -> dict[str, Any]:
        """The fields as a findings-file table."""
        return {
            "fails_where": self.fails_where,
            "fails_through": self.fails_through,
            "watch": self.watch,
            "region": self.region,
            "preset": dict(self.preset),
        }


# --------------------------------------------------------------------------- words


def _thousands(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _pair(key: str) -> ErrorPair:
    return ERRORS[int(key)] if key.isdigit() else VARIANT_PAIRS[key]


def number_text(x: float, digits: int = 2) -> str:
    """A number for reading: ``digits`` significant digits, hundreds and more as whole numbers.

    Two digits by default, as the classroom's sliders show values: the
    limits of a box are estimates from a few hundred sampled worlds, and
    more digits would claim a precision they do not have.
    """
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10 ** (digits - 1):
        # Rounded to ``digits`` significant digits without an exponent: 99.9 is 100, not 1e+02.
        places = digits - 1 - math.floor(math.log10(abs(x)))
        rounded = round(x, places)
        return f"{rounded:,.0f}" if places <= 0 or abs(rounded) >= 100 else f"{rounded:.{places}f}"
    text = f"{x:.{digits}g}"
    if "e" in text:  # below 0.0001: written out, as a class reads it (0.000041, not 4.1e-05)
        places = digits - 1 - math.floor(math.log10(abs(x)))
        text = f"{x:.{places}f}".rstrip("0").rstrip(".")
    return text


def _amounts(name: str, values: Sequence[float], digits: int = 2) -> tuple[list[str], str]:
    """Values of ``name`` as the classroom writes them, and their unit (written once)."""
    declaration = DECLARATIONS[name]
    unit = plain_unit(declaration)
    if declaration.unit in PERCENT_UNITS:
        return [number_text(100 * v, digits) for v in values], "%"
    if declaration.kind == "int":
        return [f"{round(v):,}" for v in values], unit
    return [number_text(v, digits) for v in values], unit


def span_text(name: str, low: float, high: float) -> str:
    """``low``–``high`` of parameter ``name`` with its unit once ("10–25 %").

    A third digit is used only where two would write both ends alike.
    """
    (a, b), unit = _amounts(name, (low, high))
    if a == b and low != high:
        (a, b), unit = _amounts(name, (low, high), digits=3)
    return f"{a}–{b} {unit}".strip() if a != b else f"{a} {unit}".strip()


def value_words(name: str, value: float) -> str:
    """One value of parameter ``name`` with its unit."""
    (text,), unit = _amounts(name, (value,))
    return f"{text} {unit}".strip()


def _and(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _signed(x: float) -> str:
    """A difference with its sign, a true minus as the classroom's tables write it."""
    return f"{x:+.2g}".replace("-", "−")


def _percent(share: float) -> str:
    return f"{100 * share:.0f} %"


def claim_words(key: str, outcome: str) -> str:
    """The claim in words, from the pair's sign: "the trust claim (the remedy keeps ...)"."""
    sign = int(_pair(key).expected[outcome])
    what = "trust" if outcome == TRUST else "grievance"
    side = "higher" if sign > 0 else "lower"
    return f"the {what} claim (the remedy keeps {CHART_TITLES[outcome]} {side})"


def submodel_sections(path: Path = ODD_PATH) -> dict[str, str]:
    """Each submodel's short title in ``ODD.md`` section 7, by its group name.

    Headings read ``### `petitions` — the safety valve, ...  (process 5)``;
    one, "Cadre incentives", names its group in words instead, so a
    heading without a code name is keyed by its first word ("cadre"). A
    missing file gives no titles: the sentences then name the groups alone.
    """
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8")
    match = re.search(r"^## 7\..*?(?=^## )", text, flags=re.S | re.M)
    sections: dict[str, str] = {}
    for line in (match.group(0) if match else "").splitlines():
        if not line.startswith("### "):
            continue
        heading = re.sub(r"\s*\([^)]*\)\s*$", "", line[4:].strip())
        named = re.match(r"`(\w+)`\s*—\s*(.+)", heading)
        if named:
            sections[named.group(1)] = named.group(2).strip()
        else:
            first = heading.split()[0].lower()
            sections[first] = heading[0].lower() + heading[1:]
    return sections


def mechanisms_text(names: Iterable[str], sections: Mapping[str, str]) -> str:
    """The model's mechanisms (submodels) that parameters ``names`` belong to, in one sentence.

    Grouped by each declaration's ``group``, with the submodel's title in
    ``ODD.md`` where it has one, so a reader can look the mechanism up.
    """
    groups: dict[str, list[str]] = {}
    for name in names:
        declaration = DECLARATIONS[name]
        groups.setdefault(declaration.group, []).append(declaration.label)
    parts = []
    for group, labels in groups.items():
        title = sections.get(group) or sections.get(group.rstrip("s"))
        listed = ", ".join(labels)
        parts.append(f"{group} ({title}: {listed})" if title else f"{group} ({listed})")
    noun = "mechanism" if len(parts) == 1 else "mechanisms"
    return f"Through the model's {_and(parts)} {noun} (ODD.md, section 7)."


# --------------------------------------------------------------------------- values


def world_value(name: str, value: Any) -> Any | None:
    """``value`` as a preset may set world parameter ``name``, or ``None`` if it cannot.

    Rounded for a reader (three significant digits, whole numbers for
    integer parameters) and kept inside the declared bounds, so the file
    never holds a value the app refuses. Levers and choices give ``None``:
    a preset must not change the regimes compared, and a choice has no
    middle.
    """
    declaration = DECLARATIONS.get(name)
    if declaration is None or declaration.is_lever or declaration.kind == "choice":
        return None
    if isinstance(value, str):
        return None
    number = float(value)
    if not math.isfinite(number):
        return None
    if declaration.kind == "bool":
        return bool(round(number))
    assert declaration.low is not None and declaration.high is not None
    if declaration.kind == "int":
        return int(min(max(round(number), math.ceil(declaration.low)), declaration.high))
    rounded = float(f"{number:.3g}")
    return min(max(rounded, float(declaration.low)), float(declaration.high))


def _fixed_overrides(spec: Mapping[str, Any], label: str) -> dict[str, Any]:
    """World values the discovery held fixed for this pair (its spec's overrides).

    The region was found with them in place, so the preset carries them
    too; ``ODD.md``'s defaults may differ.
    """
    fixed: dict[str, Any] = dict(spec.get("overrides", {}) or {})
    for claim in spec.get("claims", []) or []:
        if isinstance(claim, dict) and claim.get("label") == label:
            fixed.update(claim.get("overrides", {}) or {})
    return {
        k: v
        for k, v in fixed.items()
        if k in DECLARATIONS and not DECLARATIONS[k].is_lever and k != "n_residents"
    }


def factor_columns(points: pd.DataFrame) -> list[str]:
    """The world parameters sampled for one pair: declared columns with a value."""
    return [
        str(c)
        for c in points.columns
        if c not in _NOT_FACTORS
        and c in DECLARATIONS
        and not DECLARATIONS[str(c)].is_lever
        and points[c].notna().any()
    ]


def world_limits(limits: pd.DataFrame) -> pd.DataFrame:
    """The limits of one box that narrow a world parameter, narrowest first.

    PRIM's rule (:func:`experiments.prim_analysis.restricted_limits`), with
    levers and unknown names dropped: the preset may set only world
    parameters, and a sentence that named a limit the button does not set
    would mislead.
    """
    kept = restricted_limits(limits)
    world = kept["parameter"].map(
        lambda name: name in DECLARATIONS and not DECLARATIONS[name].is_lever
    )
    return kept[world.astype(bool)]


def apart_parameters(
    points: pd.DataFrame, factors: Sequence[str]
) -> list[tuple[str, float, float]]:
    """Parameters whose mean among reversed worlds differs most from the rest's.

    The gap is measured as a share of the parameter's plausible range (the
    range discovery sampled), so parameters of different units compare;
    those apart by at least :data:`MIN_APART`, largest gap first, at most
    three.

    Returns:
        (name, mean among reversed worlds, mean among the others).
    """
    reversed_ = points[points["reversal"].astype(bool)]
    rest = points[~points["reversal"].astype(bool)]
    if reversed_.empty or rest.empty:
        return []
    found = []
    for name in factors:
        a, b = float(reversed_[name].astype(float).mean()), float(rest[name].astype(float).mean())
        plausible = DECLARATIONS[name].plausible
        low, high = plausible if plausible else (points[name].min(), points[name].max())
        width = float(high) - float(low)
        gap = abs(a - b) / width if width > 0 else 0.0
        if gap >= MIN_APART:
            found.append((gap, name, a, b))
    found.sort(key=lambda item: -item[0])
    return [(name, a, b) for _, name, a, b in found[:3]]


# --------------------------------------------------------------------------- the region


def chosen_outcome(headline: pd.DataFrame, label: str) -> str | None:
    """The outcome to describe: trust, or grievance when only grievance reversed.

    ``None`` when the discovery did not search this pair on either outcome.
    """
    rows = headline[headline["pair"] == label].set_index("outcome")
    present = [o for o in OUTCOMES if o in rows.index]
    if not present:
        return None
    shares = rows["reversal_share"].astype(float)
    for outcome in present:
        share = float(shares[outcome])
        if math.isfinite(share) and share > 0:
            return outcome
    return present[0]


def _sizes(spec: Mapping[str, Any], *more: str) -> str:
    """The runs' sizes and any further details, in parentheses after "worlds"."""
    residents, steps = spec.get("residents"), spec.get("steps")
    sizes = (
        [f"{residents:,} residents, {steps} weeks"]
        if isinstance(residents, int) and isinstance(steps, int)
        else []
    )
    details = [*sizes, *more]
    return f" ({'; '.join(details)})" if details else ""


def _statistic_words(spec: Mapping[str, Any]) -> str:
    return (
        "at the end of the run" if spec.get("statistic") == "final" else "on average over the run"
    )


def watch_text(key: str, outcome: str, spec: Mapping[str, Any], density: float | None) -> str:
    """What to watch after "Try this": the outcome's chart and the side that should end lower.

    Named by the classroom's column headings ("The error" on the left,
    "The remedy" on the right) and the regimes, so a class looks at the
    right line. A failure region holds worlds where the claim mostly, not
    always, reverses, and a classroom run is one city, so the text says
    to try another seed when the line does not turn.
    """
    pair = _pair(key)
    sign = int(pair.expected[outcome])
    claimed, failing = ("higher", "lower") if sign > 0 else ("lower", "higher")
    chance = (
        f"in discovery {_percent(density)} of such worlds reversed, so "
        if density is not None and density < 1
        else ""
    )
    return (
        f"Watch the {CHART_TITLES[outcome]} chart: the article expects the remedy "
        f"({regime_text(pair.remedy_regime)}, right) to keep it {claimed} than the error "
        f"({regime_text(pair.error_regime)}, left); here the remedy's line should come out "
        f"{failing}, {_statistic_words(spec)} ({chance}if one city does not show it, "
        "try another seed)."
    )


def region(
    discovery: Discovery, key: str, sections: Mapping[str, str] | None = None
) -> Region | None:
    """The generated fields of error ``key``, or ``None`` if the discovery did not search it.

    Args:
        discovery: The discovery's tables.
        key: The error's key ("1" .. "6", "1b").
        sections: Submodel titles (:func:`submodel_sections`; read from
            ``ODD.md`` when ``None``).
    """
    sections = submodel_sections() if sections is None else sections
    label = discovery_label(key)
    outcome = chosen_outcome(discovery.headline, label)
    if outcome is None:
        return None
    spec = discovery.spec
    head = _records(
        discovery.headline[
            (discovery.headline["pair"] == label) & (discovery.headline["outcome"] == outcome)
        ]
    )[0]
    points = discovery.points[
        (discovery.points["pair"] == label) & (discovery.points["outcome"] == outcome)
    ]
    defined = points[points["class"] != "undefined"] if "class" in points.columns else points
    defined = defined[np.isfinite(defined["mean"].to_numpy(dtype=float))]
    factors = factor_columns(defined)
    share = float(head["reversal_share"])
    n = int(head.get("defined_points", len(defined)))
    claim = claim_words(key, outcome)
    if n == 0 or not math.isfinite(share) or share <= 0 or defined.empty:
        return _no_reversal(discovery, label, outcome, claim, n, factors, sections)
    clearly = float(head.get("reversed_share", math.nan))
    replications = spec.get("replications")
    interval = (
        [f"in {_percent(clearly)} clearly, the 95 % interval excluding zero"]
        if math.isfinite(clearly) and isinstance(replications, int) and replications > 1
        else []
    )
    if outcome == GRIEVANCE and _searched(discovery, label, TRUST):
        claim = f"Trust never reversed; {claim}"
    opening = (
        f"{claim[0].upper()}{claim[1:]} reverses in {_percent(share)} of {n} sampled "
        f"plausible worlds{_sizes(spec, *interval)}"
    )
    fixed = _fixed_overrides(spec, label)
    box = _first_box(discovery, label, outcome)
    restricted = world_limits(box[1]) if box is not None else pd.DataFrame()
    if box is not None and not restricted.empty:
        info = box[0]
        rows = _records(restricted)
        spans = box_spans(rows)
        density = float(info["density"])
        dense = "" if bool(info.get("meets_min_density", True)) else ", less dense than sought"
        where = (
            f"{opening}; the reversals gather where {_and(spans)}: a region holding "
            f"{_percent(float(info['coverage']))} of them (coverage), in which "
            f"{_percent(density)} of worlds reverse (density{dense})."
        )
        middles = box_middles(rows)
        return Region(
            where,
            mechanisms_text(middles, sections),
            watch_text(key, outcome, spec, density),
            _checked(fixed, middles, label),
        )
    # No box, or one that restricts nothing: name what sets the reversed worlds
    # apart, and send the class to the sampled world that most opposes the claim.
    apart = apart_parameters(defined, factors)
    nobox = "PRIM's box restricts no parameter" if box is not None else "PRIM found no box"
    if share >= 1:
        gather = "; it reverses throughout the sampled ranges"
    elif apart:
        words = [
            f"{'higher' if a > b else 'lower'} {DECLARATIONS[name].label} "
            f"({value_words(name, a)} on average, against {value_words(name, b)} elsewhere)"
            for name, a, b in apart
        ]
        gather = f"; {nobox}, but the reversed worlds have {_and(words)}"
    else:
        gather = f"; {nobox}, and no parameter sets the reversed worlds apart"
    opposing = defined["mean"].to_numpy(dtype=float) * int(_pair(key).expected[outcome])
    worst = _records(defined.iloc[[int(np.argmin(opposing))]])[0]
    where = (
        f"{opening}{gather}. Try this sets the sampled world where it reversed most "
        f"(remedy − error {_signed(float(worst['mean']))} there)."
    )
    values = {name: world_value(name, worst[name]) for name in factors}
    named = [name for name, _, _ in apart] or factors
    return Region(
        where,
        mechanisms_text(named, sections),
        watch_text(key, outcome, spec, None),
        _checked(fixed, values, label),
    )


def box_spans(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Each restricted parameter of a box in words: its label, its span and the span sampled."""
    return [
        f"{DECLARATIONS[r['parameter']].label} is "
        f"{span_text(r['parameter'], r['low'], r['high'])} "
        f"(sampled {span_text(r['parameter'], r['range_low'], r['range_high'])})"
        for r in rows
    ]


def box_middles(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A box's preset: the middle of each restricted parameter, as the app may set it."""
    return {
        str(r["parameter"]): world_value(str(r["parameter"]), (r["low"] + r["high"]) / 2)
        for r in rows
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as dicts keyed by column name."""
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


def _checked(fixed: Mapping[str, Any], values: Mapping[str, Any], label: str) -> dict[str, Any]:
    """The preset: the discovery's fixed world values, then the region's, checked as the app."""
    preset = dict(fixed) | {k: v for k, v in values.items() if v is not None}
    return check_preset(preset, f"discovery {label}: preset")


def _no_reversal(
    discovery: Discovery,
    label: str,
    outcome: str,
    claim: str,
    n: int,
    factors: Sequence[str],
    sections: Mapping[str, str],
) -> Region:
    """The region of a claim that reversed nowhere: said plainly, with no preset to try."""
    spec = discovery.spec
    other = GRIEVANCE if outcome == TRUST else TRUST
    if n == 0:
        where = (
            f"No sampled world{_sizes(spec)} gave a defined difference for {claim}, so "
            "there is no failure region to try."
        )
    else:
        both = _searched(discovery, label, other)
        subject = (
            f"neither {claim} nor the {'grievance' if other == GRIEVANCE else 'trust'} claim"
            if both
            else claim
        )
        where = (
            f"{subject[0].upper()}{subject[1:]} reversed in any of {n} sampled plausible "
            f"worlds{_sizes(spec)}: within the ranges sampled the claim holds or is unclear, "
            "so there is no failure region to try."
        )
        # Where it weakens: trust's region first, else grievance's (or the other way).
        for weakening in (outcome, other):
            weak = _weakening_region(discovery, label, weakening, error_key(label), where, sections)
            if weak is not None:
                return weak
    groups = sorted({DECLARATIONS[f].group for f in factors})
    through = (
        f"No mechanism reversed it within the sampled ranges of the {_and(groups)} parameters."
        if groups
        else ""
    )
    return Region(where, through, "", {}, region="")


WEAKENS = "It weakens, though:"
"""How a region of a claim that never reversed begins its second sentence."""


def _weakening_region(
    discovery: Discovery,
    label: str,
    outcome: str,
    key: str,
    reversed_nowhere: str,
    sections: Mapping[str, str],
) -> Region | None:
    """Where a claim that never reversed weakens to no clear difference, with its preset.

    Discovery seeks this box (``target`` "failure") only when no sampled
    world reversed the claim, so that every claim has a region where it
    shrinks or reverses. ``None`` when there is no such box or it
    restricts nothing.
    """
    box = _first_box(discovery, label, outcome)
    if box is None or str(box[0].get("target", "reversal")) != "failure":
        return None
    restricted = world_limits(box[1])
    if restricted.empty:
        return None
    info, rows = box[0], _records(restricted)
    spans = box_spans(rows)
    density = float(info["density"])
    where = (
        f"{reversed_nowhere.removesuffix(', so there is no failure region to try.')}. "
        f"{WEAKENS} the worlds where the difference is not clearly in the article's "
        f"direction gather where {_and(spans)} (a region holding "
        f"{_percent(float(info['coverage']))} of them, in which {_percent(density)} of worlds "
        "show no clear difference)."
    )
    middles = box_middles(rows)
    pair = _pair(key)
    watch = (
        f"Watch the {CHART_TITLES[outcome]} chart: the article expects the remedy "
        f"({regime_text(pair.remedy_regime)}, right) to keep it "
        f"{'higher' if int(pair.expected[outcome]) > 0 else 'lower'} than the error "
        f"({regime_text(pair.error_regime)}, left); here the two lines should stay close, "
        f"{_statistic_words(discovery.spec)}: the claim shrinks but does not turn (one city "
        "is noisy; try another seed)."
    )
    fixed = _fixed_overrides(discovery.spec, label)
    return Region(
        where,
        mechanisms_text(middles, sections),
        watch,
        _checked(fixed, middles, label),
        region="weakens",
    )


def _searched(discovery: Discovery, label: str, outcome: str) -> bool:
    """Whether the discovery searched ``outcome`` for this pair."""
    rows = discovery.headline[
        (discovery.headline["pair"] == label) & (discovery.headline["outcome"] == outcome)
    ]
    return len(rows) > 0


def _first_box(
    discovery: Discovery, label: str, outcome: str
) -> tuple[pd.Series, pd.DataFrame] | None:
    """PRIM's first box (the most covering) of a pair and outcome and its limits, if any."""
    boxes, limits = discovery.boxes, discovery.box_limits
    if boxes.empty or limits.empty:
        return None
    mine = boxes[(boxes["pair"] == label) & (boxes["outcome"] == outcome)]
    if mine.empty:
        return None
    first = mine.sort_values("box").iloc[0]
    rows = limits[
        (limits["pair"] == label) & (limits["outcome"] == outcome) & (limits["box"] == first["box"])
    ]
    return first, rows


def regions(discovery: Discovery, keys: Iterable[str]) -> dict[str, Region]:
    """The region of every error key the discovery searched."""
    sections = submodel_sections()
    found = {}
    for key in keys:
        generated = region(discovery, key, sections)
        if generated is not None:
            found[key] = generated
    return found
