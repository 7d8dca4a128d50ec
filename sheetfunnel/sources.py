"""Open what the user points at (a workbook, a CSV export, a Google Sheet) as a backend."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .backends.base import Backend, SheetData
from .config import Config
from .errors import InputError, SpreadsheetError

EXCEL = (".xlsx", ".xlsm")


def open_backend(target: str | Path, config: Config, **options: object) -> Backend:
    """The backend for `target`, chosen by its suffix: .xlsx/.xlsm, .csv."""
    path = Path(target)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        from .backends.csv import CsvBackend

        if not path.exists():
            raise InputError(f"{path}: file not found", file=str(path))
        return CsvBackend(path, delimiter=config.source.csv_delimiter)
    if suffix in EXCEL:
        from .backends.excel import ExcelBackend

        return ExcelBackend(path, **options)  # type: ignore[arg-type]
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
        f"{path}: unknown kind of file; give a .xlsx, .xlsm or .csv file", file=str(path)
    )


def read_source(
    target: str | Path, config: Config, owned_tabs: tuple[str, ...] = ()
) -> tuple[Backend, SheetData, Mapping[str, pd.DataFrame]]:
    """Read the contacts, the activity log and the lookup tabs the config names."""
    backend = open_backend(target, config)
    src = config.source
    data = backend.read(
        src.contacts_tab, src.header_row, src.activities_tab, src.activities_header_row, owned_tabs
    )
    lookups = {lk.tab: backend.read_tab(lk.tab, lk.header_row) for lk in src.lookups}
    return backend, data, lookups
