"""Patterns of petitions (xinfang): settled locally, or pushed upward (EVIDENCE 2).

- "Four 80 %s": over 80 % of petitioned problems are solvable locally (State
  Bureau for Letters and Calls, 2003). With working local channels (the
  baseline regime) at least 80 % of the petitions settled are settled at
  the local level.
- The inverted pyramid: when local channels are blocked, petitioners go
  upward (2003: petitions to the State Bureau +14 %, county level -2.4 %).
  When local capacity falls or local rejection and interception rise, the
  share of petitions filed above the local level rises.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd

from experiments.intervals import bootstrap_seed, resampled_bounds, resampled_means
from experiments.validation.registry import CheckContext, CheckResult, check, interval_words
from experiments.validation.runs import Result, Run, mean_last_half, run_all, seeds_for

BUREAU = "State Bureau for Letters and Calls (2003), as quoted in EVIDENCE 2"

BLOCKED_SETTINGS: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "working channels": {},
        "a quarter of the local capacity": {"cadre_capacity": 1.0},
        "more rejection and interception": {"tolerance": 0.1},
    }
)
"""The inverted pyramid's settings, in this order (its check unpacks them so):
working local channels, then two ways of blocking them."""


def settled_by_city(results: Sequence[Result]) -> np.ndarray:
    """Each run's weeks of local and of upward settlement in its last half, (runs, 2).

    A week counts by its share settled locally (weeks with nothing settled
    have no share and count for neither).
    """
    sums = []
    for result in results:
        table = result.table.iloc[1 + (len(result.table) - 1) // 2 :]
        share = table["share_settled_locally"].to_numpy()
        share = share[np.isfinite(share)]
        sums.append((float(share.sum()), float((1 - share).sum())))
    return np.array(sums, dtype=float).reshape(len(sums), 2)


def local_share(sums: np.ndarray) -> np.ndarray:
    """Share settled locally of rows of summed (local, upward); NaN where nothing was settled."""
    total = sums[..., 0] + sums[..., 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(total > 0, sums[..., 0] / total, np.nan))


def settled_locally(results: Sequence[Result]) -> float:
    """Of all petitions settled in the last half of the runs, the share settled locally."""
    return float(local_share(settled_by_city(results).sum(axis=0)))


@check("petitions_settled_locally", pattern="E2",
       title="With working local channels, at least 80 % of petitions settled are settled locally",
       source=BUREAU)  # fmt: skip
def petitionssettled_locally(context: CheckContext) -> CheckResult:
    """The baseline regime: the share of settled petitions settled at the local level."""
    residents, count = context.size((2_000, 2), (2_000, 8))
    results = run_all(
        [Run("baseline", residents, 260)] * count,
        seeds_for(context.seed, count, stream="petitions_settled_locally"),
        world=context.world,
    )
    share = settled_locally(results)
    resampled = local_share(
        resampled_means(settled_by_city(results), seed=bootstrap_seed(context.seed))
    )
    low, high = resampled_bounds(resampled, count)
    accepted = (0.8, 1.0)
    return CheckResult(
        f"{share:.1%} of settled petitions settled locally "
        f"({interval_words(low, high, over='runs', spec='.1%')}; {count} runs, weeks 131-260)",
        "at least 80 %",
        bool(share >= accepted[0]),
        value=share,
        interval=(low, high),
        accepted=accepted,
    )


@check("inverted_pyramid", pattern="E2",
       title="Blocked local channels push petitions upward",
       source=BUREAU)  # fmt: skip
def inverted_pyramid(context: CheckContext) -> CheckResult:
    """The upward share of petitions: at the baseline, and with local channels blocked.

    Blocked once with a quarter of the local capacity, once with local
    rejection and interception raised (tolerance 0.1).
    """
    residents, count = context.size((2_000, 2), (2_000, 8))
    rows = []
    for k, (name, overrides) in enumerate(BLOCKED_SETTINGS.items()):
        runs = [Run("baseline", residents, 260, overrides)] * count
        results = run_all(
            runs,
            seeds_for(context.seed, count, stream="inverted_pyramid", offset=10 * k),
            world=context.world,
        )
        rows.append(
            {"setting": name, "share_upward": mean_last_half(results, "share_petitions_upward")}
        )
    table = pd.DataFrame(rows)
    base, less_capacity, blocked = table["share_upward"].tolist()
    passed = bool(less_capacity > base and blocked > base)
    return CheckResult(
        f"share of petitions filed above the local level: {base:.1%} with working channels, "
        f"{less_capacity:.1%} with a quarter of the capacity, {blocked:.1%} with more rejection",
        "higher in both blocked settings than with working channels",
        passed,
        value=min(less_capacity, blocked) - base,
        details=table,
    )
