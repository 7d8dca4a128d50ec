"""The contract between the engine and the spreadsheet backends: plain data both ways.

A backend knows spreadsheets and nothing about scoring. `read` hands the engine raw cells as
`SheetData`; `write` receives a complete `WritePlan` (every managed cell, every owned tab) and
is itself responsible for writing nothing when the spreadsheet already holds exactly that plan
(idempotence), and for leaving the spreadsheet untouched when anything fails.

Ownership is marked, never guessed: when a backend creates a managed column or an owned tab it
stores a marker in the spreadsheet (Excel: a hidden workbook-level defined name; Google Sheets:
developer metadata) that follows the column or tab through the user's edits. `read` reports
what the markers say (`Ownership`); `write` rewrites or removes only what is marked, and marks
what it creates. A column or tab that merely bears one of our names is the user's.
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


#: The fields of the managed columns, in the order they are placed.
MANAGED_FIELDS: tuple[str, ...] = (
    "score",
    "fit",
    "engagement",
    "stage",
    "stage_since",
    "next_action",
    "why",
)
#: The roles of the tabs sheetfunnel owns: the Summary, the History of stage changes, and the
#: hidden state tab (per contact the stage and Stage since date the last sync wrote).
TAB_ROLES: tuple[str, ...] = ("summary", "history", "state")


def unnamed_column(field: str) -> str:
    """The frame name of a column marked ours whose header cell the user emptied."""
    return f"(sheetfunnel {field})"


@dataclass(frozen=True)
class Ownership:
    """What the spreadsheet's own markers say sheetfunnel owns.

    `columns`: managed field (one of `MANAGED_FIELDS`) -> the name of the column marked for it
    in `SheetData.contacts` (its header as read, or `unnamed_column(field)` when the header cell
    is empty). `tabs`: role (one of `TAB_ROLES`) -> current title of the tab marked for it.
    A marker whose column or tab the user deleted is simply absent.
    """

    columns: Mapping[str, str] = field(default_factory=dict)
    tabs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SheetData:
    """Raw cells read from a spreadsheet, before any typing.

    `contacts`/`activities`: object-dtype frames whose columns are the header texts (stripped;
    blank headers dropped; a repeated header gets " (2)", " (3)" appended) and whose index is the
    1-based sheet row number of each data row. Empty cells are `None`. `activities` is `None`
    when the config keeps activities as columns of the contacts tab.
    The contacts are one block of rows: when the key column lies in an Excel table, that
    table's data rows (never its totals row, never rows outside it) and its columns, plus the
    columns marked ours; otherwise every row under the header row.
    `owned`: role -> current rows of each tab marked ours (see `TAB_ROLES`).
    `ownership`: which columns and tabs are marked ours. `tabs`: every tab title, in order.
    `duplicates`: tab -> header text -> column letters, for headers that appear more than once
    in the header row of the contacts or activities tab (the frame names them "X", "X (2)").
    `serial_epoch`: day zero of date serials in this spreadsheet (numbers in a date column).
    `token`: whatever the backend needs at write time (a fingerprint, sheet ids); opaque.
    """

    contacts: pd.DataFrame
    activities: pd.DataFrame | None = None
    owned: Mapping[str, Rows] = field(default_factory=dict)
    serial_epoch: dt.date = EPOCH_1900
    source: str = ""
    token: Any = None
    ownership: Ownership = field(default_factory=Ownership)
    tabs: tuple[str, ...] = ()
    duplicates: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)


@dataclass(frozen=True)
class ManagedColumn:
    """One column sheetfunnel owns in the contacts tab, found again by its marker.

    `field` is what the marker records (one of `MANAGED_FIELDS`). `header` is the text the
    header cell must hold; the sync has already made it differ from every user column's header.
    The column marked for `field` is reused wherever the user moved it; without one, the column
    is created (at the pinned `letter` when set and free, else after the last used column,
    joining the key column's table when that table ends right before it) and marked.
    `values[i]` belongs in sheet row `header_row + 1 + i`; `None` leaves the cell empty. Only
    rows of the contacts block are written; managed cells in rows past the end of `values` are
    cleared (rows the user deleted), never in a table's totals row.
    """

    field: str
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
    """A tab sheetfunnel owns and replaces whole on every sync (Summary, History, state).

    `role` is what its marker records (one of `TAB_ROLES`). `name` is the title it must have;
    the sync has already made it differ from every tab of the user's. The tab marked for `role`
    is rewritten (and renamed to `name` if the user renamed it); without one it is created
    and marked.
    """

    role: str
    name: str
    rows: Rows
    chart: FunnelChart | None = None
    #: 0-based columns of `rows` that hold dates (written with a date format).
    date_columns: tuple[int, ...] = ()
    #: Hidden from the tab bar (the state tab).
    hidden: bool = False


@dataclass(frozen=True)
class WritePlan:
    """Everything a sync wants the spreadsheet to hold after it, complete (not a diff).

    `key_header`/`keys`: the contact-key column and its raw cells as read, aligned with the
    managed values. A backend checks them right before writing: if rows moved since the read
    (a user sorted or inserted rows), it must abort rather than put a score on the wrong
    contact. `key_header` "" (no key column: every row is a contact of its own) means the whole
    contacts block as read is what must not have moved.
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
        header_row: int = 1,
        activities_tab: str | None = None,
        activities_header_row: int = 1,
        *,
        key_header: str = "",
    ) -> SheetData:
        """The contacts block (bounded by the table holding `key_header`, if any), the
        activity log, and every tab and column marked ours."""
        ...

    def read_tab(self, tab: str, header_row: int = 1) -> pd.DataFrame:
        """Another tab as raw cells, like `SheetData.contacts` (for lookups)."""
        ...

    def write(self, plan: WritePlan, data: SheetData, *, dry_run: bool = False) -> WriteResult: ...
