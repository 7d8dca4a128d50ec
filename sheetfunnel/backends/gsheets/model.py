"""What a read learned about the spreadsheet, kept for the write (`SheetData.token`)."""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sheetfunnel.backends.base import EPOCH_1900, MARKED_FIELDS, CellValue

#: Developer-metadata key marking a column sheetfunnel manages; the value is its field id.
COLUMN_KEY = "sheetfunnel:column"
#: Developer-metadata key on a whole sheet sheetfunnel owns; the value is its role.
TAB_KEY = "sheetfunnel:tab"
#: Developer-metadata key on one of our columns or tabs: a digest of the formats we last gave
#: it, so an unchanged format is recognised from the one metadata read (cell formats are not
#: read: that would mean the grid data of every tab).
FORMAT_KEY = "sheetfunnel:format"

#: A cell as the API returns it with UNFORMATTED_VALUE (None for empty).
Raw = str | int | float | bool | None


@dataclass(frozen=True)
class SheetInfo:
    """One tab's identity and grid size."""

    sheet_id: int
    title: str
    index: int
    rows: int
    columns: int
    hidden: bool = False
    frozen_rows: int = 0
    frozen_columns: int = 0
    #: pixel width of each column as read (100 is the default)
    widths: tuple[int, ...] = ()

    def width(self, c: int) -> int:
        return self.widths[c] if c < len(self.widths) else 100


@dataclass(frozen=True)
class ColumnMark:
    """Our developer metadata on one column: `value` is a field id (or, from the previous
    version, a header text: a stale mark)."""

    metadata_id: int
    sheet_id: int
    column: int
    value: str

    @property
    def field(self) -> str | None:
        """The field this mark stands for. A mark of the previous version holds the default
        header ("Stage since"): it is still ours (we wrote it), read as its field id."""
        if self.value in MARKED_FIELDS:
            return self.value
        legacy = self.value.strip().casefold().replace(" ", "_")
        return legacy if legacy in MARKED_FIELDS else None

    @property
    def stale(self) -> bool:
        """Written by the previous version (a header as value): rewritten with the field id."""
        return self.value not in MARKED_FIELDS


@dataclass(frozen=True)
class TabMark:
    """Our developer metadata on a whole sheet: `role` is one of TAB_ROLES."""

    metadata_id: int
    sheet_id: int
    role: str


@dataclass(frozen=True)
class FormatMark:
    """Our format digest on a column (`column` set) or on a whole tab (`column` None)."""

    metadata_id: int
    sheet_id: int
    column: int | None
    value: str


@dataclass(frozen=True)
class ReadState:
    """Everything `write` compares the plan with, as read (no re-read needed to diff)."""

    key: str
    sheets: Mapping[str, SheetInfo]
    rules: Mapping[int, tuple[dict[str, Any], ...]]
    charts: Mapping[int, tuple[int, dict[str, Any]]]  # chartId -> (sheetId, chart)
    marks: tuple[ColumnMark, ...]
    grids: Mapping[str, tuple[tuple[Raw, ...], ...]]  # tab title -> rows as read
    contacts_tab: str = ""
    header_row: int = 1
    account: str | None = None
    tab_marks: tuple[TabMark, ...] = ()
    format_marks: tuple[FormatMark, ...] = ()

    def sheet(self, title: str) -> SheetInfo | None:
        return self.sheets.get(title)

    def by_id(self, sheet_id: int) -> SheetInfo | None:
        return next((s for s in self.sheets.values() if s.sheet_id == sheet_id), None)

    def tab_for(self, role: str) -> SheetInfo | None:
        """The tab marked for `role` (the leftmost one if a copy carries the mark too)."""
        found = [s for m in self.tab_marks if m.role == role and (s := self.by_id(m.sheet_id))]
        return min(found, key=lambda s: s.index) if found else None

    def format_mark(self, sheet_id: int, column: int | None) -> FormatMark | None:
        """Our format digest on that column (None: on the tab itself)."""
        return next(
            (m for m in self.format_marks if m.sheet_id == sheet_id and m.column == column), None
        )

    def column_for(self, sheet_id: int, field: str) -> int | None:
        """The column marked for `field` on a sheet (the leftmost, should there be two)."""
        cols = [m.column for m in self.marks if m.sheet_id == sheet_id and m.field == field]
        return min(cols) if cols else None


def col_letter(index: int) -> str:
    """0-based column index -> A1 letters."""
    out, n = "", index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def quote(title: str) -> str:
    """A sheet title as a range prefix (always quoted: valid for any title)."""
    return "'" + title.replace("'", "''") + "'"


def to_json(value: CellValue) -> Raw:
    """A plan value as sent with RAW input: dates as serial numbers, None/NaN/NA as ""
    (clear). numpy/pandas scalars are accepted too (the engine works on DataFrames)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool:  # the common cases, fast
        return value  # type: ignore[return-value]
    if kind is float:
        return value if math.isfinite(value) else ""  # type: ignore[arg-type,return-value]
    if value is None:
        return ""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        with contextlib.suppress(ValueError, TypeError):
            value = value.item()  # numpy scalar -> Python
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(value, bool | str):
        return value
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - dt.datetime.combine(EPOCH_1900, dt.time())
        return delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000
    if isinstance(value, dt.date):
        return (value - EPOCH_1900).days
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    if isinstance(value, int | float):
        return value
    return str(value)


def same(current: Raw, wanted: Raw) -> bool:
    """Is the cell already holding what we would write? ("" and None both mean empty.)"""
    if type(current) is type(wanted) and current == wanted:
        return True
    if current == "":
        current = None
    if wanted == "":
        wanted = None
    if current is None or wanted is None:
        return current is wanted
    if isinstance(current, bool) or isinstance(wanted, bool):
        return type(current) is type(wanted) and current == wanted
    if isinstance(current, int | float) and isinstance(wanted, int | float):
        return math.isclose(current, wanted, rel_tol=1e-12, abs_tol=1e-12)
    return type(current) is type(wanted) and current == wanted
