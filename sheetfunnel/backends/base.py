"""The contract between the engine and the spreadsheet backends: plain data both ways.

A backend knows spreadsheets and nothing about scoring. `read` hands the engine raw cells as
`SheetData`; `write` receives a complete `WritePlan` (every managed cell, every owned tab) and
is itself responsible for writing nothing when the spreadsheet already holds exactly that plan
(idempotence), and for leaving the spreadsheet untouched when anything fails.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import pandas as pd

#: A value as it sits in (or goes into) one cell. `None` is an empty cell.
CellValue = str | int | float | bool | dt.date | dt.datetime | None
Rows = tuple[tuple[CellValue, ...], ...]

#: Excel's 1900 system (after the fictitious 1900-02-29) and Google Sheets count from here.
EPOCH_1900 = dt.date(1899, 12, 30)
EPOCH_1904 = dt.date(1904, 1, 1)


@dataclass(frozen=True)
class SheetData:
    """Raw cells read from a spreadsheet, before any typing.

    `contacts`/`activities`: object-dtype frames whose columns are the header texts (stripped;
    blank headers dropped; a repeated header gets " (2)", " (3)" appended) and whose index is the
    1-based sheet row number of each data row. Empty cells are `None`. `activities` is `None`
    when the config keeps activities as columns of the contacts tab.
    `owned`: the current rows of the tabs sheetfunnel owns (Summary, History) that exist.
    `serial_epoch`: day zero of date serials in this spreadsheet (numbers in a date column).
    `token`: whatever the backend needs at write time (a fingerprint, sheet ids); opaque.
    """

    contacts: pd.DataFrame
    activities: pd.DataFrame | None = None
    owned: Mapping[str, Rows] = field(default_factory=dict)
    serial_epoch: dt.date = EPOCH_1900
    source: str = ""
    token: Any = None


@dataclass(frozen=True)
class ManagedColumn:
    """One column sheetfunnel owns in the contacts tab, found again by its header.

    `values[i]` belongs in sheet row `header_row + 1 + i`; `None` leaves the cell empty.
    Managed cells in rows past the end of `values` are cleared (rows the user deleted).
    `letter`, when set, is the column the config pins this header to (e.g. "K").
    """

    header: str
    kind: Literal["number", "text", "date"]
    values: tuple[CellValue, ...]
    letter: str | None = None


@dataclass(frozen=True)
class StageColour:
    """Fill (and optional font) colour of cells whose text equals `stage`. Colours: '#RRGGBB'."""

    stage: str
    fill: str
    font: str | None = None


@dataclass(frozen=True)
class FunnelChart:
    """A bar chart on an owned tab: categories and values are columns of that tab's rows.

    Row and column indexes are 0-based positions in `OwnedTab.rows`, rows inclusive.
    """

    title: str
    category_column: int
    value_column: int
    first_row: int
    last_row: int
    anchor_row: int = 0
    anchor_column: int = 6


@dataclass(frozen=True)
class OwnedTab:
    """A tab sheetfunnel owns and replaces whole on every sync (Summary, History)."""

    name: str
    rows: Rows
    chart: FunnelChart | None = None
    #: 0-based columns of `rows` that hold dates (written with a date format).
    date_columns: tuple[int, ...] = ()


@dataclass(frozen=True)
class WritePlan:
    """Everything a sync wants the spreadsheet to hold after it, complete (not a diff).

    `key_header`/`keys`: the contact-key column and its raw cells as read, aligned with the
    managed values. A backend checks them right before writing: if rows moved since the read
    (a user sorted or inserted rows), it must abort rather than put a score on the wrong
    contact.
    """

    sheet: str
    header_row: int
    key_header: str
    keys: tuple[CellValue, ...]
    columns: tuple[ManagedColumn, ...]
    stage_header: str
    stage_colours: tuple[StageColour, ...]
    tabs: tuple[OwnedTab, ...] = ()


@dataclass(frozen=True)
class WriteResult:
    """What a backend did: `changed` is False when the spreadsheet already matched the plan."""

    changed: bool
    cells_written: int = 0
    tabs_written: tuple[str, ...] = ()
    details: tuple[str, ...] = ()
    backup: str | None = None
    #: A workbook's fingerprint of the bytes written ("file:size:mtime_ns:sha256", as
    #: runlog.file_fingerprint), so a skip check never records someone else's later edit.
    written: str | None = None


class Backend(Protocol):
    """What the sync needs from a spreadsheet."""

    def read(
        self,
        contacts_tab: str,
        header_row: int,
        activities_tab: str | None,
        activities_header_row: int,
        owned_tabs: tuple[str, ...],
    ) -> SheetData: ...

    def read_tab(self, tab: str, header_row: int = 1) -> pd.DataFrame:
        """Another tab as raw cells, like `SheetData.contacts` (for lookups)."""
        ...

    def write(self, plan: WritePlan, data: SheetData, *, dry_run: bool = False) -> WriteResult: ...
