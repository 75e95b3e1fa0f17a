"""The code that runs is the code that is read: every process function is on the run path.

A model is run with numba switched off (``NUMBA_DISABLE_JIT=1``, in a
separate process), so that every compiled function runs as the Python
function it is written as and a profiler sees each call. Then:

- every function defined in ``model/submodels/`` must have been called;
- every other function of ``model/`` must have been called too, or be part
  of the public API or of a documented tool (listed below with the reason);
- every process function that ODD.md section 3 names must exist and run.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "model"

RUNS = """
import json, sys, warnings
warnings.simplefilter("ignore")
called = set()
def profile(frame, event, arg):
    if event == "call":
        code = frame.f_code
        called.add((code.co_filename, code.co_name))
sys.setprofile(profile)
from model import SocialManagementModel
worlds = [
    ("grid_control", dict(cadre_incentive="stability_veto")),
    ("service_grid", dict(cadre_incentive="satisfaction")),
    ("open_to_organizations", dict(org_founding_rate=0.2, org_founding_grievance=0.0,
                                   org_openness=1.0, org_closure_rate=1.0, rights=0.0,
                                   org_drift_rate=0.5)),
    ("rigid_suppression", dict(grievance_mode="epstein", arrest_rule="floor")),
]
for regime, overrides in worlds:
    m = SocialManagementModel(regime, n_residents=1000, rng=1, inflow_rate=0.5, check=True,
                              **overrides)
    m.run_for(6)
sys.setprofile(None)
json.dump(sorted(called), sys.stdout)
"""

NOT_ON_THE_RUN_PATH = {
    # The reference modes and their helpers run in their own tests.
    "epstein.py": "the Epstein reference mode (public API: model.CivilViolence)",
    "cascades.py": "the threshold-cascade reference mode (public API)",
    # Network builders the default run does not choose, and conversions.
    "network.py": "network builders and networkx conversions (public API: build_network)",
    "jit.py": "compilation helpers (run at import, before any profile)",
    "params.py": "declarations, validation and records (run at import and in set-up)",
    "regimes.py": "regime look-up (public API)",
    "draws.py": "counter-based draws (also used by tests and tools)",
    "types.py": "type helpers",
}
"""Files of ``model/`` outside ``submodels/`` whose unused functions are allowed, and why."""

FUNCTIONS_OUTSIDE_THE_RUN = {
    ("model.py", "run_model"): "public API (model.run_model)",
    ("model.py", "simulate"): "public API (model.simulate)",
    ("model.py", "outcome_values"): "public API, used by experiments.tasks",
    ("model.py", "outcome_table"): "public API, used by experiments",
    ("model.py", "parameters"): "public API (every parameter in force)",
    (
        "model.py",
        "_read_outcome",
    ): "the reporters Mesa's DataCollector requires (its collect calls them)",
    ("outcomes.py", "_binned_gini"): "the Gini above 65,536 residents",
}


def defined_functions(path: Path) -> set[str]:
    """Names of the functions and methods defined in a source file."""
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


@pytest.fixture(scope="module")
def called() -> set[tuple[str, str]]:
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    result = subprocess.run(
        [sys.executable, "-c", RUNS], capture_output=True, text=True, env=env, cwd=ROOT,
        check=True, timeout=600,
    )  # fmt: skip
    return {(Path(f).name if "/submodels/" not in f else "submodels/" + Path(f).name, name)
            for f, name in json.loads(result.stdout)}  # fmt: skip


def test_every_function_in_submodels_runs(called):
    missing = []
    for path in sorted((MODEL / "submodels").glob("*.py")):
        for name in defined_functions(path):
            if ("submodels/" + path.name, name) not in called:
                missing.append(f"{path.name}: {name}")
    assert not missing, f"not on the run path: {missing}"


def test_every_other_model_function_runs_or_serves_a_documented_use(called):
    missing = []
    for path in sorted(MODEL.glob("*.py")):
        if path.name in NOT_ON_THE_RUN_PATH or path.name == "__init__.py":
            continue
        for name in defined_functions(path):
            key = (path.name, name)
            if key not in called and key not in FUNCTIONS_OUTSIDE_THE_RUN:
                missing.append(f"{path.name}: {name}")
    assert not missing, f"neither run nor documented as public: {missing}"


def odd_section_3() -> str:
    text = (ROOT / "ODD.md").read_text()
    start = text.index("## 3. Process overview and scheduling")
    return text[start : text.index("\n## 4.", start)]


def test_odd_names_the_functions_that_run(called):
    named = set(re.findall(r"`(\w+)\.(\w+)`", odd_section_3()))
    submodels = {p.stem for p in (MODEL / "submodels").glob("*.py")}
    processes = {(module, name) for module, name in named if module in submodels}
    assert len(processes) >= 12, processes
    for module, name in sorted(processes):
        assert name in defined_functions(MODEL / "submodels" / f"{module}.py"), (module, name)
        assert ("submodels/" + module + ".py", name) in called, (module, name)
