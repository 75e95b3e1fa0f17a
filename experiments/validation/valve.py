"""The safety valve and what suppression stores up (EVIDENCE 3; ODD patterns P1-P3).

- Lorentzen (2013): under tolerance of small protest, observed small
  protest against latent discontent is an inverted U: rare where discontent
  is low, more common in between, rarer again where discontent is so high
  that protesters join into large incidents. Checked with the safety
  valve's cadres fixed, and with them judged by incidents (the state
  tightening control as protest grows).
- Coser (1956): a rigid system that suppresses conflict sees protest less
  often, but conflict, when it comes, is larger.
- P1, punctuated equilibrium (Epstein 2002): under suppression, long quiet
  spells while hidden grievance builds up, broken by bursts of incidents.
- P2, the safety valve: tolerating and answering petitions keeps grievance
  lower and trust higher; petitions are more frequent, large incidents rarer.
- P3, short run against long run: suppression can lower visible protest in
  the first months while hidden grievance grows; the cost comes later.

P2 and P3 are the article's Error 1 seen as patterns: they are checked here
like any other, and a failure is reported, not tuned away.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from experiments.intervals import (
    bootstrap_interval,
    bootstrap_seed,
    resampled_bounds,
    resampled_means,
)
from experiments.validation.registry import CheckContext, CheckResult, check, interval_words
from experiments.validation.runs import Result, Run, mean_last_half, run_all, seeds_for

LORENTZEN = "Lorentzen (2013), Quarterly J. Political Science 8(2): 127-158"
COSER = "Coser (1956), The Functions of Social Conflict"
ODD = "ODD.md, patterns P1-P3; Epstein (2002); Coser (1956)"

DISCONTENT = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
"""Multiples of the world's ``inflow_rate`` that set latent discontent from low to high."""


@check("safety_valve_inverted_u", pattern="E3",
       title="Under tolerance, small protest against latent discontent is an inverted U",
       source=LORENTZEN)  # fmt: skip
def safety_valve_inverted_u(context: CheckContext) -> CheckResult:
    """The safety-valve regime, with latent discontent (inflow of grievance) swept."""
    return _discontent_sweep(context, "safety_valve_inverted_u", "Safety valve", {})


@check("safety_valve_inverted_u_responsive", pattern="E3",
       title="Under tolerance with cadres judged by incidents, small protest against latent "
       "discontent is an inverted U",
       source=LORENTZEN)  # fmt: skip
def safety_valve_inverted_u_responsive(context: CheckContext) -> CheckResult:
    """The same sweep where the state answers protest: cadres judged by incidents.

    Why a second check: in Lorentzen's account the state tolerates small
    protest only while it is not dangerous, and tightens control as protest
    grows; in the safety-valve regime the cadres do not respond at all.
    Judging cadres by incidents (``cadre_incentive`` "stability_veto") is
    the model's own way for the state to tighten control as protest grows
    (cadres shift effort to control and hire stability staff).
    """
    return _discontent_sweep(
        context,
        "safety_valve_inverted_u_responsive",
        "Safety valve, cadres judged by incidents",
        {"cadre_incentive": "stability_veto"},
    )


def _discontent_sweep(
    context: CheckContext, name: str, label: str, overrides: dict[str, object]
) -> CheckResult:
    """The safety valve over :data:`DISCONTENT`; passes on an interior peak of small protest.

    ``label`` names the world in the figure's title; ``overrides`` set it.
    """
    residents, count = context.size((2_000, 1), (4_000, 3))
    inflow = context.world_value("inflow_rate")
    rows = []
    for k, factor in enumerate(DISCONTENT):
        settings = {**overrides, "inflow_rate": min(1.0, factor * inflow)}
        runs = [Run("safety_valve", residents, 156, settings)] * count
        results = run_all(
            runs, seeds_for(context.seed, count, stream=name, offset=10 * k), world=context.world
        )
        rows.append(
            {
                "inflow_factor": factor,
                "mean_grievance": mean_last_half(results, "mean_grievance"),
                "small_protests_per_10k": mean_last_half(results, "small_protests_per_10k"),
                "incidents_per_10k": mean_last_half(results, "incidents_per_10k"),
            }
        )
    table = pd.DataFrame(rows)
    small = table["small_protests_per_10k"].to_numpy()
    peak = int(small.argmax())
    interior = 0 < peak < small.size - 1
    falls = interior and small[0] < 0.5 * small[peak] and small[-1] < 0.8 * small[peak]
    fig = Figure(figsize=(6, 3.6), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(table["mean_grievance"], small, "o-", label="small protests")
    ax.plot(table["mean_grievance"], table["incidents_per_10k"], "s--", label="mass incidents")
    ax.set_xlabel("latent discontent: mean grievance")
    ax.set_ylabel("groups of protesters per 10,000 households, weekly")
    ax.set_title(f"{label}: observed small protest against discontent")
    ax.legend()
    fig.savefig(context.figure_path(name), dpi=120)
    return CheckResult(
        f"small protests peak at {small[peak]:.2f} per 10,000 (grievance "
        f"{table['mean_grievance'].iloc[peak]:.2f}); {small[0]:.2f} at the lowest and "
        f"{small[-1]:.2f} at the highest discontent",
        "an interior peak; the lowest end below half of it, the highest below 80 % of it",
        bool(falls),
        value=float(table["mean_grievance"].iloc[peak]),
        details=table,
    )


def _incident_sizes(results: list[Result]) -> np.ndarray:
    return np.concatenate([r.incident_sizes for r in results])


@check("rare_but_larger", pattern="E3",
       title="Rigid suppression: protest rarer than under tolerance, but incidents larger",
       source=COSER)  # fmt: skip
def rare_but_larger(context: CheckContext) -> CheckResult:
    """Rigid suppression against the safety valve, in the same aggrieved world.

    Paired: both regimes run on the same seeds (common random numbers), so
    the cities and their shocks are the same and only the levers differ.
    """
    residents, count = context.size((3_000, 2), (10_000, 4))
    overrides = {"inflow_rate": min(1.0, 2.0 * context.world_value("inflow_rate"))}
    found = {}
    for regime in ("rigid_suppression", "safety_valve"):
        runs = [Run(regime, residents, 260, overrides, incident_sizes=True)] * count
        results = run_all(
            runs, seeds_for(context.seed, count, stream="rare_but_larger"), world=context.world
        )
        sizes = _incident_sizes(results)
        found[regime] = {
            "protest_events_per_10k": mean_last_half(results, "small_protests_per_10k")
            + mean_last_half(results, "incidents_per_10k"),
            "share_protesting": mean_last_half(results, "share_protesting"),
            "incidents": float(sizes.size),
            "mean_incident_size": float(sizes.mean()) if sizes.size else float("nan"),
        }
    table = pd.DataFrame(found).T.rename_axis("regime").reset_index()
    rigid, valve = found["rigid_suppression"], found["safety_valve"]
    # Coser's "rarer" is about how often conflict breaks out, not how many
    # take part: protest events (connected groups of protesters, small or
    # mass) per 10,000 a week; "larger" is the mean size of mass incidents.
    rarer = rigid["protest_events_per_10k"] < valve["protest_events_per_10k"]
    larger = bool(rigid["mean_incident_size"] > valve["mean_incident_size"])
    return CheckResult(
        f"protest events {rigid['protest_events_per_10k']:.2f} (rigid) vs "
        f"{valve['protest_events_per_10k']:.2f} (tolerant) per 10,000 a week; mean incident "
        f"{rigid['mean_incident_size']:.1f} vs {valve['mean_incident_size']:.1f} households "
        f"(share protesting {rigid['share_protesting']:.4f} vs {valve['share_protesting']:.4f})",
        "protest breaks out less often but incidents are larger under rigid suppression",
        bool(rarer and larger),
        value=rigid["mean_incident_size"] - valve["mean_incident_size"],
        details=table,
    )


@check("punctuated_equilibrium", pattern="P1",
       title="Under suppression: quiet spells with hidden grievance, broken by bursts",
       source=ODD)  # fmt: skip
def punctuated_equilibrium(context: CheckContext) -> CheckResult:
    """Rigid suppression: incident weeks come in bursts, hidden grievance builds between."""
    residents, count = context.size((3_000, 2), (10_000, 4))
    overrides = {"inflow_rate": min(1.0, 1.5 * context.world_value("inflow_rate"))}
    runs = [Run("rigid_suppression", residents, 520, overrides)] * count
    results = run_all(
        runs, seeds_for(context.seed, count, stream="punctuated_equilibrium"), world=context.world
    )
    gaps, rising = [], []
    moments = []  # each run's gaps: how many, their sum and their sum of squares
    for result in results:
        table = result.table.iloc[1:]
        weeks = np.flatnonzero(table["mass_incidents"].to_numpy() > 0)
        run_gaps = np.diff(weeks).astype(float)
        gaps.extend(run_gaps.tolist())
        moments.append((run_gaps.size, run_gaps.sum(), (run_gaps**2).sum()))
        hidden = table["hidden_grievance"].to_numpy()
        for a, b in itertools.pairwise(weeks):
            if b - a > 8:  # a quiet spell: does hidden grievance build up in it?
                rising.append(hidden[b - 1] > hidden[a + 1])
    gaps_array = np.array(gaps, dtype=float)
    variation = float(gaps_array.std() / gaps_array.mean()) if gaps_array.size > 2 else float("nan")
    building = float(np.mean(rising)) if rising else float("nan")
    passed = bool(variation > 1.0 and building > 0.5)
    details = pd.DataFrame({"gap_weeks": gaps_array})
    pooled = resampled_means(np.array(moments), seed=bootstrap_seed(context.seed))
    low, high = resampled_bounds(pooled_variation(pooled), count)
    return CheckResult(
        f"gaps between incident weeks vary with coefficient {variation:.2f} "
        f"({interval_words(low, high, over='runs', spec='.2f')}; "
        f"{gaps_array.size} gaps); hidden grievance rose across {building:.0%} of "
        f"{len(rising)} quiet spells",
        "bursty incidents (coefficient of variation of gaps above 1) and hidden grievance "
        "rising across most quiet spells",
        passed,
        value=variation,
        details=details,
        interval=(low, high),
        accepted=(1.0, math.inf),
    )


def pooled_variation(moments: np.ndarray) -> np.ndarray:
    """Coefficient of variation of pooled gaps from rows of (count, sum, sum of squares).

    Rows may be means over runs rather than sums: the ratios are the same.
    NaN where a row holds fewer than two gaps' worth of data.
    """
    count, total, squares = moments[:, 0], moments[:, 1], moments[:, 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        spread = np.sqrt(np.maximum(squares / count - mean**2, 0.0))
        return np.asarray(np.where(count > 0, spread / mean, np.nan))


def _pair_runs(context: CheckContext, steps: int, stream: str) -> dict[str, list[Result]]:
    residents, count = context.size((2_000, 3), (2_000, 12))
    return {
        regime: run_all(
            [Run(regime, residents, steps)] * count,
            seeds_for(context.seed, count, stream=stream),
            world=context.world,
        )
        for regime in ("rigid_suppression", "safety_valve")
    }


@check("safety_valve", pattern="P2",
       title="Tolerating petitions: lower grievance, higher trust, more petitions, "
       "fewer large incidents",
       source=ODD)  # fmt: skip
def safety_valve(context: CheckContext) -> CheckResult:
    """Safety valve against rigid suppression at the defaults, paired seeds, weeks 131-260."""
    runs = _pair_runs(context, 260, "safety_valve")
    names = ("mean_grievance", "mean_legitimacy", "share_petitioning", "largest_incident_per_10k")
    table = (
        pd.DataFrame(
            {
                regime: {o: mean_last_half(results, o) for o in names}
                for regime, results in runs.items()
            }
        )
        .T.rename_axis("regime")
        .reset_index()
    )
    rigid, valve = (table.set_index("regime").loc[r] for r in ("rigid_suppression", "safety_valve"))
    holds = {
        "grievance lower": valve["mean_grievance"] < rigid["mean_grievance"],
        "trust higher": valve["mean_legitimacy"] > rigid["mean_legitimacy"],
        "petitions more frequent": valve["share_petitioning"] > rigid["share_petitioning"],
        "large incidents rarer": valve["largest_incident_per_10k"]
        <= rigid["largest_incident_per_10k"],
    }
    failed = [k for k, v in holds.items() if not v]
    return CheckResult(
        "safety valve vs rigid suppression: "
        + "; ".join(f"{o} {valve[o]:.3f} vs {rigid[o]:.3f}" for o in names),
        "all four: grievance lower, trust higher, petitions more frequent, large incidents rarer",
        not failed,
        value=float(len(holds) - len(failed)),
        details=table,
    )


@check("short_run_long_run", pattern="P3",
       title="Suppression is quieter at first while hidden grievance grows; the cost comes later",
       source=ODD)  # fmt: skip
def short_run_long_run(context: CheckContext) -> CheckResult:
    """Visible protest in weeks 1-26, hidden grievance throughout, incidents in weeks 131-260."""
    runs = _pair_runs(context, 260, "short_run_long_run")

    def at_first(result: Result, outcome: str) -> float:
        return float(result.table[outcome].iloc[1:27].mean())  # weeks 1-26

    def first(results: list[Result], outcome: str) -> float:
        return float(np.mean([at_first(r, outcome) for r in results]))

    rows = {
        regime: {
            "visible_protest_weeks_1_26": first(results, "share_protesting"),
            "hidden_grievance_weeks_1_26": first(results, "hidden_grievance"),
            "hidden_grievance_weeks_131_260": mean_last_half(results, "hidden_grievance"),
            "incidents_weeks_131_260": mean_last_half(results, "incidents_per_10k"),
        }
        for regime, results in runs.items()
    }
    table = pd.DataFrame(rows).T.rename_axis("regime").reset_index()
    rigid, valve = rows["rigid_suppression"], rows["safety_valve"]
    quieter_first = rigid["visible_protest_weeks_1_26"] <= valve["visible_protest_weeks_1_26"]
    hidden = rigid["hidden_grievance_weeks_1_26"] > valve["hidden_grievance_weeks_1_26"]
    later = (
        rigid["hidden_grievance_weeks_131_260"] > valve["hidden_grievance_weeks_131_260"]
        or rigid["incidents_weeks_131_260"] > valve["incidents_weeks_131_260"]
    )
    # Seeds are paired (common random numbers): how much louder rigid
    # suppression is at first, seed by seed, and how sure that is.
    louder = [
        at_first(a, "share_protesting") - at_first(b, "share_protesting")
        for a, b in zip(runs["rigid_suppression"], runs["safety_valve"], strict=True)
    ]
    low, high = bootstrap_interval(louder, seed=bootstrap_seed(context.seed))
    # Only the first condition has an interval: it settles the verdict when
    # the other two hold (otherwise they decide it, with no interval to say).
    decisive = hidden and later
    return CheckResult(
        f"weeks 1-26: protest {rigid['visible_protest_weeks_1_26']:.4f} (rigid) vs "
        f"{valve['visible_protest_weeks_1_26']:.4f}, hidden grievance "
        f"{rigid['hidden_grievance_weeks_1_26']:.3f} vs "
        f"{valve['hidden_grievance_weeks_1_26']:.3f}; "
        f"weeks 131-260: hidden grievance {rigid['hidden_grievance_weeks_131_260']:.3f} vs "
        f"{valve['hidden_grievance_weeks_131_260']:.3f}, incidents "
        f"{rigid['incidents_weeks_131_260']:.2f} vs "
        f"{valve['incidents_weeks_131_260']:.2f} per 10,000 (paired difference in protest at "
        f"first {np.mean(louder):+.5f}, {interval_words(low, high, over='seeds', spec='+.5f')})",
        "rigid suppression no louder at first, with more hidden grievance, and more hidden "
        "grievance or incidents later",
        bool(quieter_first and hidden and later),
        value=float(np.mean(louder)),
        details=table,
        interval=(low, high) if decisive else None,
        accepted=(-math.inf, 0.0) if decisive else None,
    )
