"""Where each claim fails, written from a discovery folder (experiments.classroom.regions).

Synthetic folders (tests/synthetic_discovery.py) plant a box, reversals
without a box, no reversal and a grievance-only reversal, so each sentence
and preset can be checked exactly; one test runs a tiny real discovery
end to end and checks that what it writes loads in the app.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from experiments.classroom import findings as fnd
from experiments.classroom import regions
from experiments.discover import run_discovery
from model.params import DECLARATIONS
from tests.synthetic_discovery import (
    BOX_PRESET_1,
    BOX_PRESET_4,
    COMPARE_COMMIT,
    DISCOVERY_COMMIT,
    make_compare,
    make_discovery,
)


@pytest.fixture
def discovery(tmp_path: Path) -> Path:
    return make_discovery(tmp_path / "discover-20270101-000000")


@pytest.fixture
def generated(discovery: Path) -> dict[str, regions.Region]:
    return regions.regions(regions.Discovery.read(discovery), fnd.error_keys())


def _world_inside_bounds(preset: dict[str, object]) -> None:
    for name, value in preset.items():
        declaration = DECLARATIONS[name]
        assert not declaration.is_lever, name
        assert declaration.low <= value <= declaration.high  # type: ignore[operator]


def test_a_box_gives_its_middles_as_the_preset_and_its_limits_in_words(
    discovery: Path, generated: dict[str, regions.Region]
) -> None:
    region = generated["1"]
    headline = pd.read_parquet(discovery / "summaries" / "headline.parquet")
    share = f"{100 * headline['reversal_share'].iloc[0]:.0f} %"
    assert dict(region.preset) == BOX_PRESET_1  # middles; the integer rounded
    assert isinstance(region.preset["mean_degree"], int)
    _world_inside_bounds(dict(region.preset))
    where = region.fails_where
    assert where.startswith("The trust claim (the remedy keeps Trust in government higher)")
    assert (
        f"reverses in {share} of 40 sampled plausible worlds (2,000 residents, 260 weeks; "
        f"in {share} clearly, the 95 % interval excluding zero); the reversals gather where"
    ) in where
    assert "Cases per cadre is 2–4 residents per week (sampled 2–8 residents per week)" in where
    assert "Ties per resident is 10–16 ties (sampled 4–20 ties)" in where
    assert "90 % of them (coverage)" in where and "85 % of worlds reverse (density)" in where
    # neither the unrestricted parameter nor the lever is named or set
    assert "Pull of successful claims" not in where and "Tolerance" not in where
    assert region.fails_through == (
        "Through the model's cadres (cadre incentives: Cases per cadre) and network "
        "(Ties per resident) mechanisms (ODD.md, section 7)."
    )
    assert "Watch the Trust in government chart" in region.watch
    assert "remedy's line should come out lower" in region.watch
    assert "safety valve, right" in region.watch and "85 %" in region.watch


def test_reversals_without_a_box_send_the_class_to_the_most_reversed_world(
    discovery: Path, generated: dict[str, regions.Region]
) -> None:
    region = generated["2"]
    points = pd.read_parquet(discovery / "summaries" / "points.parquet")
    mine = points[(points["pair"] == "error_2") & (points["outcome"] == "mean_legitimacy")]
    worst = mine.loc[mine["mean"].idxmin()]
    assert set(region.preset) == {"planner_bias", "participation_capture"}
    for name, value in region.preset.items():
        assert value == pytest.approx(worst[name], rel=5e-3)
    _world_inside_bounds(dict(region.preset))
    assert "PRIM found no box, but the reversed worlds have higher Capture by the better-off" in (
        region.fails_where
    )
    assert "sampled world where it reversed most" in region.fails_where
    assert region.fails_through.startswith("Through the model's livelihood (")
    assert region.watch


def test_no_reversal_leaves_the_preset_empty_and_says_so(
    generated: dict[str, regions.Region],
) -> None:
    region = generated["3"]
    assert dict(region.preset) == {} and region.watch == ""
    assert region.fails_where.startswith(
        "Neither the trust claim (the remedy keeps Trust in government higher) nor the "
        "grievance claim reversed in any of 40 sampled plausible worlds"
    )
    assert "no failure region to try" in region.fails_where
    assert "organizations" in region.fails_through


def test_a_claim_that_only_weakens_gets_its_weak_region_as_the_preset(
    generated: dict[str, regions.Region],
) -> None:
    """Error 6 never reverses; discovery's "failure" box says where it shrinks."""
    region = generated["6"]
    assert dict(region.preset) == {"grid_staff_cost": regions.world_value("grid_staff_cost", 0.006)}
    _world_inside_bounds(dict(region.preset))
    assert "reversed in any of 40 sampled plausible worlds" in region.fails_where
    assert "no failure region to try" not in region.fails_where
    assert "It weakens, though" in region.fails_where and "90 %" in region.fails_where
    assert "the two lines should stay close" in region.watch and region.region == "weakens"
    assert generated["1"].region == "fails" and generated["3"].region == ""
    assert "grid" in region.fails_through


def test_trust_that_never_reverses_falls_back_to_grievance(
    generated: dict[str, regions.Region],
) -> None:
    region = generated["4"]
    assert dict(region.preset) == BOX_PRESET_4
    assert region.fails_where.startswith(
        "Trust never reversed; the grievance claim (the remedy keeps Grievance lower) reverses"
    )
    assert "Grievance released when answered is 80–100 %" in region.fails_where
    assert "Watch the Grievance chart" in region.watch and "come out higher" in region.watch
    assert "petitions (the safety valve, interception and escalation" in region.fails_through
    assert set(generated) == {"1", "2", "3", "4", "6"}  # 5 and 1b were not searched


def test_values_a_preset_may_set() -> None:
    assert regions.world_value("tolerance", 0.5) is None  # a lever
    assert regions.world_value("grievance_mode", "stock") is None  # a choice has no middle
    assert regions.world_value("mean_degree", 500.4) == 200  # inside the declared bounds
    assert regions.world_value("release", 0.123456) == 0.123
    assert regions.number_text(1234.5) == "1,234" and regions.number_text(0.0448) == "0.045"


def test_refresh_with_both_folders_then_either_keeps_what_it_does_not_replace(
    discovery: Path, tmp_path: Path
) -> None:
    compare = make_compare(tmp_path / "default-20270101-000000")
    path = tmp_path / "findings.toml"
    path.write_text(
        '[errors.1]\nfails_where = "Typed by hand."\n'
        '[errors.5]\nfails_where = "Hand-written."\n[errors.5.preset]\nshock_rate = 0.05\n'
        + "".join(f"[errors.{n}]\n" for n in (2, 3, 4, 6)),
        encoding="utf-8",
    )
    fnd.refresh(compare, path, discovery=discovery)
    loaded = fnd.load_findings(path)
    assert "default-20270101-000000" in loaded.source and COMPARE_COMMIT[:10] in loaded.source
    assert "discover-20270101-000000" in loaded.discovery_source
    assert DISCOVERY_COMMIT[:10] in loaded.discovery_source
    one = loaded.errors["1"]
    assert one.fails_where.startswith("The trust claim") and dict(one.preset) == BOX_PRESET_1
    assert one.differences["mean_legitimacy"]["full_model"].mean == pytest.approx(0.2)
    five = loaded.errors["5"]
    assert five.fails_where == "Hand-written." and dict(five.preset) == {"shock_rate": 0.05}

    # the numbers alone: the generated sentences and the discovery's name stay
    fnd.refresh(compare, path, provisional=False)
    again = fnd.load_findings(path)
    assert again.errors["1"] == one and again.discovery_source == loaded.discovery_source
    assert not again.provisional
    # the regions alone: the differences stay, and so does "settled"
    assert fnd.main(["--discovery", str(discovery), "--file", str(path)]) == 0
    regions_only = fnd.load_findings(path)
    assert regions_only.errors["1"].differences == one.differences
    assert not regions_only.provisional
    assert list(tomllib.loads(path.read_text(encoding="utf-8"))["errors"]) == [
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
    ]


def test_the_command_needs_a_folder_and_refuses_one_that_is_not_a_discovery(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        fnd.main([])
    assert stop.value.code == 2
    assert "--discovery" in capsys.readouterr().err
    code = fnd.main(["--discovery", str(tmp_path), "--file", str(tmp_path / "f.toml")])
    assert code == 2
    assert "sixerrors discover" in capsys.readouterr().err
    missing = tmp_path / "no-such-folder"
    assert fnd.main([str(missing), "--file", str(tmp_path / "f.toml")]) == 2
    line = capsys.readouterr().err.strip()
    assert "not found" in line and "sixerrors compare" in line and "\n" not in line


TINY_SPEC = """
name = "tiny"
samples = 12
replications = 1
steps = 20
residents = 300
seed = 7

[prim]
min_density = 0.5
max_boxes = 1

[pairs.1]
factors = ["cadre_capacity", "claims_weight", "resolution"]

[pairs.1b]
error = "veto_evaluation"
remedy = "satisfaction_evaluation"
expected = { mean_legitimacy = 1, mean_grievance = -1 }
factors = ["adapt_rate", "mean_degree", "release"]
"""


@pytest.mark.slow
def test_a_tiny_real_discovery_writes_a_findings_file_the_app_loads(tmp_path: Path) -> None:
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY_SPEC, encoding="utf-8")
    folder = run_discovery(spec, out=tmp_path / "results", workers=0, progress=False)
    path = tmp_path / "findings.toml"
    path.write_text("".join(f"[errors.{n}]\n" for n in range(1, 7)), encoding="utf-8")
    assert fnd.main(["--discovery", str(folder), "--file", str(path)]) == 0
    loaded = fnd.load_findings(path)
    assert folder.name in loaded.discovery_source
    for key in ("1", "1b"):
        finding = loaded.errors[key]
        assert finding.fails_where and finding.fails_through
        none = "no failure region to try" in finding.fails_where
        assert none == (not finding.preset)
        assert bool(finding.watch) == bool(finding.preset)
        _world_inside_bounds(dict(finding.preset))
    assert all(not loaded.errors[str(n)].fails_where for n in range(2, 7))


def test_numbers_for_reading_never_use_an_exponent_above_one() -> None:
    """A box limit of 99.9 % reads "100", not "1e+02"."""
    assert regions.number_text(99.9) == "100"
    assert regions.number_text(28.1) == "28"
    assert regions.number_text(5.45) in {"5.5", "5.4"}


@given(st.floats(-1e6, 1e6, allow_nan=False).filter(lambda x: x != 0.0), st.integers(2, 3))
def test_numbers_for_reading_never_use_an_exponent(x, digits) -> None:
    """Nor below 0.0001: a box limit of 4.1e-05 reads "0.000041" (it reached a class as 4e-05)."""
    text = regions.number_text(x, digits)
    assert "e" not in text.lower()
    assert math.isclose(float(text.replace(",", "")), x, rel_tol=0.06, abs_tol=0.5)
    assert regions.number_text(4.1e-05) == "0.000041"
