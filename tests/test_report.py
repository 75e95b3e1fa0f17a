"""The HTML report: self-contained, every pair present, readings follow the numbers."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pandas as pd
import pytest

from experiments import compare, report
from experiments.specs import parse_scenarios
from experiments.store import ResultsStore
from model.regimes import ERRORS

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = parse_scenarios(
        {"steps": 30, "replications": 3, "residents": 100, "seed": 1,
         "outcomes": ["mean_legitimacy", "share_protesting"], "errors": "all",
         "regimes": ["baseline"]},
        "every_pair.toml",
    )
    return compare.run_comparison(
        spec, out=tmp_path_factory.mktemp("report"), workers=0, progress=False
    )


def test_html_is_self_contained(comparison: Path) -> None:
    text = (comparison / "report.html").read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert "<link" not in text.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text, re.I)
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
    assert len(images) >= 3  # forest plot and one time series per outcome
    for data in images:
        assert base64.b64decode(data).startswith(PNG)


def test_html_has_every_pair_tables_and_manifest(comparison: Path) -> None:
    text = (comparison / "report.html").read_text(encoding="utf-8")
    for number, error in ERRORS.items():
        assert f"Error {number}: {error.title}" in text
        assert error.error_regime in text and error.remedy_regime in text
    manifest = ResultsStore.open(comparison).manifest
    assert manifest["spec_hash"] in text
    assert "Paired differences" in text and "Scenarios by outcome" in text


def _pairs_row(mean: float, low: float, high: float, verdict: str) -> pd.DataFrame:
    return pd.DataFrame([{
        "pair": "p", "outcome": "mean_legitimacy", "statistic": "time_average", "n": 5,
        "mean": mean, "sd": 0.1, "ci_low": low, "ci_high": high, "expected": 1,
        "verdict": verdict,
    }])


@pytest.mark.parametrize(
    ("mean", "low", "high", "verdict", "phrase"),
    [
        (0.2, 0.1, 0.3, "as expected", "these runs agree"),
        (-0.2, -0.3, -0.1, "opposite", "show the opposite"),
        (0.05, -0.1, 0.2, "unclear", "cannot tell"),
    ],
)
def test_reading_follows_the_numbers(mean, low, high, verdict, phrase) -> None:
    spec = parse_scenarios(
        {"outcomes": ["mean_legitimacy"],
         "scenarios": {"e": {"regime": "baseline"}, "r": {"regime": "baseline"}},
         "pairs": {"p": {"error": "e", "remedy": "r", "expected": {"mean_legitimacy": 1}}}},
        "x.toml",
    )
    sentences = report.pair_reading(spec.pairs[0], _pairs_row(mean, low, high, verdict), spec)
    text = " ".join(sentences)
    assert phrase in text
    assert f"{abs(mean):.3g} {'higher' if mean > 0 else 'lower'}" in text
    assert f"{low:.3g} to {high:.3g}" in text
    others = {"these runs agree", "show the opposite", "cannot tell"} - {phrase}
    assert not any(o in text for o in others)


def test_plot_run_writes_png(tmp_path: Path) -> None:
    table = pd.DataFrame({"step": range(5), "mean_legitimacy": 0.5, "mean_grievance": 0.1,
                          "hidden_grievance": 0.0, "share_protesting": 0.0})
    path = report.plot_run(table, tmp_path / "run.png", title="t")
    assert path.read_bytes().startswith(PNG)
