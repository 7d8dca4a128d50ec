"""Value writes as the API takes them: cut under the payload limit, our contacts columns
addressed by their marker, and created columns found again for undo. Pure: no I/O."""

from __future__ import annotations

from typing import Any

from .changes import Block
from .columns import DELETE_MARKED
from .decode import dumps
from .model import Raw

#: Where our column markers are now (to remove a column we created, on rollback).
MARKS_FIELDS = "sheets(data(columnMetadata(developerMetadata(metadataId,location))))"


def chunks(blocks: list[Block], max_payload: int) -> list[list[int]]:
    """Indexes of `blocks` per values write, each under `max_payload` bytes (a block that
    follows a marker is sent from row 1, null skipping the rows it does not write)."""
    out: list[list[int]] = [[]]
    size = 0
    reach: dict[int, int] = {}
    for i, block in enumerate(blocks):
        cost = len(dumps(block.values)) + 64
        if block.metadata_id is not None:
            cost += 5 * max(0, block.row - 1 - reach.get(block.metadata_id, 0))
        if out[-1] and size + cost > max_payload:
            out.append([])
            size = 0
            reach = {}
        out[-1].append(i)
        size += cost
        if block.metadata_id is not None:
            end = block.row - 1 + len(block.values)
            reach[block.metadata_id] = max(reach.get(block.metadata_id, 0), end)
    return [c for c in out if c]


def by_filter_body(blocks: list[Block]) -> bytes:
    """A values:batchUpdateByDataFilter body (compact JSON): our tabs by A1 range, our
    contacts columns by their marker, so the values land in that column wherever a user
    moved it meanwhile."""
    data: list[dict[str, Any]] = []
    columns: dict[int, list[Raw]] = {}
    for b in blocks:
        if b.metadata_id is None:
            data.append(
                {"dataFilter": {"a1Range": b.a1()}, "majorDimension": "ROWS", "values": b.values}
            )
            continue
        cells = columns.setdefault(b.metadata_id, [])
        cells += [None] * (b.row - 1 + len(b.values) - len(cells))  # null: cell skipped
        for i, row in enumerate(b.values):
            cells[b.row - 1 + i] = row[0] if row else None
    for mid, cells in columns.items():
        data.append(
            {
                "dataFilter": {"developerMetadataLookup": {"metadataId": mid}},
                "majorDimension": "COLUMNS",
                "values": [cells],
            }
        )
    body = {"valueInputOption": "RAW", "data": data}
    return dumps(body)


def marked_columns(meta: dict[str, Any]) -> dict[int, tuple[int, int]]:
    """metadataId -> (sheetId, column) of every column marker, from a MARKS_FIELDS read."""
    where: dict[int, tuple[int, int]] = {}
    for sheet in meta.get("sheets", []):
        for data in sheet.get("data", []):
            for c, column in enumerate(data.get("columnMetadata", [])):
                for m in column.get("developerMetadata", []):
                    dr = m.get("location", {}).get("dimensionRange", {})
                    where[m.get("metadataId", 0)] = (dr.get("sheetId", 0), c)
    return where


def resolve_deletes(
    undo: list[dict[str, Any]], where: dict[int, tuple[int, int]]
) -> list[dict[str, Any]]:
    """Undo steps deleting a column we created, turned into deleteDimension where its marker
    is now, right to left (each delete leaves the others' places unchanged); a column the
    user already deleted is skipped."""
    marked = [r[DELETE_MARKED] for r in undo if DELETE_MARKED in r]
    if not marked:
        return undo
    found = sorted((where[m] for m in marked if m in where), key=lambda w: -w[1])
    deletes = [
        {
            "deleteDimension": {
                "range": {
                    "sheetId": sid,
                    "dimension": "COLUMNS",
                    "startIndex": c,
                    "endIndex": c + 1,
                }
            }
        }
        for sid, c in found
    ]
    first = next(i for i, r in enumerate(undo) if DELETE_MARKED in r)
    rest = [r for r in undo if DELETE_MARKED not in r]
    return rest[:first] + deletes + rest[first:]


def split(blocks: list[Block], undo: list[Block], limit: int) -> tuple[list[Block], list[Block]]:
    """Cut blocks bigger than `limit` bytes into row slices (their undo blocks alike)."""
    out, out_undo = [], []
    for block, back in zip(blocks, undo, strict=True):
        size = len(dumps(block.values))
        if size <= limit or len(block.values) < 2:
            out.append(block)
            out_undo.append(back)
            continue
        step = max(1, len(block.values) * limit // (size * 2))
        for s in range(0, len(block.values), step):
            rows = slice(s, s + step)
            out.append(
                Block(
                    block.title, block.row + s, block.column, block.values[rows], block.metadata_id
                )
            )
            out_undo.append(
                Block(back.title, back.row + s, back.column, back.values[rows], back.metadata_id)
            )
    return out, out_undo
