"""Figures and the self-contained HTML report of a comparison.

Reports read what :mod:`experiments.compare` wrote and never compute a result
of their own (ARCHITECTURE.md principle 4): every number and every sentence of
the plain-language reading is derived from the summary tables, so the reading
cannot claim more than the intervals show. The HTML page embeds its figures
as base64 PNG and its style inline, and links to nothing, so an analyst can
email it and it opens offline, unchanged, years later.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import pandas as pd
from matplotlib.figure import Figure

from experiments.scales import axis_top
from experiments.specs import FULL_MODEL, Pair, ScenarioSpec
from model.outcomes import OUTCOME_INFO

RUN_PANELS = (
    ("mean_legitimacy", "Trust in government", "mean, 0 to 1"),
    ("mean_grievance", "Grievance", "mean, 0 to 1"),
    ("hidden_grievance", "Hidden grievance", "per resident"),
    ("share_protesting", "Protesting", "share of residents"),
)
"""The four panels of ``sixerrors run``'s figure: trust, grievance, hidden
grievance and protest, the quantities the article's argument turns on."""

VERDICT_COLOURS = {
    "as expected": "#1b7837",
    "opposite": "#b2182b",
    "unclear": "#777777",
    "too few replications": "#777777",
    "no claim": "#2166ac",
}
DPI = 110


def _meaning(outcome: str) -> str:
    info = OUTCOME_INFO.get(outcome)
    return info.meaning if info else outcome


# --------------------------------------------------------------------------- figures


def plot_run(table: pd.DataFrame, path: Path, *, title: str = "") -> Path:
    """Trust, grievance, hidden grievance and protest over time for one run.

    The axes are fixed and start at zero (:func:`experiments.scales.axis_top`):
    an autoscaled axis would make a change from 0.604 to 0.626 fill the panel.
    """
    # Figure objects, not pyplot: files only, and no change to the caller's
    # backend (a notebook keeps drawing inline after a comparison).
    fig = Figure(figsize=(9, 6), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True)
    steps = table["step"] if "step" in table.columns else table.index
    for ax, (column, label, unit) in zip(axes.flat, RUN_PANELS, strict=True):
        peak = 0.0
        if column in table.columns:
            ax.plot(steps, table[column], color="#2166ac", linewidth=1.4)
            peak = float(pd.to_numeric(table[column], errors="coerce").max())
        ax.set_ylim(0.0, axis_top(column, peak))
        ax.set_title(f"{label} ({column})", fontsize=10)
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("step (week)")
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=DPI)
    return path


def plot_timeseries(
    series: pd.DataFrame, outcome: str, path: Path, scenarios: Sequence[str]
) -> Path:
    """Mean over replications with its 95% band, one line per scenario."""
    fig = Figure(figsize=(8, 4.2), layout="constrained")
    ax = fig.subplots()
    cmap = mpl.colormaps["tab10" if len(scenarios) <= 10 else "tab20"]
    data = series[series["outcome"] == outcome]
    for i, name in enumerate(scenarios):
        rows = data[data["scenario"] == name].sort_values("step")
        colour = cmap(i % cmap.N)
        ax.plot(rows["step"], rows["mean"], color=colour, linewidth=1.3, label=name)
        ax.fill_between(
            rows["step"], rows["ci_low"], rows["ci_high"], color=colour, alpha=0.2, linewidth=0
        )
    ax.set_title(f"{outcome}: {_meaning(outcome)}", fontsize=10)
    ax.set_xlabel("step (week)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.savefig(path, dpi=DPI)
    return path


def forest_outcomes(pairs: Sequence[Pair], outcomes: Sequence[str]) -> list[str]:
    """Outcomes the forest plot shows: those a pair makes a claim about, else the first four."""
    claimed = [o for o in outcomes if any(o in p.expected for p in pairs)]
    return claimed or list(outcomes[:4])


def plot_forest(
    pair_table: pd.DataFrame,
    pairs: Sequence[Pair],
    outcomes: Sequence[str],
    path: Path,
    *,
    statistic: str = "time_average",
) -> Path:
    """Paired differences (remedy - error) with 95% intervals, one panel per outcome.

    Colour says the verdict (green: the article's sign, red: the opposite,
    grey: the interval includes zero, blue: no claim about this outcome).
    """
    shown = forest_outcomes(pairs, outcomes)
    ncols = min(3, len(shown))
    nrows = math.ceil(len(shown) / ncols)
    height = max(2.2, 0.45 * len(pairs) + 1.3)
    fig = Figure(figsize=(4.2 * ncols, height * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    table = pair_table[pair_table["statistic"] == statistic]
    labels = [
        (p.title if len(p.title) <= 40 else p.title[:38] + "…")
        + ("" if p.variant == FULL_MODEL else f"\n({p.variant})")
        for p in pairs
    ]
    for ax, outcome in zip(axes.flat, shown, strict=False):
        rows = table[table["outcome"] == outcome].set_index("pair")
        for y, pair in enumerate(pairs):
            row: dict[Any, Any] = rows.loc[pair.name].to_dict()
            colour = VERDICT_COLOURS.get(str(row["verdict"]), "#000000")
            low, high, mean = float(row["ci_low"]), float(row["ci_high"]), float(row["mean"])
            if math.isfinite(low) and math.isfinite(high):
                ax.plot([low, high], [y, y], color=colour, linewidth=2)
            ax.plot([mean], [y], marker="o", color=colour)
            expected = pair.expected.get(outcome)
            if expected:
                ax.annotate(
                    "expected +" if expected > 0 else "expected −", (1.0, y),
                    xycoords=("axes fraction", "data"), ha="right", va="bottom", fontsize=7,
                    color="#555555",
                )
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.set_yticks(range(len(pairs)), labels if ax in axes[:, 0] else [""] * len(pairs))
        ax.set_ylim(len(pairs) - 0.5, -0.5)
        ax.set_title(outcome, fontsize=10)
        ax.set_xlabel("remedy − error", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    for ax in list(axes.flat)[len(shown):]:
        ax.set_visible(False)
    fig.suptitle(f"Paired differences with 95% intervals ({statistic.replace('_', ' ')})")
    fig.savefig(path, dpi=DPI)
    return path


def comparison_figures(
    store: Any, spec: ScenarioSpec, series: pd.DataFrame, pair_table: pd.DataFrame
) -> dict[str, Path]:
    """Every figure of a comparison, written to ``store.figure_path(name)``."""
    names = [s.name for s in spec.scenarios]
    figures: dict[str, Path] = {}
    if spec.pairs:
        figures["forest"] = plot_forest(
            pair_table, spec.pairs, spec.outcomes, store.figure_path("forest")
        )
    for outcome in spec.outcomes:
        figures[f"timeseries_{outcome}"] = plot_timeseries(
            series, outcome, store.figure_path(f"timeseries_{outcome}"), names
        )
    return figures


# --------------------------------------------------------------------------- reading


def _number(x: float) -> str:
    return f"{x:.3g}" if math.isfinite(x) else "n/a"


def pair_reading(
    pair: Pair, rows: pd.DataFrame, spec: ScenarioSpec, *, statistic: str = "time_average"
) -> list[str]:
    """Plain-language sentences about one pair, derived from its summary rows only.

    The wording follows the interval: "agree" or "show the opposite" only
    when the 95% interval excludes zero, otherwise "cannot tell".
    """
    rows = rows[(rows["pair"] == pair.name) & (rows["statistic"] == statistic)]
    n = int(rows["n"].max()) if len(rows) else 0
    sentences = [
        f"Remedy '{pair.remedy}' against error '{pair.error}'"
        + (f" (they differ only in {', '.join(pair.levers)})" if pair.levers else "")
        + f", over {n} paired replications of {spec.steps} steps with {spec.residents} "
        "residents, values averaged over each run."
    ]
    claimed = [o for o in spec.outcomes if o in pair.expected]
    described = claimed or list(spec.outcomes[:3])
    tally = {"as expected": 0, "opposite": 0, "unclear": 0, "too few replications": 0}
    for outcome in described:
        row = rows[rows["outcome"] == outcome].iloc[0]
        mean, low, high = float(row["mean"]), float(row["ci_low"]), float(row["ci_high"])
        what = f"{_meaning(outcome)} ({outcome})"
        if mean == 0 and (not math.isfinite(row["sd"]) or row["sd"] == 0):
            text = f"{what} was the same under both (difference exactly zero)"
        elif math.isfinite(mean):
            direction = "higher" if mean > 0 else "lower"
            text = (
                f"{what} was {_number(abs(mean))} {direction} under the remedy "
                f"(95% interval of the difference {_number(low)} to {_number(high)})"
            )
        else:
            text = f"{what} could not be compared (no finite values)"
        expected = pair.expected.get(outcome)
        kind = str(row["verdict"])
        if expected:
            wanted = "higher" if expected > 0 else "lower"
            tally[kind] = tally.get(kind, 0) + 1
            text += {
                "as expected": f"; the article expects it {wanted}, and these runs agree.",
                "opposite": f"; the article expects it {wanted}, but these runs show the "
                "opposite.",
                "unclear": f"; the interval includes zero, so these runs cannot tell whether "
                f"it is {wanted}, as the article expects.",
                "too few replications": f"; the article expects it {wanted}, but one "
                "replication gives no interval.",
            }.get(kind, ".")
        else:
            text += "."
        sentences.append(text[0].upper() + text[1:])
    if claimed:
        sentences.append(
            f"Of the article's {len(claimed)} claim(s) for this pair, {tally['as expected']} "
            f"agree with the model, {tally['opposite']} contradict it and "
            f"{tally['unclear'] + tally['too few replications']} remain undecided at this "
            "number of replications."
        )
    return sentences


# --------------------------------------------------------------------------- HTML


_STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; }
table { border-collapse: collapse; font-size: .85em; margin: .5em 0 1.5em; }
th, td { border: 1px solid #ddd; padding: .25em .5em; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; } pre { background: #f6f6f6; padding: 1em; overflow-x: auto;
      font-size: .8em; } .pair { margin-bottom: 1.5em; } .muted { color: #666; }
"""


def _image(path: Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _interval_table(
    table: pd.DataFrame, index: list[str], columns: str, statistic: str
) -> str:
    """A compact ``mean [low, high]`` table, one cell per (index, columns)."""
    rows = table[table["statistic"] == statistic].copy()
    rows["cell"] = [
        f"{_number(m)} [{_number(lo)}, {_number(hi)}]"
        for m, lo, hi in zip(rows["mean"], rows["ci_low"], rows["ci_high"], strict=True)
    ]
    wide = rows.pivot_table(
        index=index, columns=columns, values="cell", aggfunc="first", sort=False
    )
    return wide.to_html(escape=True, border=0)


def write_html(
    path: Path,
    spec: ScenarioSpec,
    scenario_table: pd.DataFrame,
    pair_table: pd.DataFrame,
    figures: Mapping[str, Path],
    manifest: Mapping[str, Any],
) -> Path:
    """Write the self-contained HTML report of a comparison.

    Figures are embedded as base64 PNG, the style is inline, and nothing is
    loaded from elsewhere, so the single file is the whole report.
    """
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(spec.title)}: sixerrors comparison</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{e(spec.title)}</h1>",
        f'<p class="muted">sixerrors comparison of {len(spec.scenarios)} scenarios, '
        f"{spec.replications} paired replications each (common random numbers, root seed "
        f"{spec.seed}), {spec.steps} steps, {spec.residents} residents. Intervals are 95% "
        "Student-t intervals across replications; differences are remedy minus error, "
        "paired by replicate.</p>",
        "<h2>Scenarios</h2><table><tr><th>scenario</th><th>regime</th><th>overrides</th>"
        "<th>description</th></tr>",
    ]
    for s in spec.scenarios:
        overrides = ", ".join(f"{k}={v}" for k, v in s.overrides.items()) or "none"
        parts.append(
            f"<tr><td>{e(s.name)}</td><td>{e(s.regime)}</td><td>{e(overrides)}</td>"
            f'<td style="text-align:left">{e(s.description)}</td></tr>'
        )
    parts.append("</table>")

    if spec.pairs:
        parts.append("<h2>What the comparison says, pair by pair</h2>")
        for pair in spec.pairs:
            sentences = pair_reading(pair, pair_table, spec)
            parts.append(f'<div class="pair"><h3>{e(pair.title)} — {e(pair.variant)}</h3>')
            parts.append("".join(f"<p>{e(s)}</p>" for s in sentences))
            parts.append("</div>")
        if "forest" in figures:
            parts.append("<h2>Paired differences</h2>")
            parts.append(_image(figures["forest"], "forest plot of paired differences"))
        for statistic in ("time_average", "final"):
            parts.append(f"<h3>Paired differences, {statistic.replace('_', ' ')}: "
                         "mean [95% interval]</h3>")
            parts.append(_interval_table(pair_table, ["pair"], "outcome", statistic))
        verdicts = pair_table[pair_table["expected"].notna()][
            ["pair", "outcome", "statistic", "expected", "mean", "ci_low", "ci_high", "verdict"]
        ]
        if len(verdicts):
            parts.append("<h3>The article's claims against the model</h3>")
            parts.append(verdicts.to_html(index=False, escape=True, border=0,
                                          float_format=_number))

    parts.append("<h2>Scenarios by outcome</h2>")
    for statistic in ("time_average", "final"):
        parts.append(f"<h3>{statistic.replace('_', ' ').capitalize()}: mean [95% interval]</h3>")
        parts.append(_interval_table(scenario_table, ["scenario"], "outcome", statistic))

    parts.append("<h2>Time series</h2>")
    for outcome in spec.outcomes:
        key = f"timeseries_{outcome}"
        if key in figures:
            parts.append(f"<h3>{e(outcome)}</h3><p>{e(_meaning(outcome))}.</p>")
            parts.append(_image(figures[key], f"{outcome} over time"))

    parts.append("<h2>Manifest</h2><p>Everything needed to reproduce these results.</p>")
    parts.append(f"<pre>{e(json.dumps(manifest, indent=2, sort_keys=True))}</pre>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
