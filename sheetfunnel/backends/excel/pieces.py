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
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
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

__all__ = ["PIECE_MIN", "THREADS", "Piece", "cut_rows", "read_in_pieces", "write_mini_package"]

#: A sheet part past this size is parsed in pieces (below it the threads cost more than
#: they save).
PIECE_MIN = 8 << 20
#: Pieces of one part: one per core, at most four.
THREADS = min(os.cpu_count() or 1, 4)

_SHEET_DATA = re.compile(rb"<([A-Za-z_][\w.-]*:)?sheetData\s*(/?)>")


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


def cut_rows(sheet: bytes, count: int) -> list[Piece]:
    """`sheet` (a worksheet part) as up to `count` pieces cut at row starts, each holding
    about as many bytes of rows; one piece (the whole part) when it has no <sheetData> to cut.

    Every byte of the rows is in exactly one piece and each piece has the part's own head
    and tail.
    """
    whole = [Piece(0, 0, len(sheet), len(sheet))]
    opened = _SHEET_DATA.search(sheet)
    if count < 2 or opened is None or opened.group(2):
        return whole
    prefix = opened.group(1) or b""
    closing = sheet.rfind(b"</" + prefix + b"sheetData>")
    if closing < opened.end():
        return whole
    row = re.compile(rb"<" + re.escape(prefix) + rb"row\b")
    cuts = [opened.end()]
    step = (closing - opened.end()) // count
    for i in range(1, count):
        found = row.search(sheet, max(opened.end() + i * step, cuts[-1] + 1), closing)
        if found is None:
            break
        cuts.append(found.start())
    cuts.append(closing)
    return [Piece(opened.end(), lo, hi, closing) for lo, hi in pairwise(cuts)]


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


def read_in_pieces(
    file: str, part: str, tab: str, turn: threading.Event | None = None
) -> tuple[list[list], dict[tuple[int, int], str]] | None:
    """The rows of tab `tab` (its sheet part `part`) from A1 as calamine reads them, parsed
    in pieces on `THREADS` threads, and its error cells; None when the part has no rows to
    cut or its rows are out of order (then read it whole). With `turn`, the rows are made
    into Python objects only once `turn` is set, as in the reader."""
    with zipfile.ZipFile(file) as zf:
        pkg = Package(zf)
        xml = pkg.read(part, keep=False) or b""
        cut = cut_rows(xml, THREADS)
        if len(cut) < 2:
            return None
        errors = errors_in(xml)
        with contextlib.ExitStack() as stack:
            try:
                scratch = [stack.enter_context(scratch_file(Path(file))) for _ in cut]
                for (_, fh), piece in zip(scratch, cut, strict=True):
                    write_mini_package(pkg, part, fh, {part: xml}, piece)
                    fh.flush()
            except OSError:
                return None  # no room beside the workbook for the pieces: read it whole
            del xml
            with ThreadPoolExecutor(max_workers=len(cut)) as pool:
                parsed = list(
                    pool.map(
                        lambda i: _parse_piece(scratch[i][0], tab, i > 0, turn), range(len(cut))
                    )
                )
    rows: list[list] = []
    for (top, left), piece_rows in parsed:
        if top < len(rows):
            return None  # rows out of order: where each belongs is calamine's call, whole
        rows.extend([] for _ in range(top - len(rows)))
        rows.extend([[""] * left + r for r in piece_rows] if left else piece_rows)
    return rows, errors


def _parse_piece(
    path: Path, tab: str, skip_top: bool, turn: threading.Event | None
) -> tuple[tuple[int, int], list[list]]:
    """((first row, first column), rows) of a piece; a later piece starts at its first cell,
    not at A1 (the rows of the pieces before it are not made twice)."""
    try:
        wb = CalamineWorkbook.from_path(str(path))
        try:
            sheet = wb.get_sheet_by_name(tab)
            if turn is not None:
                turn.wait()
            rows = sheet.to_python(skip_empty_area=skip_top)
            start = sheet.start if skip_top and sheet.start is not None else (0, 0)
            del sheet
        finally:
            wb.close()
    except CalamineError as ex:
        raise SpreadsheetError(f"cannot read tab {tab!r}: {ex}", sheet=tab) from ex
    return (start[0], start[1]), rows
