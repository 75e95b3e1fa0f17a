# Solara re-exports its API implicitly and leaves components untyped; strict mypy
# would flag every use, so those two checks are off in this module only.
# mypy: disable-error-code="attr-defined,no-untyped-call"
"""The classroom app: an error and its remedy side by side, in the browser.

``sixerrors classroom`` calls :func:`serve`, which serves :func:`Page` with
Solara on 127.0.0.1:8765 by default. The page is built on Mesa's
``SolaraViz``: its controller gives play, pause, step and reset, and its
parameter card the sliders (generated from the declarations by
:mod:`experiments.classroom.controls`). The model it drives is a
:class:`~experiments.classroom.pair.ClassroomPair`, two runs from the same
seed stepping together, and the page's main area shows our own columns
instead of SolaraViz's draggable component grid, so the two sides sit next
to each other at a readable size.

Offline: Solara serves its front end from the installed ``solara-assets``
(through its local ``/_solara/cdn`` route), and every picture here is a PNG
drawn on the server, so no part of the page needs the internet.
``tests/test_classroom_browser.py`` checks this in a headless chromium that
records every request.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import warnings
from typing import Any

import solara
import uvicorn
from mesa.visualization import SolaraViz
from solara.server import settings as server_settings

from experiments.classroom.controls import initial_values, model_params
from experiments.classroom.info import PANELS, free_pair_panel
from experiments.classroom.pair import ClassroomPair, PairChoice
from experiments.classroom.views import CSS, InfoTab, SidePanel, WeekCounter
from model import ERRORS, REGIMES

TITLE = "Six errors of social management"
FREE = "free"
"""Key of the chooser entry for two regimes of the class's choice."""

PLAY_INTERVAL_MS = 150


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
def PairView(choice: PairChoice) -> Any:
    """SolaraViz driving one pair, with our two columns and the Info tab.

    Keyed by the choice in :func:`Page`, so choosing another pair mounts a
    fresh SolaraViz with that pair's sliders; within one pair, Reset
    rebuilds the model from the sliders' current values.
    """
    params = solara.use_memo(lambda: model_params(choice), [choice])
    first = solara.use_memo(lambda: ClassroomPair(**initial_values(params)), [params])
    model = solara.use_reactive(first)
    SolaraViz(
        model,
        components=[],
        model_params=params,
        name=TITLE,
        play_interval=PLAY_INTERVAL_MS,
    )
    pair: ClassroomPair = model.value
    WeekCounter(pair)
    with solara.Columns([1, 1], gutters_dense=True):
        SidePanel(pair, 0)
        SidePanel(pair, 1)
    panel = PANELS[choice.error] if choice.error is not None else free_pair_panel(
        choice.left, choice.right
    )
    InfoTab(panel)


@solara.component
def Page() -> Any:
    """The whole app: the pair chooser, then the pair itself."""
    key, set_key = solara.use_state("1")
    left, set_left = solara.use_state("rigid_suppression")
    right, set_right = solara.use_state("safety_valve")
    options = choice_options()
    solara.Style(CSS)
    solara.Title(TITLE)
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Select(
            label="Compare",
            value=options[key],
            values=list(options.values()),
            on_value=lambda text: set_key(next(k for k, v in options.items() if v == text)),
            style={"min-width": "420px", "font-size": "1.2rem"},
        )
        if key == FREE:
            solara.Select(label="Left regime", value=left, values=list(REGIMES), on_value=set_left)
            solara.Select(
                label="Right regime", value=right, values=list(REGIMES), on_value=set_right
            )
    choice = resolve_choice(key, left, right)
    PairView(choice).key(repr(choice))


def serve(host: str = "127.0.0.1", port: int = 8765) -> int:
    """Serve the classroom app until Ctrl-C; return an exit status.

    Prints the address to open. Solara's telemetry is switched off (a
    classroom has no internet, and needs no reporting home); its front end is
    served from the installed ``solara-assets``, whose absence is reported
    because the page would then try to load its front end from a CDN.

    Args:
        host: Interface to listen on (default: this computer only).
        port: TCP port.
    """
    os.environ["SOLARA_APP"] = "experiments.classroom.app:Page"
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    os.environ["SERVER_NAME"] = host
    os.environ["SERVER_PORT"] = str(port)
    server_settings.telemetry.mixpanel_enable = False
    server_settings.main.mode = "production"
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
    except SystemExit as exc:  # uvicorn exits when it cannot bind the port
        return exc.code if isinstance(exc.code, int) else 1
    except KeyboardInterrupt:  # uvicorn shuts down cleanly, then re-raises Ctrl-C
        pass
    print("sixerrors classroom: stopped")
    return 0


if __name__ == "__main__":  # python -m experiments.classroom.app [HOST [PORT]]
    _args = sys.argv[1:]
    sys.exit(serve(_args[0] if _args else "127.0.0.1", int(_args[1]) if len(_args) > 1 else 8765))
