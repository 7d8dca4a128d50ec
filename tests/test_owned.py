"""Names clear of the user's, ambiguous headers refused, and what the last sync wrote (the
state tab) told apart from what the user typed over it."""

import datetime as dt

import pandas as pd
import pytest
from helpers import contact, raw

from sheetfunnel import engine, owned
from sheetfunnel.backends.base import Ownership, SheetData
from sheetfunnel.config import Config
from sheetfunnel.errors import InputError

DAY = dt.date(2026, 6, 30)


def data(rows, *, columns=None, tabs=(), marked_tabs=None, owned_rows=None, duplicates=None):
    return SheetData(
        contacts=raw(rows),
        ownership=Ownership(columns=columns or {}, tabs=marked_tabs or {}),
        tabs=tuple(tabs),
        owned=owned_rows or {},
        duplicates=duplicates or {},
    )


def test_a_users_stage_and_score_columns_keep_their_names_and_ours_go_beside_them():
    sheet = data(
        [contact("a@x.com", Stage="Negotiation", Score=3)],
        tabs=("Contacts", "Summary", "Notes"),
    )
    names = owned.resolve_names(Config(), sheet)
    assert names.columns["stage"] == "Stage (sheetfunnel)"
    assert names.columns["score"] == "Score (sheetfunnel)"
    assert names.columns["why"] == "Why"
    assert names.tabs == {
        "summary": "Summary (sheetfunnel)",
        "history": "History",
        "state": "sheetfunnel",
        "companies": "Companies",
        "daily": "Funnel by day",
    }
    messages = [n.message for n in names.notices]
    assert (
        "the column 'Stage' in tab 'Contacts' is yours and stays as it is; sheetfunnel's "
        "stage goes in 'Stage (sheetfunnel)' (to name it otherwise, set output.columns.stage)"
    ) in messages
    assert (
        "the tab 'Summary' is yours and stays as it is; sheetfunnel's summary tab is "
        "'Summary (sheetfunnel)' (to name it otherwise, set output.summary_tab)"
    ) in messages


def test_columns_and_tabs_marked_ours_keep_the_configured_names():
    row = contact("a@x.com", Stage="MQL", Score=12)
    sheet = data(
        [row],
        columns={"stage": "Stage", "score": "Score"},
        tabs=("Contacts", "Summary", "History"),
        marked_tabs={"summary": "Summary", "history": "History"},
    )
    names = owned.resolve_names(Config(), sheet)
    assert names.columns["stage"] == "Stage" and names.columns["score"] == "Score"
    assert names.tabs["summary"] == "Summary" and not names.notices


def test_a_clash_name_that_is_taken_too_gets_a_number_and_tab_names_stay_within_31():
    sheet = data(
        [contact("a@x.com", Stage="x", **{"Stage (sheetfunnel)": "y"})],
        tabs=("Contacts", "A very long summary tab name!!"),
    )
    config = Config.model_validate({"output": {"summary_tab": "A very long summary tab name!!"}})
    names = owned.resolve_names(config, sheet)
    assert names.columns["stage"] == "Stage (sheetfunnel 2)"
    assert names.tabs["summary"] == "A very long summa (sheetfunnel)"
    assert len(names.tabs["summary"]) <= 31


def test_a_header_the_config_uses_twice_in_the_header_row_stops_the_run():
    sheet = data(
        [contact("a@x.com", **{"Country (2)": "France"})],
        duplicates={"Contacts": {"Country": ("G", "M")}},
    )
    with pytest.raises(InputError) as err:
        owned.check_duplicates(Config(), sheet)
    assert str(err.value) == (
        "tab 'Contacts' has 2 columns headed 'Country' (G, M), and columns.country = "
        "'Country' could mean any of them. Rename all but one in the sheet, or set "
        'columns.country = "Country (2)" for the second one.'
    )


def test_a_repeated_header_the_config_does_not_use_is_fine():
    sheet = data(
        [contact("a@x.com", **{"Notes": "a", "Notes (2)": "b"})],
        duplicates={"Contacts": {"Notes": ("L", "M")}},
    )
    owned.check_duplicates(Config(), sheet)


def test_headers_differing_only_in_case_are_ambiguous_too():
    row = contact("a@x.com")
    row["country"] = "France"
    with pytest.raises(InputError, match=r"columns headed 'Country' and 'country'"):
        owned.check_duplicates(Config(), data([row]))


def scored(rows, config=None):
    config = config or Config()
    results = engine.score(config, raw(rows), None, as_of=DAY)
    return config, results


STATE = (
    ("Contact", "Stage", "Stage since"),
    ("a@x.com", "MQL", dt.date(2026, 6, 1)),
    ("B@X.com", "Lead", 46150),  # a serial, as a Sheet returns dates
)


def test_previous_comes_from_the_state_tab_and_a_typed_stage_is_found():
    rows = [
        contact("a@x.com", Stage="Customer"),  # typed over our "MQL"
        contact("b@x.com", Stage="Lead"),
        contact("c@x.com", Stage=None),  # new since the last sync
    ]
    config, results = scored([{k: v for k, v in r.items() if k != "Stage"} for r in rows])
    sheet = data(rows, columns={"stage": "Stage"}, owned_rows={"state": STATE})
    before = owned.previous(config, sheet, results.contacts, results.row_contact)
    assert not before.first_sync
    assert before.stage.tolist() == ["MQL", "Lead", pd.NA]
    assert before.since.tolist()[:2] == [pd.Timestamp("2026-06-01"), pd.Timestamp("2026-05-08")]
    assert before.typed == (("a@x.com", "Customer"),)
    notice = owned.typed_notice(config, before.typed, "Stage")
    assert notice.message == (
        "1 value typed into sheetfunnel's 'Stage' column was replaced by the computed stage "
        "(a@x.com: 'Customer'); to set a stage by hand, type the stage in your "
        "'Stage override' column instead (columns.stage_override)"
    )


def test_without_state_or_stage_column_it_is_a_first_sync():
    config, results = scored([contact("a@x.com")])
    before = owned.previous(
        config, data([contact("a@x.com")]), results.contacts, results.row_contact
    )
    assert before.first_sync and before.stage.isna().all()


def test_state_tab_keeps_each_contacts_row_and_appends_new_ones():
    keys = pd.Series(["c@x.com", "a@x.com", "b@x.com"], dtype="string")
    stages = pd.Series(["Lead", "SQL", "Lead"], dtype="string")
    since = pd.Series(pd.to_datetime(["2026-06-30", "2026-06-30", "2026-05-08"]))
    tab = owned.state_tab("sheetfunnel", STATE, keys, stages, since)
    assert tab.role == "state" and tab.hidden and tab.date_columns == (2,)
    assert tab.rows == (
        ("Contact", "Stage", "Stage since"),
        ("a@x.com", "SQL", dt.date(2026, 6, 30)),
        ("b@x.com", "Lead", dt.date(2026, 5, 8)),
        ("c@x.com", "Lead", dt.date(2026, 6, 30)),
    )


def test_stage_edits_compares_our_stage_cells_with_the_state_without_scoring():
    rows = [contact("a@x.com", Stage="Customer"), contact("b@x.com", Stage="Lead")]
    sheet = data(rows, columns={"stage": "Stage"}, owned_rows={"state": STATE})
    edits = owned.stage_edits(Config(), sheet)
    assert edits.to_dict("records") == [{"key": "a@x.com", "shown": "Customer"}]


def test_a_users_column_repeating_our_header_is_seen_through_its_frame_name():
    row = contact("a@x.com", Stage="MQL", **{"Stage (2)": "Negotiation"})
    sheet = data([row], columns={"stage": "Stage"}, duplicates={"Contacts": {"Stage": ("L", "S")}})
    assert owned.resolve_names(Config(), sheet).columns["stage"] == "Stage (sheetfunnel)"


def test_previous_of_a_contacts_tab_emptied_to_its_header():
    header_only = raw([contact("a@x.com")]).iloc[:0]
    config = Config()
    results = engine.score(config, header_only, None, as_of=DAY)
    sheet = SheetData(
        contacts=header_only.assign(Stage=None),
        ownership=Ownership(columns={"stage": "Stage"}),
        owned={"state": STATE},
    )
    before = owned.previous(config, sheet, results.contacts, results.row_contact)
    assert len(before.stage) == len(before.since) == 0 and not before.typed


def test_a_stage_typed_on_a_duplicate_contacts_second_row_is_found():
    rows = [
        contact("a@x.com", Stage="MQL"),
        contact("b@x.com", Stage="Lead"),
        contact("A@x.com ", Stage="Customer"),  # the same contact again, typed over
    ]
    config, results = scored([{k: v for k, v in r.items() if k != "Stage"} for r in rows])
    sheet = data(rows, columns={"stage": "Stage"}, owned_rows={"state": STATE})
    before = owned.previous(config, sheet, results.contacts, results.row_contact)
    assert before.typed == (("a@x.com", "Customer"),)
