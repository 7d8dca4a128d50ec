"""The plain data a write plan turns into: value blocks, structure requests, their undo."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .model import Raw, SheetInfo, col_letter, quote


@dataclass
class Block:
    """A rectangle of values to write RAW: `row` is 1-based, `column` 0-based."""

    title: str
    row: int
    column: int
    values: list[list[Raw]]
    #: our column marker: the write goes wherever that column is when Google applies it
    metadata_id: int | None = None

    def a1(self) -> str:
        width = max((len(r) for r in self.values), default=1)
        end_col = col_letter(self.column + width - 1)
        end_row = self.row + len(self.values) - 1
        return f"{quote(self.title)}!{col_letter(self.column)}{self.row}:{end_col}{end_row}"


#: What a prior-format read restores on a column of ours placed over existing cells.
COLUMN_FORMAT_FIELDS = (
    "userEnteredFormat.numberFormat,userEnteredFormat.wrapStrategy,dataValidation"
)


@dataclass(frozen=True)
class FormatRead:
    """Cells whose format a request will change: read first so undo can restore it.
    0-based, half-open rows and columns (one column unless `last_column` says more);
    `fields` is what the restore puts back."""

    sheet_id: int
    title: str
    first_row: int
    last_row: int
    column: int
    last_column: int | None = None
    fields: str = "userEnteredFormat.numberFormat"

    @property
    def end_column(self) -> int:
        return self.column + 1 if self.last_column is None else self.last_column


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
    #: prior number formats to read before the structure request (see FormatRead)
    format_reads: list[FormatRead] = field(default_factory=list)
    #: managed field -> 0-based column it is written to
    placed: dict[str, int] = field(default_factory=dict)
    #: 0-based column -> id of the marker the value writes follow
    column_ids: dict[int, int] = field(default_factory=dict)
    #: fields whose column this write creates, empty (inserted or appended to the grid)
    fresh: set[str] = field(default_factory=set)
    #: the fresh ones inserted inside the grid (undo deletes the column, marker and all)
    inserted: set[str] = field(default_factory=set)
    #: owned tab role -> its sheet id (the one it will have when created by this write)
    tab_ids: dict[str, int] = field(default_factory=dict)
    #: owned tab role -> its grid rows once this write is done
    tab_rows: dict[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.requests and not self.blocks


def cell_at(grid: tuple[tuple[Raw, ...], ...], r: int, c: int) -> Raw:
    if r < len(grid):
        row = grid[r]
        if c < len(row):
            return row[c]
    return None


def grow(info: SheetInfo, rows: int, columns: int, out: Changes) -> None:
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


def restore_formats(read: FormatRead, prior: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """The request putting back the formats `prior` (per row, per column: the cell's
    userEnteredFormat/dataValidation as read) that a format request replaced."""
    rng = {
        "sheetId": read.sheet_id,
        "startRowIndex": read.first_row,
        "endRowIndex": read.last_row,
        "startColumnIndex": read.column,
        "endColumnIndex": read.end_column,
    }
    if not any(any(cell) for cell in prior):
        return {"repeatCell": {"range": rng, "cell": {}, "fields": read.fields}}
    rows = [{"values": row} for row in prior]
    return {"updateCells": {"range": rng, "rows": rows, "fields": read.fields}}


def prior_formats(reads: list[FormatRead], response: dict[str, Any]) -> list[dict[str, Any]]:
    """From a spreadsheets.get of the `reads` ranges (grid data per sheet, in request order):
    the undo requests that put their formats back."""
    by_sheet: dict[int, list[dict[str, Any]]] = {}
    for sheet in response.get("sheets", []):
        sid = sheet.get("properties", {}).get("sheetId", 0)
        by_sheet.setdefault(sid, []).extend(sheet.get("data", []))
    undo = []
    width_of = {id(r): r.end_column - r.column for r in reads}
    for r in reads:
        data = by_sheet.get(r.sheet_id, [])
        grid = data.pop(0) if data else {}
        rows = grid.get("rowData", [])
        prior = []
        for i in range(r.last_row - r.first_row):
            cells = rows[i].get("values", []) if i < len(rows) else []
            row = []
            for j in range(width_of[id(r)]):
                cell = cells[j] if j < len(cells) else {}
                row.append(
                    {k: cell[k] for k in ("userEnteredFormat", "dataValidation") if k in cell}
                )
            prior.append(row)
        undo.append(restore_formats(r, prior))
    return undo
