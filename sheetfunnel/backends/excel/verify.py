"""Check a rewritten workbook before it replaces the user's file.

Two checks, run side by side (calamine releases the GIL): the contacts sheet as rewritten is
read back by calamine (from a small package on disk holding just the parts calamine needs, so
this starts as soon as the sheet is built, while the owned tabs are and the file is
assembled; a large sheet in pieces cut at row starts, one thread each), and the assembled
file is a sound zip whose written members pass their CRC, whose other written XML parts are
well-formed, and whose member list is exactly the expected one. Together they prove the final
file holds sheet bytes calamine reads whole.

calamine reads past some malformed XML (a mismatched or stray tag inside a row, an undefined
entity). Parsing the new sheet with expat as well would catch those, but expat holds the GIL:
measured +0.55 s on the first sync of 100k contacts (the 117 MB sheet), so the contacts sheet
is left to calamine and the writer's own tests.
"""

from __future__ import annotations

import threading
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

from python_calamine import CalamineWorkbook

from sheetfunnel.backends.base import WritePlan

from . import pieces
from .deflate import inflate_chunks
from .package import Package
from .pieces import Piece, cut_rows, write_mini_package
from .reader import header_text
from .safesave import scratch_file
from .writer import Outcome


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
        with zipfile.ZipFile(self.source) as zf:
            write_mini_package(Package(zf), self.sheet_part, fh, self.parts, self.piece)


def read_back(
    source: Path, plan: WritePlan, sheet_part: str, parts: Mapping[str, bytes]
) -> list[ReadBack]:
    """Start reading back the new contacts sheet (`parts[sheet_part]`), in pieces on as many
    threads as there are cores when it is large."""
    sheet = parts[sheet_part]
    count = pieces.THREADS if len(sheet) > pieces.PIECE_MIN else 1
    readers = [
        ReadBack(source, plan, sheet_part=sheet_part, parts=parts, piece=piece)
        for piece in cut_rows(sheet, pieces.even(count))
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


def xml_problem(chunks: Iterable[bytes | memoryview]) -> str | None:
    """Why the XML document made of `chunks` is not well-formed, or None (expat, no
    handlers: 0.1 s for the 18 MB state tab of 100k contacts)."""
    parser = expat.ParserCreate()
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as ex:
        return f"not well-formed XML ({ex})"
    return None


def package_problem(tmp: Path, outcome: Outcome, expected_names: set[str]) -> str | None:
    """What is wrong with the assembled zip, or None. Every XML part written (but the
    contacts sheet, which the read-back parses) must be well-formed."""
    for name, data in outcome.parts.items():
        if name != outcome.contacts_part and name.lower().endswith((".xml", ".rels")):
            problem = xml_problem([data])
            if problem is not None:
                return f"member {name} is {problem}"
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
