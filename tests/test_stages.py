"""The ladder, exits, overrides and the next action."""

import pandas as pd
from helpers import contact, raw

from sheetfunnel import engine
from sheetfunnel.config import Config, config_from_dict

AS_OF = "2024-06-30"


def stages(contacts, activities=(), config=None):
    r = engine.score(
        config or Config(),
        raw(contacts),
        raw(list(activities)) if activities else None,
        as_of=AS_OF,
    )
    return r, r.contacts.set_index("key")


def act(email, kind, date="2024-06-20"):
    return {"Email": email, "Activity": kind, "Date": date}


def test_each_contact_sits_in_the_highest_rung_whose_conditions_hold():
    vp = {"Job_title": "VP Sales", "Sector": "SaaS", "Company_size": 300}
    people = [
        contact("lead@x.com"),
        contact("mql@x.com"),
        contact("sql@x.com", **vp),
        contact("prospect@x.com", **vp),
        contact("customer@x.com"),
        contact("engaged-no-fit@x.com"),
    ]
    busy = [("webinar", "2024-06-29"), ("webinar", "2024-06-28"), ("download", "2024-06-29")]
    acts = [act(who, kind, day) for who in ("mql@x.com", "sql@x.com") for kind, day in busy]
    acts += [
        act("prospect@x.com", "demo request"),
        act("customer@x.com", "purchase"),
        act("engaged-no-fit@x.com", "quote request"),
    ]
    _, out = stages(people, acts)
    assert out["stage"].to_dict() == {
        "lead@x.com": "Lead",
        "mql@x.com": "MQL",
        "sql@x.com": "SQL",
        "prospect@x.com": "Prospect",
        "customer@x.com": "Customer",
        # a quote request alone is engagement, not fit: MQL, not Prospect
        "engaged-no-fit@x.com": "MQL",
    }
    assert (
        out.loc["prospect@x.com", "next_action"]
        == "Send a case study and follow up on the proposal"
    )
    assert out.loc["lead@x.com", "next_action"].startswith("Nurture")


def test_a_stale_prospect_falls_back_when_recency_is_required():
    vp = {"Job_title": "VP Sales", "Sector": "SaaS", "Company_size": 300}
    _, out = stages([contact("old@x.com", **vp)], [act("old@x.com", "demo request", "2023-11-01")])
    assert out.loc["old@x.com", "stage"] == "Lead"


def test_an_override_wins_and_says_so():
    people = [
        contact("a@x.com", Stage_override="won"),
        contact("b@x.com", Stage_override=" Lost "),
        contact("c@x.com", Stage_override="Maybe later"),
    ]
    r, out = stages(people)
    assert out["stage"].tolist() == ["Customer", "Lost", "Lead"]
    assert out["overridden"].tolist() == [True, True, False]
    assert out["computed_stage"].tolist() == ["Lead", "Lead", "Lead"]
    assert out.loc["b@x.com", "next_action"] == "Recycle into nurture in six months"
    assert [n.kind for n in r.notices] == ["unknown_override"]
    assert str(r.notices[0]).startswith("1 stage overrides name no stage (e.g. 'Maybe later')")


def test_exits_win_over_the_ladder_but_not_over_customers():
    people = [contact("bounced@x.com"), contact("paid@x.com")]
    acts = [
        act("bounced@x.com", "bounce"),
        act("bounced@x.com", "meeting"),
        act("paid@x.com", "purchase"),
        act("paid@x.com", "bounce"),
    ]
    _, out = stages(people, acts)
    assert out["stage"].tolist() == ["Disqualified", "Customer"]


def test_manual_stages_are_reached_by_hand_only():
    config = config_from_dict(
        {
            "stages": [{"name": "Open"}, {"name": "Won", "kind": "customer", "manual": True}],
            "exits": [],
        }
    )
    _, out = stages([contact("a@x.com"), contact("b@x.com", Stage_override="WON")], config=config)
    assert out["stage"].tolist() == ["Open", "Won"]


def test_requires_all_and_min_score():
    config = config_from_dict(
        {
            "stages": [
                {"name": "Cold"},
                {"name": "Warm", "min_score": 10},
                {"name": "Hot", "requires_all": ["call", "meeting"], "kind": "prospect"},
            ],
            "exits": [],
            "fit": {"rules": []},
        }
    )
    people = [contact("a@x.com"), contact("b@x.com"), contact("c@x.com")]
    acts = [act("b@x.com", "call"), act("c@x.com", "call"), act("c@x.com", "meeting")]
    _, out = stages(people, acts, config)
    assert out["stage"].tolist() == ["Cold", "Warm", "Hot"]


def test_prospect_since_is_the_first_intent_activity():
    vp = {"Job_title": "VP Sales", "Sector": "SaaS", "Company_size": 300}
    acts = [
        act("a@x.com", "meeting", "2024-06-10"),
        act("a@x.com", "demo request", "2024-05-02"),
        act("a@x.com", "meeting", "2024-04-20"),
    ]
    _, out = stages([contact("a@x.com", **vp)], acts)
    assert out.loc["a@x.com", "prospect_since"] == pd.Timestamp("2024-04-20")
