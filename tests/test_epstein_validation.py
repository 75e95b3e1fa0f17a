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
# forty seeds in seconds and there is activity and arrests to compare.
SIDE, VISION, LEGIT, JAIL, STEPS, SEEDS, BURN_IN = 20, 4, 0.7, 30, 50, 40, 11
ALPHA = 0.01


def _summary(active: np.ndarray, jailed: np.ndarray) -> tuple[float, float]:
    """Per-run mean active and mean jailed count after the burn-in."""
    return float(active[BURN_IN:].mean()), float(jailed[BURN_IN:].mean())


def _mesa_runs() -> np.ndarray:
    out = []
    for seed in range(SEEDS):
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
    for seed in range(SEEDS):
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
    # Two-sample Kolmogorov-Smirnov on mean active and mean jailed over 40
    # seeds each: not rejected at 1% (measured p = 0.40 and 0.58).
    p = _ks_pvalues(mesa_reference, _our_runs())
    assert min(p) > ALPHA, p


@pytest.mark.slow
@pytest.mark.parametrize(
    "wrong", [{"vision": "moore"}, {"arrest_rule": "literal"}], ids=["moore", "literal"]
)
def test_wrong_rule_is_detected(mesa_reference: np.ndarray, wrong: dict[str, str]) -> None:
    # Negative control: the same test rejects a different vision geometry
    # (measured p < 1e-6) or arrest rule (literal: p = 0.003 and < 1e-6).
    # Floor instead of round is NOT detected at this size (p = 0.40, 0.16):
    # with vision 4, C/A rarely lies in [0.5, 1) where the two differ.
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
    # NetLogo's floor rule: repeated outbursts separated by calm (measured 7-9
    # in 250 steps). The paper's literal rule with the same settings gives
    # none (measured 0 in every seed): the published figure needs a rounding.
    for seed in range(3):
        m = CivilViolence.preset("netlogo", rng=seed, batches=8)
        m.run(250)
        bursts = m.outbursts()
        assert len(bursts) >= 4
        assert min(b.end - b.start for b in bursts) >= 1
        # Calm between outbursts: activity falls below the threshold again.
        assert m.series()["active"][bursts[0].end] < m.outbursts()[0].peak / 2
    m = CivilViolence.preset("epstein", rng=0, batches=8)
    m.run(150)
    assert len(m.outbursts()) == 0


def _peak(legitimacy: Callable[[int], float], seed: int) -> int:
    m = CivilViolence.preset("netlogo", rng=seed, legitimacy=legitimacy, batches=8)
    m.run(130)
    return int(m.series()["active"].max())


@pytest.mark.slow
def test_salami_tactics() -> None:
    # Same seeds (paired): a sudden drop of legitimacy from 0.9 to 0.6 against
    # a gradual fall to the same level over 120 steps. Measured peaks: sudden
    # about 690-740 actives, gradual 400-510. Assert in every pair, and by at
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
    # Cops removed one every 4 steps from 64 to 0 (NetLogo preset). The
    # paper's abrupt tipping point is NOT clearly reproduced: peaks per
    # 20-step window climb gradually (measured e.g. 87, 146, 114, 102, 154,
    # 111, 105, 152, 216, 291, 356, 439).
    for seed in range(2):
        m = CivilViolence.preset(
            "netlogo", rng=seed, n_cops=lambda t: max(0, 64 - t // 4), batches=8
        )
        m.run(260)
        a = m.series()["active"]
        # Mean activity with no cops left against mid-run (after the opening
        # outburst) with most cops: at least three times higher.
        assert a[240:].mean() > 3 * a[40:120].mean(), (a[240:].mean(), a[40:120].mean())
