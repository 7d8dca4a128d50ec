"""Compare a WritePlan with what was read and work out the fewest writes that reach it.

Pure: no I/O. The result says what to send (structure requests, value blocks), what to
describe, and how to undo the structure if the value writes fail afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sheetfunnel.backends.base import ManagedColumn, OwnedTab, WritePlan
from sheetfunnel.errors import InputError

from . import formats
from .model import COLUMN_KEY, Raw, ReadState, SheetInfo, col_letter, quote, same, to_json

#: Changed cells closer than this in one column are sent as one range (fewer ranges).
MERGE_GAP = 16
DATE_FORMAT = {"numberFormat": {"type": "DATE", "pattern": "yyyy-mm-dd"}}


@dataclass
class Block:
    """A rectangle of values to write RAW: `row` is 1-based, `column` 0-based."""

    title: str
    row: int
    column: int
    values: list[list[Raw]]

    def a1(self) -> str:
        width = max((len(r) for r in self.values), default=1)
        end_col = col_letter(self.column + width - 1)
        end_row = self.row + len(self.values) - 1
        return f"{quote(self.title)}!{col_letter(self.column)}{self.row}:{end_col}{end_row}"


@dataclass
class Changes:
    """Everything one write would do."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    undo_requests: list[dict[str, Any]] = field(default_factory=list)
    undo_blocks: list[Block] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    cells: int = 0
    tabs: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.requests and not self.blocks


def _cell(grid: tuple[tuple[Raw, ...], ...], r: int, c: int) -> Raw:
    if r < len(grid):
        row = grid[r]
        if c < len(row):
            return row[c]
    return None


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for r in rows:
        if runs and r - runs[-1][1] <= MERGE_GAP:
            runs[-1] = (runs[-1][0], r)
        else:
            runs.append((r, r))
    return runs


def _grow(info: SheetInfo, rows: int, columns: int, out: Changes) -> None:
    """Grid growth before values (values writes never grow a sheet), and its undo."""
    for dim, have, need in (("ROWS", info.rows, rows), ("COLUMNS", info.columns, columns)):
        if need > have:
            out.requests.append(
                {
                    "appendDimension": {
                        "sheetId": info.sheet_id,
                        "dimension": dim,
                        "length": need - have,
                    }
                }
            )
    if rows > info.rows or columns > info.columns:
        out.undo_requests.append(
            {
                "updateSheetProperties": {
                    "properties": {
                        "sheetId": info.sheet_id,
                        "gridProperties": {"rowCount": info.rows, "columnCount": info.columns},
                    },
                    "fields": "gridProperties.rowCount,gridProperties.columnCount",
                }
            }
        )
        out.details.append(
            f"{info.title}: grid grown to {max(rows, info.rows)} rows x "
            f"{max(columns, info.columns)} columns"
        )


def place_columns(plan: WritePlan, state: ReadState, info: SheetInfo) -> dict[str, int]:
    """Column index of each managed header: our developer metadata wins, then the header text,
    then the pinned letter, then the next free column."""
    grid = state.grids.get(plan.sheet, ())
    header = grid[plan.header_row - 1] if len(grid) >= plan.header_row else ()
    by_text: dict[str, int] = {}
    for c, text in enumerate(header):
        if isinstance(text, str) and text.strip() and text.strip() not in by_text:
            by_text[text.strip()] = c
    marks = {m.header: m.column for m in state.marks if m.sheet_id == info.sheet_id}
    width = max((len(r) for r in grid), default=0)
    placed: dict[str, int] = {}
    for col in plan.columns:
        c = marks.get(col.header, by_text.get(col.header))
        if c is None and col.letter:
            c = _letter_index(col.letter)
            current = _cell(grid, plan.header_row - 1, c)
            if current not in (None, "") and str(current).strip() != col.header:
                raise InputError(
                    f"Column {col.letter} is pinned to '{col.header}' but holds '{current}'. "
                    f"Change the pinned letter in the config or move that column.",
                    sheet=plan.sheet,
                    column=col.header,
                )
        if c is None:
            c = max([width, *[p + 1 for p in placed.values()]])
        placed[col.header] = c
    return placed


def _letter_index(letters: str) -> int:
    n = 0
    for ch in letters.strip().upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def managed_blocks(plan: WritePlan, state: ReadState, placed: dict[str, int], out: Changes) -> None:
    grid = state.grids.get(plan.sheet, ())
    h = plan.header_row
    for col in plan.columns:
        c = placed[col.header]
        changed: list[int] = []  # 0-based sheet rows
        header_now = _cell(grid, h - 1, c)
        if not (isinstance(header_now, str) and header_now.strip() == col.header):
            changed.append(h - 1)
        extent = len(col.values)
        for r in range(h, len(grid)):
            if _cell(grid, r, c) not in (None, ""):
                extent = max(extent, r - h + 1)
        wanted = [to_json(v) for v in col.values] + [""] * (extent - len(col.values))
        for i, value in enumerate(wanted):
            if not same(_cell(grid, h + i, c), value):
                changed.append(h + i)
        if not changed:
            continue
        count = 0
        for r0, r1 in _runs(changed):
            values: list[list[Raw]] = []
            old: list[list[Raw]] = []
            for r in range(r0, r1 + 1):
                values.append([col.header if r == h - 1 else wanted[r - h]])
                before = _cell(grid, r, c)
                old.append(["" if before is None else before])
            out.blocks.append(Block(plan.sheet, r0 + 1, c, values))
            out.undo_blocks.append(Block(plan.sheet, r0 + 1, c, old))
            count += len(values)
        out.cells += count
        out.details.append(
            f"{plan.sheet}: {len(changed)} changed cells in '{col.header}' (column {col_letter(c)})"
        )
        if col.kind == "date":
            out.requests.append(_date_format(state.sheets[plan.sheet].sheet_id, h, None, c))


def _date_format(sheet_id: int, first_row: int, last_row: int | None, c: int) -> dict[str, Any]:
    rng: dict[str, Any] = {
        "sheetId": sheet_id,
        "startRowIndex": first_row,
        "startColumnIndex": c,
        "endColumnIndex": c + 1,
    }
    if last_row is not None:
        rng["endRowIndex"] = last_row
    return {
        "repeatCell": {
            "range": rng,
            "cell": {"userEnteredFormat": DATE_FORMAT},
            "fields": "userEnteredFormat.numberFormat",
        }
    }


def stage_rules(
    plan: WritePlan, state: ReadState, info: SheetInfo, placed: dict[str, int], out: Changes
) -> None:
    """Ours left alone when right; else deleted (highest index first) and re-added at the end."""
    current = list(state.rules.get(info.sheet_id, ()))
    ours = [
        (i, sig)
        for i, r in enumerate(current)
        if (sig := formats.signature(r, info.sheet_id, info.rows)) is not None
    ]
    wanted: list[tuple[formats.Signature, dict[str, Any]]] = []
    if plan.stage_colours:
        c = placed.get(plan.stage_header)
        if c is None:
            raise InputError(
                f"Stage column '{plan.stage_header}' not found in tab '{plan.sheet}'.",
                sheet=plan.sheet,
                column=plan.stage_header,
            )
        for colour in plan.stage_colours:
            wanted.append(
                (
                    formats.wanted_signature(c, plan.header_row, colour),
                    formats.stage_rule(info.sheet_id, c, plan.header_row, colour),
                )
            )
    if [s for _, s in ours] == [s for s, _ in wanted]:
        return
    for i, _ in sorted(ours, reverse=True):
        out.requests.append({"deleteConditionalFormatRule": {"sheetId": info.sheet_id, "index": i}})
    remaining = len(current) - len(ours)
    for k, (_, rule) in enumerate(wanted):
        out.requests.append({"addConditionalFormatRule": {"rule": rule, "index": remaining + k}})
    # undo: drop what we added, put the old ones back where they were
    for k in reversed(range(len(wanted))):
        out.undo_requests.append(
            {"deleteConditionalFormatRule": {"sheetId": info.sheet_id, "index": remaining + k}}
        )
    for i, _ in ours:
        out.undo_requests.append({"addConditionalFormatRule": {"rule": current[i], "index": i}})
    out.details.append(
        f"{info.title}: stage colours set ({len(wanted)} rules, {len(ours)} old ones replaced)"
    )


def column_marks(
    plan: WritePlan, state: ReadState, info: SheetInfo, placed: dict[str, int], out: Changes
) -> None:
    have = {(m.header, m.column) for m in state.marks if m.sheet_id == info.sheet_id}
    added = []
    for col in plan.columns:
        c = placed[col.header]
        if (col.header, c) in have:
            continue
        out.requests.append(
            {
                "createDeveloperMetadata": {
                    "developerMetadata": {
                        "metadataKey": COLUMN_KEY,
                        "metadataValue": col.header,
                        "location": {
                            "dimensionRange": {
                                "sheetId": info.sheet_id,
                                "dimension": "COLUMNS",
                                "startIndex": c,
                                "endIndex": c + 1,
                            }
                        },
                        "visibility": "DOCUMENT",
                    }
                }
            }
        )
        out.undo_requests.append(
            {
                "deleteDeveloperMetadata": {
                    "dataFilter": {
                        "developerMetadataLookup": {
                            "metadataKey": COLUMN_KEY,
                            "metadataValue": col.header,
                        }
                    }
                }
            }
        )
        added.append(col.header)
    if added:
        out.details.append(f"{info.title}: column markers added for {', '.join(added)}")


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
            out.requests.append(_date_format(sheet_id, 0, max(height, 1), c))
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
        not same(_cell(current, r, c), rows[r][c] if r < height and c < len(rows[r]) else "")
        for r in range(box_h)
        for c in range(box_w)
    )
    if differs:
        _grow(info, height, width, out)
        values = [
            [rows[r][c] if r < height and c < len(rows[r]) else "" for c in range(box_w)]
            for r in range(box_h)
        ]
        old = [
            [v if (v := _cell(current, r, c)) is not None else "" for c in range(box_w)]
            for r in range(box_h)
        ]
        out.blocks.append(Block(tab.name, 1, 0, values))
        out.undo_blocks.append(Block(tab.name, 1, 0, old))
        for c in tab.date_columns:
            out.requests.append(_date_format(info.sheet_id, 0, max(height, 1), c))
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


def plan_changes(plan: WritePlan, state: ReadState) -> Changes:
    """The fewest requests that make the spreadsheet hold `plan`."""
    info = state.sheets.get(plan.sheet)
    if info is None:
        raise InputError(
            f"Tab '{plan.sheet}' not found in spreadsheet {state.key}.", sheet=plan.sheet
        )
    out = Changes()
    placed = place_columns(plan, state, info)
    managed_blocks(plan, state, placed, out)
    need_rows = max([plan.header_row + len(c.values) for c in plan.columns], default=0)
    need_cols = max([c + 1 for c in placed.values()], default=0)
    grow = Changes()
    _grow(info, need_rows, need_cols, grow)
    out.requests[:0] = grow.requests  # growth first: every later request may need the room
    out.undo_requests += grow.undo_requests
    out.details[:0] = grow.details
    stage_rules(plan, state, info, placed, out)
    column_marks(plan, state, info, placed, out)
    for tab in plan.tabs:
        owned_tab(tab, state, out)
    return out


def managed_column(plan: WritePlan, header: str) -> ManagedColumn | None:
    return next((c for c in plan.columns if c.header == header), None)
