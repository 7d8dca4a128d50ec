"""`ExcelBackend`: the backend contract for one .xlsx/.xlsm file."""

from __future__ import annotations

import contextlib
import zipfile
from collections.abc import Collection, Iterator
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
from lxml import etree

from sheetfunnel.backends.base import CellValue, SheetData, WritePlan, WriteResult
from sheetfunnel.backends.textlimit import EXCEL_MAX_TEXT, fit_text
from sheetfunnel.errors import BusyError, InputError, SpreadsheetError
from sheetfunnel.memory import paused_gc

from .reader import check_format, read_workbook, tab_frame
from .safesave import (
    CHANGED,
    Fingerprint,
    atomic_replace,
    changed_means_busy,
    file_state,
    fingerprint,
    remove_stale_temps,
    state_of,
)
from .verify import ReadBack, package_problem, read_back, read_back_problem
from .writer import Outcome, compute
from .zipcopy import ZipCopier, ZipTooLarge


class ExcelBackend:
    """Reads an Excel workbook with calamine and writes back only the parts a sync owns.

    `backup`: keep the previous version in `.sheetfunnel-backups/` beside the file (the last
    5 per workbook). `force`: ignore Excel/LibreOffice lock files (stale ones after a crash).
    """

    def __init__(self, path: Path, *, backup: bool = True, force: bool = False):
        self.path = Path(path)
        self.backup = backup
        self.force = force

    def read(
        self,
        contacts_tab: str,
        header_row: int = 1,
        activities_tab: str | None = None,
        activities_header_row: int = 1,
        *,
        key_header: str = "",
        log_headers: Collection[str] = (),
    ) -> SheetData:
        """The contacts block (bounded by the table holding `key_header`, if any), the
        activities tab, and the columns and tabs the workbook's markers say are ours.

        A read that fails while another program rewrites the file is BusyError, not corrupt.
        """
        # paused: ~1M row lists live here for a moment (1.1 s of full collections on 1M rows)
        with (
            damaged_xml(self.path),
            changed_means_busy(self.path, file_state(self.path)),
            paused_gc(),
        ):
            return read_workbook(
                self.path,
                contacts_tab,
                header_row,
                activities_tab,
                activities_header_row,
                key_header=key_header,
                log_headers=log_headers,
            )

    def read_tab(self, tab: str, header_row: int = 1) -> pd.DataFrame:
        """Another tab as raw cells (a lookup such as a Companies tab)."""
        with changed_means_busy(self.path, file_state(self.path)):
            check_format(self.path)
            with damaged_xml(self.path):
                return tab_frame(str(self.path), tab, header_row)

    def write(self, plan: WritePlan, data: SheetData, *, dry_run: bool = False) -> WriteResult:
        """Make the workbook hold `plan`; touch nothing when it already does.

        With `dry_run`, report what would change and write nothing. A failure while another
        program rewrites the file (its size or mtime moved since the read) is BusyError.
        """
        before = state_of(data.token) if isinstance(data.token, Fingerprint) else None
        plan, cut = fit_text(plan, EXCEL_MAX_TEXT)  # 32,767 characters per cell
        # paused: the row scan and the rewritten rows are ~10^5 short-lived containers
        with (
            changed_means_busy(self.path, before, reading=False),
            paused_gc(),
            damaged_xml(self.path),
        ):
            result = self._write(plan, data, dry_run=dry_run)
        return replace(result, notes=(*result.notes, cut)) if cut else result

    def _write(self, plan: WritePlan, data: SheetData, *, dry_run: bool) -> WriteResult:
        file = str(self.path)
        check_format(self.path)
        self._check_keys(plan, data)
        if not isinstance(data.token, Fingerprint) or fingerprint(self.path) != data.token:
            raise BusyError(CHANGED, file=file)
        rows_read = _rows_with_cells(data.contacts, plan)
        readers: list[ReadBack] = []

        def check_sheet(part: str, parts: dict[str, bytes]) -> None:
            # calamine reads the new sheet back while the owned tabs are built and the file
            # is assembled (measured on 100k contacts: the save waited 0.8 s for it after)
            readers.extend(read_back(self.path, plan, part, parts))

        try:
            outcome = compute(self.path, plan, data, on_sheet=None if dry_run else check_sheet)
            if not dry_run:
                remove_stale_temps(self.path)
            if not outcome.parts and not outcome.removed:
                return WriteResult(changed=False, details=("nothing to change",))
            result = WriteResult(
                changed=True,
                cells_written=outcome.cells,
                tabs_written=tuple(outcome.tabs),
                details=tuple(outcome.details),
            )
            if dry_run:
                return result

            def verify(tmp: Path) -> None:
                sheet = outcome.parts.get(outcome.contacts_part)
                checked = readers
                if not readers or any(
                    r.parts.get(outcome.contacts_part) is not sheet for r in readers
                ):
                    # the sheet is as it was, or (never, short of a bug) is not the one read
                    # back early: read the assembled file itself
                    checked = [ReadBack(self.path, plan, final=tmp)]
                    readers.extend(checked)
                    checked[0].start()
                problem = package_problem(tmp, outcome, self._expected_names(outcome))
                problem = problem or read_back_problem(checked, plan, rows_read)
                if problem:
                    raise SpreadsheetError(
                        f"the rewritten workbook failed its check ({problem}); the original "
                        "was not touched. Please report this with the workbook if you can.",
                        file=file,
                        sheet=plan.sheet,
                    )

            saved = atomic_replace(
                self.path,
                lambda fh: self._assemble(outcome, fh),
                verify,
                expected=data.token,
                backup=self.backup,
                force=self.force,
            )
        finally:
            for reader in readers:
                reader.join()  # a failed save leaves no read-back scratch file behind
        return WriteResult(
            changed=True,
            cells_written=result.cells_written,
            tabs_written=result.tabs_written,
            details=result.details,
            backup=str(saved.backup) if saved.backup else None,
            written=saved.written.as_text(),
        )

    def _check_keys(self, plan: WritePlan, data: SheetData) -> None:
        if not plan.key_header:
            return  # every row is a contact: the fingerprint check proves no row moved
        if plan.key_header not in data.contacts.columns:
            raise InputError(
                f"key column {plan.key_header!r} is not in tab {plan.sheet!r}",
                file=str(self.path),
                sheet=plan.sheet,
                column=plan.key_header,
            )
        if not _same_keys(data.contacts[plan.key_header].to_numpy(dtype=object), plan.keys):
            raise BusyError(CHANGED + " (the key column no longer lines up)", file=str(self.path))

    def _assemble(self, outcome: Outcome, out: BinaryIO) -> None:
        """Write the new package: untouched members copied raw, in the original order."""
        try:
            with self.path.open("rb") as src_file, zipfile.ZipFile(src_file) as src:
                copier = ZipCopier(src, src_file, out)
                done = set()
                for info in src.infolist():
                    name = info.filename
                    if name in outcome.removed:
                        continue
                    if name in outcome.parts:
                        copier.write(name, [outcome.parts[name]], date_time=info.date_time)
                        done.add(name)
                    else:
                        copier.copy(name)
                for name in sorted(set(outcome.parts) - done):
                    copier.write(name, [outcome.parts[name]])
                copier.close()
        except ZipTooLarge as ex:
            raise SpreadsheetError(
                f"{self.path.name} is too large for sheetfunnel's writer (zip64 needed for {ex})",
                file=str(self.path),
            ) from ex

    def _expected_names(self, outcome: Outcome) -> set[str]:
        with zipfile.ZipFile(self.path) as zf:
            names = {i.filename for i in zf.infolist()}
        return (names - outcome.removed) | set(outcome.parts)


@contextlib.contextmanager
def damaged_xml(path: Path) -> Iterator[None]:
    """An XML part lxml cannot parse (the workbook, a sheet's frame, styles, rels) is a
    damaged file, not a bug of ours: say so, and what to do."""
    try:
        yield
    except etree.XMLSyntaxError as ex:
        raise SpreadsheetError(
            f"{path.name} has a damaged part (its XML does not parse: {ex.msg}); open it in "
            "Excel or LibreOffice, save it, and retry. Nothing was written.",
            file=str(path),
        ) from ex


def _rows_with_cells(contacts: pd.DataFrame, plan: WritePlan) -> int:
    """Rows from the header down to the last one holding a cell (a table's empty rows are
    part of the block but not of the used range calamine reads back)."""
    # each column is looked at only below the last cell found so far: once a column holds
    # a cell in the last row the rest cost nothing (0.05 s on 100k rows x 22 columns)
    found = 0
    for _, column in contacts.items():
        filled = np.flatnonzero(pd.notna(column.to_numpy()[found:]))
        if len(filled):
            found += int(filled[-1]) + 1
    last = int(contacts.index[found - 1]) if found else 0
    return max(last, plan.header_row) - plan.header_row


def _same_keys(read: np.ndarray, keys: tuple[CellValue, ...]) -> bool:
    """Whether the key cells read and the plan's keys agree row by row, blanks (None, NaN,
    "") being one: compared a column at a time (a cell at a time cost 0.09 s on 100k)."""
    if len(read) != len(keys):
        return False
    planned = np.empty(len(keys), dtype=object)
    planned[:] = keys
    blank_read, blank_plan = _blanks(read), _blanks(planned)
    if not np.array_equal(blank_read, blank_plan):
        return False
    filled = ~blank_read
    return bool(np.all(read[filled] == planned[filled]))


def _blanks(values: np.ndarray) -> np.ndarray:
    blank = np.asarray(pd.isna(values), dtype=bool)
    text = ~blank
    blank[text] = values[text] == ""
    return blank
