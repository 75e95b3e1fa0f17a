"""The few lines ``sixerrors run`` prints at the end: what the run came to, with units.

A folder path alone tells a user nothing until they open a CSV; these lines
give the key outcomes at the final week and as a time average, in the
definition every table of the project uses
(:func:`experiments.tasks.summarize_run`: the mean over weeks 1..T, week 0,
the shared starting state, left out, undefined weeks skipped).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from experiments.tasks import summarize_run

KEY_OUTCOMES: dict[str, tuple[str, str]] = {
    "mean_legitimacy": ("trust in government", "mean, 0 to 1"),
    "mean_grievance": ("grievance", "mean, 0 to 1"),
    "hidden_grievance": ("hidden grievance", "per resident, 0 to 1"),
    "share_protesting": ("protesting", "% of residents"),
    "incidents_per_10k": ("mass incidents", "per 10,000 residents"),
    "stability": ("stability", "% of weeks so far without a mass incident"),
}
"""The outcomes of the summary, with a short name and the unit written out:
trust, grievance (voiced and hidden), protest, mass incidents per capita and
stability, the quantities the article argues about."""

PERCENT = frozenset({"share_protesting", "stability"})


def _value(outcome: str, x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    if outcome in PERCENT:
        return f"{100 * x:.1f}"
    return f"{x:.3f}" if abs(x) < 10 else f"{x:.1f}"


def summary_lines(table: pd.DataFrame, *, title: str = "") -> list[str]:
    """Aligned lines: outcome, its final value, its time average and its unit.

    Args:
        table: One run's per-step outcome table (a ``step`` column or index).
        title: First line, e.g. the regime, seed and size.
    """
    present = [o for o in KEY_OUTCOMES if o in table.columns]
    row = summarize_run(table, present).iloc[0]
    steps = len(table) - 1
    width = max((len(KEY_OUTCOMES[o][0]) for o in present), default=7)
    lines = [title] if title else []
    lines.append(f"  {'outcome':<{width}}  {'week ' + str(steps):>9}  {'time avg':>9}  unit")
    for outcome in present:
        name, unit = KEY_OUTCOMES[outcome]
        lines.append(
            f"  {name:<{width}}  {_value(outcome, row[f'{outcome}_final']):>9}  "
            f"{_value(outcome, row[f'{outcome}_mean']):>9}  {unit}"
        )
    lines.append(
        f"  time avg = mean over weeks 1..{steps}; every week and outcome: summaries/outcomes.csv"
    )
    return lines


def run_summary_lines(folder: str | Path) -> list[str]:
    """:func:`summary_lines` of the run in results folder ``folder``."""
    folder = Path(folder)
    table = pd.read_parquet(folder / "summaries" / "outcomes.parquet")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    title = (
        f"{manifest.get('regime')}, seed {manifest.get('seed')}, "
        f"{manifest.get('residents')} residents, {len(table) - 1} weeks:"
    )
    return summary_lines(table, title=title)
