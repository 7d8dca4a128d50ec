"""Formula error cells (#REF!, #DIV/0!, #N/A...): calamine reads them as empty strings, so a
Date of #DIV/0! would count as an undated activity with full points. Their cached codes are
found in the sheet XML (cells with t="e") and put back into the rows read.

Measured: a sheet without error cells costs one streamed decompression and one search (the
XML is parsed only when `t="e"` occurs); the reader runs it in a thread of its own beside the
calamine reads (ISA-L releases the GIL), off the path of the longest read.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable

from .deflate import inflate, inflate_chunks
from .package import Package

_MARK = re.compile(rb"""\bt\s*=\s*["']e["']""")
# writers put no spaces around = in practice; one pattern for both quotes: 255 MB of XML in
# 0.09 s, where two substring searches took 0.22 s (their last byte, a quote, skips badly)
_QUICK = re.compile(rb"""t=["']e["']""")
_OVERLAP = 8
_CELL = re.compile(rb"""<(?:\w+:)?c\s([^>]*?)/?>((?:(?!</?(?:\w+:)?c[\s>]).)*)""", re.DOTALL)
_REF = re.compile(rb"""\br\s*=\s*["']([A-Za-z]{1,3})(\d+)["']""")
_VALUE = re.compile(rb"""<(?:\w+:)?v>([^<]*)</""")


def sheet_part(pkg: Package, name: str) -> str | None:
    """The part of the tab called `name`, or None."""
    wb = pkg.workbook_part()
    if wb is None:
        return None
    for sheet in pkg.sheets(wb):
        if sheet.name == name:
            return sheet.part
    return None


def _has_errors(zf: zipfile.ZipFile, part: str) -> bool:
    tail = b""
    for chunk in inflate_chunks(zf, part):
        if _QUICK.search(tail + chunk[:_OVERLAP]) or _QUICK.search(chunk):
            return True
        tail = (tail + chunk[-_OVERLAP:])[-_OVERLAP:]
    return False


def _column_index(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n - 1


def error_cells(file: str, tab: str) -> dict[tuple[int, int], str]:
    """(0-based row, 0-based column) -> error code of every formula error cell of `tab`."""
    return errors_by_tab(file, (tab,))[tab]


def errors_by_tab(file: str, tabs: Iterable[str]) -> dict[str, dict[tuple[int, int], str]]:
    """`error_cells` of each of `tabs`, opening the package once."""
    with zipfile.ZipFile(file) as zf:
        pkg = Package(zf)
        return {tab: _errors(zf, pkg, tab) for tab in tabs}


def _errors(zf: zipfile.ZipFile, pkg: Package, tab: str) -> dict[tuple[int, int], str]:
    part = sheet_part(pkg, tab)
    if part is None or pkg.find(part) is None:
        return {}
    part = pkg.find(part) or part
    if not _has_errors(zf, part):
        return {}
    return errors_in(inflate(zf, part))


def errors_in(xml: bytes) -> dict[tuple[int, int], str]:
    """`error_cells` of a sheet part's XML."""
    if not _QUICK.search(xml):
        return {}
    found: dict[tuple[int, int], str] = {}
    for match in _CELL.finditer(xml):
        attrs, body = match.groups()
        if not _MARK.search(attrs):
            continue
        ref, value = _REF.search(attrs), _VALUE.search(body)
        if ref is None or value is None:
            continue
        row, col = int(ref.group(2)) - 1, _column_index(ref.group(1))
        found[(row, col)] = value.group(1).decode("utf-8", "replace").strip()
    return found


def put_errors(rows: list[list], found: dict[tuple[int, int], str]) -> list[list]:
    """`rows` (as calamine read them, from A1) with each error cell of `found` holding its
    code."""
    for (r, c), code in found.items():
        if not code:
            continue
        while len(rows) <= r:
            rows.append([])
        row = rows[r]
        if len(row) <= c:
            row.extend([""] * (c + 1 - len(row)))
        if row[c] in ("", None):
            row[c] = code
    return rows


def mark_errors(rows: list[list], file: str, tab: str) -> list[list]:
    """`rows` (as calamine read them, from A1) with each error cell holding its code."""
    return put_errors(rows, error_cells(file, tab))
