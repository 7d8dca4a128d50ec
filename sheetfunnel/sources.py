"""Open what the user points at (a workbook, a CSV export, a Google Sheet) as a backend."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .backends.base import Backend, SheetData
from .config import Config
from .errors import InputError, SpreadsheetError
from .normalise import Notice

EXCEL = (".xlsx", ".xlsm")
_SHEET_KEY = re.compile(r"^[A-Za-z0-9_-]{25,}$")


def is_google_sheet(target: str | Path) -> bool:
    """A Google Sheets URL, or a bare spreadsheet key that is not a file here."""
    text = str(target)
    if "docs.google.com/spreadsheets/" in text:
        return True
    return bool(_SHEET_KEY.match(text)) and not Path(text).exists()


def open_backend(
    target: str | Path,
    config: Config,
    *,
    backup: bool | None = None,
    force: bool = False,
    missing_ok: bool = False,
) -> Backend:
    """The backend for `target`: a Google Sheet (URL or key), or a file by its suffix.

    `backup` (default: the config's output.backup) and `force` (ignore stale lock files) are
    for workbooks. `missing_ok`: a workbook that is not there (yet) is no error here (for
    `watch`, whose runs report it each time).
    """
    if is_google_sheet(target):
        from .backends.gsheets import GoogleSheetsBackend, make_client
        from .backends.gsheets.revision import DRIVE_METADATA_SCOPE

        extra = (DRIVE_METADATA_SCOPE,) if config.google.revision_check else ()
        client = make_client(
            config.google.credentials or None, timeout=config.google.timeout, extra_scopes=extra
        )
        return GoogleSheetsBackend(client, str(target))
    path = Path(target)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        from .backends.csv import CsvBackend

        if not path.exists():
            raise InputError(
                f"{path}: file not found; check the path given on the command line",
                file=str(path),
            )
        src = config.source
        return CsvBackend(path, delimiter=src.csv_delimiter, encoding=src.csv_encoding)
    if suffix in EXCEL:
        from .backends.excel import ExcelBackend

        if not path.exists() and not missing_ok:  # the path came from the command line
            raise InputError(
                f"workbook not found: {path}; check the path given on the command line",
                file=str(path),
            )
        keep = config.output.backup if backup is None else backup
        return ExcelBackend(path, backup=keep, force=force)
    if suffix in (".xls", ".xlsb"):
        raise SpreadsheetError(
            f"{path}: {suffix} workbooks are not supported; open it in Excel or LibreOffice and "
            "save it as .xlsx",
            file=str(path),
        )
    if suffix in (".ods", ".numbers"):
        raise SpreadsheetError(
            f"{path}: {suffix} files are not supported; save it as .xlsx", file=str(path)
        )
    raise InputError(
        f"{path}: unknown kind of file; give a .xlsx, .xlsm or .csv file, or a Google Sheets URL",
        file=str(path),
    )


def read_source(
    target: str | Path, config: Config, *, notices: list[Notice] | None = None
) -> tuple[Backend, SheetData, Mapping[str, pd.DataFrame]]:
    """Read the contacts, the activity log and the lookup tabs the config names.

    A CSV export whose log file (named after source.activities_tab) is not beside it has no
    log: a notice says so (in `notices`) instead of an error, so a contacts-only export scores.
    """
    backend = open_backend(target, config)
    src = config.source
    log_tab = src.activities_tab
    if log_tab and hasattr(backend, "sibling") and not backend.sibling(log_tab).exists():
        if notices is not None:
            name = backend.sibling(log_tab).name
            notices.append(
                Notice(
                    "no_log",
                    0,
                    f"no activity log: {name} is not beside {Path(target).name}, so only "
                    "[[activity_columns]] give activities. If the log is another file, set "
                    'source.activities_tab = "<its name without .csv>"; else set '
                    'source.activities_tab = "" to say there is none.',
                )
            )
        log_tab = None
    data = backend.read(
        src.contacts_tab,
        src.header_row,
        log_tab,
        src.activities_header_row,
        key_header=config.columns.key or "",
        log_headers=config.activities.headers(),
    )
    lookups = {lk.tab: backend.read_tab(lk.tab, lk.header_row) for lk in src.lookups}
    for path, dialect in getattr(backend, "dialects", {}).items():
        if notices is not None and (dialect.detected_delimiter or dialect.detected_encoding):
            notices.append(
                Notice(
                    "csv_dialect",
                    0,
                    f"read {path.name} as {dialect.describe()} (detected; set "
                    "source.csv_delimiter and source.csv_encoding to choose)",
                )
            )
    return backend, data, lookups
