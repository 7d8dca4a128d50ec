"""Streaming rewrite of the managed columns inside a worksheet's <sheetData>.

A 100k-row sheet part is ~60 MB of XML; a DOM of it costs ~2 GB. This pass works on the bytes:
it finds <row> and <c> elements with regular expressions, copies every row it does not change
verbatim, and rebuilds only the rows whose managed cells differ from the plan.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from sheetfunnel.backends.base import CellValue
from sheetfunnel.errors import SpreadsheetError

from .cells import cell_xml, col_index, col_letter, excel_serial, is_blank


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
    found: bool  # the header was already in the header row


@dataclass
class PassResult:
    """The new <sheetData> content and what changed."""

    body: bytes
    cells_changed: int
    max_row: int
    max_col: int


def split_sheet(data: bytes) -> SheetSplit:
    """Cut a worksheet part around <sheetData>."""
    m = re.search(rb"<([A-Za-z_][\w.-]*:)?sheetData\s*(/?)>", data)
    if m is None:
        raise ValueError("worksheet part has no <sheetData>")
    prefix = m.group(1) or b""
    if m.group(2):
        return SheetSplit(prefix, data[: m.start()], b"", data[m.end() :], True)
    close = b"</" + prefix + b"sheetData>"
    end = data.rindex(close)
    tail = data[end + len(close) :]
    return SheetSplit(prefix, data[: m.start()], data[m.end() : end], tail, False)


def join_sheet(split: SheetSplit, head: bytes, body: bytes, tail: bytes) -> bytes:
    """Reassemble a worksheet part from its head, rows and tail."""
    p = split.prefix
    if not body:
        return head + b"<" + p + b"sheetData/>" + tail
    return head + b"<" + p + b"sheetData>" + body + b"</" + p + b"sheetData>" + tail


class RowScanner:
    """Regular expressions for rows and cells under one namespace prefix."""

    def __init__(self, prefix: bytes):
        p = re.escape(prefix)
        self.row = re.compile(rb"<" + p + rb"row\b[^>]*?(?:/>|>.*?</" + p + rb"row>)", re.S)
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


def scan_rows(split: SheetSplit) -> tuple[list[tuple[int, int, int]], int]:
    """(row number, start, end) of every row, and the last column any cell uses."""
    scanner = RowScanner(split.prefix)
    rows = []
    last = 0
    max_col = 0
    cell_open = b"<" + split.prefix + b"c"
    body = split.body
    for m in scanner.row.finditer(body):
        start, end = m.span()
        r = _ROW_NUM.search(body, start, body.index(b">", start))
        last = int(r.group(1)) if r else last + 1
        rows.append((last, start, end))
        pos = body.rfind(cell_open, start, end)
        while pos >= start and body[pos + len(cell_open)] not in b" />\t\r\n":
            pos = body.rfind(cell_open, start, pos)
        if pos >= start:
            cm = scanner.cell.match(body, pos)
            ref = _R_ATTR.search(cm.group(1)) if cm else None
            col = col_index(ref.group(1).decode()) if ref else len(scanner.cells(m.group()))
            max_col = max(max_col, col)
    return rows, max_col


def header_texts(
    split: SheetSplit, rows: list[tuple[int, int, int]], header_row: int, strings
) -> tuple[dict[int, str], int | None]:
    """Text of each header cell (column -> stripped text) and the header row's style id."""
    scanner = RowScanner(split.prefix)
    for num, start, end in rows:
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


def _same(existing: CellValue, wanted: CellValue, epoch: dt.date) -> bool:
    if isinstance(wanted, dt.date):
        wanted = excel_serial(wanted, epoch)
    if isinstance(wanted, bool) or isinstance(existing, bool):
        return type(wanted) is type(existing) and wanted == existing
    if isinstance(wanted, int | float):
        return isinstance(existing, float) and float(wanted) == existing
    return isinstance(existing, str) and existing == str(wanted)


def rewrite_rows(
    split: SheetSplit,
    rows: list[tuple[int, int, int]],
    targets: list[Target],
    *,
    header_row: int,
    header_style: int | None,
    epoch: dt.date,
    date_xf: Callable[[str], int],
    date_styles: set[int],
    strings: Callable[[], list[str]],
    sheet: str,
) -> PassResult:
    """New <sheetData> content with every managed cell holding the plan's value."""
    scanner = RowScanner(split.prefix)
    by_col = {t.col: t for t in targets}
    body = split.body
    out: list[bytes] = []
    changed = 0
    last_value_row = 0
    needed = [header_row] if any(not t.found for t in targets) else []
    longest = max((len(t.values) for t in targets), default=0)
    needed_set = set(needed)
    for i in range(longest):
        if any(i < len(t.values) and not is_blank(t.values[i]) for t in targets):
            needed_set.add(header_row + 1 + i)
    pending = sorted(needed_set)
    pi = 0
    copied_from = 0

    def wanted_for(num: int) -> dict[int, CellValue]:
        if num == header_row:
            return {t.col: t.header for t in targets if not t.found}
        i = num - header_row - 1
        return {t.col: (t.values[i] if i < len(t.values) else None) for t in targets}

    def encode(col: int, num: int, value: CellValue, style: int | None, kind: str) -> bytes:
        ref = f"{col_letter(col)}{num}"
        date_style = None
        if isinstance(value, dt.date):
            if style is not None and style in date_styles:
                date_style = style
            else:
                date_style = date_xf("datetime" if isinstance(value, dt.datetime) else "date")
        return cell_xml(ref, value, style=style, epoch=epoch, date_style=date_style).encode()

    def new_row(num: int) -> bytes:
        nonlocal changed, last_value_row
        cells = []
        for col, value in sorted(wanted_for(num).items()):
            if is_blank(value):
                continue
            style = header_style if num == header_row else None
            cells.append(encode(col, num, value, style, by_col[col].kind))
            changed += 1
            last_value_row = max(last_value_row, num)
        start_tag = b'<%srow r="%d">' % (split.prefix, num)
        return start_tag + b"".join(cells) + b"</" + split.prefix + b"row>"

    for num, start, end in rows:
        while pi < len(pending) and pending[pi] < num:
            out.append(body[copied_from:start])
            copied_from = start
            out.append(new_row(pending[pi]))
            pi += 1
        while pi < len(pending) and pending[pi] == num:
            pi += 1
        if num < header_row:
            continue
        wanted = wanted_for(num)
        row = body[start:end]
        cells = scanner.cells(row)
        present = {c[0]: c for c in cells}
        edits: dict[int, bytes | None] = {}
        for col, value in wanted.items():
            target = by_col[col]
            cell = present.get(col)
            if cell is None:
                if not is_blank(value):
                    style = header_style if num == header_row else None
                    edits[col] = encode(col, num, value, style, target.kind)
                continue
            _, cs, ce, attrs = cell
            raw = row[cs:ce]
            has_formula = scanner.formula.search(raw) is not None
            existing = None if has_formula else scanner.parse(raw, attrs, strings)
            ref = f"{col_letter(col)}{num}"
            if has_formula or (not target.found and num > header_row and existing is not None):
                what = "a formula" if has_formula else f"the value {existing!r}"
                raise SpreadsheetError(
                    f"cell {ref} of tab {sheet!r} holds {what}, but column "
                    f"{col_letter(col)} is sheetfunnel's column {target.header!r}; sheetfunnel "
                    "never overwrites a user's cell. Move that content or pin the column "
                    "elsewhere, then retry.",
                    sheet=sheet,
                )
            s = _S_ATTR.search(attrs)
            style = int(s.group(1)) if s else None
            if is_blank(value):
                if existing is None:
                    continue
                edits[col] = f'<c r="{ref}" s="{style}"/>'.encode() if style else None
            elif existing is not None and _same(existing, value, epoch):
                if not isinstance(value, dt.date) or style in date_styles:
                    if not is_blank(value):
                        last_value_row = max(last_value_row, num)
                    continue
                edits[col] = encode(col, num, value, style, target.kind)
            else:
                edits[col] = encode(col, num, value, style, target.kind)
            if not is_blank(value):
                last_value_row = max(last_value_row, num)
        if not edits:
            continue
        changed += len(edits)
        merged: list[tuple[int, bytes]] = [
            (col, row[cs:ce]) for col, cs, ce, _ in cells if col not in edits
        ]
        merged += [(col, xml) for col, xml in edits.items() if xml is not None]
        merged.sort(key=lambda item: item[0])
        first = cells[0][1] if cells else row.index(b">") + 1
        tag = row[:first] if cells else row[: row.index(b">") + 1]
        if tag.endswith(b"/>"):
            tag = tag[:-2] + b">"
        tag = _SPANS.sub(b"", tag)
        rebuilt = [_with_ref(xml, col, num) for col, xml in merged]
        out.append(body[copied_from:start])
        out.append(tag + b"".join(rebuilt) + b"</" + split.prefix + b"row>")
        copied_from = end
    out.append(body[copied_from:])
    while pi < len(pending):
        out.append(new_row(pending[pi]))
        pi += 1
    max_col = max((t.col for t in targets), default=0)
    return PassResult(b"".join(out), changed, last_value_row, max_col)


def _with_ref(xml: bytes, col: int, num: int) -> bytes:
    """A cell element with an explicit r attribute (cells after an inserted one need it)."""
    if _R_ATTR.search(xml[: xml.index(b">")]):
        return xml
    ref = b' r="%s%d"' % (col_letter(col).encode(), num)
    return re.sub(rb"^(<[\w:]*c)\b", lambda m: m.group(1) + ref, xml)
