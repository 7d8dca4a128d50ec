"""Owned tabs (Summary, History, Companies, daily counts, state) replaced whole, created
atomically; their look is tablook.py's, their charts charts.py's."""

from __future__ import annotations

from typing import Any

from sheetfunnel.backends.base import OwnedTab, StageColour
from sheetfunnel.errors import InputError

from . import formats, tablook
from .changes import Block, Changes, grow
from .model import TAB_KEY, Raw, ReadState, SheetInfo, same, to_json


def _user_value(v: Raw) -> dict[str, Any]:
    if v in ("", None):
        return {}
    if isinstance(v, bool):
        return {"userEnteredValue": {"boolValue": v}}
    if isinstance(v, int | float):
        return {"userEnteredValue": {"numberValue": v}}
    return {"userEnteredValue": {"stringValue": str(v)}}


def user_values(row: list[Raw]) -> list[dict[str, Any]]:
    """`_user_value` of each cell, the common exact types without a call per cell."""
    out: list[dict[str, Any]] = []
    add = out.append
    for v in row:
        kind = type(v)
        if kind is str:
            add({"userEnteredValue": {"stringValue": v}} if v else {})
        elif kind is int or kind is float:
            add({"userEnteredValue": {"numberValue": v}})
        else:
            add(_user_value(v))
    return out


def row_differs(current: tuple[Raw, ...], wanted: list[Raw], width: int) -> bool:
    """Does any cell of a row, out to `width`, differ (`same`) from what we would write?
    A row whose cells are all of the same type and equal needs no cell-by-cell look."""
    if (
        len(current) == len(wanted)
        and current == tuple(wanted)
        and all(type(a) is type(b) for a, b in zip(current, wanted, strict=True))
    ):
        return False
    return any(
        not same(current[c] if c < len(current) else None, wanted[c] if c < len(wanted) else "")
        for c in range(width)
    )


def box_rows(rows: list[list[Raw]], width: int, height: int) -> list[list[Raw]]:
    """`rows` padded with "" to a `height` x `width` box."""
    out = [row + [""] * (width - len(row)) for row in rows[:height]]
    out += [[""] * width for _ in range(height - len(out))]
    return out


def box_grid(grid: tuple[tuple[Raw, ...], ...], width: int, height: int) -> list[list[Raw]]:
    """A grid as read, None as "", padded with "" to a `height` x `width` box."""
    out = [
        (list(row) if None not in row else ["" if v is None else v for v in row])
        + [""] * (width - len(row))
        for row in grid[:height]
    ]
    out += [[""] * width for _ in range(height - len(out))]
    return out


CONFIG_KEYS = {
    "summary": "output.summary_tab",
    "history": "output.history_tab",
    "state": "output.state_tab",
    "companies": "output.companies_tab",
    "daily": "output.daily_tab",
}


def _refuse(tab: OwnedTab) -> InputError:
    key = CONFIG_KEYS.get(tab.role, "output")
    return InputError(
        f"Tab '{tab.name}' is not sheetfunnel's (it has no sheetfunnel marker): it will not be "
        f"replaced. Rename that tab or choose another name in {key}.",
        sheet=tab.name,
    )


def tab_id(tab: OwnedTab, state: ReadState, out: Changes) -> int:
    """The sheet id `tab` has, or will have once this write creates it (recorded in
    `out.tab_ids`, so a chart on another tab can read it)."""
    info = state.tab_for(tab.role)
    if info is not None:
        sheet_id = info.sheet_id
    else:
        taken = {s.sheet_id for s in state.sheets.values()} | set(out.tab_ids.values())
        sheet_id = formats.stable_id("tab", tab.name)
        while sheet_id in taken:
            sheet_id = (sheet_id + 1) & 0x7FFFFFFF or 1
    out.tab_ids[tab.role] = sheet_id
    return sheet_id


def rewrite(
    current: tuple[tuple[Raw, ...], ...], rows: list[list[Raw]]
) -> tuple[list[list[Raw]], list[list[Raw]]] | None:
    """The cells to write over an owned tab read as `current` and the ones to restore on
    undo, both as one box covering the two; None when no cell differs."""
    height, width = len(rows), max((len(r) for r in rows), default=0)
    box_h = max(height, len(current))
    box_w = max(width, max((len(r) for r in current), default=0))
    if not any(
        row_differs(current[r] if r < len(current) else (), rows[r] if r < height else [], box_w)
        for r in range(box_h)
    ):
        return None
    return box_rows(rows, box_w, box_h), box_grid(current, box_w, box_h)


def owned_tab(
    tab: OwnedTab, state: ReadState, out: Changes, colours: tuple[StageColour, ...] = ()
) -> None:
    """The tab marked for `tab.role` rewritten (renamed, hidden as asked); without one, a new
    tab created and marked in the same atomic request. A tab of the user's is never touched.
    Its charts are left to the caller (charts.tab_charts, once every tab has its id)."""
    rows = [[to_json(v) for v in row] for row in tab.rows]
    height, width = len(rows), max((len(r) for r in rows), default=0)
    info = state.tab_for(tab.role)
    if info is None:
        if tab.name in state.sheets:
            raise _refuse(tab)
        _create(tab, rows, state, out, colours)
        return
    if info.title != tab.name and tab.name in state.sheets:
        raise _refuse(tab)
    if info.title not in state.grids:
        raise InputError(
            f"Tab '{info.title}' was not read: write() needs the SheetData read() returned.",
            sheet=info.title,
        )
    _properties(tab, info, out)
    boxes = rewrite(state.grids[info.title], rows)
    if boxes is not None:
        values, old = boxes
        grow(info, height, width, out)
        out.blocks.append(Block(tab.name, 1, 0, values))
        out.undo_blocks.append(Block(tab.name, 1, 0, old))
        out.cells += sum(map(len, values))
        out.tabs.append(tab.name)
        out.details.append(f"{tab.name}: rewritten ({height} rows)")
    grid_rows = max(info.rows, height) if boxes is not None else info.rows
    tablook.tab_presentation(tab, rows, info.sheet_id, info, grid_rows, state, colours, out)


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


def _create(
    tab: OwnedTab,
    rows: list[list[Raw]],
    state: ReadState,
    out: Changes,
    colours: tuple[StageColour, ...],
) -> None:
    height, width = len(rows), max((len(r) for r in rows), default=0)
    sheet_id = out.tab_ids.get(tab.role) or tab_id(tab, state, out)
    grid_rows = max(height, 100)
    properties: dict[str, Any] = {
        "sheetId": sheet_id,
        "title": tab.name,
        "gridProperties": {
            "rowCount": grid_rows,
            "columnCount": max(width, 26),
            **tablook.frozen_properties(tab),
        },
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
                    "rows": [{"values": user_values(row)} for row in rows],
                    "fields": "userEnteredValue",
                }
            }
        )
    out.undo_requests.append({"deleteSheet": {"sheetId": sheet_id}})  # its marker goes with it
    tablook.tab_presentation(tab, rows, sheet_id, None, grid_rows, state, colours, out)
    out.cells += sum(len(r) for r in rows)
    out.tabs.append(tab.name)
    out.details.append(f"{tab.name}: tab created ({height} rows)")
