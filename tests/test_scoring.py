"""Fit rules, engagement with decay and caps, and the "why" text."""

import numpy as np
import pandas as pd
import pytest
from helpers import contact, raw

from sheetfunnel import engine
from sheetfunnel.config import Config, config_from_dict
from sheetfunnel.scoring import decay_factor

AS_OF = "2024-06-30"


def score(contacts, activities=None, config=None):
    r = engine.score(
        config or Config(), raw(contacts), raw(activities) if activities else None, as_of=AS_OF
    )
    return r.contacts.set_index("key")


def act(email, kind, date):
    return {"Email": email, "Activity": kind, "Date": date}


LADDER = {"stages": [{"name": "Lead"}], "exits": []}


def only(types: dict, **scoring) -> Config:
    """A config scoring just these activity types (and no fit)."""
    return config_from_dict(
        {
            "activity_types": types,
            "scoring": scoring,
            "fit": {"rules": [], "completeness_bonus": 0},
            **LADDER,
        }
    )


def test_a_30_day_half_life_halves_the_points_at_30_days():
    assert decay_factor(np.array([0.0, 30.0, 60.0, -3.0]), 30) == pytest.approx([1, 0.5, 0.25, 1])
    config = only({"meeting": {"points": 40}}, half_life_days=30)
    out = score(
        [contact("a@x.com"), contact("b@x.com"), contact("c@x.com")],
        [
            act("a@x.com", "meeting", "2024-06-30"),
            act("b@x.com", "meeting", "2024-05-31"),
            act("c@x.com", "meeting", "2024-05-01"),
        ],
        config,
    )
    assert list(out["engagement"]) == [40, 20, 10]


def test_points_add_up_per_type_up_to_the_type_cap():
    config = only(
        {"email_open": {"points": 2, "cap": 5}, "call": {"points": 10}}, half_life_days=10_000
    )
    acts = [act("a@x.com", "email_open", "2024-06-29")] * 6 + [act("a@x.com", "call", "2024-06-29")]
    out = score([contact("a@x.com")], acts, config)
    assert out.loc["a@x.com", "engagement"] == 5 + 10


def test_negative_points_do_not_decay_when_told_so():
    config = only({"unsubscribe": {"points": -15, "decay": False}}, half_life_days=1)
    out = score([contact("a@x.com")], [act("a@x.com", "unsubscribe", "2023-01-01")], config)
    assert out.loc["a@x.com", "engagement"] == -15


def test_a_group_cap_stops_one_noisy_behaviour():
    config = config_from_dict(
        {
            "activity_types": {
                "email_open": {"points": 10, "group": "email"},
                "email_click": {"points": 10, "group": "email"},
                "demo_request": {"points": 30},
            },
            "scoring": {"half_life_days": 10_000, "groups": {"email": {"cap": 12}}},
            "fit": {"rules": [], "completeness_bonus": 0},
            **LADDER,
        }
    )
    acts = [
        act("a@x.com", "email_open", "2024-06-01"),
        act("a@x.com", "email_click", "2024-06-01"),
        act("a@x.com", "demo_request", "2024-06-01"),
    ]
    out = score([contact("a@x.com")], acts, config)
    assert out.loc["a@x.com", "engagement"] == 12 + 30


def test_caps_on_engagement_and_total():
    config = config_from_dict(
        {
            "activity_types": {"call": {"points": 50}},
            "scoring": {"half_life_days": 10_000, "max_engagement": 60, "max_total": 70},
            "fit": {
                "rules": [{"field": "sector", "equals": ["retail"], "points": 20}],
                "completeness_bonus": 0,
            },
            **LADDER,
        }
    )
    acts = [act("a@x.com", "call", "2024-06-01")] * 2
    out = score([contact("a@x.com")], acts, config)
    assert out.loc["a@x.com", ["fit", "engagement", "score"]].tolist() == [20, 60, 70]


@pytest.mark.parametrize(
    ("rule", "fields", "points"),
    [
        ({"field": "title", "contains": ["vp", "head"]}, {"Job_title": "VP of Sales"}, 7),
        ({"field": "title", "contains": ["vp"]}, {"Job_title": "MVP builder"}, 0),
        ({"field": "title", "contains": ["directeur"]}, {"Job_title": "Directeur commercial"}, 7),
        ({"field": "sector", "equals": ["saas"]}, {"Sector": " SaaS "}, 7),
        ({"field": "company_size", "min": 50, "max": 200}, {"Company_size": 50}, 7),
        ({"field": "company_size", "min": 50, "max": 200}, {"Company_size": 200}, 0),
        ({"field": "company_size", "min": 50, "max": 200}, {"Company_size": "120"}, 7),
        ({"field": "country", "missing": True}, {"Country": None}, 7),
        ({"field": "country", "missing": True}, {"Country": "France"}, 0),
    ],
)
def test_fit_rules(rule, fields, points):
    config = config_from_dict({"fit": {"rules": [dict(rule, points=7)], "completeness_bonus": 0}})
    out = score([contact("a@x.com", **fields)], config=config)
    assert out.loc["a@x.com", "fit"] == points


def test_completeness_bonus_is_shared_pro_rata_and_fit_is_capped():
    config = config_from_dict(
        {
            "fit": {
                "completeness_bonus": 10,
                "completeness_fields": ["name", "country"],
                "rules": [{"field": "sector", "equals": ["retail"], "points": 50}],
                "max": 55,
            }
        }
    )
    out = score([contact("a@x.com", Country=None), contact("b@x.com")], config=config)
    assert out["fit"].tolist() == [55, 55]
    config = config_from_dict(
        {"fit": {"completeness_bonus": 10, "completeness_fields": ["name", "country"]}}
    )
    out = score([contact("a@x.com", Country=None), contact("b@x.com")], config=config)
    assert out["fit"].tolist() == [5, 10]


def test_why_lists_the_top_reasons_with_points_and_age():
    acts = [act("a@x.com", "Demo request", "2024-06-27")] + [
        act("a@x.com", "Email open", "2024-06-29")
    ] * 3
    acts += [act("a@x.com", "Unsubscribe", "2024-05-01")]
    out = score([contact("a@x.com", Job_title="VP Sales")], acts)
    assert (
        out.loc["a@x.com", "why"]
        == "demo request 3d ago (+28); title VP (+15); unsubscribe 60d ago (-15)"
    )


def test_why_counts_repeats():
    config = config_from_dict(
        {"scoring": {"reasons": 1}, "fit": {"rules": [], "completeness_bonus": 0}}
    )
    acts = [act("a@x.com", "Email open", "2024-06-01"), act("a@x.com", "Email open", "2024-06-28")]
    assert (
        score([contact("a@x.com")], acts, config).loc["a@x.com", "why"]
        == "email open x2, last 2d ago (+1)"
    )


def test_first_touch_and_last_activity():
    acts = [act("a@x.com", "call", "2024-06-01"), act("a@x.com", "call", "2023-12-24")]
    out = score([contact("a@x.com", Created="2024-01-10"), contact("b@x.com")], acts)
    assert out.loc["a@x.com", "first_touch"] == pd.Timestamp("2023-12-24")
    assert out.loc["a@x.com", "last_activity"] == pd.Timestamp("2024-06-01")
    assert out.loc["b@x.com", "first_touch"] == pd.Timestamp("2024-01-10")
    assert pd.isna(out.loc["b@x.com", "last_activity"])
