"""Summary metrics: a hand-computed funnel, and the real data sets' published figures."""

import pandas as pd
import pytest
from helpers import DATASETS, ROOT, contact, raw

from sheetfunnel import engine
from sheetfunnel.config import Config, load_config
from sheetfunnel.sources import read_source


def test_a_small_funnel_by_hand():
    vp = {"Job_title": "VP Sales", "Sector": "SaaS", "Company_size": 300}
    people = [
        contact("l1@x.com", Source="Ads", Created="2024-06-01"),
        contact("l2@x.com", Source="Ads", Created="2024-01-01"),  # stale: no activity since
        contact("p1@x.com", Source="Web", Created="2024-05-01", **vp),
        contact("c1@x.com", Source="Web", Stage_override="Customer"),
        contact("x1@x.com", Source="Web", Stage_override="Lost"),
        contact("d1@x.com", Source="Ads"),
    ]
    acts = [
        {"Email": "l1@x.com", "Activity": "visit", "Date": "2024-06-25"},
        {"Email": "p1@x.com", "Activity": "demo request", "Date": "2024-05-21"},
        {"Email": "d1@x.com", "Activity": "bounce", "Date": "2024-03-01"},
    ]
    r = engine.score(Config(), raw(people), raw(acts), as_of="2024-06-30")
    s = r.summary
    assert s.stages.set_index("stage")["contacts"].to_dict() == {
        "Lead": 2,
        "MQL": 0,
        "SQL": 0,
        "Prospect": 1,
        "Customer": 1,
        "Disqualified": 1,
        "Lost": 1,
    }
    assert s.conversion["lead_to_prospect"] == pytest.approx(3 / 5)  # p1, c1, x1 of 5 qualified
    assert s.conversion["prospect_to_customer"] == pytest.approx(1 / 2)
    assert s.conversion["customer_rate"] == pytest.approx(1 / 6)
    assert s.conversion["median_days_to_prospect"] == 20
    assert s.stale_leads == 1
    lvp = s.lead_vs_prospect
    assert lvp.loc["contacts"].tolist() == [2, 1]
    assert lvp.loc["share with a direct interaction", "prospects"] == 1.0
    assert lvp.loc["median days since last activity", "leads"] == 5
    by_source = s.by_group["source"]
    assert by_source.loc["Web", ["contacts", "prospects", "customers", "lost"]].tolist() == [
        3,
        1,
        1,
        1,
    ]
    assert by_source.loc["Web", "win_rate"] == pytest.approx(0.5)
    assert by_source.loc["Ads", "lead_to_prospect"] == 0
    assert s.to_dict()["conversion"]["prospect_to_customer"] == 0.5


def test_by_group_merges_spellings_that_differ_only_in_case():
    people = [
        contact("a@x.com", Source="Google"),
        contact("b@x.com", Source="google "),
        contact("c@x.com", Source="GOOGLE", Stage_override="Prospect"),
        contact("d@x.com", Source="Web"),
        contact("e@x.com", Source=" "),
    ]
    r = engine.score(Config(), raw(people), None, as_of="2024-06-30")
    by_source = r.summary.by_group["source"]
    assert by_source["contacts"].to_dict() == {"Google": 3, "Web": 1, "(blank)": 1}
    assert by_source.loc["Google", "prospects"] == 1


def test_company_roll_up():
    people = [
        contact("a@x.com", Company="Acme", Stage_override="Prospect"),
        contact("b@x.com", Company="ACME "),
        contact("c@x.com", Company="Beta"),
        contact("d@x.com", Company=None),
    ]
    r = engine.score(Config(), raw(people), None, as_of="2024-06-30")
    companies = r.companies.set_index("company")
    assert sorted(companies.index) == ["Acme", "Beta"]
    assert companies.loc["Acme", "contacts"] == 2
    assert companies.loc["Acme", "top_stage"] == "Prospect"
    assert companies.loc["Acme", ["Lead", "Prospect"]].tolist() == [1, 1]
    assert (
        companies.loc["Acme", "best_score"]
        == r.contacts.set_index("key").loc[["a@x.com", "b@x.com"], "score"].max()
    )


def _run(source, config_name, as_of):
    config = load_config(ROOT / "config" / "examples" / config_name)
    _, data, lookups = read_source(source, config)
    return engine.score(config, data.contacts, data.activities, as_of=as_of, lookups=lookups)


def test_maven_crm_reproduces_the_published_figures():
    r = _run(DATASETS / "maven_crm" / "sales_pipeline.csv", "maven_crm.toml", "2017-12-31")
    stages = r.summary.stages.set_index("stage")["contacts"].to_dict()
    assert stages == {"Prospecting": 500, "Engaging": 1589, "Won": 4238, "Lost": 2473}
    assert round(r.summary.conversion["prospect_to_customer"], 4) == 0.6315
    by_region = r.summary.by_group["region"]["win_rate"].round(4).to_dict()
    assert by_region == {"West": 0.6394, "East": 0.6302, "Central": 0.6256}
    won = r.contacts[r.contacts["stage"] == "Won"]
    assert pd.to_numeric(won["close_value"]).sum() == 10_005_534
    # the join with accounts found every account the pipeline names
    assert r.contacts["sector"].notna().sum() == 8800 - 1425


def test_bank_marketing_conversion():
    r = _run(
        DATASETS / "uci_bank_marketing" / "bank-additional-full.csv",
        "bank_marketing.toml",
        "2010-11-30",
    )
    assert r.summary.contacts == 41188
    assert r.summary.stages.set_index("stage").loc["Subscribed", "contacts"] == 4640
    assert round(r.summary.conversion["customer_rate"], 4) == 0.1127
    assert round(r.summary.conversion["prospect_to_customer"], 4) == 0.1127
