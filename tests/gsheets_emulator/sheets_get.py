"""`spreadsheets.get`: metadata, optional grid data for `ranges`, shaped by a field mask."""

from __future__ import annotations

import copy
from typing import Any

from . import fields as fm
from .state import Sheet, Spreadsheet, default_properties
from .values import extended_value, render


def _column_metadata(ss: Spreadsheet, sheet: Sheet, c0: int, c1: int) -> list[dict[str, Any]]:
    by_column: dict[int, list[dict[str, Any]]] = {}
    for meta in ss.metadata:
        dr = meta.get("location", {}).get("dimensionRange")
        if dr and dr.get("sheetId", 0) == sheet.sheet_id and dr.get("dimension") == "COLUMNS":
            for c in range(dr.get("startIndex", 0), dr.get("endIndex", 0)):
                by_column.setdefault(c, []).append(copy.deepcopy(meta))
    out = []
    for c in range(c0, c1):
        entry: dict[str, Any] = {"pixelSize": sheet.column_sizes.get(c, 100)}
        if c in by_column:
            entry["developerMetadata"] = by_column[c]
        out.append(entry)
    return out


def _cell_data(sheet: Sheet, r: int, c: int, mask: fm.Mask | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    cell = sheet.get(r, c)
    fmt = sheet.formats.get((r, c))
    if cell is not None:
        if fm.wants(mask, "userEnteredValue"):
            out["userEnteredValue"] = (
                {"formulaValue": cell.formula} if cell.formula else extended_value(cell)
            )
        if fm.wants(mask, "effectiveValue"):
            out["effectiveValue"] = extended_value(cell)
        if fm.wants(mask, "formattedValue"):
            out["formattedValue"] = render(cell, "FORMATTED_VALUE", "SERIAL_NUMBER", fmt)
    if fmt and fm.wants(mask, "userEnteredFormat"):
        out["userEnteredFormat"] = copy.deepcopy(fmt)
    if (r, c) in sheet.validation and fm.wants(mask, "dataValidation"):
        out["dataValidation"] = copy.deepcopy(sheet.validation[(r, c)])
    return out


def _grid_data(
    ss: Spreadsheet, sheet: Sheet, bounds: tuple[int, int, int, int], mask: fm.Mask | None
) -> dict[str, Any]:
    r0, c0, r1, c1 = bounds
    data: dict[str, Any] = {}
    if r0:
        data["startRow"] = r0
    if c0:
        data["startColumn"] = c0
    if fm.wants(mask, "rowData"):
        cell_mask = fm.sub(mask, "rowData", "values")
        last = min(r1, max(len(sheet.rows), max((k[0] + 1 for k in sheet.formats), default=0)))
        rows = []
        for r in range(r0, last):
            values = [_cell_data(sheet, r, c, cell_mask) for c in range(c0, c1)]
            while values and not values[-1]:
                values.pop()
            rows.append({"values": values} if values else {})
        while rows and not rows[-1]:
            rows.pop()
        if rows:
            data["rowData"] = rows
    if fm.wants(mask, "rowMetadata"):
        data["rowMetadata"] = [{"pixelSize": 21} for _ in range(r0, r1)]
    if fm.wants(mask, "columnMetadata"):
        data["columnMetadata"] = _column_metadata(ss, sheet, c0, c1)
    return data


def _sheet_dict(
    ss: Spreadsheet,
    sheet: Sheet,
    spans: list[tuple[int, int, int, int]] | None,
    with_data: bool,
    mask: fm.Mask | None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"properties": sheet.properties(ss.sheets.index(sheet))}
    if with_data:
        data_mask = fm.sub(mask, "data")
        whole = (0, 0, sheet.row_count, sheet.column_count)
        out["data"] = [_grid_data(ss, sheet, b, data_mask) for b in (spans or [whole])]
    if sheet.conditional_formats:
        out["conditionalFormats"] = copy.deepcopy(sheet.conditional_formats)
    if sheet.charts:
        out["charts"] = copy.deepcopy(sheet.charts)
    located = [
        copy.deepcopy(m)
        for m in ss.metadata
        if m.get("location", {}).get("locationType") == "SHEET"
        and m["location"].get("sheetId") == sheet.sheet_id
    ]
    if located:
        out["developerMetadata"] = located
    return out


def get(
    ss: Spreadsheet, ranges: list[str], include_grid: bool, mask_text: str | None
) -> dict[str, Any]:
    mask = fm.parse(mask_text) if mask_text else None
    sheets_mask = fm.sub(mask, "sheets") if mask is not None else None
    with_data = include_grid or (
        mask is not None and fm.wants(mask, "sheets", "data") and "data" in (sheets_mask or {})
    )
    out: dict[str, Any] = {"spreadsheetId": ss.key, "properties": default_properties(ss.title)}
    if ranges:
        picked: dict[int, list[tuple[int, int, int, int]]] = {}
        for text in ranges:
            sheet, bounds = ss.resolve(text)
            picked.setdefault(sheet.sheet_id, []).append(bounds)
        sheets = [
            _sheet_dict(ss, s, picked[s.sheet_id], with_data, sheets_mask)
            for s in ss.sheets
            if s.sheet_id in picked
        ]
    else:
        sheets = [_sheet_dict(ss, s, None, with_data, sheets_mask) for s in ss.sheets]
    out["sheets"] = sheets
    top = [
        copy.deepcopy(m) for m in ss.metadata if m["location"].get("locationType") == "SPREADSHEET"
    ]
    if top:
        out["developerMetadata"] = top
    out["spreadsheetUrl"] = f"https://docs.google.com/spreadsheets/d/{ss.key}/edit"
    return fm.apply(out, mask)
