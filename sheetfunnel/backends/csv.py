"""Plain CSV exports as a read-only source: the contacts file, sibling files for the rest.

A CSV has one table, so the activity log and lookup tabs are files beside the contacts file,
named after the tab (`Activities` -> `Activities.csv`). Results cannot be written back into a
CSV export; `sheetfunnel score --out` writes them to a new file instead.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

import pandas as pd

from ..csvsniff import Dialect, sniff
from ..errors import InputError, SpreadsheetError
from .base import Rows, SheetData, WritePlan, WriteResult


def read_table(
    path: Path, *, delimiter: str = "", header_row: int = 1, encoding: str = ""
) -> pd.DataFrame:
    """One CSV file as raw cells: text or None, columns = headers, index = 1-based file row.
    An empty `delimiter` or `encoding` is detected (see `csvsniff`)."""
    return read_sniffed(path, delimiter=delimiter, encoding=encoding, header_row=header_row)[0]


def read_sniffed(
    path: Path, *, delimiter: str = "", encoding: str = "", header_row: int = 1
) -> tuple[pd.DataFrame, Dialect]:
    """`read_table`, and the dialect it read the file with."""
    try:
        dialect = sniff(path, delimiter=delimiter, encoding=encoding)
    except FileNotFoundError as ex:
        raise InputError(f"{path}: file not found", file=str(path)) from ex
    except OSError as ex:
        raise InputError(f"{path}: cannot read it: {ex.strerror or ex}", file=str(path)) from ex
    try:
        frame = pd.read_csv(
            path,
            sep=dialect.delimiter,
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig" if dialect.encoding == "utf-8" else dialect.encoding,
            skiprows=header_row - 1,
            skip_blank_lines=False,
            header=None,
        )
    except FileNotFoundError as ex:
        raise InputError(f"{path}: file not found", file=str(path)) from ex
    except UnicodeDecodeError as ex:
        raise InputError(
            f"{path}: not {dialect.encoding} text; set source.csv_encoding in the [source] "
            'section of the config (e.g. "cp1252" for an Excel export on Windows), or leave it '
            '"" to detect it',
            file=str(path),
        ) from ex
    except pd.errors.EmptyDataError as ex:
        raise InputError(f"{path}: the file is empty", file=str(path)) from ex
    except pd.errors.ParserError as ex:
        raise InputError(_parse_problem(path, dialect, str(ex)), file=str(path)) from ex
    except OSError as ex:
        raise InputError(f"{path}: cannot read it: {ex.strerror or ex}", file=str(path)) from ex
    frame.columns = unique_headers(frame.iloc[0].tolist()) if len(frame) else []
    frame = frame.iloc[1:]
    frame = frame.loc[:, [c for c in frame.columns if c]]
    frame = frame.astype(object).mask(frame.eq(""), None)
    frame.index = pd.RangeIndex(header_row + 1, header_row + 1 + len(frame))
    return frame, dialect


def _parse_problem(path: Path, dialect: Dialect, error: str) -> str:
    """The CSV parser's complaint in the user's terms: which line, and the key to fix."""
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", error)
    where = (
        f"line {found[2]} has {found[3]} cells where the lines above have {found[1]}"
        if found
        else "its lines do not have the same number of cells"
    )
    how = "detected" if dialect.detected_delimiter else "set in source.csv_delimiter"
    return (
        f"{path}: {where}, split on {dialect.delimiter!r} ({how}). Set source.csv_delimiter "
        "in the [source] section of the config to the character between its cells, or quote "
        "the cells that hold it"
    )


def unique_headers(cells: list[object]) -> list[str]:
    """Header cells as column names: stripped, blank ones "", repeats numbered "Email (2)"."""
    seen: dict[str, int] = {}
    out = []
    for raw in cells:
        name = "" if raw is None else str(raw).strip()
        if name:
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                name = f"{name} ({seen[name]})"
        out.append(name)
    return out


class CsvBackend:
    """Reads a contacts CSV and its sibling files; never writes."""

    def __init__(self, path: Path, *, delimiter: str = "", encoding: str = ""):
        self.path = Path(path)
        self.delimiter = delimiter
        self.encoding = encoding
        #: File -> the dialect it was read with (for "read as ..." notices).
        self.dialects: dict[Path, Dialect] = {}

    def _read(self, path: Path, header_row: int) -> pd.DataFrame:
        frame, dialect = read_sniffed(
            path, delimiter=self.delimiter, encoding=self.encoding, header_row=header_row
        )
        self.dialects[path] = dialect
        return frame

    def sibling(self, tab: str) -> Path:
        """The file holding the tab `tab`: `<folder>/<tab>.csv` (or the name as given)."""
        name = tab if tab.lower().endswith(".csv") else f"{tab}.csv"
        return self.path.parent / name

    def read_tab(self, tab: str, header_row: int = 1) -> pd.DataFrame:
        """Another tab (a sibling file) as raw cells."""
        path = self.sibling(tab)
        if not path.exists():
            raise InputError(
                f"{self.path}: the tab {tab!r} is read from {path.name} beside it, which does "
                "not exist",
                file=str(path),
                sheet=tab,
            )
        return self._read(path, header_row)

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
        """The contacts file and, when configured, the activity log beside it."""
        contacts = self._read(self.path, header_row)
        activities = (
            self.read_tab(activities_tab, activities_header_row) if activities_tab else None
        )
        owned: dict[str, Rows] = {}
        return SheetData(contacts, activities, owned, source=str(self.path))

    def write(self, plan: WritePlan, data: SheetData, *, dry_run: bool = False) -> WriteResult:
        """CSV exports are read-only sources."""
        raise SpreadsheetError(
            f"{self.path}: results cannot be written back into a CSV file; use "
            "`sheetfunnel score --out results.xlsx` (or .csv/.json) to save them",
            file=str(self.path),
        )
