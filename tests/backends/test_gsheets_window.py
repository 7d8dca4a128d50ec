"""Another client sorts the contacts while a write is in flight: no contact ever keeps
another's values. Sorts are injected by the emulator between our requests (right before the
structure batchUpdate, during the values write's retry backoff, right before the verification
read) and the result is checked row by row."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import gspread
import pytest

from sheetfunnel.backends.base import ManagedColumn, WritePlan
from sheetfunnel.backends.gsheets import GoogleSheetsBackend, RetryPolicy
from sheetfunnel.errors import BusyError, RemoteError
from tests.gsheets_emulator import Emulator
from tests.gsheets_emulator.scenario import plan_for, read, seed
from tests.gsheets_emulator.timing import write_window


def sort_request(emu: Emulator, key: str, descending: bool = True) -> list[dict[str, Any]]:
    """Another client sorts every contact row (all columns) by Email."""
    with emu.lock:
        sheet = emu.spreadsheets[key].sheets[0]
        rows, cols = len(sheet.rows), sheet.column_count
    order = "DESCENDING" if descending else "ASCENDING"
    return [
        {
            "sortRange": {
                "range": {
                    "sheetId": 0,
                    "startRowIndex": 1,
                    "endRowIndex": rows,
                    "startColumnIndex": 0,
                    "endColumnIndex": cols,
                },
                "sortSpecs": [{"dimensionIndex": 0, "sortOrder": order}],
            }
        }
    ]


def sorter(emu: Emulator, key: str) -> Any:
    """An action that sorts the contacts, alternating descending and ascending."""
    turn = [True]

    def sort() -> None:
        emu.apply(key, sort_request(emu, key, turn[0]))
        turn[0] = not turn[0]

    return sort


def by_email(emu: Emulator, key: str) -> dict[str, list[Any]]:
    """Each contact's row as the sheet holds it, by email."""
    with emu.lock:
        sheet = emu.spreadsheets[key].sheets[0]
        rows = [[c.value if c else None for c in row] for row in sheet.rows]
    header = rows[0]
    return {
        r[0]: {h: (r[i] if i < len(r) else None) for i, h in enumerate(header) if h}
        for r in rows[1:]
        if r and r[0] is not None
    }


def assert_each_contact_has_its_own(emu: Emulator, key: str, plan: WritePlan) -> None:
    rows = by_email(emu, key)
    for i, email in enumerate(plan.keys):
        for col in plan.columns:
            got = rows[email][col.header]
            assert got == col.values[i], (email, col.header, got, col.values[i])


def test_sort_landing_before_the_structure_batch_update_is_repaired(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 40)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    plan = plan_for(data)
    emulator.before_next(sorter(emulator, key), method="POST", path_contains=f"{key}:batchUpdate")
    result = backend.write(plan, data)
    assert any("rows moved while writing; managed values realigned" in d for d in result.details)
    assert next(iter(by_email(emulator, key))) == "contact9@example.com"  # the sort did land
    assert_each_contact_has_its_own(emulator, key, plan)


def test_sort_during_the_values_retry_backoff_is_repaired(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 40)
    setup = GoogleSheetsBackend(gclient, key)
    data = read(setup)
    setup.write(plan_for(data), data)  # managed columns exist: the next write changes cells
    sort = sorter(emulator, key)
    backend = GoogleSheetsBackend(
        gclient, key, retry=RetryPolicy(attempts=3, sleep=lambda s: sort(), jitter=lambda: 0.0)
    )
    data = read(backend)
    plan = plan_for(data, shift=2)
    emulator.fail_next(503, count=1, method="POST", path_contains="values:batchUpdate")
    result = backend.write(plan, data)
    assert any("realigned" in d for d in result.details)
    assert_each_contact_has_its_own(emulator, key, plan)


def test_sort_after_the_values_write_keeps_every_row_right(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 40)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    plan = plan_for(data)
    # skip the row-order check: the sort lands just before the verification read
    emulator.before_next(sorter(emulator, key), after=1, path_contains="values:batchGet")
    backend.write(plan, data)
    assert_each_contact_has_its_own(emulator, key, plan)


def test_rows_that_keep_moving_are_rolled_back_whole(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 30)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    before = by_email(emulator, key)
    # a sort before every read after the row-order check: the order never settles
    emulator.before_next(sorter(emulator, key), count=10, after=1, path_contains="values:batchGet")
    with pytest.raises(BusyError, match=r"kept moving.*undone: the spreadsheet is as before"):
        backend.write(plan_for(data), data)
    emulator.faults.clear()
    ss = emulator.spreadsheets[key]
    assert [s.title for s in ss.sheets] == ["Contacts", "Activities"]
    assert ss.metadata == [] and ss.sheets[0].conditional_formats == []
    assert ss.sheets[0].formats == {} and ss.sheets[0].column_count == 26
    assert by_email(emulator, key) == before  # every contact's row as it was


def test_sort_in_the_window_without_a_key_column(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 25)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend, key_header="")
    plan = plan_for(data, key_header="")
    assert plan.key_header == ""
    emulator.before_next(sorter(emulator, key), method="POST", path_contains=f"{key}:batchUpdate")
    result = backend.write(plan, data)
    assert any("realigned" in d for d in result.details)
    rows = by_email(emulator, key)
    emails = list(data.contacts["Email"])
    for i, email in enumerate(emails):
        for col in plan.columns:
            assert rows[email][col.header] == col.values[i]
    data = read(backend, key_header="")
    again = plan_for(data, key_header="")
    assert backend.write(again, data).changed  # new order: the test plan moves with rows
    data = read(backend, key_header="")
    assert not backend.write(plan_for(data, key_header=""), data).changed


@pytest.mark.parametrize("between_users_columns", [False, True])
def test_rollback_restores_the_number_formats_a_date_column_replaced(
    emulator: Emulator, gclient: gspread.Client, between_users_columns: bool
) -> None:
    """K pinned for Stage since, K formatted by the user: past the user's columns K is
    inserted fresh (undo deletes it); between them (a user column at L) K is formatted in
    place, its prior formats read first and put back by the undo."""
    key = seed(emulator, 12)
    if between_users_columns:
        ws = gclient.open_by_key(key).sheet1
        ws.update([["Region"], *[["EU"]] * 12], "L1")
    currency = {"numberFormat": {"type": "CURRENCY", "pattern": "$#,##0.00"}}
    gclient.open_by_key(key).batch_update(
        {
            "requests": [
                {
                    "repeatCell": {
                        "range": {
                            "sheetId": 0,
                            "startRowIndex": 3,
                            "endRowIndex": 9,
                            "startColumnIndex": 10,
                            "endColumnIndex": 11,
                        },
                        "cell": {"userEnteredFormat": currency},
                        "fields": "userEnteredFormat.numberFormat",
                    }
                }
            ]
        }
    )
    backend = GoogleSheetsBackend(
        gclient, key, retry=RetryPolicy(attempts=2, sleep=lambda s: None, jitter=lambda: 0.0)
    )
    data = read(backend)
    plan = plan_for(data)
    since = ManagedColumn(
        "stage_since",
        "Stage since",
        "date",
        tuple(dt.date(2026, 1, 1) for _ in plan.keys),
        letter="K",
    )
    plan = replace(plan, columns=(*plan.columns, since))
    with emulator.lock:
        formats_before = dict(emulator.spreadsheets[key].sheets[0].formats)
    cells_before = _cells(emulator, key)
    emulator.reset_log()
    emulator.fail_next(503, count=2, method="POST", path_contains="values:batchUpdate")
    with pytest.raises(RemoteError, match="rolled back: the spreadsheet is as before"):
        backend.write(plan, data)
    assert emulator.spreadsheets[key].sheets[0].formats == formats_before
    assert _cells(emulator, key) == cells_before
    format_reads = [c for c in emulator.api_calls() if "userEnteredFormat" in c.query]
    assert len(format_reads) == int(between_users_columns)
    data = read(backend)
    backend.write(plan, data)  # and when it works, K holds dates shown as dates
    sheet = emulator.spreadsheets[key].sheets[0]
    assert sheet.formats[(1, 10)]["numberFormat"]["type"] == "DATE"
    assert gclient.open_by_key(key).sheet1.acell("K2").value == "2026-01-01"


def _insert_column_a(emu: Emulator, key: str) -> Any:
    request = {
        "insertDimension": {
            "range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1}
        }
    }
    return lambda: emu.apply(key, [request])


def _cells(emu: Emulator, key: str) -> list[list[Any]]:
    with emu.lock:
        rows = emu.spreadsheets[key].sheets[0].rows
        out = [[c.value if c else None for c in row] for row in rows]
    for row in out:
        while row and row[-1] is None:
            row.pop()
    return out


@pytest.mark.parametrize("first_sync", [True, False])
def test_a_column_inserted_in_the_window_never_costs_a_user_cell(
    emulator: Emulator, gclient: gspread.Client, first_sync: bool
) -> None:
    key = seed(emulator, 8)
    backend = GoogleSheetsBackend(gclient, key)
    if not first_sync:
        data = read(backend)
        backend.write(plan_for(data), data)
    data = read(backend)
    before = _cells(emulator, key)
    width = emulator.spreadsheets[key].sheets[0].column_count
    metadata = sorted(m["metadataId"] for m in emulator.spreadsheets[key].metadata)
    # a column lands at A after our row check: before the structure request on a first sync
    # (new columns are inserted fresh), before the values write on a later one (values follow
    # our markers); the header check then sees it, and everything is undone
    path = f"{key}:batchUpdate" if first_sync else "batchUpdateByDataFilter"
    emulator.before_next(_insert_column_a(emulator, key), method="POST", path_contains=path)
    with pytest.raises(BusyError, match=r"inserted, deleted or moved.*as before"):
        backend.write(plan_for(data, shift=1), data)
    assert _cells(emulator, key) == [[None, *row] for row in before]
    ss = emulator.spreadsheets[key]
    assert sorted(m["metadataId"] for m in ss.metadata) == metadata
    assert ss.sheets[0].column_count == width + 1  # the user's column, and none of ours
    assert (
        ss.titles()[:2] == ["Contacts", "Activities"]
        and len(ss.titles()) == 2 + (not first_sync) * 2
    )


@pytest.mark.parametrize("contacts", [50, 5000])
def test_the_verification_read_follows_the_last_write(
    emulator: Emulator, gclient: gspread.Client, contacts: int
) -> None:
    """The measured window: from the row check to the last values write (where a sort is
    caught and repaired), and nothing written after the verification read started."""
    key = seed(emulator, contacts)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    emulator.reset_log()
    backend.write(plan_for(data), data)
    window = write_window(emulator.api_calls())
    assert window is not None
    exposed, remaining = window
    assert 0 < exposed < 5 and remaining < 0
    print(f"{contacts} contacts: exposed {exposed * 1e3:.1f} ms, then {-remaining * 1e3:.1f} ms")


@pytest.mark.parametrize("edit", ["insertDimension", "deleteDimension"])
def test_rows_inserted_or_deleted_in_the_window_are_repaired(
    emulator: Emulator, gclient: gspread.Client, edit: str
) -> None:
    key = seed(emulator, 20)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    backend.write(plan_for(data), data)
    data = read(backend)
    plan = plan_for(data, shift=3)
    rows = {"sheetId": 0, "dimension": "ROWS", "startIndex": 2, "endIndex": 5}
    action = lambda: emulator.apply(key, [{edit: {"range": rows}}])  # noqa: E731
    emulator.before_next(action, method="POST", path_contains="batchUpdateByDataFilter")
    result = backend.write(plan, data)
    assert any("realigned" in d for d in result.details)
    now = by_email(emulator, key)
    gone = {f"contact{i}@example.com" for i in (1, 2, 3)} if edit == "deleteDimension" else set()
    assert set(now) == set(plan.keys) - gone
    for i, email in enumerate(plan.keys):
        if email not in gone:
            assert [now[email][c.header] for c in plan.columns] == [
                c.values[i] for c in plan.columns
            ]
    with emulator.lock:
        blank = [r for r in emulator.spreadsheets[key].sheets[0].rows[1:] if r and r[0] is None]
    assert all(all(c is None for c in r) for r in blank)  # inserted rows: our cells cleared


def test_a_failed_verification_read_says_the_values_were_written(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 10)
    backend = GoogleSheetsBackend(
        gclient, key, retry=RetryPolicy(attempts=2, sleep=lambda s: None, jitter=lambda: 0.0)
    )
    data = read(backend)
    emulator.fail_next(503, count=2, after=1, method="GET", path_contains="values:batchGet")
    with pytest.raises(RemoteError, match="values were written but could not be checked") as info:
        backend.write(plan_for(data), data)
    assert "Nothing was written" not in str(info.value)


def test_sort_between_two_value_chunks_is_repaired(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 300)
    setup = GoogleSheetsBackend(gclient, key)
    data = read(setup)
    setup.write(plan_for(data), data)
    small = GoogleSheetsBackend(gclient, key, max_payload=4_000)
    data = read(small)
    plan = plan_for(data, shift=1)
    emulator.before_next(
        sorter(emulator, key), after=1, method="POST", path_contains="batchUpdateByDataFilter"
    )
    result = small.write(plan, data)
    writes = [c for c in emulator.api_calls() if c.path.endswith("batchUpdateByDataFilter")]
    assert len(writes) > 3 and any("realigned" in d for d in result.details)
    assert_each_contact_has_its_own(emulator, key, plan)
