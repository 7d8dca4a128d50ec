"""The activity log, read on a thread of its own while the main thread reads the rest.

calamine parses a tab on one thread, and the log is the longest read (2.3 s for 1M
activities). Two threads share the two cores: the log's own, and the main thread, which
reads the contacts and owned tabs and then does its share of the log: the log's error-cell
scan, or (when the log is large beside what it reads) the first piece of the log's rows, the
log's thread parsing the rest, so that both end about together. Measured on 100k contacts
and 1M activities: the first sync's read from 3.0 s to 2.4 s, the no-op's from 3.0 s to
2.7 s; three threads on two cores (the scan or a second piece in a thread of its own) made
the log's parse slower, not faster.

The log's rows are made only once the contacts are a frame (`turn`): the two tabs' rows and
calamine cells never all live at once (-170 MB at the peak on 100k contacts).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from concurrent.futures import Future
from functools import partial

import pandas as pd

from . import pieces
from .block import duplicates, header_map
from .errorcells import errors_by_tab, put_errors
from .package import REL_WORKSHEET, Package, SheetEntry
from .sheetrows import frame_from_rows, open_workbook, sheet_rows

__all__ = ["LogRead", "main_share"]

#: Below this share of the log for the main thread, cutting it costs more than it saves
#: (10k contacts' no-op sync: a share of 0.118 read 0.015 s slower than the whole log).
MIN_SHARE = 0.12
#: A byte the main thread reads first costs it this many bytes of the log's parse: its tabs
#: become a frame too, and the log's thread cuts the log first (fitted on the first and the
#: no-op sync of 100k contacts, where the two threads then end within 0.05 s).
MAIN_COST = 1.3

Errors = dict[tuple[int, int], str]


def part_size(pkg: Package, entry: SheetEntry) -> int:
    """Bytes of XML of a tab's sheet part (0 when it has none)."""
    name = pkg.find(entry.part) if entry.part else None
    return pkg.zf.getinfo(name).file_size if name else 0


def main_share(pkg: Package, log: SheetEntry | None, beside: int) -> tuple[str, float] | None:
    """(the log's sheet part, the main thread's share of its rows) when the log is to be
    parsed in two pieces: when it is large, and larger than the `beside` bytes of XML the
    main thread parses first. The share evens out the two threads' work."""
    if log is None or not log.part or log.rel_type != REL_WORKSHEET or pieces.THREADS < 2:
        return None
    size = part_size(pkg, log)
    share = (size - MAIN_COST * beside) / (2 * size) if size > pieces.PIECE_MIN else 0.0
    part = pkg.find(log.part)
    return (part, share) if part is not None and share >= MIN_SHARE else None


class LogRead:
    """The log's read, split between its own thread (`run`) and the main thread (`help`,
    once the main thread's own reads are done; `abandon` when they failed)."""

    def __init__(
        self,
        file: str,
        tab: str,
        header_row: int,
        split: tuple[str, float] | None,
        columns: Collection[str] = (),
    ):
        """Read tab `tab` (headers on `header_row`) of `file`, `split` as `main_share` says;
        `columns`: the headers the engine uses (the frame holds just those when all are
        there: 0.1 s per column left out on 1M activities)."""
        self.file, self.tab, self.header_row, self.split = file, tab, header_row, split
        self.columns = columns
        #: Set once the contacts are a frame: the log's rows may be made.
        self.turn = threading.Event()
        self._errors: Future[Errors] = Future()
        self._handoff: Future[Callable[[], pieces.Parsed] | None] = Future()
        self._first: Future[pieces.Parsed | None] = Future()

    def run(self) -> tuple[pd.DataFrame, dict[str, tuple[str, ...]]]:
        """The log as a frame and its repeated headers (in the log's thread)."""
        rows = self._in_pieces(*self.split) if self.split is not None else None
        if rows is None:
            # whole: its error cells from the main thread's scan, or scanned here when the
            # main thread was to parse a piece instead
            found = None if self.split is not None else (lambda: self._errors.result())
            wb = open_workbook(self.file)
            try:
                rows = sheet_rows(wb, self.tab, self.file, found, self.turn)
            finally:
                wb.close()
        headers = header_map(rows[self.header_row - 1] if self.header_row <= len(rows) else [])
        frame = frame_from_rows(
            rows, self.header_row, file=self.file, sheet=self.tab, only=self.columns
        )
        return frame, duplicates(headers, headers)

    def _in_pieces(self, part: str, share: float) -> list[list] | None:
        cut = None
        try:
            cut = pieces.CutTab(self.file, part, self.tab, [share, 1.0 - share])
            if not cut.paths:
                return None
            self._handoff.set_result(partial(cut.parse, 0))
            mine = cut.parse(1, self.turn)
            rows = pieces.stitch([self._first.result(), mine])
            return put_errors(rows, cut.errors) if rows is not None else None
        finally:
            if not self._handoff.done():
                self._handoff.set_result(None)  # the main thread must not wait forever
            elif cut is not None:
                self._first.exception()  # the main thread is done with its piece's file
            if cut is not None:
                cut.close()

    def help(self) -> None:
        """The main thread's share: the first piece of the log's rows, or its error scan."""
        try:
            if self.split is None:
                self._errors.set_result(errors_by_tab(self.file, [self.tab])[self.tab])
                return
            parse = self._handoff.result()
            self._first.set_result(parse() if parse is not None else None)
        except BaseException as ex:
            self.abandon(ex)
            raise

    def abandon(self, ex: BaseException) -> None:
        """The main thread failed: release the log's thread from waiting on it."""
        self.turn.set()
        for waiting in (self._errors, self._first):
            if not waiting.done():
                waiting.set_exception(ex)
