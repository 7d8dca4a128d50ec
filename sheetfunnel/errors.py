"""Every error sheetfunnel raises on purpose derives from `SheetfunnelError`.

Each category carries the process exit code the CLI uses for it, so a cron user can tell
"fix your config" from "the workbook is open, try again later". The codes are documented in
the README; `cli.py` is the only place that turns these into messages and exits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class SheetfunnelError(Exception):
    """Root of every error a user can cause or fix; the message says what to do."""

    exit_code = 1


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in a config file: where (dotted key path), what is wrong, what is allowed."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}" if self.key else self.message


class ConfigError(SheetfunnelError):
    """The configuration is invalid; lists every problem at once."""

    exit_code = 3

    def __init__(self, problems: Sequence[ConfigProblem], *, file: Path | str | None = None):
        self.problems = tuple(problems)
        self.file = str(file) if file is not None else None
        where = f" in {self.file}" if self.file else ""
        count = len(self.problems)
        lines = [f"{count} problem{'s' if count != 1 else ''}{where}:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class InputError(SheetfunnelError):
    """The data cannot be used as it is: a missing file, column or tab, an unreadable value."""

    exit_code = 4

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        sheet: str | None = None,
        column: str | None = None,
        row: int | None = None,
    ):
        self.file, self.sheet, self.column, self.row = file, sheet, column, row
        super().__init__(message)


class MissingColumnsError(InputError):
    """Headers the config names are not in a tab's header row. `headers`: the missing ones;
    `header_key`: the config key of that tab's header row (for a "set header_row" hint)."""

    def __init__(
        self,
        message: str,
        *,
        headers: Sequence[str],
        header_key: str,
        file: str | None = None,
        sheet: str | None = None,
    ):
        self.headers, self.header_key = tuple(headers), header_key
        super().__init__(message, file=file, sheet=sheet)


class SpreadsheetError(SheetfunnelError):
    """The spreadsheet itself cannot be read or written (corrupt, encrypted, wrong format,
    no permission, disk full). Nothing was written."""

    exit_code = 5

    def __init__(self, message: str, *, file: str | None = None, sheet: str | None = None):
        self.file, self.sheet = file, sheet
        super().__init__(message)


class BusyError(SheetfunnelError):
    """Someone else holds the spreadsheet right now (open in Excel, another sync running, or it
    changed while we worked). Nothing was written; retrying later is the fix."""

    exit_code = 6

    def __init__(self, message: str, *, file: str | None = None):
        self.file = file
        super().__init__(message)


class RemoteError(SheetfunnelError):
    """Google Sheets (or the network) refused or failed the request."""

    exit_code = 7

    def __init__(self, message: str, *, status: int | None = None, key: str | None = None):
        self.status, self.key = status, key
        super().__init__(message)


#: Exit code of a run that wrote its results but left out more than half of the activity
#: log (names matching no activity type): the results mislead until the names are mapped.
MOSTLY_UNMATCHED_EXIT = 8

EXIT_CODES: dict[int, str] = {
    0: "success (also: nothing changed)",
    1: "internal error (a bug: please report it with the output of -v)",
    2: "command-line usage error",
    ConfigError.exit_code: "configuration error",
    InputError.exit_code: "input data error (missing file, tab or column, unreadable values)",
    SpreadsheetError.exit_code: "spreadsheet cannot be read or written (corrupt, encrypted, "
    "unsupported format, no permission, disk full)",
    BusyError.exit_code: "spreadsheet busy (open in Excel/LibreOffice, another sync running, "
    "changed during the sync): retry later",
    RemoteError.exit_code: "Google Sheets API or network error",
    MOSTLY_UNMATCHED_EXIT: "done and written, but more than half of the activity log matched "
    "no activity type (see the table): map those names",
}
