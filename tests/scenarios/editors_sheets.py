"""The user's edits on a Google Sheet, as the real API requests the Sheets UI sends, through
gspread against the local emulator (tests/gsheets_emulator).

Structural edits are `spreadsheets.batchUpdate` requests (insertDimension, deleteDimension,
moveDimension, sortRange, deleteSheet, updateSheetProperties); typing is a USER_ENTERED
values update, so "2026-07-01" becomes a date as it does in the UI. The sheet is read back
through values.get (unformatted values, dates as day serials), not through sheetfunnel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import gspread
from gspread.utils import rowcol_to_a1

from sheetfunnel.backends.base import CellValue

from .editor import Block, Grid, padded


def _quoted(tab: str) -> str:
    return "'" + tab.replace("'", "''") + "'"


def _typed(value: CellValue) -> Any:
    """A value as the user types it (dates in ISO form, parsed by Sheets as a date)."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else value


class SheetsEditor:
    """The `Editor` for one Google Sheet."""

    kind = "sheets"

    def __init__(
        self,
        client: gspread.Client,
        key: str,
        *,
        contacts_tab: str,
        key_header: str,
        activities_tab: str,
        activity_headers: tuple[str, str, str],
    ):
        self.book = client.open_by_key(key)
        self.key = key
        self.contacts_tab = contacts_tab
        self.key_header = key_header
        self.activities_tab = activities_tab
        self.activity_headers = activity_headers

    # --- helpers ---
    def _sheets(self) -> list[dict[str, Any]]:
        meta = self.book.fetch_sheet_metadata({"fields": "sheets.properties"})
        props = [s["properties"] for s in meta["sheets"]]
        return sorted(props, key=lambda p: p.get("index", 0))

    def _sheet(self, tab: str) -> dict[str, Any]:
        for props in self._sheets():
            if props["title"] == tab:
                return props
        raise KeyError(f"no tab {tab!r}")

    def _batch(self, *requests: dict[str, Any]) -> None:
        self.book.batch_update({"requests": list(requests)})

    def _type(self, tab: str, row: int, col: int, rows: list[list[CellValue]]) -> None:
        """Type `rows` with their top-left cell at 1-based (row, col)."""
        self.book.values_update(
            f"{_quoted(tab)}!{rowcol_to_a1(row, col)}",
            params={"valueInputOption": "USER_ENTERED"},
            body={"values": [[_typed(v) for v in r] for r in rows]},
        )

    def _headers(self, tab: str) -> list[str]:
        rows = self.grid(tab)
        return [str(v).strip() if v is not None else "" for v in rows[0]] if rows else []

    def _column(self, header: str) -> int:
        """0-based index of the contacts column headed `header`."""
        headers = self._headers(self.contacts_tab)
        if header not in headers:
            raise KeyError(f"no column headed {header!r} in {headers}")
        return headers.index(header)

    def _last_row(self, tab: str) -> int:
        """1-based number of the last row holding any value (1: only the header)."""
        rows = self.grid(tab)
        filled = [i for i, r in enumerate(rows, start=1) if any(v is not None for v in r)]
        return max(filled, default=1)

    def _row_of(self, key: str) -> int:
        """1-based number of the row holding `key`."""
        col = self._column(self.key_header)
        for i, row in enumerate(self.grid(self.contacts_tab)[1:], start=2):
            if row[col] is not None and str(row[col]) == key:
                return i
        raise KeyError(f"no row with {self.key_header} = {key!r}")

    def _type_row(self, tab: str, row: int, values: Mapping[str, CellValue]) -> None:
        props = self._sheet(tab)
        if row > props["gridProperties"]["rowCount"]:
            self._batch(
                {
                    "appendDimension": {
                        "sheetId": props["sheetId"],
                        "dimension": "ROWS",
                        "length": row - props["gridProperties"]["rowCount"],
                    }
                }
            )
        headers = self._headers(tab)
        cells: list[CellValue] = [None] * len(headers)
        for header, value in values.items():
            cells[headers.index(header)] = value
        self._type(tab, row, 1, [cells])

    def _dimension(self, kind: str, start: int, end: int) -> dict[str, Any]:
        """A 0-based, end-exclusive range of rows or columns of the contacts tab."""
        return {
            "sheetId": self._sheet(self.contacts_tab)["sheetId"],
            "dimension": kind,
            "startIndex": start,
            "endIndex": end,
        }

    # --- the edits ---
    def add_contact(self, values: Mapping[str, CellValue]) -> None:
        self._type_row(self.contacts_tab, self._last_row(self.contacts_tab) + 1, values)

    def insert_contact(self, before_key: str, values: Mapping[str, CellValue]) -> None:
        row = self._row_of(before_key)
        rows = self._dimension("ROWS", row - 1, row)
        self._batch({"insertDimension": {"range": rows, "inheritFromBefore": True}})
        self._type_row(self.contacts_tab, row, values)

    def delete_contact(self, key: str) -> None:
        row = self._row_of(key)
        self._batch({"deleteDimension": {"range": self._dimension("ROWS", row - 1, row)}})

    def sort_by(self, header: str, descending: bool) -> None:
        by = self._column(header)
        last = self._last_row(self.contacts_tab)
        width = len(self._headers(self.contacts_tab))
        if last < 3:
            return
        order = "DESCENDING" if descending else "ASCENDING"
        self._batch(
            {
                "sortRange": {
                    "range": {
                        "sheetId": self._sheet(self.contacts_tab)["sheetId"],
                        "startRowIndex": 1,
                        "endRowIndex": last,
                        "startColumnIndex": 0,
                        "endColumnIndex": width,
                    },
                    "sortSpecs": [{"dimensionIndex": by, "sortOrder": order}],
                }
            }
        )

    def insert_user_column(
        self, before_header: str, header: str, values: Mapping[str, CellValue]
    ) -> None:
        at = self._column(before_header)
        key = self._column(self.key_header)
        self._batch(
            {
                "insertDimension": {
                    "range": self._dimension("COLUMNS", at, at + 1),
                    "inheritFromBefore": at > 0,
                }
            }
        )
        rows = self.grid(self.contacts_tab)
        column = [[header]] + [
            [values.get(str(r[key]))] if r[key] is not None else [None] for r in rows[1:]
        ]
        self._type(self.contacts_tab, 1, at + 1, column)

    def _delete_column(self, header: str) -> None:
        at = self._column(header)
        self._batch({"deleteDimension": {"range": self._dimension("COLUMNS", at, at + 1)}})

    def delete_user_column(self, header: str) -> None:
        self._delete_column(header)

    def delete_our_column(self, header: str) -> None:
        self._delete_column(header)

    def move_column(self, header: str, before_header: str | None) -> None:
        source = self._column(header)
        if before_header is None:
            before = len(self._headers(self.contacts_tab))
        else:
            before = self._column(before_header)
        if before in (source, source + 1):
            return
        self._batch(
            {
                "moveDimension": {
                    "source": self._dimension("COLUMNS", source, source + 1),
                    "destinationIndex": before,
                }
            }
        )

    def rename_our_header(self, header: str, new: str) -> None:
        self._type(self.contacts_tab, 1, self._column(header) + 1, [[new]])

    def type_into_cell(self, key: str, header: str, value: str) -> None:
        self._type(self.contacts_tab, self._row_of(key), self._column(header) + 1, [[value]])

    def reorder_tabs(self, order: Sequence[str]) -> None:
        ids = {p["title"]: p["sheetId"] for p in self._sheets()}
        self._batch(
            *(
                {
                    "updateSheetProperties": {
                        "properties": {"sheetId": ids[title], "index": i},
                        "fields": "index",
                    }
                }
                for i, title in enumerate(order)
            )
        )

    def delete_our_tab(self, title: str) -> None:
        self._batch({"deleteSheet": {"sheetId": self._sheet(title)["sheetId"]}})

    def add_activity(self, key: str, activity: str, day: dt.date) -> None:
        contact, kind, date = self.activity_headers
        row = self._last_row(self.activities_tab) + 1
        self._type_row(self.activities_tab, row, {contact: key, kind: activity, date: day})

    def empty_contacts(self) -> None:
        last = self._last_row(self.contacts_tab)
        if last >= 2:
            self._batch({"deleteDimension": {"range": self._dimension("ROWS", 1, last)}})

    # --- reading back (values.get, not sheetfunnel's reader) ---
    def grid(self, tab: str) -> Grid:
        got = self.book.values_get(
            _quoted(tab),
            params={
                "valueRenderOption": "UNFORMATTED_VALUE",
                "dateTimeRenderOption": "SERIAL_NUMBER",
            },
        )
        return padded(got.get("values", []))

    def tab_titles(self) -> list[str]:
        return [p["title"] for p in self._sheets()]

    def contacts_block(self) -> Block | None:
        return None  # Google Sheets has no tables bounding the contacts
