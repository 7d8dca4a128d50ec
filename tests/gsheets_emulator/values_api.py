"""The `spreadsheets.values` collection: get, batchGet, update, batchUpdate, clear, append."""

from __future__ import annotations

import json
from typing import Any

from . import a1
from .batch_objects import matches
from .state import ApiError, Sheet, Spreadsheet, bad_request
from .values import Cell, from_raw, from_user_entered, render

MAX_CELL_CHARS = 50_000


def _read(
    sheet: Sheet, bounds: tuple[int, int, int, int], major: str, value_opt: str, date_opt: str
) -> list[list[Any]]:
    r0, c0, r1, c1 = bounds
    out: list[list[Any]] = []
    formats = sheet.formats
    for r in range(r0, min(r1, len(sheet.rows))):
        row = sheet.rows[r]
        cells: list[Any] = []
        for c in range(c0, min(c1, len(row))):
            cell = row[c]
            if cell is None:
                cells.append(None)
            else:
                fmt = formats.get((r, c)) if formats else None
                cells.append(render(cell, value_opt, date_opt, fmt))
        out.append(cells)
    if major == "COLUMNS":
        width = max((len(r) for r in out), default=0)
        out = [[row[i] if i < len(row) else None for row in out] for i in range(width)]
    trimmed: list[list[Any]] = []
    for cells in out:
        while cells and cells[-1] is None:
            cells.pop()
        trimmed.append(["" if v is None else v for v in cells])
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    return trimmed


def value_range(ss: Spreadsheet, text: str, params: dict[str, str]) -> dict[str, Any]:
    sheet, bounds = ss.resolve(text)
    major = params.get("majorDimension") or "ROWS"
    rows = _read(
        sheet,
        bounds,
        major,
        params.get("valueRenderOption") or "FORMATTED_VALUE",
        params.get("dateTimeRenderOption") or "SERIAL_NUMBER",
    )
    out: dict[str, Any] = {"range": a1.format_range(sheet.title, *bounds), "majorDimension": major}
    if rows:
        out["values"] = rows
    return out


def batch_get(ss: Spreadsheet, ranges: list[str], params: dict[str, str]) -> dict[str, Any]:
    return {"spreadsheetId": ss.key, "valueRanges": [value_range(ss, r, params) for r in ranges]}


def _invalid(where: str, value: Any) -> ApiError:
    text = json.dumps(value, ensure_ascii=False)
    message = f"Invalid value at '{where}' (type.googleapis.com/google.protobuf.ListValue), {text}"
    return ApiError(
        400,
        message,
        [
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": where, "description": message}],
            }
        ],
    )


def _grid(values: Any, where: str, major: str | None) -> list[list[Any]]:
    if not isinstance(values, list):
        raise _invalid(f"{where}.values", values)
    for i, row in enumerate(values):
        if not isinstance(row, list):
            raise _invalid(f"{where}.values[{i}]", row)
    if (major or "ROWS") == "COLUMNS":
        height = max((len(col) for col in values), default=0)
        return [[col[i] if i < len(col) else None for col in values] for i in range(height)]
    return values


def write(
    ss: Spreadsheet,
    text: str,
    values: list[list[Any]],
    input_option: str | None,
    *,
    start: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """Write a grid at the top-left of a range; the range must fit inside the grid."""
    if input_option not in ("RAW", "USER_ENTERED"):
        raise bad_request("'valueInputOption' is required but not specified")
    try:
        span = a1.parse(text, ss.titles())
    except a1.RangeError:
        raise bad_request(f"Unable to parse range: {text}") from None
    sheet = ss.by_title(span.title)
    r0, c0 = start if start else (span.r0 or 0, span.c0 or 0)
    height = len(values)
    width = max((len(r) for r in values), default=0)
    single = span.r1 is not None and span.c1 is not None and (span.r1 - r0, span.c1 - c0) == (1, 1)
    if (
        start is None
        and not single
        and (
            (span.r1 is not None and r0 + height > span.r1)
            or (span.c1 is not None and c0 + width > span.c1)
        )
    ):
        raise bad_request(
            f"Requested writing within range [{text}], but tried writing to "
            + (
                f"row [{r0 + height}]"
                if span.r1 is not None and r0 + height > span.r1
                else f"column [{a1.col_letter(c0 + width - 1)}]"
            )
        )
    if height and width:
        end = a1.Span(span.title, r0, c0, r0 + height, c0 + width)
        sheet.bounds(end)
    parse = from_raw if input_option == "RAW" else from_user_entered
    cells = 0
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, str) and len(v) > MAX_CELL_CHARS:
                raise bad_request(
                    "Your input contains more than the maximum of 50000 characters in a "
                    "single cell."
                )
            if isinstance(v, dict | list):
                raise _invalid("data.values", v)
            cell: Cell | None = parse(v)
            sheet.put(r0 + i, c0 + j, cell)
            cells += 1
    out: dict[str, Any] = {"spreadsheetId": ss.key}
    if height and width:
        out["updatedRange"] = a1.format_range(sheet.title, r0, c0, r0 + height, c0 + width)
        out["updatedRows"] = height
        out["updatedColumns"] = width
        out["updatedCells"] = cells
    else:
        out["updatedRange"] = a1.format_range(sheet.title, r0, c0, r0 + 1, c0 + 1)
    out["_extent"] = (sheet.sheet_id, r0, c0, height, width)
    return out


def update(ss: Spreadsheet, text: str, body: dict[str, Any], params: dict[str, str]) -> Any:
    values = _grid(body.get("values", []), "data", body.get("majorDimension"))
    out = write(ss, text, values, params.get("valueInputOption"))
    out.pop("_extent")
    return out


def batch_update(ss: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    option = body.get("valueInputOption")
    responses, rows, cols, sheets, cells = [], set(), set(), set(), 0
    for i, item in enumerate(body.get("data") or []):
        values = _grid(item.get("values", []), f"data[{i}]", item.get("majorDimension"))
        res = write(ss, item.get("range", ""), values, option)
        sheet_id, r0, c0, h, w = res.pop("_extent")
        if h and w:
            rows.update((sheet_id, r) for r in range(r0, r0 + h))
            cols.update((sheet_id, c) for c in range(c0, c0 + w))
            sheets.add(sheet_id)
            cells += res["updatedCells"]
        responses.append(res)
    out: dict[str, Any] = {"spreadsheetId": ss.key}
    if responses and cells:
        out.update(
            totalUpdatedRows=len(rows),
            totalUpdatedColumns=len(cols),
            totalUpdatedCells=cells,
            totalUpdatedSheets=len(sheets),
        )
    out["responses"] = responses
    return out


def _filtered_ranges(ss: Spreadsheet, flt: dict[str, Any]) -> list[str]:
    """A1 ranges a DataFilter matches: `a1Range`, or the rows/columns (whole, within the
    grid) that matching developer metadata is located on."""
    if "a1Range" in flt:
        return [flt["a1Range"]]
    lookup = flt.get("developerMetadataLookup")
    if lookup is None:
        raise bad_request("The emulator only supports a1Range and developerMetadataLookup filters.")
    out = []
    for meta in ss.metadata:
        dr = meta.get("location", {}).get("dimensionRange")
        if not dr or not matches(meta, lookup):
            continue
        sheet = ss.by_id(dr.get("sheetId", 0))
        title = a1.quote_title(sheet.title)
        if dr.get("dimension") == "COLUMNS":
            first, last = dr["startIndex"], dr["endIndex"] - 1
            out.append(f"{title}!{a1.col_letter(first)}1:{a1.col_letter(last)}{sheet.row_count}")
        else:
            letter = a1.col_letter(sheet.column_count - 1)
            out.append(f"{title}!A{dr['startIndex'] + 1}:{letter}{dr['endIndex']}")
    return out


def batch_update_by_filter(ss: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    """`values:batchUpdateByDataFilter`: each entry written at the top-left of every range its
    filter matches (unverified against a recording: shaped like batchUpdate's answer)."""
    option = body.get("valueInputOption")
    responses, rows, cols, sheets, cells = [], set(), set(), set(), 0
    for i, item in enumerate(body.get("data") or []):
        values = _grid(item.get("values", []), f"data[{i}]", item.get("majorDimension"))
        for text in _filtered_ranges(ss, item.get("dataFilter") or {}):
            res = write(ss, text, values, option)
            sheet_id, r0, c0, h, w = res.pop("_extent")
            if h and w:
                rows.update((sheet_id, r) for r in range(r0, r0 + h))
                cols.update((sheet_id, c) for c in range(c0, c0 + w))
                sheets.add(sheet_id)
                cells += res.get("updatedCells", 0)
            res.pop("spreadsheetId", None)
            res["dataFilter"] = item.get("dataFilter")
            responses.append(res)
    out: dict[str, Any] = {"spreadsheetId": ss.key}
    if responses and cells:
        out.update(
            totalUpdatedRows=len(rows),
            totalUpdatedColumns=len(cols),
            totalUpdatedCells=cells,
            totalUpdatedSheets=len(sheets),
        )
    out["responses"] = responses
    return out


def clear(ss: Spreadsheet, text: str) -> dict[str, Any]:
    sheet, (r0, c0, r1, c1) = ss.resolve(text)
    for r in range(r0, min(r1, len(sheet.rows))):
        row = sheet.rows[r]
        for c in range(c0, min(c1, len(row))):
            row[c] = None
    return {"spreadsheetId": ss.key, "clearedRange": a1.format_range(sheet.title, r0, c0, r1, c1)}


def _last_filled(sheet: Sheet, bounds: tuple[int, int, int, int]) -> tuple[int, int] | None:
    r0, c0, r1, c1 = bounds
    for r in range(min(r1, len(sheet.rows)) - 1, r0 - 1, -1):
        row = sheet.rows[r]
        for c in range(min(c1, len(row)) - 1, c0 - 1, -1):
            if row[c] is not None:
                return r, c
    return None


def _table_at(sheet: Sheet, r: int, c: int) -> tuple[int, int, int, int]:
    """The contiguous block of filled cells that starts at (r, c), growing right and down."""
    c1 = c
    while sheet.get(r, c1) is not None:
        c1 += 1
    r1 = r
    while any(sheet.get(r1, k) is not None for k in range(c, max(c1, c + 1))):
        r1 += 1
    return r, c, r1, c1


def append(ss: Spreadsheet, text: str, body: dict[str, Any], params: dict[str, str]) -> Any:
    """Append after "the table" the API detects (the gotcha the cassettes record)."""
    values = _grid(body.get("values", []), "data", body.get("majorDimension"))
    sheet, bounds = ss.resolve(text)
    r0, c0, r1, c1 = bounds
    single = (r1 - r0, c1 - c0) == (1, 1)
    table: tuple[int, int, int, int] | None = None
    if single:
        if sheet.get(r0, c0) is not None:
            table = _table_at(sheet, r0, c0)
    else:
        last = _last_filled(sheet, bounds)
        if last is not None:
            lr, lc = last
            start = lc
            while start > c0 and sheet.get(lr, start - 1) is not None:
                start -= 1
            top = lr
            while top > r0 and sheet.get(top - 1, start) is not None:
                top -= 1
            table = (top, start, lr + 1, lc + 1)
    if table is None:
        target = (r0, c0)
    else:
        target = (table[2], table[1])
    need = target[0] + len(values)
    sheet.row_count = max(sheet.row_count, need)
    width = max((len(r) for r in values), default=0)
    sheet.column_count = max(sheet.column_count, target[1] + width)
    out: dict[str, Any] = {"spreadsheetId": ss.key}
    if table is not None:
        out["tableRange"] = a1.format_range(sheet.title, *table)
    res = write(
        ss, a1.quote_title(sheet.title), values, params.get("valueInputOption"), start=target
    )
    res.pop("_extent")
    out["updates"] = res
    return out
