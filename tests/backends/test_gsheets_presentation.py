"""What people see on a Google Sheet (issue 15), read back from the emulator's state: formats,
widths, frozen rows, the override drop-down, chart specs, the Companies and daily tabs; an
unchanged sync still only reads, a sync costs as many requests as before, a rollback puts
the formats back."""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import replace
from typing import Any

import gspread
import pytest

from sheetfunnel.backends.base import CellStyle
from sheetfunnel.backends.gsheets import GoogleSheetsBackend
from sheetfunnel.backends.gsheets.retry import RetryPolicy
from sheetfunnel.errors import RemoteError
from tests.gsheets_emulator import Emulator
from tests.gsheets_emulator.scenario import COLOURS, STAGES, presented_plan, read, seed
from tests.gsheets_emulator.state import Sheet


def _sync(backend: GoogleSheetsBackend, days: int = 1, shift: int = 0) -> Any:
    data = read(backend)
    return backend.write(presented_plan(data, days, shift=shift), data)


def _tab(emulator: Emulator, key: str, title: str) -> Sheet:
    with emulator.lock:
        return emulator.spreadsheets[key].by_title(title)


def _rgb(colour: dict[str, Any]) -> str:
    return "#" + "".join(f"{round(colour.get(c, 0) * 255):02X}" for c in ("red", "green", "blue"))


def _kinds(emu: Emulator) -> Counter[str]:
    out: Counter[str] = Counter()
    for call in emu.api_calls():
        tail = call.path.rsplit("/", 1)[-1]
        out[f"{call.method} {tail.split(':', 1)[1] if ':' in tail else 'metadata'}"] += 1
    return out


def test_managed_columns_get_formats_widths_and_the_override_drop_down(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 40)
    contacts = _tab(emulator, key, "Contacts")
    with emulator.lock:  # the user's own width and format on Company (C)
        contacts.column_sizes[2] = 250
        contacts.formats[(1, 2)] = {"textFormat": {"italic": True}}
    user_before = {k: v for k, v in contacts.formats.items() if k[1] < 6}
    backend = GoogleSheetsBackend(gclient, key)
    _sync(backend)
    contacts = _tab(emulator, key, "Contacts")
    header = [c.value if c else None for c in contacts.rows[0]]
    assert header[6:] == ["Score", "Stage", "Next action", "Why", "Stage override"]
    # widths: ours from the plan (characters * 7 + 5 pixels), the user's as they were
    assert contacts.column_sizes == {2: 250, 6: 54, 7: 75, 8: 173, 9: 425, 10: 117}
    assert {k: v for k, v in contacts.formats.items() if k[1] < 6} == user_before
    score = contacts.formats[(1, 6)]
    assert score["numberFormat"] == {"type": "NUMBER", "pattern": "0"}
    assert score["wrapStrategy"] == "OVERFLOW_CELL"
    assert contacts.formats[(40, 9)]["wrapStrategy"] == "OVERFLOW_CELL"  # Why on one line
    assert (0, 6) not in contacts.formats  # header cells keep the sheet's look
    # the override column: created and marked, a strict drop-down of the stages, no values
    rule = contacts.validation[(1, 10)]
    assert rule["condition"]["type"] == "ONE_OF_LIST" and rule["strict"] and rule["showCustomUi"]
    assert [v["userEnteredValue"] for v in rule["condition"]["values"]] == list(STAGES)
    assert (0, 10) not in contacts.validation
    assert all((r, 10) in contacts.validation for r in range(1, contacts.row_count))
    assert not any(c < 10 for _, c in contacts.validation)
    assert all(len(row) < 11 or row[10] is None for row in contacts.rows[1:])
    data = read(backend)
    assert data.ownership.columns["stage_override"] == "Stage override"


def test_the_users_override_choices_are_never_written_over(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 10)
    backend = GoogleSheetsBackend(gclient, key)
    _sync(backend)
    ws = gclient.open_by_key(key).worksheet("Contacts")
    ws.update([["Customer"]], "K3")
    emulator.reset_log()
    result = _sync(backend)
    assert not result.changed
    assert ws.acell("K3").value == "Customer"
    assert {c.method for c in emulator.api_calls()} == {"GET"}


def test_summary_tab_is_styled_frozen_and_charted(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 40)
    _sync(GoogleSheetsBackend(gclient, key))
    summary = _tab(emulator, key, "Summary")
    assert summary.formats[(0, 0)]["textFormat"]["bold"] is True
    assert summary.formats[(0, 0)]["textFormat"]["fontSize"] == 14
    assert all(summary.formats[(2, c)]["textFormat"]["bold"] for c in range(3))
    assert summary.formats[(2, 1)]["horizontalAlignment"] == "RIGHT"  # over figures
    assert "horizontalAlignment" not in summary.formats[(2, 0)]
    assert summary.formats[(3, 1)]["numberFormat"] == {"type": "NUMBER", "pattern": "#,##0"}
    assert summary.formats[(4, 2)]["numberFormat"] == {"type": "PERCENT", "pattern": "0.0%"}
    assert (5, 0) not in summary.formats  # plain cells stay plain
    assert summary.formats[(1, 1)]["numberFormat"]["type"] == "DATE"  # the as-of date
    assert summary.extra["gridProperties"]["frozenRowCount"] == 3
    # widths from the contents: the lone title does not widen column A
    assert summary.column_sizes[0] == 10 * 7 + 5  # "Prospect" + 2
    (chart,) = summary.charts
    basic = chart["spec"]["basicChart"]
    assert chart["spec"]["title"] == "Contacts per stage" and basic["chartType"] == "BAR"
    assert basic["legendPosition"] == "NO_LEGEND"
    (series,) = basic["series"]
    assert series["dataLabel"]["type"] == "DATA"
    points = [_rgb(o["colorStyle"]["rgbColor"]) for o in series["styleOverrides"]]
    assert points == [COLOURS[s] for s in STAGES]
    assert [o["index"] for o in series["styleOverrides"]] == list(range(5))
    where = chart["position"]["overlayPosition"]
    assert where["anchorCell"]["columnIndex"] == 4  # beside the table, not over it
    assert (where["widthPixels"], where["heightPixels"]) == (480, 288)


def test_companies_and_daily_tabs_are_created_marked_and_styled(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 20)
    backend = GoogleSheetsBackend(gclient, key)
    _sync(backend)
    ss = emulator.spreadsheets[key]
    assert [s.title for s in ss.sheets] == [
        "Contacts",
        "Activities",
        "Summary",
        "History",
        "Companies",
        "Daily counts",
    ]
    roles = {
        ss.by_id(m["location"]["sheetId"]).title: m["metadataValue"]
        for m in ss.metadata
        if m["metadataKey"] == "sheetfunnel:tab"
    }
    assert roles["Companies"] == "companies" and roles["Daily counts"] == "daily"
    companies = _tab(emulator, key, "Companies")
    assert companies.formats[(0, 3)]["textFormat"]["bold"] is True
    assert companies.formats[(1, 2)]["numberFormat"]["pattern"] == "0"
    assert companies.extra["gridProperties"]["frozenRowCount"] == 1
    formulas = [
        r["booleanRule"]["condition"]["values"][0]["userEnteredValue"]
        for r in companies.conditional_formats
    ]
    assert formulas == [f'=$D2="{s}"' for s in STAGES]  # Stage coloured like the Stage column
    fills = [
        _rgb(r["booleanRule"]["format"]["backgroundColor"]) for r in companies.conditional_formats
    ]
    assert fills == [COLOURS[s] for s in STAGES]
    daily = _tab(emulator, key, "Daily counts")
    assert daily.hidden and daily.formats[(1, 0)]["numberFormat"]["type"] == "DATE"
    assert read(backend).ownership.tabs["companies"] == "Companies"


def test_two_charts_once_syncs_happened_on_several_days(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 30)
    backend = GoogleSheetsBackend(gclient, key)
    _sync(backend, days=1)
    assert len(_tab(emulator, key, "Summary").charts) == 1
    for days in (2, 3):
        result = _sync(backend, days=days)
        assert result.changed
    summary = _tab(emulator, key, "Summary")
    funnel, over_time = summary.charts
    daily = _tab(emulator, key, "Daily counts")
    basic = over_time["spec"]["basicChart"]
    assert over_time["spec"]["title"] == "Funnel over time" and basic["chartType"] == "LINE"
    assert basic["legendPosition"] == "BOTTOM_LEGEND"
    domain = basic["domains"][0]["domain"]["sourceRange"]["sources"][0]
    assert domain == {
        "sheetId": daily.sheet_id,
        "startRowIndex": 1,
        "endRowIndex": 4,
        "endColumnIndex": 1,
    }
    assert [_rgb(s["colorStyle"]["rgbColor"]) for s in basic["series"]] == [
        COLOURS[s] for s in STAGES
    ]
    assert over_time["position"]["overlayPosition"]["anchorCell"]["rowIndex"] == 16
    assert funnel["chartId"] != over_time["chartId"]
    emulator.reset_log()
    assert not _sync(backend, days=3).changed
    assert {c.method for c in emulator.api_calls()} == {"GET"}


def test_second_unchanged_sync_sends_gets_only(emulator: Emulator, gclient: gspread.Client) -> None:
    key = seed(emulator, 50, 100)
    backend = GoogleSheetsBackend(gclient, key)
    _sync(backend, days=2)
    emulator.reset_log()
    result = _sync(backend, days=2)
    assert not result.changed and result.cells_written == 0
    assert [c.method for c in emulator.api_calls()] == ["GET", "GET"]


@pytest.mark.parametrize("contacts", [10, 5000])
def test_a_presented_sync_costs_the_same_requests_as_before(
    emulator: Emulator, gclient: gspread.Client, contacts: int
) -> None:
    key = seed(emulator, contacts, contacts * 2)
    backend = GoogleSheetsBackend(gclient, key)
    emulator.reset_log()
    _sync(backend)
    first = _kinds(emulator)
    assert first == Counter(
        {
            "GET metadata": 1,
            "GET batchGet": 3,  # the read, the row-order check, the verification
            "POST batchUpdate": 1,  # structure, formats, widths, drop-down, charts, new tabs
            "POST batchUpdateByDataFilter": 1,
        }
    )
    emulator.reset_log()
    _sync(backend, shift=1)  # every stage moves: values only, formats stay
    assert _kinds(emulator) == Counter(
        {"GET metadata": 1, "GET batchGet": 3, "POST batchUpdateByDataFilter": 1}
    )


def _look(emulator: Emulator, key: str) -> Any:
    with emulator.lock:
        ss = emulator.spreadsheets[key]
        return copy.deepcopy(
            [
                (
                    s.title,
                    s.hidden,
                    s.row_count,
                    s.column_count,
                    s.extra,
                    s.formats,
                    s.validation,
                    s.column_sizes,
                    s.conditional_formats,
                    s.charts,
                    [[c.value if c else None for c in row] for row in s.rows],
                )
                for s in ss.sheets
            ]
            + [sorted((m["metadataId"], m["metadataValue"]) for m in ss.metadata)]
        )


def test_a_rollback_puts_formats_widths_panes_and_charts_back(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 30)
    backend = GoogleSheetsBackend(
        gclient, key, retry=RetryPolicy(attempts=2, sleep=lambda s: None, jitter=lambda: 0.0)
    )
    _sync(backend, days=1)
    before = _look(emulator, key)
    data = read(backend)
    plan = presented_plan(data, 3, shift=2)
    summary = plan.tabs[0]
    restyled = replace(
        summary,
        styles=(*summary.styles, CellStyle(3, 7, 0, 0, italic=True, fill="#FFEEDD")),
        frozen_rows=2,
        widths=(30,),
    )
    plan = replace(
        plan,
        columns=(replace(plan.columns[0], number_format="0.0", width=9), *plan.columns[1:]),
        tabs=(restyled, *plan.tabs[1:]),
    )
    emulator.reset_log()
    emulator.fail_next(503, count=2, method="POST", path_contains="values:batchUpdate")
    with pytest.raises(RemoteError, match="rolled back: the spreadsheet is as before"):
        backend.write(plan, data)
    assert _look(emulator, key) == before
    # the formats to restore were read in one request, before anything was written
    reads = [c for c in emulator.api_calls() if "userEnteredFormat" in c.query]
    assert len(reads) == 1
    data = read(backend)
    assert backend.write(plan, data).changed  # and when it works, it all lands
    summary_tab = _tab(emulator, key, "Summary")
    assert summary_tab.formats[(4, 0)]["textFormat"]["italic"] is True
    assert summary_tab.extra["gridProperties"]["frozenRowCount"] == 2
    assert summary_tab.column_sizes[0] == 215
    assert len(summary_tab.charts) == 2
    contacts = _tab(emulator, key, "Contacts")
    assert contacts.formats[(1, 6)]["numberFormat"]["pattern"] == "0.0"
