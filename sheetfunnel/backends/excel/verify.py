"""Check a rewritten workbook before it replaces the user's file.

Two checks, run side by side (calamine releases the GIL): the contacts sheet as rewritten is
read back by calamine (from a small package on disk holding just the parts calamine needs,
so this starts as soon as the sheet is built, while the owned tabs are and the file is
assembled; a large sheet in pieces cut at row starts, one thread each), and the assembled
file is a sound zip whose
written members pass their CRC and whose member list is exactly the expected one. Together
they prove the final file holds sheet bytes calamine reads whole.
"""

from __future__ import annotations

import os
import re
import threading
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import BinaryIO

from python_calamine import CalamineWorkbook

from sheetfunnel.backends.base import WritePlan

from .deflate import inflate_chunks
from .package import REL_SHARED_STRINGS, REL_STYLES, Package, rels_path
from .packedit import CONTENT_TYPES
from .reader import header_text
from .safesave import scratch_file
from .writer import Outcome

#: A new sheet part past this size is read back in pieces, one per core: calamine parses a
#: sheet on one thread (1.2 s for the 117 MB part of 100k contacts, the longest step of the
#: save, which waited 1.1 s for it).
PIECE_MIN = 8 << 20
#: Threads reading back one sheet: one per core, at most four.
READERS = min(os.cpu_count() or 1, 4)


@dataclass(frozen=True)
class Piece:
    """The sheet part as read back by one thread: its bytes up to `head_end` (through the
    <sheetData> tag), the rows in `lo:hi`, and its bytes from `tail_start` on."""

    head_end: int
    lo: int
    hi: int
    tail_start: int

    def spans(self) -> tuple[slice, ...]:
        """The slices of the sheet part this piece is made of."""
        return slice(0, self.head_end), slice(self.lo, self.hi), slice(self.tail_start, None)


def cut_rows(sheet: bytes, count: int) -> list[Piece]:
    """`sheet` (a worksheet part) as `count` pieces cut at row starts, each holding about as
    many bytes of rows; one piece (the whole part) when it has no <sheetData> to cut.

    Every byte of the rows is in exactly one piece and each piece has the part's own head
    and tail, so the pieces parse whole exactly when the part does.
    """
    whole = [Piece(0, 0, len(sheet), len(sheet))]
    opened = _SHEET_DATA.search(sheet)
    if count < 2 or opened is None or opened.group(2):
        return whole
    prefix = re.escape(opened.group(1) or b"")
    closing = sheet.rfind(b"</" + (opened.group(1) or b"") + b"sheetData>")
    if closing < opened.end():
        return whole
    row = re.compile(rb"<" + prefix + rb"row\b")
    cuts = [opened.end()]
    step = (closing - opened.end()) // count
    for i in range(1, count):
        found = row.search(sheet, max(opened.end() + i * step, cuts[-1] + 1), closing)
        if found is None:
            break
        cuts.append(found.start())
    cuts.append(closing)
    return [Piece(opened.end(), lo, hi, closing) for lo, hi in pairwise(cuts)]


_SHEET_DATA = re.compile(rb"<([A-Za-z_][\w.-]*:)?sheetData\s*(/?)>")


class ReadBack(threading.Thread):
    """Reads the contacts sheet of the new package (or a piece of it) with calamine, in the
    background; `header` and `height` are what it found, `problem` what failed."""

    def __init__(
        self,
        source: Path,
        plan: WritePlan,
        *,
        sheet_part: str = "",
        parts: Mapping[str, bytes] | None = None,
        final: Path | None = None,
        piece: Piece | None = None,
    ):
        """Read `final` (an assembled file), or the original package at `source` with
        `parts` (the new contacts sheet `sheet_part`, and styles if they grew) in place, the
        sheet cut to `piece` when given."""
        super().__init__(daemon=True)
        self.source, self.plan = source, plan
        self.sheet_part, self.parts, self.final, self.piece = sheet_part, parts or {}, final, piece
        self.problem: str | None = None
        self.header: list = []
        self.height = 0

    def run(self) -> None:
        try:
            if self.final is not None:
                self._check(self.final)
            else:
                # on disk, not in memory: calamine copies a file-like whole (+260 MB for the
                # 120 MB sheet of 100k contacts) but streams a path
                with scratch_file(self.source) as (mini, fh):
                    self._write_mini_package(fh)
                    fh.flush()
                    self._check(mini)
        except Exception as ex:  # any failure to read back is a failed check
            self.problem = f"calamine cannot read it back: {ex}"

    def _check(self, package: Path) -> None:
        wb = CalamineWorkbook.from_path(str(package))
        try:
            # calamine parses the whole sheet here; only the header row becomes Python
            # objects (all 2.2M cells of a 100k-contact sheet cost 0.25 s and 200 MB)
            sheet = wb.get_sheet_by_name(self.plan.sheet)
            self.height = sheet.end[0] + 1 if sheet.end is not None else 0
            head = sheet.to_python(skip_empty_area=False, nrows=self.plan.header_row)
        finally:
            wb.close()
        self.header = head[self.plan.header_row - 1] if len(head) >= self.plan.header_row else []

    def _write_mini_package(self, fh: BinaryIO) -> None:
        """A package of just the parts calamine needs to read the new contacts sheet."""
        new = self.parts
        with zipfile.ZipFile(self.source) as zf:
            pkg = Package(zf)
            wb = pkg.workbook_part() or "xl/workbook.xml"
            names = [CONTENT_TYPES, "_rels/.rels", wb, rels_path(wb), self.sheet_part]
            names += [
                r.part
                for r in pkg.relationships(wb)
                if r.part and r.type in (REL_STYLES, REL_SHARED_STRINGS)
            ]
            with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as out:
                for name in dict.fromkeys(pkg.find(n) or n for n in names):
                    data = new[name] if name in new else pkg.read(name)
                    if data is None:
                        continue
                    if name != self.sheet_part or self.piece is None:
                        out.writestr(name, data)
                        continue
                    view = memoryview(data)
                    with out.open(name, "w") as member:
                        for span in self.piece.spans():
                            member.write(view[span])


def read_back(
    source: Path, plan: WritePlan, sheet_part: str, parts: Mapping[str, bytes]
) -> list[ReadBack]:
    """Start reading back the new contacts sheet (`parts[sheet_part]`), in pieces on as many
    threads as there are cores when it is large."""
    sheet = parts[sheet_part]
    count = READERS if len(sheet) > PIECE_MIN else 1
    readers = [
        ReadBack(source, plan, sheet_part=sheet_part, parts=parts, piece=piece)
        for piece in cut_rows(sheet, count)
    ]
    for reader in readers:
        reader.start()
    return readers


def read_back_problem(readers: list[ReadBack], plan: WritePlan, rows_read: int) -> str | None:
    """What the read-back of the pieces in `readers` found wrong, or None (waits for them).
    Each piece holds its own rows: the header row is what they read there together."""
    for reader in readers:
        reader.join()
    problem = next((r.problem for r in readers if r.problem), None)
    if problem:
        return problem
    header: list = []
    for reader in readers:
        for j, value in enumerate(reader.header):
            if j >= len(header):
                header.append(value)
            elif value not in ("", None):
                header[j] = value
    return _check_rows(header, max((r.height for r in readers), default=0), plan, rows_read)


def _check_rows(row: list, height: int, plan: WritePlan, rows_read: int) -> str | None:
    """What is wrong with a sheet read back whose header row is `row` and which holds
    `height` rows from row 1, or None."""
    header = {header_text(v) for v in row}
    missing = [c.header for c in plan.columns if c.header not in header]
    if missing:
        return f"managed headers {missing} not found when read back"
    if height - plan.header_row < rows_read:
        return f"{rows_read} rows were read but only {height} came back"
    return None


def package_problem(tmp: Path, outcome: Outcome, expected_names: set[str]) -> str | None:
    """What is wrong with the assembled zip, or None."""
    try:
        with zipfile.ZipFile(tmp) as zf:
            pkg = Package(zf)
            wb_part = pkg.workbook_part()
            for name in outcome.parts:  # raw-copied members are the original's own bytes
                try:
                    for _ in inflate_chunks(zf, name):
                        pass
                except (zipfile.BadZipFile, KeyError, OSError, EOFError):
                    return f"member {name} is corrupt"
            if {i.filename for i in zf.infolist()} != expected_names:
                return "members missing or extra"
            if wb_part is None or pkg.find(wb_part) is None:
                return "workbook part missing"
    except (zipfile.BadZipFile, OSError) as ex:
        return str(ex)
    return None
