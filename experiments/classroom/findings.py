"""What the runs say about each error, for its Info panel: a small TOML file.

The classroom shows one run of one city; the questions a class then asks —
*how much of this difference did the modellers put in, and how much grows by
itself? where would the claim fail?* — are answered by many runs
(``sixerrors compare``, ``sixerrors discover``), not by the app. Those
answers live in ``experiments/classroom/findings.toml`` as data, so they can
be refreshed from new results without touching the app's code.

The format (every key optional except the error tables themselves)::

    [about]
    provisional = true            # the panel then says the numbers are provisional
    source = "sixerrors compare --replications 6 ..."   # how the numbers were made
    discovery_source = "sixerrors discover ..."          # how the regions were found
    statistic = "time_average"    # which statistic the differences are
    note = "..."                  # one line shown under the numbers

    [errors.1]                    # one table per error, 1 to 6 ("1b" for the variant)
    fails_where = "..."           # where in the world the claim fails, one sentence
    fails_through = "..."         # through which mechanism, one sentence
    watch = "..."                 # what the class should watch after the preset
    region = "fails"              # "fails" (it reverses there), "weakens" (it only shrinks)

    [errors.1.preset]             # world parameters the "Try this" button sets
    shock_rate = 0.08             # (an empty table hides the button)

    [errors.1.differences.mean_legitimacy]   # remedy - error, per outcome
    full_model = { mean = 0.17, low = 0.16, high = 0.18 }
    mechanisms_only = { mean = 0.01, low = 0.006, high = 0.011 }

Refresh the differences from a comparison's results folder, keeping every
sentence and preset already written, with::

    python -m experiments.classroom.findings results/default-YYYYMMDD-HHMMSS

and write the sentences and presets from a ``sixerrors discover`` folder
(:mod:`experiments.classroom.regions`: where the claim reverses, through
which mechanisms, what to watch, and a preset inside the failure region),
with or without a comparison folder::

    python -m experiments.classroom.findings [COMPARE] --discovery results/discover-...

Without ``--discovery`` the sentences and presets are kept as written, so
hand-written text survives a refresh of the numbers; with it they are
regenerated for every error the discovery searched.

:func:`load_findings` checks the file: every error present, every preset
name a declared world parameter (not a lever: a preset changes the world,
never the regimes being compared) with a value inside its bounds.
"""

from __future__ import annotations

import argparse
import math
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from experiments.specs import MECHANISMS_PAIR_SUFFIX, pair_name
from model import ERRORS, VARIANT_PAIRS
from model.params import DECLARATIONS, ParameterError

FINDINGS_FILE = Path(__file__).with_name("findings.toml")
"""The findings the app reads."""

VARIANTS: tuple[str, str] = ("full_model", "mechanisms_only")
"""Keys of the two differences of an outcome: every mechanism and payoff, and mechanisms only."""

_ERROR_KEYS = ("fails_where", "fails_through", "watch", "region", "preset", "differences")
_TEXT_KEYS = _ERROR_KEYS[:4]
"""The keys of an error's table that hold a string."""

REGION_KINDS = ("", "fails", "weakens")
"""What ``region`` says of ``fails_where``: not said (hand-written or no region),
the claim reverses there, or it only weakens to no clear difference."""


class FindingsError(ValueError):
    """A findings file that cannot be used (one line naming the place and the fix)."""


@dataclass(frozen=True)
class Interval:
    """A mean paired difference (remedy - error) and its 95% interval."""

    mean: float
    low: float
    high: float

    @property
    def excludes_zero(self) -> bool:
        """Whether the interval lies wholly on one side of zero."""
        return self.low > 0 or self.high < 0


@dataclass(frozen=True)
class Finding:
    """What the runs say about one error (see the module docstring for the file format).

    Attributes:
        key: The error's key ("1" .. "6", "1b").
        fails_where: Where in the world the claim fails ("" when not yet known).
        fails_through: Through which mechanism it fails.
        watch: What the class should watch after applying the preset.
        region: ``"fails"`` when the claim reverses in that region,
            ``"weakens"`` when it only shrinks to no clear difference there,
            ``""`` when not said (:data:`REGION_KINDS`).
        preset: World-parameter overrides that move the city there.
        differences: Outcome -> variant ("full_model", "mechanisms_only") -> interval.
    """

    key: str
    fails_where: str = ""
    fails_through: str = ""
    watch: str = ""
    preset: Mapping[str, Any] = field(default_factory=dict)
    differences: Mapping[str, Mapping[str, Interval]] = field(default_factory=dict)
    region: str = ""


@dataclass(frozen=True)
class Findings:
    """The whole file: where the numbers come from, and one :class:`Finding` per error."""

    errors: Mapping[str, Finding]
    provisional: bool = True
    source: str = ""
    statistic: str = "time_average"
    note: str = ""
    discovery_source: str = ""

    def of(self, error: int | str | None) -> Finding | None:
        """The finding of error ``error``, or ``None`` (a free pair, or a missing entry)."""
        return None if error is None else self.errors.get(str(error))


def error_keys() -> tuple[str, ...]:
    """Keys of every error the file must describe ("1" .. "6") and may ("1b")."""
    return (*(str(n) for n in ERRORS), *VARIANT_PAIRS)


def check_preset(preset: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The preset with each value checked against its declaration.

    Raises:
        FindingsError: An unknown name, a lever, or a value out of bounds.
    """
    checked: dict[str, Any] = {}
    for name, value in preset.items():
        declaration = DECLARATIONS.get(name)
        if declaration is None:
            raise FindingsError(f"{where}.{name}: not a declared parameter; see model/params.py")
        if declaration.is_lever:
            raise FindingsError(
                f"{where}.{name}: is a policy lever; a preset may set only world parameters, "
                "so both sides keep their regimes"
            )
        try:
            checked[name] = declaration.check(value)
        except ParameterError as exc:
            raise FindingsError(f"{where}.{name}: {exc}") from None
    return checked


def _interval(value: Any, where: str) -> Interval:
    if not isinstance(value, dict) or set(value) != {"mean", "low", "high"}:
        raise FindingsError(f"{where}: must be {{ mean = ..., low = ..., high = ... }}")
    numbers = [value[k] for k in ("mean", "low", "high")]
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in numbers):
        raise FindingsError(f"{where}: mean, low and high must be numbers")
    mean, low, high = (float(x) for x in numbers)
    if not low <= mean <= high:
        raise FindingsError(f"{where}: needs low <= mean <= high, got {low}, {mean}, {high}")
    return Interval(mean, low, high)


def _text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key, "")
    if not isinstance(value, str):
        raise FindingsError(f"{where}.{key}: must be a string")
    return " ".join(value.split())


def _region_kind(entry: Mapping[str, Any], place: str) -> str:
    kind = _text(entry, "region", place)
    if kind not in REGION_KINDS:
        raise FindingsError(f'{place}.region: "{kind}" is not one of "fails", "weakens" or ""')
    return kind


def parse_findings(doc: Mapping[str, Any], where: str = "findings.toml") -> Findings:
    """Check a parsed findings document and build its :class:`Findings`.

    Raises:
        FindingsError: One line naming the place in the file and the fix.
    """
    about = doc.get("about", {})
    errors = doc.get("errors", {})
    if not isinstance(about, dict) or not isinstance(errors, dict):
        raise FindingsError(f"{where}: [about] and [errors.N] must be tables")
    known = error_keys()
    for key in errors:
        if key not in known:
            raise FindingsError(
                f"{where}: [errors.{key}] is not an error; use one of {', '.join(known)}"
            )
    missing = [str(n) for n in ERRORS if str(n) not in errors]
    if missing:
        raise FindingsError(
            f"{where}: no entry for error(s) {', '.join(missing)}; add "
            f"[errors.{missing[0]}] (it may be empty)"
        )
    found: dict[str, Finding] = {}
    for key, entry in errors.items():
        place = f"{where}: [errors.{key}]"
        if not isinstance(entry, dict):
            raise FindingsError(f"{place}: must be a table")
        extra = sorted(set(entry) - set(_ERROR_KEYS))
        if extra:
            raise FindingsError(f"{place}: unknown key '{extra[0]}'; use {', '.join(_ERROR_KEYS)}")
        preset = entry.get("preset", {})
        if not isinstance(preset, dict):
            raise FindingsError(f"{place}.preset: must be a table of parameter = value")
        differences: dict[str, dict[str, Interval]] = {}
        for outcome, variants in entry.get("differences", {}).items():
            if not isinstance(variants, dict) or not set(variants) <= set(VARIANTS):
                raise FindingsError(
                    f"{place}.differences.{outcome}: give full_model and/or mechanisms_only"
                )
            differences[outcome] = {
                v: _interval(x, f"{place}.differences.{outcome}.{v}") for v, x in variants.items()
            }
        found[key] = Finding(
            key,
            fails_where=_text(entry, "fails_where", place),
            fails_through=_text(entry, "fails_through", place),
            watch=_text(entry, "watch", place),
            region=_region_kind(entry, place),
            preset=check_preset(preset, f"{place}.preset"),
            differences=differences,
        )
    return Findings(
        found,
        provisional=bool(about.get("provisional", True)),
        source=str(about.get("source", "")),
        statistic=str(about.get("statistic", "time_average")),
        note=str(about.get("note", "")),
        discovery_source=str(about.get("discovery_source", "")),
    )


def load_findings(path: str | Path | None = None) -> Findings:
    """Read and check the findings file (default: the one shipped beside the app)."""
    path = Path(path) if path is not None else FINDINGS_FILE
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise FindingsError(f"{path}: not valid TOML ({exc})") from None
    return parse_findings(doc, str(path))


# --------------------------------------------------------------------------- reading


def share_text(full: Interval, mechanisms: Interval | None) -> str:
    """What the two differences of one outcome say about assumed and emergent effects.

    "Assumed" is what the modellers put in as direct payoffs (an answered
    petition adds trust by assumption); "emerges" is what the mechanisms
    produce with every such payoff switched off. Worded from the intervals:
    a share is given only when both exclude zero with the same sign.
    """
    if mechanisms is None:
        return "not run with the assumed payoffs off yet"
    if not full.excludes_zero:
        return "no clear difference in the full model"
    if not mechanisms.excludes_zero:
        return "with the assumed payoffs off there is no clear difference: it rests on them"
    if math.copysign(1.0, mechanisms.mean) != math.copysign(1.0, full.mean):
        return "with the assumed payoffs off the difference reverses"
    share = mechanisms.mean / full.mean
    if share >= 1:
        return "as large or larger with the assumed payoffs off: it emerges from the mechanisms"
    return (
        f"about {100 * share:.0f}% of it remains with the assumed payoffs off (that part "
        f"emerges); about {100 * (1 - share):.0f}% is assumed"
    )


# --------------------------------------------------------------------------- writing


def differences_from_pairs(pairs: Any, statistic: str = "time_average") -> dict[str, Any]:
    """Per error key and outcome with a claim, both variants' intervals, from a pairs table.

    Args:
        pairs: ``summaries/pairs.parquet`` of a ``sixerrors compare`` folder
            (columns ``pair``, ``variant``, ``outcome``, ``statistic``,
            ``mean``, ``ci_low``, ``ci_high``).
        statistic: ``time_average`` or ``final``.
    """
    rows = pairs[pairs["statistic"] == statistic]
    variant_key = {"full model": "full_model", "mechanisms only": "mechanisms_only"}
    result: dict[str, Any] = {}
    for key in error_keys():
        claim = (ERRORS[int(key)] if key.isdigit() else VARIANT_PAIRS[key]).expected
        for suffix in ("", MECHANISMS_PAIR_SUFFIX):
            block = rows[rows["pair"] == pair_name(key, suffix)]
            for _, row in block[block["outcome"].isin(list(claim))].iterrows():
                values = [float(row[c]) for c in ("mean", "ci_low", "ci_high")]
                if not all(math.isfinite(v) for v in values):
                    continue
                result.setdefault(key, {}).setdefault(str(row["outcome"]), {})[
                    variant_key[str(row["variant"])]
                ] = dict(zip(("mean", "low", "high"), values, strict=True))
    return result


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, int) else f"{value:.4g}"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def to_toml(doc: Mapping[str, Any], header: Sequence[str] = ()) -> str:
    """The findings document as TOML text (the only shapes the format uses)."""
    lines = [f"# {line}".rstrip() for line in header]
    about = doc.get("about", {})
    lines += ["", "[about]", *(f"{k} = {_toml_value(v)}" for k, v in about.items())]
    for key, entry in doc.get("errors", {}).items():
        lines += ["", f"[errors.{_quoted(key)}]"]
        lines += [f"{k} = {_toml_value(entry.get(k, ''))}" for k in _TEXT_KEYS]
        lines += [f"[errors.{_quoted(key)}.preset]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in entry.get("preset", {}).items()]
        for outcome, variants in entry.get("differences", {}).items():
            lines += [f"[errors.{_quoted(key)}.differences.{outcome}]"]
            lines += [f"{v} = {_toml_value(x)}" for v, x in variants.items()]
    return "\n".join(lines) + "\n"


def _quoted(key: str) -> str:
    return key if key.isdigit() else f'"{key}"'


HEADER = (
    "What the runs say about each error: the classroom's Info panel reads this file.",
    "Format: see experiments/classroom/findings.py. Refresh the differences with",
    "  python -m experiments.classroom.findings COMPARE_FOLDER",
    "which keeps every sentence and preset written here; add --discovery DISCOVER_FOLDER",
    "(with or without COMPARE_FOLDER) to write the sentences and presets from scenario",
    "discovery instead. With provisional = true the app says the numbers are",
    "provisional; --not-provisional marks settled results.",
)


def _commit_source(manifest: Mapping[str, Any]) -> str:
    git = manifest.get("git")
    commit = str(git.get("commit", ""))[:10] if isinstance(git, dict) else ""
    return "" if commit in ("", "unknown") else commit


def refresh(
    folder: str | Path | None,
    path: str | Path = FINDINGS_FILE,
    *,
    provisional: bool = True,
    statistic: str = "time_average",
    discovery: str | Path | None = None,
) -> Path:
    """Rewrite the findings file from a comparison's and/or a discovery's results folder.

    With ``folder`` (``sixerrors compare``) the differences are rewritten;
    with ``discovery`` (``sixerrors discover``) the sentences and presets
    of every error the discovery searched are generated from its tables
    (:mod:`experiments.classroom.regions`). Whatever is not given is kept
    from the existing file, so hand-written sentences survive a refresh of
    the numbers, and a refresh of the regions keeps the numbers.
    ``[about]`` names both sources (folder and commit).

    Raises:
        FindingsError: Neither folder given, or the result would not load.
    """
    import json  # noqa: PLC0415

    import pandas as pd  # noqa: PLC0415 - only this command reads tables

    if folder is None and discovery is None:
        raise FindingsError("give a sixerrors compare folder, --discovery FOLDER, or both")
    path = Path(path)
    old = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    old_about = old.get("about", {})
    errors: dict[str, Any] = {
        key: {k: previous.get(k, "") for k in _TEXT_KEYS}
        | {"preset": previous.get("preset", {}), "differences": previous.get("differences", {})}
        for key, previous in old.get("errors", {}).items()
    }
    about: dict[str, Any] = {
        # Provisional or settled is said of the numbers: kept when only the regions change.
        "provisional": (
            provisional if folder is not None else bool(old_about.get("provisional", True))
        ),
        "source": old_about.get("source", ""),
        "discovery_source": old_about.get("discovery_source", ""),
        "statistic": old_about.get("statistic", statistic) if folder is None else statistic,
        "note": old_about.get("note", ""),
    }
    if folder is not None:
        folder = Path(folder)
        pairs = pd.read_parquet(folder / "summaries" / "pairs.parquet")
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        spec = manifest.get("spec", {})
        for key, differences in differences_from_pairs(pairs, statistic).items():
            entry = errors.setdefault(key, {k: "" for k in _TEXT_KEYS} | {"preset": {}})
            entry["differences"] = differences
        commit = _commit_source(manifest)
        about["source"] = (
            f"sixerrors compare: {spec.get('replications', '?')} paired replications of "
            f"{spec.get('steps', '?')} weeks with {spec.get('residents', '?')} residents"
            + (f", commit {commit}" if commit else "")
            + f" ({folder.name})"
        )
    if discovery is not None:
        from experiments.classroom import regions  # noqa: PLC0415 - reads pandas tables

        found = regions.Discovery.read(discovery)
        for key, region in regions.regions(found, error_keys()).items():
            entry = errors.setdefault(key, {"differences": {}})
            entry.update(region.entry())
        about["discovery_source"] = found.source()
    errors = {k: errors[k] for k in sorted(errors, key=_order)}
    text = to_toml({"about": about, "errors": errors}, HEADER)
    parse_findings(tomllib.loads(text), str(path))  # never write a file the app refuses
    path.write_text(text, encoding="utf-8")
    return path


def _order(key: str) -> tuple[int, str]:
    """Errors in the file's order: 1 .. 6, then variants."""
    known = error_keys()
    return (known.index(key), key) if key in known else (len(known), key)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m experiments.classroom.findings [FOLDER] [--discovery FOLDER]``."""
    parser = argparse.ArgumentParser(
        prog="python -m experiments.classroom.findings",
        description=(
            "Refresh the classroom's findings file: the differences from a sixerrors compare "
            "folder, and/or where each claim fails (sentences and Try this presets) from a "
            "sixerrors discover folder. What is not given is kept from the file."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "folder", type=Path, nargs="?", default=None, help="results folder of sixerrors compare"
    )
    parser.add_argument(
        "--discovery",
        type=Path,
        default=None,
        metavar="FOLDER",
        help="results folder of sixerrors discover: regenerate the sentences and presets",
    )
    parser.add_argument("--file", type=Path, default=FINDINGS_FILE, help="findings file")
    parser.add_argument(
        "--final", action="store_true", help="use final values instead of time averages"
    )
    parser.add_argument(
        "--not-provisional",
        dest="provisional",
        action="store_false",
        help="mark the numbers as the project's settled results (with a compare folder; "
        "a refresh of the regions alone keeps what the file says)",
    )
    args = parser.parse_args(argv)
    if args.folder is None and args.discovery is None:
        parser.error("give a sixerrors compare folder, --discovery FOLDER, or both")
    from experiments.classroom.regions import DiscoveryError  # noqa: PLC0415

    try:
        path = refresh(
            args.folder,
            args.file,
            provisional=args.provisional,
            statistic="final" if args.final else "time_average",
            discovery=args.discovery,
        )
    except FileNotFoundError as exc:
        print(
            f"findings: error: {exc.filename} not found: give the results folder of "
            "sixerrors compare (and of sixerrors discover for --discovery)",
            file=sys.stderr,
        )
        return 2
    except (FindingsError, DiscoveryError) as exc:
        print(f"findings: error: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
