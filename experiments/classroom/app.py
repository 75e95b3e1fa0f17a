# Solara re-exports its API implicitly and leaves components untyped; strict mypy
# would flag every use, so those two checks are off in this module only.
# mypy: disable-error-code="attr-defined,no-untyped-call"
"""The classroom app: an error and its remedy side by side, in the browser.

``sixerrors classroom`` calls :func:`serve`, which serves :func:`Page` with
Solara on 127.0.0.1:8765 by default. Play, pause, step and reset are Mesa's
own ``ModelController`` (the controller of ``SolaraViz``); the page around it
is ours, because a projector in a classroom needs what SolaraViz's layout does
not give: a settings column that is always there (SolaraViz's sidebar turns
into an overlay below 1280 pixels and hides with no visible way back), both
sides and their charts on one screen at 1024x768, no internal controls
(play interval, render interval, threads) but one "Speed" a teacher
understands, and every value on screen with its unit. The model it drives is
a :class:`~experiments.classroom.pair.ClassroomPair`, two runs from the same
seed stepping together.

Settings apply on Reset (a running city keeps the settings it was built
with); the page says so, marks each changed setting and lists what waits.
Each error may have a "Try this" preset, read from
:mod:`experiments.classroom.findings`, which sets world parameters where the
article's claim fails and resets.

Offline: Solara serves its front end from the installed ``solara-assets``
(through its local ``/_solara/cdn`` route), and every picture here is an
image drawn on the server, so no part of the page needs the internet.
``tests/test_classroom_browser.py`` checks this in a headless chromium that
records every request.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import warnings
from collections.abc import Callable
from functools import cache
from typing import Any

import solara
import uvicorn
from mesa.visualization.solara_viz import ModelController
from solara.server import settings as server_settings

from experiments.classroom.address import AddressError, check_address
from experiments.classroom.controls import settings_for, starting_values
from experiments.classroom.findings import Findings, FindingsError, load_findings
from experiments.classroom.info import PANELS, free_pair_panel
from experiments.classroom.pair import ClassroomPair, PairChoice
from experiments.classroom.views import (
    CSS,
    InfoTab,
    PendingNote,
    PresetButtons,
    SettingsPanel,
    SidePanel,
    WeekCounter,
)
from model import ERRORS, REGIMES

TITLE = "Six errors of social management"
FREE = "free"
"""Key of the chooser entry for two regimes of the class's choice."""

SPEEDS: dict[str, int] = {"slow": 700, "normal": 150, "fast": 1}
"""What the teacher picks under "Speed", and the pause between weeks in ms
(Mesa's "Play Interval"); a week takes about 0.1-0.4 s to compute and draw."""

DEFAULT_SPEED = "normal"


@cache
def findings() -> Findings:
    """The findings file, read once per server (``serve`` checks it before serving)."""
    return load_findings()


def choice_options() -> dict[str, str]:
    """Chooser entries: key -> what the teacher reads."""
    options = {str(k): f"Error {k}: {e.title}" for k, e in ERRORS.items()}
    options[FREE] = "Any two regimes"
    return options


def resolve_choice(key: str, left: str, right: str) -> PairChoice:
    """The pair a chooser key stands for (``left``/``right`` only for ``free``)."""
    if key == FREE:
        return PairChoice(left, right, None)
    return PairChoice.of_error(int(key))


@solara.component
def Chooser(
    key: str,
    on_key: Callable[[str], None],
    left: str,
    on_left: Callable[[str], None],
    right: str,
    on_right: Callable[[str], None],
) -> Any:
    """What the class compares: one of the six errors, or any two regimes."""
    options = choice_options()
    with solara.Column(gap="0px") as column:
        solara.Select(
            label="Compare",
            value=options[key],
            values=list(options.values()),
            on_value=lambda text: on_key(next(k for k, v in options.items() if v == text)),
        )
        if key == FREE:
            solara.Select(label="Left regime", value=left, values=list(REGIMES), on_value=on_left)
            solara.Select(
                label="Right regime", value=right, values=list(REGIMES), on_value=on_right
            )
    return column


@solara.component
def PairView(choice: PairChoice, chooser: Any) -> Any:
    """The whole working page for one pair: settings column, the two sides, the Info panel.

    Keyed by the choice in :func:`Page`, so choosing another pair mounts a
    fresh view with that pair's settings; within one pair, Reset rebuilds
    the model from the settings' current values.
    """
    known = findings()
    finding = known.of(choice.error)
    preset = dict(finding.preset) if finding is not None else {}
    settings = solara.use_memo(lambda: settings_for(choice, preset), [choice])
    defaults = solara.use_memo(lambda: starting_values(choice, settings), [settings])
    values = solara.use_reactive(defaults)
    first = solara.use_memo(lambda: ClassroomPair(**defaults), [defaults])
    model = solara.use_reactive(first)
    speed = solara.use_reactive(DEFAULT_SPEED)
    interval = solara.use_reactive(SPEEDS[DEFAULT_SPEED])
    # Mesa's controller reads these as reactive values; the page fixes them
    # (a week is drawn at every step, in the server's own thread).
    every_step = solara.use_reactive(1)
    no_threads = solara.use_reactive(False)
    pair: ClassroomPair = model.value

    def rebuild(new: dict[str, Any]) -> None:
        values.set(new)
        model.set(ClassroomPair(**new))

    def set_speed(name: str) -> None:
        speed.set(name)
        interval.set(SPEEDS[name])

    with solara.Row(gap="0px", classes=["sixerrors-layout"]) as layout:
        with solara.Column(gap="2px", classes=["sixerrors-controls"]):
            solara.HTML(tag="div", unsafe_innerHTML=TITLE, classes=["sixerrors-app-title"])
            solara.Column(children=[chooser], gap="0px")
            WeekCounter(pair)
            ModelController(
                model,
                model_parameters=values,
                play_interval=interval,
                render_interval=every_step,
                use_threads=no_threads,
            )
            solara.ToggleButtonsSingle(
                value=speed.value,
                values=list(SPEEDS),
                on_value=set_speed,
                classes=["sixerrors-speed"],
            )
            PendingNote(settings, values.value, pair)
            PresetButtons(
                finding,
                on_preset=lambda: rebuild({**defaults, **preset}),
                on_defaults=lambda: rebuild(dict(defaults)),
            )
            solara.HTML(
                tag="a",
                unsafe_innerHTML="About this comparison ↓",
                attributes={"href": "#sixerrors-info"},
                classes=["sixerrors-link"],
            )
            SettingsPanel(settings, values, pair.inputs, pair)
        with solara.Column(gap="0px", classes=["sixerrors-main"]):
            with solara.Row(gap="14px", classes=["sixerrors-sides"]):
                SidePanel(pair, 0)
                SidePanel(pair, 1)
            panel = (
                PANELS[choice.error]
                if choice.error is not None
                else free_pair_panel(choice.left, choice.right)
            )
            InfoTab(panel, finding, known)
    return layout


@solara.component
def Page() -> Any:
    """The whole app: the pair chooser, then the pair itself."""
    key, set_key = solara.use_state("1")
    left, set_left = solara.use_state("rigid_suppression")
    right, set_right = solara.use_state("safety_valve")
    choice = resolve_choice(key, left, right)
    with solara.Div(classes=["sixerrors-page"]) as page:
        solara.Style(CSS)
        solara.Title(TITLE)
        chooser = Chooser(key, set_key, left, set_left, right, set_right)
        PairView(choice, chooser).key(repr(choice))
    return page


@solara.component
def Layout(children: list[Any] | None = None) -> Any:
    """The page without Solara's default app bar and sidebar: the app lays itself out.

    Solara wraps a page in this module-level ``Layout`` instead of its
    ``AppLayout``, whose navigation drawer is what became an overlay on small
    screens.
    """
    return solara.Div(children=list(children or []), classes=["sixerrors-root"])


def serve(host: str = "127.0.0.1", port: int = 8765) -> int:
    """Serve the classroom app until Ctrl-C; return an exit status.

    Checks first that the address can be served and that the findings file
    is sound, so a port in use or a broken file is one line and exit 2,
    not a traceback after "open http://...". Solara's telemetry is
    switched off (a classroom has no internet, and needs no reporting
    home), and so is its corner banner, which covered the charts; its front
    end is served from the installed ``solara-assets``, whose absence is
    reported because the page would then try to load its front end from a
    CDN.

    Args:
        host: Interface to listen on (default: this computer only).
        port: TCP port.
    """
    try:
        check_address(host, port)
        findings()
    except (AddressError, FindingsError) as exc:
        print(f"sixerrors: error: {exc}", file=sys.stderr)
        return 2
    os.environ["SOLARA_APP"] = "experiments.classroom.app:Page"
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    os.environ["SERVER_NAME"] = host
    os.environ["SERVER_PORT"] = str(port)
    server_settings.telemetry.mixpanel_enable = False
    server_settings.main.mode = "production"
    server_settings.theme.show_banner = False
    if importlib.util.find_spec("solara_assets") is None:
        print(
            "sixerrors classroom: warning: solara-assets is not installed, so the page "
            "needs the internet; install it with: pip install 'solara-assets==1.58.*'",
            file=sys.stderr,
        )
    shown = "127.0.0.1" if host == "0.0.0.0" else host
    print(f"sixerrors classroom: open http://{shown}:{port} in a browser (Ctrl-C to stop)")
    sys.stdout.flush()
    config = uvicorn.Config(
        "solara.server.starlette:app", host=host, port=port, log_level="warning"
    )
    # Solara warns that session cookies fall back to SameSite=Lax over plain
    # http; that is right for a local classroom and only confuses a teacher.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none")
    try:
        uvicorn.Server(config).run()
    except SystemExit as exc:  # uvicorn exits when it cannot bind the port after all
        return 2 if exc.code else 0
    except KeyboardInterrupt:  # uvicorn shuts down cleanly, then re-raises Ctrl-C
        pass
    print("sixerrors classroom: stopped")
    return 0


if __name__ == "__main__":  # python -m experiments.classroom.app [HOST [PORT]]
    _args = sys.argv[1:]
    sys.exit(serve(_args[0] if _args else "127.0.0.1", int(_args[1]) if len(_args) > 1 else 8765))
