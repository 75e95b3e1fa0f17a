"""What a validation check is, and the registry that the battery runs.

Pattern-oriented modelling (Grimm et al. 2005, *Science* 310: 987-991) tests a
model against several patterns at once, each with a stated tolerance, rather
than fitting one number. Here each pattern is one or more named checks: a
function that runs what it needs at the size it is given (``reduced`` for
the test suite, full by default) and returns a :class:`CheckResult` saying
what it measured, against which target and tolerance, and whether that
passes. A check declares its source, so every printed line says where its
target comes from.

To add a check, write a function in a theme module of this package and
decorate it with :func:`check`; then list the module in
:data:`experiments.validation.battery.THEMES`::

    @check("incident_growth", pattern="E1", title="Yearly incidents grow",
           source="Tong & Lei (2010); Sun Liping (2011)")
    def incident_growth(context: CheckContext) -> CheckResult:
        ...

A *negative control* is a check of its own that runs a world where the
mechanism behind a pattern is switched off and passes when the pattern is
absent there: it shows that the measurement can come out the other way, so
that a pass of the pattern's check means something. It names the check it
controls (``controls=``) and has "control" in its name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from experiments.intervals import CONFIDENCE
from model.params import DECLARATIONS

T = TypeVar("T")


@dataclass(frozen=True)
class CheckContext:
    """What a check may know about the battery run it is part of.

    Attributes:
        reduced: Run at the test suite's size (seconds), not the full one.
        seed: Root seed of the battery; a check derives all its randomness
            from it, so a battery run is reproducible from one number.
        figures: Folder where the check saves its PNG figures.
        world: World parameters every run of every check starts from
            (``sixerrors validate --set``); a check's own settings win, and
            a setting derived from a parameter derives from its value here
            (:meth:`world_value`).
    """

    reduced: bool
    seed: int
    figures: Path
    world: Mapping[str, Any] = field(default_factory=dict)

    def size(self, reduced: T, full: T) -> T:
        """``reduced`` in a reduced battery, else ``full``: one line per size setting."""
        return reduced if self.reduced else full

    def world_value(self, name: str) -> float:
        """A world parameter's value in this battery: what ``--set`` gave it, else its default.

        Why: a check that derives a setting from a parameter (twice the
        inflow, a tenth of the capacity) must derive it from the world it
        runs in; from the declared default, a ``--set`` of that parameter
        would be silently overridden by the check's own setting.
        """
        return float(self.world.get(name, DECLARATIONS[name].default))

    def figure_path(self, name: str) -> Path:
        """``figures/<name>.png`` in the battery's results folder."""
        return self.figures / f"{name}.png"


@dataclass(frozen=True)
class CheckResult:
    """What one check found.

    Attributes:
        measured: The measured figure as printed, with its unit.
        target: The target and its tolerance as printed.
        passed: Whether the measured figure is within the tolerance.
        value: The headline number, for the battery's table (NaN if the
            check's figure is not one number).
        details: A table of everything behind the figure, saved next to the
            battery's table as ``summaries/<check>``.
        interval: A confidence interval of ``value`` (how far the check's
            seeds leave it uncertain), where the check computes one.
        accepted: The range of ``value`` the target accepts, where the
            verdict is that ``value`` lies in it.
    """

    measured: str
    target: str
    passed: bool
    value: float = float("nan")
    details: pd.DataFrame = field(default_factory=pd.DataFrame)
    interval: tuple[float, float] | None = None
    accepted: tuple[float, float] | None = None

    @property
    def settled(self) -> bool | None:
        """Whether the verdict holds over the whole interval (None: no interval to say).

        A pass is settled when the interval lies inside the accepted range, a
        failure when it lies wholly outside it. An unsettled verdict is one
        that other seeds could turn: the check's cities do not decide it.
        """
        if self.interval is None or self.accepted is None:
            return None
        low, high = self.interval
        bottom, top = self.accepted
        if self.passed:
            return bottom <= low and high <= top
        return high < bottom or low > top


def interval_words(low: float, high: float, *, over: str, spec: str) -> str:
    """How a check states its interval, e.g. '95% bootstrap interval over cities 4% to 55%'.

    One wording for every check; ``spec`` formats both bounds as the check
    formats its figure, ``over`` says what was resampled.
    """
    return f"{CONFIDENCE:.0%} bootstrap interval over {over} {low:{spec}} to {high:{spec}}"


@dataclass(frozen=True)
class Check:
    """A named check of the battery.

    Attributes:
        name: Unique name (what ``sixerrors validate --check`` takes).
        pattern: The pattern it belongs to (ODD.md patterns, e.g. ``P5``).
        title: One line saying what is checked.
        source: Where the target comes from (a citation).
        run: The function that measures and judges.
        controls: For a negative control, the check whose pattern it shows
            absent where its mechanism is switched off; ``None`` otherwise.
    """

    name: str
    pattern: str
    title: str
    source: str
    run: Callable[[CheckContext], CheckResult]
    controls: str | None = None

    @property
    def is_control(self) -> bool:
        """Whether this is a negative control (it passes when a pattern is absent)."""
        return self.controls is not None


REGISTRY: dict[str, Check] = {}
"""Every registered check by name, in registration order."""


def check(
    name: str,
    *,
    pattern: str,
    title: str,
    source: str,
    controls: str | None = None,
) -> Callable[[Callable[[CheckContext], CheckResult]], Callable[[CheckContext], CheckResult]]:
    """Register the decorated function as the check ``name``.

    Args:
        name: Unique name of the check.
        pattern: The pattern it belongs to.
        title: One line saying what is checked.
        source: Where the target comes from.
        controls: For a negative control, the name of the check it controls
            (which may be registered later, in another theme module).

    Raises:
        ValueError: ``name`` is already registered (two checks would share
            one row and one table), or a negative control lacks "control"
            in its name (the name is how a reader of a table tells one).
    """

    def register(
        function: Callable[[CheckContext], CheckResult],
    ) -> Callable[[CheckContext], CheckResult]:
        if name in REGISTRY:
            raise ValueError(f"check '{name}' is registered twice; give each check its own name")
        if controls is not None and "control" not in name:
            raise ValueError(f"negative control '{name}' must have 'control' in its name")
        REGISTRY[name] = Check(name, pattern, title, source, function, controls)
        return function

    return register
