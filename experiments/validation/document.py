r"""Write ``docs/validation.md`` from a ``sixerrors validate`` results folder.

The page is generated, never typed: the prose that explains what a check is,
how the framework works, what each pattern means and how the P5 reference
mode runs is fixed text below; every number, verdict, table and figure is
read from one results folder, whose manifest names the command, the root
seed, the size and the code version that made it::

    sixerrors validate --reduced --out /tmp/valdoc          # or the full battery
    python -m experiments.validation.document /tmp/valdoc/validate-reduced-... \
        --out docs/validation.md

Both a reduced and a full battery folder work, and a folder of chosen checks
(``--check``); the page says which it is. Each check's figures are copied to
``docs/figures/validation/`` (the folder is the generator's: figures from an
earlier page are removed) and linked from the page.

Why a generator: a validation page typed by hand drifts from the code the
moment a mechanism changes, and a reader cannot tell which run a number came
from. Regenerating after every battery run keeps the two together.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "validation.md"
FIGURES = Path("figures") / "validation"
"""Where the page's figures go, relative to the page's folder."""

PROG = "python -m experiments.validation.document"

INLINE_ROWS = 12
"""A check's own table is shown on the page when it has at most this many rows."""

STATUS_WORDS = {"pass": "pass", "fail": "**fail**", "error": "**error**"}


def verdict(status: object) -> str:
    """A check's status as the page writes it (failures in bold)."""
    return STATUS_WORDS.get(str(status), str(status))


def is_unsettled(row: pd.Series) -> bool:
    """Whether the check's interval leaves its verdict open (False in folders without one)."""
    settled = row.get("settled")
    return settled is not None and not pd.isna(settled) and not bool(settled)


def row_verdict(row: pd.Series) -> str:
    """A check's verdict with ``(not settled)`` where its own interval leaves it open."""
    return verdict(row["status"]) + (" (not settled)" if is_unsettled(row) else "")


class DocumentError(ValueError):
    """The folder cannot make the page (one line naming the fix)."""


@dataclass(frozen=True)
class Battery:
    """What the page reads from one results folder.

    Attributes:
        folder: The results folder.
        manifest: Its ``manifest.json``.
        checks: ``summaries/checks``: one row per check, in the order run.
    """

    folder: Path
    manifest: Mapping[str, Any]
    checks: pd.DataFrame

    @property
    def reduced(self) -> bool:
        """Whether the battery ran at the test suite's reduced size."""
        return bool(self.manifest.get("reduced", False))

    def summary(self, name: str) -> pd.DataFrame | None:
        """``summaries/<name>`` (Parquet, else CSV), or ``None`` if the check saved none."""
        base = self.folder / "summaries" / name
        if base.with_suffix(".parquet").exists():
            return pd.read_parquet(base.with_suffix(".parquet"))
        if base.with_suffix(".csv").exists():
            return pd.read_csv(base.with_suffix(".csv"))
        return None

    def controls(self) -> dict[str, str]:
        """Each negative control and the check it controls.

        From the manifest; a folder written before the manifest recorded
        them falls back on the naming rule ("control" in the name), with the
        controlled check unknown.
        """
        recorded = self.manifest.get("negative_controls")
        if isinstance(recorded, Mapping):
            return {str(k): str(v) for k, v in recorded.items()}
        return {str(c): "" for c in self.checks["check"] if "control" in str(c)}

    def description(self, name: str) -> str:
        """What check ``name`` does, from its docstring as recorded in the manifest.

        ReStructuredText roles and double backticks become Markdown code;
        empty for a folder written before the manifest recorded them.
        """
        text = str(self.manifest.get("descriptions", {}).get(name, ""))
        text = re.sub(r":[a-z]+:`~?([^`]+)`", r"`\1`", text)
        return text.replace("``", "`")

    def figures(self) -> dict[str, list[str]]:
        """The figures each check drew, by check, in the order of the checks.

        From the manifest; for an older folder each figure goes to the check
        whose name is the longest prefix of the figure's name (a figure
        that matches none is listed under the empty name).
        """
        names = [str(c) for c in self.checks["check"]]
        recorded = self.manifest.get("figures")
        present = {p.name for p in (self.folder / "figures").glob("*.png")}
        if isinstance(recorded, Mapping):
            return {n: [f for f in recorded.get(n, []) if f in present] for n in names}
        found: dict[str, list[str]] = {n: [] for n in [*names, ""]}
        for figure in sorted(present):
            owners = [n for n in names if Path(figure).stem.startswith(n)]
            found[max(owners, key=len) if owners else ""].append(figure)
        return found


def load(folder: Path) -> Battery:
    """Read a ``sixerrors validate`` results folder.

    Raises:
        DocumentError: Not a finished results folder of ``sixerrors validate``.
    """
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise DocumentError(
            f"{folder} is not a results folder (no manifest.json); pass the folder "
            "'sixerrors validate' printed"
        )
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DocumentError(
            f"{manifest_path} cannot be read ({exc}); run the battery again"
        ) from exc
    if not isinstance(manifest, dict):
        raise DocumentError(f"{manifest_path} is not a manifest (not a JSON object)")
    if manifest.get("kind") != "validate":
        raise DocumentError(
            f"{folder} was written by '{manifest.get('kind', 'unknown')}', not "
            "'sixerrors validate'; pass a validate folder"
        )
    battery = Battery(folder, manifest, pd.DataFrame())
    checks = battery.summary("checks")
    if checks is None:
        raise DocumentError(
            f"{folder} has no summaries/checks (the battery did not finish); run it again"
        )
    if "check" not in checks.columns:
        raise DocumentError(f"{folder}'s summaries/checks has no 'check' column; run it again")
    return Battery(folder, manifest, checks)


# --- formatting


def cell(value: Any) -> str:
    """A value for a Markdown table cell: pipes escaped, one line, numbers short."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return number(value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def number(x: float) -> str:
    """A number for reading: integers whole, others to four significant digits."""
    if not math.isfinite(x):
        return "–"
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:.4g}"


def markdown_table(frame: pd.DataFrame) -> list[str]:
    """``frame`` as a Markdown table, one line per row."""
    columns = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(cell(_plain(v)) for v in row) + " |")
    return lines


def _plain(value: Any) -> Any:
    """NumPy scalars as Python ones, so that :func:`cell` formats them by kind."""
    return value.item() if hasattr(value, "item") else value


def code(name: str) -> str:
    """A name in backticks."""
    return f"`{name}`"


def when(stamp: Any) -> str:
    """An ISO time from the manifest as '7 Dec 2026, 17:02 (+00:00)'."""
    try:
        moment = dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        return "unknown"
    offset = moment.strftime("%z")
    zone = f" ({offset[:3]}:{offset[3:]})" if offset else ""
    return f"{moment.day} {moment:%b %Y, %H:%M}{zone}"


def wall_seconds(manifest: Mapping[str, Any]) -> float:
    """Seconds from the battery's start to its end (NaN when either is missing)."""
    try:
        start = dt.datetime.fromisoformat(str(manifest["started"]))
        end = dt.datetime.fromisoformat(str(manifest["finished"]))
    except (KeyError, ValueError):
        return float("nan")
    return (end - start).total_seconds()


def duration(seconds: float) -> str:
    """Seconds for reading: '74 s', '5 min 12 s', '2 h 03 min'."""
    if not math.isfinite(seconds):
        return "unknown"
    total = round(seconds)
    if total < 120:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 120:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def command(manifest: Mapping[str, Any]) -> str:
    """The ``sixerrors validate`` command that wrote the folder, from its manifest."""
    parts = ["sixerrors validate"]
    if manifest.get("reduced"):
        parts.append("--reduced")
    parts.append(f"--seed {manifest.get('root_seed', 'unknown')}")
    parts += [f"--check {name}" for name in manifest.get("selected", [])]
    parts += [f"--set {name}={value}" for name, value in manifest.get("world", {}).items()]
    return " ".join(parts)


def commit_line(manifest: Mapping[str, Any]) -> str:
    """The code version: commit, and whether the tree had uncommitted changes."""
    git = manifest.get("git", {})
    commit = str(git.get("commit", "unknown"))
    dirty = git.get("dirty")
    state = {True: ", with uncommitted changes", False: ", a clean tree"}.get(dirty, "")
    return f"commit `{commit[:12]}`{state}"


# --- the page's fixed prose

INTRO = (
    "`sixerrors validate` tests the model against patterns, in the manner of "
    "pattern-oriented modelling (Grimm et al. 2005, *Science* 310: 987–991): not one number "
    "fitted, but several stylized facts reproduced at once, each within a stated tolerance. "
    "Each pattern is one or more **named checks**. A check prints what it measured, its "
    "target and tolerance, where the target comes from, and whether it passed. Where one is "
    "natural, a pattern's check has a **negative control**: a check of its own that runs a "
    "world where the mechanism behind the pattern is switched off and passes when the "
    "pattern is absent there, so that the battery shows its measurements can fail."
)

HOW_TO_READ = [
    "Each row of the table below is one check of the battery run named above: its "
    "pattern (the EVIDENCE section `E1`–`E6` or the ODD pattern `P1`–`P5` it belongs to), "
    "what it measured, the target with its tolerance, the source of the target, and the "
    "verdict. *Measured* and *target* are the check's own words, copied from the results "
    "folder; a check that raised is an **error** and counts as failed. A check that "
    "gives a confidence interval for its figure (over the cities it averaged) says "
    "*not settled* beside a verdict the interval does not settle: a pass whose interval "
    "leaves the accepted range, or a failure whose interval reaches into it. Other seeds "
    "could turn such a verdict; it is reported as measured, not rounded to the other side.",
    "A negative control passes when its pattern is **absent**: read it beside the check it "
    "controls. Check and control both passing says the measurement tells the mechanism's "
    "world from one without it; a control that fails says the check's pass may not mean "
    "what it seems (something other than the mechanism produces the pattern, or the "
    "measurement cannot fail).",
    "The model's own pattern checks (E1–E6, P1–P3) run many seeds and long runs at full "
    "size; at the reduced size they run few, small and short ones, so a failure there is a "
    "hint, not a verdict on the model: the verdict is the full battery's. The negative "
    "controls and the P5 checks of the threshold engine must pass at either size (the test "
    "suite asserts it at the reduced size).",
]

USAGE = """```
sixerrors validate                      # the full battery
sixerrors validate --reduced            # the test suite's size (minutes)
sixerrors validate --check watts_window --check granovetter_riot
sixerrors validate --list               # every check, its pattern and source
sixerrors validate --seed 7 --out DIR   # another root seed; another parent folder
sixerrors validate --set reinforcement=0  # the battery in another world (checks' own settings win)
sixerrors validate --set forces_autonomy=1  # forces sent from above on their own orders
python -m experiments.validation.document FOLDER [--beside OTHER ...] [--out docs/validation.md]
```"""

EXIT_STATUS = (
    "Exit status: **0** when every check passes, **1** when at least one fails (the "
    "battery ran and the model did not reproduce a pattern, or a control found a pattern "
    "where it should be absent; the line on standard error names the checks), **2** on bad "
    "input (an unknown check name, with the closest valid one; nothing runs)."
)

RESULTS_FOLDER = [
    "Like every verb, the battery writes `results/validate-<timestamp>/` "
    "(`validate-reduced-<timestamp>/` with `--reduced`):",
    "",
    "- `manifest.json`: the root seed, the world set with `--set`, the size, the checks run "
    "(and those chosen with `--check`), which failed, which checks are negative controls of "
    "which, the figures each check drew, the git commit, package versions and host;",
    "- `summaries/checks.parquet` and `.csv`: one row per check with `check`, `pattern`, "
    "`title`, `status` (`pass`, `fail`, or `error` for a check that raised, which counts as "
    "failed), `measured`, `value` (the headline number), `target`, `source` and `seconds`;",
    "- `summaries/<check>.parquet` and `.csv`: the table behind each check;",
    "- `figures/*.png`.",
    "",
    "This page is made from such a folder by `python -m experiments.validation.document "
    "FOLDER`, which copies the figures to `docs/figures/validation/`.",
]

FRAMEWORK = [
    "A check is a function registered with a decorator in a theme module of "
    "`experiments/validation/`; the battery imports the modules listed in "
    "`experiments.validation.battery.THEMES`:",
    "",
    "```python",
    "from experiments.validation.registry import CheckContext, CheckResult, check",
    "",
    '@check("my_pattern", pattern="P1", title="What is checked, in one line",',
    '       source="Author (year), Journal volume: pages")',
    "def my_pattern(context: CheckContext) -> CheckResult:",
    "    runs = context.size(reduced=20, full=400)   # one setting per size",
    "    ...                                        # seeds derived from context.seed",
    '    return CheckResult(measured="...", target="... (tolerance)", passed=...,',
    "                       value=..., details=table)",
    "",
    '@check("my_pattern_control", pattern="P1", title="Negative control: ...",',
    '       source="...", controls="my_pattern")',
    "def my_pattern_control(context: CheckContext) -> CheckResult:",
    "    ...                                        # the mechanism switched off",
    "    return CheckResult(..., passed=pattern_absent)",
    "```",
    "",
    "`context.reduced` says which size runs (`context.size(reduced, full)` picks a "
    "setting); all randomness comes from `context.seed`, so a battery run is reproducible "
    "from its root seed; `context.figure_path(name)` is where a figure goes. The model's "
    "checks run their models through `experiments.validation.runs` (many seeds, in "
    "parallel, seeds clear of the calibration's). A negative control names the check it "
    'controls (`controls=`), has "control" in its name, and says in its docstring why the '
    "pattern must be absent in its world: only controls whose expected absence follows "
    "from the mechanism are registered. The suite runs the battery with `reduced=True` "
    "(`tests/test_validation.py`, `tests/test_cli.py`).",
]

PATTERNS: Mapping[str, tuple[str, str]] = {
    "E1": (
        "Mass incidents: growth, heavy tails and the cost of coercion",
        "China's yearly count of mass incidents grew fast from the 1990s to 2010 (the rate "
        "is in the target), their sizes are heavy-tailed, and internal-security outlays rose "
        "with them "
        "(the stability-maintenance vicious circle). The model must reproduce the growth when "
        "hardship drifts upward (the drift is calibrated, docs/calibration.md; absolute counts "
        "are not fitted), a heavy tail of incident sizes in a city large enough for incidents "
        "of hundreds, and control effort rising with incidents where cadres are judged by "
        "them (the one-vote veto). The growth over seven years of the mean of twenty cities "
        "depends on which twenty: the calibration's own seeds give another figure with the "
        "same drift (docs/calibration.md). Each growth check's table also gives, year by "
        "year, the share of households protesting and the largest incident: where protest "
        "grows and the count does not, the same protesters meet in fewer, larger incidents "
        "(one incident is one connected group of protesters). The controls switch off the "
        "mechanism of each: without collective shocks and spread within the week the tail "
        "must be thin, and cadres judged by nothing must not raise their control effort.",
    ),
    "E2": (
        "Petitions: settled locally, or pushed upward",
        "With working local channels most petitioned problems are solvable locally (State "
        "Bureau for Letters and Calls, 2003); when local channels are blocked petitioners go "
        "upward (the inverted pyramid of 2003). The controls: with local capacity near zero "
        "the local share must fall below the target, and with no escalation no petition can "
        "go up, blocked or not.",
    ),
    "E3": (
        "The safety valve and what suppression stores up",
        "Lorentzen (2013): under tolerance of small protest, observed small protest against "
        "latent discontent is an inverted U. In his account the state tightens control as "
        "protest grows dangerous; the safety-valve regime's cadres do not respond at all, so a "
        "second check sweeps the same discontent with cadres judged by incidents, the model's "
        "own way for the state to tighten control as protest grows. Coser (1956): a rigid "
        "system sees conflict break out less often, but larger when it does.",
    ),
    "E4": (
        "Social organizations",
        "Registered social organizations per 10,000 residents in 2010–2012 (Ministry of Civil "
        "Affairs); the baseline's founding rate is calibrated to it (docs/calibration.md), so "
        "the check, on other seeds, tests that the calibration holds. The control closes "
        "approval: there must then be none.",
    ),
    "E6": (
        "Grid staffing",
        "A documented community's grid holds a given number of households per grid leader. "
        "The check builds a model of the service grid regime and measures the cells it "
        "actually made (households per cell, one leader per cell), not the regime's lever; "
        "the control measures the fine siloed grid of Error 6, which must lie outside the "
        "range.",
    ),
    "P1": (
        "Punctuated equilibrium",
        "Under suppression, long quiet spells while hidden grievance builds up, broken by "
        "bursts of incidents (Epstein 2002; ODD.md).",
    ),
    "P2": (
        "The safety valve",
        "Tolerating and answering petitions keeps grievance lower and trust higher; "
        "petitions are more frequent, large incidents rarer (ODD.md). P2 and P3 are the "
        "article's Error 1 seen as patterns: checked like any other, a failure reported, not "
        "tuned away.",
    ),
    "P3": (
        "Short run against long run",
        "Suppression can lower visible protest in the first months while hidden grievance "
        "grows; the cost comes later (ODD.md).",
    ),
    "P5": (
        "Threshold cascades with contagion alone",
        "",  # the reference mode's section is written by p5_section, from its tables
    ),
}
"""Per pattern: its heading and what it is (the fixed prose); the checks follow from the folder."""


# --- sections


def run_section(battery: Battery, page: Path, beside: Sequence[Battery] = ()) -> list[str]:
    """Which battery the page reports, the commands that made it, and its verdict."""
    manifest, table = battery.manifest, battery.checks
    size = "reduced" if battery.reduced else "full"
    failed = table.loc[table["status"] != "pass", "check"].tolist()
    controls = battery.controls()
    passed_controls = table[table["check"].isin(controls) & (table["status"] == "pass")]
    selected = manifest.get("selected") or []
    scope = (
        f"only the {len(table)} checks chosen with `--check`"
        if selected
        else f"every registered check ({len(table)})"
    )
    if battery.reduced:
        what = (
            "This page reports the **reduced** battery: the test suite's sizes, few seeds and "
            "small cities. Its pattern failures are hints, not verdicts (see *How to read "
            "this page*); the full battery's folder makes the page of record."
        )
    else:
        what = (
            "This page reports the **full** battery: every check at its full size, the "
            "model's verdict on its patterns."
        )
    packages = manifest.get("packages", {})
    versions = ", ".join(f"{k} {v}" for k, v in packages.items())
    host = manifest.get("host", {})
    lines = [
        what,
        "",
        "```",
        f"{command(manifest)}",
        *(command(other.manifest) for other in beside),
        f"{PROG} FOLDER{' --beside OTHER' * len(beside)} --out {_page_name(page)}",
        "```",
        "",
        f"- Results folder (FOLDER): `{battery.folder.name}` ({size} size, root seed "
        f"{manifest.get('root_seed', 'unknown')}, {scope}).",
        f"- Code: {commit_line(manifest)}; {versions or 'package versions unknown'}.",
        f"- Ran {when(manifest.get('started'))}, {duration(wall_seconds(manifest))} wall time "
        f"on {host.get('cpus', 'unknown')} cores (checks alone: "
        f"{duration(float(table['seconds'].sum()))}).",
        f"- **{len(table) - len(failed)} of {len(table)} checks passed**; negative controls: "
        f"{len(passed_controls)} of {int(table['check'].isin(controls).sum())} passed.",
    ]
    if failed:
        lines.append(f"- Failed: {', '.join(code(c) for c in failed)}.")
    unsettled = [str(row["check"]) for _, row in table.iterrows() if is_unsettled(row)]
    if unsettled:
        lines.append(
            f"- Not settled by their own interval (other seeds could turn them): "
            f"{', '.join(code(c) for c in unsettled)}."
        )
    return lines


def ordered(battery: Battery) -> pd.DataFrame:
    """The checks with each negative control right after the check it controls.

    The battery runs checks in registration order, which puts controls
    wherever their module is; a reader wants each beside its check. Controls
    of a check not in the folder stay in their place at the end.
    """
    controls = battery.controls()
    names = [str(c) for c in battery.checks["check"]]
    order: list[str] = []
    for name in names:
        if name in controls and controls[name] in names:
            continue
        order.append(name)
        order += [c for c in names if controls.get(c) == name]
    position = {name: k for k, name in enumerate(order)}
    return battery.checks.sort_values("check", key=lambda c: c.map(position), kind="stable")


def checks_table(battery: Battery) -> list[str]:
    """The table of every check: pattern, check, title, measured, target, source, verdict."""
    checks = ordered(battery)
    rows = checks.assign(
        check=checks["check"].map(code),
        result=[row_verdict(row) for _, row in checks.iterrows()],
    )
    columns = ["pattern", "check", "title", "measured", "target", "source", "result"]
    return markdown_table(rows[columns].fillna(""))


def controls_section(battery: Battery) -> list[str]:
    """Each negative control beside the check it controls, with both verdicts."""
    controls = battery.controls()
    if not controls:
        return ["This run has no negative control."]
    status = dict(zip(battery.checks["check"], battery.checks["status"], strict=True))
    in_order = [str(c) for c in ordered(battery)["check"] if str(c) in controls]
    rows = pd.DataFrame(
        [
            {
                "control": code(name),
                "controls": code(checked) if checked else "unknown",
                "control's result (pass = pattern absent)": STATUS_WORDS.get(
                    str(status.get(name)), "not run"
                ),
                "check's result": STATUS_WORDS.get(str(status.get(checked)), "not run"),
            }
            for name, checked in ((n, controls[n]) for n in in_order)
        ]
    )
    return markdown_table(rows)


def beside_section(battery: Battery, beside: Battery) -> list[str]:
    """The same checks in one other world (``--beside``): both verdicts and measured figures.

    Why: a verdict is the model's at its defaults; which verdicts move when
    one assumption is switched off (``sixerrors validate --set``) shows what
    each pattern rests on, and a reader should not have to rerun it.
    """
    setting = world_settings(beside) or "the same world"
    here = beside_rows(battery)
    there = beside_rows(beside)
    shared = [name for name in here if name in there]
    rows = pd.DataFrame(
        [
            {
                "check": code(name),
                "here": here[name][1],
                "measured here": here[name][2],
                "there": there[name][1],
                "measured there": there[name][2],
            }
            for name in shared
        ]
    )
    changed = [code(n) for n in shared if here[n][0] != there[n][0]]
    return [
        f"The battery run again with {setting} (OTHER: `{beside.folder.name}`, "
        f"{commit_line(beside.manifest)}, root seed {beside.manifest.get('root_seed', 'unknown')}"
        f"): each check's verdict and measured figure on this page (here) and there. "
        + (f"Verdicts that change: {', '.join(changed)}." if changed else "No verdict changes."),
        "",
        *markdown_table(rows),
    ]


def world_settings(battery: Battery) -> str:
    """The ``--set`` settings a battery ran with, for reading ("" if none)."""
    world = battery.manifest.get("world") or {}
    return ", ".join(f"`{k} = {v}`" for k, v in world.items())


def world_title(battery: Battery) -> str:
    """A heading naming the world a battery ran in: its ``--set`` settings."""
    setting = world_settings(battery)
    return f"With {setting}" if setting else "Same world"


def beside_rows(battery: Battery) -> dict[str, tuple[str, str, str]]:
    """Each check's status, its verdict in words and its measured figure, in the page's order."""
    return {
        str(row["check"]): (str(row["status"]), row_verdict(row), str(row["measured"]))
        for _, row in ordered(battery).iterrows()
    }


def figure_lines(battery: Battery, names: Sequence[str], links: Mapping[str, str]) -> list[str]:
    """Markdown images of the figures ``names``, linked where they were copied."""
    return [f"![{Path(n).stem}]({links[n]})" for n in names if n in links] + ([""] if names else [])


def details_lines(battery: Battery, name: str) -> list[str]:
    """A check's own table when it is short; columns constant over its rows stated once."""
    table = battery.summary(name)
    if table is None or table.empty:
        return []
    if len(table) > INLINE_ROWS:
        return [
            f"Its table (`summaries/{name}`) has {len(table):,} rows; it is in the results folder.",
            "",
        ]
    constant = [c for c in table.columns if len(table) > 1 and table[c].nunique(dropna=False) == 1]
    lines = []
    if constant:
        fixed = ", ".join(f"{c} = {cell(_plain(table[c].iloc[0]))}" for c in constant)
        lines += [f"On every row: {fixed}.", ""]
    varying = table.drop(columns=constant)
    if varying.shape[1] == 1:  # one column left: a list reads better than a table
        column = str(varying.columns[0])
        values = ", ".join(cell(_plain(v)) for v in varying[column])
        return [*lines, f"Rows: {column} = {values}.", ""]
    return [*lines, *markdown_table(varying), ""]


def check_lines(battery: Battery, row: pd.Series, links: Mapping[str, str]) -> list[str]:
    """One check's subsection: verdict, measured, target, source, figures, table."""
    name = str(row["check"])
    controls = battery.controls()
    role = f" It controls {code(controls[name])}." if controls.get(name) else ""
    description = battery.description(name)
    return [
        f"### {code(name)}: {row_verdict(row)}",
        "",
        f"{row['title']}.{role}",
        "",
        *(
            [f"> {line}".rstrip() for line in description.splitlines()] + [""]
            if description
            else []
        ),
        f"- Measured: {row['measured']}",
        f"- Target: {row['target']}",
        f"- Source: {row['source']}",
        f"- Time: {duration(float(row['seconds']))}",
        "",
        *figure_lines(battery, battery.figures().get(name, []), links),
        *details_lines(battery, name),
    ]


def _share(x: float) -> str:
    return f"{x:.0%}" if math.isfinite(x) else "–"


def p5_section(battery: Battery) -> list[str]:
    """The P5 reference mode: how it runs (fixed prose), its window table (from the folder)."""
    window = battery.summary("watts_window")
    threshold = margin = global_share = float("nan")
    if window is not None:
        for column in ("threshold", "tie_margin", "global_share"):
            if column in window:
                value = float(window[column].iloc[0])
                threshold = value if column == "threshold" else threshold
                margin = value if column == "tie_margin" else margin
                global_share = value if column == "global_share" else global_share
    fraction = Fraction(threshold).limit_denominator(1000) if math.isfinite(threshold) else None
    as_share = (
        f" (Watts' {number(threshold)} = {fraction.numerator}/{fraction.denominator})"
        if fraction is not None and fraction.denominator > 1
        else ""
    )
    bound = f"{math.floor(1 / math.sqrt(margin)):,}" if math.isfinite(margin) and margin else "–"
    lines = [
        "The reference mode `model.ThresholdCascade` (`model/cascades.py`) runs the main "
        "model's protest rule with no grievance, risk or arrest: a resident joins once the "
        "share of its neighbours who have joined reaches its threshold φ. Each decision "
        "calls the main model's compiled rule `model.submodels.stance.activates` with "
        "`G = R = P = 0` and threshold `contagion × (φ − margin)`. The rule is strict "
        '(`>`), the classic models say "at least" (Watts\' node adopts at a share ≥ φ, '
        "Granovetter's actor joins once t others have); the margin, "
        f"{number(margin) if math.isfinite(margin) else 'recorded with the window'} in this "
        "run, is smaller than the gap between any two shares m/k of degrees below "
        f"{bound}, so for thresholds that are such shares{as_share} the rule is exactly "
        '"≥". Without it Granovetter\'s riot would stop at its instigator. Joining is for '
        "good and happens in synchronous rounds, as in both classics (the final set does not "
        "depend on the order). Networks come from `model.network.build_network` "
        "(`erdos_renyi`; the complete graph for Granovetter's crowd).",
        "",
        "Watts' window: on Erdős–Rényi graphs with one uniform threshold, one random seed "
        "starts a global cascade only inside a window of mean degree z, from just above the "
        "percolation point z = 1 to an upper edge (Watts' is in the target below); at the "
        "upper edge cascades are rare but, when they happen, take nearly the whole network. "
        "The two negative controls set every threshold to 0 (everyone joins at every z: no "
        "window) and to 1 (no cascade is ever global: no window). Granovetter's riot: a "
        "crowd whose thresholds run 0, 1, 2, … riots to the last person, and moving the "
        "one person of threshold 1 to 2 stops the riot at its instigator.",
        "",
    ]
    if window is None:
        return [*lines, "This run has no `watts_window` table (the check was not run).", ""]
    residents = int(window["residents"].iloc[0]) if "residents" in window else None
    lines += [
        f"A global cascade needs {_share(global_share)} of the network"
        + (f" of {residents:,} residents" if residents else "")
        + ": at the percolation point a seed's cluster holds of the order of n^(2/3) "
        "residents, a few per cent, so the global share lies well above the clusters below "
        "the window and well below the giant component inside it.",
        "",
        f"**Sizes in this run** ({'reduced' if battery.reduced else 'full'}): "
        + (f"{residents:,} residents per graph, " if residents else "")
        + f"{int(window['trials'].iloc[0]):,} single-seed trials per mean degree"
        + _control_trials(battery)
        + ".",
        "",
        "Frequency of global cascades by mean degree (`summaries/watts_window`):",
        "",
    ]
    degrees = window["mean_degree"].astype(int).tolist()
    lines += [
        "| z | " + " | ".join(str(z) for z in degrees) + " |",
        "|---|" + "---|" * len(degrees),
        "| frequency | " + " | ".join(number(float(f)) for f in window["frequency"]) + " |",
        "| mean size of global cascades | "
        + " | ".join(number(float(s)) for s in window["mean_global_size"])
        + " |",
        "",
    ]
    inside = window[window["global_cascades"] > 0]
    if len(inside):
        edge = inside.iloc[-1]
        lines += [
            f"At the upper edge, z = {int(edge['mean_degree'])}, global cascades came from "
            f"{int(edge['global_cascades']):,} of {int(edge['trials']):,} trials, with a mean "
            f"size of {number(float(edge['mean_global_size']))} of the network"
            + (
                ": Watts' bimodal edge, where the network is usually stable and occasionally "
                "fails almost completely."
                if float(edge["mean_global_size"]) >= 0.95
                else "."
            ),
            "",
        ]
    return lines


def _control_trials(battery: Battery) -> str:
    trials = {
        int(t["trials"].iloc[0])
        for name in battery.controls()
        if (t := battery.summary(name)) is not None and "mean_degree" in t and "trials" in t
    }
    return f" (controls: {', '.join(f'{t:,}' for t in sorted(trials))})" if trials else ""


def patterns_section(battery: Battery, links: Mapping[str, str]) -> list[str]:
    """Per pattern, in the order first run: what it is, then each of its checks."""
    lines: list[str] = []
    checks = ordered(battery)
    for pattern in dict.fromkeys(str(p) for p in checks["pattern"]):
        heading, prose = PATTERNS.get(pattern, (f"Pattern {pattern}", ""))
        lines += [f"## {pattern}: {heading}", ""]
        if pattern == "P5":
            lines += p5_section(battery)
        elif prose:
            lines += [prose, ""]
        for _, row in checks[checks["pattern"] == pattern].iterrows():
            lines += check_lines(battery, row, links)
    unowned = battery.figures().get("", [])
    if unowned:
        lines += ["## Other figures of the run", "", *figure_lines(battery, unowned, links)]
    return lines


def render(
    battery: Battery, page: Path, links: Mapping[str, str], beside: Sequence[Battery] = ()
) -> str:
    """The whole page.

    Args:
        battery: The results folder, read.
        page: Where the page goes (for the command it prints).
        links: Each figure's file name and its link from the page.
        beside: Other battery runs (``--beside``), each shown check by check beside it.
    """
    lines = [
        "# Validation: the pattern battery",
        "",
        f"*Generated by `{PROG}` from the results folder named below; do not edit by hand: "
        "rerun the commands instead. Every number, verdict and figure comes from that "
        "folder.*",
        "",
        INTRO,
        "",
        "## This page's battery run",
        "",
        *run_section(battery, page, beside),
        "",
        "## How to read this page",
        "",
        *[line for paragraph in HOW_TO_READ for line in (paragraph, "")],
        "## Every check",
        "",
        *checks_table(battery),
        "",
        "## Negative controls",
        "",
        "Each control beside the check it controls (a control passes when the pattern is "
        "absent in its world; why it must be is under the control's own heading below):",
        "",
        *controls_section(battery),
        "",
        *(["## The same checks in other worlds", ""] if beside else []),
        *(
            line
            for other in beside
            for line in (f"### {world_title(other)}", "", *beside_section(battery, other), "")
        ),
        *patterns_section(battery, links),
        "## Running the battery",
        "",
        USAGE,
        "",
        EXIT_STATUS,
        "",
        "## The results folder",
        "",
        *RESULTS_FOLDER,
        "",
        "## The framework",
        "",
        *FRAMEWORK,
        "",
    ]
    return "\n".join(lines)


def _page_name(page: Path) -> str:
    """The page as the command to rewrite it names it: relative to the checkout if inside."""
    try:
        return page.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(page)


def _relative(path: Path, start: Path) -> str:
    """``path`` relative to ``start`` where possible (a link or a command to copy)."""
    try:
        return os.path.relpath(path, start)
    except ValueError:  # another drive
        return str(path)


def copy_figures(battery: Battery, page: Path) -> dict[str, str]:
    """Copy the folder's figures next to the page; each figure's link from the page.

    The figure folder belongs to the generator: figures of an earlier page
    are removed, so a figure the run did not draw cannot linger.

    Returns:
        Each figure's file name and its relative link from the page.
    """
    target = page.parent / FIGURES
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("*.png"):
        old.unlink()
    links = {}
    for names in battery.figures().values():
        for name in names:
            shutil.copyfile(battery.folder / "figures" / name, target / name)
            links[name] = _relative(target / name, page.parent).replace(os.sep, "/")
    return links


def write(folder: Path, page: Path = PAGE, beside: Sequence[Path] = ()) -> Path:
    """Write the page (and copy its figures) from the results folder ``folder``.

    ``beside``, other validate folders, add their verdicts check by check,
    one section each (their figures are not copied: the page's figures are
    ``folder``'s).

    Raises:
        DocumentError: ``folder`` or one of ``beside`` is not a finished validate folder.
    """
    battery = load(folder)
    others = [load(other) for other in beside]
    page.parent.mkdir(parents=True, exist_ok=True)
    links = copy_figures(battery, page)
    page.write_text(render(battery, page, links, others))
    return page


def main(argv: Sequence[str] | None = None) -> int:
    """Write docs/validation.md from a results folder; 2 on a folder that cannot make it."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Generate docs/validation.md from a 'sixerrors validate' results folder.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("folder", type=Path, help="the folder 'sixerrors validate' printed")
    parser.add_argument("--out", type=Path, default=PAGE, help="the page to write")
    parser.add_argument(
        "--beside",
        type=Path,
        action="append",
        default=[],
        metavar="OTHER",
        help="another validate folder (e.g. from --set) whose verdicts the page shows beside; "
        "repeat for more worlds",
    )
    args = parser.parse_args(argv)
    try:
        page = write(args.folder, args.out, args.beside)
    except DocumentError as exc:
        print(f"validation document: {exc}", file=sys.stderr)
        return 2
    print(f"validation document: wrote {page} and its figures in {page.parent / FIGURES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
