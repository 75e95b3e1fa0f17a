"""Designs: bounds from the declarations, kinds handled, seeded, Saltelli structure."""

from __future__ import annotations

import numpy as np
import pytest

from experiments import designs
from experiments.designs import DUMMY, DesignError, Range
from model.params import DECLARATIONS


def test_problem_takes_bounds_from_the_declarations_and_adds_a_dummy():
    problem = designs.make_problem(["tolerance", "mean_degree"])
    assert problem.names == ("tolerance", "mean_degree", DUMMY)
    d = DECLARATIONS["mean_degree"]
    assert problem.salib()["bounds"] == [
        [DECLARATIONS["tolerance"].low, DECLARATIONS["tolerance"].high],
        [d.low, d.high + 1.0],  # int: floor of U[low, high + 1)
        [0.0, 1.0],
    ]
    assert designs.make_problem(["tolerance"], dummy=False).names == ("tolerance",)


def test_problem_refuses_bad_factors():
    with pytest.raises(DesignError, match="choice"):
        designs.make_problem(["network"])
    with pytest.raises(DesignError, match="twice"):
        designs.make_problem(["tolerance", "tolerance"])
    with pytest.raises(DesignError, match="unknown"):
        designs.make_problem(["tolerence"])


def test_integer_factors_cover_every_whole_number_evenly():
    problem = designs.make_problem([Range("mean_degree", 2, 5)], dummy=False)
    unit = np.linspace(0, 1, 4001)[:, None]
    points = problem.to_points(2 + unit * 4)  # spans the sampler range [2, 6]
    assert points["mean_degree"].dtype == np.int64
    counts = points["mean_degree"].value_counts().sort_index()
    assert counts.index.tolist() == [2, 3, 4, 5]
    assert counts.max() - counts.min() <= 2


def test_factorial_is_every_combination_with_declared_kinds():
    factors = [
        Range("tolerance", levels=(0.2, 0.8)),
        Range("network", levels=("watts_strogatz", "erdos_renyi")),
        Range("mean_degree", levels=(4, 8, 12)),
    ]
    frame = designs.factorial(factors)
    assert len(frame) == 12
    assert frame.iloc[0].tolist() == [0.2, "watts_strogatz", 4]
    assert frame.iloc[-1].tolist() == [0.8, "erdos_renyi", 12]
    assert frame["mean_degree"].dtype == np.int64
    with pytest.raises(DesignError, match="tolerance"):
        designs.factorial([Range("tolerance", levels=(0.5, 1.5))])


def test_latin_hypercube_is_seeded_and_stratified():
    factors = [Range("tolerance", 0.0, 1.0), Range("repression", 0.2, 0.6)]
    a = designs.latin_hypercube(factors, 20, seed=4)
    assert a.equals(designs.latin_hypercube(factors, 20, seed=4))
    assert not a.equals(designs.latin_hypercube(factors, 20, seed=5))
    strata = np.floor(a["tolerance"].to_numpy() * 20).astype(int)
    assert sorted(strata) == list(range(20))  # one point per stratum
    assert a["repression"].between(0.2, 0.6).all()


def test_sobol_needs_a_power_of_two_and_has_saltelli_size():
    problem = designs.make_problem(["tolerance", "repression"])
    with pytest.raises(DesignError, match="power of two; use 32 or 64"):
        designs.sobol(problem, 48)
    assert designs.sobol(problem, 16).shape == (16 * (3 + 2), 3)
    assert designs.sobol(problem, 16, second_order=True).shape == (16 * (2 * 3 + 2), 3)


def test_first_half_of_a_sobol_design_is_the_half_size_design():
    problem = designs.make_problem(["tolerance", "repression", "rights"])
    for second_order in (False, True):
        rows = designs.sobol_rows_per_base(problem, second_order)
        full = designs.sobol(problem, 64, second_order=second_order, seed=9)
        half = designs.sobol(problem, 32, second_order=second_order, seed=9)
        assert np.array_equal(full[: 32 * rows], half)


def test_morris_trajectories():
    problem = designs.make_problem(["tolerance", "repression"])
    x = designs.morris(problem, 6, levels=4, seed=1)
    assert x.shape == (6 * 4, 3)
    assert np.array_equal(x, designs.morris(problem, 6, levels=4, seed=1))
