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

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

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
    print(f"{path.name}: {seconds:.1f} s")
