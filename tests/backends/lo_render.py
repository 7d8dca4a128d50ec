"""Render one tab of a workbook the way a reader sees it: LibreOffice (UNO) prints it to PDF
with every other tab hidden (hidden tabs are not printed; charts still read their data from
them), then pdftoppm turns the pages into PNGs. Used by the one-page test and to make the
README's pictures (`python tests/backends/lo_render.py BOOK TAB OUT.png`)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from lo_editor import LibreOffice, _prop, uno  # type: ignore[import-not-found]


def tab_to_pdf(
    office: LibreOffice,
    book: Path,
    tab: str,
    pdf: Path,
    *,
    keep: tuple[str, ...] = (),
    rows: int = 0,
) -> None:
    """Print `tab` of `book` to `pdf` (all other tabs hidden). For a picture of a wide tab:
    `keep` shows only the columns with these headers (row 1), `rows` prints only the first
    rows, landscape. Nothing is saved."""
    url = uno.systemPathToFileUrl(str(book.resolve()))
    doc = office.desktop.loadComponentFromURL(url, "_blank", 0, (_prop("Hidden", True),))
    try:
        sheets = doc.Sheets
        target = sheets.getByName(tab)
        target.IsVisible = True
        doc.getCurrentController().setActiveSheet(target)
        for name in sheets.ElementNames:
            if name != tab:
                sheets.getByName(name).IsVisible = False
        if keep or rows:
            _crop(doc, target, keep, rows)
        out = uno.systemPathToFileUrl(str(pdf.resolve()))
        doc.storeToURL(out, (_prop("FilterName", "calc_pdf_Export"),))
    finally:
        doc.close(True)


def _crop(doc: object, sheet: object, keep: tuple[str, ...], rows: int) -> None:
    cursor = sheet.createCursor()
    cursor.gotoEndOfUsedArea(False)
    last_col = cursor.RangeAddress.EndColumn
    last_row = rows or cursor.RangeAddress.EndRow + 1
    if keep:
        for c in range(last_col + 1):
            header = sheet.getCellByPosition(c, 0).getString()
            if header not in keep:
                sheet.Columns.getByIndex(c).IsVisible = False
    area = sheet.getCellRangeByPosition(0, 0, last_col, last_row - 1).RangeAddress
    sheet.setPrintAreas((area,))
    style = doc.StyleFamilies.getByName("PageStyles").getByName(sheet.PageStyle)
    style.IsLandscape = True
    width, height = style.Width, style.Height
    if width < height:
        style.Width, style.Height = height, width
    style.ScaleToPagesX, style.ScaleToPagesY = 1, 1


def pdf_pages(pdf: Path) -> int:
    """Number of pages of a PDF (pdfinfo)."""
    info = subprocess.run(
        [shutil.which("pdfinfo") or "pdfinfo", str(pdf)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])


def pdf_to_png(pdf: Path, png: Path, dpi: int = 110) -> Path:
    """The first page of `pdf` as `png`."""
    stem = png.with_suffix("")
    subprocess.run(
        [shutil.which("pdftoppm") or "pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1",
         "-singlefile", str(pdf), str(stem)],
        check=True,
    )  # fmt: skip
    return png


def trim(png: Path, margin: int = 24) -> None:
    """Cut the blank page around the printed content (for the README's pictures)."""
    from PIL import Image, ImageChops

    image = Image.open(png).convert("RGB")
    box = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
    if box:
        left, top, right, bottom = box
        w, h = image.size
        crop = (max(0, left - margin), max(0, top - margin), min(w, right + margin))
        image.crop((*crop, min(h, bottom + margin))).save(png)


def main(book: str, tab: str, png: str, keep: str = "", rows: str = "0") -> None:
    """Render `tab` of `book` to `png` (first page), printing the page count; `keep`:
    comma-separated headers of the only columns shown, `rows`: how many rows."""
    out = Path(png)
    pdf = out.with_suffix(".pdf")
    shown = tuple(h for h in keep.split(",") if h)
    with LibreOffice() as office:
        tab_to_pdf(office, Path(book), tab, pdf, keep=shown, rows=int(rows))
    print(f"{tab}: {pdf_pages(pdf)} page(s)")
    pdf_to_png(pdf, out, dpi=200 if shown else 110)
    trim(out)
    pdf.unlink()


if __name__ == "__main__":
    main(*sys.argv[1:6])
