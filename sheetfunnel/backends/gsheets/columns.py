"""Our columns in the contacts tab: created fresh (never written into a column that might
have become a user's), and marked with developer metadata that values then follow."""

from __future__ import annotations

from typing import Any

from sheetfunnel.backends.base import WritePlan

from . import formats
from .changes import Changes
from .model import COLUMN_KEY, ReadState, SheetInfo

#: An undo step resolved at rollback time: delete the column our marker `mid` is on now.
DELETE_MARKED = "sheetfunnel:deleteMarkedColumn"


def marker(key: str, value: str, location: dict[str, Any], mid: int) -> dict[str, Any]:
    return {
        "createDeveloperMetadata": {
            "developerMetadata": {
                "metadataId": mid,
                "metadataKey": key,
                "metadataValue": value,
                "location": location,
                "visibility": "DOCUMENT",
            }
        }
    }


def unmark(mid: int) -> dict[str, Any]:
    return {
        "deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {"metadataId": mid}}}
    }


def column_location(sheet_id: int, c: int) -> dict[str, Any]:
    return {
        "dimensionRange": {
            "sheetId": sheet_id,
            "dimension": "COLUMNS",
            "startIndex": c,
            "endIndex": c + 1,
        }
    }


def column_id(sheet_id: int, field: str, c: int) -> int:
    """The fixed id of the marker we create (undo deletes exactly it)."""
    return formats.stable_id("column", f"{sheet_id}:{field}:{c}")


def make_room(
    plan: WritePlan,
    state: ReadState,
    info: SheetInfo,
    need_rows: int,
    out: Changes,
    growth: Changes,
) -> None:
    """Rows for the values, and a fresh column for each new field: inserted at its place when
    inside the grid (a column the user adds meanwhile cannot be the one we fill), appended
    past it otherwise; only a letter pinned between the user's columns is written in place.
    Undo deletes the inserted columns wherever they are then and shrinks the grid back."""
    count = info.columns
    inserted = 0
    pinned_need = 0
    grid = state.grids.get(plan.sheet, ())
    width = max((len(r) for r in grid), default=0)
    new = [col for col in plan.columns if state.column_for(info.sheet_id, col.field) is None]
    # a pinned letter between the user's columns is written in place (an insert there would
    # shift their columns); columns that stay put must not be shifted by our inserts either
    in_place = {
        col.field
        for col in new
        if col.letter and _index(col.letter) == out.placed[col.field] < width
    }
    staying = {m.column for m in state.marks if m.sheet_id == info.sheet_id and m.field} | {
        out.placed[f] for f in in_place
    }
    for col in sorted(new, key=lambda col: out.placed[col.field]):
        c = out.placed[col.field]
        if col.field in in_place or any(k > c for k in staying):
            pinned_need = max(pinned_need, c + 1)
            continue
        out.fresh.add(col.field)
        if c < count:
            growth.requests.append(
                {
                    "insertDimension": {
                        "range": {
                            "sheetId": info.sheet_id,
                            "dimension": "COLUMNS",
                            "startIndex": c,
                            "endIndex": c + 1,
                        },
                        "inheritFromBefore": False,
                    }
                }
            )
            growth.undo_requests.insert(0, {DELETE_MARKED: column_id(info.sheet_id, col.field, c)})
            count += 1
            inserted += 1
            out.inserted.add(col.field)
        else:
            growth.requests.append(
                {
                    "appendDimension": {
                        "sheetId": info.sheet_id,
                        "dimension": "COLUMNS",
                        "length": c + 1 - count,
                    }
                }
            )
            count = c + 1
    if pinned_need > count:
        growth.requests.append(
            {
                "appendDimension": {
                    "sheetId": info.sheet_id,
                    "dimension": "COLUMNS",
                    "length": pinned_need - count,
                }
            }
        )
        count = pinned_need
    if need_rows > info.rows:
        growth.requests.append(
            {
                "appendDimension": {
                    "sheetId": info.sheet_id,
                    "dimension": "ROWS",
                    "length": need_rows - info.rows,
                }
            }
        )
    appended = count - info.columns - inserted
    if need_rows > info.rows or appended > 0:
        grid: dict[str, int] = {}
        if need_rows > info.rows:
            grid["rowCount"] = info.rows
        if appended > 0:  # the columns past the old grid are cut; inserted ones were deleted
            grid["columnCount"] = info.columns
        growth.undo_requests.append(
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": info.sheet_id, "gridProperties": grid},
                    "fields": ",".join(f"gridProperties.{k}" for k in grid),
                }
            }
        )
    if need_rows > info.rows or count > info.columns:
        growth.details.append(
            f"{info.title}: grid grown to {max(need_rows, info.rows)} rows x {count} columns"
        )


def _index(letters: str) -> int:
    n = 0
    for ch in letters.strip().upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def column_marks(plan: WritePlan, state: ReadState, info: SheetInfo, out: Changes) -> None:
    """Mark each placed column with its field id; marks of the previous version (a header as
    value) are replaced. Records which marker each column's values follow."""
    planned = {(info.sheet_id, c) for c in out.placed.values()}
    for mark in state.marks:
        if not mark.stale:
            continue
        where = column_location(mark.sheet_id, mark.column)
        out.requests.append(unmark(mark.metadata_id))
        out.undo_requests.append(marker(COLUMN_KEY, mark.value, where, mark.metadata_id))
        if mark.field and (mark.sheet_id, mark.column) not in planned:
            mid = column_id(mark.sheet_id, mark.field, mark.column)
            out.requests.append(marker(COLUMN_KEY, mark.field, where, mid))
            out.undo_requests.append(unmark(mid))
    added = []
    for col in plan.columns:
        c = out.placed[col.field]
        have = next(
            (
                m
                for m in state.marks
                if m.sheet_id == info.sheet_id and m.column == c and m.value == col.field
            ),
            None,
        )
        if have is not None:
            out.column_ids[c] = have.metadata_id
            continue
        mid = column_id(info.sheet_id, col.field, c)
        out.requests.append(marker(COLUMN_KEY, col.field, column_location(info.sheet_id, c), mid))
        if col.field not in out.inserted:  # an inserted column's undo deletes it, marker too
            out.undo_requests.append(unmark(mid))
        out.column_ids[c] = mid
        added.append(col.header)
    if added:
        out.details.append(f"{info.title}: column markers added for {', '.join(added)}")
