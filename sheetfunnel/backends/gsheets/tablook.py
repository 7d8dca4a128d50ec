"""How an owned tab looks: bold headings, number formats, widths from its contents, frozen
rows, stage-coloured columns. Pure: no I/O. Formats are re-sent only when the digest kept on
the tab differs (see presentation.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from sheetfunnel.backends.base import CellStyle, OwnedTab, StageColour

from . import formats
from .changes import Changes, FormatRead
from .model import Raw, ReadState, SheetInfo
from .presentation import (
    digest,
    grid_range,
    number_format,
    pixels,
    remark,
    replace_rules,
    width_request,
)


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
    if style.align:
        fmt["horizontalAlignment"] = style.align.upper()
        fields.append("userEnteredFormat.horizontalAlignment")
    return fmt, fields


def _date_columns(tab: OwnedTab, sheet_id: int, r0: int, r1: int) -> list[dict[str, Any]]:
    return [
        {
            "repeatCell": {
                "range": grid_range(sheet_id, r0, r1, c, c + 1),
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


def date_cells(tab: OwnedTab) -> list[tuple[int, int, int]]:
    """(column, first row, last row + 1) runs of cells holding a date outside the date columns
    and outside every number-format style (the As-of date): a date sent as a value is a bare
    serial in Sheets until formatted (Excel formats a date cell by itself)."""
    dates = set(tab.date_columns)
    coded = [s for s in tab.styles if s.number_format]
    runs: list[tuple[int, int, int]] = []
    for r, row in enumerate(tab.rows):
        for c, v in enumerate(row):
            if c in dates or not isinstance(v, dt.date):
                continue
            if any(
                s.first_row <= r <= s.last_row and s.first_column <= c <= s.last_column
                for s in coded
            ):
                continue
            last = runs[-1] if runs else None
            if last is not None and last[0] == c and last[2] == r:
                runs[-1] = (c, last[1], r + 1)
            else:
                runs.append((c, r, r + 1))
    return runs


def _style_spec(tab: OwnedTab) -> list[Any]:
    """What the tab's format digest covers (open-ended styles without their last row)."""
    return [
        list(tab.date_columns),
        date_cells(tab),
        [
            {**asdict(s), "last_row": "end" if to_end else s.last_row}
            for s, to_end in _open_ended(tab)
        ],
    ]


def tab_formats(tab: OwnedTab, sheet_id: int, rows: int, first: int = 0) -> list[dict[str, Any]]:
    """Date columns and open-ended styles over the grid's rows from `first` to `rows`, each
    other style over its rectangle (when `first` is 0), in order."""
    out = _date_columns(tab, sheet_id, first, rows)
    for c, r0, r1 in date_cells(tab) if not first else ():
        out.append(
            {
                "repeatCell": {
                    "range": grid_range(sheet_id, r0, r1, c, c + 1),
                    "cell": {"userEnteredFormat": {"numberFormat": number_format("yyyy-mm-dd")}},
                    "fields": "userEnteredFormat.numberFormat",
                }
            }
        )
    for s, to_end in _open_ended(tab):
        fmt, fields = _style_format(s)
        if not fields or (first and not to_end):
            continue
        r0, r1 = max(s.first_row, first), rows if to_end else s.last_row + 1
        if r0 >= r1:
            continue
        rng = grid_range(sheet_id, r0, r1, s.first_column, s.last_column + 1)
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


def column_widths(tab: OwnedTab, rows: list[list[Raw]]) -> list[int | None]:
    """Pixel width of each column of the tab: as given, else from its contents (a lone text in
    its row, a title, spills over its neighbours and is not counted). A hidden tab (the state
    tab) is not sized from its contents: None leaves a width as it is."""
    width = max((len(r) for r in rows), default=0)
    given = [tab.widths[c] if c < len(tab.widths) else 0 for c in range(width)]
    if tab.hidden:
        return [pixels(g) if g else None for g in given]
    coded = [s for s in tab.styles if s.number_format]
    by_column = [
        [st for st in coded if st.first_column <= c <= st.last_column] for c in range(width)
    ]
    dates = set(tab.date_columns)
    chars = [0] * width
    widest: dict[tuple[int, str | None], float] = {}  # the longest number shown per format
    for r, row in enumerate(rows):
        filled = [c for c, v in enumerate(row) if v is not None and v != ""]
        if len(filled) == 1 and isinstance(row[filled[0]], str):
            continue
        for c in filled:
            v = row[c]
            if isinstance(v, str | bool):
                chars[c] = max(chars[c], len(str(v)))
                continue
            code = "yyyy-mm-dd" if c in dates else None
            for st in by_column[c]:  # the last style over the cell wins
                if st.first_row <= r <= st.last_row:
                    code = st.number_format
            key = (c, code)
            if abs(v) * (10 if v < 0 else 1) > widest.get(key, -1):
                widest[key] = abs(v) * (10 if v < 0 else 1)
                chars[c] = max(chars[c], len(_display(v, code)))
    return [pixels(g) if g else pixels(min(max(chars[c] + 2, 6), 60)) for c, g in enumerate(given)]


def _widths(sheet_id: int, wanted: list[int | None], info: SheetInfo | None, out: Changes) -> None:
    """updateDimensionProperties for the columns whose width differs (runs of equal widths in
    one request); undo puts the read widths back. None: left as it is."""
    c = 0
    while c < len(wanted):
        px = wanted[c]
        if px is None or (info is not None and info.width(c) == px):
            c += 1
            continue
        end = c + 1
        while end < len(wanted) and wanted[end] == px and (info is None or info.width(end) != px):
            end += 1
        out.requests.append(width_request(sheet_id, c, end, px))
        if info is not None:
            for k in range(c, end):
                out.undo_requests.append(width_request(sheet_id, k, k + 1, info.width(k)))
        c = end


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
        remark(sheet_id, None, tab.role, value, state, out, undo=False)
    elif mark is None or mark.value != value:
        if info.rows and info.columns:
            out.format_reads.append(
                FormatRead(sheet_id, info.title, 0, info.rows, 0, info.columns, "userEnteredFormat")
            )
        whole = grid_range(sheet_id, 0, grid_rows, 0, max(info.columns, 1))
        out.requests.append(
            {"repeatCell": {"range": whole, "cell": {}, "fields": "userEnteredFormat"}}
        )
        out.requests += tab_formats(tab, sheet_id, grid_rows)
        remark(sheet_id, None, tab.role, value, state, out, undo=True)
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
