"""`spreadsheets:batchUpdate`: every request applies in order to a copy, or none does."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from . import a1
from . import fields as fm
from .batch_objects import ObjectRequests, RequestError, clean_grid_range, rand_id
from .state import ApiError, Sheet, Spreadsheet
from .values import from_extended, normalise_format

MAX_CELLS = 10_000_000
MAX_COLUMNS = 18_278


class Ids:
    """Ids the emulator hands out; a replay can queue the ids a recording shows."""

    def __init__(self) -> None:
        self.queued: dict[str, list[Any]] = {"spreadsheet": [], "sheet": [], "metadata": []}

    def next(self, kind: str, make: Callable[[], Any]) -> Any:
        queue = self.queued[kind]
        return queue.pop(0) if queue else make()


def _bounds(sheet: Sheet, gr: dict[str, Any]) -> tuple[int, int, int, int]:
    r0, c0 = gr.get("startRowIndex", 0) or 0, gr.get("startColumnIndex", 0) or 0
    r1 = gr.get("endRowIndex", sheet.row_count)
    c1 = gr.get("endColumnIndex", sheet.column_count)
    if r1 is None:
        r1 = sheet.row_count
    if c1 is None:
        c1 = sheet.column_count
    if r1 > sheet.row_count or c1 > sheet.column_count or r0 < 0 or c0 < 0:
        raise RequestError(
            f"Range ('{sheet.title}'!R{r0 + 1}C{c0 + 1}:R{r1}C{c1}) beyond grid limits "
            f"(max rows: {sheet.row_count}, max columns: {sheet.column_count})"
        )
    return r0, c0, r1, c1


class Batch(ObjectRequests):
    """Applies one batchUpdate body to `ss` (a clone the caller commits on success)."""

    def __init__(self, ss: Spreadsheet, ids: Ids):
        self.ss, self.ids = ss, ids

    def run(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        replies = []
        for i, request in enumerate(requests):
            if len(request) != 1:
                raise ApiError(
                    400, f"Invalid requests[{i}]: exactly one kind of request is required"
                )
            ((kind, body),) = request.items()
            handler = getattr(self, f"do_{kind}", None)
            if handler is None:
                raise ApiError(400, f"Invalid requests[{i}]: unsupported by the emulator: {kind}")
            try:
                replies.append(handler(body or {}))
                if self.ss.cell_count() > MAX_CELLS:
                    raise RequestError(
                        "This action would increase the number of cells in the workbook above "
                        f"the limit of {MAX_CELLS} cells."
                    )
            except RequestError as ex:
                raise ApiError(400, f"Invalid requests[{i}].{kind}: {ex}") from None
        return replies

    def sheet(self, sheet_id: Any) -> Sheet:
        for s in self.ss.sheets:
            if s.sheet_id == (sheet_id or 0):
                return s
        raise RequestError(f"No grid with id: {sheet_id or 0}")

    # --- sheets ---
    def do_addSheet(self, body: dict[str, Any]) -> dict[str, Any]:
        props = body.get("properties", {})
        title = props.get("title") or f"Sheet{len(self.ss.sheets) + 1}"
        if title in self.ss.titles():
            raise RequestError(
                f'A sheet with the name "{title}" already exists. Please enter another name.'
            )
        sheet_id = props.get("sheetId")
        if sheet_id is None:
            sheet_id = self.ids.next("sheet", rand_id)
        if any(s.sheet_id == sheet_id for s in self.ss.sheets):
            raise RequestError(f"A sheet with the id {sheet_id} already exists.")
        grid = props.get("gridProperties", {})
        sheet = Sheet(sheet_id, title, grid.get("rowCount", 1000), grid.get("columnCount", 26))
        sheet.hidden = bool(props.get("hidden", False))
        extra = {k: v for k, v in props.items() if k in ("tabColorStyle", "tabColor")}
        sheet.extra = normalise_format(extra) if extra else {}
        frozen = {k: v for k, v in grid.items() if k not in ("rowCount", "columnCount")}
        if frozen:
            sheet.extra["gridProperties"] = frozen
        index = props.get("index", len(self.ss.sheets))
        self.ss.sheets.insert(index, sheet)
        out = sheet.properties(self.ss.sheets.index(sheet))
        return {"addSheet": {"properties": out}}

    def do_deleteSheet(self, body: dict[str, Any]) -> dict[str, Any]:
        sheet = self.sheet(body.get("sheetId"))
        if len(self.ss.sheets) == 1:
            raise RequestError("You can't remove all the sheets in a document.")
        self.ss.sheets.remove(sheet)
        self.ss.metadata = [m for m in self.ss.metadata if _meta_sheet(m) != sheet.sheet_id]
        return {}

    def do_updateSheetProperties(self, body: dict[str, Any]) -> dict[str, Any]:
        props = body.get("properties", {})
        sheet = self.sheet(props.get("sheetId"))
        if not body.get("fields"):
            raise RequestError("At least one field must be updated, but none were specified.")
        mask = fm.parse(body["fields"])
        index = self.ss.sheets.index(sheet)
        current = sheet.properties(index)
        fm.update(current, props, mask)
        title = current.get("title", sheet.title)
        if title != sheet.title and title in self.ss.titles():
            raise RequestError(
                f'A sheet with the name "{title}" already exists. Please enter another name.'
            )
        hidden = bool(current.get("hidden", False))
        if hidden and all(s.hidden or s is sheet for s in self.ss.sheets):
            raise RequestError("You can't hide all the sheets in a document.")
        grid = dict(current.get("gridProperties", {}))
        rows, cols = (
            grid.pop("rowCount", sheet.row_count),
            grid.pop("columnCount", sheet.column_count),
        )
        if cols > MAX_COLUMNS:
            raise RequestError(f"Column count {cols} exceeds the maximum of {MAX_COLUMNS}.")
        sheet.title, sheet.hidden = title, hidden
        sheet.resize(rows, cols)
        self.ss.metadata = [  # rows/columns cut off the grid take their metadata with them
            m for m in self.ss.metadata if not _past_grid(m, sheet.sheet_id, rows, cols)
        ]
        sheet.extra = normalise_format(
            {
                k: v
                for k, v in current.items()
                if k not in ("sheetId", "title", "index", "sheetType", "gridProperties", "hidden")
            }
        )
        if grid:
            sheet.extra["gridProperties"] = grid
        new_index = current.get("index", index)
        if new_index != index:
            self.ss.sheets.remove(sheet)
            self.ss.sheets.insert(min(new_index, len(self.ss.sheets)), sheet)
        return {}

    def do_appendDimension(self, body: dict[str, Any]) -> dict[str, Any]:
        sheet = self.sheet(body.get("sheetId"))
        length = int(body.get("length", 0))
        if length <= 0:
            raise RequestError("length must be positive")
        if body.get("dimension") == "COLUMNS":
            if sheet.column_count + length > MAX_COLUMNS:
                raise RequestError(f"Column count exceeds the maximum of {MAX_COLUMNS}.")
            sheet.column_count += length
        else:
            sheet.row_count += length
        return {}

    def _remap(self, sheet: Sheet, dim: str, mapping: Callable[[int], int | None]) -> None:
        """Move cells, formats, validation and metadata along one dimension."""
        rows_dim = dim == "ROWS"
        old = sheet.rows
        if rows_dim:
            new_rows: dict[int, list[Any]] = {}
            for r, row in enumerate(old):
                target = mapping(r)
                if target is not None:
                    new_rows[target] = row
            height = max(new_rows, default=-1) + 1
            sheet.rows = [new_rows.get(r, []) for r in range(height)]
        else:
            for r, row in enumerate(old):
                moved: dict[int, Any] = {}
                for c, cell in enumerate(row):
                    target = mapping(c)
                    if target is not None and cell is not None:
                        moved[target] = cell
                width = max(moved, default=-1) + 1
                old[r] = [moved.get(c) for c in range(width)]
        for store in (sheet.formats, sheet.validation):
            items = list(store.items())
            store.clear()
            for (r, c), v in items:
                t = mapping(r if rows_dim else c)
                if t is not None:
                    store[(t, c) if rows_dim else (r, t)] = v
        if not rows_dim:
            sizes = list(sheet.column_sizes.items())
            sheet.column_sizes.clear()
            for c, px in sizes:
                if (t := mapping(c)) is not None:
                    sheet.column_sizes[t] = px
        kept = []
        for meta in self.ss.metadata:
            dr = meta.get("location", {}).get("dimensionRange")
            if dr and dr.get("sheetId", 0) == sheet.sheet_id and dr.get("dimension") == dim:
                start = mapping(dr.get("startIndex", 0))
                if start is None:
                    continue  # its row/column was deleted: the metadata goes with it
                span = dr.get("endIndex", 0) - dr.get("startIndex", 0)
                dr["startIndex"], dr["endIndex"] = start, start + span
            kept.append(meta)
        self.ss.metadata = kept
        for rule in sheet.conditional_formats:
            rule["ranges"] = [
                r for r in (_shift_range(g, rows_dim, mapping) for g in rule["ranges"]) if r
            ]
            for kind in ("booleanRule", "gradientRule"):
                cond = rule.get(kind, {}).get("condition", {})
                for v in cond.get("values", []):
                    if str(v.get("userEnteredValue", "")).startswith("="):
                        v["userEnteredValue"] = _shift_refs(
                            v["userEnteredValue"], rows_dim, mapping
                        )
        sheet.conditional_formats[:] = [r for r in sheet.conditional_formats if r["ranges"]]

    def do_insertDimension(self, body: dict[str, Any]) -> dict[str, Any]:
        rng = body.get("range", {})
        sheet, dim = self.sheet(rng.get("sheetId")), rng.get("dimension")
        start, end = rng.get("startIndex", 0), rng["endIndex"]
        n = end - start
        self._remap(sheet, dim, lambda i: i + n if i >= start else i)
        if dim == "ROWS":
            sheet.row_count += n
        else:
            sheet.column_count += n
        return {}

    def do_deleteDimension(self, body: dict[str, Any]) -> dict[str, Any]:
        rng = body.get("range", {})
        sheet, dim = self.sheet(rng.get("sheetId")), rng.get("dimension")
        start, end = rng.get("startIndex", 0), rng["endIndex"]
        n = end - start
        self._remap(sheet, dim, lambda i: None if start <= i < end else (i - n if i >= end else i))
        if dim == "ROWS":
            sheet.row_count -= n
        else:
            sheet.column_count -= n
        return {}

    def do_moveDimension(self, body: dict[str, Any]) -> dict[str, Any]:
        src = body.get("source", {})
        sheet, dim = self.sheet(src.get("sheetId")), src.get("dimension")
        start, end, dest = src.get("startIndex", 0), src["endIndex"], body["destinationIndex"]
        size = sheet.row_count if dim == "ROWS" else sheet.column_count
        order = [i for i in range(size) if not start <= i < end]
        at = dest if dest <= start else dest - (end - start)
        order[at:at] = list(range(start, end))
        where = {old: new for new, old in enumerate(order)}
        self._remap(sheet, dim, where.get)
        return {}

    def do_updateDimensionProperties(self, body: dict[str, Any]) -> dict[str, Any]:
        rng = body.get("range", {})
        sheet = self.sheet(rng.get("sheetId"))
        if not body.get("fields"):
            raise RequestError("At least one field must be updated, but none were specified.")
        mask = fm.parse(body["fields"])
        size = sheet.row_count if rng.get("dimension") == "ROWS" else sheet.column_count
        start, end = rng.get("startIndex", 0) or 0, rng.get("endIndex", size)
        if end > size or start < 0 or start >= end:
            raise RequestError(f"Invalid dimension range {start}:{end} (size {size})")
        props = body.get("properties", {})
        if rng.get("dimension") == "COLUMNS" and fm.wants(mask, "pixelSize"):
            for c in range(start, end):
                if props.get("pixelSize") is None:
                    sheet.column_sizes.pop(c, None)
                else:
                    sheet.column_sizes[c] = int(props["pixelSize"])
        return {}

    # --- cells ---
    def _set_cell(self, sheet: Sheet, r: int, c: int, data: dict[str, Any], mask: fm.Mask) -> None:
        if fm.wants(mask, "userEnteredValue"):
            ev = data.get("userEnteredValue")
            sheet.put(r, c, from_extended(ev) if ev else None)
        if fm.wants(mask, "userEnteredFormat"):
            current = dict(sheet.formats.get((r, c), {}))
            sub = fm.sub(mask, "userEnteredFormat")
            source = data.get("userEnteredFormat", {})
            if sub is None:
                current = copy.deepcopy(source)
            else:
                fm.update(current, source, sub)
            if current:
                sheet.formats[(r, c)] = normalise_format(current)
            else:
                sheet.formats.pop((r, c), None)
        if fm.wants(mask, "dataValidation"):
            if data.get("dataValidation"):
                sheet.validation[(r, c)] = copy.deepcopy(data["dataValidation"])
            else:
                sheet.validation.pop((r, c), None)

    def do_repeatCell(self, body: dict[str, Any]) -> dict[str, Any]:
        rng = body.get("range", {})
        sheet = self.sheet(rng.get("sheetId"))
        r0, c0, r1, c1 = _bounds(sheet, rng)
        mask = fm.parse(body.get("fields", "*"))
        for r in range(r0, r1):
            for c in range(c0, c1):
                self._set_cell(sheet, r, c, body.get("cell", {}), mask)
        return {}

    def do_updateCells(self, body: dict[str, Any]) -> dict[str, Any]:
        mask = fm.parse(body.get("fields", "*"))
        if "start" in body:
            sheet = self.sheet(body["start"].get("sheetId"))
            r0, c0 = body["start"].get("rowIndex", 0), body["start"].get("columnIndex", 0)
        else:
            sheet = self.sheet(body.get("range", {}).get("sheetId"))
            r0, c0, _, _ = _bounds(sheet, body["range"])
        for i, row in enumerate(body.get("rows", [])):
            for j, data in enumerate(row.get("values", [])):
                if r0 + i >= sheet.row_count or c0 + j >= sheet.column_count:
                    raise RequestError("Attempting to write row/column beyond the grid limits.")
                self._set_cell(sheet, r0 + i, c0 + j, data, mask)
        return {}

    def do_setDataValidation(self, body: dict[str, Any]) -> dict[str, Any]:
        rng = body.get("range", {})
        sheet = self.sheet(rng.get("sheetId"))
        r0, c0, r1, c1 = _bounds(sheet, rng)
        for r in range(r0, r1):
            for c in range(c0, c1):
                if body.get("rule"):
                    sheet.validation[(r, c)] = copy.deepcopy(body["rule"])
                else:
                    sheet.validation.pop((r, c), None)
        return {}

    def do_sortRange(self, body: dict[str, Any]) -> dict[str, Any]:
        rng = body.get("range", {})
        sheet = self.sheet(rng.get("sheetId"))
        r0, c0, r1, c1 = _bounds(sheet, rng)
        rows = [[sheet.get(r, c) for c in range(c0, c1)] for r in range(r0, r1)]
        fmts = [[sheet.formats.get((r, c)) for c in range(c0, c1)] for r in range(r0, r1)]
        order = list(range(len(rows)))
        for spec in reversed(body.get("sortSpecs", [])):
            col = spec.get("dimensionIndex", 0) - c0
            desc = spec.get("sortOrder") == "DESCENDING"
            filled = [i for i in order if rows[i][col] is not None]
            empty = [i for i in order if rows[i][col] is None]
            filled.sort(key=lambda i, col=col: _sort_key(rows[i][col].value), reverse=desc)
            order = filled + empty  # empty cells always sort last
        for k, i in enumerate(order):
            for j in range(c1 - c0):
                sheet.put(r0 + k, c0 + j, rows[i][j])
                if fmts[i][j] is None:
                    sheet.formats.pop((r0 + k, c0 + j), None)
                else:
                    sheet.formats[(r0 + k, c0 + j)] = fmts[i][j]
        return {}


_REF = re.compile(r"(\$?)([A-Z]{1,3})(\$?)(\d+)")


def _shift_range(
    gr: dict[str, Any], rows: bool, mapping: Callable[[int], int | None]
) -> dict[str, Any] | None:
    """A GridRange after rows/columns moved: it follows its cells (None if they all went)."""
    s_key, e_key = (
        ("startRowIndex", "endRowIndex") if rows else ("startColumnIndex", "endColumnIndex")
    )
    start, end = gr.get(s_key, 0), gr.get(e_key)
    moved = [
        m
        for i in range(start, end if end is not None else start + 1)
        if (m := mapping(i)) is not None
    ]
    if not moved:
        return None
    out = dict(gr)
    out[s_key] = min(moved)
    if end is not None:
        out[e_key] = max(moved) + 1
    return clean_grid_range(out)


def _shift_refs(formula: str, rows: bool, mapping: Callable[[int], int | None]) -> str:
    """Cell references in a rule's formula follow moved rows/columns (text in quotes kept)."""

    def one(m: re.Match[str]) -> str:
        col, row = a1.col_index(m.group(2)), int(m.group(4)) - 1
        target = mapping(row if rows else col)
        if target is None:
            return "#REF!"
        if rows:
            return f"{m.group(1)}{m.group(2)}{m.group(3)}{target + 1}"
        return f"{m.group(1)}{a1.col_letter(target)}{m.group(3)}{m.group(4)}"

    parts = formula.split('"')
    return '"'.join(_REF.sub(one, p) if i % 2 == 0 else p for i, p in enumerate(parts))


def _past_grid(meta: dict[str, Any], sheet_id: int, rows: int, cols: int) -> bool:
    dr = meta.get("location", {}).get("dimensionRange")
    if not dr or dr.get("sheetId", 0) != sheet_id:
        return False
    limit = cols if dr.get("dimension") == "COLUMNS" else rows
    return dr.get("startIndex", 0) >= limit


def _meta_sheet(meta: dict[str, Any]) -> int | None:
    loc = meta.get("location", {})
    if "dimensionRange" in loc:
        return loc["dimensionRange"].get("sheetId", 0)
    return loc.get("sheetId")


def _sort_key(v: Any) -> tuple[int, Any]:
    if isinstance(v, bool):
        return (2, v)
    if isinstance(v, int | float):
        return (0, v)
    return (1, str(v).casefold())
