"""Scenario, sweep and sensitivity specs: shipped files load; every mistake is one placed line."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from experiments.provenance import to_jsonable
from experiments.specs import (
    FULL_MODEL,
    MECHANISMS_ONLY,
    MECHANISMS_SUFFIX,
    SpecError,
    default_scenarios,
    load_discovery,
    load_scenarios,
    load_sensitivity,
    load_sweep,
    parse_scenarios,
    parse_sensitivity,
    parse_sweep,
    scenario_spec_from_dict,
)
from model.outcomes import OUTCOMES
from model.params import mechanisms_only
from model.regimes import ERRORS, REGIMES, VARIANT_PAIRS

SCENARIOS = Path(__file__).resolve().parents[1] / "experiments" / "scenarios"


def _error(fn, doc, source="exp.toml") -> str:
    with pytest.raises(SpecError) as info:
        fn(doc, source)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{source}: ")
    return message


def _kind(path: Path) -> str:
    doc = tomllib.loads(path.read_text())
    if "prim" in doc or ("samples" in doc and "pairs" in doc):
        return "discovery"
    if "factors" not in doc:
        return "scenarios"
    return "sensitivity" if "method" in doc else "sweep"


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.name)
def test_shipped_files_load(path: Path) -> None:
    kind = _kind(path)
    if kind == "sweep":
        assert load_sweep(path).factors
        return
    if kind == "sensitivity":
        assert load_sensitivity(path).factors
        return
    if kind == "discovery":
        assert all(claim.factors for claim in load_discovery(path).claims)
        return
    spec = load_scenarios(path)
    assert spec.scenarios
    names = {s.name for s in spec.scenarios}
    for pair in spec.pairs:
        assert pair.error in names and pair.remedy in names


def test_default_is_every_regime_and_every_error_pair_in_both_variants() -> None:
    spec = default_scenarios()
    assert {s.regime for s in spec.scenarios} == set(REGIMES)
    full = [p for p in spec.pairs if p.variant == FULL_MODEL]
    mechanisms = [p for p in spec.pairs if p.variant == MECHANISMS_ONLY]
    article = {str(k): v for k, v in ERRORS.items()} | dict(VARIANT_PAIRS)
    assert [p.name for p in full] == [f"error_{k}" for k in article]
    assert [p.name for p in mechanisms] == [f"error_{k}_mechanisms" for k in article]
    for pair in spec.pairs:
        error = article[pair.name.removeprefix("error_").removesuffix("_mechanisms")]
        ends = (pair.error, pair.remedy)
        if pair.variant == FULL_MODEL:
            assert ends == (error.error_regime, error.remedy_regime)
        else:
            assert ends == (error.error_regime + MECHANISMS_SUFFIX,
                            error.remedy_regime + MECHANISMS_SUFFIX)  # fmt: skip
            for end in ends:
                overrides = spec.scenario(end).overrides
                assert all(overrides[k] == 0.0 for k in mechanisms_only())
        assert dict(pair.expected) == dict(error.expected)
        assert set(pair.expected) <= set(spec.outcomes)


def test_mechanisms_only_can_be_switched_off() -> None:
    spec = parse_scenarios({"errors": [1], "mechanisms_only": False}, "x.toml")
    assert [p.name for p in spec.pairs] == ["error_1"]
    assert {s.name for s in spec.scenarios} == {"rigid_suppression", "safety_valve"}


def test_no_selection_means_everything_and_overrides_layer() -> None:
    spec = parse_scenarios({"overrides": {"inflow_rate": 0.1}}, "x.toml")
    assert {s.regime for s in spec.scenarios} == set(REGIMES)
    assert {s.name for s in spec.scenarios if s.name in REGIMES} == set(REGIMES)
    assert len(spec.pairs) == 2 * (len(ERRORS) + len(VARIANT_PAIRS))
    assert spec.outcomes == OUTCOMES
    layered = parse_scenarios(
        {
            "overrides": {"inflow_rate": 0.1, "tolerance": 0.2},
            "scenarios": {"a": {"regime": "baseline", "overrides": {"tolerance": 0.7}}},
        },
        "x.toml",
    )
    assert [s.name for s in layered.scenarios] == ["a"]
    assert dict(layered.scenarios[0].overrides) == {"inflow_rate": 0.1, "tolerance": 0.7}
    assert layered.pairs == ()


def test_typo_in_override_names_place_and_closest_name() -> None:
    doc = {"scenarios": {"tolerant": {"regime": "baseline", "overrides": {"tolerence": 0.8}}}}
    message = _error(parse_scenarios, doc)
    assert "[scenarios.tolerant].overrides.tolerence" in message
    assert "did you mean 'tolerance'" in message


def test_unknown_regime_out_of_range_wrong_type_unknown_outcome() -> None:
    message = _error(parse_scenarios, {"scenarios": {"a": {"regime": "safty_valve"}}})
    assert "[scenarios.a].regime" in message and "'safety_valve'" in message
    message = _error(
        parse_scenarios, {"scenarios": {"a": {"regime": "baseline", "overrides": {"tolerance": 2}}}}
    )
    assert "out of range" in message and "between 0 and 1" in message
    message = _error(parse_scenarios, {"steps": "ten"})
    assert "steps" in message and "whole number" in message
    message = _error(parse_scenarios, {"replications": 0})
    assert "replications" in message and "between 1" in message
    message = _error(parse_scenarios, {"outcomes": ["mean_legitimacy", "mean_legitimcy"]})
    assert "outcomes[1]" in message and "did you mean 'mean_legitimacy'" in message


def test_unknown_keys_pairs_and_signs() -> None:
    message = _error(parse_scenarios, {"replication": 5})
    assert "did you mean 'replications'" in message
    message = _error(
        parse_scenarios,
        {"regimes": ["baseline"], "pairs": {"p": {"error": "baseline", "remedy": "basline"}}},
    )
    assert "[pairs.p].remedy" in message and "did you mean 'baseline'" in message
    message = _error(
        parse_scenarios,
        {
            "regimes": ["baseline", "safety_valve"],
            "pairs": {
                "p": {
                    "error": "baseline",
                    "remedy": "safety_valve",
                    "expected": {"mean_grievance": 2},
                }
            },
        },
    )
    assert "[pairs.p].expected.mean_grievance" in message and "1" in message
    message = _error(parse_scenarios, {"errors": [99]})
    assert "errors[0]" in message
    message = _error(parse_scenarios, {"regimes": "none", "errors": "none"})
    assert "nothing to run" in message


def test_file_problems_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no such file"):
        load_scenarios(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("steps = \nreplications = 3\n")
    with pytest.raises(SpecError) as info:
        load_scenarios(bad)
    assert "malformed TOML" in str(info.value) and "line 1" in str(info.value)
    assert "\n" not in str(info.value)
    with pytest.raises(SpecError, match="is a folder"):
        load_scenarios(tmp_path)


def test_round_trip_through_manifest_form() -> None:
    spec = load_scenarios(SCENARIOS / "tolerance.toml")
    assert scenario_spec_from_dict(to_jsonable(spec)) == spec


def test_with_settings_validates() -> None:
    spec = default_scenarios()
    small = spec.with_settings(replications=3, steps=7)
    assert (small.replications, small.steps, small.residents) == (3, 7, spec.residents)
    with pytest.raises(SpecError, match="replications"):
        spec.with_settings(replications=0)


SOBOL = {
    "method": "sobol",
    "base_samples": 64,
    "factors": {"tolerance": {"low": 0.1, "high": 0.9}, "repression": {}},
}


def test_sensitivity_spec_and_power_of_two() -> None:
    spec = parse_sensitivity(SOBOL, "s.toml")
    assert spec.base_samples == 64
    assert [(f.name, f.low, f.high) for f in spec.factors] == [
        ("tolerance", 0.1, 0.9),
        ("repression", 0.0, 1.0),
    ]
    message = _error(parse_sensitivity, SOBOL | {"base_samples": 100}, "s.toml")
    assert "base_samples" in message and "power of two" in message and "64 or 128" in message
    # Morris has no such constraint.
    assert parse_sensitivity(SOBOL | {"method": "morris", "base_samples": 100}, "s.toml")
    message = _error(parse_sensitivity, SOBOL | {"method": "sobl"}, "s.toml")
    assert "did you mean 'sobol'" in message
    message = _error(
        parse_sensitivity,
        SOBOL | {"factors": {"tolerance": {"low": 0.9, "high": 0.1}, "repression": {}}},
        "s.toml",
    )
    assert "factors.tolerance" in message and "below" in message
    message = _error(
        parse_sensitivity,
        SOBOL | {"factors": {"tolerance": {}, "repression": {"high": 3}}},
        "s.toml",
    )
    assert "factors.repression.high" in message and "out of range" in message


def test_sweep_spec_levels_and_clashes() -> None:
    spec = parse_sweep(
        {
            "design": "factorial",
            "factors": {
                "tolerance": {"low": 0.0, "high": 1.0, "levels": 3},
                "mean_degree": {"low": 4, "high": 6, "levels": 5},
                "network": ["erdos_renyi", "watts_strogatz"],
            },
        },
        "w.toml",
    )
    levels = {f.name: f.levels for f in spec.factors}
    assert levels["tolerance"] == (0.0, 0.5, 1.0)
    assert levels["mean_degree"] == (4, 5, 6)
    assert levels["network"] == ("erdos_renyi", "watts_strogatz")
    message = _error(
        parse_sweep, {"factors": {"tolerance": [0.2]}, "overrides": {"tolerance": 0.3}}, "w.toml"
    )
    assert "both fixed and varied" in message
    message = _error(parse_sweep, {"design": "lhs", "factors": {"tolerance": [0.2]}}, "w.toml")
    assert "low" in message
    message = _error(parse_sweep, {"factors": {"netwrk": ["erdos_renyi"]}}, "w.toml")
    assert "factors.netwrk" in message and "did you mean 'network'" in message


def test_spec_files_load_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "sens.toml"
    path.write_text(
        'method = "morris"\ntrajectories = 4\n[factors]\ntolerance = {low = 0.1, high = 0.9}\n'
        "repression = {}\n"
    )
    assert load_sensitivity(path).method == "morris"
    path = tmp_path / "sweep.toml"
    path.write_text('regime = "safety_valve"\n[factors]\ntolerance = [0.1, 0.5]\n')
    assert load_sweep(path).regime == "safety_valve"


def test_the_harsh_world_is_what_its_file_says_of_the_defaults() -> None:
    """Twice the default inflow of grievance, half its decay (the file's comment)."""
    from model.params import DECLARATIONS

    text = (SCENARIOS / "harsh_world.toml").read_text()
    overrides = tomllib.loads(text)["overrides"]
    inflow, decay = (DECLARATIONS[n].default for n in ("inflow_rate", "grievance_decay"))
    assert overrides["inflow_rate"] == pytest.approx(2 * inflow)
    assert overrides["grievance_decay"] == pytest.approx(decay / 2)
    assert f"defaults {inflow:g} and {decay:g}" in text
