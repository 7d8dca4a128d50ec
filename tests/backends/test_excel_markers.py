"""Ownership markers survive a real LibreOffice edit + save as xlsx, and the next sync follows them.

Measured here (LibreOffice 7, Calc MS Excel 2007 XML filter): our workbook-level defined names
keep their names; whole-column references move with column inserts, deletes and moves and
follow a renamed tab; sorting rows and reordering tabs leave them as they were; deleting the
column or tab leaves `#REF!`. The `hidden` flag is NOT kept (saved as hidden="false"): the next
write hides our names again.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from excel_helpers import build_plan, make_contacts_xlsx, members, workbook_names
from lo_editor import Book, LibreOffice
from python_calamine import CalamineWorkbook

from sheetfunnel.backends.base import OwnedTab
from sheetfunnel.backends.excel import ExcelBackend

STATE = OwnedTab(
    "state", "sheetfunnel", (("key", "stage"), ("user0@example.com", "Lead")), hidden=True
)


@pytest.fixture(scope="module")
def lo() -> Iterator[LibreOffice]:
    with LibreOffice() as office:
        yield office


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workbook after one sync: columns F..I and three tabs are ours (A..E the user's)."""
    path = make_contacts_xlsx(tmp_path_factory.mktemp("base") / "pipeline.xlsx")
    sync(path)
    return path


def sync(path: Path, **kw):
    backend = ExcelBackend(path, backup=False)
    data = backend.read("Contacts", 1, None, 1, key_header="email")
    plan = build_plan(data, **kw)
    plan = replace(plan, tabs=(*plan.tabs, STATE))
    return backend.write(plan, data), data


def edited(lo: LibreOffice, synced: Path, tmp_path: Path, edit: Callable[[Book], None]) -> Path:
    path = tmp_path / "pipeline.xlsx"
    shutil.copy(synced, path)
    book = lo.edit(path)
    edit(book)
    book.save()
    return path


def headers(path: Path) -> list:
    ws = openpyxl.load_workbook(path)["Contacts"]
    return [c.value for c in ws[1]]


def test_synced_workbook_has_hidden_markers(synced: Path) -> None:
    names = workbook_names(synced)
    assert names == {
        "_sheetfunnel_col_score": ("'Contacts'!$F:$F", "1"),
        "_sheetfunnel_col_stage": ("'Contacts'!$G:$G", "1"),
        "_sheetfunnel_col_why": ("'Contacts'!$H:$H", "1"),
        "_sheetfunnel_col_stage_since": ("'Contacts'!$I:$I", "1"),
        "_sheetfunnel_tab_summary": ("'Summary'!$A$1", "1"),
        "_sheetfunnel_tab_history": ("'History'!$A$1", "1"),
        "_sheetfunnel_tab_state": ("'sheetfunnel'!$A$1", "1"),
    }
    wb = openpyxl.load_workbook(synced)
    assert wb["sheetfunnel"].sheet_state == "hidden" and wb.active.title == "Contacts"


def test_plain_resave_keeps_names_but_not_the_hidden_flag(lo, synced, tmp_path) -> None:
    path = edited(lo, synced, tmp_path, lambda book: None)
    names = workbook_names(path)
    assert {n: ref for n, (ref, _) in names.items()} == {
        "_sheetfunnel_col_score": "Contacts!$F:$F",
        "_sheetfunnel_col_stage": "Contacts!$G:$G",
        "_sheetfunnel_col_why": "Contacts!$H:$H",
        "_sheetfunnel_col_stage_since": "Contacts!$I:$I",
        "_sheetfunnel_tab_summary": "Summary!$A$1",
        "_sheetfunnel_tab_history": "History!$A$1",
        "_sheetfunnel_tab_state": "sheetfunnel!$A$1",
    }
    assert {hidden for _, hidden in names.values()} == {"false"}  # LibreOffice unhides them
    assert openpyxl.load_workbook(path)["sheetfunnel"].sheet_state == "hidden"
    result, data = sync(path)
    assert data.ownership.columns == {
        "score": "Score", "stage": "Stage", "why": "Why", "stage_since": "Stage since",
    }  # fmt: skip
    assert data.ownership.tabs == {
        "summary": "Summary", "history": "History", "state": "sheetfunnel",
    }  # fmt: skip
    assert result.cells_written == 0
    assert {hidden for _, hidden in workbook_names(path).values()} == {"1"}
    assert sync(path)[0].changed is False


def test_insert_column_before_ours(lo, synced, tmp_path) -> None:
    path = edited(lo, synced, tmp_path, lambda b: b.insert_columns("Contacts", 1))
    assert workbook_names(path)["_sheetfunnel_col_score"][0] == "Contacts!$G:$G"
    result, _ = sync(path)
    assert result.cells_written == 0
    assert headers(path) == [
        "email", None, "name", "company", "created", "budget",
        "Score", "Stage", "Why", "Stage since",
    ]  # fmt: skip


def test_delete_a_user_column(lo, synced, tmp_path) -> None:
    path = edited(lo, synced, tmp_path, lambda b: b.delete_columns("Contacts", 1))
    assert workbook_names(path)["_sheetfunnel_col_stage_since"][0] == "Contacts!$H:$H"
    sync(path)
    assert headers(path) == [
        "email",
        "company",
        "created",
        "budget",
        "Score",
        "Stage",
        "Why",
        "Stage since",
    ]


def test_move_our_column_first_and_rename_its_header(lo, synced, tmp_path) -> None:
    def edit(book: Book) -> None:
        book.move_column("Contacts", 6, 0)  # Stage before email
        book.set_cell("Contacts", 0, 0, "Funnel stage")

    path = edited(lo, synced, tmp_path, edit)
    assert workbook_names(path)["_sheetfunnel_col_stage"][0] == "Contacts!$A:$A"
    result, data = sync(path)
    assert data.ownership.columns["stage"] == "Funnel stage"
    assert result.cells_written == 1  # only the header goes back to "Stage"
    assert headers(path) == [
        "Stage", "email", "name", "company", "created", "budget", "Score", "Why", "Stage since",
    ]  # fmt: skip


def test_sort_rows_leaves_markers_and_the_sync_follows_the_rows(lo, synced, tmp_path) -> None:
    path = edited(lo, synced, tmp_path, lambda b: b.sort_rows("Contacts", 8, 5, 4))
    assert workbook_names(path)["_sheetfunnel_col_score"][0] == "Contacts!$F:$F"
    _, data = sync(path)
    assert data.contacts.loc[2, "email"] == "user4@example.com"
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Contacts").to_python()
    assert [r[5] for r in rows[1:]] == [0.0, 10.0, 20.0, 30.0, 40.0]  # the new plan, new order


def test_delete_our_column_and_our_tab(lo, synced, tmp_path) -> None:
    def edit(book: Book) -> None:
        book.delete_columns("Contacts", 7)  # Why
        book.delete_tab("History")

    path = edited(lo, synced, tmp_path, edit)
    names = workbook_names(path)
    assert names["_sheetfunnel_col_why"][0] == "#REF!"
    assert names["_sheetfunnel_tab_history"][0] == "#REF!"
    result, data = sync(path)
    assert "why" not in data.ownership.columns and "history" not in data.ownership.tabs
    assert "History" in result.tabs_written
    assert headers(path) == [
        "email", "name", "company", "created", "budget", "Score", "Stage", "Stage since", "Why",
    ]  # fmt: skip
    names = workbook_names(path)
    assert names["_sheetfunnel_col_why"] == ("'Contacts'!$I:$I", "1")
    assert names["_sheetfunnel_tab_history"] == ("'History'!$A$1", "1")
    assert "#REF!" not in str(names)


def test_rename_and_reorder_tabs(lo, synced, tmp_path) -> None:
    def edit(book: Book) -> None:
        book.rename_tab("Summary", "Pipeline summary")
        book.move_tab("History", 0)

    path = edited(lo, synced, tmp_path, edit)
    names = workbook_names(path)
    assert names["_sheetfunnel_tab_summary"][0] == "'Pipeline summary'!$A$1"
    assert names["_sheetfunnel_tab_history"][0] == "History!$A$1"
    _, data = sync(path)
    assert data.ownership.tabs["summary"] == "Pipeline summary"
    assert data.tabs[0] == "History"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["History", "Contacts", "Activities", "Summary", "sheetfunnel"]
    assert workbook_names(path)["_sheetfunnel_tab_summary"] == ("'Summary'!$A$1", "1")
    assert sync(path)[0].changed is False


def test_header_of_our_column_emptied(lo, synced, tmp_path) -> None:
    path = edited(lo, synced, tmp_path, lambda b: b.set_cell("Contacts", 7, 0, ""))
    result, data = sync(path)
    assert data.ownership.columns["why"] == "(sheetfunnel why)"
    assert list(data.contacts["(sheetfunnel why)"])[:2] == ["because 0", "because 1"]
    assert result.cells_written == 1 and headers(path)[7] == "Why"


def test_rows_inserted_and_contacts_emptied_to_the_header(lo, synced, tmp_path) -> None:
    def insert(book: Book) -> None:
        book.insert_rows("Contacts", 2)
        book.set_cell("Contacts", 0, 2, "new@example.com")

    path = edited(lo, synced, tmp_path, insert)
    _, data = sync(path)
    assert list(data.contacts["email"])[:3] == [
        "user0@example.com", "new@example.com", "user1@example.com",
    ]  # fmt: skip
    ws = openpyxl.load_workbook(path)["Contacts"]
    assert [ws.cell(r, 6).value for r in range(2, 8)] == [0, 10, 20, 30, 40, 50]
    (tmp_path / "empty").mkdir()
    path = edited(lo, synced, tmp_path / "empty", lambda b: b.delete_rows("Contacts", 1, 5))
    result, data = sync(path)
    assert len(data.contacts) == 0 and result.cells_written == 0
    assert headers(path)[5:] == ["Score", "Stage", "Why", "Stage since"]
    assert sync(path)[0].changed is False


def test_our_header_renamed_inside_a_table(lo, tmp_path) -> None:
    import xlsxwriter

    path = tmp_path / "table.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Contacts")
    rows = [[f"u{i}@x", f"U{i}"] for i in range(3)]
    ws.add_table(0, 0, 3, 1, {"data": rows, "columns": [{"header": "email"}, {"header": "name"}]})
    wb.close()
    sync(path, tabs=())
    book = lo.edit(path)
    book.set_cell("Contacts", 3, 0, "Funnel stage")  # D1: our Stage column, inside the table
    book.save()
    table = next(v for k, v in members(path).items() if k.startswith("xl/tables/"))
    assert b'name="Funnel stage"' in table  # LibreOffice keeps the table, names follow cells
    result, data = sync(path, tabs=())
    assert data.ownership.columns["stage"] == "Funnel stage" and result.cells_written == 1
    table = next(v for k, v in members(path).items() if k.startswith("xl/tables/"))
    assert b'name="Stage"' in table and b"Funnel" not in table
    assert headers(path) == ["email", "name", "Score", "Stage", "Why", "Stage since"]
    assert sync(path, tabs=())[0].changed is False
