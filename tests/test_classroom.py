"""The classroom app without a browser: inputs, the pair, drawing, and the page's buttons.

The page is rendered with Solara's test renderer (``solara.render`` inside an
``AppLayout``, as ``solara run`` would wrap it), its Step and Reset buttons are
clicked as a pupil would, and the models behind it are inspected.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import ipyvuetify as v
import ipywidgets
import numpy as np
import pytest
import solara

from experiments import palette
from experiments.classroom import app as classroom_app
from experiments.classroom.controls import MAIN_WORLD, settings_for, starting_values
from experiments.classroom.drawing import CHARTS, SideDrawing, resident_colours
from experiments.classroom.findings import Finding, Findings, load_findings
from experiments.classroom.info import CITATION, PANELS, free_pair_panel, lever_text, to_html
from experiments.classroom.labels import plain_label, value_text
from experiments.classroom.pair import ClassroomPair, PairChoice, parse_seed
from experiments.classroom.views import SIDE_COLOURS, counters
from experiments.scales import axis_top, nice_ceiling
from model import DECLARATIONS, ERRORS, REGIMES
from model.params import LEVER_NAMES

ARTICLE = Path("/work/shared/seed/six-errors-article.txt")


# --------------------------------------------------------------------------- inputs


def _by_key(choice: PairChoice) -> dict[str, Any]:
    return {s.key: s for s in settings_for(choice)}


@pytest.mark.parametrize("number", sorted(ERRORS))
def test_sliders_come_from_declarations_and_regimes(number: int) -> None:
    choice = PairChoice.of_error(number)
    settings = _by_key(choice)
    pair = ERRORS[number]
    for side, regime in (("left", pair.error_regime), ("right", pair.remedy_regime)):
        levers = REGIMES[regime].resolve()
        for lever in pair.levers:
            spec = settings[f"{side}__{lever}"]
            assert spec.value == getattr(levers, lever)
            declaration = DECLARATIONS[lever]
            if declaration.kind in ("float", "int"):
                assert declaration.low <= spec.low <= spec.value <= spec.high
                assert spec.high <= declaration.high
                # the regime's value is one of the slider's positions
                positions = (spec.value - spec.low) / spec.step
                assert positions == pytest.approx(round(positions))
    for name in MAIN_WORLD:
        assert settings[name].value == DECLARATIONS[name].default
    # no lever outside the pair gets a slider
    sided = {k.split("__", 1)[1] for k in settings if "__" in k}
    assert sided == set(pair.levers)


@pytest.mark.parametrize("number", sorted(ERRORS))
def test_every_setting_has_a_plain_label_a_hint_and_a_unit(number: int) -> None:
    for setting in settings_for(PairChoice.of_error(number)):
        assert "_" not in setting.label, setting.label
        assert setting.label[0].isupper()
        assert setting.hint == DECLARATIONS[setting.name].meaning
        shown = setting.text(setting.value)
        if setting.kind in ("float", "int") and DECLARATIONS[setting.name].unit not in ("-",):
            assert shown.split()[-1] != shown, f"{setting.name}: {shown!r} has no unit"


def test_labels_and_values_read_as_a_class_reads_them() -> None:
    assert plain_label("initial_legitimacy") == "Initial trust"
    assert plain_label("org_openness") == "Approval of organizations"
    assert plain_label("n_residents") == "Residents"
    # every label is the declaration's own, for every parameter a slider can show
    assert all(plain_label(n) == d.label for n, d in DECLARATIONS.items())
    assert value_text("tolerance", 0.9, 0.01) == "90 %"
    assert value_text("n_residents", 2000) == "2,000 households"
    assert value_text("shock_rate", 0.02, 0.001) == "0.020 per week"
    assert value_text("grid_info_sharing", True) == "on"


def test_free_pair_gets_sliders_for_levers_that_differ() -> None:
    choice = PairChoice("baseline", "grid_control", None)
    differing = set(choice.levers)
    assert differing == set(REGIMES["grid_control"].levers)
    assert {k.split("__", 1)[1] for k in _by_key(choice) if "__" in k} == differing


def test_a_preset_value_beyond_the_classroom_range_gets_a_slider_that_reaches_it() -> None:
    choice = PairChoice.of_error(1)
    high = DECLARATIONS["shock_rate"].high
    preset = {"shock_rate": high, "grievance_decay": 0.2}
    settings = {s.key: s for s in settings_for(choice, preset)}
    assert settings["shock_rate"].high == high
    assert settings["grievance_decay"].low <= 0.2 <= settings["grievance_decay"].high


def test_seed_box_accepts_numbers_and_words() -> None:
    assert parse_seed("17") == 17
    assert parse_seed(" 17 ") == 17
    assert parse_seed(5) == 5
    assert parse_seed("lesson") == parse_seed("lesson")
    assert parse_seed("lesson") != parse_seed("lessons")


# --------------------------------------------------------------------------- the pair


def test_pair_starts_from_one_city_and_steps_together() -> None:
    choice = PairChoice.of_error(1)
    settings = starting_values(choice, settings_for(choice))
    pair = ClassroomPair(**(settings | {"n_residents": 300}))
    left, right = pair.sides
    assert np.array_equal(left.residents.position, right.residents.position)
    assert (left.adjacency != right.adjacency).nnz == 0
    assert left.levers.tolerance == REGIMES["rigid_suppression"].levers["tolerance"]
    assert right.levers.tolerance == REGIMES["safety_valve"].levers["tolerance"]
    pair.step()
    pair.step()
    assert left.steps == right.steps == pair.steps == 2


def test_side_settings_reach_only_their_side() -> None:
    pair = ClassroomPair(
        "rigid_suppression",
        "safety_valve",
        1,
        seed=3,
        n_residents=200,
        left__tolerance=0.42,
        initial_legitimacy=0.7,
    )
    assert pair.sides[0].levers.tolerance == 0.42
    assert pair.sides[1].levers.tolerance == REGIMES["safety_valve"].levers["tolerance"]
    assert pair.sides[0].params.initial_legitimacy == pair.sides[1].params.initial_legitimacy == 0.7


# --------------------------------------------------------------------------- drawing


def test_drawing_gives_pngs_that_change_as_the_city_changes() -> None:
    pair = ClassroomPair("fine_siloed_grid", "service_grid", 6, seed=1, n_residents=400)
    drawing = SideDrawing(pair.sides[0], "#c0392b")
    before = drawing.draw(pair.sides[1])
    assert before.network.startswith(b"\xff\xd8")  # JPEG
    assert before.charts.startswith(b"\x89PNG")
    for _ in range(30):
        pair.step()
    after = drawing.draw(pair.sides[1])
    assert after.network != before.network
    assert after.charts != before.charts


def test_colours_darken_with_grievance_and_follow_stance() -> None:
    stance = np.array([0, 0, 1, 2, 3])
    colours = resident_colours(stance, np.array([0.0, 1.0, 0.5, 0.5, 0.5]))
    assert colours[1, :3].sum() < colours[0, :3].sum()  # more grievance, darker
    assert np.all(colours[4, :3] == 0.0)  # detained: black
    assert len({tuple(c) for c in colours[2:4, :3]}) == 2


def test_side_colours_are_the_palette_the_notebooks_use() -> None:
    assert SIDE_COLOURS[(True, 0)] == palette.ERROR_COLOUR
    assert SIDE_COLOURS[(True, 1)] == palette.REMEDY_COLOUR
    assert (SIDE_COLOURS[(False, 0)], SIDE_COLOURS[(False, 1)]) == palette.FREE_COLOURS


def test_axis_tops_move_in_round_jumps() -> None:
    assert nice_ceiling(0.03, 0.05) == 0.05
    assert nice_ceiling(0.07, 0.05) == pytest.approx(0.1)
    assert nice_ceiling(3.0, 1.0) == 5.0
    assert nice_ceiling(11.0, 1.0) == 20.0


def test_charts_are_per_capita_on_fixed_axes_that_hold_their_lines() -> None:
    assert [c.column for c in CHARTS][-1] == "incidents_per_10k"
    assert all(c.unit for c in CHARTS)
    pair = ClassroomPair("fine_siloed_grid", "service_grid", 6, seed=1, n_residents=400)
    drawing = SideDrawing(pair.sides[0], "#c0392b")
    for _ in range(40):
        pair.step()
    drawing.draw(pair.sides[1])
    for chart, (low, high) in zip(CHARTS, drawing.axis_limits(), strict=True):
        values = [v for side in pair.sides for v in side.datacollector.model_vars[chart.column]]
        assert low == 0.0
        assert max(values) <= high, f"{chart.column} runs off its axis"
    # trust and grievance always 0..1; hidden grievance from 0.5; incidents never a 0..1 axis
    assert drawing.axis_limits()[0] == (0.0, 1.0)
    assert axis_top("hidden_grievance", 0.01) == 0.5
    assert axis_top("hidden_grievance", 0.7) == 1.0
    assert axis_top("incidents_per_10k", 0.0) >= 10.0


def test_counters_give_units() -> None:
    pair = ClassroomPair("fine_siloed_grid", "service_grid", 6, seed=1, n_residents=300)
    pair.step()
    shown = dict(counters(pair.sides[0], show_mismatch=True))
    assert shown["protesting"].endswith("%")
    assert shown["grid cost"].endswith("% of budget")
    assert shown["budget misplaced"].endswith("%")


# --------------------------------------------------------------------------- info


def test_six_info_panels_cite_the_article_and_do_not_paste_it() -> None:
    assert set(PANELS) == set(ERRORS)
    text = ARTICLE.read_text(encoding="utf-8").lower() if ARTICLE.exists() else ""
    article = re.sub(r"\W+", " ", text)
    for panel in PANELS.values():
        assert CITATION in panel.what
        for heading, text in panel.sections():
            assert text.strip(), heading
            if article:
                words = re.sub(r"\W+", " ", text.lower()).split()
                for i in range(len(words) - 7):
                    run = " ".join(words[i : i + 8])
                    assert f" {run} " not in f" {article} ", f"pasted from the article: {run!r}"
    assert "baseline" in free_pair_panel("baseline", "grid_control").how


CODE_OR_BOLD = re.compile(r"`(\w+)`|\*\*(\w+)\*\*")
"""A name in code (`tolerance`) or in bold (**tolerance**): how a panel names a parameter."""


@pytest.mark.parametrize("number", sorted(ERRORS))
def test_each_panel_names_exactly_the_levers_of_its_pair(number: int) -> None:
    """No panel may name a lever its pair does not move (the stale-lever bug)."""
    panel = PANELS[number]
    text = "\n".join(section for _, section in panel.sections())
    named = {code or bold for code, bold in CODE_OR_BOLD.findall(text)}
    assert named & set(LEVER_NAMES) == set(ERRORS[number].levers)
    # ... listed, with both sides' values, by the generated first paragraph
    assert panel.how.split("\n\n")[0] == lever_text(number)
    for lever in ERRORS[number].levers:
        assert f"**{DECLARATIONS[lever].label}** (`{lever}`)" in lever_text(number)
    # "Things to try" names only what the class has a slider for
    tried = {code or bold for code, bold in CODE_OR_BOLD.findall(panel.try_)}
    sliders = {s.name for s in settings_for(PairChoice.of_error(number))}
    assert tried <= sliders, f"panel {number} asks to move {tried - sliders}, which has no slider"


def test_info_markup_is_escaped() -> None:
    assert to_html("**a** <b>") == "<p><b>a</b> &lt;b&gt;</p>"
    assert to_html("- one\n- two") == "<ul><li>one</li><li>two</li></ul>"


# --------------------------------------------------------------------------- the page


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[ClassroomPair]:
    """Every pair the page builds, newest last; small cities keep the test fast."""
    made: list[ClassroomPair] = []

    class Recorded(ClassroomPair):  # type: ignore[misc]
        def __init__(self, **kwargs: Any) -> None:  # keywords only, as Mesa requires
            super().__init__(**kwargs)
            made.append(self)

    monkeypatch.setattr(classroom_app, "ClassroomPair", Recorded)
    return made


def _images(rc: Any) -> list[Any]:
    return [w.value for w in rc.find(ipywidgets.Image).widgets]


def _with_class(rc: Any, name: str) -> list[str]:
    """The inner HTML of every HTML element of class ``name``."""
    return [
        w.unsafe_innerHTML
        for w in rc.find(solara.widgets.HTML).widgets
        if name in str(w.attributes.get("class", "")).split()
    ]


def _slider(rc: Any, label: str) -> Any:
    return rc.find(v.Slider, label=label).widget


def test_page_steps_both_sides_and_reset_keeps_the_sliders(built: list[ClassroomPair]) -> None:
    box, rc = solara.render(solara.AppLayout(children=[classroom_app.Page()]), handle_error=False)
    assert len(built) == 1
    rc.find(unsafe_innerHTML="Week 0").assert_single()
    images_before = _images(rc)
    assert len(images_before) == 4  # network and charts, for each side
    # Mesa's internal controls are not shown; a teacher's speed choice is
    for internal in ("Play Interval (ms)", "Render Interval (steps)"):
        assert not rc.find(v.Slider, label=internal).widgets
    assert not rc.find(v.Checkbox, label="Use Threads").widgets
    rc.find(v.Btn, children=["fast"]).assert_single()

    rc.find(v.Btn, children=["Step"]).widget.click()
    pair = built[-1]
    assert [side.steps for side in pair.sides] == [1, 1]
    rc.find(unsafe_innerHTML="Week 1").assert_single()
    images_after = _images(rc)
    assert all(a != b for a, b in zip(images_before, images_after, strict=True))

    # move two sliders: the page says they apply on Reset, and shows the new values
    assert not _with_class(rc, "sixerrors-pending")
    _slider(rc, "left: Tolerance of petitions").v_model = 0.55
    _slider(rc, "Residents").v_model = 500
    (note,) = _with_class(rc, "sixerrors-pending")
    assert "Press Reset to apply" in note and "55 %" in note and "500 households" in note
    assert pair.sides[0].levers.tolerance != 0.55  # nothing changed yet
    assert any("55 %" in text for text in _with_class(rc, "sixerrors-setting-head"))

    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert len(built) == 2
    fresh = built[-1]
    assert fresh.sides[0].levers.tolerance == 0.55
    assert fresh.sides[1].levers.tolerance == REGIMES["safety_valve"].levers["tolerance"]
    assert fresh.sides[0].residents.size == fresh.sides[1].residents.size == 500
    assert [side.steps for side in fresh.sides] == [0, 0]
    rc.find(unsafe_innerHTML="Week 0").assert_single()
    # the sliders still show what the pupil set, and nothing waits any more
    assert _slider(rc, "left: Tolerance of petitions").v_model == 0.55
    assert _slider(rc, "Residents").v_model == 500
    assert not _with_class(rc, "sixerrors-pending")
    box.close()


def test_choosing_another_error_shows_its_levers(built: list[ClassroomPair]) -> None:
    box, rc = solara.render(solara.AppLayout(children=[classroom_app.Page()]), handle_error=False)
    chooser = rc.find(v.Select, label="Compare").widget
    chooser.v_model = classroom_app.choice_options()["6"]
    pair = built[-1]
    regimes = (pair.sides[0].regime_name, pair.sides[1].regime_name)
    assert regimes == ("fine_siloed_grid", "service_grid")
    rc.find(v.Slider, label="left: Households per grid cell").assert_single()
    assert not rc.find(v.Slider, label="left: Tolerance of petitions").widgets
    rc.find(v.CardTitle, children=[PANELS[6].title]).assert_single()
    box.close()


def test_any_two_regimes_can_be_chosen(built: list[ClassroomPair]) -> None:
    box, rc = solara.render(solara.AppLayout(children=[classroom_app.Page()]), handle_error=False)
    rc.find(v.Select, label="Compare").widget.v_model = classroom_app.choice_options()["free"]
    rc.find(v.Select, label="Right regime").widget.v_model = "grid_control"
    pair = built[-1]
    assert (pair.sides[0].regime_name, pair.sides[1].regime_name) == (
        "rigid_suppression",
        "grid_control",
    )
    rc.find(v.CardTitle, children=["rigid_suppression and grid_control"]).assert_single()
    box.close()


# --------------------------------------------------------------------------- findings


def test_findings_file_has_every_error_and_presets_inside_the_world() -> None:
    findings = load_findings()
    for number in ERRORS:
        finding = findings.of(number)
        assert finding is not None, f"no entry for error {number}"
        for name, value in finding.preset.items():
            declaration = DECLARATIONS[name]
            assert not declaration.is_lever, f"error {number}: {name} is a lever"
            if declaration.kind in ("float", "int"):
                assert declaration.low <= value <= declaration.high
        for outcome, variants in finding.differences.items():
            assert outcome in ERRORS[number].expected
            for interval in variants.values():
                assert interval.low <= interval.mean <= interval.high


def test_try_this_button_is_hidden_without_a_preset_and_applies_one(
    built: list[ClassroomPair], monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = Findings({str(n): Finding(str(n)) for n in ERRORS}, source="test")
    monkeypatch.setattr(classroom_app, "findings", lambda: empty)
    box, rc = solara.render(solara.AppLayout(children=[classroom_app.Page()]), handle_error=False)
    assert not rc.find(v.Btn, children=["Try this: where the claim fails"]).widgets
    info = [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets]
    assert any("Not measured yet" in text for text in info)
    box.close()

    preset = {"shock_rate": 0.08, "grievance_decay": 0.2}
    with_preset = Findings(
        {
            str(n): Finding(str(n), fails_where="somewhere", preset=preset if n == 1 else {})
            for n in ERRORS
        },
        source="test",
    )
    monkeypatch.setattr(classroom_app, "findings", lambda: with_preset)
    box, rc = solara.render(solara.AppLayout(children=[classroom_app.Page()]), handle_error=False)
    rc.find(v.Btn, children=["Try this: where the claim fails"]).widget.click()
    fresh = built[-1]
    assert [side.params.shock_rate for side in fresh.sides] == [0.08, 0.08]
    assert fresh.sides[0].params.grievance_decay == 0.2
    # the class sees what it set
    assert _slider(rc, DECLARATIONS["grievance_decay"].label).v_model == 0.2
    rc.find(v.Btn, children=["Back to the article's setting"]).widget.click()
    assert built[-1].sides[0].params.shock_rate == DECLARATIONS["shock_rate"].default
    box.close()


def test_a_generated_findings_file_reads_well_and_its_preset_applies(
    built: list[ClassroomPair], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The refresher's sentences and preset (from a made-up discovery) in the app."""
    from experiments.classroom.findings import refresh
    from tests.synthetic_discovery import BOX_PRESET_1, make_discovery

    path = tmp_path / "findings.toml"
    path.write_text("".join(f"[errors.{n}]\n" for n in ERRORS), encoding="utf-8")
    refresh(None, path, discovery=make_discovery(tmp_path / "discover-x"))
    generated = load_findings(path)
    finding = generated.of(1)
    assert finding is not None and dict(finding.preset) == BOX_PRESET_1
    monkeypatch.setattr(classroom_app, "findings", lambda: generated)
    box, rc = solara.render(solara.AppLayout(children=[classroom_app.Page()]), handle_error=False)
    html = " ".join(w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets)
    assert "The trust claim (the remedy keeps Trust in government higher) reverses" in html
    assert "Why: Through the model&#x27;s cadres" in html
    assert "Where the claim fails: sixerrors discover" in html
    assert "Watch the Trust in government chart" in html  # under the Try this button
    rc.find(v.Btn, children=["Try this: where the claim fails"]).widget.click()
    fresh = built[-1]
    for side in fresh.sides:
        assert side.params.cadre_capacity == 3.0 and side.params.mean_degree == 13
    assert _slider(rc, DECLARATIONS["mean_degree"].label).v_model == 13
    box.close()


def test_a_claim_that_only_weakens_says_so_on_its_button(
    built: list[ClassroomPair], monkeypatch: pytest.MonkeyPatch
) -> None:
    weak = Findings(
        {
            str(n): Finding(
                str(n),
                fails_where="It never reversed; it weakens somewhere.",
                preset={"shock_rate": 0.08} if n == 1 else {},
                region="weakens",
            )
            for n in ERRORS
        },
        source="test",
    )
    monkeypatch.setattr(classroom_app, "findings", lambda: weak)
    box, rc = solara.render(solara.AppLayout(children=[classroom_app.Page()]), handle_error=False)
    assert not rc.find(v.Btn, children=["Try this: where the claim fails"]).widgets
    rc.find(v.Btn, children=["Try this: where the claim weakens"]).widget.click()
    assert [side.params.shock_rate for side in built[-1].sides] == [0.08, 0.08]
    box.close()
