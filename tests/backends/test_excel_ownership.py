"""The workbook stays the user's: a tab or column that only bears one of our names is never
rewritten, the contacts are the key's table (never its totals row, never another table), and a
sync without a key column writes."""

from __future__ import annotations

import posixpath
import re
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from excel_helpers import (
    CORPUS,
    add_contacts_tab,
    build_plan,
    members,
    workbook_names,
)
from lo_editor import LibreOffice
from python_calamine import CalamineWorkbook

from sheetfunnel.backends.base import ManagedColumn, OwnedTab
from sheetfunnel.backends.excel import ExcelBackend
from sheetfunnel.backends.excel.package import Package, rels_path
from sheetfunnel.errors import InputError, SpreadsheetError


def rename_tabs(path: Path, renames: dict[str, str]) -> None:
    """Rename tabs at the XML level (workbook.xml only: nothing else refers to them here)."""
    data = members(path)
    xml = data["xl/workbook.xml"].decode()
    for old, new in renames.items():
        xml = xml.replace(f'<sheet name="{old}"', f'<sheet name="{new}"')
    data["xl/workbook.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in data.items():
            zf.writestr(name, body)


def dangling_relationships(path: Path) -> list[str]:
    """Relationship targets inside the package that name no member."""
    out = []
    with zipfile.ZipFile(path) as zf:
        pkg = Package(zf)
        for name in pkg.names:
            if not name.endswith(".rels"):
                continue
            folder = posixpath.dirname(posixpath.dirname(name))
            source = posixpath.join(folder, posixpath.basename(name)[: -len(".rels")])
            for rel in pkg.relationships("" if name == "_rels/.rels" else source):
                if rel.part and pkg.find(rel.part) is None:
                    out.append(f"{name} -> {rel.part}")
    return out


def reachable_bytes(path: Path, tab: str) -> dict[str, bytes]:
    """The sheet part of `tab` and every part reachable from it, with their bytes."""
    with zipfile.ZipFile(path) as zf:
        pkg = Package(zf)
        part = next(s.part for s in pkg.sheets(pkg.workbook_part()) if s.name == tab)
        seen, todo = {part}, [part]
        while todo:
            for rel in pkg.relationships(todo.pop()):
                if rel.part and rel.part not in seen and pkg.find(rel.part):
                    seen.add(rel.part)
                    todo.append(rel.part)
        seen |= {rels_path(p) for p in seen if pkg.find(rels_path(p))}
        return {p: pkg.read(p) for p in sorted(seen)}


@pytest.fixture
def pivots(tmp_path: Path) -> Path:
    """The pivot-table sample with its two pivot tabs renamed Summary and History."""
    path = tmp_path / "pivots.xlsx"
    shutil.copy(CORPUS / "ExcelPivotTableSample.xlsx", path)
    path.chmod(0o644)
    rename_tabs(path, {"Tabelle2": "Summary", "Tabelle3": "History"})
    add_contacts_tab(path)
    return path


def test_user_tabs_named_summary_and_history_are_refused(pivots: Path) -> None:
    before = pivots.read_bytes()
    backend = ExcelBackend(pivots)
    data = backend.read("SF Contacts", 1, None, 1, key_header="email")
    assert data.ownership.tabs == {} and data.owned == {}
    assert data.tabs == ("Tabelle1", "Summary", "History", "SF Contacts")
    with pytest.raises(InputError, match=r"'Summary' is yours .*output\.summary_tab"):
        backend.write(build_plan(data, sheet="SF Contacts"), data)
    assert pivots.read_bytes() == before
    assert list(pivots.parent.iterdir()) == [pivots]


def test_pivot_tabs_of_the_user_stay_byte_identical(pivots: Path, tmp_path: Path) -> None:
    user_summary = reachable_bytes(pivots, "Summary")
    user_history = reachable_bytes(pivots, "History")
    assert any("pivotCacheRecords" in p for p in user_summary)
    backend = ExcelBackend(pivots)
    data = backend.read("SF Contacts", 1, None, 1, key_header="email")
    plan = build_plan(data, sheet="SF Contacts")
    tabs = (replace(plan.tabs[0], name="SF Summary"), replace(plan.tabs[1], name="SF History"))
    result = backend.write(replace(plan, tabs=tabs), data)
    assert set(result.tabs_written) == {"SF Summary", "SF History"}
    assert reachable_bytes(pivots, "Summary") == user_summary
    assert reachable_bytes(pivots, "History") == user_history
    assert dangling_relationships(pivots) == []
    wb = openpyxl.load_workbook(pivots)
    assert wb.sheetnames == [
        "Tabelle1", "Summary", "History", "SF Contacts", "SF Summary", "SF History",
    ]  # fmt: skip
    assert len(wb["Summary"]._pivots) == 1 and len(wb["History"]._pivots) == 1
    assert CalamineWorkbook.from_path(str(pivots)).sheet_names == wb.sheetnames
    names = workbook_names(pivots)
    assert names["_sheetfunnel_tab_summary"] == ("'SF Summary'!$A$1", "1")
    with LibreOffice() as lo:
        book = lo.edit(pivots, tmp_path / "lo.xlsx")
        assert list(book.doc.Sheets.ElementNames) == wb.sheetnames
        assert book.sheet("SF Summary").getCellByPosition(0, 1).getString() == "Lead"
        book.doc.close(True)
    data = backend.read("SF Contacts", 1, None, 1, key_header="email")
    assert data.ownership.tabs == {"summary": "SF Summary", "history": "SF History"}
    assert backend.write(replace(plan, tabs=tabs), data).changed is False


def crm_export(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Contacts")
    ws.write_row(0, 0, ["email", "name", "Stage", "Score"])
    for i, stage in enumerate(["Negotiation", "Closed won", "Discovery"]):
        ws.write_row(i + 1, 0, [f"u{i}@crm", f"U{i}", stage, 70 + i])
    wb.close()
    return path


def user_cells(path: Path, letters: str = "ABCD") -> list[bytes]:
    xml = members(path)["xl/worksheets/sheet1.xml"]
    return re.findall(rb'<c r="[' + letters.encode() + rb']\d+".*?(?:/>|</c>)', xml)


def test_crm_stage_and_score_columns_stay_the_users(tmp_path: Path) -> None:
    path = crm_export(tmp_path / "crm.xlsx")
    before, cells = path.read_bytes(), user_cells(path)
    backend = ExcelBackend(path)
    data = backend.read("Contacts", 1, None, 1, key_header="email")
    assert data.ownership.columns == {}
    stages = ("Lead", "MQL", "SQL")
    taken = (ManagedColumn("stage", "Stage", "text", stages),)
    with pytest.raises(InputError, match=r"column C .* 'Stage' .*output\.columns\.stage"):
        backend.write(build_plan(data, columns=taken, tabs=()), data)
    assert path.read_bytes() == before
    ours = (
        ManagedColumn("score", "SF Score", "number", (1.0, 2.0, 3.0)),
        ManagedColumn("stage", "SF Stage", "text", stages),
    )
    plan = build_plan(data, columns=ours, tabs=())
    assert backend.write(plan, data).changed
    assert user_cells(path) == cells
    ws = openpyxl.load_workbook(path)["Contacts"]
    assert [c.value for c in ws[1]] == ["email", "name", "Stage", "Score", "SF Score", "SF Stage"]
    assert [ws.cell(r, 3).value for r in (2, 3, 4)] == ["Negotiation", "Closed won", "Discovery"]
    assert [ws.cell(r, 6).value for r in (2, 3, 4)] == list(stages)
    # the stage colours go on our Stage column, never on the user's
    assert [cf.sqref for cf in ws.conditional_formatting] == ["F2:F1048576"]
    names = workbook_names(path)
    assert names["_sheetfunnel_col_score"][0] == "'Contacts'!$E:$E"
    assert names["_sheetfunnel_col_stage"][0] == "'Contacts'!$F:$F"
    data = backend.read("Contacts", 1, None, 1, key_header="email")
    assert data.ownership.columns == {"score": "SF Score", "stage": "SF Stage"}
    assert backend.write(build_plan(data, columns=ours, tabs=()), data).changed is False


def two_tables(path: Path, key_first: bool) -> Path:
    """Contacts (email, City, n; 4 rows) beside Places (City, Country; 2 rows), a note under."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Contacts")
    contacts = [[f"u{i}@x", f"City{i}", i] for i in range(4)]
    places = [["Paris", "FR"], ["Lyon", "FR"]]
    c0, p0 = (0, 4) if key_first else (3, 0)
    people = [{"header": h} for h in ("email", "City", "n")]
    ws.add_table(0, c0, 4, c0 + 2, {"data": contacts, "name": "People", "columns": people})
    headers = [{"header": h} for h in ("City", "Country")]
    ws.add_table(0, p0, 2, p0 + 1, {"data": places, "name": "Places", "columns": headers})
    ws.write(7, c0, "a note under the table")
    wb.close()
    return path


@pytest.mark.parametrize("key_first", [True, False])
def test_two_tables_sharing_headers(tmp_path: Path, key_first: bool) -> None:
    path = two_tables(tmp_path / "two.xlsx", key_first)
    backend = ExcelBackend(path)
    whole = backend.read("Contacts", 1, None, 1)
    first, second = ("B", "E") if key_first else ("A", "E")
    assert whole.duplicates == {"Contacts": {"City": (first, second)}}
    data = backend.read("Contacts", 1, None, 1, key_header="email")
    assert list(data.contacts.columns) == ["email", "City", "n"]
    assert list(data.contacts.index) == [2, 3, 4, 5] and data.duplicates == {}
    assert list(data.contacts["City"]) == ["City0", "City1", "City2", "City3"]
    places = members(path)["xl/tables/table2.xml"]
    plan = build_plan(data, tabs=())
    backend.write(plan, data)
    after = members(path)
    assert after["xl/tables/table2.xml"] == places  # the other table is never grown
    people = after["xl/tables/table1.xml"].decode()
    ws = openpyxl.load_workbook(path)["Contacts"]
    if key_first:  # Places sits right after People: our columns go after Places, outside both
        assert 'ref="A1:C5"' in people
        assert [ws.cell(1, c).value for c in range(7, 11)] == [c.header for c in plan.columns]
        col = 7
    else:  # People ends the used range: our columns join it
        assert 'ref="D1:J5"' in people
        col = 7
    assert ws.cell(1, col).value == "Score"
    assert [ws.cell(r, col).value for r in range(2, 7)] == [0, 10, 20, 30, None]
    assert all(ws.cell(8, c).value is None for c in range(col, col + 4))  # the note's row
    assert ws.cell(8, 1 if key_first else 4).value == "a note under the table"


def test_totals_row_is_never_a_contact(tmp_path: Path) -> None:
    path = tmp_path / "totals.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Contacts")
    rows = [[f"u{i}@x", 100 * i] for i in range(3)]
    ws.add_table(0, 0, 4, 1, {"data": rows, "total_row": True, "columns": [
        {"header": "email", "total_string": "Total"},
        {"header": "budget", "total_function": "sum"},
    ]})  # fmt: skip
    wb.close()
    backend = ExcelBackend(path)
    data = backend.read("Contacts", 1, None, 1, key_header="email")
    assert list(data.contacts.index) == [2, 3, 4]
    assert "Total" not in set(data.contacts["email"])
    plan = build_plan(data, tabs=())
    long = tuple(replace(c, values=(*c.values, c.values[0])) for c in plan.columns)
    backend.write(replace(plan, columns=long), data)  # a value too many: still not row 5
    ws = openpyxl.load_workbook(path)["Contacts"]
    assert [ws.cell(5, c).value for c in range(1, 7)] == [
        "Total", "=SUBTOTAL(109,[budget])", None, None, None, None,
    ]  # fmt: skip
    assert [ws.cell(r, 3).value for r in (2, 3, 4)] == [0, 10, 20]
    table = members(path)["xl/tables/table1.xml"].decode()
    assert 'ref="A1:F5"' in table and 'totalsRowCount="1"' in table
    data = backend.read("Contacts", 1, None, 1, key_header="email")
    assert backend.write(build_plan(data, tabs=()), data).changed is False


def test_no_key_column_writes(contacts_xlsx: Path) -> None:
    backend = ExcelBackend(contacts_xlsx)
    data = backend.read("Contacts", 1, None, 1, key_header="")
    plan = replace(build_plan(data, tabs=()), key_header="", keys=())
    assert backend.write(plan, data).changed
    assert openpyxl.load_workbook(contacts_xlsx)["Contacts"]["F6"].value == 40
    data = backend.read("Contacts", 1, None, 1)
    assert backend.write(replace(plan, keys=()), data).changed is False


def test_hidden_state_tab_is_never_the_active_one(tmp_path: Path) -> None:
    path = tmp_path / "active.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("Contacts").write_row(0, 0, ["email"])
    wb.add_worksheet("Notes").activate()
    wb.close()
    backend = ExcelBackend(path)
    data = backend.read("Contacts", 1, None, 1)
    state = OwnedTab("state", "sheetfunnel", (("key",),), hidden=True)
    backend.write(build_plan(data, columns=(), tabs=(state,)), data)
    wb2 = openpyxl.load_workbook(path)
    assert wb2["sheetfunnel"].sheet_state == "hidden" and wb2.active.title == "Notes"
    xml = members(path)["xl/workbook.xml"].decode()
    assert '<sheet name="sheetfunnel" sheetId="3" r:id="rId' in xml and 'state="hidden"' in xml


def test_pinned_column_with_a_value_below_the_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "below.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Contacts")
    rows = [[f"u{i}@x", i] for i in range(3)]
    ws.add_table(0, 0, 3, 1, {"data": rows, "columns": [{"header": "email"}, {"header": "n"}]})
    ws.write(9, 3, "mine, under the table")
    wb.close()
    before = path.read_bytes()
    backend = ExcelBackend(path)
    data = backend.read("Contacts", 1, None, 1, key_header="email")
    pinned = (ManagedColumn("score", "Score", "number", (1, 2, 3), letter="D"),)
    with pytest.raises(SpreadsheetError, match=r"cell D10 .*output\.columns\.score"):
        backend.write(build_plan(data, columns=pinned, tabs=()), data)
    assert path.read_bytes() == before


def test_defined_names_of_the_user_are_never_touched(contacts_xlsx: Path) -> None:
    from excel_helpers import define_names

    define_names(
        contacts_xlsx,
        {"budget_total": "Contacts!$E$2:$E$6", "_sheetfunnel_notes": "Contacts!$A:$A"},
        hidden=False,
    )
    backend = ExcelBackend(contacts_xlsx)
    data = backend.read("Contacts", 1, None, 1, key_header="email")
    assert data.ownership.columns == {}
    backend.write(build_plan(data), data)
    names = workbook_names(contacts_xlsx)
    assert names["budget_total"] == ("Contacts!$E$2:$E$6", None)
    assert names["_sheetfunnel_notes"] == ("Contacts!$A:$A", None)
    assert len(names) == 2 + 4 + 2  # the user's two, our four columns and two tabs
    ws = openpyxl.load_workbook(contacts_xlsx)["Contacts"]
    assert (
        ws["A2"].value == "user0@example.com"
    )  # a user name over column A made it no column of ours


def test_a_key_header_in_two_tables_is_reported_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "twokeys.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Contacts")
    for c0, name in ((0, "Left"), (3, "Right")):
        cols = [{"header": "email"}, {"header": "n"}]
        ws.add_table(0, c0, 2, c0 + 1, {"data": [["a@x", 1], ["b@x", 2]], "name": name,
                                        "columns": cols})  # fmt: skip
    wb.close()
    data = ExcelBackend(path).read("Contacts", 1, None, 1, key_header="email")
    assert data.duplicates == {"Contacts": {"email": ("A", "D"), "n": ("B", "E")}}
    assert list(data.contacts.columns) == ["email", "n", "email (2)", "n (2)"]
