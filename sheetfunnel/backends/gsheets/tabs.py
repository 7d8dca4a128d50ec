"""Owned tabs (Summary, History) replaced whole, created atomically, and their chart."""

from __future__ import annotations

from typing import Any

from sheetfunnel.backends.base import OwnedTab
from sheetfunnel.errors import InputError

from . import formats
from .changes import Block, Changes, cell_at, date_format, grow
from .model import Raw, ReadState, same, to_json


def _user_value(v: Raw) -> dict[str, Any]:
    if v in ("", None):
        return {}
    if isinstance(v, bool):
        return {"userEnteredValue": {"boolValue": v}}
    if isinstance(v, int | float):
        return {"userEnteredValue": {"numberValue": v}}
    return {"userEnteredValue": {"stringValue": str(v)}}


def owned_tab(tab: OwnedTab, state: ReadState, out: Changes) -> None:
    rows = [[to_json(v) for v in row] for row in tab.rows]
    height, width = len(rows), max((len(r) for r in rows), default=0)
    info = state.sheets.get(tab.name)
    if info is None:
        taken = {s.sheet_id for s in state.sheets.values()}
        sheet_id = formats.stable_id("tab", tab.name)
        while sheet_id in taken:
            sheet_id = (sheet_id + 1) & 0x7FFFFFFF or 1
        out.requests.append(
            {
                "addSheet": {
                    "properties": {
                        "sheetId": sheet_id,
                        "title": tab.name,
                        "gridProperties": {
                            "rowCount": max(height, 100),
                            "columnCount": max(width, 26),
                        },
                    }
                }
            }
        )
        if rows:
            # content goes in the same atomic batchUpdate: the tab appears whole or not at all
            out.requests.append(
                {
                    "updateCells": {
                        "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                        "rows": [{"values": [_user_value(v) for v in row]} for row in rows],
                        "fields": "userEnteredValue",
                    }
                }
            )
        out.undo_requests.append({"deleteSheet": {"sheetId": sheet_id}})
        for c in tab.date_columns:
            out.requests.append(date_format(sheet_id, 0, max(height, 1), c))
        out.cells += sum(len(r) for r in rows)
        out.tabs.append(tab.name)
        out.details.append(f"{tab.name}: tab created ({height} rows)")
        _chart(tab, sheet_id, state, out, new_tab=True)
        return
    if tab.name not in state.grids:
        raise InputError(
            f"Tab '{tab.name}' exists but was not read: pass it in read(owned_tabs=...) so the "
            f"write can tell whether it changed.",
            sheet=tab.name,
        )
    current = state.grids[tab.name]
    cur_h = len(current)
    cur_w = max((len(r) for r in current), default=0)
    box_h, box_w = max(height, cur_h), max(width, cur_w)
    differs = any(
        not same(cell_at(current, r, c), rows[r][c] if r < height and c < len(rows[r]) else "")
        for r in range(box_h)
        for c in range(box_w)
    )
    if differs:
        grow(info, height, width, out)
        values = [
            [rows[r][c] if r < height and c < len(rows[r]) else "" for c in range(box_w)]
            for r in range(box_h)
        ]
        old = [
            [v if (v := cell_at(current, r, c)) is not None else "" for c in range(box_w)]
            for r in range(box_h)
        ]
        out.blocks.append(Block(tab.name, 1, 0, values))
        out.undo_blocks.append(Block(tab.name, 1, 0, old))
        for c in tab.date_columns:
            out.requests.append(date_format(info.sheet_id, 0, max(height, 1), c))
        out.cells += box_h * box_w
        out.tabs.append(tab.name)
        out.details.append(f"{tab.name}: rewritten ({height} rows)")
    _chart(tab, info.sheet_id, state, out, new_tab=False)


def _chart(tab: OwnedTab, sheet_id: int, state: ReadState, out: Changes, *, new_tab: bool) -> None:
    chart_id = formats.stable_id("chart", tab.name)
    existing = None if new_tab else state.charts.get(chart_id)
    if tab.chart is None:
        if existing is not None:
            out.requests.append({"deleteEmbeddedObject": {"objectId": chart_id}})
            out.details.append(f"{tab.name}: chart removed")
        return
    spec = formats.chart_spec(sheet_id, tab.chart)
    if existing is None:
        out.requests.append(
            {
                "addChart": {
                    "chart": {
                        "chartId": chart_id,
                        "spec": spec,
                        "position": formats.chart_position(sheet_id, tab.chart),
                    }
                }
            }
        )
        if not new_tab:
            out.undo_requests.append({"deleteEmbeddedObject": {"objectId": chart_id}})
        out.details.append(f"{tab.name}: chart '{tab.chart.title}' added")
    elif not formats.contains(existing[1].get("spec", {}), spec):
        out.requests.append({"updateChartSpec": {"chartId": chart_id, "spec": spec}})
        out.undo_requests.append(
            {"updateChartSpec": {"chartId": chart_id, "spec": existing[1].get("spec", {})}}
        )
        out.details.append(f"{tab.name}: chart '{tab.chart.title}' updated")
