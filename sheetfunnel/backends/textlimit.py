"""Cell text limits: Excel holds 32,767 characters in a cell, Google Sheets 50,000. A longer
text copied from a user's cell (a 40,000-character Owner into the Summary) would make Excel
repair the file or the Sheets API refuse the write: it is cut, ending in an ellipsis, and
the write says so."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from itertools import chain

from .base import CellValue, WritePlan

EXCEL_MAX_TEXT = 32_767
SHEETS_MAX_TEXT = 50_000
ELLIPSIS = "…"


def _cut(value: CellValue, limit: int) -> CellValue:
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - len(ELLIPSIS)] + ELLIPSIS
    return value


def _longest(values: Iterable[CellValue]) -> int:
    """Characters of the longest text among `values`: one pass in C (isinstance, len and
    max as builtins), where a Python loop cost 0.1 s over a 100k-contact plan."""
    return max(map(len, filter(_is_text, values)), default=0)


_is_text = str.__instancecheck__  # isinstance(v, str), without a Python frame per cell


def fit_text(plan: WritePlan, limit: int) -> tuple[WritePlan, str | None]:
    """`plan` with every text longer than `limit` cut to `limit` characters (the last one an
    ellipsis), and a notice saying how many and where; (plan, None) when none was."""
    where: list[str] = []
    columns = []
    for column in plan.columns:
        if column.kind in ("number", "date"):  # numbers and dates as plain cells: no text
            columns.append(column)
            continue
        long = []
        if _longest(column.values) > limit:
            long = [i for i, v in enumerate(column.values) if isinstance(v, str) and len(v) > limit]
        if long:
            where += [f"{column.header} row {plan.header_row + 1 + i}" for i in long]
            column = replace(column, values=tuple(_cut(v, limit) for v in column.values))
        columns.append(column)
    tabs = []
    for tab in plan.tabs:
        long = []
        if _longest(chain.from_iterable(tab.rows)) > limit:
            long = [
                (r, c)
                for r, row in enumerate(tab.rows)
                for c, v in enumerate(row)
                if isinstance(v, str) and len(v) > limit
            ]
        if long:
            where += [f"{tab.name} row {r + 1}" for r, _ in long]
            rows = tuple(tuple(_cut(v, limit) for v in row) for row in tab.rows)
            tab = replace(tab, rows=rows)
        tabs.append(tab)
    if not where:
        return plan, None
    shown = ", ".join(where[:3]) + ("..." if len(where) > 3 else "")
    count = len(where)
    note = (
        f"{count} text{'s' if count != 1 else ''} longer than a cell can hold ({limit:,} "
        f"characters) cut, ending in '{ELLIPSIS}' ({shown})"
    )
    return replace(plan, columns=tuple(columns), tabs=tuple(tabs)), note
