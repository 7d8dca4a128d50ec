"""What a user does to their spreadsheet between two syncs, as one protocol both backends
implement (`editors_calc.CalcEditor` through real LibreOffice, `editors_sheets.SheetsEditor`
through real Sheets API requests), plus how the spreadsheet is read back independently.

Columns are named by their header text as it stands in the header row at the time of the
edit; rows by the contact key typed in the key column. Editors know nothing about
sheetfunnel: which header is "ours" is the harness's business (it asks the markers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sheetfunnel.backends.base import EPOCH_1900, CellValue

#: A tab's cells as read back: rows of values, `None` for an empty cell, ragged rows padded.
Grid = list[list[CellValue]]


@dataclass(frozen=True)
class Block:
    """Where an Excel table holding the key column bounds the contacts: its data rows
    (1-based sheet rows, totals row excluded) and its columns (0-based, inclusive)."""

    first_row: int
    last_row: int
    first_col: int
    last_col: int


class Editor(Protocol):
    """The everyday edits of issue 10, each applied and saved like a user would."""

    #: "excel" or "sheets": used in test ids and messages.
    kind: str

    def add_contact(self, values: Mapping[str, CellValue]) -> None:
        """Type a new contact into the first empty row under the contacts block."""
        ...

    def insert_contact(self, before_key: str, values: Mapping[str, CellValue]) -> None:
        """Insert a whole row above the row of `before_key` and type a contact into it."""
        ...

    def delete_contact(self, key: str) -> None:
        """Delete the whole row holding `key`."""
        ...

    def sort_by(self, header: str, descending: bool) -> None:
        """Sort every data row of the contacts tab, all used columns, on one column."""
        ...

    def insert_user_column(
        self, before_header: str, header: str, values: Mapping[str, CellValue]
    ) -> None:
        """Insert a whole column before `before_header` and fill it (values by contact key)."""
        ...

    def delete_user_column(self, header: str) -> None:
        """Delete the whole column headed `header`."""
        ...

    def move_column(self, header: str, before_header: str | None) -> None:
        """Move the whole column headed `header` before another one (None: after the last)."""
        ...

    def delete_our_column(self, header: str) -> None:
        """Delete one of sheetfunnel's columns (the whole column)."""
        ...

    def rename_our_header(self, header: str, new: str) -> None:
        """Type another text over a header of sheetfunnel's."""
        ...

    def type_into_cell(self, key: str, header: str, value: str) -> None:
        """Type `value` into the cell of column `header` in the row holding `key` (our Stage
        cell, or a cell of the user's such as the stage override)."""
        ...

    def reorder_tabs(self, order: Sequence[str]) -> None:
        """Drag the tabs into `order` (every visible tab title)."""
        ...

    def delete_our_tab(self, title: str) -> None:
        """Delete a whole tab."""
        ...

    def add_activity(self, key: str, activity: str, day: dt.date) -> None:
        """Type a row at the bottom of the activity log: contact, activity type, date."""
        ...

    def empty_contacts(self) -> None:
        """Delete every data row of the contacts tab; the header row stays."""
        ...

    # --- reading back, independently of the product ---
    def grid(self, tab: str) -> Grid:
        """Every cell of `tab` from A1 to its last used cell, as stored."""
        ...

    def tab_titles(self) -> list[str]:
        """Every tab title, hidden ones included, in tab order."""
        ...

    def contacts_block(self) -> Block | None:
        """The table bounding the contacts block, if the key column sits in one."""
        ...


def as_date(value: CellValue) -> dt.date | None:
    """A date cell as a date: a real date (Excel) or a day serial (Google Sheets)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return EPOCH_1900 + dt.timedelta(days=int(value))
    return None


def padded(rows: Sequence[Sequence[CellValue]]) -> Grid:
    """Rows made rectangular, "" turned into None (an empty cell)."""
    width = max((len(r) for r in rows), default=0)
    return [[None if v == "" else v for v in r] + [None] * (width - len(r)) for r in rows]
