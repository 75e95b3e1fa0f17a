"""The self-contained HTML report of a comparison, and the figure of ``sixerrors run``.

Reports read what :mod:`experiments.compare` wrote and never compute a result
of their own, so a report is reproduced from its results folder alone
(README.md, Reproducibility): every number and every sentence of the
plain-language reading is derived from the summary tables, so the reading
cannot claim more than the intervals show. The HTML page embeds its figures
as base64 PNG and its style inline, and links to nothing, so an analyst can
email it and it opens offline, unchanged, years later.

Written for an analyst who has only the page: a glossary defines every
statistic and every outcome (unit, possible range, which direction is
better); numbers are rounded for reading (the CSV and Parquet tables keep
full precision); every table fits a 1280-pixel window; each article pair
shows its full-model and mechanisms-only results side by side; and the
reading of a pair covers every outcome the article makes a claim about and
names the side effects (an outcome the remedy makes clearly worse).
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from experiments.intervals import RESAMPLES
from experiments.report_figures import (
    VERDICT_COLOURS,
    forest_outcomes,
    group_pairs,
    plot_forest,
    plot_outcome_overview,
    plot_pair_timeseries,
    records_by,
)
from experiments.scales import axis_top, outcome_range
from experiments.specs import MECHANISMS_SUFFIX, Pair, ScenarioSpec, error_key
from experiments.store import write_text_atomically
from model.outcomes import OUTCOME_INFO

__all__ = [
    "GLOSSARY",
    "VERDICT_COLOURS",
    "comparison_figures",
    "forest_outcomes",
    "pair_reading",
    "plot_forest",
    "plot_run",
    "write_html",
]

RUN_PANELS = (
    ("mean_legitimacy", "Trust in government", "mean, 0 to 1"),
    ("mean_grievance", "Grievance", "mean, 0 to 1"),
    ("hidden_grievance", "Hidden grievance", "per resident"),
    ("share_protesting", "Protesting", "share of residents"),
)
"""The four panels of ``sixerrors run``'s figure: trust, grievance, hidden
grievance and protest, the quantities the article's argument turns on."""

DPI = 110

PAIR_SERIES = ("hidden_grievance", "share_protesting", "incidents_per_10k", "mass_incidents")
"""Outcomes drawn over time for a pair after those it makes a claim about (up to four panels)."""

GLOSSARY: Mapping[str, str] = {
    "final": "The outcome's value in the last week of a run (week T).",
    "time average": (
        "The mean of the outcome over weeks 1 to T of a run. Week 0, the starting state "
        "that every regime shares, is left out; weeks in which the outcome is undefined "
        "(time to first incident before any incident) are skipped. The same definition is "
        "used by compare, sensitivity analysis, scenario discovery, sixerrors run and the "
        "notebooks (experiments.tasks.time_average)."
    ),
    "mean": "The mean of a statistic over the replications (runs with different seeds).",
    "paired difference": (
        "Remedy minus error, replication by replication: replicate r of both scenarios uses "
        "the same seed (common random numbers), so they start from the same residents, "
        "network and shocks and differ by their levers only."
    ),
    "95% interval": (
        "A confidence interval of the mean over replications: how well the mean is known "
        "with this many replications, not how much single runs vary. It never leaves the "
        "values the outcome (or a difference of it) can take, because its method cannot, "
        "not because it is cut: see interval method."
    ),
    "interval method": (
        "Scenario levels of an outcome with a bound (a share, between 0 and 1; a count, 0 "
        f"or more): a percentile bootstrap of the mean over replications ({RESAMPLES:,} resamples "
        "drawn from a seed derived from the root seed, so the report is reproduced exactly; "
        "percentiles widened for few replications, after Hesterberg 2015). Every resampled "
        "mean is a mean of values the runs produced, so the interval stays inside them. "
        "Paired differences: the Student-t interval of the differences, the standard for "
        "common random numbers, where it lies within the difference's possible range (−1 "
        "to 1 for a share), otherwise the paired percentile bootstrap. Bands over time: "
        "the t interval where it lies within the outcome's range, otherwise the bootstrap. "
        "The column ci_method of the summary tables names the method of every interval "
        "(t or bootstrap). With fewer than 6 replications an interval that stays inside "
        "the data cannot be trusted to cover the mean 95% of the time (all the runs may "
        "fall on one side of it): run more for a level you publish."
    ),
    "no spread": (
        "Where every replication gives the same value, the interval is that value, e.g. "
        "[1, 1] for a stability every run kept: there is no spread over replications, "
        "which is not certainty about other seeds."
    ),
    "as expected / opposite": (
        "The article expects the remedy to move this outcome in one direction, and the 95% "
        "interval of the paired difference excludes zero in that direction (as expected) "
        "or in the other one (opposite)."
    ),
    "unclear": "The 95% interval includes zero: these runs cannot tell the sign.",
    "full model / mechanisms only": (
        "Every article pair is run twice: in the full model, and with every assumed direct "
        "payoff switched off (an answered petition adding trust by assumption, say), so "
        "that only what the mechanisms produce remains. The share of a difference that "
        "survives is what emerges; the rest was put in as an assumption."
    ),
    "side effect": (
        "An outcome the article makes no claim about that the remedy makes clearly worse "
        "(95% interval excluding zero in the worse direction) by a notable amount (at least "
        "a tenth of the error's level, and half a percentage point for a share), e.g. a "
        "larger largest incident or higher costs."
    ),
}
"""Every statistic and word of the report, defined once (the report's glossary)."""

BETTER = {1: "higher", -1: "lower", 0: "neither"}


# --------------------------------------------------------------------------- numbers


def decimals_for(values: Sequence[float]) -> int:
    """Digits after the point that give the largest of ``values`` three significant digits."""
    finite = [abs(float(v)) for v in values if math.isfinite(float(v)) and float(v) != 0]
    if not finite:
        return 2
    return int(min(4, max(0, 2 - math.floor(math.log10(max(finite))))))


def fmt(x: float, decimals: int, *, signed: bool = False) -> str:
    """``x`` rounded for reading: fixed digits, no exponent, no minus zero."""
    if not math.isfinite(x):
        return "n/a"
    text = f"{x:+.{decimals}f}" if signed else f"{x:.{decimals}f}"
    stripped = text.lstrip("+-").replace("0", "").replace(".", "")
    if not stripped:  # rounds to zero
        return f"{0:.{decimals}f}"
    return text.replace("-", "−")


def _cell(mean: float, low: float, high: float, *, signed: bool = False) -> str:
    """``mean [low, high]``, all three with the digits that give the largest three figures."""
    decimals = decimals_for([mean, low, high])
    interval = (
        f'<span class="ci">[{fmt(low, decimals, signed=signed)}, '
        f"{fmt(high, decimals, signed=signed)}]</span>"
        if math.isfinite(low) and math.isfinite(high)
        else ""
    )
    return f"{fmt(mean, decimals, signed=signed)} {interval}"


def meaning(outcome: str) -> str:
    """The declared meaning of an outcome (its name when it has none)."""
    info = OUTCOME_INFO.get(outcome)
    return info.meaning if info else outcome


# --------------------------------------------------------------------------- run figure


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


# --------------------------------------------------------------------------- figures


def pair_series_outcomes(group: Sequence[Pair], outcomes: Sequence[str]) -> list[str]:
    """Outcomes drawn over time for a pair: its claims, then protest and incidents (four)."""
    claimed = [o for o in outcomes if o in group[0].expected]
    rest = [o for o in PAIR_SERIES if o in outcomes and o not in claimed]
    return (claimed + rest)[:4] or list(outcomes[:4])


def overview_scenarios(spec: ScenarioSpec) -> list[str]:
    """Scenarios of the outcome overviews: the mechanisms-only copies are in the pairs' figures."""
    names = [s.name for s in spec.scenarios]
    plain = [n for n in names if not n.endswith(MECHANISMS_SUFFIX)]
    return plain or names


def comparison_figures(
    store: Any, spec: ScenarioSpec, series: pd.DataFrame, pair_table: pd.DataFrame
) -> dict[str, Path]:
    """Every figure of a comparison, written to ``store.figure_path(name)``."""
    figures: dict[str, Path] = {}
    if spec.pairs:
        figures["forest"] = plot_forest(
            pair_table, spec.pairs, spec.outcomes, store.figure_path("forest")
        )
        for group in group_pairs(spec.pairs):
            key = f"pair_{group[0].name}"
            figures[key] = plot_pair_timeseries(
                series,
                group,
                pair_series_outcomes(group, spec.outcomes),
                store.figure_path(key),
            )
    scenarios = overview_scenarios(spec)
    for outcome in spec.outcomes:
        figures[f"timeseries_{outcome}"] = plot_outcome_overview(
            series, outcome, store.figure_path(f"timeseries_{outcome}"), scenarios
        )
    return figures


# --------------------------------------------------------------------------- reading


def _difference_text(what: str, row: Mapping[str, Any], decimals: int) -> str:
    mean, low, high = float(row["mean"]), float(row["ci_low"]), float(row["ci_high"])
    sd = float(row["sd"]) if "sd" in row else math.nan
    if mean == 0 and (not math.isfinite(sd) or sd == 0):
        return f"{what} was the same under both (difference exactly zero)"
    if not math.isfinite(mean):
        return f"{what} could not be compared (no finite values)"
    direction = "higher" if mean > 0 else "lower"
    interval = (
        f" (95% interval of the difference {fmt(low, decimals)} to {fmt(high, decimals)})"
        if math.isfinite(low) and math.isfinite(high)
        else ""
    )
    return f"{what} was {fmt(abs(mean), decimals)} {direction} under the remedy{interval}"


NOTABLE_SHARE = 0.10
"""A side effect is notable when the difference is at least this share of the error's level."""

NOTABLE_FLOOR = 0.005
"""...and, for an outcome bounded by 0 and 1, at least this much (half a percentage point)."""


def scenario_levels(scenario_table: pd.DataFrame, statistic: str) -> dict[tuple[str, str], float]:
    """Mean of each (scenario, outcome) for ``statistic``: the levels side effects are judged by."""
    rows = scenario_table[scenario_table["statistic"] == statistic]
    records = records_by(rows, ("scenario", "outcome"))
    return {(k[0], k[1]): float(r["mean"]) for k, r in records.items()}


def notable(outcome: str, difference: float, level: float | None) -> bool:
    """Whether a difference is large enough to mention as a side effect.

    Large against the error side's level (:data:`NOTABLE_SHARE`), and for an
    outcome between 0 and 1 not below :data:`NOTABLE_FLOOR`; without a
    level (no scenario table), every clear difference is notable.
    """
    if outcome_range(outcome)[1] <= 1.0 and abs(difference) < NOTABLE_FLOOR:
        return False
    if level is None or not math.isfinite(level):
        return True
    return abs(difference) >= NOTABLE_SHARE * abs(level) if level else True


def side_effects(
    pair: Pair, rows: pd.DataFrame, levels: Mapping[tuple[str, str], float] | None = None
) -> tuple[list[str], list[str]]:
    """Outcomes without a claim that the remedy makes clearly and notably worse, and better.

    "Clearly": the 95% interval excludes zero; "notably": :func:`notable`
    against the error scenario's level in ``levels``. "Worse" and "better"
    follow each outcome's declared direction (``Outcome.better``); outcomes
    with no better direction (spending, petitioning) are left out.
    """
    worse: list[str] = []
    better: list[str] = []
    for row in records_by(rows, ("outcome",)).values():
        outcome = str(row["outcome"])
        info = OUTCOME_INFO.get(outcome)
        if outcome in pair.expected or info is None or info.better == 0:
            continue
        low, high = float(row["ci_low"]), float(row["ci_high"])
        if not (math.isfinite(low) and math.isfinite(high)) or low <= 0 <= high:
            continue
        level = None if levels is None else levels.get((pair.error, outcome))
        if not notable(outcome, float(row["mean"]), level):
            continue
        sign = 1 if low > 0 else -1
        (better if sign == info.better else worse).append(outcome)
    return worse, better


def pair_reading(
    pair: Pair,
    rows: pd.DataFrame,
    spec: ScenarioSpec,
    *,
    statistic: str = "time_average",
    levels: Mapping[tuple[str, str], float] | None = None,
) -> list[str]:
    """Plain-language sentences about one pair, derived from its summary rows only.

    Covers every outcome the article makes a claim about; the wording follows
    the interval: "agree" or "show the opposite" only when the 95% interval
    excludes zero, otherwise "cannot tell". Then names the side effects: the
    outcomes without a claim that the remedy makes clearly and notably worse
    (and, in one sentence, those it makes clearly better); ``levels`` (from
    :func:`scenario_levels`) says what "notably" is measured against.
    """
    rows = rows[(rows["pair"] == pair.name) & (rows["statistic"] == statistic)]
    n = int(rows["n"].max()) if len(rows) else 0
    what_stat = "averaged over weeks 1 to T" if statistic == "time_average" else "in the final week"
    sentences = [
        f"Remedy '{pair.remedy}' against error '{pair.error}'"
        + (f" (they differ only in {', '.join(pair.levers)})" if pair.levers else "")
        + f", over {n} paired replications of {spec.steps} weeks with {spec.residents} "
        f"residents, values {what_stat}."
    ]
    by_outcome = records_by(rows, ("outcome",))
    claimed = [o for o in spec.outcomes if o in pair.expected]
    described = claimed or list(spec.outcomes[:3])
    tally = {"as expected": 0, "opposite": 0, "unclear": 0, "too few replications": 0}
    for outcome in described:
        row = by_outcome.get((outcome,))
        if row is None:
            continue
        decimals = decimals_for([row["mean"], row["ci_low"], row["ci_high"]])
        text = _difference_text(f"{meaning(outcome)} ({outcome})", row, decimals)
        expected = pair.expected.get(outcome)
        kind = str(row["verdict"])
        if expected:
            wanted = "higher" if expected > 0 else "lower"
            tally[kind] = tally.get(kind, 0) + 1
            text += {
                "as expected": f"; the article expects it {wanted}, and these runs agree.",
                "opposite": f"; the article expects it {wanted}, but these runs show the opposite.",
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
    worse, better = side_effects(pair, rows, levels)
    for outcome in worse:
        row = by_outcome[(outcome,)]
        decimals = decimals_for([row["mean"], row["ci_low"], row["ci_high"]])
        wanted = BETTER[OUTCOME_INFO[outcome].better]
        text = _difference_text(f"{meaning(outcome)} ({outcome})", row, decimals)
        sentences.append(
            f"Side effect: {text[0].lower() + text[1:]}; {wanted} is better, so "
            "the remedy is worse here."
        )
    if better:
        sentences.append("Also clearly better under the remedy: " + ", ".join(better) + ".")
    return sentences


# --------------------------------------------------------------------------- HTML


_STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; max-width: 1220px;
       margin: 1.5em auto; padding: 0 16px; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em;
     margin-top: 1.6em; }
h3 { margin-bottom: .3em; }
table { border-collapse: collapse; font-size: .86em; margin: .4em 0 1.2em; max-width: 100%; }
th, td { border-bottom: 1px solid #e2e2e2; padding: .22em .5em; text-align: right;
         vertical-align: top; }
th { background: #f3f3f3; font-weight: 600; }
td.name, th.name { text-align: left; white-space: normal; max-width: 22em; }
td.text { text-align: left; white-space: normal; }
td.num { white-space: nowrap; font-variant-numeric: tabular-nums; }
.ci { color: #666; font-size: .92em; }
img { max-width: 100%; height: auto; } pre { background: #f6f6f6; padding: 1em;
      overflow-x: auto; font-size: .8em; max-height: 30em; }
.pair { margin-bottom: 2em; } .muted { color: #666; }
.variants { display: flex; gap: 18px; flex-wrap: wrap; }
.variant { flex: 1 1 480px; min-width: 0; background: #fafafa; border: 1px solid #e5e5e5;
           border-radius: 6px; padding: 6px 12px; }
.variant h4 { margin: .3em 0; }
.verdict { font-weight: 600; white-space: nowrap; }
.scroll { overflow-x: auto; }
details { margin: .5em 0 1em; } summary { cursor: pointer; font-weight: 600; }
"""


def _image(path: Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def glossary_html(outcomes: Sequence[str]) -> str:
    """The glossary: every statistic and word, then every outcome of the report."""
    e = html.escape
    parts = ['<table><tr><th class="name">term</th><th class="name">definition</th></tr>']
    for term, text in GLOSSARY.items():
        parts.append(
            f'<tr><td class="name"><b>{e(term)}</b></td><td class="text">{e(text)}</td></tr>'
        )
    parts.append("</table>")
    parts.append(
        '<table><tr><th class="name">outcome</th><th class="name">definition</th>'
        '<th class="name">unit</th><th>possible values</th><th>better</th></tr>'
    )
    for outcome in outcomes:
        info = OUTCOME_INFO.get(outcome)
        if info is None:
            continue
        low, high = outcome_range(outcome)
        span = f"{low:g} to {high:g}" if math.isfinite(high) else f"{low:g} or more"
        parts.append(
            f'<tr><td class="name"><code>{e(outcome)}</code></td>'
            f'<td class="text">{e(info.meaning)}</td><td class="name">{e(info.unit)}</td>'
            f'<td class="num">{e(span)}</td><td>{BETTER[info.better]}</td></tr>'
        )
    parts.append("</table>")
    return "".join(parts)


def _verdict(row: Mapping[str, Any]) -> str:
    verdict = str(row.get("verdict", ""))
    if verdict in ("no claim", ""):
        return ""
    colour = VERDICT_COLOURS.get(verdict, "#000")
    return f'<span class="verdict" style="color:{colour}">{html.escape(verdict)}</span>'


def pair_table_html(
    group: Sequence[Pair], pair_table: pd.DataFrame, outcomes: Sequence[str], statistic: str
) -> str:
    """One pair's differences, its variants side by side: one row per outcome."""
    e = html.escape
    rows = records_by(pair_table[pair_table["statistic"] == statistic], ("pair", "outcome"))
    head = "".join(f"<th>{e(p.variant)}</th><th></th>" for p in group)
    parts = [f'<table><tr><th class="name">outcome (remedy − error)</th>{head}</tr>']
    claimed = [o for o in outcomes if o in group[0].expected]
    for outcome in claimed + [o for o in outcomes if o not in claimed]:
        cells = []
        for pair in group:
            row = rows.get((pair.name, outcome))
            if row is None:
                cells.append("<td></td><td></td>")
                continue
            cell = _cell(
                float(row["mean"]), float(row["ci_low"]), float(row["ci_high"]), signed=True
            )
            cells.append(f'<td class="num">{cell}</td><td>{_verdict(row)}</td>')
        star = " *" if outcome in claimed else ""
        parts.append(
            f'<tr><td class="name"><code>{e(outcome)}</code>{star}</td>{"".join(cells)}</tr>'
        )
    parts.append("</table>")
    return "".join(parts)


def scenario_tables_html(
    scenario_table: pd.DataFrame,
    scenarios: Sequence[str],
    outcomes: Sequence[str],
    statistic: str,
    *,
    per_table: int = 5,
) -> str:
    """Scenario means with intervals, a few outcomes per table so each fits the window."""
    e = html.escape
    rows = scenario_table[scenario_table["statistic"] == statistic]
    indexed = records_by(rows, ("scenario", "outcome"))
    parts = []
    for start in range(0, len(outcomes), per_table):
        chunk = list(outcomes[start : start + per_table])
        head = "".join(f"<th><code>{e(o)}</code></th>" for o in chunk)
        parts.append(f'<div class="scroll"><table><tr><th class="name">scenario</th>{head}</tr>')
        for name in scenarios:
            cells = []
            for outcome in chunk:
                row = indexed.get((name, outcome))
                if row is not None:
                    cell = _cell(float(row["mean"]), float(row["ci_low"]), float(row["ci_high"]))
                    cells.append(f'<td class="num">{cell}</td>')
                else:
                    cells.append("<td></td>")
            parts.append(f'<tr><td class="name">{e(name)}</td>{"".join(cells)}</tr>')
        parts.append("</table></div>")
    return "".join(parts)


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
    loaded from elsewhere, so the single file is the whole report. It is
    written as the manifest and the summaries are (a temporary file, synced,
    renamed, its folder synced), so a stop or a full disk mid-write leaves
    the previous report or none, never half of one that looks whole.
    """
    e = html.escape
    names = [s.name for s in spec.scenarios]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(spec.title)}: sixerrors comparison</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{e(spec.title)}</h1>",
        f'<p class="muted">sixerrors comparison of {len(spec.scenarios)} scenarios, '
        f"{spec.replications} paired replications each (common random numbers, root seed "
        f"{spec.seed}), {spec.steps} weeks, {spec.residents} residents. Numbers are rounded "
        "for reading; the tables in <code>summaries/</code> (CSV and Parquet) keep full "
        'precision. Every term is defined in the <a href="#glossary">glossary</a>.</p>',
    ]
    if spec.pairs:
        parts.append(_pairs_html(spec, pair_table, scenario_table, figures))
    parts.append(
        '<h2>Scenarios</h2><table><tr><th class="name">scenario</th>'
        '<th class="name">regime</th><th class="name">overrides</th>'
        '<th class="name">description</th></tr>'
    )
    for s in spec.scenarios:
        overrides = ", ".join(f"{k}={v}" for k, v in s.overrides.items()) or "none"
        if len(overrides) > 80:
            overrides = f"{len(s.overrides)} parameters (see the manifest)"
        parts.append(
            f'<tr><td class="name">{e(s.name)}</td><td class="name">{e(s.regime)}</td>'
            f'<td class="name">{e(overrides)}</td><td class="text">{e(s.description)}</td></tr>'
        )
    parts.append("</table>")

    parts.append("<h2>Scenarios by outcome</h2>")
    parts.append(
        "<p>Mean over replications [95% interval; a percentile bootstrap for shares and "
        'counts, see <a href="#glossary">interval method</a>].</p>'
    )
    for statistic, title in (("time_average", "Time average"), ("final", "Final week")):
        block = scenario_tables_html(scenario_table, names, spec.outcomes, statistic)
        if statistic == "time_average":
            parts.append(f"<h3>{title}</h3>{block}")
        else:
            parts.append(f"<details><summary>{title}</summary>{block}</details>")

    parts.append("<h2>Outcomes over time</h2>")
    parts.append(
        "<p>Mean over replications with its 95% band; each small panel highlights "
        "one scenario over the others (grey).</p>"
    )
    for outcome in spec.outcomes:
        key = f"timeseries_{outcome}"
        if key in figures:
            parts.append(f"<h3><code>{e(outcome)}</code></h3>")
            parts.append(_image(figures[key], f"{outcome} over time, by scenario"))

    parts.append('<h2 id="glossary">Glossary</h2>')
    parts.append(glossary_html(spec.outcomes))
    parts.append("<h2>Manifest</h2><p>Everything needed to reproduce these results.</p>")
    parts.append(f"<pre>{e(json.dumps(manifest, indent=2, sort_keys=True))}</pre>")
    parts.append("</body></html>")
    return write_text_atomically(path, "\n".join(parts))


def _pairs_html(
    spec: ScenarioSpec,
    pair_table: pd.DataFrame,
    scenario_table: pd.DataFrame,
    figures: Mapping[str, Path],
) -> str:
    """The pairs: reading and table of each (variants side by side), the forest plot."""
    e = html.escape
    levels = scenario_levels(scenario_table, "time_average")
    parts = [
        "<h2>What the comparison says, pair by pair</h2>",
        "<p>Differences are remedy − error, paired by replicate; * marks an outcome the "
        "article makes a claim about. The full model and the mechanisms-only variant "
        "(every assumed direct payoff off) stand side by side.</p>",
    ]
    for group in group_pairs(spec.pairs):
        parts.append(f'<div class="pair"><h3>{e(group[0].title)}</h3>')
        if group[0].claim:
            parts.append(f'<p class="muted">Claim tested: {e(group[0].claim)}</p>')
        parts.append('<div class="variants">')
        for pair in group:
            sentences = pair_reading(pair, pair_table, spec, levels=levels)
            parts.append(f'<div class="variant"><h4>{e(pair.variant)}</h4>')
            parts.append("".join(f"<p>{e(s)}</p>" for s in sentences))
            parts.append("</div>")
        parts.append("</div>")
        parts.append(where_it_fails_html(group[0]))
        parts.append("<h4>Time averages: mean [95% interval]</h4>")
        parts.append(pair_table_html(group, pair_table, spec.outcomes, "time_average"))
        parts.append("<details><summary>Final week: mean [95% interval]</summary>")
        parts.append(pair_table_html(group, pair_table, spec.outcomes, "final"))
        parts.append("</details>")
        key = f"pair_{group[0].name}"
        if key in figures:
            parts.append(_image(figures[key], f"{group[0].title} over time"))
        parts.append("</div>")
    if "forest" in figures:
        parts.append("<h2>Paired differences at a glance</h2>")
        parts.append(_image(figures["forest"], "forest plot of paired differences"))
    return "".join(parts)


def where_it_fails_html(pair: Pair) -> str:
    """Where the article's claim fails in the plausible world, from scenario discovery.

    Read from the classroom's findings file (written from a ``sixerrors
    discover`` folder by ``python -m experiments.classroom.findings``, which
    names the folder), so the report, the classroom and docs/six_errors.md
    say the same. Empty for a custom pair and when discovery has not
    searched the pair.
    """
    if pair.number is None or not pair.name.startswith("error_"):
        return ""
    from experiments.classroom.findings import FindingsError, load_findings  # noqa: PLC0415

    try:
        findings = load_findings()
    except (FindingsError, OSError):
        return ""
    finding = findings.of(error_key(pair.name))
    if finding is None or not finding.fails_where:
        return ""
    e = html.escape
    source = findings.discovery_source or "a sixerrors discover folder"
    return (
        f"<h4>Where the claim {'weakens' if finding.region == 'weakens' else 'fails'} "
        "(scenario discovery)</h4>"
        f"<p>{e(finding.fails_where)}</p>"
        + (f"<p>{e(finding.fails_through)}</p>" if finding.fails_through else "")
        + f'<p class="muted">Not from this comparison: from {e(source)}, over the declared '
        "plausible ranges of the world parameters (experiments/classroom/findings.toml).</p>"
    )
