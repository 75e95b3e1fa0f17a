"""The six-errors page is generated from results folders, and says what they say."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from experiments import six_errors_report as page
from model.params import DECLARATIONS


def _folder(root: Path, name: str, tables: dict[str, pd.DataFrame]) -> Path:
    folder = root / name
    (folder / "summaries").mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"git": {"commit": "abcdef1234567"}}))
    for table, frame in tables.items():
        frame.to_parquet(folder / "summaries" / f"{table}.parquet")
    return folder


def _pairs(trust: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """Pair rows: for each label, the full-model and mechanisms-only trust difference."""
    rows = []
    for label in page.LABELS:
        full, mech = trust.get(label, (0.05, 0.02))
        for suffix, value in (("", full), ("_mechanisms", mech)):
            for outcome in (*page.SHOWN, *page.COSTS):
                sign = -1.0 if outcome == "mean_grievance" else 1.0
                mean = sign * value if outcome in ("mean_legitimacy", "mean_grievance") else 0.0
                rows.append(
                    {
                        "pair": f"error_{label}{suffix}",
                        "statistic": page.STATISTIC,
                        "outcome": outcome,
                        "mean": mean,
                        "ci_low": mean - 0.01,
                        "ci_high": mean + 0.01,
                        "n": 30,
                    }
                )
    return pd.DataFrame(rows)


def _discovery() -> dict[str, pd.DataFrame]:
    pairs = ["error_" + label if label != "1b" else "1b" for label in page.LABELS]
    headline = pd.DataFrame(
        {
            "pair": pairs,
            "outcome": "mean_legitimacy",
            "reversal_share": 0.25,
            "defined_points": 256,
            "reversed_share": 0.1,
            "unclear_share": 0.3,
            "holds_share": 0.6,
        }
    )
    headline.loc[headline["pair"] == "1b", "reversal_share"] = 0.0
    boxes = pd.DataFrame(
        {
            "pair": ["error_1", "1b"],
            "outcome": ["mean_legitimacy", "mean_legitimacy"],
            "box": [0, 0],
            "target": ["reversal", "failure"],
            "coverage": [0.7, 0.6],
            "density": [0.9, 0.8],
            "meets_min_density": [True, True],
        }
    )
    limits = pd.DataFrame(
        {
            "pair": ["error_1", "1b"],
            "outcome": ["mean_legitimacy", "mean_legitimacy"],
            "box": [0, 0],
            "parameter": ["cadre_capacity", "adapt_rate"],
            "low": [2.0, 0.025],
            "high": [3.0, 0.04],
            "range_low": [2.0, 0.025],
            "range_high": [8.0, 0.1],
        }
    )
    return {"headline": headline, "boxes": boxes, "box_limits": limits}


def test_the_page_reports_every_pair_from_its_folders(tmp_path):
    trust = {"3": (0.0, 0.0), "5": (0.06, -0.03)}
    pairs = _pairs(trust)
    defaults = _folder(tmp_path, "six_errors-1", {"pairs": pairs})
    small = _folder(tmp_path, "six_errors_small-1", {"pairs": pairs})
    large = _folder(tmp_path, "six_errors_large-1", {"pairs": pairs})
    discovery = _folder(tmp_path, "discover-1", _discovery())
    text = page.render(defaults, small, large, discovery, tmp_path / "figure.png")
    assert (tmp_path / "figure.png").exists()
    for label in page.LABELS:
        assert f"## Error {label}:" in text
    # Folders are named; code versions stay in their manifests (no commit hashes on the page).
    assert "six_errors-1" in text and "abcdef1234" not in text
    # The readings follow the numbers, whatever they say.
    assert "**the claim does not emerge** at the defaults" in text  # Error 3: no difference
    assert "**only through the assumed payoffs**" in text  # Error 5: mechanisms reverse
    assert "with and without the assumed payoffs" in text  # the others
    assert "+0.0500 [+0.0400, +0.0600]" in text
    assert "25%" in text
    # PRIM's box names the parameter and what it means.
    assert "`cadre_capacity` 2–3" in text
    assert DECLARATIONS["cadre_capacity"].meaning.rstrip(".").lower() in text
    assert "density 90% of its points reverse" in text
    # A claim that reverses nowhere is shown where it weakens.
    assert "it reverses nowhere, but it weakens to no clear difference" in text
    assert "`adapt_rate` 0.025–0.04" in text and "of its points are not borne out" in text


def test_a_folder_without_a_manifest_is_refused(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    status = page.main(
        [
            "--defaults", str(tmp_path / "empty"),
            "--small", str(tmp_path / "empty"),
            "--large", str(tmp_path / "empty"),
            "--discovery", str(tmp_path / "empty"),
            "--out", str(tmp_path / "page.md"),
        ]
    )  # fmt: skip
    assert status == 2
    assert "not a results folder" in capsys.readouterr().err


def test_a_folder_of_the_wrong_kind_is_refused_before_anything_is_written(tmp_path, capsys):
    """A discover folder passed as --defaults: one line naming the missing table, exit 2."""
    discovery = _folder(tmp_path, "discover-1", _discovery())
    out = tmp_path / "docs" / "page.md"
    status = page.main(
        [
            "--defaults", str(discovery),
            "--small", str(discovery),
            "--large", str(discovery),
            "--discovery", str(discovery),
            "--out", str(out),
        ]
    )  # fmt: skip
    assert status == 2
    err = capsys.readouterr().err.strip()
    assert "has no summaries/pairs.parquet" in err and "sixerrors compare" in err
    assert "\n" not in err and not out.parent.exists()
