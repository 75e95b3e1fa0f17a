"""The HTML report: self-contained, every pair present, readings follow the numbers."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pandas as pd
import pytest

from experiments import compare, report
from experiments.scales import difference_range, outcome_range
from experiments.specs import parse_scenarios
from experiments.store import ResultsStore
from model.outcomes import OUTCOME_INFO
from model.regimes import ERRORS

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = parse_scenarios(
        {
            "steps": 30,
            "replications": 3,
            "residents": 100,
            "seed": 1,
            "outcomes": ["mean_legitimacy", "share_protesting", "mass_incidents", "stability"],
            "errors": "all",
            "regimes": ["baseline"],
        },
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
    return pd.DataFrame(
        [
            {
                "pair": "p",
                "outcome": "mean_legitimacy",
                "statistic": "time_average",
                "n": 5,
                "mean": mean,
                "sd": 0.1,
                "ci_low": low,
                "ci_high": high,
                "expected": 1,
                "verdict": verdict,
            }
        ]
    )


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
        {
            "outcomes": ["mean_legitimacy"],
            "scenarios": {"e": {"regime": "baseline"}, "r": {"regime": "baseline"}},
            "pairs": {"p": {"error": "e", "remedy": "r", "expected": {"mean_legitimacy": 1}}},
        },
        "x.toml",
    )
    sentences = report.pair_reading(spec.pairs[0], _pairs_row(mean, low, high, verdict), spec)
    text = " ".join(sentences)
    assert phrase in text
    assert f"{abs(mean):.3f} {'higher' if mean > 0 else 'lower'}" in text
    assert f"{report.fmt(low, 3)} to {report.fmt(high, 3)}" in text
    others = {"these runs agree", "show the opposite", "cannot tell"} - {phrase}
    assert not any(o in text for o in others)


def test_plot_run_writes_png(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {
            "step": range(5),
            "mean_legitimacy": 0.5,
            "mean_grievance": 0.1,
            "hidden_grievance": 0.0,
            "share_protesting": 0.0,
        }
    )
    path = report.plot_run(table, tmp_path / "run.png", title="t")
    assert path.read_bytes().startswith(PNG)


def test_glossary_defines_every_statistic_and_outcome(comparison: Path) -> None:
    text = (comparison / "report.html").read_text(encoding="utf-8")
    glossary = text.split('id="glossary"', 1)[1].split("<h2>Manifest", 1)[0]
    for term in (
        "final",
        "time average",
        "paired difference",
        "95% interval",
        "unclear",
        "full model / mechanisms only",
        "side effect",
    ):
        assert f"<b>{term}</b>" in glossary, term
    assert "weeks 1 to T" in glossary and "Week 0" in glossary
    spec = ResultsStore.open(comparison).manifest["spec"]
    for outcome in spec["outcomes"]:
        info = OUTCOME_INFO[outcome]
        assert f"<code>{outcome}</code>" in glossary
        row = glossary.split(f"<code>{outcome}</code>", 1)[1].split("</tr>", 1)[0]
        assert info.unit in row
        assert {1: "higher", -1: "lower", 0: "neither"}[info.better] in row


def test_no_interval_leaves_its_outcomes_range(comparison: Path) -> None:
    store = ResultsStore.open(comparison)
    scenarios = store.read_summary("scenarios")
    series = store.read_summary("timeseries")
    pairs = store.read_summary("pairs")
    for table, bounds in (
        (scenarios, outcome_range),
        (series, outcome_range),
        (pairs, difference_range),
    ):
        for outcome, rows in table.groupby("outcome"):
            low, high = bounds(str(outcome))
            for column in ("ci_low", "ci_high"):
                values = rows[column].dropna()
                assert (values >= low).all() and (values <= high).all(), (outcome, column)


def test_a_shares_level_is_bootstrapped_not_clipped() -> None:
    values = [1.0, 1.0, 0.8]  # stability of three runs: the t interval reaches above 1
    raw = compare.t_interval(values)
    assert raw["ci_high"] > 1.0 and raw["ci_low"] < 0.8
    table = compare.summarise_scenarios(
        pd.DataFrame(
            {
                "scenario": "s",
                "replicate": [0, 1, 2],
                "outcome": "stability",
                "statistic": "final",
                "value": values,
            }
        ),
        ["s"],
    )
    row = table.loc[0]
    assert row["ci_method"] == "bootstrap"
    # Inside the data, so inside [0, 1]; its lower end is no t interval's.
    assert 0.8 <= row["ci_low"] < row["mean"] < row["ci_high"] <= 1.0
    assert row["ci_low"] != pytest.approx(raw["ci_low"])


def test_summaries_and_glossary_name_the_interval_method(comparison: Path) -> None:
    store = ResultsStore.open(comparison)
    for name in ("scenarios", "pairs", "timeseries"):
        table = store.read_summary(name)
        methods = set(table["ci_method"].dropna())
        assert methods and methods <= {"t", "bootstrap"}, name
    scenarios = store.read_summary("scenarios")
    assert set(scenarios["ci_method"].dropna()) == {"bootstrap"}  # every outcome is bounded
    text = (comparison / "report.html").read_text(encoding="utf-8")
    glossary = text.split('id="glossary"', 1)[1].split("<h2>Manifest", 1)[0]
    assert "<b>interval method</b>" in glossary and "<b>no spread</b>" in glossary
    for phrase in ("percentile bootstrap", "Student-t", "ci_method", "no spread over replications"):
        assert phrase in glossary, phrase
    assert "cut back" not in glossary


def test_tables_round_for_reading_and_fit_a_window(comparison: Path) -> None:
    text = (comparison / "report.html").read_text(encoding="utf-8")
    body = re.sub(r'src="data:[^"]+"', "", text.split("<h2>Manifest", 1)[0])
    assert not re.search(r"\d[eE][-+]\d", body), "a number in exponent notation"
    assert "max-width: 1220px" in text
    # full-model and mechanisms-only columns of a pair sit in one table
    assert "<th>full model</th><th></th><th>mechanisms only</th>" in body


def test_reading_flags_a_notable_side_effect() -> None:
    spec = parse_scenarios(
        {
            "outcomes": ["mean_legitimacy", "largest_incident", "share_protesting"],
            "scenarios": {"e": {"regime": "baseline"}, "r": {"regime": "baseline"}},
            "pairs": {"p": {"error": "e", "remedy": "r", "expected": {"mean_legitimacy": 1}}},
        },
        "x.toml",
    )
    rows = pd.concat(
        [
            _pairs_row(0.2, 0.1, 0.3, "as expected"),
            _pairs_row(4.0, 2.0, 6.0, "no claim").assign(outcome="largest_incident", expected=None),
            _pairs_row(0.0004, 0.0002, 0.0006, "no claim").assign(
                outcome="share_protesting", expected=None
            ),
        ]
    )
    levels = {("e", "largest_incident"): 10.0, ("e", "share_protesting"): 0.01}
    text = " ".join(report.pair_reading(spec.pairs[0], rows, spec, levels=levels))
    assert "Side effect: residents in the largest connected protest" in text
    assert "share_protesting" not in text.split("Side effect")[-1]  # too small to be notable


def test_classroom_findings_refresh_from_a_comparison_keeps_what_was_written(
    comparison: Path, tmp_path: Path
) -> None:
    from experiments.classroom import findings as fnd

    target = tmp_path / "findings.toml"
    target.write_text(
        '[errors.2]\nfails_where = "Where it fails."\n[errors.2.preset]\nshock_rate = 0.05\n',
        encoding="utf-8",
    )
    fnd.refresh(comparison, target)
    loaded = fnd.load_findings(target)
    assert loaded.provisional and "replications" in loaded.source
    assert loaded.errors["2"].fails_where == "Where it fails."
    assert dict(loaded.errors["2"].preset) == {"shock_rate": 0.05}
    pairs = ResultsStore.open(comparison).read_summary("pairs")
    row = pairs[
        (pairs["pair"] == "error_1_mechanisms")
        & (pairs["outcome"] == "mean_legitimacy")
        & (pairs["statistic"] == "time_average")
    ].iloc[0]
    interval = loaded.errors["1"].differences["mean_legitimacy"]["mechanisms_only"]
    assert interval.mean == pytest.approx(row["mean"], rel=1e-3, abs=1e-6)


def test_classroom_findings_refuse_a_lever_or_an_out_of_range_preset(tmp_path: Path) -> None:
    from experiments.classroom import findings as fnd

    base = "".join(f"[errors.{n}]\n" for n in range(2, 7))
    for preset, needle in (
        ("tolerance = 0.5", "policy lever"),
        ("shock_rate = 7.0", "out of range"),
        ("shok_rate = 0.1", "not a declared parameter"),
    ):
        path = tmp_path / "f.toml"
        path.write_text(f"[errors.1.preset]\n{preset}\n{base}", encoding="utf-8")
        with pytest.raises(fnd.FindingsError, match=needle):
            fnd.load_findings(path)
    path.write_text("[errors.1]\n", encoding="utf-8")
    with pytest.raises(fnd.FindingsError, match="no entry for error"):
        fnd.load_findings(path)


@pytest.mark.parametrize("label", [*(str(n) for n in ERRORS), "1b"])
def test_every_pair_is_run_and_reported_with_the_assumed_payoffs_off(
    comparison: Path, label: str
) -> None:
    """Each claim twice: the full model and mechanisms only, in the tables and the page."""
    pairs = pd.read_parquet(comparison / "summaries" / "pairs.parquet")
    for name, variant in ((f"error_{label}", "full model"),
                          (f"error_{label}_mechanisms", "mechanisms only")):  # fmt: skip
        rows = pairs[pairs["pair"] == name]
        assert len(rows), name
        assert set(rows["variant"]) == {variant}
        assert rows["n"].min() == 3
    text = (comparison / "report.html").read_text(encoding="utf-8")
    assert f"Error {label}" in text


def test_each_article_pair_says_where_its_claim_fails_from_discovery(comparison: Path) -> None:
    """The report repeats the findings file's regions, so report, classroom and docs agree."""
    import html as html_module

    from experiments.classroom.findings import load_findings

    text = html_module.unescape((comparison / "report.html").read_text(encoding="utf-8"))
    findings = load_findings()
    shown = 0
    for key in ("1", "2", "3", "4", "5", "6", "1b"):
        finding = findings.of(key)
        if finding is not None and finding.fails_where:
            assert finding.fails_where in text, key
            shown += 1
    for key in ("1", "2", "3", "4", "5", "6", "1b"):
        finding = findings.of(key)
        if finding is not None and finding.region == "weakens":
            weak = f"Where the claim weakens (scenario discovery)</h4><p>{finding.fails_where[:40]}"
            assert weak in text, key
    headings = text.count("Where the claim fails (scenario discovery)")
    assert headings + text.count("Where the claim weakens (scenario discovery)") == shown
    assert shown >= 1, "the shipped findings file says where at least one claim fails"
