"""Pattern P5: threshold cascades with contagion alone (:mod:`model.cascades`).

The reference mode runs the main model's protest rule with no grievance,
risk or arrest, so these checks test the rule's contagion half against two
classics: Watts' (2002) cascade window on Erdős–Rényi graphs and
Granovetter's (1978) riot with its one-person perturbation. Two negative
controls show that the window check can fail: with every threshold 0 the
whole network joins at every mean degree (no window: nothing limits the
cascade), and with every threshold 1 no cascade is ever global.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from experiments.validation.registry import CheckContext, CheckResult, check
from model.cascades import (
    GLOBAL_SHARE,
    TIE_MARGIN,
    ThresholdCascade,
    cascade_window,
    granovetter_thresholds,
)

WATTS_THRESHOLD = 0.18
"""Watts' uniform threshold in his Figure 1 (and EVIDENCE section 7)."""

MEAN_DEGREES = tuple(range(1, 11))
"""Mean degrees tried: the window and well beyond both its edges."""

UPPER_EDGES = (5, 6, 7)
"""Highest mean degree with global cascades that counts as "roughly 6"."""

WATTS = "Watts (2002), PNAS 99(9): 5766-5771, Fig. 1"
GRANOVETTER = "Granovetter (1978), AJS 83(6): 1420-1443"
CROWD = 100


def _window_sizes(context: CheckContext) -> tuple[int, int]:
    """Residents per graph and single-seed trials per mean degree."""
    return context.size((3_000, 100), (10_000, 500))


def _global(n: int) -> str:
    return f">= {GLOBAL_SHARE:.0%} of {n:,} residents"


def _window(context: CheckContext, n: int, threshold: float, trials: int) -> pd.DataFrame:
    """:func:`~model.cascades.cascade_window`, with the setting on every row.

    The residents per graph, the threshold, the share that counts as global
    and the tie margin of the rule go into the saved table so that a document written from the
    results folder (:mod:`experiments.validation.document`) can state them
    without reading the code, which may have changed since the run.
    """
    table = cascade_window(n, MEAN_DEGREES, threshold, trials, context.seed)
    return table.assign(
        residents=n, threshold=threshold, global_share=GLOBAL_SHARE, tie_margin=TIE_MARGIN
    )


def plot_window(table: pd.DataFrame, path: Path, *, title: str) -> Path:
    """Frequency of global cascades and their mean size against mean degree (Watts' Fig. 1)."""
    fig = Figure(figsize=(6.5, 4), layout="constrained")
    ax = fig.add_subplot()
    z = table["mean_degree"].to_numpy()
    ax.plot(z, table["frequency"], "o-", color="C0", label="frequency of global cascades")
    ax.plot(
        z,
        table["mean_global_size"],
        "s--",
        color="C3",
        label="mean size of global cascades (share)",
    )
    ax.set_xlabel("mean degree z (Erdős–Rényi)")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xticks(z)
    ax.set_title(title)
    ax.legend(loc="center right", fontsize="small")
    fig.savefig(path, dpi=120)
    return path


@check(
    "watts_window",
    pattern="P5",
    title="Watts' cascade window on Erdős–Rényi graphs, uniform threshold 0.18",
    source=WATTS,
)
def watts_window(context: CheckContext) -> CheckResult:
    """Global cascades from one seed occur only inside a window of mean degree.

    Passes when the degrees with any global cascade run without a gap from 2
    (the first whole degree above 1) to 5, 6 or 7, and at the window's upper
    edge cascades are rare (at most half the peak frequency) but large (a
    mean size of at least 95 % of the network): Watts' bimodal edge.
    """
    n, trials = _window_sizes(context)
    table = _window(context, n, WATTS_THRESHOLD, trials)
    window = table.loc[table["global_cascades"] > 0, "mean_degree"].tolist()
    plot_window(
        table,
        context.figure_path("watts_window"),
        title=f"Watts' window, threshold {WATTS_THRESHOLD}, n = {n:,}",
    )
    if not window:
        return CheckResult(
            "no global cascade at any mean degree 1-10",
            "cascades at mean degree 2 to 5-7",
            False,
            details=table,
        )
    low, high = min(window), max(window)
    contiguous = window == list(range(low, high + 1))
    peak = table.iloc[int(table["frequency"].to_numpy().argmax())]
    edge = table.set_index("mean_degree").loc[high]
    rare = edge["frequency"] <= 0.5 * peak["frequency"]
    large = edge["mean_global_size"] >= 0.95
    passed = contiguous and low == 2 and high in UPPER_EDGES and rare and large
    measured = (
        f"global cascades ({_global(n)}; {trials} single-seed trials per degree) at mean "
        f"degree {low}-{high}{'' if contiguous else ' with gaps'}; peak frequency "
        f"{peak['frequency']:.2f} at z = {int(peak['mean_degree'])}; at the upper edge "
        f"z = {high}: frequency {edge['frequency']:.3f}, mean size {edge['mean_global_size']:.3f}"
    )
    target = (
        "window roughly 1 < z < 6: lowest degree with cascades 2, highest 5-7, no gap; at the "
        "upper edge rare (frequency <= half the peak) and large (mean size >= 0.95)"
    )
    return CheckResult(measured, target, passed, value=float(high), details=table)


def _control(context: CheckContext, threshold: float, name: str) -> pd.DataFrame:
    n, _ = _window_sizes(context)
    trials = context.size(20, 100)
    table = _window(context, n, threshold, trials)
    plot_window(
        table,
        context.figure_path(name),
        title=f"Negative control: threshold {threshold:g}, n = {n:,}",
    )
    return table


@check(
    "watts_control_zero_thresholds",
    pattern="P5",
    title="Negative control: with every threshold 0 the window vanishes (all join)",
    source=WATTS,
    controls="watts_window",
)
def watts_control_zero_thresholds(context: CheckContext) -> CheckResult:
    """With threshold 0 everyone joins unprompted at every degree: no window at all."""
    table = _control(context, 0.0, "watts_control_zero_thresholds")
    everywhere = bool((table["frequency"] == 1.0).all() and (table["mean_size"] == 1.0).all())
    measured = (
        f"frequency of global cascades {table['frequency'].min():.2f}-"
        f"{table['frequency'].max():.2f} and mean size {table['mean_size'].min():.3f}-"
        f"{table['mean_size'].max():.3f} over mean degree 1-10"
    )
    return CheckResult(
        measured,
        "frequency 1 and size 1 at every mean degree (no window)",
        everywhere,
        value=float(table["frequency"].min()),
        details=table,
    )


@check(
    "watts_control_unit_thresholds",
    pattern="P5",
    title="Negative control: with every threshold 1 no cascade is global",
    source=WATTS,
    controls="watts_window",
)
def watts_control_unit_thresholds(context: CheckContext) -> CheckResult:
    """With threshold 1 a resident needs all its neighbours first: cascades stay local."""
    table = _control(context, 1.0, "watts_control_unit_thresholds")
    n, _ = _window_sizes(context)
    count = int(table["global_cascades"].sum())
    measured = (
        f"{count} global cascades ({_global(n)}) in {int(table['trials'].sum())} "
        f"trials over mean degree 1-10; largest mean size {table['mean_size'].max():.4f}"
    )
    return CheckResult(
        measured,
        "no global cascade at any mean degree (no window)",
        count == 0,
        value=float(count),
        details=table,
    )


def _riot(perturbed: bool) -> tuple[int, pd.DataFrame]:
    """Riot size and the number who have joined after each round."""
    cascade = ThresholdCascade.crowd(granovetter_thresholds(CROWD, perturbed=perturbed)).run()
    rounds = np.arange(cascade.rounds + 1)
    joined = [(cascade.joined_round[cascade.joined] <= r).sum() for r in rounds]
    table = pd.DataFrame({"round": rounds, "joined": np.asarray(joined, dtype=np.int64)})
    return cascade.size, table


def plot_riots(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    """People rioting after each round, for the uniform and the perturbed crowd."""
    fig = Figure(figsize=(6.5, 4), layout="constrained")
    ax = fig.add_subplot()
    for k, (label, table) in enumerate(tables.items()):
        ax.step(table["round"], table["joined"], where="post", color=f"C{k}", label=label)
    ax.set_xlabel("round")
    ax.set_ylabel(f"people rioting (of {CROWD})")
    ax.set_title("Granovetter's riot and its one-person perturbation")
    ax.legend(fontsize="small")
    fig.savefig(path, dpi=120)
    return path


@check(
    "granovetter_riot",
    pattern="P5",
    title=f"Granovetter's riot: thresholds 0..{CROWD - 1} in a crowd of {CROWD} bring all out",
    source=GRANOVETTER,
)
def granovetter_riot(context: CheckContext) -> CheckResult:
    """Each person's joining is exactly what the next threshold needs: everyone riots."""
    size, table = _riot(perturbed=False)
    _, perturbed = _riot(perturbed=True)
    plot_riots(
        {"thresholds 0..99": table, "threshold 1 made 2": perturbed},
        context.figure_path("granovetter_riots"),
    )
    measured = f"{size} of {CROWD} riot, one more each round ({len(table) - 1} rounds)"
    return CheckResult(
        measured, f"{CROWD} of {CROWD} (exactly)", size == CROWD, value=float(size), details=table
    )


@check(
    "granovetter_perturbed",
    pattern="P5",
    title="Granovetter's perturbation: the threshold-1 person made 2 stops the riot at 1",
    source=GRANOVETTER,
)
def granovetter_perturbed(context: CheckContext) -> CheckResult:
    """Nobody has threshold 1 any more, so the instigator riots alone."""
    size, table = _riot(perturbed=True)
    measured = f"{size} of {CROWD} riot"
    return CheckResult(
        measured,
        "1 of 100 (exactly): the instigator alone",
        size == 1,
        value=float(size),
        details=table,
    )
