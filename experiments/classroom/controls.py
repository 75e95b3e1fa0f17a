"""The classroom's settings, generated from the parameter declarations.

Every setting's default, bounds and kind come from ``model.params.DECLARATIONS``
and every side's lever values from its regime (``model.REGIMES``), never typed
here, because every parameter is declared once (README.md, Python use): Mesa's
own Epstein example drifted because its app repeated the model's defaults. Its
label, unit and hint come from :mod:`experiments.classroom.labels`. What this
module adds is only what a classroom needs on top: which world parameters to
show, and narrower slider ranges where the declared bound is meant for
research sweeps (ten million residents is a valid model, not a smooth lesson).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from experiments.classroom.info import EXTRA_WORLD
from experiments.classroom.labels import hint, plain_label, value_text
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


@dataclass(frozen=True)
class Setting:
    """One input of the classroom: a slider, a switch or a list.

    Attributes:
        key: The keyword :class:`~experiments.classroom.pair.ClassroomPair`
            takes (``left__tolerance`` for one side's lever, ``shock_rate``
            for the shared world).
        name: The declared parameter.
        side: ``"left"`` or ``"right"`` for a lever of one side, ``None``
            for the world.
        label: What the class reads ("Tolerance").
        hint: One line on what it does (the declaration's meaning).
        kind: ``float``, ``int``, ``bool`` or ``choice``.
        value: The starting value (a regime's lever value or the default).
        low: Slider minimum (numeric kinds).
        high: Slider maximum (numeric kinds).
        step: Slider step (numeric kinds).
        choices: The values of a ``choice``.
    """

    key: str
    name: str
    side: str | None
    label: str
    hint: str
    kind: str
    value: Any
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()

    def text(self, value: Any) -> str:
        """``value`` as the classroom shows it, with its unit ("90 %", "0.05 per week")."""
        return value_text(self.name, value, self.step)


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


def setting_for(
    declaration: Declaration,
    value: Any,
    *,
    key: str,
    side: str | None = None,
    reach: Iterable[float] = (),
) -> Setting:
    """The :class:`Setting` of ``declaration`` starting at ``value``.

    Args:
        declaration: The parameter's single declaration (kind, bounds, meaning).
        value: The starting value (a regime's lever value or the default).
        key: The pair's keyword for it.
        side: The side it belongs to, or ``None`` for the world.
        reach: Other values the slider must be able to show (a preset's),
            widening the classroom range within the declared bounds.
    """
    common = Setting(
        key=key,
        name=declaration.name,
        side=side,
        label=plain_label(declaration.name),
        hint=hint(declaration),
        kind=declaration.kind,
        value=value,
    )
    if declaration.kind == "bool":
        return replace(common, value=bool(value))
    if declaration.kind == "choice":
        return replace(common, choices=tuple(declaration.choices))
    assert declaration.low is not None and declaration.high is not None
    low, high = CLASSROOM_RANGE.get(declaration.name, (declaration.low, declaration.high))
    low, high = max(low, declaration.low), min(high, declaration.high)
    wanted = [float(value), *(float(x) for x in reach)]
    low, high = min(low, *wanted), max(high, *wanted)
    integer = declaration.kind == "int"
    step = _nice_step(high - low, integer, float(value))
    if integer:
        return replace(common, value=int(value), low=int(low), high=int(high), step=int(step))
    return replace(common, value=float(value), low=float(low), high=float(high), step=step)


def lever_settings(choice: PairChoice) -> list[Setting]:
    """A setting per side for each lever of the pair, starting at that side's regime value."""
    settings = []
    for side in SIDES:
        levers = REGIMES[choice.regime_of(side)].resolve()
        for lever in choice.levers:
            settings.append(
                setting_for(
                    DECLARATIONS[lever],
                    getattr(levers, lever),
                    key=f"{side}{SEPARATOR}{lever}",
                    side=side,
                )
            )
    return settings


def world_settings(choice: PairChoice, preset: Mapping[str, Any] | None = None) -> list[Setting]:
    """The shared world's settings: the main ones, the error's extras and the preset's.

    Args:
        choice: The pair shown.
        preset: World-parameter values a "Try this" button sets: each gets a
            slider that can reach its value, so the class sees what it sets.
    """
    preset = dict(preset or {})
    extra = EXTRA_WORLD.get(choice.error, ()) if choice.error is not None else ()
    names = list(dict.fromkeys((*MAIN_WORLD, *extra, *preset)))
    return [
        setting_for(
            DECLARATIONS[n],
            DECLARATIONS[n].default,
            key=n,
            reach=[preset[n]] if n in preset and not isinstance(preset[n], bool | str) else [],
        )
        for n in names
    ]


def settings_for(choice: PairChoice, preset: Mapping[str, Any] | None = None) -> list[Setting]:
    """Every setting of a pair: both sides' levers, then the world (see :func:`world_settings`)."""
    return [*lever_settings(choice), *world_settings(choice, preset)]


def starting_values(
    choice: PairChoice, settings: Sequence[Setting], seed: int = DEFAULT_SEED
) -> dict[str, Any]:
    """The keyword arguments a fresh pair is built with: the pair, the seed and every setting."""
    fixed: dict[str, Any] = {
        "left": choice.left,
        "right": choice.right,
        "error": choice.error,
        "seed": str(seed),
    }
    return fixed | {s.key: s.value for s in settings}


def pending(values: Mapping[str, Any], running: Mapping[str, Any]) -> list[str]:
    """Keys whose value differs from the running pair's: they apply on Reset."""
    return [k for k, v in values.items() if running.get(k) != v]
