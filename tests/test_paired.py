"""Paired sensitivity of a claim: a toy pair with known answers, specs, the model end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments import designs, specs
from experiments.runner import Task
from experiments.sensitivity import run_design_analysis
from experiments.specs import SpecError
from experiments.store import ResultsStore
from experiments.tasks import ishigami_pair_task, paired_task, simulate_task

PI = np.pi
PROBLEM = designs.Problem(
    ("x1", "x2", "x3", designs.DUMMY), ("float",) * 4, (-PI, -PI, -PI, 0.0), (PI, PI, PI, 1.0)
)
S1 = {"x1": 0.314, "x2": 0.442, "x3": 0.0}  # Ishigami (a = 7, b = 0.1), analytic
ST = {"x1": 0.558, "x2": 0.442, "x3": 0.244}


def toy_settings(x, noise):
    return [
        {**row, "error": "error", "remedy": "remedy", "noise": noise}
        for row in PROBLEM.to_points(x).to_dict("records")
    ]


def test_paired_sobol_recovers_the_difference_and_cancels_shared_noise(tmp_path):
    x = designs.sobol(PROBLEM, 512, seed=5)
    store = ResultsStore.create(tmp_path, "toy_pair", {"root_seed": 9})
    tables = run_design_analysis(
        store,
        PROBLEM,
        x,
        settings=toy_settings(x, noise=2.0),
        fn=ishigami_pair_task,
        outputs=["diff_y", "error_y"],
        method="sobol",
        replications=2,
        root_seed=9,
        base_samples=512,
        workers=0,
        progress=False,
        batch_size=512,
        num_resamples=50,
    )
    indices = tables["indices"].set_index(["output", "factor"])
    for name in ("x1", "x2", "x3"):
        assert indices.loc[("diff_y", name), "S1"] == pytest.approx(S1[name], abs=0.06)
        assert indices.loc[("diff_y", name), "ST"] == pytest.approx(ST[name], abs=0.06)
    assert abs(indices.loc[("diff_y", "dummy"), "ST"]) < 0.01
    # The error regime alone is a different function (the nuisance 3 x2 + cos x3 and
    # noise): its indices are not the difference's, so the pipeline analysed the pair.
    assert indices.loc[("error_y", "x2"), "S1"] > S1["x2"] + 0.15
    noise = tables["randomness"].set_index("output")["share"]
    assert noise["diff_y"] < 1e-12  # common random numbers: the shared noise cancels
    assert noise["error_y"] > 0.05
    convergence = tables["convergence"]
    assert set(convergence["output"]) == {"diff_y", "error_y"}
    runs = store.read_summary("runs")
    assert np.allclose(runs["diff_y"], runs["remedy_y"] - runs["error_y"])


def test_paired_morris_ranks_the_dummy_last(tmp_path):
    x = designs.morris(PROBLEM, 40, levels=4, seed=1)
    store = ResultsStore.create(tmp_path, "toy_morris", {"root_seed": 2})
    tables = run_design_analysis(
        store,
        PROBLEM,
        x,
        settings=toy_settings(x, noise=1.0),
        fn=ishigami_pair_task,
        outputs=["diff_y"],
        method="morris",
        replications=1,
        root_seed=2,
        workers=0,
        progress=False,
        batch_size=512,
        num_resamples=50,
    )
    mu = tables["indices"].set_index("factor")["mu_star"]
    assert mu.idxmin() == designs.DUMMY and mu[designs.DUMMY] < 1e-9


def test_paired_task_is_the_difference_of_two_runs_with_one_seed():
    settings = {
        "error": "rigid_suppression",
        "remedy": "safety_valve",
        "steps": 10,
        "residents": 100,
        "outcomes": ("mean_legitimacy", "mean_grievance"),
        "overrides": {"inflow_rate": 0.15},
    }
    row = paired_task(Task(0, 0, 0, settings), 123)
    singles = {
        role: simulate_task(
            Task(0, 0, 0, {**settings, "regime": settings[role], "record": "summary"}), 123
        )
        for role in ("error", "remedy")
    }
    for column in singles["error"].columns:
        assert row[f"error_{column}"].iloc[0] == singles["error"][column].iloc[0]
        assert row[f"diff_{column}"].iloc[0] == pytest.approx(
            singles["remedy"][column].iloc[0] - singles["error"][column].iloc[0]
        )
    assert row["diff_mean_grievance_mean"].iloc[0] != 0  # the levers matter here


SPEC = """
method = "morris"
trajectories = 2
steps = 20
residents = 300
replications = 2
seed = 4
outcomes = ["mean_grievance"]
{pair}
[factors]
inflow_rate = "plausible"
release = {{ low = 0.2, high = 0.8 }}
"""


def _load(tmp_path, pair, loader=specs.load_sensitivity, text=SPEC):
    path = tmp_path / "spec.toml"
    path.write_text(text.format(pair=pair))
    return loader(path)


def test_spec_targets_an_article_pair_or_two_regimes(tmp_path):
    spec = _load(tmp_path, "pair = 1")
    assert spec.pair is not None and spec.pair.number == 1
    assert (spec.pair.error, spec.pair.remedy) == ("rigid_suppression", "safety_valve")
    assert set(spec.pair.levers) == {"tolerance", "repression"}
    assert dict(spec.pair.expected) == {"mean_legitimacy": 1, "mean_grievance": -1}
    inflow = spec.factors[0]
    from model.params import DECLARATIONS

    assert (inflow.low, inflow.high) == DECLARATIONS["inflow_rate"].plausible
    custom = _load(
        tmp_path,
        '[pair]\nerror = "baseline"\nremedy = "safety_valve"\nexpected = { mean_legitimacy = 1 }\n',
    )
    assert custom.pair is not None and custom.pair.number is None
    assert dict(custom.pair.expected) == {"mean_legitimacy": 1}
    assert _load(tmp_path, "").pair is None


@pytest.mark.parametrize(
    ("pair", "needle"),
    [
        ("pair = 7", "use a number from 1 to 6"),
        ("pair = true", "must be an error number"),
        (
            '[pair]\nerror = "rigid_supression"\nremedy = "safety_valve"\n',
            "did you mean 'rigid_suppression'",
        ),
        ('[pair]\nerror = "baseline"\n', "missing 'remedy'"),
        ('[pair]\nerror = "baseline"\nremedy = "baseline"\n', "every lever alike"),
        (
            '[pair]\nerror = "baseline"\nremedy = "safety_valve"\nexpect = {}\n',
            "did you mean 'expected'",
        ),
        ('regime = "baseline"\npair = 2', "not both"),
        (
            "pair = 1\noverrides = { repression = 0.5 }",
            "overrides.repression: repression is a lever in which",
        ),
    ],
)
def test_bad_pairs_are_one_line_errors(tmp_path, pair, needle):
    with pytest.raises(SpecError) as info:
        _load(tmp_path, pair)
    message = str(info.value)
    assert needle in message and "\n" not in message


def test_a_varied_differing_lever_and_plausible_switch_are_refused(tmp_path):
    text = SPEC.replace("release = {{ low = 0.2, high = 0.8 }}", "tolerance = {{}}")
    with pytest.raises(SpecError, match=r"factors\.tolerance: tolerance is a lever"):
        _load(tmp_path, "pair = 1", text=text)
    text = SPEC.replace("release = {{ low = 0.2, high = 0.8 }}", 'network = "plausible"')
    with pytest.raises(SpecError, match="no plausible range"):
        _load(tmp_path, "", text=text)


def test_paired_sensitivity_and_sweep_of_the_model_end_to_end(tmp_path):
    from experiments.sensitivity import run_sensitivity
    from experiments.sweep import run_sweep

    spec = _load(tmp_path, "pair = 1")
    folder = run_sensitivity(
        spec, out=tmp_path / "res", workers=0, progress=False, num_resamples=20
    )
    indices = pd.read_csv(folder / "summaries" / "indices.csv")
    assert set(indices["output"]) == {"diff_mean_grievance_final", "diff_mean_grievance_mean"}
    assert (folder / "figures" / "morris_diff_mean_grievance_mean.png").exists()
    runs = ResultsStore.open(folder).read_summary("runs")
    assert len(runs) == 2 * 4 * 2  # trajectories x (factors + dummy + 1) x replicates
    assert np.allclose(
        runs["diff_mean_grievance_mean"],
        runs["remedy_mean_grievance_mean"] - runs["error_mean_grievance_mean"],
    )
    manifest = ResultsStore.open(folder).manifest
    assert manifest["spec"]["pair"]["number"] == 1

    sweep_text = (
        'design = "lhs"\nsamples = 3\nsteps = 3\nresidents = 60\nreplications = 2\n'
        'outcomes = ["mean_grievance"]\n{pair}\n[factors]\ninflow_rate = "plausible"\n'
    )
    sweep = _load(tmp_path, "pair = 2", loader=specs.load_sweep, text=sweep_text)
    folder = run_sweep(sweep, out=tmp_path / "res", workers=0, progress=False)
    points = pd.read_csv(folder / "summaries" / "points.csv")
    assert {"diff_mean_grievance_mean", "error_mean_grievance_final"} <= set(points["output"])
    assert (points["n"] == 2).all() and points["point"].nunique() == 3


def test_cli_bad_pair_is_one_line_exit_2(tmp_path, capsys):
    from experiments import cli

    path = tmp_path / "bad.toml"
    path.write_text(SPEC.format(pair="pair = 9"))
    code = cli.main(["sensitivity", str(path), "--out", str(tmp_path / "res")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "pair = 9 is not one of the article's errors" in err
    assert not (tmp_path / "res").exists()
