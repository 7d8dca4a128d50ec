"""Turn the two read responses (metadata, values) into `ReadState` and raw frames."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from .model import COLUMN_KEY, ColumnMark, Raw, ReadState, SheetInfo

#: One metadata read: ids, titles, grid sizes, rules, charts, our column markers.
METADATA_FIELDS = (
    "spreadsheetId,"
    "sheets(properties(sheetId,title,index,gridProperties(rowCount,columnCount)),"
    "conditionalFormats,charts(chartId,spec,position),"
    "data(columnMetadata(developerMetadata(metadataId,metadataKey,metadataValue,location))))"
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
]:
    sheets: dict[str, SheetInfo] = {}
    rules: dict[int, tuple[dict[str, Any], ...]] = {}
    charts: dict[int, tuple[int, dict[str, Any]]] = {}
    marks: list[ColumnMark] = []
    for sheet in meta.get("sheets", []):
        p = sheet.get("properties", {})
        grid = p.get("gridProperties", {})
        sid = p.get("sheetId", 0)
        sheets[p.get("title", "")] = SheetInfo(
            sid,
            p.get("title", ""),
            p.get("index", 0),
            grid.get("rowCount", 0),
            grid.get("columnCount", 0),
        )
        rules[sid] = tuple(sheet.get("conditionalFormats", []))
        for chart in sheet.get("charts", []):
            charts[chart["chartId"]] = (sid, chart)
        seen: set[int] = set()
        for data in sheet.get("data", []):
            for column in data.get("columnMetadata", []):
                for m in column.get("developerMetadata", []):
                    dr = m.get("location", {}).get("dimensionRange", {})
                    if m.get("metadataKey") != COLUMN_KEY or m.get("metadataId") in seen:
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
    return sheets, rules, charts, tuple(marks)


def grid_rows(value_range: Mapping[str, Any]) -> tuple[tuple[Raw, ...], ...]:
    """Rows as read, with "" (the API's interior empty cell) turned into None."""
    return tuple(
        tuple(None if v == "" else v for v in row) for row in value_range.get("values", [])
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


def frame(rows: tuple[tuple[Raw, ...], ...], header_row: int) -> pd.DataFrame:
    """Object-dtype frame of the rows under `header_row`, indexed by 1-based sheet row."""
    header = rows[header_row - 1] if len(rows) >= header_row else ()
    names = header_names(header)
    body = rows[header_row:]
    columns = {name: [row[c] if c < len(row) else None for row in body] for c, name in names}
    index = pd.RangeIndex(header_row + 1, header_row + 1 + len(body))
    df = pd.DataFrame(columns, index=index, dtype=object)
    if not names:
        df = pd.DataFrame(index=index, dtype=object)
    return df


def build_state(
    key: str,
    meta: Mapping[str, Any],
    grids: dict[str, tuple[tuple[Raw, ...], ...]],
    contacts_tab: str,
    header_row: int,
    account: str | None,
) -> ReadState:
    sheets, rules, charts, marks = parse_metadata(meta)
    return ReadState(key, sheets, rules, charts, marks, grids, contacts_tab, header_row, account)
