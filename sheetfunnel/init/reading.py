"""Reading a sheet `init` has never seen: its tabs, where each tab's headers are, and which
tab holds the contacts and which the activity log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import InputError, RemoteError, SheetfunnelError, SpreadsheetError
from ..mapping import COUNTER_HEADERS, FIELD_HEADERS, LOG_HEADERS, STAGE_HEADERS, match_one
from ..sources import EXCEL, is_google_sheet

#: How far down a title, a logo or notes may push the headers.
MAX_HEADER_ROW = 8
#: Tabs sheetfunnel writes itself: never the user's data.
OURS = {"summary", "history"}


@dataclass(frozen=True)
class Tab:
    """One tab (or CSV file) as read: its name, header row and raw cells."""

    name: str
    header_row: int
    frame: pd.DataFrame


@dataclass(frozen=True)
class Sheet:
    """What `init` read from the source: the contacts tab and, if found, the activity log."""

    source: str
    kind: str  # "excel", "csv" or "gsheets"
    contacts: Tab
    log: Tab | None
    tabs: tuple[str, ...]


def open_source(source: str) -> tuple[str, list[str], Callable[[str, int], pd.DataFrame]]:
    """(kind, tab names, read(tab, header_row)) for a workbook, a CSV export or a Google
    Sheet; a CSV's "tabs" are the CSV files beside it, itself first."""
    if is_google_sheet(source):
        from ..backends.gsheets import GoogleSheetsBackend, make_client

        backend = GoogleSheetsBackend(make_client(None), source)
        try:
            meta = backend.client.http_client.fetch_sheet_metadata(
                backend.key, params={"fields": "sheets.properties.title"}
            )
        except Exception as ex:  # gspread's API or network errors, worded for the user
            raise RemoteError(
                f"cannot list the tabs of {source}: {ex}; check the URL or key, and that the "
                f"sheet is shared with {backend.account or 'your account'}"
            ) from ex
        titles = [s["properties"]["title"] for s in meta.get("sheets", [])]
        return "gsheets", titles, backend.read_tab
    path = Path(source)
    if not path.exists():
        raise InputError(f"{path}: file not found; check the path given to init", file=str(path))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        from ..backends.csv import read_table

        siblings = sorted(p for p in path.parent.glob("*.csv") if p != path)
        names = [path.name, *(p.name for p in siblings)]

        def read_csv(tab: str, header_row: int) -> pd.DataFrame:
            return read_table(path.parent / tab, header_row=header_row)

        return "csv", names, read_csv
    if suffix in EXCEL:
        from python_calamine import CalamineWorkbook

        from ..backends.excel import ExcelBackend

        try:
            names = list(CalamineWorkbook.from_path(str(path)).sheet_names)
        except Exception as ex:  # calamine's own errors: corrupt, encrypted, not a workbook
            raise SpreadsheetError(
                f"{path}: cannot open it as a workbook; save it again as .xlsx in Excel or "
                "LibreOffice",
                file=str(path),
            ) from ex
        return "excel", names, ExcelBackend(path).read_tab
    raise InputError(
        f"{path}: give init a .xlsx, .xlsm or .csv file, or a Google Sheets URL", file=str(path)
    )


def known_headers(headers: list[str]) -> int:
    """How many of `headers` mean something to sheetfunnel (to find the header row)."""
    vocabularies = (FIELD_HEADERS, LOG_HEADERS, COUNTER_HEADERS, {"stage": STAGE_HEADERS})
    return sum(1 for h in headers if any(match_one(h, v, fuzzy=False) for v in vocabularies))


def find_header_row(read: Callable[[str, int], pd.DataFrame], tab: str) -> Tab | None:
    """The first row (up to MAX_HEADER_ROW) holding at least two known headers, else the row
    with the most; None for an empty tab."""
    best: Tab | None = None
    best_score = -1
    for row in range(1, MAX_HEADER_ROW + 1):
        try:
            frame = read(tab, row)
        except SheetfunnelError:
            continue
        if frame.columns.empty:
            continue
        score = known_headers([str(c) for c in frame.columns])
        if score > best_score:
            best, best_score = Tab(tab, row, frame), score
        if score >= 2:
            break
    return best


def is_log(tab: Tab) -> bool:
    """A tab whose headers name a contact, an activity type and a date."""
    found = {match_one(str(h), LOG_HEADERS, fuzzy=False) for h in tab.frame.columns}
    return {"contact", "type", "date"} <= {f[0] for f in found if f}


def read_sheet(source: str) -> Sheet:
    """Find the contacts tab and the activity log of `source`."""
    kind, names, read = open_source(source)
    tabs = []
    for name in names:
        if name.casefold() in OURS or (kind == "csv" and name.casefold().startswith("results")):
            continue
        tab = find_header_row(read, name)
        if tab is not None:
            tabs.append(tab)
    if not tabs:
        raise InputError(f"{source}: no tab with a header row found", file=source)
    if kind == "csv":
        contacts = tabs[0]
        logs = [t for t in tabs[1:] if is_log(t)]
    else:
        logs = [t for t in tabs if is_log(t) and len(tabs) > 1]
        others = [t for t in tabs if t not in logs] or tabs
        contacts = max(others, key=lambda t: known_headers([str(c) for c in t.frame.columns]))
    log = max(logs, key=lambda t: len(t.frame)) if logs else None
    return Sheet(source, kind, contacts, log, tuple(names))
