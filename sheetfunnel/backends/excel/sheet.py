"""Streaming rewrite of the managed columns inside a worksheet's <sheetData>.

A 100k-row sheet part is ~60 MB of XML; a DOM of it costs ~2 GB. This pass works on the bytes:
it finds <row> and <c> elements with regular expressions, copies every row it does not change
verbatim, and rebuilds only the rows whose managed cells differ from the plan.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sheetfunnel.backends.base import CellValue

from .cells import col_index, col_letter


@dataclass(frozen=True)
class SheetSplit:
    """A worksheet part cut around its <sheetData> content."""

    prefix: bytes  # namespace prefix of the main namespace, e.g. b"" or b"x:"
    head: bytes  # everything before the <sheetData> element
    body: bytes  # the rows inside it
    tail: bytes  # everything after it
    empty: bool  # the part had <sheetData/>


@dataclass(frozen=True)
class Target:
    """Where one managed column lives and what it must hold."""

    header: str
    col: int
    kind: str
    values: tuple[CellValue, ...]
    ours: bool  # marked as sheetfunnel's before this write (else a new, empty column)
    write_header: bool  # the header cell does not hold `header` yet
    frame_name: str | None = None  # its name in the contacts frame as read, when ours
    field: str = ""
    editable: bool = False  # the user's cells under our header (the created override column)


@dataclass
class PassResult:
    """The new <sheetData> content (as chunks, joined once with the rest of the part) and
    what changed."""

    chunks: list[bytes | memoryview]
    cells_changed: int
    max_row: int
    max_col: int


@dataclass(frozen=True)
class SheetDataSpan:
    """Where <sheetData> sits in a worksheet part: the element from `start` to `end`, its
    rows from `rows_start` to `rows_end` (an empty span for <sheetData/>)."""

    prefix: bytes  # namespace prefix of the main namespace, e.g. b"" or b"x:"
    start: int
    rows_start: int
    rows_end: int
    end: int
    empty: bool  # the part had <sheetData/>


_SHEET_DATA = re.compile(rb"<([A-Za-z_][\w.-]*:)?sheetData\s*(/?)>")


def sheet_data_span(data: bytes) -> SheetDataSpan | None:
    """Where the <sheetData> element of a worksheet part is, or None when it has none (or
    no closing tag): found without copying the part."""
    m = _SHEET_DATA.search(data)
    if m is None:
        return None
    prefix = m.group(1) or b""
    if m.group(2):
        return SheetDataSpan(prefix, m.start(), m.end(), m.end(), m.end(), True)
    close = b"</" + prefix + b"sheetData>"
    rows_end = data.rfind(close)
    if rows_end < m.end():
        return None
    return SheetDataSpan(prefix, m.start(), m.end(), rows_end, rows_end + len(close), False)


def split_sheet(data: bytes) -> SheetSplit:
    """Cut a worksheet part around <sheetData>."""
    span = sheet_data_span(data)
    if span is None:
        raise ValueError("worksheet part has no <sheetData>")
    body = data[span.rows_start : span.rows_end]
    return SheetSplit(span.prefix, data[: span.start], body, data[span.end :], span.empty)


def join_sheet(
    split: SheetSplit, head: bytes, body: Sequence[bytes | memoryview], tail: bytes
) -> bytes:
    """Reassemble a worksheet part from its head, rows (in chunks) and tail."""
    p = split.prefix
    if not any(body):
        return b"".join((head, b"<", p, b"sheetData/>", tail))
    # one join: a joined body then chained + held the (tens of MB) rows three times over
    return b"".join((head, b"<", p, b"sheetData>", *body, b"</", p, b"sheetData>", tail))


class RowScanner:
    """Regular expressions for rows and cells under one namespace prefix."""

    def __init__(self, prefix: bytes):
        p = re.escape(prefix)
        self.row_start = re.compile(rb"<" + p + rb"row\b([^>]*)>")
        self.open = b"<" + prefix + b"c"
        self.row_end = b"</" + prefix + b"row>"
        self.cell = re.compile(rb"<" + p + rb"c\b([^>]*?)(/?)>")
        self.cell_end = b"</" + prefix + b"c>"
        self.formula = re.compile(rb"<" + p + rb"f\b")
        self.value = re.compile(rb"<" + p + rb"v>(.*?)</" + p + rb"v>", re.S)
        self.text = re.compile(rb"<" + p + rb"t\b[^>]*?(?:/>|>(.*?)</" + p + rb"t>)", re.S)
        self.phonetic = re.compile(rb"<" + p + rb"rPh\b.*?</" + p + rb"rPh>", re.S)
        self.inline = re.compile(rb"<" + p + rb"is\b")

    def cells(self, row: bytes) -> list[tuple[int, int, int, bytes]]:
        """(column, start, end, attributes) of each cell of a row element."""
        out = []
        col = 0
        for m in self.cell.finditer(row):
            attrs = m.group(1)
            r = _R_ATTR.search(attrs)
            col = col_index(r.group(1).decode()) if r else col + 1
            end = m.end() if m.group(2) else row.index(self.cell_end, m.end()) + len(self.cell_end)
            out.append((col, m.start(), end, attrs))
        return out

    def cell_at(self, data: bytes, pos: int, stop: int) -> tuple[int, int, bytes] | None:
        """(start, end, attributes) of the cell whose start tag begins at `pos`, if one does."""
        m = self.cell.match(data, pos, stop)
        if m is None:
            return None
        if m.group(2):
            return pos, m.end(), m.group(1)
        close = data.find(self.cell_end, m.end(), stop)
        return (pos, close + len(self.cell_end), m.group(1)) if close >= 0 else None

    def last_cell_start(self, data: bytes, start: int, end: int) -> int:
        """Start of the last <c> element in data[start:end], or -1."""
        n = len(self.open)
        pos = data.rfind(self.open, start, end)
        while pos >= 0 and data[pos + n : pos + n + 1] not in (
            b" ",
            b">",
            b"/",
            b"\t",
            b"\n",
            b"\r",
        ):
            pos = data.rfind(self.open, start, pos)
        return pos

    def last_cell_col(self, data: bytes, start: int, end: int) -> int:
        """Column of the last cell of a row (by its r attribute, else by counting cells)."""
        pos = self.last_cell_start(data, start, end)
        if pos < 0:
            return 0
        m = self.cell.match(data, pos, end)
        ref = _R_ATTR.search(m.group(1)) if m else None
        if ref:
            return col_index(ref.group(1).decode())
        return len(self.cells(data[start:end]))

    def parse(self, cell: bytes, attrs: bytes, strings: Callable[[], list[str]]) -> CellValue:
        """The literal value of an existing cell (text, float, bool) or None when empty."""
        t = _T_ATTR.search(attrs)
        kind = t.group(1) if t else b"n"
        if kind == b"inlineStr":
            body = self.phonetic.sub(b"", cell)
            return _unescape(b"".join(m.group(1) or b"" for m in self.text.finditer(body)))
        v = self.value.search(cell)
        if v is None:
            return None
        raw = v.group(1)
        if kind == b"s":
            idx = int(raw)
            sst = strings()
            return sst[idx] if idx < len(sst) else None
        if kind in (b"str", b"e"):
            return _unescape(raw)
        if kind == b"b":
            return raw.strip() == b"1"
        try:
            return float(raw)
        except ValueError:
            return _unescape(raw)


_R_ATTR = re.compile(rb'\br="\$?([A-Za-z]+)\$?\d+"')
_ROW_NUM = re.compile(rb'\br="(\d+)"')
_T_ATTR = re.compile(rb'\bt="(\w+)"')
_S_ATTR = re.compile(rb'\bs="(\d+)"')
_SPANS = re.compile(rb'\sspans="[^"]*"')
_X_ESC = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(raw: bytes) -> str:
    return _X_ESC.sub(lambda m: chr(int(m.group(1), 16)), html.unescape(raw.decode("utf-8")))


def scan_rows(
    split: SheetSplit, until: int | None = None
) -> tuple[list[tuple[int, int, int, int]], int]:
    """(row number, start, end, last cell's column or -1 when it has no reference) of every
    row (with `until`, of the rows up to that row number), and the last column their cells use.

    A row spans from its start tag to the next row's start (rows are contiguous children of
    <sheetData>), so only start tags are matched: ~10x cheaper than matching whole rows.
    """
    scanner = RowScanner(split.prefix)
    body = split.body
    rows: list[tuple[int, int, int, int]] = []
    last = 0
    max_col = 0
    match_cell, find_ref = scanner.cell.match, _R_ATTR.search
    tags = scanner.row_start.finditer(body)
    tag = next(tags, None)
    while tag is not None:
        following = next(tags, None)
        start = tag.start()
        end = following.start() if following is not None else len(body)
        r = _ROW_NUM.search(tag.group(1))
        last = int(r.group(1)) if r else last + 1
        col = 0
        pos = scanner.last_cell_start(body, start, end)
        if pos >= 0:
            m = match_cell(body, pos, end)
            ref = find_ref(m.group(1)) if m else None
            if ref is None:
                col = -1
                max_col = max(max_col, len(scanner.cells(body[start:end])))
            else:
                col = col_index(ref.group(1).decode())
                if col > max_col:
                    max_col = col
        rows.append((last, start, end, col))
        if until is not None and last >= until:
            break
        tag = following
    return rows, max_col


def header_texts(
    split: SheetSplit, rows: list[tuple[int, int, int, int]], header_row: int, strings
) -> tuple[dict[int, str], int | None]:
    """Text of each header cell (column -> stripped text) and the header row's style id."""
    scanner = RowScanner(split.prefix)
    for num, start, end, _ in rows:
        if num != header_row:
            continue
        row = split.body[start:end]
        out, style = {}, None
        for col, cs, ce, attrs in scanner.cells(row):
            value = scanner.parse(row[cs:ce], attrs, strings)
            s = _S_ATTR.search(attrs)
            style = int(s.group(1)) if s else style
            if value is not None and str(value).strip():
                text = str(value).strip()
                if isinstance(value, float) and value.is_integer():
                    text = str(int(value))
                out[col] = text
        return out, style
    return {}, None


def first_filled_cell(split: SheetSplit, col: int) -> str | None:
    """Reference of the first cell of column `col` holding a value or a formula, if any
    (a cell with only a style holds nothing)."""
    p = re.escape(split.prefix)
    letter = col_letter(col).encode()
    cell = re.compile(rb"<" + p + rb'c\s[^>]*?\br="' + letter + rb'(\d+)"[^>]*?(/?)>')
    content = re.compile(rb"<" + p + rb"(?:v|is|f)\b")
    close = b"</" + split.prefix + b"c>"
    body = split.body
    for m in cell.finditer(body):
        if m.group(2):
            continue
        end = body.find(close, m.end())
        if content.search(body, m.end(), end if end >= 0 else len(body)):
            return f"{letter.decode()}{int(m.group(1))}"
    return None
