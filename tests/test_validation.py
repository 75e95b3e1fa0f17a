"""The pattern battery: framework, the P5 checks in reduced form, and ``sixerrors validate``."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import cli
from experiments.calibrate import SETTLING_YEARS, growth_rate
from experiments.validation import (
    battery,
    cascades,
    document,
    incidents,
    petitions,
    registry,
    runs,
    society,
    valve,
)
from experiments.validation.registry import CheckContext, CheckResult
from experiments.validation.runs import Run, run_all

PNG = b"\x89PNG\r\n\x1a\n"
P5 = [
    "watts_window",
    "watts_control_zero_thresholds",
    "watts_control_unit_thresholds",
    "granovetter_riot",
    "granovetter_perturbed",
]


NEW_CONTROLS = [
    "heavy_tailed_sizes_control",
    "coercion_cost_control",
    "inverted_pyramid_control",
    "petitions_settled_locally_control",
    "organization_density_control",
    "grid_staffing_control",
]


@pytest.fixture
def scratch_checks(monkeypatch):
    """A registry to which a test may add checks without leaking them to others."""
    battery.registered_checks()
    monkeypatch.setattr(registry, "REGISTRY", dict(registry.REGISTRY))
    monkeypatch.setattr(battery, "REGISTRY", registry.REGISTRY)
    return registry.REGISTRY


def test_the_p5_checks_pass_in_reduced_form_and_write_a_results_folder(tmp_path):
    lines: list[str] = []
    folder, table = battery.run_battery(P5, reduced=True, seed=1, out=tmp_path, report=lines.append)
    assert table["check"].tolist() == P5
    assert (table["status"] == "pass").all(), table[["check", "measured"]].to_string()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kind"] == "validate" and manifest["reduced"] is True
    assert manifest["root_seed"] == 1 and manifest["checks_failed"] == []
    assert manifest["finished"] and "git" in manifest
    saved = pd.read_csv(folder / "summaries" / "checks.csv")
    assert saved["check"].tolist() == P5
    window = pd.read_parquet(folder / "summaries" / "watts_window.parquet")
    assert window["mean_degree"].tolist() == list(range(1, 11))
    for figure in ("watts_window", "watts_control_zero_thresholds", "granovetter_riots"):
        assert (folder / "figures" / f"{figure}.png").read_bytes().startswith(PNG)
    assert lines[0].startswith("[PASS] watts_window (P5)") and "source:   Watts (2002)" in lines[0]
    assert table.set_index("check").loc["watts_window", "value"] == 6  # upper edge


@pytest.mark.parametrize("threshold", [0.0, 1.0])
def test_the_window_check_fails_on_its_negative_controls(tmp_path, monkeypatch, threshold):
    monkeypatch.setattr(cascades, "WATTS_THRESHOLD", threshold)
    context = CheckContext(reduced=True, seed=1, figures=tmp_path)
    result = cascades.watts_window(context)
    assert not result.passed


def test_a_failing_or_broken_check_exits_1_and_is_recorded(tmp_path, capsys, scratch_checks):
    @registry.check("always_fails", pattern="T", title="fails", source="a test")
    def always_fails(context: CheckContext) -> CheckResult:
        return CheckResult("2", "1 (exactly)", False, value=2.0)

    @registry.check("breaks", pattern="T", title="raises", source="a test")
    def breaks(context: CheckContext) -> CheckResult:
        raise RuntimeError("no data")

    code = cli.main(
        [
            "validate",
            "--check",
            "always_fails",
            "--check",
            "breaks",
            "--check",
            "granovetter_riot",
            "--out",
            str(tmp_path),
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert "[FAIL] always_fails (T)" in captured.out and "[ERROR] breaks (T)" in captured.out
    assert "measured: error: RuntimeError: no data" in captured.out
    assert "1 of 3 checks passed" in captured.out
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("sixerrors: 2 check(s) failed: always_fails, breaks; see ")
    folder = Path(captured.out.strip().splitlines()[-1])
    table = pd.read_csv(folder / "summaries" / "checks.csv")
    assert table["status"].tolist() == ["fail", "error", "pass"]


def test_a_name_is_registered_once(scratch_checks):
    with pytest.raises(ValueError, match="registered twice"):
        registry.check("watts_window", pattern="P5", title="", source="")(cascades.watts_window)


def test_cli_lists_checks_and_refuses_an_unknown_one(tmp_path, capsys):
    assert cli.main(["validate", "--list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split(" ")[0] for line in listed[:5]] == P5
    assert cli.main(["validate", "--check", "granoveter_riot", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "did you mean 'granovetter_riot'" in err
    assert not list(tmp_path.iterdir())  # nothing ran, no folder


def test_cli_reduced_battery_runs_every_check_and_the_cascade_checks_pass(tmp_path, capsys):
    """Every check runs to a verdict; every negative control and the P5 checks must pass.

    The model's pattern checks (E1-E6, P1-P3) may fail at this size: a
    failure is a finding, reported by the full battery in docs/validation.md,
    and the command then exits 1 naming them. A negative control, though,
    shows a pattern absent where its mechanism is switched off, which must
    hold at any size, as must the threshold engine's classics.
    """
    code = cli.main(["validate", "--reduced", "--seed", "2", "--out", str(tmp_path)])
    captured = capsys.readouterr()
    out = captured.out
    assert "validate (reduced):" in out and "checks passed" in out
    folder = Path(out.strip().splitlines()[-1])
    assert folder.name.startswith("validate-reduced-")
    table = pd.read_csv(folder / "summaries" / "checks.csv")
    assert set(table["check"]) == set(battery.registered_checks())
    assert set(table["status"]) <= {"pass", "fail"}, "no check may break (status 'error')"
    assert table["measured"].notna().all()
    passed = set(table.loc[table["status"] == "pass", "check"])
    controls = {c.name for c in battery.registered_checks().values() if c.is_control}
    assert set(NEW_CONTROLS) <= controls
    assert controls <= passed, table.loc[table["check"].isin(controls), ["check", "measured"]]
    assert set(P5) <= passed
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["negative_controls"]) == controls
    failed = table.loc[table["status"] == "fail", "check"].tolist()
    if failed:
        assert code == cli.EXIT_CHECK_FAILED == 1
        assert f"{len(failed)} check(s) failed: {', '.join(failed)}" in captured.err
    else:
        assert code == 0


def test_every_negative_control_names_a_registered_check_and_says_control():
    checks = battery.registered_checks()
    controls = {name: c.controls for name, c in checks.items() if c.is_control}
    assert set(NEW_CONTROLS) | {"watts_control_zero_thresholds"} <= set(controls)
    for name, checked in controls.items():
        assert "control" in name and checked in checks and not checks[checked].is_control
        assert checks[name].pattern == checks[checked].pattern
        assert "natural" in (checks[name].run.__doc__ or "") or checked == "watts_window"


def test_a_control_without_control_in_its_name_is_refused(scratch_checks):
    with pytest.raises(ValueError, match="'control' in its name"):
        registry.check("quiet", pattern="P5", title="", source="", controls="watts_window")(
            cascades.watts_window
        )


def test_grid_staffing_measures_the_built_grid_and_its_control_the_fine_one(tmp_path):
    context = CheckContext(reduced=True, seed=1, figures=tmp_path)
    result = society.grid_staffing(context)
    cells = result.details
    assert result.passed, result.measured
    assert cells["households"].sum() == society.COMMUNITY  # every household in one cell
    assert (cells["households"] <= 200).all() and (cells["households"] == 200).sum() >= 20
    assert result.value == pytest.approx(cells["households_per_leader"].mean())
    control = society.grid_staffing_control(context)
    assert control.passed and control.value == pytest.approx(10.0, abs=0.5)
    assert (tmp_path / "grid_staffing_control.png").read_bytes().startswith(PNG)


# --- the generated page: docs/validation.md from a results folder


def _synthetic_folder(root: Path, *, reduced: bool, residents: int = 4_321) -> Path:
    """A validate results folder as the battery writes it, with made-up numbers."""
    folder = root / ("validate-reduced-20270101-000000" if reduced else "validate-20270101-000000")
    (folder / "summaries").mkdir(parents=True)
    (folder / "figures").mkdir()
    rows = [
        ("watts_window", "P5", "Watts' window", "pass", "cascades at z 2-6 (made up)", 6.0),
        ("watts_control_zero_thresholds", "P5", "Zero thresholds", "pass", "all join", 1.0),
        ("incident_growth", "E1", "Incidents grow", "fail", "growth 3.7% a year", 0.037),
        ("incident_growth_rigid", "E1", "Incidents grow, rigid", "error", "error: boom", 0.0),
        ("grid_staffing_control", "E6", "Fine grid off range", "pass", "10.0 households", 10.0),
        ("grid_staffing", "E6", "Grid in range", "pass", "193.6 | households", 193.6),
    ]
    table = pd.DataFrame(
        [
            {
                "check": c,
                "pattern": p,
                "title": t,
                "status": st,
                "measured": m,
                "value": v,
                "target": f"target of {c}",
                "source": f"source of {c}",
                "seconds": 1.5,
            }
            for c, p, t, st, m, v in rows
        ],
        columns=list(battery.CHECK_COLUMNS),
    )
    table.to_parquet(folder / "summaries" / "checks.parquet")
    table.to_csv(folder / "summaries" / "checks.csv", index=False)
    window = pd.DataFrame(
        {
            "mean_degree": list(range(1, 11)),
            "trials": 77,
            "global_cascades": [0, 50, 70, 66, 40, 9, 0, 0, 0, 0],
            "frequency": [0, 0.649, 0.909, 0.857, 0.519, 0.117, 0, 0, 0, 0],
            "mean_global_size": [float("nan"), 0.81, 0.94, 0.98, 0.99, 0.996] + [float("nan")] * 4,
            "mean_size": [0.01] * 10,
            "residents": residents,
            "threshold": 0.18,
            "global_share": 0.2,
            "tie_margin": 1e-9,
        }
    )
    window.to_parquet(folder / "summaries" / "watts_window.parquet")
    pd.DataFrame({"year": [1, 2], "incidents_per_10k": [1.25, 1.3]}).to_parquet(
        folder / "summaries" / "incident_growth.parquet"
    )
    for figure in ("watts_window", "incident_growth", "incident_growth_rigid", "granovetter"):
        (folder / "figures" / f"{figure}.png").write_bytes(PNG + figure.encode())
    manifest = {
        "kind": "validate",
        "reduced": reduced,
        "root_seed": 5,
        "checks": table["check"].tolist(),
        "selected": [],
        "negative_controls": {
            "watts_control_zero_thresholds": "watts_window",
            "grid_staffing_control": "grid_staffing",
        },
        "descriptions": {"grid_staffing_control": "Why: ``fine_siloed_grid`` is :func:`fine`."},
        "figures": {
            "watts_window": ["watts_window.png"],
            "incident_growth": ["incident_growth.png"],
            "incident_growth_rigid": ["incident_growth_rigid.png"],
        },
        "git": {"commit": "0123456789abcdef", "dirty": False},
        "packages": {"numpy": "9.9.9"},
        "host": {"cpus": 3},
        "started": "2027-01-01T00:00:00+00:00",
        "finished": "2027-01-01T00:06:40+00:00",
        "checks_failed": ["incident_growth", "incident_growth_rigid"],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.mark.parametrize(
    ("passed", "interval", "settled"),
    [
        (True, (0.12, 0.2), True),  # a pass the whole interval keeps
        (True, (0.05, 0.2), False),  # a pass whose interval leaves the range
        (False, (0.3, 0.5), True),  # a failure wholly outside
        (False, (-0.03, 0.25), False),  # a failure whose interval reaches in
        (False, None, None),  # no interval: nothing to say
    ],
)
def test_a_verdict_is_settled_only_when_its_whole_interval_agrees(passed, interval, settled):
    result = CheckResult("x", "y", passed, value=0.15, interval=interval, accepted=(0.11, 0.26))
    assert result.settled is settled


def test_an_unsettled_verdict_is_printed_recorded_and_shown(tmp_path, capsys, scratch_checks):
    @registry.check("open_question", pattern="T", title="unsettled", source="a test")
    def open_question(context: CheckContext) -> CheckResult:
        return CheckResult(
            "0.08", "0.11-0.26", False, value=0.08, interval=(-0.03, 0.25), accepted=(0.11, 0.26)
        )

    code = cli.main(["validate", "--check", "open_question", "--check", "granovetter_riot",
                     "--out", str(tmp_path / "results")])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1
    assert "not settled: the measured figure's interval crosses an edge" in out
    assert out.count("not settled") == 2, "a check without an interval says nothing"
    assert "1 of 2 checks passed; 1 verdict(s) not settled by their interval" in out
    folder = Path(out.strip().splitlines()[-1])
    table = pd.read_parquet(folder / "summaries" / "checks.parquet")
    first, riot = table.iloc[0], table.iloc[1]
    assert (first["low"], first["high"], first["settled"]) == (-0.03, 0.25, False)
    assert pd.isna(riot["low"]) and pd.isna(riot["settled"])
    page = tmp_path / "validation.md"
    assert document.main([str(folder), "--out", str(page)]) == 0
    text = page.read_text()
    assert "| **fail** (not settled) |" in text
    assert "### `open_question`: **fail** (not settled)" in text
    assert (
        "Not settled by their own interval (other seeds could turn them): `open_question`." in text
    )
    assert "### `granovetter_riot`: pass\n" in text


@pytest.mark.parametrize("reduced", [True, False])
def test_the_page_is_generated_from_a_results_folder(tmp_path, capsys, reduced):
    folder = _synthetic_folder(tmp_path / "results", reduced=reduced)
    page = tmp_path / "docs" / "validation.md"
    stale = page.parent / "figures" / "validation" / "old.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(PNG)
    assert document.main([str(folder), "--out", str(page)]) == 0
    text = page.read_text()
    size = "reduced" if reduced else "full"
    assert f"This page reports the **{size}** battery" in text
    assert ("sixerrors validate --reduced --seed 5" in text) == reduced
    assert reduced or "sixerrors validate --seed 5\n" in text
    assert folder.name in text and "commit `0123456789ab`, a clean tree" in text
    assert "numpy 9.9.9" in text and "6 min 40 s wall time on 3 cores" in text
    assert "**4 of 6 checks passed**; negative controls: 2 of 2 passed" in text
    # every check's row, verdict and words come from checks.csv (pipes escaped)
    assert "| E1 | `incident_growth` | Incidents grow | growth 3.7% a year |" in text
    assert "193.6 \\| households" in text and "| **error** |" in text
    for name in ("watts_window", "incident_growth", "incident_growth_rigid"):
        copied = page.parent / "figures" / "validation" / f"{name}.png"
        assert copied.read_bytes() == (folder / "figures" / f"{name}.png").read_bytes()
        assert f"(figures/validation/{name}.png)" in text
    assert not stale.exists(), "figures of an earlier page must not linger"
    # each control right after its check, in the table and in the controls section
    assert text.index("| `grid_staffing` |") < text.index("| `grid_staffing_control` |")
    assert "| `grid_staffing_control` | `grid_staffing` | pass | pass |" in text
    assert "> Why: `fine_siloed_grid` is `fine`." in text
    # the P5 numbers are the folder's, not the ones the old page typed
    assert "4,321 residents per graph, 77 single-seed trials" in text
    assert "| frequency | 0 | 0.649 | 0.909 |" in text
    assert "z = 6, global cascades came from 9 of 77 trials" in text
    assert "Watts' 0.18 = 9/50" in text and "degrees below 31,622" in text
    assert "500 single-seed" not in text and "10,000 residents" not in text
    assert "On every row: year" not in text and "| 2 | 1.3 |" in text  # a short table inline
    assert "wrote" in capsys.readouterr().out


def test_the_page_follows_the_folder(tmp_path):
    pages = []
    for residents in (1_111, 2_222):
        folder = _synthetic_folder(tmp_path / str(residents), reduced=True, residents=residents)
        page = document.write(folder, tmp_path / str(residents) / "validation.md")
        pages.append(page.read_text())
    assert "1,111 residents per graph" in pages[0] and "2,222 residents per graph" in pages[1]


def test_an_older_folder_gives_figures_to_the_longest_matching_check(tmp_path):
    folder = _synthetic_folder(tmp_path, reduced=True)
    manifest = json.loads((folder / "manifest.json").read_text())
    for key in ("figures", "negative_controls", "descriptions"):
        del manifest[key]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    found = document.load(folder)
    assert found.figures()["incident_growth"] == ["incident_growth.png"]
    assert found.figures()["incident_growth_rigid"] == ["incident_growth_rigid.png"]
    assert found.figures()[""] == ["granovetter.png"]
    assert found.controls() == {
        "watts_control_zero_thresholds": "",
        "grid_staffing_control": "",
    }
    page = document.write(folder, tmp_path / "validation.md")
    assert "## Other figures of the run" in page.read_text()


def test_a_folder_that_is_not_a_battery_is_refused(tmp_path, capsys):
    assert document.main([str(tmp_path), "--out", str(tmp_path / "v.md")]) == 2
    assert "no manifest.json" in capsys.readouterr().err
    (tmp_path / "manifest.json").write_text(json.dumps({"kind": "compare"}))
    assert document.main([str(tmp_path), "--out", str(tmp_path / "v.md")]) == 2
    assert "not 'sixerrors validate'" in capsys.readouterr().err
    for broken, needle in (("{not json", "cannot be read"), ("[1, 2]", "not a manifest")):
        (tmp_path / "manifest.json").write_text(broken)
        assert document.main([str(tmp_path), "--out", str(tmp_path / "v.md")]) == 2
        assert needle in capsys.readouterr().err
    assert not (tmp_path / "v.md").exists()


def test_a_tail_without_a_top_decade_says_why():
    """One incident that dwarfs the rest leaves no slope; the record names the gap."""
    from experiments.validation.incidents import slope_words, tail_slope

    sizes = np.sort(np.array([5.0, 8, 12, 40, 90, 300, 700, 7105]))
    slope = tail_slope(sizes)
    assert math.isnan(slope)
    words = slope_words(sizes, slope)
    assert "710-7105 holds 1 distinct size(s)" in words
    assert words.endswith("the largest below it is 700")
    heavy = np.sort(np.round(10_000 / np.arange(1, 200)))
    assert slope_words(heavy, tail_slope(heavy)).startswith("top-decade CCDF slope -")


# --- runs: incident sizes as counted, and the battery's world ----------------


def test_incident_sizes_are_the_incidents_the_model_counted():
    """The sizes a check reads are those of the incidents on the record, as they formed.

    One size per counted incident, and in every week with an incident the
    largest group of protesters is one of them (sizes read from the street
    at the week's end, after the arrests, broke this).
    """
    run = Run("rigid_suppression", 800, 60, {"inflow_rate": 0.4}, incident_sizes=True)
    (result,) = run_all([run], [3], world={}, workers=1)
    counted = result.table["mass_incidents"].iloc[1:]
    assert counted.sum() > 0
    assert result.incident_sizes.size == counted.sum()
    weeks = result.table.iloc[1:][counted.to_numpy() > 0]
    assert result.incident_sizes.max() == weeks["largest_incident"].max()
    assert result.incident_sizes.min() >= 5


def test_growth_by_district_reads_the_same_runs_as_growth_counted_once(tmp_path):
    """The by-district check is a second count of the same runs, judged on its own column.

    Both tables hold both counts from one set of runs (same seeds), so they
    must be equal; each check's growth is the growth of its own count, and a
    crowd reaching several districts makes the district count the larger.
    """
    context = CheckContext(reduced=True, seed=4, figures=tmp_path)
    once = incidents.incident_growth(context)
    by_district = incidents.incident_growth_by_district(context)
    assert once.details is not None and by_district.details is not None
    pd.testing.assert_frame_equal(once.details, by_district.details)
    table = once.details
    counted = {"incidents_per_10k": once, "district_incidents_per_10k": by_district}
    for column, result in counted.items():
        expected = growth_rate(table[column].to_numpy()[SETTLING_YEARS:])
        assert result.value == pytest.approx(expected)
    assert table["district_incidents_per_10k"].sum() > table["incidents_per_10k"].sum() > 0
    assert (tmp_path / "incident_growth_by_district.png").read_bytes().startswith(PNG)


def test_the_battery_world_is_where_every_run_starts_and_a_check_s_own_settings_win():
    aggrieved = {"inflow_rate": 0.5, "cadres_per_1000": 4.0}
    runs = [
        Run("rigid_suppression", 600, 40, aggrieved),
        Run("rigid_suppression", 600, 40, {**aggrieved, "reinforcement": 1.0}),
    ]
    without, own = run_all(runs, [2, 2], world={"reinforcement": 0.0}, workers=1)
    assert without.table["outside_forces"].max() == 0.0
    assert own.table["outside_forces"].max() > 0.0


def test_a_check_derives_its_settings_from_the_world_it_runs_in(tmp_path):
    """``--set inflow_rate=...`` must reach a check that runs at twice the inflow.

    A check that derived its setting from the declared default would undo the
    world's value with its own setting, which wins.
    """
    default = float(registry.DECLARATIONS["inflow_rate"].default)
    plain = CheckContext(reduced=True, seed=1, figures=tmp_path)
    harsh = CheckContext(reduced=True, seed=1, figures=tmp_path, world={"inflow_rate": 0.09})
    assert plain.world_value("inflow_rate") == default
    assert harsh.world_value("inflow_rate") == 0.09
    source = Path(registry.__file__).parent
    derived_from_default = [
        f.name
        for f in source.glob("*.py")
        if f.name != "registry.py" and 'DECLARATIONS["' in f.read_text()
    ]
    assert derived_from_default == []


def test_validate_set_takes_world_parameters_only(tmp_path, capsys):
    assert cli.main(["validate", "--set", "tolerance=0.5", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "tolerance is a lever" in err[0]
    assert not list(tmp_path.iterdir())


def test_validate_set_is_recorded_and_named_in_the_command(tmp_path, capsys):
    code = cli.main(
        ["validate", "--reduced", "--check", "granovetter_riot", "--set", "reinforcement=0",
         "--out", str(tmp_path)]
    )  # fmt: skip
    assert code == 0
    folder = Path(capsys.readouterr().out.strip().splitlines()[-1])
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["world"] == {"reinforcement": 0.0}
    assert "--set reinforcement=0.0" in document.command(manifest)


def test_the_page_shows_another_world_beside_its_own(tmp_path):
    """``--beside OTHER``: each check here and in the other world, with the commands."""
    folder = _synthetic_folder(tmp_path / "here", reduced=False)
    other = _synthetic_folder(tmp_path / "there", reduced=False)
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["world"] = {"reinforcement": 0.0}
    (other / "manifest.json").write_text(json.dumps(manifest))
    table = pd.read_csv(other / "summaries" / "checks.csv")
    table.loc[table["check"] == "incident_growth", ["status", "measured"]] = ["pass", "growth 15%"]
    table.to_csv(other / "summaries" / "checks.csv", index=False)
    table.to_parquet(other / "summaries" / "checks.parquet")
    page = tmp_path / "validation.md"
    assert document.main([str(folder), "--beside", str(other), "--out", str(page)]) == 0
    text = page.read_text()
    assert "## The same checks in other worlds" in text
    assert "### With `reinforcement = 0.0`" in text
    assert "sixerrors validate --seed 5 --set reinforcement=0.0" in text
    assert "`reinforcement = 0.0`" in text
    assert "Verdicts that change: `incident_growth`." in text
    assert "| `incident_growth` | **fail** | growth 3.7% a year | pass | growth 15% |" in text
    plain = tmp_path / "plain.md"
    assert document.main([str(folder), "--out", str(plain)]) == 0
    assert "## The same checks in other worlds" not in plain.read_text()
    third = _synthetic_folder(tmp_path / "third", reduced=False)
    manifest["world"] = {"forces_autonomy": 1.0}
    (third / "manifest.json").write_text(json.dumps(manifest))
    both = tmp_path / "both.md"
    argv = [str(folder), "--beside", str(other), "--beside", str(third), "--out", str(both)]
    assert document.main(argv) == 0
    text = both.read_text()
    assert text.count("### With ") == 2
    assert text.index("`reinforcement = 0.0`") < text.index("### With `forces_autonomy = 1.0`")
    assert "--beside OTHER --beside OTHER --out" in text
    assert (
        document.main([str(folder), "--beside", str(tmp_path / "nowhere"), "--out", str(page)]) == 2
    )


def test_correlations_are_pearson_s_column_by_column_and_nan_when_flat():
    rng = np.random.default_rng(3)
    first, second = rng.normal(size=(10, 4)), rng.normal(size=(10, 4))
    second[:, 3] = 2.0  # a flat series has no correlation
    found = incidents.correlations(first, second)
    for column in range(3):
        expected = np.corrcoef(first[:, column], second[:, column])[0, 1]
        assert found[column] == pytest.approx(expected)
    assert math.isnan(found[3])


def test_the_local_share_pools_weeks_over_runs_as_the_intervals_resample_them():
    weeks = [[0.9, np.nan, 0.7], [1.0, 0.5, np.nan]]
    results = [
        runs.Result(pd.DataFrame({"share_settled_locally": [np.nan, *w, *w]}), np.zeros(0))
        for w in weeks
    ]
    # each run's last half is its second copy of the weeks; a week with no share counts for none
    sums = petitions.settled_by_city(results)
    assert sums == pytest.approx(np.array([[1.6, 0.4], [1.5, 0.5]]))
    assert petitions.settled_locally(results) == pytest.approx(3.1 / 4.0)
    assert math.isnan(float(petitions.local_share(np.zeros(2))))


def test_pooled_variation_is_the_coefficient_of_variation_of_the_pooled_gaps():
    runs_gaps = [np.array([1.0, 2.0, 9.0]), np.array([4.0, 4.0]), np.array([30.0])]
    moments = np.array([(g.size, g.sum(), (g**2).sum()) for g in runs_gaps])
    pooled = np.concatenate(runs_gaps)
    expected = pooled.std() / pooled.mean()
    assert valve.pooled_variation(moments.sum(axis=0)[None, :])[0] == pytest.approx(expected)
    assert valve.pooled_variation(moments.mean(axis=0)[None, :])[0] == pytest.approx(expected)
    assert math.isnan(valve.pooled_variation(np.zeros((1, 3)))[0])


def test_tail_slopes_resample_whole_runs():
    rng = np.random.default_rng(2)
    sizes = np.floor(rng.pareto(1.0, 400) * 5 + 5)
    same = incidents.resampled_tail_slopes([sizes, sizes, sizes], seed=1)
    assert same.shape == (incidents.TAIL_RESAMPLES,)
    assert np.allclose(same, incidents.tail_slope(sizes)), "identical runs leave nothing to vary"
    thin = np.full(400, 5.0) + rng.integers(0, 3, 400)
    mixed = incidents.resampled_tail_slopes([sizes, thin], seed=1)
    # two runs drawn twice: one of them twice, or both once (pooled as measured)
    for drawn in (sizes, thin, np.concatenate([sizes, thin])):
        slope = incidents.tail_slope(drawn)
        assert np.isclose(mixed, slope).any() or (np.isnan(slope) and np.isnan(mixed).any())


def test_each_check_draws_its_own_cities():
    """Streams named after the checks never share a seed (one test per pattern, not one city)."""
    names = list(battery.registered_checks())
    starts = sorted(runs.seeds_for(20120101, 1, stream=name)[0] for name in names)
    assert len(set(starts)) == len(names)
    assert all(b - a >= runs.STREAM_SPACING for a, b in itertools.pairwise(starts))
    same = runs.seeds_for(5, 3, stream="incident_growth")
    assert same == runs.seeds_for(5, 3, stream="incident_growth")
    assert runs.seeds_for(5, 3, stream="incident_growth", offset=10) == [s + 10 for s in same]
    assert min(starts) > 20120101 + runs.SEED_OFFSET - 1


def test_short_run_long_run_measures_the_paired_difference_at_first(tmp_path):
    result = valve.short_run_long_run(CheckContext(reduced=True, seed=3, figures=tmp_path))
    table = result.details.set_index("regime")["visible_protest_weeks_1_26"]
    assert result.value == pytest.approx(table["rigid_suppression"] - table["safety_valve"])
    if result.interval is not None:  # the first condition decides the verdict
        low, high = result.interval
        assert low <= result.value <= high
        assert result.settled == (high <= 0.0 if result.passed else low > 0.0)
