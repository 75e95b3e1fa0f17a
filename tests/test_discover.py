"""Scenario discovery: PRIM finds a planted box, points are classed, the verb end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import cli
from experiments.discover import classify
from experiments.prim_analysis import choose_step, find_boxes, restricted_limits
from experiments.specs import PrimSettings, SpecError, load_discovery, parse_discovery
from model.params import DECLARATIONS

PNG = b"\x89PNG\r\n\x1a\n"


def planted(n=600, noise=0.03, seed=0):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(
        {"a": rng.random(n), "b": rng.random(n), "c": rng.random(n), "k": rng.integers(1, 9, n)}
    )
    inside = (x["a"] > 0.6) & (x["b"] < 0.3)
    return x, inside.to_numpy() ^ (rng.random(n) < noise)


def test_prim_recovers_a_planted_box():
    x, y = planted()
    first = find_boxes(x, y, PrimSettings())[0]
    assert first.number == 1 and first.meets_density
    assert first.coverage > 0.75 and first.density > 0.9
    limits = first.limits.set_index("parameter")
    significant = set(limits.index[limits["restricted"] & (limits["quasi_p"] < 0.05)])
    assert significant == {"a", "b"}  # c and k carry nothing
    assert limits.loc["a", "low"] == pytest.approx(0.6, abs=0.05)
    assert limits.loc["b", "high"] == pytest.approx(0.3, abs=0.05)
    assert first.trajectory["chosen"].sum() == 1
    assert first.trajectory.loc[first.step, "density"] == first.density


def test_a_box_is_worded_by_what_it_restricts_narrowest_first():
    """One rule for the documents and the classroom: PRIM's flag, else the sampled range."""
    limits = pd.DataFrame(
        {
            "parameter": ["a", "b", "c"],
            "low": [0.2, 0.0, 0.0],
            "high": [1.0, 0.1, 1.0],
            "range_low": [0.0, 0.0, 0.0],
            "range_high": [1.0, 1.0, 1.0],
        }
    )
    by_range = restricted_limits(limits)
    assert list(by_range["parameter"]) == ["b", "a"]  # b keeps 10 %, a 80 %; c is whole
    assert list(by_range["kept_share"]) == pytest.approx([0.1, 0.8])
    flagged = restricted_limits(limits.assign(restricted=[False, True, True]))
    assert list(flagged["parameter"]) == ["b", "c"]  # PRIM's own flag decides


def test_prim_edge_cases_and_the_choice_of_a_box():
    x, _ = planted(n=50)
    assert find_boxes(x, np.zeros(50, dtype=bool), PrimSettings()) == []
    (whole,) = find_boxes(x, np.ones(50, dtype=bool), PrimSettings())
    assert (whole.coverage, whole.density, whole.restricted) == (1.0, 1.0, 0)
    trajectory = pd.DataFrame(
        {"coverage": [1.0, 0.80, 0.79, 0.5], "density": [0.2, 0.81, 0.97, 1.0]}
    )
    assert choose_step(trajectory, 0.8) == 2  # balance, not the loosest dense box
    assert choose_step(trajectory, 0.999) == 3
    assert choose_step(trajectory.iloc[:2], 0.9) == 1  # none dense: best balance of all


def test_classes_of_points_against_a_claim():
    points = pd.DataFrame(
        {
            "mean": [0.5, 0.5, -0.5, -0.5, 0.0, np.nan, 0.3],
            "ci_low": [0.1, -0.1, -0.9, -0.9, 0.0, np.nan, np.nan],
            "ci_high": [0.9, 1.1, -0.1, 0.2, 0.0, np.nan, np.nan],
        }
    )
    assert classify(points, +1).tolist() == [
        "holds",
        "unclear",
        "reversed",
        "unclear",
        "no effect",
        "undefined",
        "holds",
    ]
    assert classify(points, -1).tolist() == [
        "reversed",
        "unclear",
        "holds",
        "unclear",
        "no effect",
        "undefined",
        "reversed",
    ]


TINY = """
samples = 10
replications = 2
steps = 8
residents = 80
seed = 5
[prim]
min_density = 0.6
[pairs.1]
factors = ["release", "cadre_capacity"]
[pairs.mine]
error = "baseline"
remedy = "safety_valve"
expected = { mean_grievance = -1 }
factors = { inflow_rate = "plausible", release = { low = 0.2, high = 0.9 } }
"""


def test_discover_end_to_end_on_a_tiny_spec_then_resume(tmp_path, capsys):
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY)
    args = ["discover", str(spec), "--workers", "0", "--out", str(tmp_path / "res")]
    assert cli.main(args) == 0
    out = capsys.readouterr().out.strip().splitlines()
    folder = Path(out[-1])
    assert [line.split(":")[0] for line in out[-4:-1]] == [
        "error_1 mean_legitimacy",
        "error_1 mean_grievance",
        "mine mean_grievance",
    ]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kind"] == "discover" and manifest["tasks_done"] == 2 * 10 * 2
    assert set(manifest["reversal_shares"]) == {
        "error_1:mean_legitimacy",
        "error_1:mean_grievance",
        "mine:mean_grievance",
    }
    runs = pd.read_parquet(folder / "summaries" / "runs.parquet")
    assert np.allclose(
        runs["diff_mean_grievance_mean"],
        runs["remedy_mean_grievance_mean"] - runs["error_mean_grievance_mean"],
    )
    design = pd.read_csv(folder / "summaries" / "design.csv")
    assert design.groupby("pair")["point"].count().to_dict() == {"error_1": 10, "mine": 10}
    low, high = DECLARATIONS["inflow_rate"].plausible
    assert design.loc[design["pair"] == "mine", "inflow_rate"].between(low, high).all()
    points = pd.read_csv(folder / "summaries" / "points.csv")
    assert len(points) == 30 and set(points["class"]) <= {
        "holds",
        "reversed",
        "unclear",
        "no effect",
        "undefined",
    }
    headline = pd.read_csv(folder / "summaries" / "headline.csv")
    for row in headline.itertuples():
        mine = points[(points["pair"] == row.pair) & (points["outcome"] == row.outcome)]
        assert row.reversal_share == pytest.approx(mine["reversal"].mean())
        shares = row.holds_share + row.reversed_share + row.unclear_share + row.no_effect_share
        assert shares == pytest.approx(1.0)
        name = f"{row.pair}_{row.outcome}"
        has_boxes = row.boxes > 0
        assert (folder / "figures" / f"peeling_{name}.png").exists() == has_boxes
        # Boxes where the claim reverses, or (when it reverses nowhere) where it is
        # not borne out: a claim that only weakens still has its region. A box
        # needs points of its target, read from the points table.
        reversed_somewhere = bool(mine["reversal"].any())
        assert row.box_target == ("reversal" if reversed_somewhere else "failure")
        targets = mine["reversal"] if reversed_somewhere else mine["class"] != "holds"
        if has_boxes:
            assert targets.any()
        if not targets.any():
            assert not has_boxes
    assert (folder / "figures" / "reversal_shares.png").read_bytes().startswith(PNG)
    if headline["boxes"].sum():
        boxes = pd.read_csv(folder / "summaries" / "boxes.csv")
        limits = pd.read_csv(folder / "summaries" / "box_limits.csv")
        assert set(boxes["pair"]) <= {"error_1", "mine"}
        assert (limits["low"] <= limits["high"]).all()
    # Resume of a finished folder runs nothing and gives the same headline.
    assert cli.main([*args, "--resume", str(folder)]) == 0
    capsys.readouterr()
    again = pd.read_csv(folder / "summaries" / "headline.csv")
    pd.testing.assert_frame_equal(again, headline)
    stored = pd.read_parquet(folder / "runs")
    assert len(stored) == 40  # one record per task: nothing re-ran


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (("[pairs.1]", "[pairs.9]"), "pair = 9 is not one of the article's errors"),
        (
            ('factors = ["release", "cadre_capacity"]', 'factors = ["release", "tolerance"]'),
            "tolerance is a policy lever",
        ),
        (
            ('factors = ["release", "cadre_capacity"]', 'factors = ["release", "cadre_capcity"]'),
            "did you mean 'cadre_capacity'",
        ),
        (("expected = { mean_grievance = -1 }\n", ""), "needs expected"),
        (('remedy = "safety_valve"', 'remedy = "safty_valve"'), "did you mean 'safety_valve'"),
        (("[pairs.1]\n", '[pairs.1]\nerror = "baseline"\n'), "its regimes and claim are fixed"),
        (("min_density = 0.6", "min_density = 1.5"), "must be a share in (0, 1)"),
        (("min_density = 0.6", 'target = "reversals"'), "did you mean 'reversal'"),
        (("seed = 5", 'statistic = "last"'), "choose one of mean, final"),
        (
            (
                '[pairs.1]\nfactors = ["release", "cadre_capacity"]',
                '[pairs.1]\noutcomes = ["stability"]\nfactors = ["release"]',
            ),
            "stability has no expected sign",
        ),
    ],
)
def test_bad_discovery_specs_are_one_line_errors(tmp_path, change, needle):
    old, new = change
    path = tmp_path / "bad.toml"
    path.write_text(TINY.replace(old, new))
    with pytest.raises(SpecError) as info:
        load_discovery(path)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_cli_bad_discovery_spec_exits_2_and_sizes_are_checked(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(TINY.replace("[pairs.1]", "[pairs.0]"))
    assert cli.main(["discover", str(path), "--out", str(tmp_path / "r")]) == 2
    assert "use a number from 1 to 6" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
    spec = parse_discovery({"pairs": {"2": {"factors": ["release"]}}}, "x.toml")
    assert spec.with_sizes(samples=3, steps=None).samples == 3
    with pytest.raises(SpecError, match="out of range"):
        spec.with_sizes(samples=1)


def test_the_shipped_spec_covers_all_six_pairs_and_the_variant_over_world_parameters():
    spec = load_discovery(
        Path(__file__).resolve().parents[1] / "experiments" / "scenarios" / "discover.toml"
    )
    labels = [c.label for c in spec.claims]
    assert labels[:6] == [f"error_{n}" for n in range(1, 7)] and len(labels) == 7
    assert spec.samples * spec.replications * len(spec.claims) * 2 == 14_336
    for claim in spec.claims:
        assert all(not DECLARATIONS[f.name].is_lever for f in claim.factors), claim.label
    assert (spec.residents, spec.steps) == (2000, 260)


def test_interrupted_discovery_says_how_to_resume_with_the_same_sizes(
    tmp_path, capsys, monkeypatch
):
    import signal

    import experiments.discover as discover
    from experiments.runner import RunInterrupted
    from experiments.store import ResultsStore

    def interrupted(spec, *, out, **_):  # what the engine's session raises on Ctrl-C
        store = ResultsStore.create(out, spec.name, {"kind": "discover"})
        raise RunInterrupted(store.folder, 0, 8, signal.SIGINT)

    monkeypatch.setattr(discover, "run_discovery", interrupted)
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY)
    code = cli.main(["discover", str(spec), "--samples", "4", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 130
    assert f"sixerrors discover {spec} --samples 4 --resume {tmp_path / 'r'}" in err


def test_a_claim_that_never_reverses_gets_the_region_where_it_is_not_borne_out(tmp_path):
    """No point reverses; where ``release`` is low the difference is unclear: PRIM finds that."""
    import tomllib

    from experiments.discover import analyze_claim

    doc = tomllib.loads(TINY.replace("samples = 10", "samples = 200"))
    spec = parse_discovery(doc, tmp_path / "t.toml")
    claim = next(c for c in spec.claims if c.label == "mine")
    rng = np.random.default_rng(3)
    design = pd.DataFrame(
        {
            "point": np.arange(200),
            "pair": "mine",
            "inflow_rate": rng.uniform(0.03, 0.065, 200),
            "release": rng.uniform(0.2, 0.9, 200),
        }
    )
    weak = design["release"] < 0.45
    rows = []
    for point, is_weak in zip(design["point"], weak, strict=True):
        # Always the claim's sign (grievance lower under the remedy); tiny and noisy where weak.
        centre, spread = (-0.0005, 0.01) if is_weak else (-0.05, 0.001)
        rows += [{"point": point, "diff_mean_grievance_mean": centre + spread * e} for e in (-1, 1)]
    runs = pd.DataFrame(rows)
    got = analyze_claim(spec, claim, design, runs, tmp_path)
    headline = got["headline"][0]
    assert headline["reversal_share"] == 0
    assert headline["box_target"] == "failure" and headline["boxes"] >= 1
    limits = got["box_limits"][0]
    release = limits[limits["parameter"] == "release"].iloc[0]
    assert release["high"] < 0.6, "the box is where release is low"
    assert (got["boxes"][0]["target"] == "failure").all()
