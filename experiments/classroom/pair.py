"""Two models side by side: an error and its remedy, from the same seed.

The classroom shows the article's contrasts as two runs of the same city:
both sides are built from one seed, so they start from the same residents,
the same network and the same random shocks, and differ only in the levers
of the chosen pair (ODD.md section 7 keeps draw counts independent of the
levers where comparisons need common random numbers). Stepping them
together in one :class:`ClassroomPair` lets Mesa's SolaraViz controller
(play, pause, step, reset) drive both at once.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import mesa

from model import ERRORS, REGIMES, SocialManagementModel
from model.params import DECLARATIONS, LEVER_NAMES

SIDES = ("left", "right")
SEPARATOR = "__"
"""Side lever settings travel as flat keywords ``left__tolerance=0.2``."""

DEFAULT_SEED = 42
DEFAULT_RESIDENTS = 2000


@dataclass(frozen=True)
class PairChoice:
    """What the class compares: one of the six errors, or any two regimes.

    Attributes:
        left: Regime on the left (the error, for an error pair).
        right: Regime on the right (the remedy, for an error pair).
        error: The error's number (1-6), or ``None`` for two free regimes.
    """

    left: str
    right: str
    error: int | None = None

    @classmethod
    def of_error(cls, number: int) -> PairChoice:
        """The pair for error ``number``: its error regime and its remedy."""
        pair = ERRORS[number]
        return cls(pair.error_regime, pair.remedy_regime, number)

    @property
    def levers(self) -> tuple[str, ...]:
        """The levers in which the two sides differ: those get a slider per side.

        For an error pair these are the levers the article's error is about
        (``ERRORS[k].levers``); for two free regimes, every lever whose
        resolved value differs.
        """
        if self.error is not None:
            return ERRORS[self.error].levers
        left = REGIMES[self.left].resolve()
        right = REGIMES[self.right].resolve()
        return tuple(n for n in LEVER_NAMES if getattr(left, n) != getattr(right, n))

    def side_labels(self) -> tuple[str, str]:
        """Headings of the two columns ("Error"/"Remedy", or the regime names)."""
        if self.error is not None:
            return ("The error", "The remedy")
        return ("Left", "Right")

    def regime_of(self, side: str) -> str:
        """The regime name on ``side`` (``"left"`` or ``"right"``)."""
        return self.left if side == "left" else self.right


def parse_seed(value: Any) -> int:
    """A seed from what the seed box holds.

    Whole numbers are used as they are; any other text (a pupil may type a
    word) is turned into a number reproducibly, so the box never fails.
    """
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return abs(value)
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return abs(int(text))
    return zlib.crc32(text.encode("utf-8"))


def split_settings(settings: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Split flat keywords into world parameters and per-side lever settings.

    ``left__tolerance`` goes to the left side only; a plain parameter name
    applies to both sides (the world is shared).

    Raises:
        ParameterError: An unknown name (the model's own check, with the
            closest valid name).
    """
    world: dict[str, Any] = {}
    sides: dict[str, dict[str, Any]] = {side: {} for side in SIDES}
    for name, value in settings.items():
        side, sep, lever = name.partition(SEPARATOR)
        if sep and side in sides:
            sides[side][lever] = value
        else:
            world[name] = value
    return world, sides


class ClassroomPair(mesa.Model):  # type: ignore[misc]
    """Two :class:`~model.SocialManagementModel` runs stepping together.

    Args:
        left: Regime of the left side.
        right: Regime of the right side.
        error: Number of the error pair shown (``None`` for two free regimes).
        seed: Seed of both sides (text from the seed box is accepted).
        n_residents: Residents in the city (both sides).
        scenario: Ignored; Mesa's Reset sends one (see the code).
        **settings: World parameters (both sides) and ``left__NAME`` /
            ``right__NAME`` lever settings (one side).
    """

    def __init__(
        self,
        left: str = "rigid_suppression",
        right: str = "safety_valve",
        error: int | None = 1,
        seed: Any = DEFAULT_SEED,
        n_residents: int = DEFAULT_RESIDENTS,
        scenario: Any = None,
        **settings: Any,
    ) -> None:
        # Mesa's Reset passes a default ``scenario`` (its defaults, rng None) to
        # any model that takes keywords; the seed box alone sets randomness here.
        del scenario
        # Every keyword the pair was built from: the page compares its sliders
        # with these to say which changes still wait for Reset.
        self.inputs: dict[str, Any] = {
            "left": left,
            "right": right,
            "error": error,
            "seed": seed,
            "n_residents": n_residents,
            **settings,
        }
        self.seed_value = parse_seed(seed)
        super().__init__(rng=self.seed_value)
        self.choice = PairChoice(left, right, error)
        world, levers = split_settings(settings)
        self.settings = dict(settings)
        self.sides: tuple[SocialManagementModel, SocialManagementModel] = (
            SocialManagementModel(
                left, int(n_residents), rng=self.seed_value, **world, **levers["left"]
            ),
            SocialManagementModel(
                right, int(n_residents), rng=self.seed_value, **world, **levers["right"]
            ),
        )

    def step(self) -> None:
        """Advance both sides by one week."""
        for side in self.sides:
            side.step()


def world_parameter_names() -> tuple[str, ...]:
    """Every world (non-lever) parameter name, for checks and tests."""
    return tuple(n for n, d in DECLARATIONS.items() if not d.is_lever)
