"""Formula error cells are read as errors, never as blanks (issue 11, item 6): real workbooks
with cached error values written by openpyxl and XlsxWriter, and a Google Sheet's #ERROR!."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from click.testing import CliRunner

from sheetfunnel.backends.excel.reader import tab_frame
from sheetfunnel.cells import ERROR_CODES
from sheetfunnel.cli import cli

EXCEL_CODES = ["#REF!", "#DIV/0!", "#N/A", "#VALUE!", "#NAME?", "#NUM!", "#NULL!"]
CONFIG = (
    '[columns]\nname = ""\ncompany = ""\ntitle = ""\nsector = ""\ncountry = ""\nsource = ""\n'
    'created = ""\nstage_override = ""\ncompany_size = "Size"\nowner = "Owner"\n'
    "[fit]\nrules = []\ncompleteness_fields = []\n[summary]\ngroup_by = []\n"
)


def write_xlsxwriter(path: Path, contacts: list[list], activities: list[list]) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    for name, rows in (("Contacts", contacts), ("Activities", activities)):
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, str) and value in ERROR_CODES:
                    ws.write_formula(r, c, "=1/0", None, value)  # the cached result Excel keeps
                elif isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()))
                elif value is not None:
                    ws.write(r, c, value)
    wb.close()
    return path


def write_openpyxl(path: Path, contacts: list[list], activities: list[list]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in (("Contacts", contacts), ("Activities", activities)):
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)  # an error code string is stored as an error cell (t="e")
    wb.save(path)
    return path


WRITERS = {"xlsxwriter": write_xlsxwriter, "openpyxl": write_openpyxl}
HEADER = ["Email", "Size", "Owner"]
ACT_HEADER = ["Email", "Activity", "Date"]


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_every_error_code_is_read_back_as_itself(tmp_path: Path, writer: str) -> None:
    rows = [["Email", "Value"]] + [[f"u{i}@x.com", code] for i, code in enumerate(EXCEL_CODES)]
    path = WRITERS[writer](tmp_path / "errors.xlsx", rows, [ACT_HEADER])
    frame = tab_frame(str(path), "Contacts", 1)
    assert list(frame["Value"]) == EXCEL_CODES


def score(tmp_path: Path, book: Path, *extra: str, warn: bool = False):
    config = tmp_path / "c.toml"
    config.write_text(CONFIG + ('[source]\non_bad_date = "warn"\n' if warn else ""))
    args = ["score", str(book), "--config", str(config), "--as-of", "2024-06-30", *extra]
    return CliRunner().invoke(cli, args, catch_exceptions=False)


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_an_error_in_a_date_stops_the_run_naming_the_cell(tmp_path: Path, writer: str) -> None:
    contacts = [HEADER, ["a@x.com", 10, "Ann"]]
    activities = [
        ACT_HEADER,
        ["a@x.com", "call", dt.date(2024, 6, 1)],
        ["a@x.com", "call", "#DIV/0!"],
    ]
    book = WRITERS[writer](tmp_path / "p.xlsx", contacts, activities)
    result = score(tmp_path, book)
    assert result.exit_code == 4
    assert result.output.endswith(
        "Error: column 'Date' (tab 'Activities'): 1 cell with a formula error (row 3: "
        '#DIV/0!); fix the formulas, or set source.on_bad_date = "warn" to skip them.\n'
    )
    warned = score(tmp_path, book, "--json", warn=True)
    assert warned.exit_code == 0, warned.output
    out = json.loads(warned.output)
    notices = out["notices"]
    assert (
        "column 'Date' (tab 'Activities'): 1 cell with a formula error (row 3: #DIV/0!): "
        "1 row was skipped"
    ) in notices
    once = score(tmp_path, WRITERS[writer](tmp_path / "q.xlsx", contacts, activities[:2]), "--json")
    assert json.loads(once.output)["contacts"][0]["engagement"] == out["contacts"][0]["engagement"]


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_an_error_in_the_key_stops_the_run_or_skips_the_row(tmp_path: Path, writer: str) -> None:
    contacts = [HEADER, ["a@x.com", 10, "Ann"], ["#REF!", 20, "Bob"]]
    book = WRITERS[writer](tmp_path / "p.xlsx", contacts, [ACT_HEADER])
    result = score(tmp_path, book)
    assert result.exit_code == 4
    assert result.output.endswith(
        "Error: column 'Email' (tab 'Contacts'): 1 cell with a formula error (row 3: #REF!); "
        'fix the formulas, or set source.on_bad_date = "warn" to skip them.\n'
    )
    warned = json.loads(score(tmp_path, book, "--json", warn=True).output)
    assert [c["key"] for c in warned["contacts"]] == ["a@x.com"]
    assert (
        "column 'Email' (tab 'Contacts'): 1 cell with a formula error (row 3: #REF!): "
        "1 row was skipped"
    ) in warned["notices"]


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_an_error_elsewhere_counts_as_missing_with_a_notice(tmp_path: Path, writer: str) -> None:
    contacts = [HEADER, ["a@x.com", "#DIV/0!", "#N/A"], ["b@x.com", 5, "Bob"]]
    book = WRITERS[writer](tmp_path / "p.xlsx", contacts, [ACT_HEADER])
    result = score(tmp_path, book, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert {
        "column 'Size' (tab 'Contacts'): 1 cell with a formula error (row 2: #DIV/0!): "
        "counted as missing",
        "column 'Owner' (tab 'Contacts'): 1 cell with a formula error (row 2: #N/A): "
        "counted as missing",
    } <= set(out["notices"])
    ann = out["contacts"][0]
    assert ann["key"] == "a@x.com" and ann["owner"] is None and ann["company_size"] is None
