"""Negative controls of the incident and petition patterns (EVIDENCE 1, 2).

A negative control runs a world where the mechanism behind a pattern is
switched off and passes when the pattern is absent there. It shows that the
pattern's check can fail, so that its pass means something: a measurement
that came out "heavy-tailed" or "rising" whatever the model did would be no
test. Only controls whose expected absence follows from the mechanism are
here, each with its reasoning; each measures as its check does, with the
same helpers, so the two differ only in the world.

They live apart from :mod:`~experiments.validation.incidents` and
:mod:`~experiments.validation.petitions` so that those modules stay the one
home of what the pattern checks measure and against which target.
The controls of P5, E4 and E6 sit beside their checks (``cascades``,
``society``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from experiments.validation.incidents import (
    COERCION,
    HEAVY_LARGEST,
    HEAVY_SLOPE,
    INCIDENT_DRIFT,
    MIN_INCIDENTS,
    TAILS,
    is_heavy,
    plot_ccdf,
    tail_slope,
    yearly_incidents_and_effort,
)
from experiments.validation.petitions import BLOCKED_SETTINGS, BUREAU, settled_locally
from experiments.validation.registry import CheckContext, CheckResult, check
from experiments.validation.runs import Run, mean_last_half, run_all, seeds_for

INFLOW_FACTOR = 4.0
"""Latent discontent of the heavy-tail control, as a multiple of the world's ``inflow_rate``.

Enough for hundreds of incidents in the reduced city without collective
shocks; within the range the safety-valve check sweeps (valve.DISCONTENT).
"""

SMALL_LOCAL_CAPACITY = 0.01
"""Local capacity of the settled-locally control, as a share of the world's ``cadre_capacity``."""


@check("heavy_tailed_sizes_control", pattern="E1",
       title="Negative control: without collective shocks and fast spread, sizes are not "
       "heavy-tailed",
       source=TAILS, controls="heavy_tailed_sizes")  # fmt: skip
def heavy_tailed_sizes_control(context: CheckContext) -> CheckResult:
    """The heavy-tail check's city without collective shocks or spread within the week.

    Why it is natural: the model's large incidents come from two mechanisms,
    collective shocks that hit a whole neighbourhood at once (Pareto-sized
    footprints) and protest that spreads within the week until no one else
    joins (Granovetter's equilibrium). Without both, residents turn out on
    their own grievance, which shocks raise one by one, and protest spreads
    by at most one tie a week; the connected groups of protesters are then
    expected to be small and their sizes thin-tailed.

    Without collective shocks the default world has next to no incidents,
    which would make the control pass for want of a tail to measure. So
    latent discontent is raised (``inflow_rate`` x :data:`INFLOW_FACTOR`)
    until incidents are common, raising every resident's grievance alike
    and giving them no common cause. Passes when the heavy-tail pattern is
    absent (slope outside the check's range or no incident of its least
    size). Too few incidents to measure a tail is reported as a failure:
    the control then shows nothing. If a heavy tail remains, the control
    fails and says so: something else makes the tail, and the check's pass
    does not show that these two mechanisms do.
    """
    residents, steps, count = context.size((20_000, 156, 1), (100_000, 260, 4))
    inflow = min(1.0, INFLOW_FACTOR * context.world_value("inflow_rate"))
    overrides = {
        "collective_shock_rate": 0.0,
        "spread_within_week": False,
        "inflow_rate": inflow,
    }
    runs = [Run("baseline", residents, steps, overrides, incident_sizes=True)] * count
    results = run_all(
        runs, seeds_for(context.seed, count, stream="heavy_tailed_sizes"), world=context.world
    )
    sizes = np.sort(np.concatenate([r.incident_sizes for r in results]))
    table = pd.DataFrame({"size": sizes})
    world = (
        f"{residents:,} households, {count} run(s) of {steps} weeks; no collective shocks, no "
        f"spread within the week, inflow_rate {inflow:.3g}"
    )
    if sizes.size < MIN_INCIDENTS:
        return CheckResult(
            f"only {sizes.size} incidents ({world}): too few to measure a tail",
            f"the heavy tail absent, over at least {MIN_INCIDENTS} incidents",
            False,
            details=table,
        )
    slope = tail_slope(sizes)
    heavy = is_heavy(sizes, slope)
    plot_ccdf(sizes, slope, context.figure_path("heavy_tailed_sizes_control"), "Control: ")
    return CheckResult(
        f"top-decade CCDF slope {slope:.2f} over {sizes.size} incidents (largest "
        f"{sizes[-1]:.0f} households; {world})",
        f"the heavy tail absent: slope outside {HEAVY_SLOPE[0]} to {HEAVY_SLOPE[1]} or no "
        f"incident of {HEAVY_LARGEST} households (over at least {MIN_INCIDENTS} incidents)",
        not heavy,
        value=slope,
        details=table,
    )


@check("coercion_cost_control", pattern="E1",
       title="Negative control: with nothing that adds control, coercive effort does not rise",
       source=COERCION, controls="coercion_cost")  # fmt: skip
def coercion_cost_control(context: CheckContext) -> CheckResult:
    """Rigid suppression with hardship drifting, as in the check, but nothing that adds control.

    Why it is natural: control effort rises only because cadres judged by
    incidents (the one-vote veto) shift effort to control and hire stability
    staff after each mark (``model.cadres.Cadre.adapt``), and because higher
    levels send forces where crowds outgrow a district's control
    (``model.submodels.reinforcement``). Cadres judged by nothing
    (``cadre_incentive = "fixed"``) never adapt and, with ``reinforcement =
    0``, no force comes, so control effort must stay where it started
    however incidents grow: the vicious circle cannot close. Passes when
    the last year's control effort is no higher than the first's.
    """
    residents, count = context.size((2_000, 1), (10_000, 3))
    overrides = {"need_drift": INCIDENT_DRIFT, "cadre_incentive": "fixed", "reinforcement": 0.0}
    runs = [Run("rigid_suppression", residents, 520, overrides)] * count
    results = run_all(
        runs, seeds_for(context.seed, count, stream="coercion_cost"), world=context.world
    )
    table = yearly_incidents_and_effort(results)
    mean_incidents = table["incidents_per_10k"].to_numpy()
    mean_effort = table["control_effort"].to_numpy()
    rise = float(mean_effort[-1] / mean_effort[0] - 1.0) if mean_effort[0] else float("nan")
    return CheckResult(
        f"control effort {mean_effort[0]:.1f} -> {mean_effort[-1]:.1f} (change {rise:+.1%}), "
        f"incidents {mean_incidents[0]:.1f} -> {mean_incidents[-1]:.1f} per 10,000 a year "
        f"({count} run(s) of {residents:,} households, no veto and no forces from above)",
        "control effort does not rise over ten years (the vicious circle absent)",
        bool(mean_effort[-1] <= mean_effort[0] * (1.0 + 1e-9)),
        value=rise,
        details=table,
    )


@check("inverted_pyramid_control", pattern="E2",
       title="Negative control: with no escalation no petition goes up, blocked or not",
       source=BUREAU, controls="inverted_pyramid")  # fmt: skip
def inverted_pyramid_control(context: CheckContext) -> CheckResult:
    """The inverted pyramid's three settings with ``escalation = 0``.

    Why it is natural: a petition goes above the local level only when a
    petitioner failed at one level takes the next petition higher, with
    probability ``escalation`` (``model.submodels.petitions``), and every
    resident starts at the local level. With escalation 0, blocking local
    channels can make petitions fail but cannot send them up: the share
    filed above the local level must be zero in every setting, so the
    pyramid cannot invert.
    """
    residents, count = context.size((2_000, 1), (2_000, 4))
    rows = []
    for k, (name, overrides) in enumerate(BLOCKED_SETTINGS.items()):
        runs = [Run("baseline", residents, 260, {**overrides, "escalation": 0.0})] * count
        results = run_all(
            runs,
            seeds_for(context.seed, count, stream="inverted_pyramid", offset=10 * k),
            world=context.world,
        )
        upward = [float(np.nanmax(r.table["share_petitions_upward"].to_numpy())) for r in results]
        rows.append(
            {
                "setting": name,
                "share_upward": mean_last_half(results, "share_petitions_upward"),
                "most_upward_in_a_week": max(upward),
            }
        )
    table = pd.DataFrame(rows)
    most = float(table["most_upward_in_a_week"].max())
    shares = ", ".join(
        f"{s:.1%} ({n})" for n, s in zip(table["setting"], table["share_upward"], strict=True)
    )
    return CheckResult(
        f"share of petitions filed above the local level: {shares}; at most {most:.1%} in any "
        f"week ({count} run(s) per setting, escalation 0)",
        "zero in every setting and every week (no inverted pyramid)",
        most == 0.0,
        value=most,
        details=table,
    )


@check("petitions_settled_locally_control", pattern="E2",
       title="Negative control: with local capacity near zero, under 80 % are settled locally",
       source=BUREAU, controls="petitions_settled_locally")  # fmt: skip
def petitions_settled_locally_control(context: CheckContext) -> CheckResult:
    """The baseline with cadres' capacity cut to near zero (:data:`SMALL_LOCAL_CAPACITY`).

    Why it is natural: a local petition is settled only when the district's
    service effort handles it, and that effort is the cadres' capacity
    (``cadre_capacity`` x cadres); the offices above have their own
    capacity, which the cut leaves alone, and the same cut leaves too little
    control effort to intercept petitioners on their way up. Failed local
    petitioners escalate, so the share settled locally must fall well below
    80 %. The capacity is cut to near zero rather than to zero so that the
    districts keep their cadres (a district without any is a different
    world).
    """
    residents, count = context.size((2_000, 1), (2_000, 4))
    capacity = SMALL_LOCAL_CAPACITY * context.world_value("cadre_capacity")
    runs = [Run("baseline", residents, 260, {"cadre_capacity": capacity})] * count
    results = run_all(
        runs,
        seeds_for(context.seed, count, stream="petitions_settled_locally"),
        world=context.world,
    )
    share = settled_locally(results)
    table = pd.DataFrame(
        {
            "cadre_capacity": [capacity],
            "share_settled_locally": [share],
            "share_petitions_upward": [mean_last_half(results, "share_petitions_upward")],
        }
    )
    if not np.isfinite(share):
        return CheckResult(
            f"no petition settled anywhere in weeks 131-260 ({count} run(s), cadre_capacity "
            f"{capacity:g})",
            "below 80 % settled locally",
            False,
            details=table,
        )
    return CheckResult(
        f"{share:.1%} of settled petitions settled locally ({count} run(s), weeks 131-260, "
        f"cadre_capacity {capacity:g}, {SMALL_LOCAL_CAPACITY:.0%} of the world's)",
        "below 80 % (the local-settlement pattern absent)",
        bool(share < 0.8),
        value=share,
        details=table,
    )
