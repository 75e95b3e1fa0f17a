"""Validation of the Epstein reference mode against Mesa's model and the paper.

Every comparison uses fixed seeds, so each test is deterministic; the
tolerances are stated next to each assertion. Numbers quoted in comments were
measured on this code (see the report of issue 4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from mesa.examples.advanced.epstein_civil_violence.model import (
    EpsteinCivilViolence,
    EpsteinScenario,
)
from scipy import stats

from model import CivilViolence

# Small lattice, short jail terms and vision 4 so that Mesa's own model runs
# eighty seeds in about 40 s and there is activity and arrests to compare.
# Our exact kernel is cheap, so its side of each two-sample test has ten
# times more seeds, which sharpens the test (it now tells floor from round).
SIDE, VISION, LEGIT, JAIL, STEPS, BURN_IN = 20, 4, 0.7, 30, 50, 11
MESA_SEEDS, OUR_SEEDS = 80, 400
ALPHA = 0.01


def _summary(active: np.ndarray, jailed: np.ndarray) -> tuple[float, float]:
    """Per-run mean active and mean jailed count after the burn-in."""
    return float(active[BURN_IN:].mean()), float(jailed[BURN_IN:].mean())


def _mesa_runs() -> np.ndarray:
    out = []
    for seed in range(MESA_SEEDS):
        scenario = EpsteinScenario(
            rng=1000 + seed,
            legitimacy=LEGIT,
            max_jail_term=JAIL,
            citizen_vision=VISION,
            cop_vision=VISION,
        )
        m = EpsteinCivilViolence(width=SIDE, height=SIDE, scenario=scenario)
        for _ in range(STEPS):
            m.step()
        df = m.datacollector.get_model_vars_dataframe()
        out.append(_summary(df["active"].to_numpy(), df["arrested"].to_numpy()))
    return np.array(out).T


def _our_runs(**overrides: Any) -> np.ndarray:
    out = []
    for seed in range(OUR_SEEDS):
        m = CivilViolence(
            preset="mesa",
            width=SIDE,
            height=SIDE,
            rng=seed,
            legitimacy=LEGIT,
            max_jail_term=JAIL,
            citizen_vision=VISION,
            cop_vision=VISION,
            **overrides,
        )
        m.run(STEPS)
        s = m.series()
        out.append(_summary(s["active"], s["jailed"]))
    return np.array(out).T


@pytest.fixture(scope="module")
def mesa_reference() -> np.ndarray:
    return _mesa_runs()


def _ks_pvalues(a: np.ndarray, b: np.ndarray) -> list[float]:
    return [float(stats.ks_2samp(a[i], b[i]).pvalue) for i in range(2)]


@pytest.mark.slow
def test_mesa_preset_matches_mesa(mesa_reference: np.ndarray) -> None:
    # Two-sample Kolmogorov-Smirnov on mean active and mean jailed, 80 runs
    # of Mesa's model against 400 of ours: not rejected at 1% (measured
    # p = 0.91 and 0.99; the mean jailed, 110.0 in Mesa, 111.9 in ours).
    p = _ks_pvalues(mesa_reference, _our_runs())
    assert min(p) > ALPHA, p


@pytest.mark.slow
@pytest.mark.parametrize(
    "wrong",
    [{"vision": "moore"}, {"arrest_rule": "literal"}, {"arrest_rule": "floor"}],
    ids=["moore", "literal", "floor"],
)
def test_wrong_rule_is_detected(mesa_reference: np.ndarray, wrong: dict[str, str]) -> None:
    # Negative controls: the same test rejects a different vision geometry
    # (measured p < 1e-40), the literal arrest rule (p = 1e-11 and 4e-32)
    # and NetLogo's floor instead of Mesa's round (p = 0.061 for actives,
    # 0.0004 for jailed: floor jails 13% more). With 40 seeds a side, as
    # before the exact kernel, floor was not detected (p = 0.41, 0.10).
    p = _ks_pvalues(mesa_reference, _our_runs(**wrong))
    assert min(p) < ALPHA, p


def test_legitimacy_ceiling_full_size() -> None:
    # Paper, Run 1 logic: when H (1 - L) <= T for every H < 1, nobody acts.
    for seed in range(2):
        m = CivilViolence(preset="mesa", legitimacy=0.9, rng=seed)
        m.run(30)
        assert m.series()["active"].max() == 0


@pytest.mark.parametrize("rule", ["literal", "floor", "round"])
@pytest.mark.parametrize("legit", [0.5, 0.7])
def test_no_cop_equilibrium(rule: str, legit: float) -> None:
    # Without cops the share of actives is 1 - T / (1 - L) under any rule;
    # tolerance 4 binomial standard deviations.
    m = CivilViolence(cop_density=0.0, legitimacy=legit, arrest_rule=rule, rng=7)
    m.run(5)
    n = m.n_citizens
    expected = 1 - 0.1 / (1 - legit)
    share = m.series()["active"][1:].mean() / n
    assert abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / n)


@pytest.mark.slow
def test_punctuated_equilibrium_needs_floor_rule() -> None:
    # Run 2's settings (L 0.82, cop density 0.04, vision 7, J_max 30). With
    # NetLogo's floor rule: repeated outbursts separated by calm (measured 8-9
    # in 250 steps). The paper's literal rule with the same settings gives
    # none (measured 0 in every seed): the published figure needs a rounding.
    for seed in range(3):
        m = CivilViolence.preset("netlogo", rng=seed)
        m.run(250)
        bursts = m.outbursts()
        assert len(bursts) >= 4
        assert min(b.end - b.start for b in bursts) >= 1
        # Calm between outbursts: activity falls below the threshold again.
        assert m.series()["active"][bursts[0].end] < m.outbursts()[0].peak / 2
    m = CivilViolence.preset("epstein", rng=0)
    m.run(150)
    assert len(m.outbursts()) == 0


def _peak(legitimacy: Callable[[int], float], seed: int) -> int:
    m = CivilViolence.preset("netlogo", rng=seed, legitimacy=legitimacy)
    m.run(130)
    return int(m.series()["active"].max())


@pytest.mark.slow
def test_salami_tactics() -> None:
    # Same seeds (paired): a sudden drop of legitimacy from 0.9 to 0.6 against
    # a gradual fall to the same level over 120 steps. Measured peaks: sudden
    # 693-706 actives, gradual 344-516. Assert in every pair, and by at
    # least 20% on average.
    def sudden(t: int) -> float:
        return 0.9 if t < 10 else 0.6

    def gradual(t: int) -> float:
        return max(0.6, 0.9 - 0.3 * t / 120)

    pairs = [(_peak(sudden, s), _peak(gradual, s)) for s in range(4)]
    assert all(a > b for a, b in pairs), pairs
    assert np.mean([b / a for a, b in pairs]) < 0.8, pairs


@pytest.mark.slow
def test_cop_reduction_raises_activity() -> None:
    # Cops removed one every 4 steps from 64 to 0 (NetLogo preset). With
    # fixed cop numbers (200 steps, 10 seeds) mean activity is flat, 41-50,
    # from 64 down to 36 cops, then rises: 56 at 32, 82 at 28, 140 at 24,
    # and on almost linearly to 489 at none. A threshold near 30 cops
    # (density 0.019), but a kink, not the paper's sudden jump. Measured
    # here: mean actives 405 and 426 at the end against 41 and 54 mid-run.
    for seed in range(2):
        m = CivilViolence.preset("netlogo", rng=seed, n_cops=lambda t: max(0, 64 - t // 4))
        m.run(260)
        a = m.series()["active"]
        # Mean activity with no cops left against mid-run (after the opening
        # outburst) with most cops: at least three times higher.
        assert a[240:].mean() > 3 * a[40:120].mean(), (a[240:].mean(), a[40:120].mean())
