"""Ownership is marked, never guessed: a user's own "Stage"/"Score" columns and "Summary" tab
are left alone; our marked columns and tabs are found wherever the user moved, renamed,
reordered or hid them, and recreated when deleted."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import gspread
import pytest

from sheetfunnel.backends.base import OwnedTab, unnamed_column
from sheetfunnel.backends.gsheets import GoogleSheetsBackend
from sheetfunnel.errors import InputError
from tests.gsheets_emulator import Emulator
from tests.gsheets_emulator.scenario import fill, plan_for, read, seed
from tests.gsheets_emulator.state import Sheet


def values(emu: Emulator, key: str, title: str) -> list[list[Any]]:
    with emu.lock:
        tab = emu.spreadsheets[key].by_title(title)
        return [[c.value if c else None for c in row] for row in tab.rows]


def marks(emu: Emulator, key: str) -> list[tuple[str, str, Any]]:
    """(key, value, column index or sheet title) of every developer metadata entry."""
    ss = emu.spreadsheets[key]
    out = []
    for m in ss.metadata:
        loc = m["location"]
        where = (
            loc["dimensionRange"]["startIndex"]
            if "dimensionRange" in loc
            else ss.by_id(loc["sheetId"]).title
        )
        out.append((m["metadataKey"], m["metadataValue"], where))
    return sorted(out, key=str)


def user_clash_sheet(emu: Emulator, contacts: int = 8) -> str:
    """A CRM export with its own Stage and Score columns, and its own Summary tab."""
    key = seed(emu, contacts)
    with emu.lock:
        ss = emu.spreadsheets[key]
        rows = values(emu, key, "Contacts")
        rows[0] += ["Stage", "Score"]
        for i, row in enumerate(rows[1:]):
            row += [None] * (6 - len(row)) + ["Won" if i % 2 else "Open", 100 + i]
        fill(ss.sheets[0], rows)
        summary = Sheet(7, "Summary")
        fill(summary, [["Quarter", "Revenue"], ["Q1", 1200]])
        ss.sheets.append(summary)
    return key


def test_a_users_stage_score_and_summary_are_never_taken_over(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = user_clash_sheet(emulator)
    before_contacts = values(emulator, key, "Contacts")
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    assert data.ownership.columns == {} and data.ownership.tabs == {}
    assert data.owned == {} and data.tabs == ("Contacts", "Activities", "Summary")
    # the sync picks free names; the backend places and marks them
    plan = plan_for(
        data,
        headers={"stage": "Stage (sheetfunnel)", "score": "Score (sheetfunnel)"},
        tab_names={"summary": "Summary (sheetfunnel)"},
    )
    backend.write(plan, data)
    after = values(emulator, key, "Contacts")
    assert [row[:8] for row in after] == [row[:8] for row in before_contacts]
    assert after[0][8:] == ["Score (sheetfunnel)", "Stage (sheetfunnel)", "Next action", "Why"]
    assert values(emulator, key, "Summary") == [["Quarter", "Revenue"], ["Q1", 1200]]
    data = read(backend)
    assert data.ownership.columns == {
        "score": "Score (sheetfunnel)",
        "stage": "Stage (sheetfunnel)",
        "next_action": "Next action",
        "why": "Why",
    }
    assert data.ownership.tabs == {"summary": "Summary (sheetfunnel)", "history": "History"}
    assert set(data.owned) == {"summary", "history"}
    assert not backend.write(plan, data).changed


def test_a_plan_naming_a_users_tab_is_refused_and_writes_nothing(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = user_clash_sheet(emulator)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    emulator.reset_log()
    with pytest.raises(InputError, match=r"Tab 'Summary' is not sheetfunnel's.*output.summary_tab"):
        backend.write(plan_for(data), data)
    assert emulator.api_calls() == []
    assert values(emulator, key, "Summary") == [["Quarter", "Revenue"], ["Q1", 1200]]


def test_a_pinned_letter_on_a_users_column_goes_after_the_last_column(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = user_clash_sheet(emulator)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    plan = plan_for(data, headers={"stage": "Stage (sheetfunnel)"}, tab_names={"summary": "S"})
    pinned = tuple(
        replace(c, letter="G") if c.field == "stage" else c for c in plan.columns
    )  # G holds the user's Stage
    backend.write(replace(plan, columns=pinned), data)
    header = values(emulator, key, "Contacts")[0]
    assert header[6:8] == ["Stage", "Score"] and header.index("Stage (sheetfunnel)") == 9


def test_marked_columns_moved_renamed_emptied_and_deleted(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 10)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    backend.write(plan_for(data), data)  # G Score, H Stage, I Next action, J Why
    sh = gclient.open_by_key(key)
    ws = sh.worksheet("Contacts")
    ws.update([["My score"]], "G1")  # renamed
    ws.update([[""]], "J1")  # header emptied
    ws.delete_columns(9)  # Next action deleted: its marker goes with it
    sh.batch_update(  # Stage moved to A
        {
            "requests": [
                {
                    "moveDimension": {
                        "source": {
                            "sheetId": 0,
                            "dimension": "COLUMNS",
                            "startIndex": 7,
                            "endIndex": 8,
                        },
                        "destinationIndex": 0,
                    }
                }
            ]
        }
    )
    data = read(backend)
    assert data.ownership.columns == {
        "stage": "Stage",
        "score": "My score",
        "why": unnamed_column("why"),
    }
    assert data.contacts[unnamed_column("why")].tolist()[:2] == ["fit 0", "fit 1"]
    assert data.contacts["Stage"].tolist()[:2] == ["Lead", "MQL"]
    backend.write(plan_for(data), data)
    rows = values(emulator, key, "Contacts")
    assert rows[0] == [
        "Stage",
        *("Email", "Name", "Company", "Phone", "Source", "Notes"),
        *("Score", "Why", "Next action"),
    ]
    assert rows[1][0] == "Lead" and rows[1][7:] == [0.0, "fit 0", "call Lead"]
    data = read(backend)
    assert set(data.ownership.columns) == {"score", "stage", "next_action", "why"}
    assert not backend.write(plan_for(data), data).changed


def test_marked_tabs_renamed_reordered_deleted_and_a_hidden_state_tab(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 6)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    state = OwnedTab(
        "state", "sheetfunnel state", (("Email", "Stage"), ("a@x", "Lead")), hidden=True
    )
    plan = plan_for(data)
    backend.write(replace(plan, tabs=(*plan.tabs, state)), data)
    ss = emulator.spreadsheets[key]
    assert ss.by_title("sheetfunnel state").hidden
    assert ("sheetfunnel:tab", "state", "sheetfunnel state") in marks(emulator, key)
    sh = gclient.open_by_key(key)
    sh.worksheet("Summary").update_title("Our numbers")
    sh.worksheet("sheetfunnel state").show()
    sh.worksheet("History").update_index(0)
    data = read(backend)
    assert data.ownership.tabs == {
        "summary": "Our numbers",
        "history": "History",
        "state": "sheetfunnel state",
    }
    assert data.tabs[0] == "History" and data.owned["state"][1] == ("a@x", "Lead")
    plan = plan_for(data)
    result = backend.write(replace(plan, tabs=(*plan.tabs, state)), data)
    assert "Our numbers: renamed back to 'Summary'" in result.details
    ss = emulator.spreadsheets[key]
    assert ss.by_title("sheetfunnel state").hidden and "Our numbers" not in ss.titles()
    sh.del_worksheet(sh.worksheet("Summary"))
    data = read(backend)
    assert "summary" not in data.ownership.tabs
    backend.write(replace(plan, tabs=(*plan.tabs, state)), data)
    assert values(emulator, key, "Summary")[0] == ["Stage", "Contacts"]
    data = read(backend)
    assert not backend.write(replace(plan_for(data), tabs=(*plan.tabs, state)), data).changed


def test_markers_of_the_previous_version_are_read_and_replaced(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 5)
    with emulator.lock:
        rows = values(emulator, key, "Contacts")
        rows[0] += ["Stage since"]
        fill(emulator.spreadsheets[key].sheets[0], rows)
    gclient.open_by_key(key).batch_update(
        {
            "requests": [
                {
                    "createDeveloperMetadata": {
                        "developerMetadata": {
                            "metadataKey": "sheetfunnel:column",
                            "metadataValue": "Stage since",  # a header, as written before
                            "location": {
                                "dimensionRange": {
                                    "sheetId": 0,
                                    "dimension": "COLUMNS",
                                    "startIndex": 6,
                                    "endIndex": 7,
                                }
                            },
                        }
                    }
                }
            ]
        }
    )
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    assert data.ownership.columns == {"stage_since": "Stage since"}
    backend.write(plan_for(data), data)
    assert ("sheetfunnel:column", "stage_since", 6) in marks(emulator, key)
    assert not any(v == "Stage since" for _, v, _ in marks(emulator, key))
    data = read(backend)
    assert data.ownership.columns["stage_since"] == "Stage since"
    assert not backend.write(plan_for(data), data).changed


def test_duplicate_headers_are_reported(emulator: Emulator, gclient: gspread.Client) -> None:
    key = seed(emulator, 3)
    with emulator.lock:
        rows = values(emulator, key, "Contacts")
        rows[0] += ["Email", "Name", "Name"]
        fill(emulator.spreadsheets[key].sheets[0], rows)
    data = read(GoogleSheetsBackend(gclient, key))
    assert data.duplicates == {"Contacts": {"Email": ("A", "G"), "Name": ("B", "H", "I")}}
    assert "Name (3)" in data.contacts.columns


def test_contacts_emptied_to_the_header_clears_our_cells(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 6)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    backend.write(plan_for(data), data)
    gclient.open_by_key(key).worksheet("Contacts").batch_clear(["A2:F7"])
    data = read(backend)
    plan = plan_for(data)
    empty = replace(plan, keys=(), columns=tuple(replace(c, values=()) for c in plan.columns))
    backend.write(empty, data)
    assert [r for r in values(emulator, key, "Contacts") if any(r)] == [
        [
            "Email",
            "Name",
            "Company",
            "Phone",
            "Source",
            "Notes",
            "Score",
            "Stage",
            "Next action",
            "Why",
        ]
    ]
    data = read(backend)
    assert not backend.write(empty, data).changed


def test_a_pinned_letter_past_the_users_columns_is_created_fresh(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 5)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    plan = plan_for(data)
    pinned = tuple(replace(c, letter="M") if c.field == "score" else c for c in plan.columns)
    result = backend.write(replace(plan, columns=pinned), data)
    assert result.changed
    header = values(emulator, key, "Contacts")[0]
    assert header[12] == "Score" and header[6:9] == ["Stage", "Next action", "Why"]
    assert ("sheetfunnel:column", "score", 12) in marks(emulator, key)
    data = read(backend)
    assert not backend.write(replace(plan_for(data), columns=pinned), data).changed
