"""The code that runs is the code that is read: every function of ``model/`` is on the run path.

The model, its reference modes and its public API are run with numba
switched off (``NUMBA_DISABLE_JIT=1``, in a separate process), so that every
compiled function runs as the Python function it is written as and a
profiler sees each call, from the import of ``model`` on. Then:

- every function and method defined anywhere in ``model/`` must have been
  called, or be named in :data:`FUNCTIONS_OUTSIDE_THE_RUN` with the reason
  it cannot be; a new function that nothing calls fails the test;
- every function that ODD.md section 3 names must exist and be called during
  a model step (set-up does not count), and the numbered list must name the
  processes in the order in which a step first calls them.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "model"

RUNS = r"""
import json, sys, warnings
from pathlib import Path

warnings.simplefilter("ignore")
PACKAGE = str(Path("model").resolve()) + "/"
called = {"setup": set(), "step": set()}
during = called["setup"]
order = {}  # the functions a recorded step calls, in the order of their first call
recording = False


def profile(frame, event, arg):
    if event == "call" and frame.f_code.co_filename.startswith(PACKAGE):
        key = (frame.f_code.co_filename[len(PACKAGE):], frame.f_code.co_qualname)
        during.add(key)
        if recording:
            order.setdefault(key, len(order))


def stepping(steps, model, record=False):
    # Calls made while a model steps count as "step"; everything else as "setup".
    global during, recording
    during, recording = called["step"], record
    model.run_for(steps)
    during, recording = called["setup"], False


sys.setprofile(profile)  # before the import: declarations and decorators run there
import networkx as nx
import numpy as np
from model import (CivilViolence, SocialManagementModel, ThresholdCascade, hypothesis_off,
                   mechanisms_only, simulate, to_networkx)
from model.cascades import cascade_window, granovetter_thresholds
from model.network import build_network
from model.params import ParameterError
from model.outcomes import GINI_BINS, gini

# The model in worlds that reach every branch of the processes.
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
    stepping(6, m)
# One step in which every process of ODD.md section 3 runs, its order recorded.
m = SocialManagementModel("open_to_organizations", n_residents=1000, rng=1, inflow_rate=0.5,
                          org_founding_rate=0.2, org_founding_grievance=0.0,
                          cadre_incentive="satisfaction")
stepping(2, m)
stepping(1, m, record=True)
# The public API: one call, the outcome tables, parameters in force,
# switched-off hypotheses, every network builder, networkx in and out.
simulate("baseline", steps=1, n_residents=200, seed=1, **hypothesis_off("voice"))
m = SocialManagementModel("baseline", n_residents=200, rng=1, **mechanisms_only())
stepping(1, m)
m.outcome_values(), m.outcome_table(), m.parameters
for network in ("watts_strogatz", "barabasi_albert", "erdos_renyi"):
    SocialManagementModel(n_residents=300, rng=1, network=network)
SocialManagementModel(n_residents=8, rng=1, network="watts_strogatz")  # a complete graph
# The public builder with every resident at one spot (the k-d tree's fallback).
build_network("spatial_small_world", 300, mean_degree=10, long_range_share=0.05,
              position=np.zeros((300, 2)), rng=np.random.default_rng(1))
try:  # a misspelled name is refused with the closest valid one
    SocialManagementModel(tolerence=0.5)
except ParameterError:
    pass
to_networkx(SocialManagementModel(graph=nx.karate_club_graph(), rng=1).adjacency)
# What the week computes for the Gini of grievance in a city above GINI_BINS residents.
gini(np.random.default_rng(1).random(GINI_BINS + 1))
# The Epstein reference mode: every preset, with legitimacy and cops that
# change over time (what notebook 09 and the validation battery run).
for preset in ("mesa", "netlogo", "epstein"):
    cv = CivilViolence.preset(preset, width=12, height=12, rng=1, legitimacy=lambda t: 0.4,
                              n_cops=lambda t: 4 + 2 * (t % 2))
    cv.run(4)
    cv.outbursts(), cv.series(), cv.n_cops
# A lattice too crowded for random draws to find an empty cell in view.
CivilViolence(width=6, height=6, citizen_density=0.95, cop_density=0.05, rng=1).run(2)
# The threshold-cascade reference mode (the validation battery's P5).
ThresholdCascade.crowd(granovetter_thresholds(20, perturbed=True)).run([0])
cascade_window(60, [2, 4], 0.18, trials=2, seed=1)
sys.setprofile(None)
json.dump({"setup": sorted(called["setup"]), "step": sorted(called["step"]),
           "order": sorted(order, key=order.get)}, sys.stdout)
"""

FUNCTIONS_OUTSIDE_THE_RUN = {
    ("model.py", "_read_outcome"): (
        "the reporters Mesa's DataCollector is built with, one per outcome column; "
        "OutcomeCollector.collect reads model.outcomes without calling them"
    ),
}
"""Functions of ``model/`` that the profiled runs cannot reach, and why each is kept."""


def defined_functions(path: Path) -> set[str]:
    """Qualified names (as in ``co_qualname``) of the functions and methods of a source file."""
    names: set[str] = set()

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(prefix + child.name)
                visit(child, prefix + child.name + ".<locals>.")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(path.read_text(encoding="utf-8")), "")
    return names


def model_functions() -> set[Function]:
    """Every function of ``model/``, as (path relative to ``model/``, qualified name)."""
    return {
        (path.relative_to(MODEL).as_posix(), name)
        for path in sorted(MODEL.rglob("*.py"))
        for name in defined_functions(path)
    }


Function = tuple[str, str]
"""A function of ``model/``: its file relative to ``model/`` and its qualified name."""


class Calls(NamedTuple):
    """What the profiled runs called.

    Attributes:
        outside_steps: Functions called outside any model step (imports,
            set-up, the public API, the reference modes).
        in_steps: Functions called while a model stepped.
        recorded_step: The functions one recorded step called, in the order
            of their first call.
    """

    outside_steps: set[Function]
    in_steps: set[Function]
    recorded_step: list[Function]

    @property
    def anywhere(self) -> set[Function]:
        """Every function called at all."""
        return self.outside_steps | self.in_steps


@pytest.fixture(scope="module")
def calls() -> Calls:
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    result = subprocess.run(
        [sys.executable, "-c", RUNS], capture_output=True, text=True, env=env, cwd=ROOT,
        check=False, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    recorded = json.loads(result.stdout)
    return Calls(
        {(file, name) for file, name in recorded["setup"]},
        {(file, name) for file, name in recorded["step"]},
        [(file, name) for file, name in recorded["order"]],
    )


def test_every_model_function_runs_or_has_a_named_reason(calls: Calls) -> None:
    missing = sorted(model_functions() - calls.anywhere - set(FUNCTIONS_OUTSIDE_THE_RUN))
    assert not missing, f"not on the run path, nor named with a reason: {missing}"


def test_every_named_exception_exists_and_does_not_run(calls: Calls) -> None:
    for key in FUNCTIONS_OUTSIDE_THE_RUN:
        assert key in model_functions(), f"{key} is no longer defined: drop it from the list"
        assert key not in calls.anywhere, f"{key} runs now: drop it from the list"
        assert not key[0].startswith("submodels/"), f"{key}: every process function must run"


def odd_section_3() -> str:
    text = (ROOT / "ODD.md").read_text(encoding="utf-8")
    start = text.index("## 3. Process overview and scheduling")
    return text[start : text.index("\n## 4.", start)]


def odd_process_list() -> str:
    """The numbered list of processes, 0 to the last, of ODD.md section 3."""
    section = odd_section_3()
    start = section.index("\n0. ")
    end = section.index("\n\n", start + 1)
    return section[start:end]


def class_homes() -> dict[str, str]:
    """Each class defined in ``model/``, with its file relative to ``model/``."""
    homes = {}
    for path in sorted(MODEL.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                homes[node.name] = path.relative_to(MODEL).as_posix()
    return homes


def resolve(dotted: str) -> Function:
    """The (file, qualified name) of a function ODD.md names.

    ``module.function`` is a module of ``model/submodels/`` or of ``model/``;
    ``model.module.function`` the same, written in full; ``Class.method`` a
    method of a class defined in ``model/``.
    """
    parts = dotted.split(".")
    if parts[0] == "model" and len(parts) > 2:
        parts = parts[1:]
    head, name = ".".join(parts[:-1]), parts[-1]
    for file in (f"submodels/{head}.py", f"{head.replace('.', '/')}.py"):
        if (MODEL / file).is_file():
            return file, name
    if head in class_homes():
        return class_homes()[head], f"{head}.{name}"
    raise AssertionError(f"ODD.md section 3 names `{dotted}`, which is not in model/")


def named_in(text: str) -> list[Function]:
    """The functions a piece of ODD.md names, in order of first mention, resolved."""
    seen: dict[Function, None] = {}
    for dotted in re.findall(r"`(\w+(?:\.\w+)+)`", text):
        seen.setdefault(resolve(dotted))
    return list(seen)


def test_odd_names_the_functions_that_run(calls: Calls) -> None:
    named = named_in(odd_section_3())
    assert len(named) >= 30, named
    for file, name in named:
        assert name in defined_functions(MODEL / file), (file, name)
        assert (file, name) in calls.in_steps, f"{file}: {name} is not called during a step"


def test_odd_lists_the_processes_in_the_order_a_step_calls_them(calls: Calls) -> None:
    listed = named_in(odd_process_list())
    first_call = {key: position for position, key in enumerate(calls.recorded_step)}
    missing = [key for key in listed if key not in first_call]
    assert not missing, f"not called in the recorded step: {missing}"
    in_order_of_calls = sorted(listed, key=first_call.__getitem__)
    assert listed == in_order_of_calls, (
        f"ODD.md lists {[name for _, name in listed]}, "
        f"but a step first calls them in the order {[name for _, name in in_order_of_calls]}"
    )


def test_a_name_odd_gets_wrong_is_caught() -> None:
    assert resolve("outcomes.tally_residents") == ("outcomes.py", "tally_residents")
    assert resolve("Cadre.adapt") == ("cadres.py", "Cadre.adapt")
    assert resolve("model.schedule.week") == ("schedule.py", "week")
    with pytest.raises(AssertionError, match="not in model/"):
        resolve("scheduling.week")
