"""Sensitivity pipeline: Ishigami's analytic indices, the noise share, convergence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments import designs
from experiments.sensitivity import (
    AnalysisError,
    average_replicates,
    randomness_share,
    run_design_analysis,
)
from experiments.store import ResultsStore
from experiments.tasks import ishigami_task

PI = np.pi
ISHIGAMI = designs.Problem(
    ("x1", "x2", "x3", designs.DUMMY), ("float",) * 4, (-PI, -PI, -PI, 0.0), (PI, PI, PI, 1.0)
)
S1 = {"x1": 0.314, "x2": 0.442, "x3": 0.0}
ST = {"x1": 0.558, "x2": 0.442, "x3": 0.244}
VARIANCE = 7.0**2 / 8 + 0.1 * PI**4 / 5 + 0.1**2 * PI**8 / 18 + 0.5  # analytic Var(Y)


def ishigami_settings(x, noise=0.0):
    points = ISHIGAMI.to_points(x)
    return [{**row, "noise": noise} for row in points.to_dict("records")]


def test_pipeline_reproduces_ishigami_indices(tmp_path):
    x = designs.sobol(ISHIGAMI, 512, seed=2)
    store = ResultsStore.create(tmp_path, "ishigami", {"root_seed": 1})
    tables = run_design_analysis(
        store,
        ISHIGAMI,
        x,
        settings=ishigami_settings(x),
        fn=ishigami_task,
        outputs=["y"],
        method="sobol",
        replications=1,
        root_seed=1,
        base_samples=512,
        workers=0,
        progress=False,
        batch_size=256,
    )
    indices = tables["indices"].set_index("factor")
    for name in ("x1", "x2", "x3"):
        assert indices.loc[name, "S1"] == pytest.approx(S1[name], abs=0.06)
        assert indices.loc[name, "ST"] == pytest.approx(ST[name], abs=0.06)
        assert 0 < indices.loc[name, "ST_conf"] < 0.2
    assert abs(indices.loc["dummy", "ST"]) < 0.01  # the noise floor of a deterministic f
    convergence = tables["convergence"].set_index("factor")
    assert convergence["change"].max() < 0.1  # N/2 = 256 already close to N = 512
    assert (convergence["converged"] == (convergence["change"] <= 0.05)).all()
    assert convergence.loc["x2", "S1"] == indices.loc["x2", "S1"]
    assert convergence.loc["x2", "S1_half"] == pytest.approx(0.442, abs=0.08)
    assert store.figure_path("sobol_y").stat().st_size > 5000
    saved = store.read_summary("indices")
    pd.testing.assert_frame_equal(saved, tables["indices"])


def test_replicates_are_averaged_and_noise_share_reported(tmp_path):
    x = designs.sobol(ISHIGAMI, 128, seed=3)
    store = ResultsStore.create(tmp_path, "noisy", {"root_seed": 4})
    tables = run_design_analysis(
        store,
        ISHIGAMI,
        x,
        settings=ishigami_settings(x, noise=2.0),
        fn=ishigami_task,
        outputs=["y"],
        method="sobol",
        replications=4,
        root_seed=4,
        base_samples=128,
        workers=0,
        progress=False,
        batch_size=256,
    )
    noise = tables["randomness"].iloc[0]
    assert noise["within"] == pytest.approx(4.0, rel=0.1)  # sd 2 noise
    assert noise["share"] == pytest.approx(4.0 / (VARIANCE + 4.0), abs=0.04)
    runs = store.read_summary("runs")
    assert len(runs) == len(x) * 4
    means = average_replicates(runs, ["y"], len(x))["y"]
    assert means.iloc[0] == pytest.approx(runs.loc[runs.point == 0, "y"].mean())
    # averaged noise (variance 4/4 = 1) still shows as a positive dummy index
    assert tables["indices"].set_index("factor").loc["dummy", "ST"] > 0


def test_missing_points_refuse_analysis_and_single_replicate_share_is_nan():
    runs = pd.DataFrame({"point": [0, 0, 2], "y": [1.0, 2.0, 3.0]})
    with pytest.raises(AnalysisError, match="1 of 3 design points"):
        average_replicates(runs, ["y"], 3)
    # An output that is NaN where runs finished (no incident, so no time to
    # the first) is not a missing point: the output is skipped, not the job.
    never = pd.DataFrame({"point": [0, 1, 2], "y": [np.nan, np.nan, 1.0], "z": [1.0, 2.0, 3.0]})
    assert average_replicates(never, ["y"], 3)["y"].isna().sum() == 2
    single = pd.DataFrame({"point": [0, 1, 2], "y": [1.0, 2.0, 4.0]})
    assert np.isnan(randomness_share(single, "y")["share"])
    two = pd.DataFrame({"point": [0, 0, 1, 1], "y": [0.0, 2.0, 10.0, 12.0]})
    share = randomness_share(two, "y")
    assert share["within"] == pytest.approx(2.0)
    assert share["share"] == pytest.approx(2.0 / two["y"].var())


def test_morris_ranks_the_dummy_last(tmp_path):
    x = designs.morris(ISHIGAMI, 40, levels=4, seed=5)
    store = ResultsStore.create(tmp_path, "morris", {"root_seed": 1})
    tables = run_design_analysis(
        store,
        ISHIGAMI,
        x,
        settings=ishigami_settings(x),
        fn=ishigami_task,
        outputs=["y"],
        method="morris",
        replications=1,
        root_seed=1,
        levels=4,
        workers=0,
        progress=False,
    )
    mu_star = tables["indices"].set_index("factor")["mu_star"]
    assert mu_star["dummy"] == 0.0
    assert (mu_star[["x1", "x2", "x3"]] > 1.0).all()
    assert store.figure_path("morris_y").exists()


SWEEP_TOML = """
name = "tiny_sweep"
steps = 5
residents = 60
replications = 2
seed = 3
outcomes = ["mean_legitimacy", "share_protesting"]
[factors]
tolerance = [0.2, 0.8]
"""

SOBOL_TOML = """
name = "tiny_sobol"
base_samples = 4
steps = 5
residents = 60
replications = 2
seed = 3
outcomes = ["mean_legitimacy"]
[factors]
tolerance = {}
inflow_rate = { low = 0.02, high = 0.1 }
"""


def test_model_sweep_and_sensitivity_end_to_end_with_resume(tmp_path):
    from experiments.sensitivity import run_sensitivity
    from experiments.store import StoreError
    from experiments.sweep import run_sweep

    spec = tmp_path / "sweep.toml"
    spec.write_text(SWEEP_TOML)
    folder = run_sweep(spec, out=tmp_path / "res", workers=0, progress=False)
    manifest = ResultsStore.open(folder).manifest
    assert manifest["kind"] == "sweep" and manifest["tasks_done"] == 4
    assert manifest["finished"] and manifest["packages"]["mesa"].startswith("3.5")
    points = pd.read_csv(folder / "summaries" / "points.csv")
    assert set(points["output"]) == {
        "mean_legitimacy_final",
        "mean_legitimacy_mean",
        "share_protesting_final",
        "share_protesting_mean",
    }
    assert (points["n"] == 2).all() and points["tolerance"].tolist()[0] == 0.2
    series = ResultsStore.open(folder).read_results()
    assert len(series) == 4 * 6 and series["step"].max() == 5
    # resume of a complete folder runs nothing; another spec is refused
    again = run_sweep(spec, out=tmp_path / "res", workers=0, resume=folder, progress=False)
    assert again == folder and len(ResultsStore.open(folder).run_table(latest=False)) == 4
    spec.write_text(SWEEP_TOML.replace("seed = 3", "seed = 4"))
    with pytest.raises(StoreError, match="different sweep spec"):
        run_sweep(spec, out=tmp_path / "res", workers=0, resume=folder, progress=False)

    sobol_spec = tmp_path / "sobol.toml"
    sobol_spec.write_text(SOBOL_TOML)
    result = run_sensitivity(
        sobol_spec, out=tmp_path / "res", workers=0, progress=False, num_resamples=20
    )
    indices = pd.read_csv(result / "summaries" / "indices.csv")
    assert indices["factor"].tolist()[:3] == ["tolerance", "inflow_rate", "dummy"]
    assert set(indices["output"]) == {"mean_legitimacy_final", "mean_legitimacy_mean"}
    assert (result / "figures" / "sobol_mean_legitimacy_final.png").exists()
    assert ResultsStore.open(result).manifest["tasks_done"] == 4 * 5 * 2
