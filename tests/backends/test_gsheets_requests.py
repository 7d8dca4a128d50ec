"""A sync costs the same number of requests whatever the size; an unchanged sync only reads."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import gspread

from sheetfunnel.backends.gsheets import GoogleSheetsBackend
from tests.gsheets_emulator import Emulator
from tests.gsheets_emulator.fixtures import client_for
from tests.gsheets_emulator.scenario import plan_for, read, seed


def _kinds(emu: Emulator) -> Counter[str]:
    out: Counter[str] = Counter()
    for call in emu.api_calls():
        tail = call.path.rsplit("/", 1)[-1]
        kind = tail.split(":", 1)[1] if ":" in tail else "metadata"
        out[f"{call.method} {kind}"] += 1
    return out


def _first_sync(emu: Emulator, contacts: int) -> Counter[str]:
    key = seed(emu, contacts, activities=contacts * 2)
    backend = GoogleSheetsBackend(client_for(emu), key)
    emu.reset_log()
    data = read(backend)
    result = backend.write(plan_for(data), data)
    assert result.changed
    return _kinds(emu)


def test_request_count_is_the_same_for_10_and_10000_contacts(emulator: Emulator) -> None:
    small = _first_sync(emulator, 10)
    large = _first_sync(emulator, 10_000)
    assert small == large
    assert small == Counter(
        {
            "GET metadata": 1,
            "GET batchGet": 3,  # the read, the row-order check, the verification after writing
            "POST batchUpdate": 1,  # spreadsheets:batchUpdate: structure, markers, new tabs
            "POST batchUpdateByDataFilter": 1,  # values: our columns located by their markers
        }
    )
    assert all(c.status == 200 for c in emulator.api_calls())


def test_second_unchanged_sync_only_reads(emulator: Emulator, gclient: gspread.Client) -> None:
    key = seed(emulator, 50, 100)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    backend.write(plan_for(data), data)
    emulator.reset_log()
    data = read(backend)
    result = backend.write(plan_for(data), data)
    assert not result.changed and result.cells_written == 0
    assert [c.method for c in emulator.api_calls()] == ["GET", "GET"]


def test_only_changed_cells_are_sent(emulator: Emulator, gclient: gspread.Client) -> None:
    key = seed(emulator, 2000)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    backend.write(plan_for(data), data)
    data = read(backend)
    plan = plan_for(data)
    score = plan.columns[0]
    values = list(score.values)
    values[1500] = 1234.5
    changed = replace(plan, columns=(replace(score, values=tuple(values)), *plan.columns[1:]))
    emulator.reset_log()
    result = backend.write(changed, data)
    assert result.cells_written == 1
    writes = [c for c in emulator.api_calls() if c.method == "POST"]
    # one cell, no batchUpdate; written through the column's marker, so the rows above it are
    # sent as nulls (skipped cells): about 5 bytes a row
    assert len(writes) == 1 and writes[0].bytes_in < 5 * 1502 + 1500
    assert gclient.open_by_key(key).worksheet("Contacts").acell("G1502").value == "1234.5"


def test_dry_run_sends_only_reads_and_describes(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 20)
    backend = GoogleSheetsBackend(gclient, key)
    emulator.reset_log()
    data = read(backend)
    result = backend.write(plan_for(data), data, dry_run=True)
    assert result.changed and result.cells_written == 0
    assert result.details[0].startswith("dry run: nothing written")
    assert any("Summary: tab created" in d for d in result.details)
    assert {c.method for c in emulator.api_calls()} == {"GET"}
    assert [s.title for s in emulator.spreadsheets[key].sheets] == ["Contacts", "Activities"]


def test_large_values_are_chunked_under_the_payload_limit(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 3000)
    backend = GoogleSheetsBackend(gclient, key, max_payload=50_000)
    data = read(backend)
    emulator.reset_log()
    backend.write(plan_for(data, why="x" * 40), data)
    writes = [c for c in emulator.api_calls() if c.path.endswith("values:batchUpdateByDataFilter")]
    assert len(writes) > 2
    assert all(c.bytes_in < 50_000 + 5_000 for c in writes)
    data = read(backend)
    assert data.contacts["Why"].tolist() == ["x" * 40] * 3000


def test_managed_cells_past_the_plan_are_cleared(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 10)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    backend.write(plan_for(data), data)
    ws = gclient.open_by_key(key).worksheet("Contacts")
    ws.batch_clear(["A9:F11"])  # the user empties the last three contacts
    data = read(backend)
    assert len(data.contacts) == 10  # their managed cells are still there
    plan = plan_for(data)
    short = replace(
        plan,
        keys=plan.keys[:7],
        columns=tuple(replace(c, values=c.values[:7]) for c in plan.columns),
    )
    result = backend.write(short, data)
    assert result.cells_written == 4 * 3
    assert len(ws.get_all_values()) == 8
    data = read(backend)
    assert not backend.write(short, data).changed
