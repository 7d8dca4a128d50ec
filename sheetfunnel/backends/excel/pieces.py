"""A large sheet part parsed by calamine on several threads, one piece of its rows each.

calamine parses a sheet on one thread: 2.3 s for the 255 MB log of 1M activities, 1.2 s for
the 117 MB contacts sheet of 100k contacts, each the longest step of its phase. Cut at row
starts, every piece keeps the part's own head and tail, so each is a worksheet of its own
(in a small package beside the workbook holding just what calamine needs to read it): the
pieces parse whole exactly when the part does, and their cells are the part's cells.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import BinaryIO

from python_calamine import CalamineError, CalamineWorkbook

from sheetfunnel.errors import SpreadsheetError

from .errorcells import errors_in
from .package import REL_SHARED_STRINGS, REL_STYLES, Package, rels_path
from .packedit import CONTENT_TYPES
from .safesave import scratch_file
from .sheet import sheet_data_span

__all__ = [
    "PIECE_MIN",
    "THREADS",
    "CutTab",
    "Piece",
    "cut_rows",
    "even",
    "stitch",
    "write_mini_package",
]

#: A sheet part past this size is parsed in pieces (below it the threads cost more than
#: they save).
PIECE_MIN = 8 << 20


def _cores() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


#: Pieces of one part: one per core, at most four.
THREADS = min(_cores(), 4)


@dataclass(frozen=True)
class Piece:
    """A sheet part as one thread reads it: its bytes up to `head_end` (through the
    <sheetData> tag), the rows in `lo:hi`, and its bytes from `tail_start` on."""

    head_end: int
    lo: int
    hi: int
    tail_start: int

    def spans(self) -> tuple[slice, ...]:
        """The slices of the sheet part this piece is made of."""
        return slice(0, self.head_end), slice(self.lo, self.hi), slice(self.tail_start, None)


def cut_rows(sheet: bytes, shares: Sequence[float]) -> list[Piece]:
    """`sheet` (a worksheet part) as up to `len(shares)` pieces cut at row starts, each
    holding about its share of the bytes of rows; one piece (the whole part) when it has no
    <sheetData> to cut.

    Every byte of the rows is in exactly one piece and each piece has the part's own head
    and tail.
    """
    span = sheet_data_span(sheet)
    if len(shares) < 2 or span is None or span.empty:
        return [Piece(0, 0, len(sheet), len(sheet))]
    row = re.compile(rb"<" + re.escape(span.prefix) + rb"row\b")
    cuts = [span.rows_start]
    body, total, done = span.rows_end - span.rows_start, sum(shares), 0.0
    for share in shares[:-1]:
        done += share
        at = span.rows_start + int(body * done / total)
        found = row.search(sheet, max(at, cuts[-1] + 1), span.rows_end)
        if found is None:
            break
        cuts.append(found.start())
    cuts.append(span.rows_end)
    return [Piece(span.rows_start, lo, hi, span.rows_end) for lo, hi in pairwise(cuts)]


def even(count: int) -> list[float]:
    """`count` equal shares."""
    return [1.0 / count] * count


def write_mini_package(
    pkg: Package,
    sheet_part: str,
    fh: BinaryIO,
    replaced: Mapping[str, bytes] | None = None,
    piece: Piece | None = None,
) -> None:
    """Into `fh`, a package of just the parts calamine needs to read `sheet_part` of `pkg`
    (the workbook, its rels, styles and shared strings), members in `replaced` taking the
    place of the package's own and the sheet cut to `piece` when given. Stored, not
    deflated: it is read once, at once."""
    replaced = replaced or {}
    sheet_part = pkg.find(sheet_part) or sheet_part
    wb = pkg.workbook_part() or "xl/workbook.xml"
    names = [CONTENT_TYPES, "_rels/.rels", wb, rels_path(wb), sheet_part]
    names += [
        r.part
        for r in pkg.relationships(wb)
        if r.part and r.type in (REL_STYLES, REL_SHARED_STRINGS)
    ]
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as out:
        for name in dict.fromkeys(pkg.find(n) or n for n in names):
            data = replaced[name] if name in replaced else pkg.read(name, keep=name != sheet_part)
            if data is None:
                continue
            if name != sheet_part or piece is None:
                out.writestr(name, data)
                continue
            view = memoryview(data)
            with out.open(name, "w") as member:
                for span in piece.spans():
                    member.write(view[span])


class CutTab:
    """A tab's sheet part cut at row starts into small stored packages beside the workbook
    (scratch files, gone on `close`), each to be parsed on a thread of its own; and the
    error cells of the whole part, found on the way."""

    def __init__(self, file: str, part: str, tab: str, shares: Sequence[float]):
        """Cut `part` (tab `tab`) of the workbook at `file` by `shares` of its rows' bytes.
        `paths` is empty when it has no rows to cut or there is no room beside the workbook
        for the pieces: then read it whole."""
        self.tab = tab
        self.errors: dict[tuple[int, int], str] = {}
        self.paths: list[Path] = []
        self._stack = contextlib.ExitStack()
        with zipfile.ZipFile(file) as zf:
            pkg = Package(zf)
            xml = pkg.read(part, keep=False) or b""
            pieces = cut_rows(xml, shares)
            if len(pieces) < 2:
                return
            self.errors = errors_in(xml)
            try:
                for piece in pieces:
                    path, fh = self._stack.enter_context(scratch_file(Path(file)))
                    write_mini_package(pkg, part, fh, {part: xml}, piece)
                    fh.flush()
                    self.paths.append(path)
            except OSError:
                self.close()  # no room beside the workbook for the pieces: read it whole
                self.paths = []

    def parse(self, i: int, turn: threading.Event | None = None) -> Parsed:
        """Piece `i` as calamine reads it: ((first row, first column), rows). Piece 0 starts
        at A1, a later one at its first cell (the rows before it are not made twice). With
        `turn`, its rows are made into Python objects only once `turn` is set."""
        try:
            wb = CalamineWorkbook.from_path(str(self.paths[i]))
            try:
                sheet = wb.get_sheet_by_name(self.tab)
                if turn is not None:
                    turn.wait()
                rows = sheet.to_python(skip_empty_area=i > 0)
                start = sheet.start if i > 0 and sheet.start is not None else (0, 0)
                del sheet  # calamine's cells, as big again as the rows
            finally:
                wb.close()
        except CalamineError as ex:
            raise SpreadsheetError(f"cannot read tab {self.tab!r}: {ex}", sheet=self.tab) from ex
        return (start[0], start[1]), rows

    def close(self) -> None:
        """Remove the pieces' scratch files."""
        self._stack.close()


#: A piece as parsed: ((first row, first column), rows), 0-based.
Parsed = tuple[tuple[int, int], list[list]]


def stitch(parsed: Sequence[Parsed]) -> list[list] | None:
    """The rows of the whole tab from A1, from its pieces in order (blank rows between them
    filled in, each row where calamine would put it); None when the pieces' rows overlap
    (rows out of order in the part: where each belongs is calamine's call, read it whole)."""
    rows: list[list] = []
    for (top, left), piece_rows in parsed:
        if top < len(rows):
            return None
        rows.extend([] for _ in range(top - len(rows)))
        rows.extend([[""] * left + r for r in piece_rows] if left else piece_rows)
    return rows
