"""The owned tabs' content, engine to rows: the Summary's wording and formats, the daily
counts (bounded, today's row replaced), the Companies tab, and Stage since from evidence."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from sheetfunnel import engine
from sheetfunnel.config import Config
from sheetfunnel.daily import MAX_DAYS, daily_tab, trend_chart
from sheetfunnel.demo import generate
from sheetfunnel.history import StageFlow
from sheetfunnel.rollup import companies_tab
from sheetfunnel.tabs import NO_HISTORY, summary_tab

DAY = dt.date(2026, 6, 30)


def results():
    contacts, activities = generate(contacts=120, end=DAY)
    return engine.score(Config(), contacts, activities, as_of=DAY)


def flow(previous=None, forward=0, backward=0):
    days = pd.DataFrame(
        {"median_days": [3.5], "stays": [4]}, index=pd.Index(["Lead"], name="stage")
    )
    return StageFlow(days, forward, backward, previous)


def formats(tab, row, col):
    found = None
    for s in tab.styles:
        inside = s.first_row <= row <= s.last_row and s.first_column <= col <= s.last_column
        if s.number_format and inside:
            found = s.number_format
    return found


def test_summary_sections_words_and_formats():
    res = results()
    tab = summary_tab("Summary", res.summary, flow(), Config())
    labels = [r[0] for r in tab.rows if r]
    for heading in (
        "Funnel", "Left the funnel", "Leads versus prospects", "Conversion and velocity",
        "Moves since the previous sync", "Time in stage", "By source", "By owner",
        "Stale leads",
    ):  # fmt: skip
        assert heading in labels
    assert labels[0] == "Sales funnel summary"
    assert ("Previous sync", NO_HISTORY) in tab.rows
    moves = labels.index("Moves since the previous sync")
    assert labels[moves + 1] == NO_HISTORY
    lead = next(i for i, r in enumerate(tab.rows) if r and r[0] == "Lead")
    assert formats(tab, lead, 1) == "#,##0" and formats(tab, lead, 2) == "0.0%"
    assert tab.frozen_rows == 3 and tab.fit_to_page and tab.stage_columns == (0,)
    bold = {s.first_row for s in tab.styles if s.bold}
    at = {r[0]: i for i, r in enumerate(tab.rows) if r}
    assert {at["Funnel"], at["By owner"], 0} <= bold
    [chart] = tab.charts
    assert chart.data_labels and chart.kind == "bar"
    assert len(chart.series[0].point_colours) == len(Config().stages)
    later = summary_tab("Summary", res.summary, flow(DAY, 3, 1), Config())
    assert (f"Contacts moved ({DAY.isoformat()})", 3, 1) in later.rows
    assert NO_HISTORY not in [r[0] for r in later.rows if r]


def test_daily_counts_replace_today_and_stay_bounded():
    res = results()
    stages = res.summary.stages
    cfg = Config()
    tab = daily_tab("Funnel by day", (), stages, DAY, cfg)
    assert len(tab.rows) == 2 and trend_chart(tab, cfg) is None
    again = daily_tab("Funnel by day", tab.rows, stages, DAY, cfg)
    assert again.rows == tab.rows  # a rerun the same day changes nothing
    rows = tab.rows
    for n in range(1, MAX_DAYS + 5):
        rows = daily_tab("d", rows, stages, DAY + dt.timedelta(days=n), cfg).rows
    assert len(rows) == MAX_DAYS + 1
    assert rows[-1][0] == DAY + dt.timedelta(days=MAX_DAYS + 4)
    chart = trend_chart(daily_tab("d", rows, stages, rows[-1][0], cfg), cfg)
    assert chart is not None and chart.data_role == "daily" and chart.last_row == MAX_DAYS


def test_companies_tab_best_first_with_owners():
    res = results()
    tab = companies_tab("Companies", res.companies, res.contacts, Config())
    body = tab.rows[1:]
    assert len(body) == len(res.companies)
    assert [r[2] for r in body] == sorted((r[2] for r in body), reverse=True)
    assert tab.stage_columns == (4,) and tab.frozen_rows == 1
    assert all(r[-1] for r in body)


def test_stage_since_on_a_first_sync_comes_from_the_evidence():
    res = results()
    people = res.contacts
    since = people["evidence_since"].dt.date
    assert (since <= DAY).all()
    customers = people[people["stage"] == "Customer"]
    assert len(customers)
    assert (customers["evidence_since"] <= pd.Timestamp(DAY)).all()
    assert (customers["evidence_since"] < pd.Timestamp(DAY)).sum() > len(customers) / 2
    leads = people[(people["stage"] == "Lead") & people["created"].notna()]
    assert (leads["evidence_since"] == leads["created"].dt.normalize()).all()
