"""The figures of a comparison's report: forest plot, pairs over time, outcomes over time.

Drawn for a reader who has only the page: every axis has a label with its
unit, every axis starts at zero with a top that moves only in round jumps
(:func:`experiments.scales.axis_top`), and no figure has more lines than a
reader can tell apart. Three kinds:

* :func:`plot_forest`: each pair's paired difference with its interval, the
  full model and the mechanisms-only variant on two rows next to each other,
  one panel per claimed outcome, pair titles wrapped so none is cut off.
* :func:`plot_pair_timeseries`: one pair's error and remedy over time, in the
  classroom's colours, full model above and mechanisms only below (small
  multiples: one panel per outcome).
* :func:`plot_outcome_overview`: one outcome, one small panel per scenario,
  that scenario's line highlighted over the others in grey, instead of a
  dozen look-alike lines in one panel.

Figure objects only (no pyplot), so a notebook's backend is never touched.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from experiments.palette import ERROR_COLOUR, REMEDY_COLOUR
from experiments.scales import axis_top, difference_range
from experiments.specs import FULL_MODEL, MECHANISMS_ONLY, Pair
from model.outcomes import OUTCOME_INFO

DPI = 110

VERDICT_COLOURS = {
    "as expected": "#1b7837",
    "opposite": "#b2182b",
    "unclear": "#777777",
    "too few replications": "#777777",
    "no claim": "#2166ac",
}
"""Colour of a pair's interval by its verdict (the forest plot and its legend)."""

VARIANT_MARKERS = {FULL_MODEL: "o", MECHANISMS_ONLY: "s"}
"""Marker of each variant: filled circle for the full model, open square for mechanisms only."""


def unit_label(outcome: str) -> str:
    """An axis label: what the outcome is measured in."""
    info = OUTCOME_INFO.get(outcome)
    return info.unit if info else ""


def short_name(outcome: str) -> str:
    """An outcome's name as a panel title: the column name with spaces."""
    return outcome.replace("_", " ")


def group_pairs(pairs: Sequence[Pair]) -> list[list[Pair]]:
    """Pairs grouped by title: an article pair's full-model and mechanisms-only variants together.

    Order follows the first appearance of each title; within a group the full
    model comes first.
    """
    groups: dict[str, list[Pair]] = {}
    for pair in pairs:
        groups.setdefault(pair.title, []).append(pair)
    return [sorted(g, key=lambda p: p.variant != FULL_MODEL) for g in groups.values()]


def records_by(table: pd.DataFrame, keys: Sequence[str]) -> dict[tuple[str, ...], dict[str, Any]]:
    """The rows of ``table`` as dicts, by the values of ``keys`` (one row per key assumed)."""
    records: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()} for r in table.to_dict("records")
    ]
    return {tuple(str(r[k]) for k in keys): r for r in records}


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

    Each pair takes one band of the panel, its variants on rows inside it
    (circle: full model; square: mechanisms only). Colour says the verdict
    (green: the article's sign, red: the opposite, grey: the interval
    includes zero, blue: no claim about this outcome). Pair titles are
    wrapped beside the first panel only, so they are never cut off and never
    overlap the points.
    """
    shown = forest_outcomes(pairs, outcomes)
    groups = group_pairs(pairs)
    rows = [(gi, p) for gi, group in enumerate(groups) for p in group]
    ncols = min(3, len(shown))
    nrows = math.ceil(len(shown) / ncols)
    height = max(2.6, 0.34 * len(rows) + 0.32 * len(groups) + 1.4)
    fig = Figure(figsize=(3.3 * ncols + 2.6, height * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
    table = records_by(pair_table[pair_table["statistic"] == statistic], ("pair", "outcome"))
    positions: list[float] = []
    y = 0.0
    for i, (gi, _) in enumerate(rows):
        if i and gi != rows[i - 1][0]:
            y += 0.6  # a gap between pairs
        positions.append(y)
        y += 1.0
    for ax, outcome in zip(axes.flat, shown, strict=False):
        finite: list[float] = []
        for ypos, (_, pair) in zip(positions, rows, strict=True):
            row = table.get((pair.name, outcome))
            if row is None:
                continue
            colour = VERDICT_COLOURS.get(str(row["verdict"]), "#000000")
            low, high, mean = float(row["ci_low"]), float(row["ci_high"]), float(row["mean"])
            if math.isfinite(low) and math.isfinite(high):
                ax.plot([low, high], [ypos, ypos], color=colour, linewidth=2.2)
                finite += [low, high]
            marker = VARIANT_MARKERS.get(pair.variant, "o")
            face = colour if pair.variant == FULL_MODEL else "white"
            ax.plot(
                [mean],
                [ypos],
                marker=marker,
                markersize=6.5,
                color=colour,
                markerfacecolor=face,
                markeredgewidth=1.6,
            )
        ax.axvline(0.0, color="black", linewidth=0.8)
        if finite:
            span = max(abs(min(finite)), abs(max(finite)), 1e-9) * 1.15
            floor, ceiling = difference_range(outcome)
            ax.set_xlim(max(-span, floor), min(span, ceiling))
        info = OUTCOME_INFO.get(outcome)
        better = {1: "higher is better", -1: "lower is better"}.get(info.better if info else 0)
        ax.set_title(outcome + (f"\n({better})" if better else ""), fontsize=10.5)
        ax.set_xlabel(f"remedy − error ({unit_label(outcome)})", fontsize=9)
        ax.tick_params(labelsize=8.5)
        ax.grid(axis="x", alpha=0.3)
    labels = [
        "\n".join(textwrap.wrap(p.title, 30))
        if p.variant == FULL_MODEL or len(groups[gi]) == 1
        else p.variant
        for gi, p in rows
    ]
    axes[0, 0].set_yticks(positions, labels, fontsize=8.5)
    axes[0, 0].set_ylim(positions[-1] + 0.8 if positions else 1, -0.8)
    for ax in list(axes.flat)[len(shown) :]:
        ax.set_visible(False)
    handles = [
        Line2D([], [], color="#333333", marker="o", linestyle="", label=FULL_MODEL),
        Line2D(
            [],
            [],
            color="#333333",
            marker="s",
            markerfacecolor="white",
            linestyle="",
            label=MECHANISMS_ONLY,
        ),
        *(
            Line2D([], [], color=c, linewidth=2.2, label=v)
            for v, c in VERDICT_COLOURS.items()
            if v != "too few replications"
        ),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=8.5, frameon=False)
    what = "time averages" if statistic == "time_average" else "final values"
    fig.suptitle(f"Paired differences, remedy − error, with 95% intervals ({what})", fontsize=12)
    fig.savefig(path, dpi=DPI)
    return path


def _band(ax: Axes, rows: pd.DataFrame, colour: str, label: str, style: str = "-") -> float:
    """One mean line with its band; returns its largest finite value."""
    rows = rows.sort_values("step")
    ax.plot(rows["step"], rows["mean"], color=colour, linewidth=1.8, linestyle=style, label=label)
    ax.fill_between(
        rows["step"], rows["ci_low"], rows["ci_high"], color=colour, alpha=0.18, linewidth=0
    )
    values = rows["ci_high"].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    return float(values.max()) if values.size else 0.0


def plot_pair_timeseries(
    series: pd.DataFrame, group: Sequence[Pair], outcomes: Sequence[str], path: Path
) -> Path:
    """One pair over time: error (red) and remedy (green), one row per variant.

    Args:
        series: The comparison's time-series table (scenario, outcome, step,
            mean, ci_low, ci_high).
        group: The pair's variants (full model first), from :func:`group_pairs`.
        outcomes: The outcomes to draw, one panel each.
        path: Where to write the PNG.
    """
    ncols = len(outcomes)
    fig = Figure(figsize=(2.9 * ncols + 0.6, 2.5 * len(group) + 0.9), layout="constrained")
    axes = fig.subplots(len(group), ncols, squeeze=False, sharex=True)
    for column, outcome in enumerate(outcomes):
        data = series[series["outcome"] == outcome]
        peak = 0.0
        for row, pair in enumerate(group):
            ax = axes[row, column]
            for name, colour, role in (
                (pair.error, ERROR_COLOUR, "error"),
                (pair.remedy, REMEDY_COLOUR, "remedy"),
            ):
                peak = max(peak, _band(ax, data[data["scenario"] == name], colour, role))
            if row == 0:
                ax.set_title(short_name(outcome), fontsize=10)
            unit = unit_label(outcome)
            ax.set_ylabel(f"{pair.variant}\n{unit}" if column == 0 else unit, fontsize=8.5)
            ax.tick_params(labelsize=8)
            ax.grid(alpha=0.3)
        top = axis_top(outcome, peak)
        for row in range(len(group)):
            axes[row, column].set_ylim(0.0, top)
    for ax in axes[-1]:
        ax.set_xlabel("week")
    first = group[0]
    handles = [
        Line2D([], [], color=ERROR_COLOUR, linewidth=2, label=f"error: {first.error}"),
        Line2D([], [], color=REMEDY_COLOUR, linewidth=2, label=f"remedy: {first.remedy}"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=9, frameon=False)
    fig.suptitle(first.title, fontsize=11.5)
    fig.savefig(path, dpi=DPI)
    return path


def plot_outcome_overview(
    series: pd.DataFrame,
    outcome: str,
    path: Path,
    scenarios: Sequence[str],
    *,
    ncols: int = 4,
) -> Path:
    """One outcome, small multiples: each scenario's mean highlighted over the rest in grey."""
    data = series[series["outcome"] == outcome]
    by_scenario: Mapping[str, pd.DataFrame] = {
        name: data[data["scenario"] == name].sort_values("step") for name in scenarios
    }
    ncols = max(1, min(ncols, len(scenarios)))
    nrows = math.ceil(len(scenarios) / ncols)
    fig = Figure(figsize=(2.6 * ncols + 0.5, 1.9 * nrows + 0.8), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True)
    peak = 0.0
    for rows in by_scenario.values():
        values = rows["ci_high"].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        peak = max(peak, float(values.max()) if values.size else 0.0)
    for ax, name in zip(axes.flat, scenarios, strict=False):
        for other, rows in by_scenario.items():
            if other != name:
                ax.plot(rows["step"], rows["mean"], color="#c8c8c8", linewidth=0.8)
        _band(ax, by_scenario[name], "#2166ac", name)
        ax.set_title("\n".join(textwrap.wrap(name, 28)), fontsize=8.5)
        ax.tick_params(labelsize=7.5)
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylim(0.0, axis_top(outcome, peak))
    for ax in list(axes.flat)[len(scenarios) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(unit_label(outcome), fontsize=8.5)
    for ax in axes[-1]:
        ax.set_xlabel("week", fontsize=8.5)
    info = OUTCOME_INFO.get(outcome)
    title = f"{outcome}: {info.meaning}" if info else outcome
    fig.suptitle("\n".join(textwrap.wrap(title, 110)), fontsize=10.5)
    fig.savefig(path, dpi=DPI)
    return path
