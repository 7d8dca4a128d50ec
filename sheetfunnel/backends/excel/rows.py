"""Put the plan's values into the managed cells of the contacts rows, splicing bytes.

Only rows that may change are looked at (the caller passes the rows whose values differ from
what was read); inside a row only the managed cells are located, by their reference, so a
15-column row with 7 managed cells costs a few `bytes.find` calls, not a parse.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from sheetfunnel.backends.base import CellValue
from sheetfunnel.errors import SpreadsheetError

from .cells import _PLAIN, cell_xml, col_letter, excel_serial, is_blank
from .sheet import _R_ATTR, _S_ATTR, PassResult, RowScanner, SheetSplit, Target

_SPANS = re.compile(rb'\sspans="[^"]*"')
_UNPREFIXED = re.compile(rb"(</?)(?=(?:c|v|is|t)[ >/])")
_WS = (b" ", b"\t", b"\n", b"\r")


@dataclass
class _Row:
    """Where the managed cells of one row are (absolute offsets into the body)."""

    tag_start: int
    tag_end: int
    self_closing: bool
    close: int  # offset of </row>, or of the "/>" ending a self-closing row
    present: dict[int, tuple[int, int, bytes]]
    insert: dict[int, int]
    rebuild: list[tuple[int, int, int, bytes]] | None = None  # all cells, when refs are missing


def _same(existing: CellValue, wanted: CellValue, epoch: dt.date) -> bool:
    if isinstance(wanted, dt.date):
        wanted = excel_serial(wanted, epoch)
    if isinstance(wanted, bool) or isinstance(existing, bool):
        return type(wanted) is type(existing) and wanted == existing
    if isinstance(wanted, int | float):
        return isinstance(existing, float) and float(wanted) == existing
    return isinstance(existing, str) and existing == str(wanted)


class RowWriter:
    """Rewrites managed cells row by row; collects output chunks and counts."""

    def __init__(
        self,
        split: SheetSplit,
        targets: list[Target],
        *,
        header_row: int,
        header_style: int | None,
        epoch: dt.date,
        date_xf: Callable[[str], int],
        date_styles: set[int],
        strings: Callable[[], list[str]],
        sheet: str,
        last_row: int | None = None,
    ):
        self.split, self.body = split, split.body
        # output chunks are views of the rows kept as they were, not copies of them (a 100k-row
        # sheet part is ~120 MB: copied, it was held twice until the part was joined)
        self.view = memoryview(split.body)
        self.scanner = RowScanner(split.prefix)
        self.by_col = {t.col: t for t in targets}
        self.refs = {t.col: b'r="' + col_letter(t.col).encode() for t in targets}
        self.letters = {t.col: col_letter(t.col) for t in targets}
        self.min_col = min(self.by_col, default=0)
        self.sorted_cols = sorted(self.by_col)
        self.values_by_col = [
            (c, self.by_col[c].values) for c in self.sorted_cols if not self.by_col[c].editable
        ]
        self.letters_b = {c: letter.encode() for c, letter in self.letters.items()}
        self.header_row, self.header_style = header_row, header_style
        self.epoch, self.date_xf, self.date_styles = epoch, date_xf, date_styles
        # a date column repeats a few days over 100k rows: encode each day once
        self._date_tails: dict[dt.date, bytes] = {}
        self.strings, self.sheet = strings, sheet
        self.last_row = last_row  # end of the contacts block (a table's last data row)
        self.changed = 0
        self.last_value_row = 0

    def wanted(self, num: int) -> dict[int, CellValue]:
        """Managed values of sheet row `num` (header texts of new columns on the header row)."""
        if num == self.header_row:
            return {t.col: t.header for t in self.by_col.values() if t.write_header}
        if self.last_row is not None and num > self.last_row:
            return {}  # a totals row or rows under the key's table: never contacts
        i = num - self.header_row - 1
        return {c: (v[i] if i < len(v) else None) for c, v in self.values_by_col}

    def encode(self, col: int, num: int, value: CellValue, style: int | None) -> bytes:
        """The cell XML for `value` at (col, num), keeping `style` unless a date needs one."""
        xml = self._encode(col, num, value, style)
        if self.split.prefix:  # a sheet written as <x:worksheet xmlns:x=...>: prefix ours too
            xml = _UNPREFIXED.sub(b"\\1" + self.split.prefix, xml)
        return xml

    def _encode(self, col: int, num: int, value: CellValue, style: int | None) -> bytes:
        cls = value.__class__
        if style is None and cls is dt.date:
            tail = self._date_tails.get(value)  # type: ignore[arg-type]
            if tail is None:
                xml = cell_xml(
                    "A1", value, style=None, epoch=self.epoch, date_style=self.date_xf("date")
                )
                tail = self._date_tails[value] = xml.encode()[len(b'<c r="A1"') :]  # type: ignore[index]
            return b'<c r="%s%d"%s' % (self.letters_b[col], num, tail)
        if style is None and (cls is str or cls is float or cls is int):
            # fast paths for the commonest cells (700k of them on a 100k-row sheet)
            letter = self.letters_b[col]
            if cls is int:  # a bool is not `int` here: it keeps its own t="b" encoding
                return b'<c r="%s%d"><v>%d</v></c>' % (letter, num, value)
            if cls is float and value == value and abs(value) < 1e15:
                text = b"%d" % value if value.is_integer() else repr(value).encode()
                return b'<c r="%s%d"><v>%s</v></c>' % (letter, num, text)
            if (
                cls is str
                and value
                and _PLAIN.fullmatch(value)
                and not (value[0].isspace() or value[-1].isspace())
            ):
                return b'<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>' % (
                    letter,
                    num,
                    value.encode(),
                )
        date_style = None
        if isinstance(value, dt.date):
            if style is not None and style in self.date_styles:
                date_style = style
            else:
                date_style = self.date_xf("datetime" if isinstance(value, dt.datetime) else "date")
        ref = f"{self.letters[col]}{num}"
        return cell_xml(ref, value, style=style, epoch=self.epoch, date_style=date_style).encode()

    def new_row(self, num: int) -> bytes:
        """A whole new <row> for a sheet row that has no element yet."""
        cells = []
        style = self.header_style if num == self.header_row else None
        for col, value in sorted(self.wanted(num).items()):
            if not is_blank(value):
                cells.append(self.encode(col, num, value, style))
                self.changed += 1
                self.last_value_row = max(self.last_value_row, num)
        p = self.split.prefix
        return b'<%srow r="%d">' % (p, num) + b"".join(cells) + b"</" + p + b"row>"

    def _locate(self, start: int, end: int, num: int, cols: list[int], last_col: int) -> _Row:
        body, sc = self.body, self.scanner
        tag = sc.row_start.match(body, start, end)
        assert tag is not None
        self_closing = tag.group(1).endswith(b"/")
        tag_end = tag.end()
        if self_closing:
            return _Row(start, tag_end, True, tag_end - 2, {}, dict.fromkeys(cols, tag_end - 2))
        close = body.rfind(sc.row_end, tag_end, end)
        row = _Row(start, tag_end, False, close, {}, {})
        if last_col < 0:
            return self._slow(row, num, cols)
        for col in cols:
            if col > last_col:
                row.insert[col] = close
                continue
            needle = self.refs[col] + b'%d"' % num
            pos = body.find(needle, tag_end, close)
            ts = body.rfind(b"<", tag_end, pos) if pos > 0 else -1
            if (
                pos < 0
                or body[pos - 1 : pos] not in _WS
                or not body.startswith(sc.open, ts)
                or b">" in body[ts:pos]
            ):
                return self._slow(row, num, cols)
            cell = sc.cell_at(body, ts, close)
            if cell is None:
                return self._slow(row, num, cols)
            row.present[col] = cell
        return row

    def _append(
        self, start: int, close: int, num: int, wanted: dict, out: list[bytes | memoryview], at: int
    ) -> int:
        """Add the managed cells after the last cell of the row (no cell needs parsing)."""
        style = self.header_style if num == self.header_row else None
        cells = []
        fast = style is None and not self.split.prefix
        for col in self.sorted_cols:
            value = wanted.get(col)
            if value is None:
                continue
            cls = value.__class__
            if fast and cls is int:
                cells.append(b'<c r="%s%d"><v>%d</v></c>' % (self.letters_b[col], num, value))
            elif fast and cls is float and value == value and abs(value) < 1e15:
                text = b"%d" % value if value.is_integer() else repr(value).encode()
                cells.append(b'<c r="%s%d"><v>%s</v></c>' % (self.letters_b[col], num, text))
            elif not is_blank(value):
                cells.append(self.encode(col, num, value, style))
        if not cells:
            return at
        self.changed += len(cells)
        self.last_value_row = num
        body = self.body
        tag_end = body.index(b">", start) + 1
        view = self.view
        out += [view[at:start], _SPANS.sub(b"", body[start:tag_end]), view[tag_end:close]]
        out.append(b"".join(cells))
        return close

    def _slow(self, row: _Row, num: int, cols: list[int]) -> _Row:
        """Parse every cell of the row (cells without references, or a managed gap)."""
        seg = self.body[row.tag_end : row.close]
        cells = [(c, s + row.tag_end, e + row.tag_end, a) for c, s, e, a in self.scanner.cells(seg)]
        row.present, row.insert = {}, {}
        if any(_R_ATTR.search(a) is None for *_, a in cells):
            row.rebuild = cells
        for col in cols:
            found = next((c for c in cells if c[0] == col), None)
            if found is not None:
                row.present[col] = (found[1], found[2], found[3])
            else:
                row.insert[col] = next((s for c, s, _, _ in cells if c > col), row.close)
        return row

    def edit_row(
        self, start: int, end: int, num: int, last_col: int, out: list[bytes | memoryview], at: int
    ) -> int:
        """Append the (possibly) rewritten row to `out`; returns the new copy position."""
        wanted = self.wanted(num)
        if not wanted:
            return at
        body = self.body
        if 0 <= last_col < self.min_col:
            close = body.rfind(self.scanner.row_end, start, end)
            if close > 0:  # the common case: every managed cell goes after the user's cells
                return self._append(start, close, num, wanted, out, at)
        row = self._locate(start, end, num, sorted(wanted), last_col)
        splices: list[tuple[int, int, int, bytes]] = []  # (pos, col, end, bytes)
        for col, value in wanted.items():
            target = self.by_col[col]
            if col in row.insert:
                if not is_blank(value):
                    style = self.header_style if num == self.header_row else None
                    new = self.encode(col, num, value, style)
                    splices.append((row.insert[col], col, row.insert[col], new))
                    self.last_value_row = max(self.last_value_row, num)
                continue
            cs, ce, attrs = row.present[col]
            raw = body[cs:ce]
            s = _S_ATTR.search(attrs)
            style = int(s.group(1)) if s else None
            has_formula = self.scanner.formula.search(raw) is not None
            if (
                not has_formula
                and not is_blank(value)
                and raw == self.encode(col, num, value, style)
            ):
                self.last_value_row = max(self.last_value_row, num)
                continue
            existing = None if has_formula else self.scanner.parse(raw, attrs, self.strings)
            if has_formula or (not target.ours and num > self.header_row and existing is not None):
                what = "a formula" if has_formula else f"the value {existing!r}"
                ref = f"{col_letter(col)}{num}"
                raise SpreadsheetError(
                    f"cell {ref} of tab {self.sheet!r} holds {what}, but column "
                    f"{col_letter(col)} is sheetfunnel's column {target.header!r}; sheetfunnel "
                    "never overwrites a user's cell. Move that content or pin the column "
                    "elsewhere, then retry.",
                    sheet=self.sheet,
                )
            if is_blank(value):
                if existing is None:
                    continue
                ref = f"{col_letter(col)}{num}"
                p = self.split.prefix
                empty = b'<%sc r="%s" s="%d"/>' % (p, ref.encode(), style) if style else b""
                splices.append((cs, col, ce, empty))
                continue
            self.last_value_row = max(self.last_value_row, num)
            keeps_style = not isinstance(value, dt.date) or style in self.date_styles
            if existing is not None and keeps_style and _same(existing, value, self.epoch):
                continue
            splices.append((cs, col, ce, self.encode(col, num, value, style)))
        if not splices:
            return at
        self.changed += len(splices)
        tag = _SPANS.sub(b"", body[row.tag_start : row.tag_end])
        if row.rebuild is not None:
            return self._rebuild(row, num, splices, tag, out, at)
        splices.sort()
        if row.self_closing:
            cells = b"".join(new for *_, new in splices)
            out += [self.view[at : row.tag_start], tag[:-2].rstrip(b"/ ") + b">", cells]
            out.append(self.scanner.row_end)
            return row.tag_end
        out += [self.view[at : row.tag_start], tag]
        pos = row.tag_end
        for s_pos, _, s_end, new in splices:
            out += [self.view[pos:s_pos], new]
            pos = s_end
        return pos

    def _rebuild(self, row, num, splices, tag, out, at) -> int:
        """Rewrite a row whose cells lack references: every cell gets an explicit one."""
        body = self.body
        replaced = {col: new for _, col, _, new in splices}
        cells = [(c, body[s:e]) for c, s, e, _ in row.rebuild or [] if c not in replaced]
        cells += [(c, new) for c, new in replaced.items() if new]
        cells.sort(key=lambda item: item[0])
        out += [self.view[at : row.tag_start], tag]
        out += [_with_ref(xml, col, num) for col, xml in cells]
        return row.close


def _with_ref(xml: bytes, col: int, num: int) -> bytes:
    """A cell element with an explicit r attribute (cells after an inserted one need it)."""
    if _R_ATTR.search(xml[: xml.index(b">")]):
        return xml
    ref = b' r="%s%d"' % (col_letter(col).encode(), num)
    return re.sub(rb"^(<[\w:]*c)\b", lambda m: m.group(1) + ref, xml)


def rewrite_rows(
    writer: RowWriter, rows: list[tuple[int, int, int, int]], dirty: set[int] | None
) -> PassResult:
    """New <sheetData> content; rows not in `dirty` (when given) are copied untouched."""
    view = writer.view
    header_row = writer.header_row
    present = {row[0] for row in rows}
    needed = set()
    if any(t.write_header for t in writer.by_col.values()):
        needed.add(header_row)
    longest = max((len(t.values) for t in writer.by_col.values()), default=0)
    if writer.last_row is not None:
        longest = min(longest, writer.last_row - header_row)
    for i in range(longest):
        if header_row + 1 + i in present:
            continue
        if any(i < len(t.values) and not is_blank(t.values[i]) for t in writer.by_col.values()):
            needed.add(header_row + 1 + i)
    missing = sorted(needed - present)
    out: list[bytes | memoryview] = []
    at = 0
    mi = 0
    for num, start, end, last_col in rows:
        while mi < len(missing) and missing[mi] < num:
            out.append(view[at:start])
            at = start
            out.append(writer.new_row(missing[mi]))
            mi += 1
        if num < header_row or (dirty is not None and num != header_row and num not in dirty):
            continue
        if writer.last_row is not None and num > writer.last_row:
            continue
        at = writer.edit_row(start, end, num, last_col, out, at)
    out.append(view[at:])
    out += [writer.new_row(n) for n in missing[mi:]]
    max_col = max(writer.by_col, default=0)
    return PassResult(out, writer.changed, writer.last_value_row, max_col)


def _equalish(have: CellValue, want: CellValue) -> bool:
    """Whether a value as calamine read it already is the value the plan wants."""
    if is_blank(want):
        return is_blank(have)
    if isinstance(want, bool) or isinstance(have, bool):
        return type(want) is type(have) and want == have
    if isinstance(want, dt.date):
        return type(want) is type(have) and want == have
    if isinstance(want, int | float):
        return isinstance(have, float) and have == float(want)
    return isinstance(have, str) and have == str(want)


def _maybe_differ(have: np.ndarray, want: np.ndarray) -> Iterable[int]:
    """Positions where a read cell is not plainly the planned one (same type, equal): only
    those need `_equalish`. Compared a column at a time by numpy (1M cells of a no-op sync
    of 100k contacts: 0.17 s one by one)."""
    try:
        equal = np.asarray(have == want, dtype=bool)
    except (TypeError, ValueError):  # a cell whose == is not a plain bool: look at each
        return range(len(have))
    kind = np.frompyfunc(type, 1, 1)
    same = equal & np.asarray(kind(have) == kind(want), dtype=bool)
    return np.flatnonzero(~same).tolist()


def dirty_rows(frame, targets: list[Target], header_row: int) -> set[int] | None:
    """Sheet rows whose managed values differ from what was read; None means "all rows".

    The read is still valid at write time (the fingerprint is checked), so rows whose read
    values already equal the plan are copied as bytes without being looked at.
    """
    targets = [t for t in targets if not t.editable]
    if any(t.frame_name is None or t.frame_name not in frame.columns for t in targets):
        return None
    if len(frame) and frame.index[0] != header_row + 1:
        return None
    dirty: set[int] = set()
    first = header_row + 1
    for t in targets:
        have = frame[t.frame_name].to_numpy(dtype=object)
        values = t.values
        if t.kind == "number":  # the plan's whole numbers are ints, calamine's numbers floats:
            # compared as floats (as `_equalish` does) they take the cheap path below
            values = tuple(float(v) if v.__class__ is int else v for v in values)
        n = min(len(have), len(values))
        want = np.empty(len(have), dtype=object)  # None past the plan's last value
        want[:n] = values[:n]
        for i in _maybe_differ(have, want):
            if not _equalish(have[i], want[i]):
                dirty.add(first + i)
        for i in range(len(have), len(values)):
            if not is_blank(values[i]):
                dirty.add(first + i)
    return dirty
