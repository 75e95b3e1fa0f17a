"""Regimes are data; each error pair differs only in its named levers."""

from dataclasses import fields

import pytest

from model import ERRORS, REGIMES, Levers, ParameterError
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
        error, remedy = pair
        assert error in REGIMES and remedy in REGIMES


@pytest.mark.parametrize("number", [1, 2, 3, 4, 5, 6])
def test_pair_differs_only_in_named_levers(number):
    pair = ERRORS[number]
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
