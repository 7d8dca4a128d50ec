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
from collections.abc import Collection, Mapping
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
#: The field of the stage-override column when sheetfunnel creates it (the config names an
#: override column the sheet lacks). Its cells are the user's to type (`ManagedColumn.editable`).
OVERRIDE_FIELD = "stage_override"
#: Every field a column marker may record: the managed fields and the created override column.
MARKED_FIELDS: tuple[str, ...] = (*MANAGED_FIELDS, OVERRIDE_FIELD)
#: The roles of the tabs sheetfunnel owns: the Summary, the History of stage changes, the
#: hidden state tab (per contact the stage and Stage since date the last sync wrote), the
#: Companies roll-up, and the daily stage counts (one row per sync day, bounded) that the
#: funnel-over-time chart reads.
TAB_ROLES: tuple[str, ...] = ("summary", "history", "state", "companies", "daily")


def unnamed_column(field: str) -> str:
    """The frame name of a column marked ours whose header cell the user emptied."""
    return f"(sheetfunnel {field})"


@dataclass(frozen=True)
class Ownership:
    """What the spreadsheet's own markers say sheetfunnel owns.

    `columns`: marked field (one of `MARKED_FIELDS`) -> the name of the column marked for it
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

    `field` is what the marker records (one of `MARKED_FIELDS`). `header` is the text the
    header cell must hold; the sync has already made it differ from every user column's header.
    The column marked for `field` is reused wherever the user moved it; without one, the column
    is created (at the pinned `letter` when set and free, else after the last used column,
    joining the key column's table when that table ends right before it) and marked.
    `values[i]` belongs in sheet row `header_row + 1 + i`; `None` leaves the cell empty. Only
    rows of the contacts block are written; managed cells in rows past the end of `values` are
    cleared (rows the user deleted), never in a table's totals row.

    Presentation (applied to this column only, never to a user's column; a backend compares it
    with what the sheet holds, so an unchanged column rewrites nothing):

    - `number_format`: format code of the data cells, the same text for Excel and Google
      Sheets: "0" (whole number), "yyyy-mm-dd" (date), "@"/None for text. None: the backend's
      default for `kind` (dates "yyyy-mm-dd", numbers General).
    - `width`: column width in characters (Excel `<col width>`; Google Sheets pixelSize
      `round(width * 7 + 5)`). None leaves the width as it is.
    - Our data cells never wrap (Excel: no wrapText; Sheets: wrapStrategy OVERFLOW_CELL), so
      Why stays on one line.
    - `validation`: when not empty, a drop-down list of exactly these values on the column's
      data cells (Excel `<dataValidation type="list">` with the quoted comma-joined list, blank
      allowed, error shown on other input; Sheets setDataValidation ONE_OF_LIST, strict,
      showCustomUi). Used for the override column (the stage names).
    - `editable`: the cells are the user's to type (the created override column). The backend
      creates and marks the column (header, width, validation) but never writes, clears or
      compares its data cells; `values` is empty. Found again by its marker like the others.
    """

    field: str
    header: str
    kind: Literal["number", "text", "date"]
    values: tuple[CellValue, ...]
    letter: str | None = None
    number_format: str | None = None
    width: float | None = None
    validation: tuple[str, ...] = ()
    editable: bool = False


@dataclass(frozen=True)
class StageColour:
    """Fill (and optional font) colour of cells whose text equals `stage`. Colours: '#RRGGBB'."""

    stage: str
    fill: str
    font: str | None = None


@dataclass(frozen=True)
class CellStyle:
    """How a rectangle of an owned tab's cells looks. Rows and columns are 0-based positions
    in `OwnedTab.rows` (row r is sheet row r + 1), both ends inclusive.

    Styles apply in order: a later style overrides an earlier one's attributes where they
    overlap, attribute by attribute (an attribute left at its default does not reset one set
    before). Cells outside every style look plain (General, not bold), except the columns in
    `OwnedTab.date_columns` (dates "yyyy-mm-dd").

    `number_format` is a format code both Excel and Google Sheets read the same: "#,##0"
    (counts), "0.0%" (shares and rates, the value a fraction: 0.0848 shows 8.5%), "0.0"
    (days), "0" (scores), "yyyy-mm-dd" (dates). Google Sheets: numberFormat type PERCENT for a
    code ending in "%", DATE for "yyyy-mm-dd", else NUMBER, with the code as pattern.
    `fill`/`font`: background and text colour '#RRGGBB'. `size`: font size in points (None:
    the default, 11 in Excel, 10 in Sheets). `italic` for notes ("first sync: no history yet").
    `align`: horizontal alignment, "right" for a header over a column of figures (Excel
    `<alignment horizontal>`; Sheets horizontalAlignment LEFT/CENTER/RIGHT); None: the default.
    """

    first_row: int
    last_row: int
    first_column: int
    last_column: int
    bold: bool = False
    italic: bool = False
    number_format: str | None = None
    fill: str | None = None
    font: str | None = None
    size: float | None = None
    align: Literal["left", "center", "right"] | None = None


@dataclass(frozen=True)
class ChartSeries:
    """One series of a chart: the values in `value_column` of the chart's data rows.

    `name` is the series name (legend entry). `colour` '#RRGGBB' colours the whole series
    (bar fill, line stroke). `point_colours`, when not empty, colours each bar on its own
    (Excel `<c:dPt>`; Sheets BasicChartSeries.styleOverrides): `point_colours[i]` is the colour
    of the point from row `first_row + i`.
    """

    name: str
    value_column: int
    colour: str | None = None
    point_colours: tuple[str, ...] = ()


@dataclass(frozen=True)
class Chart:
    """A chart on an owned tab, drawn from columns of an owned tab's rows.

    `kind`: "bar" (horizontal bars, first category at the top), "column" (vertical bars) or
    "line". Categories are `category_column` of rows `first_row`..`last_row` (0-based,
    inclusive) of the tab whose role is `data_role` (None: the tab the chart is on; otherwise
    another owned tab of the same plan, e.g. the daily counts, referenced by its title). Each
    series reads its `value_column` of the same rows. Categories that are dates are shown as
    dates ("yyyy-mm-dd", or "d mmm" at the backend's choice).
    `data_labels`: the value printed at each point/bar. `legend`: "none" or "bottom" (a
    one-series chart has none: its title says it all). `anchor_row`/`anchor_column`: the 0-based
    cell of the chart's top-left corner; `width`/`height`: its size in pixels (Excel: a
    oneCellAnchor with ext = pixels * 9525 EMU; Sheets: overlayPosition widthPixels/
    heightPixels). The sync places charts so they cover no filled cell of the tab.
    """

    kind: Literal["bar", "column", "line"]
    title: str
    category_column: int
    first_row: int
    last_row: int
    series: tuple[ChartSeries, ...]
    data_role: str | None = None
    data_labels: bool = False
    legend: Literal["none", "bottom"] = "none"
    anchor_row: int = 0
    anchor_column: int = 0
    width: int = 480
    height: int = 288


@dataclass(frozen=True)
class OwnedTab:
    """A tab sheetfunnel owns and replaces whole on every sync (`TAB_ROLES`).

    `role` is what its marker records (one of `TAB_ROLES`). `name` is the title it must have;
    the sync has already made it differ from every tab of the user's. The tab marked for `role`
    is rewritten (and renamed to `name` if the user renamed it); without one it is created
    and marked. A role a plan leaves out (`output.companies_tab = ""`) is not written: a tab
    marked for it stays as it is.

    Presentation, plain data like the rows (a rerun with the same rows and presentation must
    write nothing; Excel's styles.xml must not grow):

    - `styles`: bold headings, number formats, fills (see `CellStyle`).
    - `date_columns`: 0-based columns of `rows` holding dates (format "yyyy-mm-dd").
    - `widths`: `widths[c]` is the width of column c in characters (Sheets pixels
      `round(width * 7 + 5)`); 0 or past the end: the backend sizes it from its contents.
    - `frozen_rows`/`frozen_columns`: rows at the top / columns at the left that stay in view.
    - `stage_columns`: 0-based columns whose cells holding a stage name get that stage's
      fill/font from `WritePlan.stage_colours` (below the header; static fills or conditional
      formatting, the backend's choice).
    - `charts`: drawn on this tab, in order (see `Chart`).
    - `fit_to_page`: printed on one page (Excel: pageSetup fitToWidth=1 fitToHeight=1 with
      sheetPr/pageSetUpPr fitToPage, portrait; Google Sheets has no print settings through
      the API: ignored there).
    - `hidden`: hidden from the tab bar (the state tab).
    """

    role: str
    name: str
    rows: Rows
    date_columns: tuple[int, ...] = ()
    hidden: bool = False
    styles: tuple[CellStyle, ...] = ()
    widths: tuple[float, ...] = ()
    frozen_rows: int = 0
    frozen_columns: int = 0
    stage_columns: tuple[int, ...] = ()
    charts: tuple[Chart, ...] = ()
    fit_to_page: bool = False


@dataclass(frozen=True)
class WritePlan:
    """Everything a sync wants the spreadsheet to hold after it, complete (not a diff).

    `key_header`/`keys`: the contact-key column and its raw cells as read, aligned with the
    managed values. A backend checks them right before writing: if rows moved since the read
    (a user sorted or inserted rows), it must abort rather than put a score on the wrong
    contact. `key_header` "" (no key column: every row is a contact of its own) means the whole
    contacts block as read is what must not have moved.
    `columns` may include the created override column (`OVERRIDE_FIELD`, `editable`): create
    and mark it, never touch its cells. `stage_colours` colour the Stage column and the
    `stage_columns` of the owned tabs alike.
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
    #: What a person should know about the write itself (texts cut to fit a cell), shown
    #: with the sync's notes, unlike `details` (file-level, for -v).
    notes: tuple[str, ...] = ()
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
        log_headers: Collection[str] = (),
    ) -> SheetData:
        """The contacts block (bounded by the table holding `key_header`, if any), the
        activity log, and every tab and column marked ours. `log_headers`: the log's columns
        the engine uses; a backend may leave the log's other columns out when all are there."""
        ...

    def read_tab(self, tab: str, header_row: int = 1) -> pd.DataFrame:
        """Another tab as raw cells, like `SheetData.contacts` (for lookups)."""
        ...

    def write(self, plan: WritePlan, data: SheetData, *, dry_run: bool = False) -> WriteResult: ...
