"""A small LibreOffice (UNO) editor for tests: open an xlsx, edit it as a user would, save it.

One headless soffice per `LibreOffice` context, with a private profile and its own port, so
parallel test runs do not clash. Edits go through the same API the Calc UI uses, so
references (defined names included) move exactly as they do for a user.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

if "/usr/lib/python3/dist-packages" not in sys.path:
    sys.path.append("/usr/lib/python3/dist-packages")  # python3-uno lives in the system Python

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.table import CellAddress, CellRangeAddress

XLSX_FILTER = "Calc MS Excel 2007 XML"


def _prop(name: str, value: Any) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LibreOffice:
    """A headless soffice process and a UNO connection to it (a context manager)."""

    def __enter__(self) -> LibreOffice:
        self.profile = Path("/tmp") / f"sf-lo-uno-{uuid.uuid4().hex}"
        port = _free_port()
        self.proc = subprocess.Popen(
            [
                shutil.which("soffice") or "soffice",
                f"-env:UserInstallation=file://{self.profile}",
                "--headless",
                "--invisible",
                "--norestore",
                "--nologo",
                f"--accept=socket,host=127.0.0.1,port={port};urp;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        url = f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext"
        deadline = time.monotonic() + 90
        while True:
            try:
                ctx = resolver.resolve(url)
                break
            except Exception:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.__exit__(None, None, None)
                    raise RuntimeError("LibreOffice did not start") from None
                time.sleep(0.3)
        self.desktop = ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", ctx
        )
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if getattr(self, "desktop", None) is not None:
                self.desktop.terminate()
        except Exception:
            pass  # the bridge drops as soffice exits
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def edit(self, path: Path, out: Path | None = None) -> Book:
        """Open `path` for editing; `Book.save()` stores it as xlsx at `out` (default: itself)."""
        url = uno.systemPathToFileUrl(str(path.resolve()))
        doc = self.desktop.loadComponentFromURL(url, "_blank", 0, (_prop("Hidden", True),))
        return Book(doc, out or path)


class Book:
    """One open workbook and the edits a user makes between syncs."""

    def __init__(self, doc: Any, out: Path):
        self.doc, self.out = doc, out

    def sheet(self, name: str) -> Any:
        return self.doc.Sheets.getByName(name)

    def insert_columns(self, tab: str, index: int, count: int = 1) -> None:
        """Insert empty columns before 0-based column `index` (Insert > Columns Before)."""
        self.sheet(tab).Columns.insertByIndex(index, count)

    def delete_columns(self, tab: str, index: int, count: int = 1) -> None:
        """Delete whole columns from 0-based column `index`."""
        self.sheet(tab).Columns.removeByIndex(index, count)

    def move_column(self, tab: str, source: int, before: int) -> None:
        """Move a whole column before another one (cut, insert cut cells), 0-based."""
        sh = self.sheet(tab)
        sh.Columns.insertByIndex(before, 1)
        if source >= before:
            source += 1
        idx = sh.RangeAddress.Sheet
        src = CellRangeAddress(idx, source, 0, source, 1048575)
        sh.moveRange(CellAddress(idx, before, 0), src)
        sh.Columns.removeByIndex(source, 1)

    def set_cell(self, tab: str, col: int, row: int, value: str | float) -> None:
        """Type a value into a cell (0-based column and row)."""
        cell = self.sheet(tab).getCellByPosition(col, row)
        if isinstance(value, str):
            cell.setString(value)
        else:
            cell.setValue(value)

    def sort_rows(self, tab: str, last_col: int, last_row: int, by: int, desc: bool = True) -> None:
        """Sort rows 2..last_row (0-based `last_row`) on column `by`, header excluded."""
        from com.sun.star.table import TableSortField

        rng = self.sheet(tab).getCellRangeByPosition(0, 1, last_col, last_row)
        field = TableSortField()
        field.Field, field.IsAscending = by, not desc
        descriptor = rng.createSortDescriptor()
        for prop in descriptor:
            if prop.Name == "SortFields":  # a typed sequence, or Calc ignores it
                prop.Value = uno.Any("[]com.sun.star.table.TableSortField", (field,))
        uno.invoke(rng, "sort", (tuple(descriptor),))

    def insert_rows(self, tab: str, index: int, count: int = 1) -> None:
        """Insert empty rows before 0-based row `index`."""
        self.sheet(tab).Rows.insertByIndex(index, count)

    def delete_rows(self, tab: str, index: int, count: int = 1) -> None:
        """Delete whole rows from 0-based row `index`."""
        self.sheet(tab).Rows.removeByIndex(index, count)

    def rename_tab(self, old: str, new: str) -> None:
        self.sheet(old).setName(new)

    def move_tab(self, name: str, index: int) -> None:
        self.doc.Sheets.moveByName(name, index)

    def delete_tab(self, name: str) -> None:
        self.doc.Sheets.removeByName(name)

    def add_tab(self, name: str, index: int) -> None:
        self.doc.Sheets.insertNewByName(name, index)

    def save(self) -> Path:
        """Store as xlsx (Excel 2007-365 format) and close."""
        url = uno.systemPathToFileUrl(str(self.out.resolve()))
        try:
            self.doc.storeToURL(url, (_prop("FilterName", XLSX_FILTER), _prop("Overwrite", True)))
        finally:
            self.doc.close(True)
        return self.out
