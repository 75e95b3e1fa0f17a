# Solara re-exports its API implicitly and leaves components untyped; strict mypy
# would flag every use, so those two checks are off in this module only.
# mypy: disable-error-code="attr-defined,no-untyped-call"
"""Solara components of the classroom: one column per side, and the Info tab.

Each column shows, for one side of the pair, its regime, counters (week,
protesting, incidents so far, organizations, grid cost or budget off target
where they apply), the network of residents and the live charts. The
pictures are PNGs from :mod:`experiments.classroom.drawing`, so they draw
without any JavaScript library from the internet.

The components re-render when Mesa's controller steps the model: they read
``mesa.visualization.utils.update_counter``, which its Step and Play bump.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import solara
from mesa.visualization.utils import update_counter

from experiments.classroom.drawing import NETWORK_FORMAT, Pictures, SideDrawing
from experiments.classroom.info import InfoPanel, to_html
from experiments.classroom.pair import ClassroomPair
from experiments.palette import ERROR_COLOUR, FREE_COLOURS, REMEDY_COLOUR
from model import SocialManagementModel

SIDE_COLOURS: dict[tuple[bool, int], str] = {
    (True, 0): ERROR_COLOUR,
    (True, 1): REMEDY_COLOUR,
    (False, 0): FREE_COLOURS[0],
    (False, 1): FREE_COLOURS[1],
}
"""Colour of side ``index`` (0 left, 1 right) by whether the pair is an error and its remedy."""

CSS = """
/* Solara 1.58 with Vuetify 3 computes the sidebar's width as NaN ('min-content'),
   so the main area slid under the sidebar and the sidebar over the app bar. */
body:has(.v-navigation-drawer--active) .v-main { --v-layout-left: 400px !important; }
.v-navigation-drawer { top: 64px !important; height: calc(100% - 64px) !important; }
/* The same pairing prints a checkbox's label twice, once over the box itself. */
.v-selection-control__wrapper { font-size: 0; }
.v-selection-control__wrapper .v-selection-control__input { font-size: 1rem; }
.sixerrors-side-title { font-size: 1.5rem; font-weight: 600; margin: 4px 0 0 0; }
.sixerrors-regime { font-size: 1.15rem; margin: 0 0 6px 0; }
.sixerrors-counters { display: flex; flex-wrap: wrap; gap: 8px; margin-bottom: 6px; }
.sixerrors-counter { font-size: 1.15rem; padding: 4px 10px; border-radius: 6px;
                     background: #f0f0f0; color: #111; }
.sixerrors-counter b { font-size: 1.3rem; }
.sixerrors-week { font-size: 1.6rem; font-weight: 600; }
.sixerrors-info, .sixerrors-info p, .sixerrors-info li { font-size: 1.15rem; line-height: 1.5; }
.sixerrors-info .v-card-title { font-size: 1.5rem; }
.sixerrors-info h3 { font-size: 1.3rem; margin-top: 0.8em; }
.sixerrors-info ul { padding-left: 1.6em; }
.sixerrors-picture { width: 100%; max-width: 640px; }
"""


def counters(model: SocialManagementModel, *, show_mismatch: bool) -> list[tuple[str, str]]:
    """The counters of one side: (label, value) pairs, shown only where they apply.

    Grid cost appears only when the side runs grid management, and the
    budget's distance from need only for pairs about participation (Error 5).
    """
    outcomes = model.outcomes
    incidents = float(np.nansum(model.datacollector.model_vars["mass_incidents"]))
    items = [
        ("protesting", f"{100 * outcomes['share_protesting']:.1f}%"),
        ("incidents so far", f"{incidents:.0f}"),
        ("organizations", f"{outcomes['organizations']:.0f}"),
    ]
    if model.levers.grid_cell_households > 0:
        items.append(("grid cost / week", f"{outcomes['grid_cost']:.1f}"))
    if show_mismatch:
        items.append(("budget off target", f"{outcomes['allocation_mismatch']:.2f}"))
    return items


@solara.component
def SidePanel(pair: ClassroomPair, index: int) -> Any:
    """One column: heading, counters, network and charts of one side."""
    update_counter.get()
    side, other = pair.sides[index], pair.sides[1 - index]
    is_error = pair.choice.error is not None
    colour = SIDE_COLOURS[(is_error, index)]
    drawing = solara.use_memo(lambda: SideDrawing(side, colour), [side])
    pictures: Pictures = solara.use_memo(
        lambda: drawing.draw(other), [drawing, side.steps, other.steps]
    )
    label = pair.choice.side_labels()[index]
    show_mismatch = "participation" in pair.choice.levers
    with solara.Column(gap="4px", classes=[f"sixerrors-side-{index}"]) as column:
        solara.HTML(
            tag="div", unsafe_innerHTML=label,
            classes=["sixerrors-side-title"], style={"color": colour},
        )
        solara.HTML(
            tag="div", unsafe_innerHTML=f"regime: <b>{side.regime_name}</b>",
            classes=["sixerrors-regime"],
        )
        items = "".join(
            f'<span class="sixerrors-counter">{name} <b>{value}</b></span>'
            for name, value in counters(side, show_mismatch=show_mismatch)
        )
        solara.HTML(tag="div", unsafe_innerHTML=items, classes=["sixerrors-counters"])
        solara.Image(
            pictures.network, format=NETWORK_FORMAT,
            classes=["sixerrors-picture", "sixerrors-network"],
        )
        solara.Image(
            pictures.charts, format="png", classes=["sixerrors-picture", "sixerrors-charts"]
        )
    return column


@solara.component
def WeekCounter(pair: ClassroomPair) -> Any:
    """The shared clock: both sides always show the same week."""
    update_counter.get()
    return solara.HTML(
        tag="div", unsafe_innerHTML=f"Week {pair.sides[0].steps}", classes=["sixerrors-week"]
    )


@solara.component
def InfoTab(panel: InfoPanel) -> Any:
    """The Info tab of the chosen pair, as NetLogo shows a model's Info.

    The text is turned into HTML here rather than by ``solara.Markdown``,
    whose front end loads KaTeX, which ``solara-assets`` 1.58.2 lacks: offline
    that left a 404 and a script error in the console.
    """
    with solara.Card(panel.title, classes=["sixerrors-info"]) as card:
        for heading, text in panel.sections():
            solara.HTML(tag="div", unsafe_innerHTML=f"<h3>{heading}</h3>{to_html(text)}")
    return card
