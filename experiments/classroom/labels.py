"""Plain words for the classroom: slider labels, units and values, from the declarations.

A teacher on a projector should read "Initial trust 60 %", not
``initial_legitimacy 0.6``. Everything here comes from the single
declaration of each parameter (``model.params.DECLARATIONS``): the label
is its ``label`` (a few plain words written beside its meaning), the hint
its ``meaning``, the unit its ``unit``; a parameter cannot be declared
without a label, so every slider has one. What this module adds is only
how the classroom writes units (a model step is a week, a share is a
percentage).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from model.params import DECLARATIONS, Declaration

UNITS: Mapping[str, str] = MappingProxyType(
    {
        "1/step": "per week",
        "steps": "weeks",
        "legitimacy": "trust",
        "legitimacy/step": "trust per week",
        "need/step": "budget units per week",
        "need/resident/step": "budget units per resident per week",
        "-": "",
        "switch": "",
        "kind": "",
    }
)
"""Declared units and how the classroom writes them (a model step is a week)."""

PERCENT_UNITS = frozenset({"share", "probability"})
"""Units shown as a percentage: "tolerance 90 %" reads as a chance."""


def plain_label(name: str) -> str:
    """The slider label of parameter ``name``: its declared ``label``."""
    return DECLARATIONS[name].label


def plain_unit(declaration: Declaration) -> str:
    """The unit the classroom writes after a value ("%" for shares and chances)."""
    if declaration.unit in PERCENT_UNITS:
        return "%"
    unit = UNITS.get(declaration.unit, declaration.unit)
    return unit.replace("/step", " per week").replace("steps", "weeks")


def hint(declaration: Declaration) -> str:
    """One line under the slider saying what it does (the declaration's meaning)."""
    return declaration.meaning


def decimals(step: float) -> int:
    """Digits after the point that show a slider's positions apart."""
    if step <= 0 or float(step).is_integer():
        return 0
    return max(0, -math.floor(math.log10(step) + 1e-9))


def value_text(name: str, value: Any, step: float | None = None) -> str:
    """``value`` of parameter ``name`` as the classroom shows it, with its unit.

    Args:
        name: A declared parameter.
        value: Its value.
        step: The slider's step (sets the digits shown); ``None`` for two
            significant digits.
    """
    declaration = DECLARATIONS[name]
    if declaration.kind == "bool":
        return "on" if value else "off"
    if declaration.kind == "choice":
        return str(value).replace("_", " ")
    unit = plain_unit(declaration)
    number = float(value)
    if unit == "%":
        digits = max(0, decimals(step) - 2) if step else 0
        return f"{100 * number:.{digits}f} %"
    if declaration.kind == "int":
        text = f"{int(number):,}"
    elif step is not None:
        text = f"{number:.{decimals(step)}f}"
    else:
        text = f"{number:.2g}"
    return f"{text} {unit}".strip()


def regime_text(name: str) -> str:
    """A regime's name as a class reads it (``rigid_suppression`` -> "rigid suppression")."""
    return name.replace("_", " ")


def labelled(mapping: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value text) of each parameter in ``mapping``, e.g. a preset's overrides."""
    return [(plain_label(name), value_text(name, value)) for name, value in mapping.items()]
