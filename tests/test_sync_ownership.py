"""The sheet stays the user's, on a real workbook: a contact added after a sync, a CRM export's
own Stage and Score columns, a value typed into our Stage column, an override naming no stage,
and `score --out` aimed at the workbook itself."""

import datetime as dt
import shutil

import openpyxl
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from sheetfunnel.backends.excel import ExcelBackend
from sheetfunnel.cli import cli
from sheetfunnel.config import Config
from sheetfunnel.demo import create_demo
from sheetfunnel.sync import sync

DAY = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return create_demo(tmp_path_factory.mktemp("demo"), contacts=60, end=DAY).workbook


@pytest.fixture
def book(pristine, tmp_path):
    return shutil.copy(pristine, tmp_path / "pipeline.xlsx")


def rows(path, tab="Contacts"):
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(tab).to_python()
    return [dict(zip(grid[0], r, strict=False)) for r in grid[1:]]


def run(path, config=None, day=DAY):
    return sync(ExcelBackend(path, backup=False), config or Config(), as_of=day)


def edit(path, change):
    """Change the workbook as a script of the user's would (openpyxl keeps defined names)."""
    wb = openpyxl.load_workbook(path)
    change(wb["Contacts"])
    wb.save(path)


def column(sheet, header):
    return next(c.column for c in sheet[1] if c.value == header)


def test_a_contact_added_after_a_sync_is_scored_at_the_next_one(book):
    run(book)

    def add(sheet):
        sheet.append(["new.person@example.com", "New Person", "Acme"])

    edit(book, add)
    report = run(book, day=DAY + dt.timedelta(days=1))
    people = report.results.contacts.set_index("key")
    added = next(r for r in rows(book) if r["Email"] == "new.person@example.com")
    assert added["Stage"] == people.loc["new.person@example.com", "stage"]
    assert added["Score"] == people.loc["new.person@example.com", "score"]
    entered = report.changes[report.changes["contact"] == "new.person@example.com"]
    assert entered[["from_stage", "to_stage"]].values.tolist() == [["", added["Stage"]]]


def test_a_crm_exports_own_stage_and_score_columns_stay_the_users(book):
    def crm_columns(sheet):
        last = sheet.max_column
        sheet.cell(1, last + 1, "Stage")
        sheet.cell(1, last + 2, "Score")
        for r in range(2, sheet.max_row + 1):
            sheet.cell(r, last + 1, "Negotiation" if r % 2 else "Champions League")
            sheet.cell(r, last + 2, r * 10)

    edit(book, crm_columns)
    before = [(r["Email"], r["Stage"], r["Score"]) for r in rows(book)]
    report = run(book)
    after = rows(book)
    assert [(r["Email"], r["Stage"], r["Score"]) for r in after] == before
    people = report.results.contacts.set_index("key")
    for row in after:
        if row["Email"]:
            key = str(row["Email"]).strip().lower()
            assert row["Stage (sheetfunnel)"] == people.loc[key, "stage"]
            assert row["Score (sheetfunnel)"] == people.loc[key, "score"]
    assert rows(book, "History") == []
    assert any(
        n.message.startswith("the column 'Stage' in tab 'Contacts' is yours")
        for n in report.notices
    )
    again = run(book, day=DAY + dt.timedelta(days=1))
    assert not any(c == "Negotiation" for c in again.changes["from_stage"])


def test_a_stage_typed_into_our_column_is_restored_reported_and_never_history(book):
    first = run(book)
    target = first.results.contacts.query("stage != 'Customer'").iloc[0]["key"]

    def type_customer(sheet):
        email, stage = column(sheet, "Email"), column(sheet, "Stage")
        for r in range(2, sheet.max_row + 1):
            if str(sheet.cell(r, email).value).strip().lower() == target:
                sheet.cell(r, stage, "Customer")

    edit(book, type_customer)
    report = run(book)
    shown = {str(r["Email"]).strip().lower(): r["Stage"] for r in rows(book)}
    assert shown[target] == first.results.contacts.set_index("key").loc[target, "stage"]
    assert target not in set(report.changes["contact"])
    typed = [n for n in report.notices if n.kind == "typed_stage"]
    assert len(typed) == 1 and f"{target}: 'Customer'" in typed[0].message


def test_an_override_naming_no_stage_is_said_in_the_why_cell(book):
    def bad_override(sheet):
        sheet.cell(2, column(sheet, "Stage override"), "Champions")

    edit(book, bad_override)
    run(book)
    why = rows(book)[0]["Why"]
    assert why.startswith("Override 'Champions' is not a stage (ignored; stages: Lead, MQL, ")


def test_score_out_never_replaces_the_workbook_it_scores(book):
    before = book.read_bytes()
    result = CliRunner().invoke(cli, ["score", str(book), "--out", str(book), "--force"])
    assert result.exit_code == 4
    assert result.output.strip().endswith(
        f"--out {book} is the file being scored: sheetfunnel never writes over its source, even "
        f"with --force. To write the results into the workbook, run `sheetfunnel sync {book}`; "
        "to save them, give --out another file name."
    )
    assert book.read_bytes() == before


def test_score_out_never_replaces_a_synced_workbook(book, tmp_path):
    run(book)
    other = shutil.copy(book, tmp_path / "copy.xlsx")
    before = other.read_bytes()
    result = CliRunner().invoke(cli, ["score", str(book), "--out", str(other), "--force"])
    assert result.exit_code == 4
    assert f"{other} is a workbook sheetfunnel syncs: --out never replaces it" in result.output
    assert other.read_bytes() == before
