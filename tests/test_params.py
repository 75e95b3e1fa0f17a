"""Parameter declarations: one place per fact, clear errors."""

import pytest

from model import DECLARATIONS, Levers, ParameterError, Params, SocialManagementModel
from model.params import LEVER_NAMES, PARAMETER_NAMES, check_names, split_overrides


def test_every_declaration_has_metadata_and_a_valid_default():
    for name, d in DECLARATIONS.items():
        assert d.meaning and d.unit and d.group, name
        assert d.check(d.default) == d.default, name
        if d.kind in ("float", "int"):
            assert d.low is not None and d.high is not None
            assert d.low <= d.default <= d.high, name
        if d.kind == "choice":
            assert d.default in d.choices


LABEL_WORDS = 5
"""Most words a label may have: it sits on one line above a slider."""


def test_every_declaration_has_a_short_plain_label():
    """The classroom's slider labels come from here, so each must read as plain words."""
    labels = {name: d.label for name, d in DECLARATIONS.items()}
    for name, label in labels.items():
        assert label, f"{name} has no label"
        assert label == label.strip() and label[0].isupper(), (name, label)
        assert "_" not in label and "`" not in label, f"{name}: code words in {label!r}"
        assert len(label.split()) <= LABEL_WORDS and len(label) <= 36, (name, label)
    # Two sliders with the same words would be indistinguishable on a projector.
    assert len(set(labels.values())) == len(labels)


def test_world_and_levers_do_not_share_names():
    assert not set(PARAMETER_NAMES) & set(LEVER_NAMES)
    assert set(DECLARATIONS) == set(PARAMETER_NAMES) | set(LEVER_NAMES)


def test_unknown_name_suggests_closest():
    with pytest.raises(ParameterError, match="did you mean 'tolerance'"):
        check_names(["tolerence"])
    with pytest.raises(ParameterError, match="did you mean 'tolerance'"):
        SocialManagementModel(n_residents=50, rng=1, tolerence=0.3)


def test_out_of_range_names_bounds():
    with pytest.raises(ParameterError, match="between 0 and 1"):
        Levers(tolerance=1.5)
    with pytest.raises(ParameterError, match="out of range"):
        SocialManagementModel(n_residents=50, rng=1, repression=-0.1)


def test_wrong_kinds_rejected():
    with pytest.raises(ParameterError, match="whole number"):
        Params(mean_degree=4.5)
    with pytest.raises(ParameterError, match="choose one of"):
        Params(arrest_rule="ceil")
    with pytest.raises(ParameterError, match="true or false"):
        Levers(grid_info_sharing="maybe")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="number"):
        Levers(tolerance="high")  # type: ignore[arg-type]


def test_integral_floats_accepted_for_integers():
    assert Params(mean_degree=6.0).mean_degree == 6
    assert isinstance(Params(mean_degree=6.0).mean_degree, int)


def test_split_overrides_routes_names():
    world, policy = split_overrides({"tolerance": 0.2, "contagion": 0.0})
    assert world == {"contagion": 0.0}
    assert policy == {"tolerance": 0.2}


def test_plausible_ranges_lie_within_bounds_and_hold_the_default():
    for name, d in DECLARATIONS.items():
        if d.kind in ("bool", "choice"):
            assert d.plausible is None, name
            continue
        assert d.plausible is not None, name
        lo, hi = d.plausible
        assert d.low is not None and d.high is not None
        assert d.low <= lo <= hi <= d.high, name
        assert lo <= d.default <= hi, name
