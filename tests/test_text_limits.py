"""Texts longer than a cell can hold are cut with an ellipsis and a note, wherever sheetfunnel
writes (issue 11, item 8): Excel 32,767 characters, Google Sheets 50,000."""

from __future__ import annotations

import openpyxl
from click.testing import CliRunner
from python_calamine import CalamineWorkbook
from run_helpers import DAY

from sheetfunnel.backends.textlimit import ELLIPSIS, EXCEL_MAX_TEXT, SHEETS_MAX_TEXT
from sheetfunnel.cli import cli
from sheetfunnel.demo import create_demo
from tests.gsheets_emulator.fixtures import emulator
from tests.gsheets_emulator.values import Cell
from tests.test_sync_gsheets import rows_of, sheet, sync

__all__ = ["emulator", "sheet"]  # fixtures


def grow_text(book, old: str, new: str) -> None:
    """Replace a text in the package's XML, as a tool writing raw XML could have."""
    import shutil
    import zipfile

    grown = book.with_suffix(".tmp")
    with zipfile.ZipFile(book) as zin, zipfile.ZipFile(grown, "w", zipfile.ZIP_DEFLATED) as out:
        for info in zin.infolist():
            out.writestr(info.filename, zin.read(info.filename).replace(old.encode(), new.encode()))
    shutil.move(grown, book)


def test_a_40000_character_owner_is_cut_in_the_summary_tab(tmp_path):
    book = create_demo(tmp_path / "demo", contacts=60, end=DAY).workbook
    wb = openpyxl.load_workbook(book)
    ws = wb["Contacts"]
    owner = next(c.column for c in ws[1] if c.value == "Owner")
    ws.cell(row=2, column=owner, value="O" * EXCEL_MAX_TEXT)  # openpyxl cuts here...
    wb.save(book)
    grow_text(book, "O" * EXCEL_MAX_TEXT, "O" * 40_000)  # ...a script writing XML does not
    result = CliRunner().invoke(cli, ["sync", str(book), "--as-of", str(DAY), "--no-backup"])
    assert result.exit_code == 0, result.output
    assert (
        "Note: 2 texts longer than a cell can hold (32,767 characters) cut, ending in '…' "
        "(Summary row 58, Companies row 17)"
    ) in result.output
    summary = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Summary").to_python()
    long = [v for row in summary for v in row if isinstance(v, str) and len(v) > 1000]
    assert long and all(len(v) == EXCEL_MAX_TEXT and v.endswith(ELLIPSIS) for v in long)
    assert long[0] == "O" * (EXCEL_MAX_TEXT - 1) + ELLIPSIS


def test_a_60000_character_owner_is_cut_in_a_google_sheet(emulator, sheet):
    """The emulator refuses a 50,001-character cell as the real API does."""
    with emulator.lock:
        tab = emulator.spreadsheets[sheet].by_title("Contacts")
        owner = [c.value if c else None for c in tab.rows[0]].index("Owner")
        tab.rows[1][owner] = Cell("O" * 60_000)
    result = sync(sheet)
    assert result.exit_code == 0, result.output
    long = [
        v
        for row in rows_of(emulator, sheet, "Summary")
        for v in row
        if isinstance(v, str) and len(v) > 1000
    ]
    assert long == [long[0]] * len(long) and long[0] == "O" * (SHEETS_MAX_TEXT - 1) + ELLIPSIS
