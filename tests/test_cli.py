"""Every ``sixerrors`` verb end to end on tiny inputs, and every kind of bad input."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import subprocess
import sys
import types
from pathlib import Path

import pandas as pd
import pytest

from experiments import cli
from model.params import DECLARATIONS

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"


def _one_error_line(capsys: pytest.CaptureFixture[str], code: int) -> str:
    assert code == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sixerrors: error: ")
    assert "Traceback" not in err
    return lines[0]


def test_run_writes_manifest_tables_and_figure(tmp_path: Path, capsys) -> None:
    code = cli.main(
        [
            "run",
            "--regime",
            "safety_valve",
            "--set",
            "tolerance=0.7",
            "--set",
            "network=erdos_renyi",
            "--residents",
            "120",
            "--steps",
            "8",
            "--seed",
            "3",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out.strip().splitlines()
    folder = Path(out[-1])
    assert folder.parent == tmp_path and folder.name.startswith("safety_valve-")
    # the run ends with a short summary: key outcomes, final and time average, with units
    summary = "\n".join(out[:-1])
    assert "safety_valve, seed 3, 120 residents, 8 weeks" in summary
    for words in (
        "trust in government",
        "hidden grievance",
        "mass incidents",
        "per 10,000 residents",
        "week 8",
        "time avg",
        "mean over weeks 1..8",
    ):
        assert words in summary, words
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["regime"] == "safety_valve" and manifest["seed"] == 3
    assert set(DECLARATIONS) <= set(manifest["parameters"])
    assert manifest["parameters"]["tolerance"] == 0.7
    assert manifest["parameters"]["network"] == "erdos_renyi"
    assert manifest["parameters"]["n_residents"] == 120
    assert {"commit", "dirty"} <= set(manifest["git"])
    assert manifest["packages"]["mesa"].startswith("3.5")
    assert manifest["started"] and manifest["finished"]
    table = pd.read_parquet(folder / "summaries" / "outcomes.parquet")
    assert list(table["step"]) == list(range(9))
    csv = pd.read_csv(folder / "summaries" / "outcomes.csv")
    pd.testing.assert_frame_equal(table, csv, check_dtype=False)
    assert (folder / "figures" / "outcomes.png").read_bytes().startswith(PNG)
    # Never overwrites: a second run makes a second folder.
    assert (
        cli.main(
            [
                "run",
                "--regime",
                "safety_valve",
                "--residents",
                "50",
                "--steps",
                "1",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    assert len(list(tmp_path.iterdir())) == 2


def test_run_interrupted_keeps_steps(tmp_path: Path, capsys, monkeypatch) -> None:
    from model.model import SocialManagementModel

    calls = {"n": 0}
    original = SocialManagementModel.run_for

    def flaky(self, steps):
        calls["n"] += 1
        if calls["n"] > 3:
            raise KeyboardInterrupt
        return original(self, steps)

    monkeypatch.setattr(SocialManagementModel, "run_for", flaky)
    code = cli.main(
        [
            "run",
            "--regime",
            "baseline",
            "--residents",
            "50",
            "--steps",
            "10",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 130
    err = capsys.readouterr().err
    assert "interrupted at step 3 of 10" in err and "kept" in err
    (folder,) = tmp_path.iterdir()
    assert len(pd.read_csv(folder / "summaries" / "outcomes.csv")) == 4


@pytest.fixture
def bad_files(tmp_path: Path) -> dict[str, Path]:
    files = {
        "malformed": "steps = \n",
        "outcome": 'outcomes = ["mean_legitimacy", "share_protestng"]\n',
        "typo": '[scenarios.tolerant]\nregime = "baseline"\noverrides = { tolerence = 0.8 }\n',
        "sobol": 'method = "sobol"\nbase_samples = 100\n[factors]\ntolerance = {}\n'
        "repression = {}\n",
    }
    paths = {}
    for name, text in files.items():
        paths[name] = tmp_path / f"{name}.toml"
        paths[name].write_text(text)
    return paths


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["run", "--regime", "safty_valve"], "did you mean 'safety_valve'"),
        (["run", "--regime", "baseline", "--set", "tolerence=0.3"], "did you mean 'tolerance'"),
        (["run", "--regime", "baseline", "--set", "tolerance=3"], "between 0 and 1"),
        (["run", "--regime", "baseline", "--set", "tolerance"], "name=value"),
        (["run", "--regime", "baseline", "--steps", "x"], "--steps"),
        (["run", "--regime", "baseline", "--steps", "0"], "--steps: 0 must be at least 1"),
        (["run", "--regime"], "--regime"),
        (["compare", "{tmp}/missing.toml"], "no such file"),
        (["compare", "{malformed}"], "malformed TOML"),
        (["compare", "{outcome}"], "did you mean 'share_protesting'"),
        (["compare", "{typo}"], "[scenarios.tolerant].overrides.tolerence"),
        (["compare", "--replications", "0"], "--replications"),
        (["compare", "--resume", "{tmp}/nowhere"], "not a results folder"),
        (["sensitivity", "{sobol}"], "power of two"),
        (["sweep", "{tmp}/missing.toml"], "no such file"),
        (["sweep"], "SPEC.toml"),
        (["bogus"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_exit_2(argv, needle, bad_files, tmp_path, capsys) -> None:
    names = {k: str(v) for k, v in bad_files.items()} | {"tmp": str(tmp_path)}
    args = [a.format(**names) for a in argv] + ["--out", str(tmp_path)]
    before = set(tmp_path.iterdir())
    line = _one_error_line(capsys, cli.main(args))
    assert needle in line
    assert set(tmp_path.iterdir()) == before  # bad input leaves no results folder


def test_console_script_exits_2_without_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "experiments.cli",
            "run",
            "--regime",
            "nope",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("sixerrors: error: unknown regime 'nope'")


SCENARIO = """
steps = 30
replications = 2
residents = 100
outcomes = ["mean_legitimacy"]
[scenarios.strict]
regime = "rigid_suppression"
[scenarios.open]
regime = "safety_valve"
[pairs.openness]
error = "strict"
remedy = "open"
expected = { mean_legitimacy = 1 }
"""


def test_compare_file_end_to_end_then_resume(tmp_path: Path, capsys) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(SCENARIO)
    out = tmp_path / "out"
    assert cli.main(["compare", str(path), "--workers", "0", "--out", str(out)]) == 0
    folder = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert folder.name.startswith("mine-")
    pairs = pd.read_csv(folder / "summaries" / "pairs.csv")
    assert set(pairs["pair"]) == {"openness"} and set(pairs["n"]) == {2}
    assert (folder / "report.html").is_file()
    # Resuming a finished folder runs nothing and rewrites the same tables.
    assert cli.main(["compare", "--resume", str(folder), "--workers", "0"]) == 0
    capsys.readouterr()
    pd.testing.assert_frame_equal(pairs, pd.read_csv(folder / "summaries" / "pairs.csv"))
    # A different spec cannot be resumed into this folder.
    code = cli.main(["compare", str(path), "--replications", "3", "--resume", str(folder)])
    assert "different scenario spec" in _one_error_line(capsys, code)


def test_compare_default_with_tiny_sizes(tmp_path: Path, capsys) -> None:
    code = cli.main(
        [
            "compare",
            "--replications",
            "2",
            "--steps",
            "3",
            "--residents",
            "60",
            "--workers",
            "0",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    folder = Path(capsys.readouterr().out.strip().splitlines()[-1])
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["spec"]["replications"] == 2 and manifest["spec"]["steps"] == 3
    assert (folder / "summaries" / "scenarios.parquet").is_file()


def test_compare_interrupted_says_how_to_resume(tmp_path: Path, capsys, monkeypatch) -> None:
    from experiments import compare

    real_run_tasks = compare.run_tasks

    def interrupted(tasks, *args, **kwargs):  # Ctrl-C once the first run is kept
        real_run_tasks(list(tasks)[:1], *args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(compare, "run_tasks", interrupted)
    code = cli.main(
        [
            "compare",
            "--replications",
            "2",
            "--steps",
            "3",
            "--residents",
            "60",
            "--workers",
            "0",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 130
    err = capsys.readouterr().err
    assert "interrupted; 1 of" in err and "sixerrors compare --workers 0 --resume" in err


def test_sweep_and_sensitivity_verbs(tmp_path: Path, capsys) -> None:
    pytest.importorskip("experiments.sweep")
    pytest.importorskip("experiments.sensitivity")
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(
        'steps = 3\nresidents = 60\noutcomes = ["mean_legitimacy"]\n'
        "[factors]\ntolerance = [0.2, 0.8]\n"
    )
    assert cli.main(["sweep", str(sweep), "--workers", "0", "--out", str(tmp_path)]) == 0
    assert Path(capsys.readouterr().out.strip().splitlines()[-1]).is_dir()
    sens = tmp_path / "sens.toml"
    sens.write_text(
        'method = "morris"\ntrajectories = 2\nsteps = 3\nresidents = 60\n'
        'outcomes = ["mean_legitimacy"]\n'
        "[factors]\ntolerance = {}\nrepression = {}\n"
    )
    assert cli.main(["sensitivity", str(sens), "--workers", "0", "--out", str(tmp_path)]) == 0
    assert Path(capsys.readouterr().out.strip().splitlines()[-1]).is_dir()


def test_bench_dispatches_to_module(tmp_path: Path, monkeypatch, capsys) -> None:
    # A stand-in benchmark module: the real ones take minutes by design.
    (tmp_path / "fake_bench.py").write_text(
        "import sys\nprint('seconds', sys.argv[1:])\nsys.exit(3 if '--fail' in sys.argv else 0)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(cli.BENCHMARKS, "runner", "fake_bench")
    assert cli.main(["bench", "runner", "--tasks", "5"]) == 0
    assert "seconds ['--tasks', '5']" in capsys.readouterr().out
    assert cli.main(["bench", "runner", "--fail"]) == 3
    assert {"model", "epstein", "runner", "compare", "classroom"} <= set(cli.BENCHMARKS)
    for module in cli.BENCHMARKS.values():
        if module != "fake_bench":
            assert importlib.util.find_spec(module) is not None, module


def test_classroom_missing_then_present(monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "experiments.classroom.app", None)
    line = _one_error_line(capsys, cli.main(["classroom"]))
    assert "classroom" in line
    seen = {}
    fake = types.ModuleType("experiments.classroom.app")
    fake.serve = lambda host, port: seen.update(host=host, port=port)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "experiments.classroom.app", fake)
    assert cli.main(["classroom", "--port", "9999"]) == 0
    assert seen == {"host": "127.0.0.1", "port": 9999}


VERBS = ("run", "compare", "sweep", "sensitivity", "discover", "validate", "bench", "classroom")


@pytest.mark.parametrize("verb", VERBS)
def test_every_help_has_a_description_and_defaults(verb: str, capsys) -> None:
    assert cli.main([verb, "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    description = text.split("options:")[0]
    assert len(description.split()) > 8, f"{verb} --help has no description: {description!r}"
    assert "(default: " in text, f"{verb} --help shows no default"
    if verb == "run":
        assert "(default: baseline)" in text and "(default: 260)" in text
        assert "the run's seed (default: 0)" in text  # 0 == False hid it once
    if verb == "classroom":
        assert "(default: 127.0.0.1)" in text and "(default: 8765)" in text


@pytest.mark.parametrize("which", sorted(cli.BENCHMARKS))
def test_every_benchmark_help_names_itself_and_shows_a_description_and_defaults(
    which: str, capsys, monkeypatch
) -> None:
    """``sixerrors bench X --help`` reads like any other verb's help."""
    # As from the command line: the benchmark runs as __main__, not already imported
    # (by another benchmark of this test), which runpy warns about.
    monkeypatch.delitem(sys.modules, cli.BENCHMARKS[which], raising=False)
    assert cli.main(["bench", which, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: sixerrors bench {which} "), out.splitlines()[0]
    parser = importlib.import_module(cli.BENCHMARKS[which]).build_parser()
    assert parser.prog == f"sixerrors bench {which}"
    assert len(parser.description.split()) > 8, parser.description
    assert " ".join(parser.description.split()[:6]) in " ".join(out.split())
    formatter = parser.formatter_class(prog=parser.prog)
    for action in parser._actions:
        if action.help in (None, argparse.SUPPRESS) and action.dest == "child":
            continue  # the model benchmark's internal option, hidden from --help
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"bench {which}: {action.option_strings} has no description"
        shown = formatter._get_help_string(action) or ""
        switch = isinstance(action, argparse._StoreTrueAction)
        assert switch or "default" in shown, f"bench {which}: {action.option_strings} {shown!r}"


def test_classroom_refuses_an_address_it_cannot_serve(capsys) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        line = _one_error_line(capsys, cli.main(["classroom", "--port", str(port)]))
        assert f"port {port}" in line and "in use" in line and "--port" in line
    line = _one_error_line(capsys, cli.main(["classroom", "--port", "99999"]))
    assert "99999" in line and "65535" in line
    # an address of no interface here (TEST-NET-1): nothing is sent, the bind fails
    line = _one_error_line(capsys, cli.main(["classroom", "--host", "192.0.2.1"]))
    assert "192.0.2.1" in line and "--host 127.0.0.1" in line
    line = _one_error_line(capsys, cli.main(["classroom", "--host", "no such host!"]))
    assert "--host" in line


@pytest.mark.parametrize(
    ("which", "args", "needle"),
    [
        ("epstein", ["--sizes", "abc"], "--sizes: 'abc' is not a whole number"),
        ("epstein", ["--sizes", "40,0"], "--sizes: 0 must be at least 1"),
        ("model", ["--sizes", "x"], "--sizes: 'x' is not a whole number"),
        ("runner", ["--tasks", "0"], "--tasks: 0 must be at least 1"),
        ("discover", ["--workers", "-1"], "--workers: -1 must be zero or more"),
        ("classroom", ["--ticks", "0"], "--ticks: 0 must be at least 1"),
        ("compare", ["--replications", "0"], "--replications: 0 must be at least 1"),
    ],
)
def test_a_benchmark_given_bad_input_says_so_in_one_line(which, args, needle, capsys):
    """Benchmarks parse like every verb: one line naming the problem, exit 2, nothing run."""
    import importlib

    module = importlib.import_module(f"experiments.bench.{which}")
    with pytest.raises(SystemExit) as stop:
        module.build_parser().parse_args(args)
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and f"see 'sixerrors bench {which} --help'" in err
    assert "\n" not in err
