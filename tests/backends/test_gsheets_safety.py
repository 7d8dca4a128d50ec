"""Nothing is written on the wrong rows, formulas cannot be injected, failures roll back."""

from __future__ import annotations

import json

import gspread
import pytest

from sheetfunnel.backends.gsheets import GoogleSheetsBackend, RetryPolicy
from sheetfunnel.errors import BusyError, RemoteError
from tests.gsheets_emulator import Emulator
from tests.gsheets_emulator.scenario import plan_for, read, seed
from tests.gsheets_emulator.sheets_get import get as full_get
from tests.gsheets_emulator.values_api import batch_get

NO_WAIT = RetryPolicy(attempts=3, sleep=lambda s: None, jitter=lambda: 0.0)


def snapshot(emu: Emulator, key: str) -> str:
    """Everything the API can show about a spreadsheet: metadata, formats, every value."""
    with emu.lock:
        ss = emu.spreadsheets[key]
        meta = full_get(ss, [], True, None)
        values = batch_get(ss, ss.titles(), {"valueRenderOption": "FORMULA"})
        return json.dumps([meta, values, ss.metadata], sort_keys=True)


def test_sort_between_read_and_write_aborts_and_writes_nothing(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 40)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    plan = plan_for(data)
    gclient.open_by_key(key).worksheet("Contacts").sort((2, "des"), range="A2:F41")
    before = snapshot(emulator, key)
    emulator.reset_log()
    with pytest.raises(BusyError, match=r"sorted, inserted, deleted or moved.*Nothing was written"):
        backend.write(plan, data)
    assert snapshot(emulator, key) == before
    assert {c.method for c in emulator.api_calls()} == {"GET"}


def test_inserted_column_between_read_and_write_aborts(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 10)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    gclient.open_by_key(key).worksheet("Contacts").insert_cols([["Owner"]], col=1)
    with pytest.raises(BusyError):
        backend.write(plan_for(data), data)


def test_formula_like_text_is_written_as_text(emulator: Emulator, gclient: gspread.Client) -> None:
    key = seed(emulator, 5)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    backend.write(plan_for(data, why="=IMPORTXML(A1)"), data)
    ws = gclient.open_by_key(key).worksheet("Contacts")
    cells = ws.get("J2:J3", value_render_option="FORMULA")
    assert cells == [["=IMPORTXML(A1)"], ["=IMPORTXML(A1)"]]
    cell = emulator.spreadsheets[key].sheets[0].get(1, 9)
    assert cell is not None and cell.formula is None and cell.value == "=IMPORTXML(A1)"
    assert read(backend).contacts.loc[5, "Notes"] == "=not a formula"  # a user's text, as read


def test_failed_values_write_rolls_back_tabs_rules_and_growth(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 12)
    backend = GoogleSheetsBackend(gclient, key, retry=NO_WAIT)
    data = read(backend)
    before = snapshot(emulator, key)
    emulator.fail_next(503, count=3, method="POST", path_contains="values:batchUpdate")
    with pytest.raises(RemoteError, match="rolled back: the spreadsheet is as before"):
        backend.write(plan_for(data), data)
    assert snapshot(emulator, key) == before


def test_failed_chunk_restores_the_chunks_already_written(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 300)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    backend.write(plan_for(data), data)
    before = snapshot(emulator, key)
    small = GoogleSheetsBackend(gclient, key, retry=NO_WAIT, max_payload=4_000)
    data = read(small)
    emulator.reset_log()
    # the third values:batchUpdate fails for good: the first two must be undone
    emulator.fail_next(500, count=3, after=2, method="POST", path_contains="values:batchUpdate")
    with pytest.raises(RemoteError, match="rolled back"):
        small.write(plan_for(data, shift=1), data)
    writes = [
        c.status for c in emulator.api_calls() if c.path.endswith("values:batchUpdateByDataFilter")
    ]
    assert writes[:5] == [200, 200, 500, 500, 500] and set(writes[5:]) == {200}
    assert len(writes) == 7  # the two restores
    assert snapshot(emulator, key) == before


def test_new_tab_never_appears_half_written(emulator: Emulator, gclient: gspread.Client) -> None:
    key = seed(emulator, 12)
    backend = GoogleSheetsBackend(gclient, key, retry=NO_WAIT)
    data = read(backend)
    emulator.fail_next(500, count=3, method="POST", path_contains=":batchUpdate")
    with pytest.raises(RemoteError, match=r"HTTP 500 .* after 3 attempts.*Nothing was written"):
        backend.write(plan_for(data), data)
    assert [s.title for s in emulator.spreadsheets[key].sheets] == ["Contacts", "Activities"]
    data = read(backend)
    backend.write(plan_for(data), data)
    summary = gclient.open_by_key(key).worksheet("Summary").get_all_values()
    assert summary[0] == ["Stage", "Contacts"] and len(summary) == 6
