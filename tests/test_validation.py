"""The pattern battery: framework, the P5 checks in reduced form, and ``sixerrors validate``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from experiments import cli
from experiments.validation import battery, cascades, registry
from experiments.validation.registry import CheckContext, CheckResult

PNG = b"\x89PNG\r\n\x1a\n"
P5 = [
    "watts_window",
    "watts_control_zero_thresholds",
    "watts_control_unit_thresholds",
    "granovetter_riot",
    "granovetter_perturbed",
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
    """Every check runs to a verdict; those of the threshold engine must pass.

    The model's checks (E1-E6, P1-P3) may fail: a failure is a finding,
    recorded in docs/validation.md, and the command then exits 1 naming them.
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
    assert set(P5) <= passed
    failed = table.loc[table["status"] == "fail", "check"].tolist()
    if failed:
        assert code == cli.EXIT_CHECK_FAILED == 1
        assert f"{len(failed)} check(s) failed: {', '.join(failed)}" in captured.err
    else:
        assert code == 0
