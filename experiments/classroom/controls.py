"""The classroom's inputs, generated from the parameter declarations.

Every slider's default, bounds and kind come from ``model.params.DECLARATIONS``
and every side's lever values from its regime (``model.REGIMES``), never typed
here (ARCHITECTURE.md principle 1: Mesa's own Epstein example drifted because
its app repeated the model's defaults). What this module adds is only what a
classroom needs on top: which world parameters to show, and narrower slider
ranges where the declared bound is meant for research sweeps (ten million
residents is a valid model, not a smooth lesson).
"""

from __future__ import annotations

import math
from typing import Any

from experiments.classroom.info import EXTRA_WORLD
from experiments.classroom.pair import (
    DEFAULT_SEED,
    SEPARATOR,
    SIDES,
    PairChoice,
)
from model import REGIMES
from model.params import DECLARATIONS, Declaration

MAIN_WORLD: tuple[str, ...] = (
    "n_residents",
    "initial_legitimacy",
    "mean_degree",
    "inflow_rate",
    "protest_threshold",
    "contagion",
    "shock_rate",
)
"""World parameters shown as sliders (the rest keep their declared defaults)."""

CLASSROOM_RANGE: dict[str, tuple[float, float]] = {
    "n_residents": (100, 5000),
    "mean_degree": (2, 30),
    "grid_cell_households": (0, 400),
    "shock_rate": (0.0, 0.1),
    "inflow_rate": (0.0, 0.3),
    "grid_staff_cost": (0.0, 1.0),
}
"""Slider ranges narrower than the declared bounds, for a responsive lesson."""


def _nice_step(span: float, integer: bool, value: float) -> float:
    """A round slider step: about a hundred positions over ``span``, landing on ``value``.

    The step is refined (1, 2, 5 x 10^k) until the starting value is one of
    the slider's positions, so a regime's lever value is shown exactly.
    """
    raw = span / 100.0
    if raw <= 0:
        return 1.0
    exponent = math.floor(math.log10(raw))
    step = min(m * 10.0**exponent for m in (1, 2, 5, 10) if m * 10.0**exponent >= raw)
    finer = [m * 10.0**e for e in range(exponent, exponent - 4, -1) for m in (5, 2, 1)]
    candidates = [step, *finer]
    for candidate in candidates:
        if candidate <= step and abs(value / candidate - round(value / candidate)) < 1e-9:
            step = candidate
            break
    return float(max(1, round(step))) if integer else float(f"{step:.10g}")


def input_for(declaration: Declaration, value: Any, label: str) -> dict[str, Any]:
    """Mesa's user-parameter description of one input for ``declaration``.

    Args:
        declaration: The parameter's single declaration (kind, bounds).
        value: The input's starting value (a regime's lever value or the default).
        label: What the pupil reads next to the input.
    """
    if declaration.kind == "bool":
        return {"type": "Checkbox", "value": bool(value), "label": label}
    if declaration.kind == "choice":
        return {
            "type": "Select", "value": value, "values": list(declaration.choices), "label": label,
        }
    assert declaration.low is not None and declaration.high is not None
    low, high = CLASSROOM_RANGE.get(declaration.name, (declaration.low, declaration.high))
    low, high = max(low, declaration.low), min(high, declaration.high)
    integer = declaration.kind == "int"
    step = _nice_step(high - low, integer, float(value))
    if integer:
        return {
            "type": "SliderInt", "value": int(value), "min": int(low), "max": int(high),
            "step": int(step), "label": label,
        }
    return {
        "type": "SliderFloat", "value": float(value), "min": float(low), "max": float(high),
        "step": step, "label": label,
    }


def model_params(choice: PairChoice, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """Mesa ``model_params`` for :class:`~experiments.classroom.pair.ClassroomPair`.

    The pair itself (regimes, error number) is fixed for a given choice;
    the user inputs are the seed box, a slider per side for each lever of
    the pair (starting at that side's regime value) and the main world
    parameters, plus those the error's Info tab suggests trying (starting at
    their declared defaults).
    """
    params: dict[str, Any] = {
        "left": choice.left,
        "right": choice.right,
        "error": choice.error,
        "seed": {"type": "InputText", "value": str(seed), "label": "Seed"},
    }
    labels = dict(zip(SIDES, choice.side_labels(), strict=True))
    for side in SIDES:
        levers = REGIMES[choice.regime_of(side)].resolve()
        for lever in choice.levers:
            params[f"{side}{SEPARATOR}{lever}"] = input_for(
                DECLARATIONS[lever], getattr(levers, lever), f"{labels[side]}: {lever}"
            )
    extra = EXTRA_WORLD.get(choice.error, ()) if choice.error is not None else ()
    for name in (*MAIN_WORLD, *extra):
        declaration = DECLARATIONS[name]
        params[name] = input_for(declaration, declaration.default, name)
    return params


def initial_values(params: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments a fresh pair is built with: fixed values and input values."""
    return {k: (v["value"] if isinstance(v, dict) else v) for k, v in params.items()}
