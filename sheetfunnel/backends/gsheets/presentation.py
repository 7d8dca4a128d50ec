"""How our columns look (number formats, widths, the override drop-down) and what the look of
columns and tabs shares: format codes, digests, stage rules. Pure: no I/O. The owned tabs'
look is tablook.py's.

Cell formats are not part of the one metadata read (that would be the grid data of every
tab), so each column and tab of ours carries a digest of the formats we last gave it
(developer metadata `FORMAT_KEY`): the formats are sent again only when that digest differs,
and on rows the grid grows by. Widths and frozen rows are read and compared directly.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sheetfunnel.backends.base import ManagedColumn, WritePlan

from . import formats
from .changes import COLUMN_FORMAT_FIELDS, Changes, FormatRead
from .columns import column_location, marker, unmark
from .model import FORMAT_KEY, ReadState, SheetInfo

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


def grid_range(sheet_id: int, r0: int, r1: int, c0: int, c1: int) -> dict[str, int]:
    return {
        "sheetId": sheet_id,
        "startRowIndex": r0,
        "endRowIndex": r1,
        "startColumnIndex": c0,
        "endColumnIndex": c1,
    }


def remark(
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
            remark(info.sheet_id, c, col.field, value, state, out, undo=not fresh)
            if first < rows:
                out.details.append(f"{info.title}: format of '{col.header}' set")
        if first < rows:
            rng = grid_range(info.sheet_id, first, rows, c, c + 1)
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
                out.requests.append(width_request(info.sheet_id, c, c + 1, px))
                if not fresh:
                    out.undo_requests.append(width_request(info.sheet_id, c, c + 1, info.width(c)))


def width_request(sheet_id: int, c0: int, c1: int, px: int) -> dict[str, Any]:
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
