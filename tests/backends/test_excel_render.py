"""The Summary as a reader sees it: LibreOffice prints the synced demo's Summary (tables and
both charts) on one page, and pdftoppm makes a picture of it."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from lo_editor import LibreOffice
from lo_render import pdf_pages, pdf_to_png, tab_to_pdf

from sheetfunnel.backends.excel import ExcelBackend
from sheetfunnel.config import Config
from sheetfunnel.demo import create_demo
from sheetfunnel.sync import sync

DAY = dt.date(2026, 6, 30)


def test_the_summary_prints_on_one_page_with_both_charts(tmp_path: Path) -> None:
    book = Path(shutil.copy(create_demo(tmp_path / "demo", end=DAY).workbook, tmp_path / "b.xlsx"))
    for days in (0, 1, 7):
        sync(ExcelBackend(book, backup=False), Config(), as_of=DAY + dt.timedelta(days=days))
    pdf = tmp_path / "summary.pdf"
    with LibreOffice() as office:
        tab_to_pdf(office, book, "Summary", pdf)
    assert pdf_pages(pdf) == 1
    png = pdf_to_png(pdf, tmp_path / "summary.png")
    assert png.stat().st_size > 20_000  # tables and two charts, not a blank page
