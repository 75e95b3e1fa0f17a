r"""Regenerate the tables and figures of ``docs/six_errors.md``.

Three sub-commands, each printing Markdown tables that can be pasted into the
document and writing its figures to ``docs/figures/`` (``--figures`` to
change):

``defaults``
    Runs every regime of the six error pairs at the defaults (2,000
    residents, 260 steps) with common random numbers: replicate ``r`` uses
    seed ``r`` for both regimes of a pair. Writes the per-step series to
    ``results/six_errors_defaults-<timestamp>/series.parquet`` and prints the
    paired differences (remedy - error) with 95 % t-intervals. With
    ``--from FOLDER`` it re-reads such a folder instead of running::

        python -m experiments.six_errors_report defaults --replications 20 --workers 2
        python -m experiments.six_errors_report defaults --from results/six_errors_defaults-...

``sweep``
    Reads two results folders written by ``sixerrors sweep`` from the specs
    ``experiments/scenarios/sweep_errorN_error.toml`` and
    ``..._remedy.toml`` (same design, root seed and replications, one on
    each regime of the pair, so task ``(point, replicate)`` has the same
    seed in both: common random numbers per design point) and prints the
    paired difference per design point, with a figure::

        sixerrors sweep experiments/scenarios/sweep_error1_error.toml
        sixerrors sweep experiments/scenarios/sweep_error1_remedy.toml
        python -m experiments.six_errors_report sweep 1 results/sweep_error1_error-... \
            results/sweep_error1_remedy-...

``ablate``
    Runs one pair at the defaults under named sets of parameter overrides
    applied to both regimes (e.g. switching one mechanism off) and prints
    the paired differences per set::

        python -m experiments.six_errors_report ablate 6 --replications 10 \
            --variant none= --variant no_cost=grid_staff_cost:0 \
            --variant no_intrusion=grid_intrusion:0,injustice_visit:0,trust_visit:0

Statistics. For every run: the time average over the last half of the run
(steps ``T/2 + 1 .. T``; for ``stability``, the share of those steps without
a mass incident, since the model's ``stability`` column is a running share)
and the value at the final step (for ``stability``, the model's share of all
``T`` steps without a mass incident). Differences are paired by seed and
summarised by :func:`experiments.compare.t_interval`; a verdict says whether
the interval excludes zero in the article's direction
(:func:`experiments.compare.verdict`).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from experiments.compare import t_interval, verdict
from experiments.store import ResultsStore

OUTCOMES: tuple[str, ...] = ("mean_legitimacy", "mean_grievance", "stability", "hidden_grievance")
"""The outcomes the document reports for every pair."""

DIRECTION: Mapping[str, int] = {
    "mean_legitimacy": +1,
    "mean_grievance": -1,
    "stability": +1,
    "hidden_grievance": -1,
}
"""The article's direction of remedy - error (Gong 2012: the remedy is better)."""

SERIES_COLUMNS: tuple[str, ...] = (
    *OUTCOMES,
    "share_petitioning",
    "share_protesting",
    "share_detained",
    "mass_incidents",
    "mean_hardship",
    "relief_spending",
    "grid_cost",
    "org_membership",
    "organizations",
    "allocation_mismatch",
)
"""Per-step columns kept from each run (the four outcomes plus mechanism traces)."""

STATISTICS: tuple[str, ...] = ("late", "final")
EARLY_STEPS = 26
"""Error 1's short run: the first 26 weeks (half a year)."""

FIGURES = Path("docs/figures")
RESULTS = Path("results")


# --------------------------------------------------------------------------- running


def _run(job: tuple[str, int, int, int, dict[str, Any]]) -> pd.DataFrame:
    """One run: ``(regime, seed, steps, residents, overrides)`` -> tagged series."""
    from model import simulate  # noqa: PLC0415 - light import in the parent

    regime, seed, steps, residents, overrides = job
    series = simulate(regime, steps=steps, n_residents=residents, seed=seed, **overrides)
    table = series.loc[:, list(SERIES_COLUMNS)].reset_index()
    table = table.rename(columns={table.columns[0]: "step"})
    table.insert(0, "seed", seed)
    table.insert(0, "regime", regime)
    return table


def run_many(
    regimes: Sequence[str],
    replications: int,
    *,
    steps: int = 260,
    residents: int = 2000,
    workers: int = 2,
    overrides: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Every regime with seeds ``0 .. replications - 1``; long per-step table."""
    jobs = [
        (r, s, steps, residents, dict(overrides or {}))
        for s in range(replications)
        for r in regimes
    ]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        frames = list(pool.map(_run, jobs, chunksize=2))
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- statistics


def run_statistics(series: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """One row per run (``keys``): ``<outcome>_late`` and ``<outcome>_final``.

    Also ``visible_early``/``visible_late`` (share petitioning + protesting)
    and ``hidden_early``/``hidden_late`` over steps ``1..26`` and the last half.
    """
    table = series.copy()
    table["visible"] = table["share_petitioning"] + table["share_protesting"]
    table["calm"] = (table["mass_incidents"] == 0).astype(float)
    steps = int(table["step"].max())
    late = table[table["step"] > steps // 2].groupby(list(keys))
    early = table[(table["step"] >= 1) & (table["step"] <= EARLY_STEPS)].groupby(list(keys))
    final = table[table["step"] == steps].set_index(list(keys))
    out = pd.DataFrame(index=final.index)
    for name in OUTCOMES:
        source = "calm" if name == "stability" else name
        out[f"{name}_late"] = late[source].mean()
        out[f"{name}_final"] = final[name].astype(float)
    out["visible_early"] = early["visible"].mean()
    out["visible_late"] = late["visible"].mean()
    out["hidden_early"] = early["hidden_grievance"].mean()
    out["hidden_late"] = late["hidden_grievance"].mean()
    return out.reset_index()


def paired(
    stats_table: pd.DataFrame,
    error: str,
    remedy: str,
    key: str,
    columns: Sequence[str],
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Remedy - error per ``key`` (the seed), summarised per ``by`` group and column."""
    rows: list[dict[str, Any]] = []
    err = stats_table[stats_table["regime"] == error].set_index([*by, key])
    rem = stats_table[stats_table["regime"] == remedy].set_index([*by, key])
    diff = (rem[list(columns)] - err[list(columns)]).dropna(how="all")
    groups = diff.groupby(level=list(by)) if by else [((), diff)]
    for group, frame in groups:
        values = group if isinstance(group, tuple) else (group,)
        for column in columns:
            outcome = column.rsplit("_", 1)[0]
            summary = t_interval(frame[column].to_numpy(dtype=float))
            expected = DIRECTION.get(outcome)
            rows.append(
                {
                    **dict(zip(by, values, strict=True)),
                    "column": column,
                    "error": float(err.loc[frame.index, column].mean()),
                    "remedy": float(rem.loc[frame.index, column].mean()),
                    **summary,
                    "verdict": verdict(expected, summary["ci_low"], summary["ci_high"]),
                }
            )
    return pd.DataFrame(rows)


def default_differences(series: pd.DataFrame) -> pd.DataFrame:
    """The paired differences of all six pairs at the defaults (one row per column)."""
    from model import ERRORS  # noqa: PLC0415

    stats_table = run_statistics(series, ["regime", "seed"])
    columns = [f"{o}_{s}" for o in OUTCOMES for s in STATISTICS]
    frames = []
    for number, pair in ERRORS.items():
        table = paired(stats_table, pair.error_regime, pair.remedy_regime, "seed", columns)
        table.insert(0, "pair", number)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- formatting


def _fmt(x: float) -> str:
    return "nan" if not np.isfinite(x) else f"{x:+.3f}"


def markdown(table: pd.DataFrame, by: Sequence[str]) -> str:
    """A Markdown table: group columns, column, error, remedy, diff [95 % CI], verdict."""
    head = [*by, "statistic", "error", "remedy", "remedy − error [95 % CI]", "n", "verdict"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in table.to_dict("records"):
        cells = [str(row[b]) for b in by] + [
            f"`{row['column']}`",
            f"{row['error']:.3f}",
            f"{row['remedy']:.3f}",
            f"{_fmt(row['mean'])} [{_fmt(row['ci_low'])}, {_fmt(row['ci_high'])}]",
            str(row["n"]),
            str(row["verdict"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- figures


def plot_defaults(table: pd.DataFrame, path: Path) -> Path:
    """Forest plot: remedy - error (last-half average) per pair, one panel per outcome."""
    fig, axes = plt.subplots(1, len(OUTCOMES), figsize=(13, 3.6), layout="constrained")
    for ax, outcome in zip(axes, OUTCOMES, strict=True):
        rows = table[table["column"] == f"{outcome}_late"].sort_values("pair")
        y = -rows["pair"].to_numpy()
        mean = rows["mean"].to_numpy()
        err = np.vstack([mean - rows["ci_low"].to_numpy(), rows["ci_high"].to_numpy() - mean])
        colours = [
            "#1b7837" if v == "as expected" else "#b2182b" if v == "opposite" else "#777777"
            for v in rows["verdict"]
        ]
        ax.errorbar(mean, y, xerr=err, fmt="none", ecolor="black", capsize=3)
        ax.scatter(mean, y, c=colours, zorder=3)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_yticks(y, [f"Error {p}" for p in rows["pair"]])
        ax.set_title(f"{outcome} (last half)", fontsize=10)
        ax.set_xlabel("remedy − error")
    fig.suptitle(
        "Six error pairs at the defaults: paired differences, 95 % t-intervals "
        "(green: article's direction)",
        fontsize=10,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_error1(series: pd.DataFrame, path: Path) -> Path:
    """Error 1's short run and long run: visible contention and hidden grievance."""
    from model import ERRORS  # noqa: PLC0415

    pair = ERRORS[1]
    table = series[series["regime"].isin([pair.error_regime, pair.remedy_regime])].copy()
    table["visible"] = table["share_petitioning"] + table["share_protesting"]
    panels = (
        ("visible", "visible contention (petitioning + protesting)"),
        ("share_protesting", "share protesting"),
        ("hidden_grievance", "hidden grievance (per resident)"),
        ("mean_legitimacy", "mean trust"),
    )
    fig, axes = plt.subplots(2, 2, figsize=(10, 6.5), sharex=True, layout="constrained")
    for ax, (column, label) in zip(axes.ravel(), panels, strict=True):
        for regime, colour in ((pair.error_regime, "#b2182b"), (pair.remedy_regime, "#2166ac")):
            grouped = table[table["regime"] == regime].groupby("step")[column]
            mean, sd, n = grouped.mean(), grouped.std(), grouped.count()
            half: pd.Series = 1.96 * sd / np.sqrt(n)
            ax.plot(mean.index, mean, color=colour, label=regime)
            ax.fill_between(mean.index, mean - half, mean + half, color=colour, alpha=0.2)
        ax.axvspan(0, EARLY_STEPS, color="#fdb863", alpha=0.25)
        ax.set_title(label, fontsize=10)
    for ax in axes[1]:
        ax.set_xlabel("step (week)")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(
        "Error 1: mean over replications (band: ±1.96 SE); shaded: first 26 weeks", fontsize=10
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_sweep(table: pd.DataFrame, factor: str, title: str, path: Path) -> Path:
    """Paired difference against one swept factor, one panel per outcome (last half)."""
    columns = [f"{o}_late" for o in OUTCOMES]
    fig, axes = plt.subplots(1, len(columns), figsize=(13, 3.4), layout="constrained")
    for ax, column in zip(axes, columns, strict=True):
        rows = table[table["column"] == column].sort_values(factor)
        x = rows[factor].to_numpy(dtype=float)
        mean = rows["mean"].to_numpy()
        ax.fill_between(
            x, rows["ci_low"].to_numpy(), rows["ci_high"].to_numpy(), color="#2166ac", alpha=0.25
        )
        ax.plot(x, mean, "o-", color="#2166ac")
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_title(column, fontsize=10)
        ax.set_xlabel(factor)
        if x.min() > 0 and x.max() / x.min() >= 8:
            ax.set_xscale("log", base=2)
    axes[0].set_ylabel("remedy − error")
    fig.suptitle(title, fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# --------------------------------------------------------------------------- sweeps


def sweep_differences(error_folder: Path, remedy_folder: Path) -> tuple[pd.DataFrame, list[str]]:
    """Paired differences per design point of two sweeps of the same spec on a pair's regimes.

    Raises:
        ValueError: the two folders' designs or root seeds differ (no pairing).
    """
    stores = [ResultsStore.open(f, clean=False) for f in (error_folder, remedy_folder)]
    designs = [s.read_summary("design") for s in stores]
    if not designs[0].equals(designs[1]):
        raise ValueError("the two sweeps have different designs; they cannot be paired")
    seeds = [s.manifest.get("root_seed") for s in stores]
    if seeds[0] != seeds[1]:
        raise ValueError(f"the two sweeps have different root seeds {seeds}; no pairing")
    regimes = [str(s.manifest["spec"]["regime"]) for s in stores]
    frames = []
    for store, regime in zip(stores, regimes, strict=True):
        data = store.read_results()
        for column in SERIES_COLUMNS:
            if column not in data.columns:
                data[column] = np.nan
        data["regime"] = regime
        frames.append(data)
    stats_table = run_statistics(
        pd.concat(frames, ignore_index=True), ["regime", "point", "replicate"]
    )
    columns = [f"{o}_late" for o in OUTCOMES]
    table = paired(stats_table, regimes[0], regimes[1], "replicate", columns, by=["point"])
    factors = [c for c in designs[0].columns if c not in ("point", "dummy")]
    table = designs[0].merge(table, on="point")
    return table, factors


# --------------------------------------------------------------------------- command line


def _parse_variant(text: str) -> tuple[str, dict[str, Any]]:
    """``label=name:value,name:value`` -> label and checked overrides."""
    from model import DECLARATIONS  # noqa: PLC0415

    label, _, body = text.partition("=")
    overrides: dict[str, Any] = {}
    for item in filter(None, body.split(",")):
        name, _, value = item.partition(":")
        raw: Any = value
        for cast in (int, float):
            try:
                raw = cast(value)
                break
            except ValueError:
                continue
        if value in ("true", "false"):
            raw = value == "true"
        overrides[name] = DECLARATIONS[name].check(raw)
    return label, overrides


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m experiments.six_errors_report")
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("defaults", help="the six pairs at the defaults")
    d.add_argument("--from", dest="source", type=Path, default=None)
    s = sub.add_parser("sweep", help="paired differences of two sweep folders")
    s.add_argument("pair", type=int)
    s.add_argument("error_folder", type=Path)
    s.add_argument("remedy_folder", type=Path)
    a = sub.add_parser("ablate", help="one pair under sets of overrides")
    a.add_argument("pair", type=int)
    a.add_argument("--variant", action="append", default=[])
    for p in (d, a):
        p.add_argument("--replications", type=int, default=20)
        p.add_argument("--steps", type=int, default=260)
        p.add_argument("--residents", type=int, default=2000)
        p.add_argument("--workers", type=int, default=2)
    for p in (d, s, a):
        p.add_argument("--figures", type=Path, default=FIGURES)
    args = parser.parse_args(argv)

    from model import ERRORS  # noqa: PLC0415

    if args.command == "defaults":
        if args.source is None:
            regimes = [r for pair in ERRORS.values() for r in pair]
            series = run_many(
                regimes,
                args.replications,
                steps=args.steps,
                residents=args.residents,
                workers=args.workers,
            )
            stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            folder = RESULTS / f"six_errors_defaults-{stamp}"
            folder.mkdir(parents=True, exist_ok=False)
            series.to_parquet(folder / "series.parquet")
            print(f"series written to {folder}/series.parquet")
        else:
            series = pd.read_parquet(args.source / "series.parquet")
        table = default_differences(series)
        print(markdown(table, ["pair"]))
        plot_defaults(table, args.figures / "six_errors_defaults.png")
        plot_error1(series, args.figures / "error1_short_long.png")
        pair = ERRORS[1]
        stats_table = run_statistics(series, ["regime", "seed"])
        cols = ["visible_early", "visible_late", "hidden_early", "hidden_late"]
        print()
        print(
            markdown(paired(stats_table, pair.error_regime, pair.remedy_regime, "seed", cols), [])
        )
        return 0
    if args.command == "sweep":
        table, factors = sweep_differences(args.error_folder, args.remedy_folder)
        print(markdown(table, factors))
        if len(factors) == 1:
            plot_sweep(
                table,
                factors[0],
                f"Error {args.pair}: remedy − error against "
                f"{factors[0]} (paired, 95 % t-intervals)",
                args.figures / f"sweep_error{args.pair}_{factors[0]}.png",
            )
        return 0
    pair = ERRORS[args.pair]
    frames = []
    for text in args.variant or ["defaults="]:
        label, overrides = _parse_variant(text)
        series = run_many(
            list(pair),
            args.replications,
            steps=args.steps,
            residents=args.residents,
            workers=args.workers,
            overrides=overrides,
        )
        stats_table = run_statistics(series, ["regime", "seed"])
        columns = [f"{o}_late" for o in OUTCOMES]
        result = paired(stats_table, pair.error_regime, pair.remedy_regime, "seed", columns)
        result.insert(0, "variant", label)
        frames.append(result)
    print(markdown(pd.concat(frames, ignore_index=True), ["variant"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
