"""Config loading: the documented default, the examples, and one test per kind of error."""

import tomllib
from pathlib import Path

import pytest
from helpers import ROOT

from sheetfunnel.config import Config, config_from_dict, load_config
from sheetfunnel.errors import ConfigError

CONFIGS = sorted((ROOT / "config").rglob("*.toml"))


def problems(data: dict) -> list[str]:
    with pytest.raises(ConfigError) as info:
        config_from_dict(data, file="my.toml")
    return [str(p) for p in info.value.problems]


def test_the_documented_default_is_the_default():
    assert load_config(ROOT / "config" / "sheetfunnel.toml") == Config() == load_config()


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_every_shipped_config_validates(path: Path):
    assert isinstance(load_config(path), Config)


def test_a_partial_config_takes_the_defaults_for_the_rest():
    config = config_from_dict({"columns": {"key": "E-mail"}})
    assert config.columns.key == "E-mail"
    assert config.stages == Config().stages


def test_unknown_keys_are_listed_with_the_allowed_ones():
    found = problems(
        {"source": {"header_rows": 2}, "stages": [{"name": "Lead", "color": "#FFFFFF"}]}
    )
    assert found[0].startswith(
        "source.header_rows: unknown key; did you mean 'header_row'? Allowed keys here: "
        "contacts_tab,"
    )
    assert found[1].startswith("stages[0].color: unknown key; did you mean 'colour'? Allowed ")


def test_a_near_miss_key_says_did_you_mean_and_no_library_wording_reaches_the_user():
    found = problems(
        {
            "activities": {"labels": {"devis": "quote_request"}},
            "activity_types": {"quote_request": {"points": 30, "label": ["devis", "quote"]}},
            "scoring": {"half_life_days": 0, "reasons": 2.5},
            "output": {"backup": "maybe"},
        }
    )
    assert found[:4] == [
        "activity_types.quote_request.label: must be a text in quotes (got ['devis', 'quote']); "
        "did you mean 'labels', which takes a list?",
        "scoring.half_life_days: must be above 0 (got 0)",
        "scoring.reasons: must be a whole number (got 2.5)",
        "output.backup: must be true or false (got 'maybe')",
    ]
    assert not any("Input should" in f or "pydantic" in f for f in found)


def test_wrong_types_and_values_name_the_key_the_value_and_what_is_allowed():
    found = problems({"source": {"date_order": "DDMM", "header_row": "one"}})
    assert found == [
        "source.header_row: must be a whole number (got 'one')",
        "source.date_order: must be one of 'DMY', 'MDY' or 'YMD' (got 'DDMM')",
    ]


def test_an_activity_type_required_by_a_stage_must_have_points():
    stages = Config().model_dump()["stages"]
    stages[3]["requires_any"] = ["demo_request", "trial_signup"]
    found = problems({"stages": stages})
    assert found == [
        "stages[3].requires_any: activity type 'trial_signup' is never given points in "
        "[activity_types] (defined: email_open, email_click, page_visit, content_download, "
        "webinar, form_submit, call, meeting, demo_request, quote_request, purchase, "
        "unsubscribe, bounce)"
    ]


def test_overlapping_ranges_are_refused():
    rules = [
        {"field": "company_size", "min": 10, "max": 100, "points": 5},
        {"field": "company_size", "min": 50, "points": 10},
    ]
    found = problems({"fit": {"rules": rules}})
    assert found == [
        "fit.rules[1]: range on 'company_size' overlaps fit.rules[0] (ranges are min <= value < "
        "max; make one start where the other ends)"
    ]


def test_touching_ranges_are_fine():
    rules = [
        {"field": "company_size", "min": 10, "max": 100, "points": 5},
        {"field": "company_size", "min": 100, "points": 10},
    ]
    assert len(config_from_dict({"fit": {"rules": rules}}).fit.rules) == 2


def test_a_colour_must_be_a_colour():
    stages = Config().model_dump()["stages"]
    stages[0]["colour"] = "blue-ish"
    assert problems({"stages": stages}) == [
        "stages[0].colour: 'blue-ish' is not a colour; write it as #RRGGBB, e.g. #E2EFDA"
    ]


def test_every_problem_is_reported_at_once():
    stages = Config().model_dump()["stages"]
    stages[1]["colour"] = "red"
    stages[2]["requires_all"] = ["nope"]
    rules = [{"field": "budget", "min": 5, "points": 1}, {"field": "title", "points": 1}]
    found = problems({"stages": stages, "fit": {"rules": rules}})
    assert len(found) == 4
    assert any(p.startswith("fit.rules[0].field: field 'budget' is not mapped") for p in found)
    assert any(p.startswith("fit.rules[1]: give exactly one test") for p in found)


def test_a_ladder_stage_without_conditions_must_be_manual():
    stages = Config().model_dump()["stages"]
    for key in ("min_engagement",):
        stages[1][key] = None
    found = problems({"stages": stages})
    assert found[0].startswith("stages[1]: stage 'MQL' has no conditions, so every contact")


def test_a_stage_name_cannot_be_another_stages_alias():
    stages = Config().model_dump()["stages"]
    stages[1]["aliases"] = ["won"]
    assert "'won' already names or aliases stage" in problems({"stages": stages})[0]


def test_the_error_message_names_the_file():
    with pytest.raises(ConfigError) as info:
        config_from_dict({"nope": 1}, file="team.toml")
    assert str(info.value).splitlines()[0] == "1 problem in team.toml:"


def test_bad_toml_and_missing_files(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[source\nx = 1")
    with pytest.raises(ConfigError, match=r"bad.toml:\n  - not valid TOML: "):
        load_config(bad)
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "missing.toml")


def test_time_zone_must_exist():
    assert problems({"source": {"timezone": "Mars/Olympus"}})[0].startswith(
        "source.timezone: unknown time zone 'Mars/Olympus'"
    )


def test_blank_headers_mean_not_in_the_sheet():
    config = config_from_dict({"columns": {"created": ""}, "source": {"activities_tab": ""}})
    assert config.columns.created is None
    assert config.source.activities_tab is None


def test_readme_examples_validate():
    text = (ROOT / "README.md").read_text()
    blocks = text.split("```toml")[1:]
    assert blocks, "the README shows at least one config example"
    for block in blocks:
        config_from_dict(tomllib.loads(block.split("```")[0]))


def test_settings_merge_key_by_key_and_collections_replace_whole():
    config = config_from_dict(
        {
            "scoring": {"half_life_days": 45},
            "activity_types": {"call": {"points": 5}},
            "stages": [{"name": "Lead"}, {"name": "Hot", "requires_any": ["call"]}],
            "exits": [],
            "fit": {"rules": []},
        }
    )
    assert config.scoring.half_life_days == 45
    assert config.scoring.groups == Config().scoring.groups  # kept from the default
    assert list(config.activity_types) == ["call"]  # replaced whole
    assert [s.name for s in config.stages] == ["Lead", "Hot"]
    assert config.fit.completeness_bonus == Config().fit.completeness_bonus
