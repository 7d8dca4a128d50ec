"""`ExcelBackend`: the backend contract for one .xlsx/.xlsm file."""

from __future__ import annotations

import threading
import zipfile
from pathlib import Path
from typing import BinaryIO

from python_calamine import CalamineError, CalamineWorkbook

from sheetfunnel.backends.base import SheetData, WritePlan, WriteResult
from sheetfunnel.errors import BusyError, InputError, SpreadsheetError

from .cells import is_blank
from .package import Package
from .reader import check_format, header_text, read_workbook
from .safesave import Fingerprint, atomic_replace, fingerprint, remove_stale_temps
from .writer import Outcome, compute
from .zipcopy import ZipCopier, ZipTooLarge

CHANGED = "the workbook changed during the sync; nothing was written"


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
        header_row: int,
        activities_tab: str | None,
        activities_header_row: int,
        owned_tabs: tuple[str, ...],
    ) -> SheetData:
        """Raw cells of the contacts and activities tabs and the owned tabs that exist."""
        return read_workbook(
            self.path, contacts_tab, header_row, activities_tab, activities_header_row, owned_tabs
        )

    def write(self, plan: WritePlan, data: SheetData, *, dry_run: bool = False) -> WriteResult:
        """Make the workbook hold `plan`; touch nothing when it already does.

        With `dry_run`, report what would change and write nothing.
        """
        file = str(self.path)
        check_format(self.path)
        self._check_keys(plan, data)
        if not isinstance(data.token, Fingerprint) or fingerprint(self.path) != data.token:
            raise BusyError(CHANGED, file=file)
        outcome = compute(self.path, plan, data)
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
        kept = atomic_replace(
            self.path,
            lambda fh: self._assemble(outcome, fh),
            lambda tmp: self._verify(tmp, plan, outcome, len(data.contacts)),
            expected=data.token,
            backup=self.backup,
            force=self.force,
        )
        return WriteResult(
            changed=True,
            cells_written=result.cells_written,
            tabs_written=result.tabs_written,
            details=result.details,
            backup=str(kept) if kept else None,
        )

    def _check_keys(self, plan: WritePlan, data: SheetData) -> None:
        if plan.key_header not in data.contacts.columns:
            raise InputError(
                f"key column {plan.key_header!r} is not in tab {plan.sheet!r}",
                file=str(self.path),
                sheet=plan.sheet,
                column=plan.key_header,
            )
        read = tuple(None if is_blank(v) else v for v in data.contacts[plan.key_header])
        keys = tuple(None if is_blank(v) else v for v in plan.keys)
        if read != keys:
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

    def _verify(self, tmp: Path, plan: WritePlan, outcome: Outcome, rows_read: int) -> None:
        """The new file is a sound zip whose contacts tab calamine reads back whole."""
        problem = None
        read_back: dict[str, object] = {}

        def calamine_read() -> None:
            # calamine releases the GIL: this runs alongside the zip checks below
            try:
                wb = CalamineWorkbook.from_path(str(tmp))
                try:
                    sheet = wb.get_sheet_by_name(plan.sheet)
                    read_back["rows"] = sheet.to_python(skip_empty_area=False)
                finally:
                    wb.close()
            except Exception as ex:  # reported below as a failed check
                read_back["error"] = ex

        reader = threading.Thread(target=calamine_read, daemon=True)
        reader.start()
        try:
            with zipfile.ZipFile(tmp) as zf:
                pkg = Package(zf)
                wb_part = pkg.workbook_part()
                # CRC-test what was written; raw-copied members are the original's own bytes
                bad = next((n for n in outcome.parts if _crc_bad(zf, n)), None)
                if bad is not None:
                    problem = f"member {bad} is corrupt"
                elif {i.filename for i in zf.infolist()} != self._expected_names(outcome):
                    problem = "members missing or extra"
                elif wb_part is None or pkg.find(wb_part) is None:
                    problem = "workbook part missing"
            reader.join()
            if problem is None and "error" in read_back:
                problem = f"calamine cannot read it back: {read_back['error']}"
            if problem is None:
                rows = read_back["rows"]
                assert isinstance(rows, list)
                header = {header_text(v) for v in rows[plan.header_row - 1]} if rows else set()
                missing = [c.header for c in plan.columns if c.header not in header]
                if missing:
                    problem = f"managed headers {missing} not found when read back"
                elif len(rows) - plan.header_row < rows_read:
                    problem = f"{rows_read} rows were read but only {len(rows)} came back"
        except (zipfile.BadZipFile, CalamineError, OSError, IndexError) as ex:
            problem = str(ex)
        if problem:
            raise SpreadsheetError(
                f"the rewritten workbook failed its check ({problem}); the original was not "
                "touched. Please report this with the workbook if you can.",
                file=str(self.path),
                sheet=plan.sheet,
            )


def _crc_bad(zf: zipfile.ZipFile, name: str) -> bool:
    """Whether member `name` fails to inflate or its CRC does not match."""
    try:
        with zf.open(name) as fh:
            while fh.read(1 << 20):
                pass
    except (zipfile.BadZipFile, KeyError, OSError, EOFError):
        return True
    return False
