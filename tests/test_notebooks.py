"""Execute the teaching and analysis notebooks top to bottom.

Every numbered notebook in ``notebooks/`` except ``09_epstein_replication``
(which has its own test, ``tests/test_notebook_epstein.py``) is run in a
fresh kernel of the test's own Python, as ``tests/test_notebook_epstein.py``
does. Notebooks 07 and 08 read the newest results folder; the test points
them at an empty one (``SIXERRORS_RESULTS``), so they always take the path
that makes a small comparison or sensitivity analysis themselves, whatever
lies in the developer's ``results/``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from experiments.lessons import lever_table
from model import ERRORS
from model.params import LEVER_NAMES

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
OWN_TEST = {"09_epstein_replication.ipynb"}
NOTEBOOKS = sorted(p for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb") if p.name not in OWN_TEST)
EXPECTED_PREFIXES = [f"{i:02d}_" for i in range(9)]


def test_every_numbered_notebook_is_there() -> None:
    prefixes = [p.name[:3] for p in NOTEBOOKS]
    assert prefixes == EXPECTED_PREFIXES, f"expected notebooks 00-08 once each, found {prefixes}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path: Path) -> None:
    """Outputs are stripped in git: no outputs, no execution counts."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    assert not dirty, (
        f"{path.name}: cells {dirty} hold outputs; clear them before committing (README.md in "
        "notebooks/ says how)"
    )


ERROR_NOTEBOOKS = [p for p in NOTEBOOKS if p.name[:3] in {f"{i:02d}_" for i in range(1, 7)}]


@pytest.mark.parametrize("path", ERROR_NOTEBOOKS, ids=lambda p: p.stem)
def test_error_notebooks_share_their_helpers(path: Path) -> None:
    """Notebooks 01-06 import their helpers from experiments.lessons, not repeat them."""
    code = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    assert any("from experiments.lessons import" in source for source in code)
    defined = [
        line
        for source in code
        for line in source.splitlines()
        if line.lstrip().startswith(("def ", "class ", "import dataclasses"))
    ]
    assert not defined, f"{path.name} defines helpers; put them in experiments/lessons.py"
    assert not any("simulate(" in source for source in code), "runs come from Lesson.run"


NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
LEVER_COUNT = re.compile(r"\b(one|two|three|four|five|six)\b(?:\s+grid)?\s+levers?\b(?! at a time)")
"""'two levers', 'Four grid levers', 'one lever only' (not 'one lever at a time')."""


def _markdown(path: Path) -> list[str]:
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]


@pytest.mark.parametrize("path", ERROR_NOTEBOOKS, ids=lambda p: p.stem)
def test_error_notebooks_name_exactly_the_levers_of_their_pair(path: Path) -> None:
    """The stale-lever bug: prose naming levers the pair no longer moves.

    The first paragraph of "How the model grows it" names exactly the
    pair's levers as what differs; that section may name besides them only
    levers both regimes set alike (Error 5's shared budget, Error 6's
    service mode); and every count of levers in the text is the pair's.
    """
    pair = ERRORS[int(path.name[:2])]
    markdown = _markdown(path)
    (how,) = [text for text in markdown if text.startswith("## How the model grows it")]
    first = how.split("\n\n")[1]
    table = lever_table(pair)
    shared = set(table.index[~table["differs"]])
    # the paragraph that says what differs names every lever of the pair, and besides
    # them at most a lever both regimes set alike ("both regimes have the same ...")
    assert set(re.findall(r"`(\w+)`", first)) & set(LEVER_NAMES) - shared == set(pair.levers), first
    named = set(re.findall(r"`(\w+)`", how)) & set(LEVER_NAMES)
    assert named <= set(pair.levers) | shared, f"names levers the pair does not move: {named}"
    for text in markdown:
        for word in LEVER_COUNT.findall(text.replace("\n", " ")):
            assert NUMBER_WORDS[word.lower()] == len(pair.levers), f"{word} levers in {text[:80]!r}"


@pytest.mark.parametrize("path", ERROR_NOTEBOOKS, ids=lambda p: p.stem)
def test_error_notebooks_show_what_is_assumed_and_where_the_claim_fails(path: Path) -> None:
    """Each error notebook sets the mechanisms-only pair beside the full model and reads the
    failure region from the findings file, through the shared helpers."""
    headings = [text.splitlines()[0] for text in _markdown(path)]
    assert "## How much is assumed, how much emerges" in headings
    assert "## Where the claim fails" in headings
    code = "\n".join(
        c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"
    )
    for helper in (
        "assumed_and_emergent(",
        "assumed_text(",
        "failure_region(",
        "run_failure_preset(",
    ):
        assert helper in code, f"{path.name} does not call {helper}"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIXERRORS_RESULTS", str(tmp_path / "results"))
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    seconds = time.perf_counter() - start
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    errors = [o for o in outputs if o.output_type == "error"]
    assert not errors, f"{path.name}: {errors[0].ename}: {errors[0].evalue}"
    # Every notebook draws; a figure missing means plots went to a file-only backend.
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, f"{path.name} drew no figure"
    # No run of a notebook is below the sizes where the lessons' mechanisms work.
    small = [
        o.text for o in outputs if o.output_type == "stream" and "SmallLessonWarning" in o.text
    ]
    assert not small, f"{path.name} runs below the lessons' minimum sizes: {small[0]}"
    print(f"{path.name}: {seconds:.1f} s")
