"""What a read learned about the spreadsheet, kept for the write (`SheetData.token`)."""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sheetfunnel.backends.base import EPOCH_1900, CellValue

#: Developer-metadata key marking a column sheetfunnel manages; the value is its header.
COLUMN_KEY = "sheetfunnel:column"

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


@dataclass(frozen=True)
class ColumnMark:
    """Our developer metadata on one column."""

    metadata_id: int
    sheet_id: int
    column: int
    header: str


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

    def sheet(self, title: str) -> SheetInfo | None:
        return self.sheets.get(title)


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
