"""Regimes are data; each error pair differs only in its named levers."""

from dataclasses import fields

import pytest

from model import ERRORS, REGIMES, VARIANT_PAIRS, Levers, ParameterError
from model.regimes import Regime, regime

REQUIRED = {"baseline", "rigid_suppression", "safety_valve", "shared_governance", "grid_control"}


def test_required_regimes_exist_with_descriptions():
    assert set(REGIMES) >= REQUIRED
    for r in REGIMES.values():
        assert len(r.description) > 60, r.name
        r.resolve()  # every regime's levers are valid


def test_six_errors_are_pairs_of_known_regimes():
    assert list(range(1, 7)) == sorted(ERRORS)
    for number, pair in ERRORS.items():
        assert pair.number == number
        assert pair.error_regime in REGIMES and pair.remedy_regime in REGIMES


ALL_PAIRS = {str(k): v for k, v in ERRORS.items()} | dict(VARIANT_PAIRS)


def distinguishing(pair) -> set[str]:
    error = REGIMES[pair.error_regime].resolve()
    remedy = REGIMES[pair.remedy_regime].resolve()
    return {f.name for f in fields(Levers) if getattr(error, f.name) != getattr(remedy, f.name)}


def test_one_lever_group_per_claim():
    """No two pairs share a lever that distinguishes them (the article ties none)."""
    groups = [(name, distinguishing(pair)) for name, pair in ALL_PAIRS.items()]
    for k, (a, levers_a) in enumerate(groups):
        for b, levers_b in groups[k + 1 :]:
            assert not levers_a & levers_b, (a, b, levers_a & levers_b)


def test_every_pair_says_which_claim_it_tests():
    for name, pair in ALL_PAIRS.items():
        assert len(pair.claim) > 40, name
        assert pair.error_regime in REGIMES and pair.remedy_regime in REGIMES


def test_grid_mode_carries_no_pair():
    """Error 6 is carried by its own levers: both of its regimes use the grid the same way."""
    for pair in ALL_PAIRS.values():
        assert "grid_mode" not in distinguishing(pair)


@pytest.mark.parametrize("name", sorted(ALL_PAIRS))
def test_pair_differs_only_in_named_levers(name):
    pair = ALL_PAIRS[name]
    error = REGIMES[pair.error_regime].resolve()
    remedy = REGIMES[pair.remedy_regime].resolve()
    differing = {
        f.name for f in fields(Levers) if getattr(error, f.name) != getattr(remedy, f.name)
    }
    assert differing, "the two regimes of a pair must differ"
    assert differing <= set(pair.levers), differing - set(pair.levers)


def test_regimes_set_levers_only():
    with pytest.raises(ParameterError, match="unknown lever"):
        Regime("bad", "x", {"contagion": 0.0})  # a world parameter, not a lever


def test_unknown_regime_suggests_closest():
    with pytest.raises(ParameterError, match="did you mean 'safety_valve'"):
        regime("safety_vale")
