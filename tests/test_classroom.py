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
from experiments.classroom.controls import MAIN_WORLD, initial_values, model_params
from experiments.classroom.drawing import SideDrawing, nice_ceiling, resident_colours
from experiments.classroom.info import CITATION, PANELS, free_pair_panel, to_html
from experiments.classroom.pair import ClassroomPair, PairChoice, parse_seed
from experiments.classroom.views import SIDE_COLOURS
from model import DECLARATIONS, ERRORS, REGIMES

ARTICLE = Path("/work/shared/seed/six-errors-article.txt")


# --------------------------------------------------------------------------- inputs


@pytest.mark.parametrize("number", sorted(ERRORS))
def test_sliders_come_from_declarations_and_regimes(number: int) -> None:
    choice = PairChoice.of_error(number)
    params = model_params(choice)
    pair = ERRORS[number]
    for side, regime in (("left", pair.error_regime), ("right", pair.remedy_regime)):
        levers = REGIMES[regime].resolve()
        for lever in pair.levers:
            spec = params[f"{side}__{lever}"]
            assert spec["value"] == getattr(levers, lever)
            declaration = DECLARATIONS[lever]
            if declaration.kind in ("float", "int"):
                assert declaration.low <= spec["min"] <= spec["value"] <= spec["max"]
                assert spec["max"] <= declaration.high
                # the regime's value is one of the slider's positions
                positions = (spec["value"] - spec["min"]) / spec["step"]
                assert positions == pytest.approx(round(positions))
    for name in MAIN_WORLD:
        assert params[name]["value"] == DECLARATIONS[name].default
    # no lever outside the pair gets a slider
    sided = {k.split("__", 1)[1] for k in params if "__" in k}
    assert sided == set(pair.levers)


def test_free_pair_gets_sliders_for_levers_that_differ() -> None:
    choice = PairChoice("baseline", "grid_control", None)
    differing = set(choice.levers)
    assert differing == set(REGIMES["grid_control"].levers)
    assert {k.split("__", 1)[1] for k in model_params(choice) if "__" in k} == differing


def test_seed_box_accepts_numbers_and_words() -> None:
    assert parse_seed("17") == 17
    assert parse_seed(" 17 ") == 17
    assert parse_seed(5) == 5
    assert parse_seed("lesson") == parse_seed("lesson")
    assert parse_seed("lesson") != parse_seed("lessons")


# --------------------------------------------------------------------------- the pair


def test_pair_starts_from_one_city_and_steps_together() -> None:
    settings = initial_values(model_params(PairChoice.of_error(1)))
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
        "rigid_suppression", "safety_valve", 1, seed=3, n_residents=200,
        left__tolerance=0.42, initial_legitimacy=0.7,
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


def test_page_steps_both_sides_and_reset_keeps_the_sliders(built: list[ClassroomPair]) -> None:
    box, rc = solara.render(solara.AppLayout(children=[classroom_app.Page()]), handle_error=False)
    assert len(built) == 1
    rc.find(unsafe_innerHTML="Week 0").assert_single()
    images_before = _images(rc)
    assert len(images_before) == 4  # network and charts, for each side

    rc.find(v.Btn, children=["Step"]).widget.click()
    pair = built[-1]
    assert [side.steps for side in pair.sides] == [1, 1]
    rc.find(unsafe_innerHTML="Week 1").assert_single()
    images_after = _images(rc)
    assert all(a != b for a, b in zip(images_before, images_after, strict=True))

    # move two sliders, then reset: a fresh pair built from the sliders' values
    tolerance = rc.find(v.Slider, label="The error: tolerance").widget
    tolerance.v_model = 0.55
    residents = rc.find(v.Slider, label="n_residents").widget
    residents.v_model = 500
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert len(built) == 2
    fresh = built[-1]
    assert fresh.sides[0].levers.tolerance == 0.55
    assert fresh.sides[1].levers.tolerance == REGIMES["safety_valve"].levers["tolerance"]
    assert fresh.sides[0].residents.size == fresh.sides[1].residents.size == 500
    assert [side.steps for side in fresh.sides] == [0, 0]
    rc.find(unsafe_innerHTML="Week 0").assert_single()
    # the sliders still show what the pupil set
    assert rc.find(v.Slider, label="The error: tolerance").widget.v_model == 0.55
    assert rc.find(v.Slider, label="n_residents").widget.v_model == 500
    box.close()


def test_choosing_another_error_shows_its_levers(built: list[ClassroomPair]) -> None:
    box, rc = solara.render(solara.AppLayout(children=[classroom_app.Page()]), handle_error=False)
    chooser = rc.find(v.Select, label="Compare").widget
    chooser.v_model = classroom_app.choice_options()["6"]
    pair = built[-1]
    regimes = (pair.sides[0].regime_name, pair.sides[1].regime_name)
    assert regimes == ("fine_siloed_grid", "service_grid")
    rc.find(v.Slider, label="The error: grid_cell_households").assert_single()
    assert not rc.find(v.Slider, label="The error: tolerance").widgets
    rc.find(v.CardTitle, children=[PANELS[6].title]).assert_single()
    box.close()
