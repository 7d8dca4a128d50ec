"""Owned tabs (Summary, History) replaced whole, created atomically, and their chart."""

from __future__ import annotations

from typing import Any

from sheetfunnel.backends.base import OwnedTab
from sheetfunnel.errors import InputError

from . import formats
from .changes import Block, Changes, cell_at, date_format, grow
from .model import TAB_KEY, Raw, ReadState, SheetInfo, same, to_json


def _user_value(v: Raw) -> dict[str, Any]:
    if v in ("", None):
        return {}
    if isinstance(v, bool):
        return {"userEnteredValue": {"boolValue": v}}
    if isinstance(v, int | float):
        return {"userEnteredValue": {"numberValue": v}}
    return {"userEnteredValue": {"stringValue": str(v)}}


CONFIG_KEYS = {
    "summary": "output.summary_tab",
    "history": "output.history_tab",
    "state": "output.state_tab",
}


def _refuse(tab: OwnedTab) -> InputError:
    key = CONFIG_KEYS.get(tab.role, "output")
    return InputError(
        f"Tab '{tab.name}' is not sheetfunnel's (it has no sheetfunnel marker): it will not be "
        f"replaced. Rename that tab or choose another name in {key}.",
        sheet=tab.name,
    )


def owned_tab(tab: OwnedTab, state: ReadState, out: Changes) -> None:
    """The tab marked for `tab.role` rewritten (renamed, hidden as asked); without one, a new
    tab created and marked in the same atomic request. A tab of the user's is never touched."""
    rows = [[to_json(v) for v in row] for row in tab.rows]
    height, width = len(rows), max((len(r) for r in rows), default=0)
    info = state.tab_for(tab.role)
    if info is None:
        if tab.name in state.sheets:
            raise _refuse(tab)
        _create(tab, rows, state, out)
        return
    if info.title != tab.name and tab.name in state.sheets:
        raise _refuse(tab)
    if info.title not in state.grids:
        raise InputError(
            f"Tab '{info.title}' was not read: write() needs the SheetData read() returned.",
            sheet=info.title,
        )
    _properties(tab, info, out)
    current = state.grids[info.title]
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
        if height > info.rows:  # the grid's own rows got the date format when we created it
            for c in tab.date_columns:
                out.requests.append(date_format(info.sheet_id, info.rows, height, c))
        out.cells += box_h * box_w
        out.tabs.append(tab.name)
        out.details.append(f"{tab.name}: rewritten ({height} rows)")
    _chart(tab, info.sheet_id, state, out, new_tab=False)


def _properties(tab: OwnedTab, info: SheetInfo, out: Changes) -> None:
    """Our tab renamed back to `tab.name` and hidden or shown as asked; undo restores both."""
    fields = [
        f
        for f, differs in (("title", info.title != tab.name), ("hidden", info.hidden != tab.hidden))
        if differs
    ]
    if not fields:
        return
    mask = ",".join(fields)
    new = {"sheetId": info.sheet_id, "title": tab.name, "hidden": tab.hidden}
    old = {"sheetId": info.sheet_id, "title": info.title, "hidden": info.hidden}
    out.requests.append({"updateSheetProperties": {"properties": new, "fields": mask}})
    out.undo_requests.append({"updateSheetProperties": {"properties": old, "fields": mask}})
    if "title" in fields:
        out.details.append(f"{info.title}: renamed back to '{tab.name}'")
    if "hidden" in fields:
        out.details.append(f"{tab.name}: {'hidden' if tab.hidden else 'shown'}")


def _create(tab: OwnedTab, rows: list[list[Raw]], state: ReadState, out: Changes) -> None:
    height, width = len(rows), max((len(r) for r in rows), default=0)
    taken = {s.sheet_id for s in state.sheets.values()}
    sheet_id = formats.stable_id("tab", tab.name)
    while sheet_id in taken:
        sheet_id = (sheet_id + 1) & 0x7FFFFFFF or 1
    properties: dict[str, Any] = {
        "sheetId": sheet_id,
        "title": tab.name,
        "gridProperties": {"rowCount": max(height, 100), "columnCount": max(width, 26)},
    }
    if tab.hidden:
        properties["hidden"] = True
    out.requests.append({"addSheet": {"properties": properties}})
    # marker and content go in the same atomic batchUpdate: the tab appears whole or not at all
    out.requests.append(
        {
            "createDeveloperMetadata": {
                "developerMetadata": {
                    "metadataId": formats.stable_id("tab-mark", f"{sheet_id}:{tab.role}"),
                    "metadataKey": TAB_KEY,
                    "metadataValue": tab.role,
                    "location": {"sheetId": sheet_id},
                    "visibility": "DOCUMENT",
                }
            }
        }
    )
    if rows:
        out.requests.append(
            {
                "updateCells": {
                    "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                    "rows": [{"values": [_user_value(v) for v in row]} for row in rows],
                    "fields": "userEnteredValue",
                }
            }
        )
    out.undo_requests.append({"deleteSheet": {"sheetId": sheet_id}})  # its marker goes with it
    for c in tab.date_columns:  # the whole column: later rewrites need no format request
        out.requests.append(date_format(sheet_id, 0, max(height, 100), c))
    out.cells += sum(len(r) for r in rows)
    out.tabs.append(tab.name)
    out.details.append(f"{tab.name}: tab created ({height} rows)")
    _chart(tab, sheet_id, state, out, new_tab=True)


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
