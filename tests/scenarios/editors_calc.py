"""The user's edits on an Excel workbook, made by real LibreOffice Calc through UNO.

`CalcSession` is one headless soffice (private profile, own port) for a whole test session.
`CalcEditor` loads the .xlsx for each edit, edits through the sheet's own Rows/Columns/sort
API (so defined names, tables and conditional formats move the way they do for a user),
stores it back as "Calc MS Excel 2007 XML" and closes it. The workbook is read back with
python-calamine, independently of sheetfunnel's own reader.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries
from python_calamine import CalamineWorkbook

from sheetfunnel.backends.base import EPOCH_1900, CellValue

from .editor import Block, Grid, padded

if "/usr/lib/python3/dist-packages" not in sys.path:
    sys.path.append("/usr/lib/python3/dist-packages")  # python3-uno lives in the system Python

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.table import CellAddress, CellRangeAddress, TableSortField

XLSX_FILTER = "Calc MS Excel 2007 XML"
LAST_SHEET_ROW = 1_048_575
START_TIMEOUT = 90.0


def _prop(name: str, value: Any) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class CalcSession:
    """A headless soffice process and a UNO connection to its desktop."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.desktop: Any = None
        self.profile = Path("/tmp") / f"sheetfunnel-scenarios-lo-{uuid.uuid4().hex}"
        self.port = _free_port()

    def start(self) -> CalcSession:
        """Start soffice with a new private profile on a free port, and connect to it."""
        self.profile = Path("/tmp") / f"sheetfunnel-scenarios-lo-{uuid.uuid4().hex}"
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [
                shutil.which("soffice") or "soffice",
                "--headless",
                "--invisible",
                "--norestore",
                "--nologo",
                f"-env:UserInstallation=file://{self.profile}",
                f"--accept=socket,host=127.0.0.1,port={self.port};urp;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stop() ends soffice.bin too
        )
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        url = f"uno:socket,host=127.0.0.1,port={self.port};urp;StarOffice.ComponentContext"
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                ctx = resolver.resolve(url)
                break
            except Exception as ex:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError(
                        f"LibreOffice did not accept UNO connections on port {self.port}"
                    ) from ex
                time.sleep(0.25)
        self.desktop = ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", ctx
        )
        return self

    def stop(self) -> None:
        """Ask soffice to quit, then make sure its whole process group is gone (no zombie)."""
        if self.desktop is not None:
            with contextlib.suppress(Exception):  # the bridge drops as soffice exits
                self.desktop.terminate()
            self.desktop = None
        if self.proc is not None:
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=20)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # a soffice.bin left behind
            self.proc = None
        shutil.rmtree(self.profile, ignore_errors=True)

    @contextlib.contextmanager
    def document(self, path: Path) -> Iterator[Any]:
        """Load `path`, hand the document to the edit, store it back as xlsx, close it.
        A soffice that died since the last edit is started again first."""
        if self.proc is None or self.proc.poll() is not None:
            self.stop()
            self.start()
        url = uno.systemPathToFileUrl(str(path.resolve()))
        doc = self.desktop.loadComponentFromURL(url, "_blank", 0, (_prop("Hidden", True),))
        if doc is None:
            raise RuntimeError(f"LibreOffice could not open {path}")
        try:
            yield doc
            doc.storeToURL(url, (_prop("FilterName", XLSX_FILTER), _prop("Overwrite", True)))
        finally:
            doc.close(True)
        lock = path.with_name(f".~lock.{path.name}#")
        assert not lock.exists(), f"LibreOffice left its lock file {lock} after closing"


class CalcEditor:
    """The `Editor` for one workbook: every edit is one load-edit-store-close in Calc."""

    kind = "excel"

    def __init__(
        self,
        session: CalcSession,
        path: Path,
        *,
        contacts_tab: str,
        key_header: str,
        activities_tab: str,
        activity_headers: tuple[str, str, str],
        kind: str = "excel",
    ):
        self.session = session
        self.path = path
        self.contacts_tab = contacts_tab
        self.key_header = key_header
        self.activities_tab = activities_tab
        self.activity_headers = activity_headers
        #: "excel", or "excel-table" when the contacts are an Excel table (for messages).
        self.kind = kind

    # --- helpers on an open document ---
    @staticmethod
    def _used(sheet: Any) -> tuple[int, int]:
        """(last column, last row), 0-based, of the sheet's used area."""
        cursor = sheet.createCursor()
        cursor.gotoEndOfUsedArea(False)
        address = cursor.getRangeAddress()
        return int(address.EndColumn), int(address.EndRow)

    def _cells(self, sheet: Any) -> list[list[Any]]:
        """The used area's values ("" for empty)."""
        last_col, last_row = self._used(sheet)
        area = sheet.getCellRangeByPosition(0, 0, last_col, last_row)
        return [list(r) for r in area.getDataArray()]

    def _headers(self, sheet: Any) -> list[str]:
        return [str(v).strip() for v in self._cells(sheet)[0]]

    def _column(self, sheet: Any, header: str) -> int:
        headers = self._headers(sheet)
        if header not in headers:
            raise KeyError(f"no column headed {header!r} in {headers}")
        return headers.index(header)

    def _last_row(self, sheet: Any) -> int:
        """0-based index of the last row holding any value (0: only the header)."""
        cells = self._cells(sheet)
        filled = [i for i, row in enumerate(cells) if any(v != "" for v in row)]
        return max(filled, default=0)

    def _row_of(self, sheet: Any, key: str) -> int:
        col = self._column(sheet, self.key_header)
        for i, row in enumerate(self._cells(sheet)[1:], start=1):
            if str(row[col]) == key:
                return i
        raise KeyError(f"no row with {self.key_header} = {key!r}")

    @staticmethod
    def _date_format(doc: Any) -> int:
        formats = doc.NumberFormats
        locale = uno.createUnoStruct("com.sun.star.lang.Locale")
        key = formats.queryKey("YYYY-MM-DD", locale, False)
        return int(key) if key != -1 else int(formats.addNew("YYYY-MM-DD", locale))

    def _type(self, doc: Any, cell: Any, value: CellValue) -> None:
        """Type one value into a cell, as its kind: text, number, or a date cell."""
        if value is None:
            return
        if isinstance(value, dt.date):
            day = value.date() if isinstance(value, dt.datetime) else value
            cell.setValue((day - EPOCH_1900).days)
            cell.NumberFormat = self._date_format(doc)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            cell.setValue(value)
        else:
            cell.setString(str(value))

    def _type_row(self, doc: Any, sheet: Any, row: int, values: Mapping[str, CellValue]) -> None:
        headers = self._headers(sheet)
        for header, value in values.items():
            self._type(doc, sheet.getCellByPosition(headers.index(header), row), value)

    def _contacts(self, doc: Any) -> Any:
        return doc.Sheets.getByName(self.contacts_tab)

    # --- the edits ---
    def add_contact(self, values: Mapping[str, CellValue]) -> None:
        with self.session.document(self.path) as doc:
            sheet = self._contacts(doc)
            self._type_row(doc, sheet, self._last_row(sheet) + 1, values)

    def insert_contact(self, before_key: str, values: Mapping[str, CellValue]) -> None:
        with self.session.document(self.path) as doc:
            sheet = self._contacts(doc)
            row = self._row_of(sheet, before_key)
            sheet.Rows.insertByIndex(row, 1)
            self._type_row(doc, sheet, row, values)

    def delete_contact(self, key: str) -> None:
        with self.session.document(self.path) as doc:
            sheet = self._contacts(doc)
            sheet.Rows.removeByIndex(self._row_of(sheet, key), 1)

    def sort_by(self, header: str, descending: bool) -> None:
        """Sort the data rows on one column: every used column of every row under the header;
        when the contacts are an Excel table, the table's rows and columns (a sort from the
        table's header, which leaves cells outside the table where they are)."""
        block = self.contacts_block()
        with self.session.document(self.path) as doc:
            sheet = self._contacts(doc)
            by = self._column(sheet, header)
            first_col, first_row = 0, 1
            last_col, _ = self._used(sheet)
            last_row = self._last_row(sheet)
            if block is not None:
                first_col, last_col = block.first_col, block.last_col
                first_row, last_row = block.first_row - 1, block.last_row - 1
            if last_row <= first_row or not first_col <= by <= last_col:
                return
            data = sheet.getCellRangeByPosition(first_col, first_row, last_col, last_row)
            field = TableSortField()
            field.Field, field.IsAscending = by - first_col, not descending
            # A typed sequence, or Calc ignores the sort fields (a known PyUNO pitfall).
            fields = uno.Any("[]com.sun.star.table.TableSortField", (field,))
            descriptor = (_prop("SortFields", fields), _prop("ContainsHeader", False))
            uno.invoke(data, "sort", (descriptor,))

    def insert_user_column(
        self, before_header: str, header: str, values: Mapping[str, CellValue]
    ) -> None:
        with self.session.document(self.path) as doc:
            sheet = self._contacts(doc)
            at = self._column(sheet, before_header)
            sheet.Columns.insertByIndex(at, 1)
            sheet.getCellByPosition(at, 0).setString(header)
            key = self._column(sheet, self.key_header)
            for i, row in enumerate(self._cells(sheet)[1:], start=1):
                if str(row[key]) in values:
                    self._type(doc, sheet.getCellByPosition(at, i), values[str(row[key])])

    def _delete_column(self, header: str) -> None:
        with self.session.document(self.path) as doc:
            sheet = self._contacts(doc)
            sheet.Columns.removeByIndex(self._column(sheet, header), 1)

    def delete_user_column(self, header: str) -> None:
        self._delete_column(header)

    def delete_our_column(self, header: str) -> None:
        self._delete_column(header)

    def move_column(self, header: str, before_header: str | None) -> None:
        """Insert an empty column at the target, move the column's cells there, delete the
        emptied one: what cut + "insert cut cells" does in Calc."""
        with self.session.document(self.path) as doc:
            sheet = self._contacts(doc)
            source = self._column(sheet, header)
            if before_header is None:
                before = self._used(sheet)[0] + 1
            else:
                before = self._column(sheet, before_header)
            if before in (source, source + 1):
                return
            sheet.Columns.insertByIndex(before, 1)
            if source >= before:
                source += 1
            tab = sheet.RangeAddress.Sheet
            moved = CellRangeAddress(tab, source, 0, source, LAST_SHEET_ROW)
            sheet.moveRange(CellAddress(tab, before, 0), moved)
            sheet.Columns.removeByIndex(source, 1)

    def rename_our_header(self, header: str, new: str) -> None:
        with self.session.document(self.path) as doc:
            sheet = self._contacts(doc)
            sheet.getCellByPosition(self._column(sheet, header), 0).setString(new)

    def type_into_cell(self, key: str, header: str, value: str) -> None:
        with self.session.document(self.path) as doc:
            sheet = self._contacts(doc)
            cell = sheet.getCellByPosition(self._column(sheet, header), self._row_of(sheet, key))
            cell.setString(value)

    def reorder_tabs(self, order: Sequence[str]) -> None:
        with self.session.document(self.path) as doc:
            for i, title in enumerate(order):
                doc.Sheets.moveByName(title, i)

    def delete_our_tab(self, title: str) -> None:
        with self.session.document(self.path) as doc:
            doc.Sheets.removeByName(title)

    def add_activity(self, key: str, activity: str, day: dt.date) -> None:
        contact, kind, date = self.activity_headers
        with self.session.document(self.path) as doc:
            sheet = doc.Sheets.getByName(self.activities_tab)
            row = self._last_row(sheet) + 1
            self._type_row(doc, sheet, row, {contact: key, kind: activity, date: day})

    def empty_contacts(self) -> None:
        with self.session.document(self.path) as doc:
            sheet = self._contacts(doc)
            last = self._last_row(sheet)
            if last >= 1:
                sheet.Rows.removeByIndex(1, last)

    # --- reading back (python-calamine, not sheetfunnel's reader) ---
    def grid(self, tab: str) -> Grid:
        with self.path.open("rb") as f:
            book = CalamineWorkbook.from_filelike(f)
            rows = book.get_sheet_by_name(tab).to_python(skip_empty_area=False)
        return padded(rows)

    def tab_titles(self) -> list[str]:
        with self.path.open("rb") as f:
            return list(CalamineWorkbook.from_filelike(f).sheet_names)

    def contacts_block(self) -> Block | None:
        """The table holding the key column's header cell, read with openpyxl."""
        sheet = load_workbook(self.path)[self.contacts_tab]
        for name in sheet.tables:
            part = sheet.tables[name]
            c1, r1, c2, r2 = range_boundaries(part.ref)
            if part.headerRowCount == 0:
                continue
            headers = [sheet.cell(r1, c).value for c in range(c1, c2 + 1)]
            if self.key_header in headers:
                totals = int(part.totalsRowCount or 0)
                return Block(r1 + 1, r2 - totals, c1 - 1, c2 - 1)
        return None
