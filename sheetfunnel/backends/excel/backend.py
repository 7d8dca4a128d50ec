"""`ExcelBackend`: the backend contract for one .xlsx/.xlsm file."""

from __future__ import annotations

from pathlib import Path

from sheetfunnel.backends.base import SheetData, WritePlan, WriteResult

from .reader import read_workbook


class ExcelBackend:
    """Reads an Excel workbook with calamine and writes back only the parts a sync owns.

    `backup`: keep a copy of the previous version in `.sheetfunnel-backups/` beside the file.
    `force`: ignore Excel/LibreOffice lock files (for stale ones left by a crash).
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
        """Write the plan back (not implemented yet in this commit)."""
        raise NotImplementedError("Excel write-back lands in the next commit")
