"""Stage colours, chart, owned tabs and column markers: idempotent, users' own rules kept."""

from __future__ import annotations

import json
from dataclasses import replace

import gspread

from sheetfunnel.backends.base import StageColour
from sheetfunnel.backends.gsheets import GoogleSheetsBackend
from sheetfunnel.backends.gsheets.formats import signature, stage_rule, wanted_signature
from tests.gsheets_emulator import Emulator
from tests.gsheets_emulator.scenario import COLOURS, fill, plan_for, read, seed

USER_RULE = {
    "ranges": [
        {
            "sheetId": 0,
            "startRowIndex": 1,
            "endRowIndex": 500,
            "startColumnIndex": 0,
            "endColumnIndex": 1,
        }
    ],
    "booleanRule": {
        "condition": {"type": "TEXT_CONTAINS", "values": [{"userEnteredValue": "@example"}]},
        "format": {"textFormat": {"bold": True}},
    },
}


def _rules(gclient: gspread.Client, key: str) -> list[dict]:
    meta = gclient.open_by_key(key).fetch_sheet_metadata(
        {"fields": "sheets(properties.title,conditionalFormats,charts)"}
    )
    return meta["sheets"][0].get("conditionalFormats", [])


def _formulas(rules: list[dict]) -> list[str]:
    return [r["booleanRule"]["condition"]["values"][0]["userEnteredValue"] for r in rules]


def test_three_syncs_are_idempotent_and_keep_the_users_rule(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 30)
    gclient.open_by_key(key).batch_update(
        {"requests": [{"addConditionalFormatRule": {"rule": USER_RULE, "index": 0}}]}
    )
    user_rule_read = _rules(gclient, key)[0]
    backend = GoogleSheetsBackend(gclient, key)
    results = []
    for _ in range(3):
        data = read(backend)
        results.append(backend.write(plan_for(data), data))
    assert [r.changed for r in results] == [True, False, False]
    rules = _rules(gclient, key)
    assert rules[0] == user_rule_read
    assert _formulas(rules[1:]) == [f'=$H2="{s}"' for s in COLOURS]
    fill = rules[4]["booleanRule"]["format"]["backgroundColor"]  # Prospect #CEEAD6
    assert tuple(round(fill.get(c, 0) * 255) for c in ("red", "green", "blue")) == (206, 234, 214)
    ss = emulator.spreadsheets[key]
    assert [s.title for s in ss.sheets] == ["Contacts", "Activities", "Summary", "History"]
    charts = [c for s in ss.sheets for c in s.charts]
    assert len(charts) == 1
    marks = sorted(
        (m["metadataKey"], m["metadataValue"])
        for m in ss.metadata
        if m["metadataKey"] != "sheetfunnel:format"  # the format digests: one per column, tab
    )
    assert marks == [
        *[("sheetfunnel:column", f) for f in ("next_action", "score", "stage", "why")],
        ("sheetfunnel:tab", "history"),
        ("sheetfunnel:tab", "summary"),
    ]


def test_changed_colour_replaces_only_our_rules(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 30)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    backend.write(plan_for(data), data)
    gclient.open_by_key(key).batch_update(
        {"requests": [{"addConditionalFormatRule": {"rule": USER_RULE, "index": 2}}]}
    )
    before = _rules(gclient, key)
    data = read(backend)
    result = backend.write(plan_for(data, colours={**COLOURS, "SQL": "#FF0000"}), data)
    assert result.changed
    after = _rules(gclient, key)
    assert after[0] == before[2]  # the user's rule, now first, content unchanged
    assert _formulas(after[1:]) == [f'=$H2="{s}"' for s in COLOURS]
    sql = after[3]["booleanRule"]["format"]["backgroundColor"]
    assert sql == {"red": 1}  # 8-bit colour, zero channels omitted
    data = read(backend)
    assert not backend.write(plan_for(data, colours={**COLOURS, "SQL": "#FF0000"}), data).changed


def test_chart_is_updated_in_place_with_its_fixed_id(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 30)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    backend.write(plan_for(data), data)
    (chart,) = [c for s in emulator.spreadsheets[key].sheets for c in s.charts]
    data = read(backend)
    plan = plan_for(data)
    summary = plan.tabs[0]
    renamed = replace(summary, charts=(replace(summary.charts[0], title="Pipeline"),))
    emulator.reset_log()
    result = backend.write(replace(plan, tabs=(renamed, plan.tabs[1])), data)
    assert "Summary: chart 'Pipeline' updated" in result.details
    (after,) = [c for s in emulator.spreadsheets[key].sheets for c in s.charts]
    assert after["chartId"] == chart["chartId"] and after["spec"]["title"] == "Pipeline"


def test_markers_find_moved_columns_even_when_renamed(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 30)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    backend.write(plan_for(data), data)
    sh = gclient.open_by_key(key)
    # the user moves Stage (H) to B and renames its header: the marker still finds it
    sh.batch_update(
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
                        "destinationIndex": 1,
                    }
                }
            ]
        }
    )
    sh.worksheet("Contacts").update([["Funnel stage"]], "B1")
    data = read(backend)
    result = backend.write(plan_for(data), data)
    rows = sh.worksheet("Contacts").get_all_values()
    assert rows[0][:3] == ["Email", "Stage", "Name"]
    assert rows[0].count("Stage") == 1  # found again, not duplicated
    assert _formulas(_rules(gclient, key)) == [f'=$B2="{s}"' for s in COLOURS]
    assert result.changed
    data = read(backend)
    assert not backend.write(plan_for(data), data).changed


def test_managed_columns_past_the_grid_grow_it_first(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = emulator.create("wide")
    headers = ["Email", *[f"Field {i}" for i in range(23)]]  # A..X used, Y and Z free
    with emulator.lock:
        sheet = emulator.spreadsheets[key].sheets[0]
        sheet.title = "Contacts"
        fill(sheet, [headers, *[[f"c{i}@x", *range(23)] for i in range(20)]])
        sheet.resize(25, 26)
    backend = GoogleSheetsBackend(gclient, key)
    data = backend.read("Contacts")
    assert backend.write(plan_for(data), data).changed
    ws = gclient.open_by_key(key).worksheet("Contacts")
    # new columns are inserted fresh (the two empty grid columns Y, Z move right)
    assert ws.col_count == 30
    assert ws.get_all_values()[0][24:] == ["Score", "Stage", "Next action", "Why"]
    data = backend.read("Contacts")
    assert not backend.write(plan_for(data), data).changed


def test_owned_tab_replaced_whole_when_it_shrinks(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 10)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    plan = plan_for(data)
    history = plan.tabs[1]
    longer = replace(history, rows=(*history.rows, ("x", "y", "z", "w"), ("p", "q")))
    backend.write(replace(plan, tabs=(plan.tabs[0], longer)), data)
    data = read(backend)
    assert len(data.owned["history"]) == 4
    backend.write(plan, data)
    data = read(backend)
    assert data.owned["history"] == (
        ("Date", "Email", "From", "To"),
        (46027, "contact0@example.com", "Lead", "Lead"),
    )
    fmt = emulator.spreadsheets[key].sheets[3].formats[(1, 0)]
    assert fmt["numberFormat"]["type"] == "DATE"
    ws = gclient.open_by_key(key).worksheet("History")
    assert ws.acell("A2").value == "2026-01-05"  # shown as a date


def test_deleted_managed_column_is_recreated(emulator: Emulator, gclient: gspread.Client) -> None:
    key = seed(emulator, 10)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    backend.write(plan_for(data), data)
    gclient.open_by_key(key).worksheet("Contacts").delete_columns(7)  # Score (G)
    # the Score column's marker (and its format digest) went with it
    kinds = [m["metadataKey"] for m in emulator.spreadsheets[key].metadata]
    assert kinds.count("sheetfunnel:column") == 3 and kinds.count("sheetfunnel:format") == 5
    data = read(backend)
    assert backend.write(plan_for(data), data).changed
    headers = gclient.open_by_key(key).worksheet("Contacts").row_values(1)
    assert headers[6:] == ["Stage", "Next action", "Why", "Score"]
    assert _formulas(_rules(gclient, key)) == [f'=$G2="{s}"' for s in COLOURS]


def test_rule_shapes_recognised_as_ours() -> None:
    colour = StageColour("Prospect", "#CEEAD6", "#000000")
    rule = stage_rule(5, 7, 1, colour)
    echoed = json.loads(json.dumps(rule))
    echoed["ranges"][0]["endRowIndex"] = 1000  # an API echoing the open range clamped
    assert signature(rule, 5) == wanted_signature(7, 1, colour)
    assert signature(echoed, 5, grid_rows=1000) == wanted_signature(7, 1, colour)
    assert signature(echoed, 5, grid_rows=2000) is None  # a user's bounded rule
    other = json.loads(json.dumps(rule))
    other["booleanRule"]["condition"]["values"][0]["userEnteredValue"] = '=$G2="Prospect"'
    assert signature(other, 5) is None  # formula column differs from the range


def test_header_row_below_a_title_row(emulator: Emulator, gclient: gspread.Client) -> None:
    key = seed(emulator, 8, header_row=3)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend, header_row=3)
    assert list(data.contacts.index)[:2] == [4, 5]
    backend.write(plan_for(data, header_row=3), data)
    rows = gclient.open_by_key(key).worksheet("Contacts").get_all_values()
    assert rows[0][0] == "Pipeline export" and rows[1] == [""] * len(rows[1])
    assert rows[2][6:10] == ["Score", "Stage", "Next action", "Why"]
    assert rows[3][7] == "Lead" and len(rows) == 3 + 8
    rule = _rules(gclient, key)[0]
    assert rule["ranges"][0]["startRowIndex"] == 3
    assert _formulas(_rules(gclient, key))[0] == '=$H4="Lead"'
    data = read(backend, header_row=3)
    assert not backend.write(plan_for(data, header_row=3), data).changed


def test_stage_colours_on_a_users_own_column(emulator: Emulator, gclient: gspread.Client) -> None:
    key = seed(emulator, 8)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    plan = replace(plan_for(data), stage_header="Source")
    backend.write(plan, data)
    assert _formulas(_rules(gclient, key))[0] == '=$E2="Lead"'
