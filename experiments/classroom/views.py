# Solara re-exports its API implicitly and leaves components untyped; strict mypy
# would flag every use, so those two checks are off in this module only.
# mypy: disable-error-code="attr-defined,no-untyped-call"
"""Solara components of the classroom: the settings, one column per side, the Info panel.

Each column shows, for one side of the pair, its regime, counters with their
units (protesting, mass incidents so far, organizations, and the grid's cost
or the budget's misplacement where they apply), the network of residents and
the live charts. The pictures are PNG/JPEG images from
:mod:`experiments.classroom.drawing`, so they draw without any JavaScript
library from the internet; every text around them is HTML, so it stays
sharp and readable whatever size the browser gives the images.

The components re-render when Mesa's controller steps the model: they read
``mesa.visualization.utils.update_counter``, which its Step and Play bump.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import solara
from mesa.visualization.utils import update_counter

from experiments.classroom.controls import Setting
from experiments.classroom.drawing import (
    CHARTS,
    NETWORK_FORMAT,
    STANCE_COLOURS,
    STANCE_LABELS,
    Pictures,
    SideDrawing,
)
from experiments.classroom.findings import VARIANTS, Finding, Findings, share_text
from experiments.classroom.info import InfoPanel, to_html
from experiments.classroom.labels import labelled, regime_text
from experiments.classroom.pair import ClassroomPair
from experiments.palette import ERROR_COLOUR, FREE_COLOURS, REMEDY_COLOUR
from model import SocialManagementModel
from model.outcomes import OUTCOME_INFO

SIDE_COLOURS: dict[tuple[bool, int], str] = {
    (True, 0): ERROR_COLOUR,
    (True, 1): REMEDY_COLOUR,
    (False, 0): FREE_COLOURS[0],
    (False, 1): FREE_COLOURS[1],
}
"""Colour of side ``index`` (0 left, 1 right) by whether the pair is an error and its remedy."""

CONTROLS_WIDTH = 300
"""Width of the settings column in CSS pixels (the rest is the two sides)."""

CONTROLS_NARROW = 260
"""Its width in windows narrower than 1200 pixels, where the sides need every pixel."""

CSS = f"""
html, body {{ overflow: hidden; }}
.sixerrors-layout {{ display: flex; height: 100vh; width: 100vw; overflow: hidden;
                     font-size: 16px; color: #111; background: #fff; }}
.sixerrors-controls {{ flex: 0 0 {CONTROLS_WIDTH}px; width: {CONTROLS_WIDTH}px; height: 100vh;
                       overflow-y: auto; box-sizing: border-box; padding: 8px 12px 24px 12px;
                       background: #f5f5f5; border-right: 1px solid #ddd; }}
.sixerrors-controls > *, .sixerrors-main > * {{ flex-shrink: 0; }}
.sixerrors-controls .v-sheet {{ background: transparent; }}
.sixerrors-speed {{ margin: 4px 0; }}
.sixerrors-main {{ flex: 1 1 auto; min-width: 0; height: 100vh; overflow-y: auto;
                   box-sizing: border-box; padding: 4px 10px 0 10px; }}
.sixerrors-sides {{ display: flex; gap: 14px; height: calc(100vh - 6px); flex: 0 0 auto;
                    align-items: stretch; }}
.sixerrors-side {{ flex: 1 1 0; min-width: 0; height: 100%; display: flex; flex-direction: column;
                   align-items: center; gap: 2px; }}
.sixerrors-side > * {{ width: 100%; }}
.sixerrors-picture-box {{ flex: 1 1 0; min-height: 0; display: flex; justify-content: center;
                          align-items: flex-start; }}
.sixerrors-charts-box {{ flex-grow: 1.35; }}
.sixerrors-picture {{ width: 100%; height: 100%; object-fit: contain;
                      object-position: center top; }}
.sixerrors-app-title {{ font-size: 1.25rem; font-weight: 700; line-height: 1.25;
                        margin: 2px 0 6px 0; }}
.sixerrors-week {{ font-size: 1.7rem; font-weight: 700; margin: 2px 0; }}
.sixerrors-side-head {{ display: flex; align-items: baseline; gap: 10px; flex-wrap: wrap;
                        justify-content: center; }}
.sixerrors-side-title {{ font-size: 1.45rem; font-weight: 700; }}
.sixerrors-regime {{ font-size: 1.1rem; }}
.sixerrors-counters {{ display: flex; flex-wrap: wrap; gap: 4px 6px; justify-content: center; }}
.sixerrors-counter {{ font-size: 0.98rem; padding: 1px 8px; border-radius: 6px;
                      background: #eeeeee; white-space: nowrap; }}
.sixerrors-counter b {{ font-size: 1.08rem; }}
.sixerrors-legend {{ display: flex; flex-wrap: wrap; gap: 2px 12px; justify-content: center;
                     font-size: 0.98rem; }}
.sixerrors-dot {{ display: inline-block; width: 0.9em; height: 0.9em; border-radius: 50%;
                  margin-right: 4px; vertical-align: -0.1em; }}
.sixerrors-group {{ font-size: 1.05rem; font-weight: 700; margin: 12px 0 2px 0; }}
.sixerrors-setting {{ margin: 4px 0 2px 0; }}
.sixerrors-setting-head {{ display: flex; justify-content: space-between; gap: 8px;
                           font-size: 1rem; line-height: 1.2; }}
.sixerrors-setting-head b {{ white-space: nowrap; font-size: 1.05rem; }}
.sixerrors-setting-hint {{ font-size: 0.8rem; color: #555; line-height: 1.2; }}
.sixerrors-changed .sixerrors-setting-head b {{ color: #b35900; }}
.sixerrors-waiting {{ font-size: 0.8rem; color: #b35900; font-weight: 700; }}
.sixerrors-pending {{ background: #fff3d6; border: 2px solid #e69f00; border-radius: 6px;
                      padding: 6px 8px; margin: 6px 0; font-size: 0.98rem; }}
.sixerrors-applies {{ font-size: 0.9rem; color: #444; margin: 2px 0; }}
.sixerrors-controls .v-slider .v-label {{ display: none; }}
.sixerrors-controls .v-input__details {{ display: none; }}
.sixerrors-controls .v-slider.v-input {{ margin: 0 4px; }}
.sixerrors-controls .v-btn {{ font-size: 1rem; text-transform: none; letter-spacing: normal; }}
.sixerrors-preset .v-btn {{ height: auto !important; min-height: 36px; white-space: normal;
                            padding: 6px 10px; }}
.sixerrors-preset .v-btn__content {{ white-space: normal; }}
.sixerrors-info td.sixerrors-number {{ white-space: nowrap; }}
.sixerrors-preset {{ background: #eef5ff; border: 2px solid #0072b2; border-radius: 6px;
                     padding: 6px 8px; margin: 8px 0; font-size: 0.95rem; }}
.sixerrors-link {{ display: block; font-size: 1rem; margin: 6px 0; }}
.sixerrors-info {{ max-width: 1100px; margin: 16px auto 40px auto; flex: 0 0 auto; }}
.sixerrors-info, .sixerrors-info p, .sixerrors-info li, .sixerrors-info td,
.sixerrors-info th {{ font-size: 1.1rem; line-height: 1.45; }}
.sixerrors-info .v-card-title {{ font-size: 1.5rem; white-space: normal; }}
.sixerrors-info h3 {{ font-size: 1.25rem; margin-top: 0.8em; }}
.sixerrors-info ul {{ padding-left: 1.6em; }}
.sixerrors-info table {{ border-collapse: collapse; margin: 6px 0; }}
.sixerrors-info td, .sixerrors-info th {{ border-bottom: 1px solid #ddd; padding: 3px 10px;
                                          text-align: left; vertical-align: top; }}
.sixerrors-provisional {{ color: #8a4b00; font-style: italic; }}
@media (max-width: 1200px) {{
  .sixerrors-controls {{ flex-basis: {CONTROLS_NARROW}px; width: {CONTROLS_NARROW}px; }}
  .sixerrors-side-title {{ font-size: 1.25rem; }}
  .sixerrors-regime, .sixerrors-counter, .sixerrors-legend {{ font-size: 0.9rem; }}
  .sixerrors-counter b {{ font-size: 0.95rem; }}
  .sixerrors-counter {{ padding: 0 6px; }}
}}
/* A checkbox's label is printed twice by this Solara/Vuetify pairing, once over the box. */
.v-selection-control__wrapper {{ font-size: 0; }}
.v-selection-control__wrapper .v-selection-control__input {{ font-size: 1rem; }}
"""
"""The page's layout: a settings column that never hides (its own scroll) beside the
two sides, whose pictures shrink to fit the window's height, so Step, both
networks and all charts are on screen at 1024x768 as at 1920x1080; the Info
panel follows below the sides (one scroll of the main area)."""

# --------------------------------------------------------------------------- the sides


def _share_of(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f} %" if whole > 0 else "n/a"


def counters(model: SocialManagementModel, *, show_mismatch: bool) -> list[tuple[str, str]]:
    """The counters of one side: (label, value with unit), shown only where they apply.

    Grid cost appears only when the side runs grid management, as a share of
    the livelihood budget it is paid from; the budget's misplacement (the
    share of it that would have to move to where need is) only for pairs
    about participation (Error 5).
    """
    outcomes = model.outcomes
    incidents = float(np.nansum(model.datacollector.model_vars["mass_incidents"]))
    items = [
        ("protesting", f"{100 * outcomes['share_protesting']:.1f} %"),
        ("mass incidents so far", f"{incidents:.0f}"),
        ("organizations", f"{outcomes['organizations']:.0f}"),
    ]
    if model.levers.grid_cell_households > 0:
        items.append(
            ("grid cost", f"{_share_of(outcomes['grid_cost'], model.treasury.budget)} of budget")
        )
    if show_mismatch:
        items.append(("budget misplaced", f"{100 * outcomes['allocation_mismatch']:.0f} %"))
    return items


def stance_legend() -> str:
    """HTML legend of the network's colours (the same for every side)."""
    items = "".join(
        f'<span><span class="sixerrors-dot" style="background:{STANCE_COLOURS[s]}"></span>'
        f"{STANCE_LABELS[s]}</span>"
        for s in sorted(STANCE_LABELS)
    )
    return items + "<span>darker = more grievance</span>"


@solara.component
def SidePanel(pair: ClassroomPair, index: int) -> Any:
    """One column: heading, counters, network, its legend and the charts of one side."""
    update_counter.get()
    side, other = pair.sides[index], pair.sides[1 - index]
    is_error = pair.choice.error is not None
    colour = SIDE_COLOURS[(is_error, index)]
    labels = pair.choice.side_labels()
    drawing = solara.use_memo(
        lambda: SideDrawing(
            side,
            colour,
            own_label=f"{labels[index].lower()} (this side)",
            other_label=f"{labels[1 - index].lower()} (other side)",
            other_colour=SIDE_COLOURS[(is_error, 1 - index)],
        ),
        [side],
    )
    pictures: Pictures = solara.use_memo(
        lambda: drawing.draw(other), [drawing, side.steps, other.steps]
    )
    show_mismatch = "participation" in pair.choice.levers
    with solara.Column(gap="2px", classes=["sixerrors-side", f"sixerrors-side-{index}"]) as column:
        solara.HTML(
            tag="div",
            unsafe_innerHTML=(
                f'<span class="sixerrors-side-title" style="color:{colour}">{labels[index]}</span>'
                f'<span class="sixerrors-regime">regime: <b>{regime_text(side.regime_name)}</b>'
                "</span>"
            ),
            classes=["sixerrors-side-head"],
        )
        items = "".join(
            f'<span class="sixerrors-counter">{name} <b>{value}</b></span>'
            for name, value in counters(side, show_mismatch=show_mismatch)
        )
        solara.HTML(tag="div", unsafe_innerHTML=items, classes=["sixerrors-counters"])
        with solara.Div(classes=["sixerrors-picture-box"]):
            solara.Image(
                pictures.network,
                format=NETWORK_FORMAT,
                classes=["sixerrors-picture", "sixerrors-network"],
            )
        solara.HTML(tag="div", unsafe_innerHTML=stance_legend(), classes=["sixerrors-legend"])
        with solara.Div(classes=["sixerrors-picture-box", "sixerrors-charts-box"]):
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


# --------------------------------------------------------------------------- settings


@solara.component
def SettingInput(
    setting: Setting, value: Any, on_value: Callable[[Any], None], *, waiting: bool
) -> Any:
    """One setting: its label and present value with unit, the input, and what it does.

    The value is printed beside the label at all times (a slider alone shows
    it only while dragged). ``waiting`` marks a value that differs from the
    running city's: it applies on Reset.
    """
    classes = ["sixerrors-setting", f"sixerrors-setting-{setting.key}"]
    if waiting:
        classes.append("sixerrors-changed")
    with solara.Column(gap="0px", classes=classes) as column:
        solara.HTML(
            tag="div",
            unsafe_innerHTML=(
                f"<span>{html.escape(setting.label)}</span>"
                f'<b class="sixerrors-setting-value">{html.escape(setting.text(value))}</b>'
            ),
            classes=["sixerrors-setting-head"],
        )
        label = setting.label if setting.side is None else f"{setting.side}: {setting.label}"
        if setting.kind == "float":
            solara.SliderFloat(
                label,
                value=float(value),
                min=setting.low,
                max=setting.high,
                step=setting.step,
                on_value=on_value,
                thumb_label=False,
            )
        elif setting.kind == "int":
            solara.SliderInt(
                label,
                value=int(value),
                min=int(setting.low or 0),
                max=int(setting.high or 0),
                step=int(setting.step or 1),
                on_value=on_value,
                thumb_label=False,
            )
        elif setting.kind == "bool":
            solara.Checkbox(label=label, value=bool(value), on_value=on_value)
        else:
            solara.Select(label=label, value=value, values=list(setting.choices), on_value=on_value)
        hint = html.escape(setting.hint)
        if waiting:
            hint = '<span class="sixerrors-waiting">applies on Reset · </span>' + hint
        solara.HTML(tag="div", unsafe_innerHTML=hint, classes=["sixerrors-setting-hint"])
    return column


def group_heading(side: str | None, labels: Sequence[str], regimes: Sequence[str]) -> str:
    """The heading above a group of settings: a side and its regime, or the shared city."""
    if side is None:
        return "The city (both sides)"
    index = 0 if side == "left" else 1
    return f"{labels[index]}: {regime_text(regimes[index])}"


@solara.component
def SettingsPanel(
    settings: Sequence[Setting],
    values: solara.Reactive[dict[str, Any]],
    running: Mapping[str, Any],
    pair: ClassroomPair,
) -> Any:
    """Every setting, grouped by side and then the shared city, each applied on Reset."""
    current = values.value

    def setter(key: str) -> Callable[[Any], None]:
        return lambda value: values.set({**values.value, key: value})

    labels = pair.choice.side_labels()
    regimes = (pair.choice.left, pair.choice.right)
    with solara.Column(gap="0px") as column:
        solara.HTML(
            tag="div",
            unsafe_innerHTML="Settings <b>apply on Reset</b>: move a slider, then press Reset.",
            classes=["sixerrors-applies"],
        )
        for side in ("left", "right", None):
            group = [s for s in settings if s.side == side]
            if not group:
                continue
            solara.HTML(
                tag="div",
                unsafe_innerHTML=html.escape(group_heading(side, labels, regimes)),
                classes=["sixerrors-group"],
            )
            for setting in group:
                SettingInput(
                    setting,
                    current.get(setting.key, setting.value),
                    setter(setting.key),
                    waiting=current.get(setting.key) != running.get(setting.key),
                )
        solara.InputText(
            label="Seed (any word or number: another city)",
            value=str(current.get("seed", "")),
            on_value=setter("seed"),
            continuous_update=False,
        )
    return column


@solara.component
def PendingNote(settings: Sequence[Setting], values: Mapping[str, Any], pair: ClassroomPair) -> Any:
    """A banner listing the changes that wait for Reset (nothing when there are none)."""
    running = pair.inputs
    sides = dict(zip(("left", "right"), pair.choice.side_labels(), strict=True))
    waiting = [s for s in settings if values.get(s.key) != running.get(s.key)]
    seed_changed = values.get("seed") != running.get("seed")
    if not waiting and not seed_changed:
        return solara.HTML(tag="div", unsafe_innerHTML="", classes=["sixerrors-no-pending"])
    lines = []
    for s in waiting:
        where = f" ({sides[s.side].lower()})" if s.side else ""
        before, after = s.text(running.get(s.key)), s.text(values[s.key])
        lines.append(
            f"{html.escape(s.label + where)}: {html.escape(before)} → <b>{html.escape(after)}</b>"
        )
    if seed_changed:
        lines.append(f"Seed → <b>{html.escape(str(values.get('seed')))}</b>")
    return solara.HTML(
        tag="div",
        unsafe_innerHTML="<b>Press Reset to apply:</b><br>" + "<br>".join(lines),
        classes=["sixerrors-pending"],
    )


# --------------------------------------------------------------------------- info


def _signed(value: float) -> str:
    return f"{value:+.3f}"


def _interval_text(interval: Any) -> str:
    return f"{_signed(interval.mean)} [{interval.low:+.3f}, {interval.high:+.3f}]"


def outcome_name(outcome: str) -> str:
    """What the panel calls an outcome: its chart's title, else its declared meaning."""
    titles = {chart.column: chart.title for chart in CHARTS}
    info = OUTCOME_INFO.get(outcome)
    return titles.get(outcome, info.meaning if info else outcome)


def findings_html(finding: Finding | None, findings: Findings) -> str:
    """The measured part of an error's panel: assumed or emergent, and where the claim fails.

    Empty parts say that they have not been measured yet rather than vanish,
    so a class knows the question is open.
    """
    if finding is None:
        return ""
    parts = ["<h3>How much is assumed, how much emerges</h3>"]
    if finding.differences:
        rows = []
        for outcome, variants in finding.differences.items():
            full = variants.get(VARIANTS[0])
            mechanisms = variants.get(VARIANTS[1])
            rows.append(
                f"<tr><td>{html.escape(outcome_name(outcome))}</td>"
                f'<td class="sixerrors-number">{_interval_text(full) if full else "–"}</td>'
                f'<td class="sixerrors-number">'
                f"{_interval_text(mechanisms) if mechanisms else '–'}</td>"
                f"<td>{html.escape(share_text(full, mechanisms)) if full else ''}</td></tr>"
            )
        parts.append(
            "<p>Remedy minus error, mean and 95 % interval over many cities: in the full "
            "model, and with every <i>assumed</i> direct payoff switched off (an answered "
            "petition adding trust by assumption, for instance), so that only what the "
            "mechanisms produce remains.</p>"
            "<table><tr><th>outcome</th><th>full model</th><th>mechanisms only</th>"
            "<th>reading</th></tr>" + "".join(rows) + "</table>"
        )
    else:
        parts.append("<p>Not measured yet.</p>")
    parts.append("<h3>Where the claim fails</h3>")
    if finding.fails_where or finding.fails_through:
        parts.append(
            f"<p>{html.escape(finding.fails_where)}</p>"
            + (f"<p>Why: {html.escape(finding.fails_through)}</p>" if finding.fails_through else "")
        )
    else:
        parts.append("<p>Not measured yet: <code>sixerrors discover</code> finds it.</p>")
    if finding.preset:
        changes = ", ".join(f"{k} {v}" for k, v in labelled(finding.preset))
        parts.append(f"<p>The <b>Try this</b> button sets {html.escape(changes)}.</p>")
    what = "time averages" if findings.statistic == "time_average" else "final values"
    source = (
        f"{html.escape(findings.source)}; {what}." if findings.source else f"{what.capitalize()}."
    )
    if findings.discovery_source:
        source += f" Where the claim fails: {html.escape(findings.discovery_source)}."
    note = (
        f'<p class="sixerrors-provisional">Provisional numbers, to be replaced by the '
        f"project's results. {source}</p>"
        if findings.provisional
        else f'<p class="sixerrors-muted">{source}</p>'
    )
    parts.append(note)
    if findings.note:
        parts.append(f"<p>{html.escape(findings.note)}</p>")
    return "".join(parts)


MEASURED_AFTER = 1
"""The Info panel's measured part follows its second section ("How it works in the model")."""


@solara.component
def InfoTab(panel: InfoPanel, finding: Finding | None, findings: Findings) -> Any:
    """The Info panel of the chosen pair, as NetLogo shows a model's Info.

    The text is turned into HTML here rather than by ``solara.Markdown``,
    whose front end loads KaTeX, which ``solara-assets`` 1.58.2 lacks: offline
    that left a 404 and a script error in the console.
    """
    with solara.Card(panel.title, classes=["sixerrors-info"]) as card:
        solara.HTML(tag="a", unsafe_innerHTML="", attributes={"id": "sixerrors-info"})
        measured = findings_html(finding, findings)
        for i, (heading, text) in enumerate(panel.sections()):
            solara.HTML(tag="div", unsafe_innerHTML=f"<h3>{heading}</h3>{to_html(text)}")
            if i == MEASURED_AFTER and measured:
                # What many runs measured, right after how the model works.
                solara.HTML(tag="div", unsafe_innerHTML=measured)
    return card


@solara.component
def PresetButtons(
    finding: Finding | None, on_preset: Callable[[], None], on_defaults: Callable[[], None]
) -> Any:
    """The "Try this" button of an error, hidden when its preset is empty."""
    if finding is None or not finding.preset:
        return solara.Div()
    changes = "; ".join(f"{k} {v}" for k, v in labelled(finding.preset))
    with solara.Column(gap="4px", classes=["sixerrors-preset"]) as column:
        verb = "weaken" if finding.region == "weakens" else "fail"
        solara.HTML(tag="div", unsafe_innerHTML=f"<b>Watch the claim {verb}</b>")
        solara.Button(
            f"Try this: where the claim {verb}s",
            color="primary",
            on_click=on_preset,
            classes=["sixerrors-try"],
        )
        # Folded, so that a long region never pushes the settings off the screen.
        watch = f"<p>{html.escape(finding.watch)}</p>" if finding.watch else ""
        solara.HTML(
            tag="details",
            unsafe_innerHTML=(
                "<summary>What it sets, and what to watch</summary>"
                f"<p>{html.escape(f'Sets {changes}, and resets.')}</p>{watch}"
            ),
            classes=["sixerrors-preset-details"],
        )
        solara.Button("Back to the article's setting", text=True, on_click=on_defaults)
    return column
