"""Read raw cells from an .xlsx/.xlsm with python-calamine (10x faster than openpyxl).

Blank rows inside the data are KEPT as all-None rows so that the frame index is exactly the
contiguous sheet rows `header_row + 1 ...`: the engine's managed values line up with sheet rows
without any bookkeeping. Trailing blank rows are not part of the used range and do not appear.
Which rows and columns are contacts is `block`'s job; which columns and tabs are ours is what
the markers in xl/workbook.xml say (`markers`).
"""

from __future__ import annotations

import zipfile
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pandas as pd

from sheetfunnel.backends.base import EPOCH_1900, EPOCH_1904, Ownership, Rows, SheetData
from sheetfunnel.errors import InputError, SpreadsheetError
from sheetfunnel.memory import give_back

from .block import contacts_block
from .cells import header_text
from .errorcells import errors_by_tab
from .logread import LogRead, main_share, part_size
from .markers import read_markers
from .package import REL_WORKSHEET, Package, is_date1904, parse_xml
from .safesave import fingerprint
from .sheetrows import frame_from_rows, open_workbook, sheet_rows
from .tables import sheet_tables

__all__ = ["check_format", "header_text", "read_workbook", "tab_frame"]

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")


def check_format(path: Path) -> None:
    """Raise a clear error unless `path` is an existing, unencrypted .xlsx/.xlsm package."""
    file = str(path)
    if not path.exists():
        raise InputError(f"workbook not found: {path}; check the path in the config", file=file)
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a workbook; give the .xlsx file", file=file)
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
            if head == CFB_MAGIC:
                fh.seek(0)
                body = fh.read()
    except OSError as ex:
        raise SpreadsheetError(f"cannot open {path}: {ex.strerror or ex}", file=file) from ex
    if head == CFB_MAGIC:
        if ENCRYPTION_INFO in body:
            raise SpreadsheetError(
                f"{path.name} is password-protected (encrypted); sheetfunnel cannot open it. "
                "Remove the password in Excel (File > Info > Protect Workbook) and retry.",
                file=file,
            )
        raise SpreadsheetError(
            f"{path.name} is a legacy Excel 97-2003 (.xls) workbook; sheetfunnel writes back "
            "only to .xlsx/.xlsm. Open it in Excel and save it as .xlsx (File > Save As).",
            file=file,
        )
    if head[:4] != ZIP_MAGIC:
        raise SpreadsheetError(
            f"{path.name} is not an Excel workbook (.xlsx/.xlsm): it is not a zip package. "
            "The file may be damaged or have the wrong extension.",
            file=file,
        )
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "mimetype" in names and b"opendocument" in zf.read("mimetype"):
                raise SpreadsheetError(
                    f"{path.name} is an OpenDocument spreadsheet (.ods), which sheetfunnel does "
                    "not support for write-back. Save it as .xlsx (File > Save As) and retry.",
                    file=file,
                )
            pkg = Package(zf)
            wb_part = pkg.workbook_part()
            if wb_part is None or pkg.find(wb_part) is None:
                raise SpreadsheetError(
                    f"{path.name} is a zip file but not an Excel workbook (no workbook part).",
                    file=file,
                )
            if is_strict(pkg.read(wb_part) or b""):
                # calamine reads it, but the writer's parts are Transitional: never mix them
                raise SpreadsheetError(
                    f"{path.name} is a Strict Open XML workbook, which sheetfunnel does not "
                    "support: save it as Excel Workbook (.xlsx) (File > Save As) and retry.",
                    file=file,
                )
            if wb_part.lower().endswith(".bin"):
                raise SpreadsheetError(
                    f"{path.name} is a binary workbook (.xlsb), which sheetfunnel cannot write "
                    "back. Save it as .xlsx (File > Save As) and retry.",
                    file=file,
                )
    except zipfile.BadZipFile as ex:
        raise SpreadsheetError(
            f"{path.name} is damaged (corrupt zip: {ex}); restore it from a backup.", file=file
        ) from ex


STRICT_MAIN = b"http://purl.oclc.org/ooxml/spreadsheetml/main"


def is_strict(workbook_xml: bytes) -> bool:
    """Whether a workbook part is Strict Open XML (ISO 29500 Strict namespaces)."""
    head = workbook_xml[:2048]
    return STRICT_MAIN in head or b'conformance="strict"' in head


def tab_frame(file: str, tab: str, header_row: int) -> pd.DataFrame:
    """One tab of the workbook at `file` as raw cells under `header_row`."""
    wb = open_workbook(file)
    try:
        return frame_from_rows(sheet_rows(wb, tab, file), header_row, file=file, sheet=tab)
    finally:
        wb.close()


def _owned_rows(rows: list[list]) -> Rows:
    # most rows of a state or History tab have no blank cell: copied whole, not per cell
    return tuple(tuple(None if v == "" else v for v in r) if "" in r else tuple(r) for r in rows)


def read_workbook(
    path: Path,
    contacts_tab: str,
    header_row: int,
    activities_tab: str | None,
    activities_header_row: int,
    *,
    key_header: str,
    log_headers: Collection[str],
) -> SheetData:
    """Everything a sync needs from the workbook, plus the fingerprint the write re-checks.
    `log_headers`: the log's columns the engine uses (the others are left out when all are
    there)."""
    check_format(path)
    file = str(path)
    token = fingerprint(path)
    with zipfile.ZipFile(path) as zf:
        pkg = Package(zf)
        wb_part = pkg.workbook_part() or "xl/workbook.xml"
        wb_xml = pkg.read(wb_part) or b"<workbook/>"
        date1904 = is_date1904(wb_xml)
        markers = read_markers(parse_xml(wb_xml))
        entries = pkg.sheets(wb_part)
        entry = next((e for e in entries if e.name == contacts_tab), None)
        tables = sheet_tables(pkg, entry.part) if entry is not None and entry.part else []
        worksheets = {e.name for e in entries if e.part and e.rel_type == REL_WORKSHEET}
        owned_titles = {
            role: title
            for role, title in markers.tabs.items()
            if title in worksheets and title not in (contacts_tab, activities_tab)
        }
        here = {contacts_tab, *owned_titles.values()}
        log_entry = next((e for e in entries if e.name == activities_tab), None)
        split = main_share(
            pkg, log_entry, sum(part_size(pkg, e) for e in entries if e.name in here)
        )
    # calamine's parse and ISA-L release the GIL: the log is read on a thread of its own
    # while this one scans the other tabs for error cells, reads the contacts and owned
    # tabs, and then does its share of the log (see logread)
    log = None
    if activities_tab is not None:
        log = LogRead(file, activities_tab, activities_header_row, split, log_headers)
    with ThreadPoolExecutor(max_workers=1) as pool:
        later = pool.submit(log.run) if log is not None else None
        try:
            errors = errors_by_tab(file, [contacts_tab, *owned_titles.values()])
            wb = open_workbook(file)
            try:
                rows = sheet_rows(wb, contacts_tab, file, partial(errors.get, contacts_tab, {}))
                owned = {
                    role: _owned_rows(sheet_rows(wb, title, file, partial(errors.get, title, {})))
                    for role, title in owned_titles.items()
                }
            finally:
                wb.close()
            contacts, dups, columns = contacts_block(
                rows,
                header_row,
                key_header,
                tables,
                markers.columns_on(contacts_tab),
                file=file,
                sheet=contacts_tab,
            )
            del rows
            give_back()
            if log is not None:
                log.turn.set()
                log.help()
        except BaseException as ex:
            if log is not None:
                log.abandon(ex)  # the log's thread must not wait forever
            raise
        activities, act_dups = later.result() if later is not None else (None, {})
    give_back()  # the rows and calamine's cells are garbage now: peak RSS, not just time
    found = {contacts_tab: dups} if dups else {}
    if act_dups and activities_tab is not None:
        found[activities_tab] = {**found.get(activities_tab, {}), **act_dups}
    return SheetData(
        contacts=contacts,
        activities=activities,
        owned=owned,
        serial_epoch=EPOCH_1904 if date1904 else EPOCH_1900,
        source=file,
        token=token,
        ownership=Ownership(columns=columns, tabs=owned_titles),
        tabs=tuple(e.name for e in entries),
        duplicates=found,
    )
