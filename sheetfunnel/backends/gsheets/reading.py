"""Turn the two read responses (metadata, values) into `ReadState` and raw frames."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import zip_longest
from typing import Any

import numpy as np
import pandas as pd

from sheetfunnel.backends.base import TAB_ROLES, Ownership, unnamed_column

from .model import (
    COLUMN_KEY,
    FORMAT_KEY,
    TAB_KEY,
    ColumnMark,
    FormatMark,
    Raw,
    ReadState,
    SheetInfo,
    TabMark,
    col_letter,
)

_META = "developerMetadata(metadataId,metadataKey,metadataValue,location)"
#: One metadata read: ids, titles, grid sizes, frozen panes, hidden flags, rules, charts, column
#: widths, and our markers on columns (sheets.data.columnMetadata) and on whole sheets
#: (sheets.developerMetadata).
METADATA_FIELDS = (
    "spreadsheetId,"
    "sheets(properties(sheetId,title,index,hidden,"
    "gridProperties(rowCount,columnCount,frozenRowCount,frozenColumnCount)),"
    f"conditionalFormats,charts(chartId,spec,position),{_META},"
    f"data(startColumn,columnMetadata(pixelSize,{_META})))"
)
VALUE_PARAMS = {
    "valueRenderOption": "UNFORMATTED_VALUE",
    "dateTimeRenderOption": "SERIAL_NUMBER",
    "majorDimension": "ROWS",
}


def parse_metadata(
    meta: Mapping[str, Any],
) -> tuple[
    dict[str, SheetInfo],
    dict[int, tuple[dict[str, Any], ...]],
    dict[int, Any],
    tuple[ColumnMark, ...],
    tuple[TabMark, ...],
    tuple[FormatMark, ...],
]:
    sheets: dict[str, SheetInfo] = {}
    rules: dict[int, tuple[dict[str, Any], ...]] = {}
    charts: dict[int, tuple[int, dict[str, Any]]] = {}
    marks: list[ColumnMark] = []
    tab_marks: list[TabMark] = []
    format_marks: list[FormatMark] = []
    for sheet in meta.get("sheets", []):
        p = sheet.get("properties", {})
        grid = p.get("gridProperties", {})
        sid = p.get("sheetId", 0)  # omitted when 0
        widths: list[int] = []
        for data in sheet.get("data", [])[:1]:
            widths = [100] * data.get("startColumn", 0)
            widths += [int(c.get("pixelSize", 100)) for c in data.get("columnMetadata", [])]
        sheets[p.get("title", "")] = SheetInfo(
            sid,
            p.get("title", ""),
            p.get("index", 0),
            grid.get("rowCount", 0),
            grid.get("columnCount", 0),
            bool(p.get("hidden", False)),  # omitted when false
            grid.get("frozenRowCount", 0),
            grid.get("frozenColumnCount", 0),
            tuple(widths),
        )
        rules[sid] = tuple(sheet.get("conditionalFormats", []))
        for chart in sheet.get("charts", []):
            charts[chart["chartId"]] = (sid, chart)
        for m in sheet.get("developerMetadata", []):
            if m.get("metadataKey") == TAB_KEY and m.get("metadataValue") in TAB_ROLES:
                tab_marks.append(TabMark(m.get("metadataId", 0), sid, m["metadataValue"]))
            if m.get("metadataKey") == FORMAT_KEY:
                format_marks.append(
                    FormatMark(m.get("metadataId", 0), sid, None, m.get("metadataValue", ""))
                )
        seen: set[int] = set()
        for data in sheet.get("data", []):
            for column in data.get("columnMetadata", []):
                for m in column.get("developerMetadata", []):
                    dr = m.get("location", {}).get("dimensionRange", {})
                    if m.get("metadataId") in seen:
                        continue
                    if m.get("metadataKey") == FORMAT_KEY:
                        seen.add(m.get("metadataId"))
                        format_marks.append(
                            FormatMark(
                                m.get("metadataId", 0),
                                dr.get("sheetId", 0),
                                dr.get("startIndex", 0),
                                m.get("metadataValue", ""),
                            )
                        )
                        continue
                    if m.get("metadataKey") != COLUMN_KEY:
                        continue
                    seen.add(m.get("metadataId"))
                    marks.append(
                        ColumnMark(
                            m.get("metadataId", 0),
                            dr.get("sheetId", 0),
                            dr.get("startIndex", 0),
                            m.get("metadataValue", ""),
                        )
                    )
    return sheets, rules, charts, tuple(marks), tuple(tab_marks), tuple(format_marks)


def grid_rows(value_range: Mapping[str, Any]) -> tuple[tuple[Raw, ...], ...]:
    """Rows as read, with "" (the API's interior empty cell) turned into None."""
    return rows_of(value_range.get("values", []))


def rows_of(values: Sequence[Sequence[Raw]]) -> tuple[tuple[Raw, ...], ...]:
    """`grid_rows` of a value range's "values": a row without "" is copied as it is (one C
    call), only the others cell by cell."""
    return tuple(
        tuple(row) if "" not in row else tuple([None if v == "" else v for v in row])
        for row in values
    )


def header_names(cells: Sequence[Raw]) -> list[tuple[int, str]]:
    """(column, name) for non-blank headers; a repeated name gets " (2)", " (3)"."""
    seen: dict[str, int] = {}
    out = []
    for c, cell in enumerate(cells):
        text = "" if cell is None else str(cell).strip()
        if not text:
            continue
        seen[text] = seen.get(text, 0) + 1
        out.append((c, text if seen[text] == 1 else f"{text} ({seen[text]})"))
    return out


def duplicates(rows: tuple[tuple[Raw, ...], ...], header_row: int) -> dict[str, tuple[str, ...]]:
    """Header text -> column letters, for headers that appear more than once."""
    header = rows[header_row - 1] if len(rows) >= header_row else ()
    seen: dict[str, list[str]] = {}
    for c, cell in enumerate(header):
        text = "" if cell is None else str(cell).strip()
        if text:
            seen.setdefault(text, []).append(col_letter(c))
    return {text: tuple(cols) for text, cols in seen.items() if len(cols) > 1}


def frame(
    rows: Sequence[Sequence[Raw]], header_row: int, unnamed: Mapping[int, str] | None = None
) -> pd.DataFrame:
    """Object-dtype frame of the rows under `header_row`, indexed by 1-based sheet row.
    `unnamed`: column -> name for blank-headed columns that belong in the frame anyway.
    `rows`: a grid (`grid_rows`) or a value range's raw "values" ("" read as None either way);
    rows may be ragged (missing cells are None)."""
    header = rows[header_row - 1] if len(rows) >= header_row else ()
    names = sorted([*header_names(header), *(unnamed or {}).items()])
    body = rows[header_row:]
    index = pd.RangeIndex(header_row + 1, header_row + 1 + len(body))
    if not names:
        return pd.DataFrame(index=index, dtype=object)
    # one C-level transpose of the ragged rows, short ones padded with None
    by_column = list(zip_longest(*body)) if body else []
    columns = {}
    for c, name in names:
        if c < len(by_column):  # fromiter: no type inference (True stays True next to 1)
            column = np.fromiter(by_column[c], dtype=object, count=len(body))
            column[column == ""] = None
        else:  # a column past every row: all None
            column = np.full(len(body), None, dtype=object)
        columns[name] = column
    return pd.DataFrame(columns, index=index, dtype=object)


def build_state(
    key: str,
    meta: Mapping[str, Any],
    grids: dict[str, tuple[tuple[Raw, ...], ...]],
    contacts_tab: str,
    header_row: int,
    account: str | None,
) -> ReadState:
    sheets, rules, charts, marks, tab_marks, format_marks = parse_metadata(meta)
    return ReadState(
        key,
        sheets,
        rules,
        charts,
        marks,
        grids,
        contacts_tab,
        header_row,
        account,
        tab_marks,
        format_marks,
    )


def ownership(state: ReadState) -> tuple[Ownership, dict[int, str]]:
    """What the markers say, and the blank-headed marked columns the contacts frame must name."""
    info = state.sheet(state.contacts_tab)
    columns: dict[str, str] = {}
    unnamed: dict[int, str] = {}
    if info is not None:
        grid = state.grids.get(info.title, ())
        h = state.header_row
        names = dict(header_names(grid[h - 1] if len(grid) >= h else ()))
        for mark in sorted(state.marks, key=lambda m: m.column):
            field = mark.field
            if mark.sheet_id != info.sheet_id or field is None or field in columns:
                continue
            if mark.column in names:
                columns[field] = names[mark.column]
            else:
                columns[field] = unnamed[mark.column] = unnamed_column(field)
    tabs = {role: s.title for role in TAB_ROLES if (s := state.tab_for(role)) is not None}
    return Ownership(columns, tabs), unnamed
