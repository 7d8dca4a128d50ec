"""Fixtures of the scenario suite: one LibreOffice and one Sheets emulator per test session,
and `new_week(kind)`, which seeds a fresh spreadsheet of either kind and wraps it in a `Week`.

Everything is session-scoped so hypothesis can build a fresh spreadsheet per example.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sheetfunnel.backends.base import EPOCH_1900, CellValue
from sheetfunnel.backends.excel import ExcelBackend
from sheetfunnel.backends.gsheets import GoogleSheetsBackend
from sheetfunnel.config import load_config
from tests.gsheets_emulator import Emulator
from tests.gsheets_emulator.fixtures import client_for, service_account_file
from tests.gsheets_emulator.scenario import fill
from tests.gsheets_emulator.state import Sheet
from tests.scenarios.editors_calc import CalcEditor, CalcSession
from tests.scenarios.editors_sheets import SheetsEditor
from tests.scenarios.harness import TARGETS, Week, seed_tables, tab_rows, write_workbook


@pytest.fixture(scope="session")
def calc() -> Iterator[CalcSession]:
    """One headless LibreOffice for the whole session, killed at the end."""
    session = CalcSession().start()
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture(scope="session")
def sheets_emulator() -> Iterator[Emulator]:
    emu = Emulator().start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture(scope="session")
def service_account(sheets_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A service-account key the emulator accepts, for `sheetfunnel sync KEY`."""
    folder = tmp_path_factory.mktemp("account")
    return service_account_file(sheets_emulator, folder, "week@project.iam.gserviceaccount.com")


def _serials(rows: list[list[CellValue]]) -> list[list[CellValue]]:
    """Dates as Google Sheets stores them: day serials."""
    return [[(v - EPOCH_1900).days if isinstance(v, dt.date) else v for v in row] for row in rows]


@pytest.fixture(scope="session")
def new_week(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str], Week]:
    """`new_week(kind)`: a freshly seeded spreadsheet, never synced yet. Kinds: "excel" (a
    plain workbook), "excel-table" (the contacts formatted as an Excel table), "sheets"."""
    contacts, activities = seed_tables()
    tabs = {"Contacts": tab_rows(contacts), "Activities": tab_rows(activities), "Targets": TARGETS}
    config = load_config()
    log = config.activities
    where = {
        "contacts_tab": config.source.contacts_tab,
        "key_header": config.columns.key,
        "activities_tab": config.source.activities_tab,
        "activity_headers": (log.contact, log.type, log.date),
    }

    def excel(table: bool = False) -> Week:
        calc: CalcSession = request.getfixturevalue("calc")
        path = tmp_path_factory.mktemp("week") / "pipeline.xlsx"
        write_workbook(path, tabs, table="Contacts" if table else None)
        kind = "excel-table" if table else "excel"
        return Week(
            editor=CalcEditor(calc, path, **where, kind=kind),
            open_backend=lambda: ExcelBackend(path, backup=False),
            config=config,
            cli_args=[str(path), "--no-backup"],
            file=path,
        )

    def sheets() -> Week:
        emu: Emulator = request.getfixturevalue("sheets_emulator")
        account: Path = request.getfixturevalue("service_account")
        key = emu.create("Pipeline")
        with emu.lock:
            book = emu.spreadsheets[key]
            book.sheets[0].title = "Contacts"
            fill(book.sheets[0], _serials(tabs["Contacts"]))
            for i, title in enumerate(("Activities", "Targets"), start=1):
                tab = Sheet(i, title)
                fill(tab, _serials(tabs[title]))
                book.sheets.append(tab)
        client = client_for(emu, timeout=30)
        return Week(
            editor=SheetsEditor(client, key, **where),
            open_backend=lambda: GoogleSheetsBackend(client, key),
            config=config,
            cli_args=[key],
            cli_env={
                "SHEETFUNNEL_CREDENTIALS": str(account),
                "SHEETFUNNEL_SHEETS_ENDPOINT": emu.url,
            },
        )

    makers = {"excel": excel, "excel-table": lambda: excel(table=True), "sheets": sheets}
    return lambda kind: makers[kind]()
