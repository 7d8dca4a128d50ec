"""The contacts block: which rows and columns of the contacts tab are contacts.

When the key column lies in an Excel table, the contacts are that table's data rows (never its
totals row, never rows beside or under it) and its columns, plus the columns marked ours;
otherwise every row under the header row and every column with a header (or a marker).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from operator import itemgetter

import numpy as np
import pandas as pd

from sheetfunnel.backends.base import CellValue, unnamed_column
from sheetfunnel.errors import InputError

from .cells import col_letter, header_text
from .tables import Table, key_table


def header_map(row: list[CellValue]) -> dict[int, str]:
    """1-based column -> header text, for the non-blank cells of a header row."""
    out = {}
    for j, value in enumerate(row, start=1):
        text = header_text(value)
        if text:
            out[j] = text
    return out


def duplicates(headers: Mapping[int, str], cols: Iterable[int]) -> dict[str, tuple[str, ...]]:
    """Header text -> column letters, for the texts repeated among `cols`."""
    seen: dict[str, list[str]] = {}
    for col in sorted(cols):
        if col in headers:
            seen.setdefault(headers[col], []).append(col_letter(col))
    return {text: tuple(letters) for text, letters in seen.items() if len(letters) > 1}


def frame_names(headers: Mapping[int, str], cols: Iterable[int], marked: Mapping[int, str]):
    """1-based column -> frame name ("X", "X (2)" for repeats; a marked column with an empty
    header gets `unnamed_column(field)`); columns without either are left out."""
    names: dict[int, str] = {}
    seen: dict[str, int] = {}
    for col in sorted(cols):
        text = headers.get(col, "")
        if not text:
            if col in marked:
                names[col] = unnamed_column(marked[col])
            continue
        seen[text] = seen.get(text, 0) + 1
        names[col] = text if seen[text] == 1 else f"{text} ({seen[text]})"
    return names


def build_frame(
    rows: list[list], header_row: int, names: Mapping[int, str], last_row: int | None
) -> pd.DataFrame:
    """Object frame of sheet rows header_row+1 .. last_row (default: the last row read)."""
    last = len(rows) if last_row is None else last_row
    body = rows[header_row:last]
    height = max(last - header_row, 0)
    width = max(names, default=0)
    # calamine's rows are as wide as the sheet: a row is padded only when it is shorter
    # (beyond the used range, or extended by an error cell), so that each column is one
    # C-level pass (1M rows x 4 columns: 0.6 s -> 0.25 s)
    body = [r if len(r) >= width else [*r, *[""] * (width - len(r))] for r in body]
    body += [[""] * width] * (height - len(body))
    columns = {}
    for j, name in names.items():
        column = np.fromiter(map(itemgetter(j - 1), body), dtype=object, count=height)
        column[column == ""] = None
        columns[name] = _texts_shared(column)
    index = pd.RangeIndex(header_row + 1, header_row + 1 + height)
    return pd.DataFrame(columns, index=index, dtype=object)


#: Values looked at to tell a column of repeated texts (a type, a country) from one of
#: distinct texts (e-mails, names), where sharing would cost time and save nothing.
PROBE = 2_000


def _texts_shared(column: np.ndarray) -> np.ndarray:
    """`column` with equal texts held by one object: calamine makes one per cell, and 1M
    activities' types and channels then cost ~110 MB more, alive while they are scored."""
    seen: dict[str, str] = {}
    head = column[:PROBE]
    for value in head:
        if value.__class__ is str:
            seen.setdefault(value, value)
    if len(seen) > len(head) // 4:
        return column
    shared = [seen.setdefault(v, v) if v.__class__ is str else v for v in column]
    return np.fromiter(shared, dtype=object, count=len(column))


def contacts_block(
    rows: list[list],
    header_row: int,
    key_header: str,
    tables: list[Table],
    marked: Mapping[str, int],
    *,
    file: str,
    sheet: str,
) -> tuple[pd.DataFrame, dict[str, tuple[str, ...]], dict[str, str]]:
    """(contacts frame, repeated headers in the block, field -> frame name of marked columns)."""
    if header_row < 1:
        raise InputError(f"header row must be 1 or more, not {header_row}", file=file, sheet=sheet)
    headers = header_map(rows[header_row - 1] if header_row <= len(rows) else [])
    by_col = {col: field for field, col in marked.items()}
    table = key_table(tables, headers, header_row, key_header)
    if table is not None:
        cols = set(range(table.c1, table.c2 + 1)) | set(by_col)
        last_row: int | None = table.last_data
    else:
        cols = set(headers) | set(by_col)
        last_row = None
    names = frame_names(headers, cols, by_col)
    if not names:
        raise InputError(
            f"header row {header_row} of tab {sheet!r} is empty; set the header row in the "
            "config to the row that holds the column names",
            file=file,
            sheet=sheet,
        )
    frame = build_frame(rows, header_row, names, last_row)
    ownership = {field: names[col] for field, col in marked.items() if col in names}
    return frame, duplicates(headers, cols), ownership
