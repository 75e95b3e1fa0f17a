"""ODD.md documents every parameter, lever, outcome and submodel."""

from pathlib import Path

from experiments.odd import ODD_PATH, problems, render
from model import DECLARATIONS, OUTCOMES


def test_odd_is_in_step_with_the_code():
    assert problems() == []


def test_every_name_appears_in_odd():
    text = ODD_PATH.read_text(encoding="utf-8")
    for name in list(DECLARATIONS) + list(OUTCOMES):
        assert f"`{name}`" in text, name


def test_a_missing_submodel_section_is_detected(tmp_path: Path):
    stale = ODD_PATH.read_text(encoding="utf-8").replace("`grid`", "grid")
    path = tmp_path / "ODD.md"
    path.write_text(render(stale), encoding="utf-8")
    assert any("'grid'" in p for p in problems(path))


def test_a_stale_table_is_detected(tmp_path: Path):
    text = ODD_PATH.read_text(encoding="utf-8").replace("| `tolerance` |", "| `tolerance_old` |")
    path = tmp_path / "ODD.md"
    path.write_text(text, encoding="utf-8")
    assert any("stale" in p for p in problems(path))
