r"""Write ``docs/six_errors.md`` from results folders: every number on the page comes from them.

The page is generated, never typed: the mechanisms of each pair are fixed
text below (they describe the code, ODD.md section 7); every difference,
interval, share and box limit is read from the results folders of four
commands, whose manifests reproduce them::

    sixerrors compare experiments/scenarios/six_errors.toml --workers 2
    sixerrors compare experiments/scenarios/six_errors_small.toml --workers 2
    sixerrors compare experiments/scenarios/six_errors_large.toml --workers 2
    sixerrors discover --workers 2
    python -m experiments.six_errors_report --defaults results/six_errors-... \
        --small results/six_errors_small-... --large results/six_errors_large-... \
        --discovery results/discover-...

Statistics are those of ``sixerrors compare`` (the time average and the
final value of each run; paired differences remedy minus error with a 95 %
t-interval over replications with common random numbers, the paired
bootstrap where a t interval would leave the possible range) and of
``sixerrors discover`` (the share of the plausible world where the mean
paired difference has the opposite sign to the claim, and PRIM's boxes).
The page also draws ``docs/figures/six_errors_defaults.png``.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from experiments.prim_analysis import restricted_limits
from experiments.specs import MECHANISMS_PAIR_SUFFIX, discovery_label, pair_name
from model import ERRORS, VARIANT_PAIRS
from model.outcomes import OUTCOME_INFO
from model.params import DECLARATIONS

ROOT = Path(__file__).resolve().parent.parent
STATISTIC = "time_average"
"""The statistic the page reports (``sixerrors compare``'s time average of each run)."""

SHOWN = ("mean_legitimacy", "mean_grievance", "hidden_grievance", "stability", "incidents_per_10k")
"""The outcomes of the page's tables, in order."""

COSTS = ("mean_hardship", "expectation_gap", "targeted_spending", "governance_costs", "grid_cost")
"""Side effects and costs reported under each pair."""

LABELS = ("1", "2", "3", "4", "5", "6", "1b")

PAIRS = {str(k): v for k, v in ERRORS.items()} | dict(VARIANT_PAIRS)

MECHANISMS: Mapping[str, str] = {
    "1": (
        "Tolerance answers petitions: an answered petition releases grievance and raises "
        "trust (assumed payoff `voice`) and, with probability `resolution`, resolves the "
        "petitioner's weightiest need at the budget's expense (a concession, a mechanism). "
        "Rejection and interception add injustice and cost trust, and repression detains "
        "(assumed payoffs `repression`, `backlash`); repression also deters protest through "
        "the arrest risk residents perceive (a mechanism). The remedy's costs and ways to "
        "fail: answered claims raise neighbours' expected return to voice, lowering everyone's "
        "petition and protest thresholds (`claims_weight`, `claims_learning`: Chen 2012, "
        "Lorentzen 2013); more petitions than service capacity go unanswered; concessions draw "
        "on the budget that pays relief; and less repression deters less, so more protest can "
        "spread into crowds (safety in numbers). A mass incident still in the street is settled "
        "as a whole with the district's tolerance (Cai 2010): its members' needs are met at the "
        "budget's expense, and everyone who saw it learns that disruption pays. A crowd that "
        "outgrows its district's control draws forces from above (`reinforcement`, Tanner "
        "2004): under rigid suppression they arrest, and backlash follows."
    ),
    "1b": (
        "The same claim through the evaluation of cadres: judged by incidents and petitions "
        "that reach above them, cadres shift effort to control and accept fewer petitions after "
        "each mark; judged by trust, they shift to service and accept more when trust falls "
        "(symmetric rules, `adapt_rate`). Veto-judged cadres also hire stability staff after "
        "each mark (`stability_staff_cost`, paid from the livelihood budget before relief, "
        "`staff_turnover`): more deterrence, less relief. The satisfaction-judged cadres "
        "inherit every cost of tolerance (Error 1); the veto-judged ones every cost of control."
    ),
    "2": (
        "Service instead of control: the same cadres answer more petitions and hold more "
        "dialogue, but arrest and deter less. Residents' self-management: committees spend a "
        "share of the budget on what their residents weigh (local knowledge the planner lacks). "
        "Costs and ways to fail: less deterrence; committees lose `committee_overhead` to "
        "running themselves and hear the better-off and the organized more "
        "(`participation_capture`: Bardhan and Mookherjee 2000)."
    ),
    "3": (
        "Open entry lets aggrieved residents found organizations that serve members' needs "
        "(service kind, assumed payoff `membership_service`), vouch for their petitions "
        "(mediation kind) and settle conflicts among themselves (neighbourhood kind, assumed "
        "payoff `self_settlement`). Costs and ways to "
        "fail: every organization lowers its members' cost of collective action "
        "(`org_mobilization`: McCarthy and Zald 1977); support buys capacity but costs the "
        "budget (`org_support_cost`) and credibility with recruits "
        "(`support_credibility_loss`: Spires 2011, Teets 2013), and makes organizations "
        "dependent, so they mediate less; restrictive regimes shut advocacy organizations."
    ),
    "4": (
        "Rights: protesters not arrested get dialogue with probability `rights` (their claims "
        "answered, perhaps with a paid concession), organizations are overseen (missions drift "
        "toward `rights`), and petitioners are protected from retaliation (the perceived risk of "
        "petitioning falls with `rights`). Prevention at the source: a share of the control "
        "effort resolves quiet residents' grievances before they erupt, at the budget's "
        "expense. Costs and ways to fail: dialogue uses service effort petitions need; safety "
        "to petition and dialogue invite claims (Error 1's learning); prevention diverts control "
        "that would deter and draws on the relief budget."
    ),
    "5": (
        "Participation reveals what residents weigh, which the planner's biased lens misses; "
        "participants also understand the constraints and discount announced promises "
        "(`participant_understanding`). Top-down money relieves need too, but starts "
        "projects' disputes over housing (`project_dispute_rate`); any announced money raises "
        "expectations faster than it meets them (`spending_visibility`: Davies 1962, Gurr "
        "1970), participants' less. Costs and "
        "ways to fail: participation costs the budget (`participation_cost`), is captured by the "
        "better-off and the organized (`participation_capture`), and the trust participants gain "
        "is an assumed payoff (`procedural_justice`)."
    ),
    "6": (
        "Fine cells and siloed agencies multiply staff and platforms, all paid from the "
        "livelihood budget before relief (duplicated investment); siloed agencies detect needs "
        "they cannot act on (formalism); tiny cells and collective responsibility intrude "
        "(assumed payoff `intrusion`) while collective responsibility also deters protest "
        "(`collective_deterrence`). Both regimes resolve the needs they find within the budget "
        "(service mode), so the pair is carried by the grid's own levers. The claim can fail "
        "where staff and platforms are cheap (`grid_staff_cost`, `grid_platform_cost`) and "
        "detection resolves needs relief would not reach."
    ),
}
"""What each pair's levers do, and how its remedy can fail (the code, ODD.md section 7)."""


def read(folder: Path, name: str) -> pd.DataFrame:
    """A summary table of a results folder."""
    return pd.read_parquet(folder / "summaries" / f"{name}.parquet")


def number(x: float) -> str:
    """A difference for reading: three significant digits, signed."""
    if not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    digits = max(0, 2 - math.floor(math.log10(abs(x))))
    return f"{x:+.{min(digits, 6)}f}"


@dataclass(frozen=True)
class Difference:
    """One paired difference, remedy minus error, with its 95 % interval."""

    mean: float
    low: float
    high: float
    n: int


def cell(d: Difference) -> str:
    """``mean [low, high]`` of one paired difference."""
    return f"{number(d.mean)} [{number(d.low)}, {number(d.high)}]"


def pair_rows(pairs: pd.DataFrame, label: str, variant_suffix: str) -> dict[str, Difference]:
    """One pair's differences at the page's statistic, by outcome."""
    rows = pairs[(pairs["pair"] == pair_name(label, variant_suffix))]
    rows = rows[rows["statistic"] == STATISTIC]
    return {
        str(outcome): Difference(float(mean), float(low), float(high), int(n))
        for outcome, mean, low, high, n in zip(
            rows["outcome"], rows["mean"], rows["ci_low"], rows["ci_high"], rows["n"], strict=True
        )
    }


def assumed_share(full: float, mechanisms: float) -> float:
    """The part of a full-model difference that is gone when the assumed payoffs are off."""
    if not (math.isfinite(full) and math.isfinite(mechanisms)) or full == 0:
        return float("nan")
    return 1.0 - mechanisms / full


def direction_word(d: Difference, expected: int | None) -> str:
    """How a difference reads against the article's claim."""
    low, high = d.low, d.high
    if not (math.isfinite(low) and math.isfinite(high)):
        return "no interval"
    if low <= 0 <= high:
        return "no clear difference"
    sign = 1 if low > 0 else -1
    if expected is None:
        return "higher under the remedy" if sign > 0 else "lower under the remedy"
    return "the article's direction" if sign == expected else "the opposite of the article"


def defaults_table(pairs: pd.DataFrame, label: str) -> list[str]:
    """The pair's differences at the defaults, full model and mechanisms only."""
    full, mech = pair_rows(pairs, label, ""), pair_rows(pairs, label, MECHANISMS_PAIR_SUFFIX)
    expected = dict(PAIRS[label].expected)
    lines = [
        "| outcome | better | full model | mechanisms only | assumed share | reading (full) |",
        "|---|---|---|---|---|---|",
    ]
    for outcome in SHOWN:
        if outcome not in full:
            continue
        better = {1: "higher", -1: "lower", 0: "—"}[OUTCOME_INFO[outcome].better]
        share = assumed_share(full[outcome].mean, mech[outcome].mean)
        shown = f"{share:.0%}" if math.isfinite(share) else "n/a"
        reading = direction_word(full[outcome], expected.get(outcome))
        lines.append(
            f"| `{outcome}` | {better} | {cell(full[outcome])} | {cell(mech[outcome])} "
            f"| {shown} | {reading} |"
        )
    return lines


def cost_line(pairs: pd.DataFrame, label: str) -> str:
    """Side effects and costs of the remedy, full model."""
    full = pair_rows(pairs, label, "")
    parts = [f"`{o}` {cell(full[o])}" for o in COSTS if o in full and full[o].n > 0]
    return "Side effects and costs (remedy − error, full model): " + "; ".join(parts) + "."


def size_line(sizes: Mapping[str, pd.DataFrame], label: str) -> str:
    """Whether the pair keeps its direction at every city size."""
    parts, signs = [], set()
    for name, pairs in sizes.items():
        rows = pair_rows(pairs, label, "")
        words = []
        for outcome in ("mean_legitimacy", "mean_grievance"):
            d = rows[outcome]
            words.append(f"{outcome} {cell(d)}")
            signs.add((outcome, 0 if d.low <= 0 <= d.high else int(np.sign(d.mean))))
        parts.append(f"{name}: " + ", ".join(words))
    directions = {
        outcome: {s for o, s in signs if o == outcome}
        for outcome in ("mean_legitimacy", "mean_grievance")
    }
    same = all(len(v - {0}) <= 1 for v in directions.values())
    verdict = (
        "the same direction (or no clear difference) at every size"
        if same
        else "**not the same direction at every size**"
    )
    return f"By city size — {'; '.join(parts)}: {verdict}."


def box_text(limits: pd.DataFrame, boxes: pd.DataFrame) -> str:
    """PRIM's first box as readable limits, narrowest first, with its coverage and density."""
    first = boxes.sort_values("box").iloc[0]
    mine = limits[limits["box"] == first["box"]]
    restricted = []
    kept = restricted_limits(mine)
    columns = ("parameter", "low", "high", "range_low", "range_high")
    for name, low, high, range_low, range_high in zip(*(kept[c] for c in columns), strict=True):
        plausible = f"{float(range_low):.3g}–{float(range_high):.3g}"
        meaning = DECLARATIONS[str(name)].meaning.rstrip(".").lower()
        restricted.append(
            f"`{name}` {float(low):.3g}–{float(high):.3g} (of {plausible}; {meaning})"
        )
    where = "; ".join(restricted) if restricted else "no restriction found"
    flag = "" if bool(first["meets_min_density"]) else " (below the density sought)"
    verb = "are not borne out" if box_target(boxes) == "failure" else "reverse"
    return (
        f"{where}: coverage {first['coverage']:.0%}, density {first['density']:.0%} of its "
        f"points {verb}{flag}"
    )


def box_target(boxes: pd.DataFrame) -> str:
    """What PRIM's boxes were sought on: ``reversal``, or ``failure`` (never reversed).

    Folders written before discovery recorded it sought reversals only.
    """
    if "target" not in boxes.columns or boxes.empty:
        return "reversal"
    return str(boxes["target"].iloc[0])


def discovery_lines(discovery: Mapping[str, pd.DataFrame], label: str) -> list[str]:
    """Where the claim reverses over the plausible world, per outcome."""
    pair = discovery_label(label)
    headline = discovery["headline"]
    lines = []
    for row in headline[headline["pair"] == pair].itertuples():
        text = (
            f"- `{row.outcome}`: the claim reverses at {row.reversal_share:.0%} of "
            f"{row.defined_points} points of the plausible world (reversed with the interval "
            f"excluding zero at {row.reversed_share:.0%}, unclear at {row.unclear_share:.0%}, "
            f"holds at {row.holds_share:.0%})"
        )
        boxes = discovery.get("boxes", pd.DataFrame())
        limits = discovery.get("box_limits", pd.DataFrame())
        mine = (
            boxes[(boxes["pair"] == pair) & (boxes["outcome"] == row.outcome)]
            if len(boxes)
            else boxes
        )
        if len(mine):
            chosen = limits[(limits["pair"] == pair) & (limits["outcome"] == row.outcome)]
            if box_target(mine) == "failure":
                text += (
                    "; it reverses nowhere, but it weakens to no clear difference: PRIM's box "
                    f"where it is not borne out: {box_text(chosen, mine)}"
                )
            else:
                text += f"; PRIM's box: {box_text(chosen, mine)}"
        lines.append(text + ".")
    return lines


def verdict(full: Mapping[str, Difference], mech: Mapping[str, Difference], label: str) -> str:
    """A plain sentence on whether the claim emerges, from the pair's trust and grievance rows."""
    expected = dict(PAIRS[label].expected)
    words = {
        variant: {
            o: direction_word(rows[o], expected.get(o))
            for o in ("mean_legitimacy", "mean_grievance")
            if o in rows
        }
        for variant, rows in (("full", full), ("mechanisms", mech))
    }
    agree = "the article's direction"
    against = "the opposite of the article"
    full_words, mech_words = set(words["full"].values()), set(words["mechanisms"].values())
    if against in full_words:
        return "**the model contradicts the claim** at the defaults"
    if full_words == {agree}:
        if mech_words == {agree}:
            return "the claim holds at the defaults, with and without the assumed payoffs"
        if against in mech_words:
            return (
                "the claim holds at the defaults **only through the assumed payoffs**: "
                "the mechanisms alone point the other way"
            )
        return (
            "the claim holds at the defaults, but **without the assumed payoffs it does not "
            "clearly emerge**"
        )
    if agree in full_words:
        return "the claim holds for one of trust and grievance only, at the defaults"
    return "**the claim does not emerge** at the defaults (no clear difference)"


def summary_lines(pairs: pd.DataFrame, discovery: Mapping[str, pd.DataFrame]) -> list[str]:
    """One row per pair: what the model says of the claim at the defaults and over the world."""
    headline = discovery.get("headline", pd.DataFrame())
    lines = [
        "| error | trust, full model | trust, mechanisms only | share of the plausible world "
        "where the trust claim reverses | reading |",
        "|---|---|---|---|---|",
    ]
    for label in LABELS:
        full, mech = pair_rows(pairs, label, ""), pair_rows(pairs, label, MECHANISMS_PAIR_SUFFIX)
        pair = discovery_label(label)
        share = "n/a"
        if len(headline):
            row = headline[(headline["pair"] == pair) & (headline["outcome"] == "mean_legitimacy")]
            if len(row):
                share = f"{float(row['reversal_share'].iloc[0]):.0%}"
        lines.append(
            f"| {label} | {cell(full['mean_legitimacy'])} | {cell(mech['mean_legitimacy'])} "
            f"| {share} | {verdict(full, mech, label)} |"
        )
    return lines


def plot_defaults(pairs: pd.DataFrame, path: Path) -> Path:
    """Trust and grievance differences of every pair, both variants, with intervals."""
    fig = Figure(figsize=(10, 4.8), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, outcome in zip(axes, ("mean_legitimacy", "mean_grievance"), strict=True):
        ticks = []
        for y, label in enumerate(LABELS):
            for offset, suffix, colour in (
                (-0.15, "", "#1e8449"),
                (0.15, MECHANISMS_PAIR_SUFFIX, "#7f8c8d"),
            ):
                d = pair_rows(pairs, label, suffix)[outcome]
                ax.errorbar(
                    d.mean, y + offset,
                    xerr=[[d.mean - d.low], [d.high - d.mean]],
                    fmt="o", color=colour, capsize=3,
                    label=("full model" if suffix == "" else "mechanisms only") if y == 0 else None,
                )  # fmt: skip
            ticks.append(f"Error {label}")
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_yticks(range(len(LABELS)), ticks)
        ax.invert_yaxis()
        ax.set_xlabel(f"remedy − error: {OUTCOME_INFO[outcome].meaning.lower()}")
        ax.set_title(outcome)
    axes[0].legend(loc="lower right")
    fig.savefig(path, dpi=130)
    return path


def folder_line(name: str, folder: Path) -> str:
    """Which results folder a part of the page comes from.

    The page names folders, not code versions: each folder's manifest.json
    records the version that made it, and the page describes the model.
    """
    return f"- {name}: `{folder.name}`"


def render(defaults: Path, small: Path, large: Path, discovery_folder: Path, figure: Path) -> str:
    """The whole page."""
    pairs = read(defaults, "pairs")
    sizes = {
        "300 households": read(small, "pairs"),
        "2,000": pairs,
        "20,000": read(large, "pairs"),
    }
    discovery = {
        name: read(discovery_folder, name)
        for name in ("headline", "boxes", "box_limits")
        if (discovery_folder / "summaries" / f"{name}.parquet").exists()
    }
    plot_defaults(pairs, figure)
    n = pair_rows(pairs, "1", "")["mean_legitimacy"].n
    lines = [
        "# The six errors: what the model says, with and without its assumptions",
        "",
        "*Generated by `python -m experiments.six_errors_report` from the results folders "
        "listed below; do not edit by hand: rerun the commands instead.*",
        "",
        "Gong Weibin's article in *Study Times* (Central Party School, 15 October 2012) names "
        "six errors in social management. The model (ODD.md) represents each as a pair of "
        "regimes that differ only in one group of policy levers, no lever shared between pairs "
        "(`tests/test_regimes.py`). Nothing in the code says that a remedy is better: every "
        "remedy has costs and ways to fail, and every assumed direct payoff (an event that by "
        "itself adds trust or injustice, or removes grievance) is a declared hypothesis "
        "(ODD.md, Assumed payoffs). Each pair is therefore reported twice: with the *full "
        "model*, and with every assumed payoff switched off (*mechanisms only*). The "
        "*assumed share* is the part of the full-model difference that disappears without the "
        "assumed payoffs (more than 100 % when the mechanisms alone point the other way).",
        "",
        f"**How the numbers were made.** {n} paired replications per regime at 2,000 "
        "households and 260 weekly steps, common random numbers (replicate r has the same "
        "seed in both regimes of a pair, and every draw is a function of the seed and its "
        "coordinates). Each cell is the paired difference remedy − error of the run's time "
        "average, with its 95 % interval (Student-t, or the paired bootstrap where the t "
        "interval would leave the possible range). The plausible world is the Latin hypercube of "
        "`sixerrors discover` over the declared plausible ranges of the world parameters each "
        "pair's mechanisms run through (experiments/scenarios/discover.toml); a point is a "
        "reversal when its mean paired difference has the sign opposite to the claim. The "
        "numbers are the model's answers under its stated assumptions and calibration "
        "(docs/calibration.md), not estimates about any real city.",
        "",
        "Results folders (each one's manifest.json records the code version that made it):",
        folder_line("defaults", defaults),
        folder_line("small city", small),
        folder_line("large city", large),
        folder_line("scenario discovery", discovery_folder),
        "",
        f"![Paired differences at the defaults](figures/{figure.name})",
        "",
        "## In short",
        "",
        "What the model says of each claim (time average of trust, remedy − error, with its "
        "95 % interval; the reading uses trust and grievance; the share of the plausible world "
        "is from scenario discovery):",
        "",
        *summary_lines(pairs, discovery),
        "",
    ]
    for label in LABELS:
        pair = PAIRS[label]
        lines += [
            f"## Error {label}: {pair.title}",
            "",
            f"**The claim.** {pair.claim} Error regime `{pair.error_regime}`, remedy "
            f"`{pair.remedy_regime}`; levers: {', '.join(f'`{lever}`' for lever in pair.levers)}.",
            "",
            f"**Mechanisms, costs and ways to fail.** {MECHANISMS[label]}",
            "",
            "**At the defaults** (remedy − error):",
            "",
            *defaults_table(pairs, label),
            "",
            cost_line(pairs, label),
            "",
            size_line(sizes, label),
            "",
            "**Where the claim fails** (scenario discovery over the plausible world):",
            "",
            *discovery_lines(discovery, label),
            "",
        ]
    lines += [
        "## What the page does not say",
        "",
        "The world parameters not in a pair's discovery list are held at their defaults; "
        "their bases are in ODD.md section 6 (most are free assumptions). The levers of the "
        "other pairs are held at the baseline's values. Discovery reports where the *mean* "
        "difference reverses; a point's interval over its few replications is wide, and the "
        "classes above say how many of the reversals are clear.",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Write docs/six_errors.md and its figure."""
    parser = argparse.ArgumentParser(
        prog="python -m experiments.six_errors_report",
        description="Generate docs/six_errors.md from results folders.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--defaults", type=Path, required=True, help="six_errors.toml's folder")
    parser.add_argument("--small", type=Path, required=True, help="six_errors_small.toml's folder")
    parser.add_argument("--large", type=Path, required=True, help="six_errors_large.toml's folder")
    parser.add_argument("--discovery", type=Path, required=True, help="sixerrors discover's folder")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "six_errors.md", help="page")
    args = parser.parse_args(argv)
    for folder in (args.defaults, args.small, args.large, args.discovery):
        if not (folder / "manifest.json").exists():
            print(f"six_errors_report: {folder} is not a results folder (no manifest.json); "
                  "pass the folder a sixerrors command printed", file=sys.stderr)  # fmt: skip
            return 2
    needed = [(args.defaults, "pairs"), (args.small, "pairs"), (args.large, "pairs")]
    for folder, table in [*needed, (args.discovery, "headline")]:
        if not (folder / "summaries" / f"{table}.parquet").exists():
            kind = "sixerrors discover" if table == "headline" else "sixerrors compare"
            print(f"six_errors_report: {folder} has no summaries/{table}.parquet; pass the "
                  f"folder {kind} wrote", file=sys.stderr)  # fmt: skip
            return 2
    figure = args.out.parent / "figures" / "six_errors_defaults.png"
    figure.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(args.defaults, args.small, args.large, args.discovery, figure))
    print(f"six_errors_report: wrote {args.out} and {figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
