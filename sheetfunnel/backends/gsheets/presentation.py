"""How our columns and tabs look: number formats, bold headings, widths, frozen rows, the
override drop-down, stage-coloured columns. Pure: no I/O.

Cell formats are not part of the one metadata read (that would be the grid data of every
tab), so each column and tab of ours carries a digest of the formats we last gave it
(developer metadata `FORMAT_KEY`): the formats are sent again only when that digest differs,
and on rows the grid grows by. Widths and frozen rows are read and compared directly.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

from sheetfunnel.backends.base import CellStyle, ManagedColumn, OwnedTab, StageColour, WritePlan

from . import formats
from .changes import COLUMN_FORMAT_FIELDS, Changes, FormatRead
from .columns import column_location, marker, unmark
from .model import FORMAT_KEY, Raw, ReadState, SheetInfo

#: The cell fields a managed column's format sets (a text column's number format is cleared).
COLUMN_FIELDS = "userEnteredFormat.numberFormat,userEnteredFormat.wrapStrategy"


def pixels(width: float) -> int:
    """A width in characters as Sheets pixels (the contract's conversion)."""
    return round(width * 7 + 5)


def number_format(code: str | None) -> dict[str, str] | None:
    """A format code as a Sheets NumberFormat."""
    if not code or code == "General":
        return None
    if code == "@":
        return {"type": "TEXT", "pattern": "@"}
    if code.lower() in ("yyyy-mm-dd", "d mmm", "d mmm yyyy") or "yy" in code.lower():
        return {"type": "DATE", "pattern": code}
    if code.endswith("%"):
        return {"type": "PERCENT", "pattern": code}
    return {"type": "NUMBER", "pattern": code}


def digest(spec: Any) -> str:
    """A short stable digest of a format spec (what the format mark records)."""
    text = json.dumps(spec, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _range(sheet_id: int, r0: int, r1: int, c0: int, c1: int) -> dict[str, int]:
    return {
        "sheetId": sheet_id,
        "startRowIndex": r0,
        "endRowIndex": r1,
        "startColumnIndex": c0,
        "endColumnIndex": c1,
    }


def _remark(
    sheet_id: int,
    column: int | None,
    where: str,
    value: str,
    state: ReadState,
    out: Changes,
    *,
    undo: bool,
) -> None:
    """Replace our format digest on a column (or tab) by `value`; undo puts the old one back."""
    old = state.format_mark(sheet_id, column)
    location = {"sheetId": sheet_id} if column is None else column_location(sheet_id, column)
    mid = formats.stable_id("format", f"{sheet_id}:{where}:{value}")
    if old is not None:
        out.requests.append(unmark(old.metadata_id))
    out.requests.append(marker(FORMAT_KEY, value, location, mid))
    if undo:
        out.undo_requests.append(unmark(mid))
        if old is not None:
            out.undo_requests.append(marker(FORMAT_KEY, old.value, location, old.metadata_id))


# --- managed columns ---


def column_format(col: ManagedColumn) -> dict[str, Any]:
    """The userEnteredFormat of a managed column's data cells: its number format, one line."""
    code = col.number_format or ("yyyy-mm-dd" if col.kind == "date" else None)
    fmt: dict[str, Any] = {"wrapStrategy": "OVERFLOW_CELL"}
    if (nf := number_format(code)) is not None:
        fmt["numberFormat"] = nf
    return fmt


def validation_rule(values: tuple[str, ...]) -> dict[str, Any] | None:
    if not values:
        return None
    return {
        "condition": {
            "type": "ONE_OF_LIST",
            "values": [{"userEnteredValue": v} for v in values],
        },
        "strict": True,
        "showCustomUi": True,
    }


def column_presentation(
    plan: WritePlan, state: ReadState, info: SheetInfo, need_rows: int, out: Changes
) -> None:
    """Format, drop-down and width of each of our columns (only ours: the requests address
    the placed columns). Whole column below the header when the column is new or its format
    changed (its prior formats read first, for undo, unless we just created it), else only
    the rows the grid grows by now (the grid shrink undoes them)."""
    h = plan.header_row
    rows = max(info.rows, need_rows)
    for col in plan.columns:
        c = out.placed[col.field]
        fmt, rule = column_format(col), validation_rule(col.validation)
        value = digest([fmt, rule])
        fresh = col.field in out.fresh
        marked = state.column_for(info.sheet_id, col.field) == c
        mark = state.format_mark(info.sheet_id, c) if marked else None
        if mark is not None and mark.value == value:
            first = info.rows
        else:
            first = h
            if not fresh and c < info.columns and h < info.rows:
                out.format_reads.append(
                    FormatRead(
                        info.sheet_id, info.title, h, info.rows, c, None, COLUMN_FORMAT_FIELDS
                    )
                )
            _remark(info.sheet_id, c, col.field, value, state, out, undo=not fresh)
            if first < rows:
                out.details.append(f"{info.title}: format of '{col.header}' set")
        if first < rows:
            rng = _range(info.sheet_id, first, rows, c, c + 1)
            out.requests.append(
                {
                    "repeatCell": {
                        "range": rng,
                        "cell": {"userEnteredFormat": fmt},
                        "fields": COLUMN_FIELDS,
                    }
                }
            )
            if rule is not None or (first == h and not fresh):
                body: dict[str, Any] = {"range": rng}
                if rule is not None:
                    body["rule"] = rule
                out.requests.append({"setDataValidation": body})
        if col.width is not None:
            px = pixels(col.width)
            if fresh or not marked or info.width(c) != px:
                out.requests.append(_width(info.sheet_id, c, c + 1, px))
                if not fresh:
                    out.undo_requests.append(_width(info.sheet_id, c, c + 1, info.width(c)))


def _width(sheet_id: int, c0: int, c1: int, px: int) -> dict[str, Any]:
    return {
        "updateDimensionProperties": {
            "range": {
                "sheetId": sheet_id,
                "dimension": "COLUMNS",
                "startIndex": c0,
                "endIndex": c1,
            },
            "properties": {"pixelSize": px},
            "fields": "pixelSize",
        }
    }


# --- owned tabs ---


def _style_format(style: CellStyle) -> tuple[dict[str, Any], list[str]]:
    """The userEnteredFormat a CellStyle sets and the fields it touches (only those: a later
    style overrides an earlier one attribute by attribute)."""
    fmt: dict[str, Any] = {}
    text: dict[str, Any] = {}
    fields = []
    if style.bold:
        text["bold"] = True
        fields.append("userEnteredFormat.textFormat.bold")
    if style.italic:
        text["italic"] = True
        fields.append("userEnteredFormat.textFormat.italic")
    if style.size is not None:
        text["fontSize"] = style.size
        fields.append("userEnteredFormat.textFormat.fontSize")
    if style.font:
        text["foregroundColor"] = formats.hex_colour(style.font)
        fields.append("userEnteredFormat.textFormat.foregroundColor")
    if text:
        fmt["textFormat"] = text
    if (nf := number_format(style.number_format)) is not None:
        fmt["numberFormat"] = nf
        fields.append("userEnteredFormat.numberFormat")
    if style.fill:
        fmt["backgroundColor"] = formats.hex_colour(style.fill)
        fields.append("userEnteredFormat.backgroundColor")
    return fmt, fields


def _date_columns(tab: OwnedTab, sheet_id: int, r0: int, r1: int) -> list[dict[str, Any]]:
    return [
        {
            "repeatCell": {
                "range": _range(sheet_id, r0, r1, c, c + 1),
                "cell": {"userEnteredFormat": {"numberFormat": number_format("yyyy-mm-dd")}},
                "fields": "userEnteredFormat.numberFormat",
            }
        }
        for c in tab.date_columns
        if r0 < r1
    ]


def _open_ended(tab: OwnedTab) -> list[tuple[CellStyle, bool]]:
    """Each style, and whether it runs to the tab's last row below a header (then it covers
    the rest of the grid too: a tab that only grows, History or the daily counts, keeps the
    same formats and digest, and its new rows are formatted already)."""
    last = len(tab.rows) - 1
    return [(s, s.first_row >= 1 and s.last_row == last) for s in tab.styles]


def _style_spec(tab: OwnedTab) -> list[Any]:
    """What the tab's format digest covers (open-ended styles without their last row)."""
    return [
        list(tab.date_columns),
        [
            {**asdict(s), "last_row": "end" if to_end else s.last_row}
            for s, to_end in _open_ended(tab)
        ],
    ]


def tab_formats(tab: OwnedTab, sheet_id: int, rows: int, first: int = 0) -> list[dict[str, Any]]:
    """Date columns and open-ended styles over the grid's rows from `first` to `rows`, each
    other style over its rectangle (when `first` is 0), in order."""
    out = _date_columns(tab, sheet_id, first, rows)
    for s, to_end in _open_ended(tab):
        fmt, fields = _style_format(s)
        if not fields or (first and not to_end):
            continue
        r0, r1 = max(s.first_row, first), rows if to_end else s.last_row + 1
        if r0 >= r1:
            continue
        rng = _range(sheet_id, r0, r1, s.first_column, s.last_column + 1)
        out.append(
            {
                "repeatCell": {
                    "range": rng,
                    "cell": {"userEnteredFormat": fmt},
                    "fields": ",".join(fields),
                }
            }
        )
    return out


def _display(value: Raw, code: str | None) -> str:
    """Roughly the text a cell shows (for sizing its column)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if code and code.endswith("%"):
        decimals = code.split(".")[1].count("0") if "." in code else 0
        return f"{value * 100:.{decimals}f}%"
    if code and ("yy" in code or code.startswith("d ")):
        return "2026-01-01"
    if code:
        decimals = code.split(".")[1].count("0") if "." in code else 0
        return f"{value:,.{decimals}f}" if "," in code else f"{value:.{decimals}f}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def column_widths(tab: OwnedTab, rows: list[list[Raw]]) -> list[int]:
    """Pixel width of each column of the tab: as given, else from its contents (a lone text in
    its row, a title, spills over its neighbours and is not counted)."""
    width = max((len(r) for r in rows), default=0)
    codes: dict[tuple[int, int], str | None] = {}
    for s in tab.styles:
        if s.number_format:
            for r in range(s.first_row, min(s.last_row + 1, len(rows))):
                for c in range(s.first_column, s.last_column + 1):
                    codes[(r, c)] = s.number_format
    chars = [0] * width
    for r, row in enumerate(rows):
        filled = [c for c, v in enumerate(row) if v not in (None, "")]
        if len(filled) == 1 and isinstance(row[filled[0]], str):
            continue
        for c in filled:
            code = "yyyy-mm-dd" if c in tab.date_columns else codes.get((r, c))
            chars[c] = max(chars[c], len(_display(row[c], code)))
    out = []
    for c in range(width):
        given = tab.widths[c] if c < len(tab.widths) else 0
        out.append(pixels(given) if given else pixels(min(max(chars[c] + 2, 6), 60)))
    return out


def _widths(sheet_id: int, wanted: list[int], info: SheetInfo | None, out: Changes) -> None:
    """updateDimensionProperties for the columns whose width differs (runs of equal widths in
    one request); undo puts the read widths back."""
    c = 0
    while c < len(wanted):
        if info is not None and info.width(c) == wanted[c]:
            c += 1
            continue
        end = c + 1
        while (
            end < len(wanted)
            and wanted[end] == wanted[c]
            and (info is None or info.width(end) != wanted[end])
        ):
            end += 1
        out.requests.append(_width(sheet_id, c, end, wanted[c]))
        if info is not None:
            for k in range(c, end):
                out.undo_requests.append(_width(sheet_id, k, k + 1, info.width(k)))
        c = end


def replace_rules(
    sheet_id: int,
    title: str,
    current: list[dict[str, Any]],
    grid_rows: int | None,
    wanted: list[tuple[formats.Signature, dict[str, Any]]],
    out: Changes,
) -> None:
    """Our stage rules left alone when right; else deleted (highest index first) and re-added
    at the end. A user's rules are never touched."""
    ours = [
        (i, sig)
        for i, r in enumerate(current)
        if (sig := formats.signature(r, sheet_id, grid_rows)) is not None
    ]
    if [s for _, s in ours] == [s for s, _ in wanted]:
        return
    for i, _ in sorted(ours, reverse=True):
        out.requests.append({"deleteConditionalFormatRule": {"sheetId": sheet_id, "index": i}})
    remaining = len(current) - len(ours)
    for k, (_, rule) in enumerate(wanted):
        out.requests.append({"addConditionalFormatRule": {"rule": rule, "index": remaining + k}})
    # undo: drop what we added, put the old ones back where they were
    for k in reversed(range(len(wanted))):
        out.undo_requests.append(
            {"deleteConditionalFormatRule": {"sheetId": sheet_id, "index": remaining + k}}
        )
    for i, _ in ours:
        out.undo_requests.append({"addConditionalFormatRule": {"rule": current[i], "index": i}})
    out.details.append(
        f"{title}: stage colours set ({len(wanted)} rules, {len(ours)} old ones replaced)"
    )


def tab_presentation(
    tab: OwnedTab,
    rows: list[list[Raw]],
    sheet_id: int,
    info: SheetInfo | None,
    grid_rows: int,
    state: ReadState,
    colours: tuple[StageColour, ...],
    out: Changes,
) -> None:
    """Formats, widths, frozen panes and stage colours of an owned tab. `info` None: the tab
    is created by this write (its frozen panes go in addSheet, undo deletes it whole)."""
    value = digest(_style_spec(tab))
    mark = state.format_mark(sheet_id, None) if info is not None else None
    if info is None:
        out.requests += tab_formats(tab, sheet_id, grid_rows)
        _remark(sheet_id, None, tab.role, value, state, out, undo=False)
    elif mark is None or mark.value != value:
        if info.rows and info.columns:
            out.format_reads.append(
                FormatRead(sheet_id, info.title, 0, info.rows, 0, info.columns, "userEnteredFormat")
            )
        whole = _range(sheet_id, 0, grid_rows, 0, max(info.columns, 1))
        out.requests.append(
            {"repeatCell": {"range": whole, "cell": {}, "fields": "userEnteredFormat"}}
        )
        out.requests += tab_formats(tab, sheet_id, grid_rows)
        _remark(sheet_id, None, tab.role, value, state, out, undo=True)
        out.details.append(f"{tab.name}: formats set")
    elif grid_rows > info.rows:
        out.requests += tab_formats(tab, sheet_id, grid_rows, info.rows)
    _widths(sheet_id, column_widths(tab, rows), info, out)
    if info is not None:
        _frozen(tab, info, out)
    wanted = [
        (formats.wanted_signature(c, 1, colour), formats.stage_rule(sheet_id, c, 1, colour))
        for c in tab.stage_columns
        for colour in colours
    ]
    current = list(state.rules.get(sheet_id, ())) if info is not None else []
    replace_rules(sheet_id, tab.name, current, info.rows if info else None, wanted, out)


def frozen_properties(tab: OwnedTab) -> dict[str, int]:
    """The gridProperties that freeze a new tab's panes (zero fields left out)."""
    grid = {"frozenRowCount": tab.frozen_rows, "frozenColumnCount": tab.frozen_columns}
    return {k: v for k, v in grid.items() if v}


def _frozen(tab: OwnedTab, info: SheetInfo, out: Changes) -> None:
    pairs = (
        ("frozenRowCount", info.frozen_rows, tab.frozen_rows),
        ("frozenColumnCount", info.frozen_columns, tab.frozen_columns),
    )
    changed = [(k, old, new) for k, old, new in pairs if old != new]
    if not changed:
        return
    mask = ",".join(f"gridProperties.{k}" for k, _, _ in changed)
    new = {"sheetId": info.sheet_id, "gridProperties": {k: v for k, _, v in changed}}
    old = {"sheetId": info.sheet_id, "gridProperties": {k: v for k, v, _ in changed}}
    out.requests.append({"updateSheetProperties": {"properties": new, "fields": mask}})
    out.undo_requests.append({"updateSheetProperties": {"properties": old, "fields": mask}})
