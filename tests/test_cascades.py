"""The threshold-contagion reference mode (model.cascades): the main model's rule, nested."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.sparse as sp

from model import ThresholdCascade
from model.cascades import TIE_MARGIN, cascade_window, granovetter_thresholds
from model.network import build_network
from model.params import Levers, ParameterError, Params, coefficients
from model.population import PROTESTING, QUIET
from model.submodels.stance import activates, stance_of

DEFAULT_COEFFICIENTS = coefficients(Params(), Levers())


def _path(n: int) -> sp.csr_array:
    rows = np.arange(n - 1)
    a = sp.coo_array((np.ones(n - 1), (rows, rows + 1)), shape=(n, n))
    return sp.csr_array(a + a.T)


@pytest.mark.parametrize("contagion", [1.0, 0.1])
def test_joining_is_the_main_models_stance_rule_with_contagion_only(contagion):
    # Every share m/k of degrees up to 12 against thresholds that are such shares too:
    # the main model's resident protests exactly when Watts' node would adopt (>=).
    shares = sorted({m / k for k in range(1, 13) for m in range(k + 1)})
    for phi in shares[::7]:
        mode = ThresholdCascade(_path(2), phi, contagion=contagion)
        coef = DEFAULT_COEFFICIENTS._replace(
            protest_threshold=float(mode.protest_threshold[0]),
            contagion=contagion,
            petition_threshold=1.0,
            petition_trust=0.0,
        )
        for share in shares:
            stance = stance_of(QUIET, 0.0, 1.0, 0.0, 0.0, share, 0.0, 0, 0.0, False, coef)
            assert (stance == PROTESTING) == (share >= phi), (phi, share)


def test_the_margin_is_what_makes_an_equal_share_join():
    phi = 1 / 99
    assert not activates(0.0, 0.0, 0.0, phi - phi)  # the strict rule, as it is
    assert activates(0.0, 0.0, 0.0, (phi - TIE_MARGIN) - phi)


def test_a_path_joins_one_resident_per_round_until_a_threshold_is_too_high():
    done = ThresholdCascade(_path(4), 0.5).run([0])
    assert done.joined_round.tolist() == [0, 1, 2, 3]
    assert (done.size, done.share, done.rounds) == (4, 1.0, 3)
    stopped = ThresholdCascade(_path(4), 0.6).run([0])  # 1 of 2 neighbours is not enough
    assert stopped.joined.tolist() == [True, False, False, False] and stopped.rounds == 0


def test_zero_threshold_joins_unprompted_and_isolated_residents_never_follow():
    empty = sp.csr_array((3, 3))
    assert ThresholdCascade(empty, [0.0, 0.5, 1.0]).run().joined.tolist() == [True, False, False]


def test_granovetter_riot_and_its_perturbation():
    riot = ThresholdCascade.crowd(granovetter_thresholds(100)).run()
    assert riot.size == 100 and riot.rounds == 99
    assert riot.joined_round.tolist() == list(range(100))  # threshold t joins in round t
    assert ThresholdCascade.crowd(granovetter_thresholds(100, perturbed=True)).run().size == 1


def test_cascade_window_is_reproducible_and_contagion_scale_free():
    first = cascade_window(400, [2, 3], 0.18, 5, seed=3)
    again = cascade_window(400, [3], 0.18, 5, seed=3)
    assert first.iloc[1].equals(again.iloc[0])  # a trial depends on its own identity only
    other = cascade_window(400, [2, 3], 0.18, 5, seed=4)
    assert not first["mean_size"].equals(other["mean_size"])
    adjacency = build_network(
        "erdos_renyi",
        500,
        mean_degree=4,
        long_range_share=0.0,
        position=np.zeros((500, 2)),
        rng=np.random.default_rng(8),
    )
    one, tenth = (ThresholdCascade(adjacency, 0.18, contagion=c) for c in (1.0, 0.1))
    sizes = []
    for seed in range(20):
        a, b = one.run([seed]), tenth.run([seed])
        assert np.array_equal(a.joined_round, b.joined_round)
        sizes.append(a.size)
    assert max(sizes) > 250  # some seeds start a global cascade


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda: ThresholdCascade(_path(3), 1.5), "in [0, 1]"),
        (lambda: ThresholdCascade(_path(3), 0.2, contagion=0.0), "must be positive"),
        (lambda: ThresholdCascade.crowd([0, 5]), "thresholds in 0..1"),
    ],
)
def test_bad_settings_are_one_line_parameter_errors(make, needle):
    with pytest.raises(ParameterError, match=re.escape(needle)):
        make()
