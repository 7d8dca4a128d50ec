"""Row-level edge cases of the streaming rewrite: hand-written XML the big writers never emit."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import xlsxwriter
from excel_helpers import build_plan, define_names, members, schema_order_problems
from hypothesis import given
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from sheetfunnel.backends.base import ManagedColumn
from sheetfunnel.backends.excel import ExcelBackend

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def raw_xlsx(path: Path, sheet_xml: str) -> Path:
    """A minimal package: no styles part, no shared strings, the given sheet XML."""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.'
            'org/package/2006/content-types"><Default Extension="rels" ContentType="application'
            '/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
            f'{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
            '<sheets><sheet name="Contacts" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
            f'{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
    return path


def istr(text: str, p: str = "x:") -> str:
    return f'<{p}c t="inlineStr"><{p}is><{p}t>{text}</{p}t></{p}is></{p}c>'


def test_prefixed_namespace_and_cells_without_references(tmp_path: Path) -> None:
    rows = [
        "<x:row>" + istr("email") + istr("Stage") + istr("note") + "</x:row>",
        "<x:row>" + istr("a@x") + "<x:c/><x:c><x:v>5</x:v></x:c></x:row>",
        "<x:row>" + istr("b@x") + istr("old") + "<x:c><x:v>6</x:v></x:c></x:row>",
    ]
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="{MAIN}">'
        f"<x:sheetData>{''.join(rows)}</x:sheetData></x:worksheet>"
    )
    path = raw_xlsx(tmp_path / "raw.xlsx", xml)
    define_names(path, {"_sheetfunnel_col_stage": "'Contacts'!$B:$B"})
    backend = ExcelBackend(path)
    data = backend.read("Contacts", 1, None, 1)
    assert list(data.contacts["Stage"]) == [None, "old"]
    cols = (
        ManagedColumn("stage", "Stage", "text", ("Lead", "MQL")),
        ManagedColumn("stage_since", "Since", "date", (dt.date(2024, 1, 2), None)),
    )
    result = backend.write(build_plan(data, columns=cols, tabs=()), data)
    assert result.changed and "styles" in " ".join(result.details)
    ws = openpyxl.load_workbook(path)["Contacts"]
    assert [[c.value for c in r] for r in ws.iter_rows()] == [
        ["email", "Stage", "note", "Since"],
        ["a@x", "Lead", 5, dt.datetime(2024, 1, 2)],
        ["b@x", "MQL", 6, None],
    ]
    sheet = members(path)["xl/worksheets/sheet1.xml"]
    assert sheet.startswith(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')
    assert b"<x:sheetData>" in sheet and schema_order_problems(sheet) == []
    assert "xl/styles.xml" in members(path)
    rows_back = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Contacts").to_python()
    assert rows_back[1][3] == dt.date(2024, 1, 2)
    data2 = backend.read("Contacts", 1, None, 1)
    assert backend.write(build_plan(data2, columns=cols, tabs=()), data2).changed is False


def test_managed_cell_reinserted_in_the_middle_of_a_row(tmp_path: Path) -> None:
    path = tmp_path / "gap.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Contacts")
    ws.write_row(0, 0, ["email", "Stage", "notes"])
    for i in range(3):
        ws.write_row(i + 1, 0, [f"u{i}@x", "Lead", f"n{i}"])
    wb.close()
    define_names(path, {"_sheetfunnel_col_stage": "'Contacts'!$B:$B"})
    backend = ExcelBackend(path)
    data = backend.read("Contacts", 1, None, 1)
    blank = (ManagedColumn("stage", "Stage", "text", ("Lead", None, "Lead")),)
    assert backend.write(build_plan(data, columns=blank, tabs=()), data).cells_written == 1
    assert b'r="B3"' not in members(path)["xl/worksheets/sheet1.xml"]
    data = backend.read("Contacts", 1, None, 1)
    again = (ManagedColumn("stage", "Stage", "text", ("Lead", "SQL", "Lead")),)
    assert backend.write(build_plan(data, columns=again, tabs=()), data).cells_written == 1
    xml = members(path)["xl/worksheets/sheet1.xml"].decode()
    assert xml.index('r="A3"') < xml.index('r="B3"') < xml.index('r="C3"')
    ws2 = openpyxl.load_workbook(path)["Contacts"]
    assert [c.value for c in ws2[3]] == ["u1@x", "SQL", "n1"]


def test_shared_string_values_equal_to_the_plan_are_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "sst.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Contacts")
    ws.write_row(0, 0, ["email", "Stage", "Score"])
    ws.write_row(1, 0, ["a@x", "Lead", 3])
    ws.write_row(2, 0, ["b@x", "MQL", 4.5])
    wb.close()
    define_names(
        path,
        {"_sheetfunnel_col_stage": "'Contacts'!$B:$B", "_sheetfunnel_col_score": "Contacts!$C:$C"},
    )
    sheet_before = members(path)["xl/worksheets/sheet1.xml"]
    backend = ExcelBackend(path)
    data = backend.read("Contacts", 1, None, 1)
    cols = (
        ManagedColumn("stage", "Stage", "text", ("Lead", "MQL")),
        ManagedColumn("score", "Score", "number", (3, 4.5)),
    )
    result = backend.write(build_plan(data, columns=cols, tabs=(), colours=()), data)
    assert result.changed is False
    assert members(path)["xl/worksheets/sheet1.xml"] == sheet_before


def test_sheet_part_resolved_case_insensitively(tmp_path: Path) -> None:
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'
        '<row r="1">' + istr("email", "").replace("<c ", '<c r="A1" ') + "</row>"
        '<row r="2">' + istr("a@x", "").replace("<c ", '<c r="A2" ') + "</row>"
        "</sheetData></worksheet>"
    )
    path = raw_xlsx(tmp_path / "case.xlsx", xml)
    data = members(path)
    data["xl/_rels/workbook.xml.rels"] = data["xl/_rels/workbook.xml.rels"].replace(
        b"worksheets/sheet1.xml", b"Worksheets/SHEET1.xml"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in data.items():
            zf.writestr(name, body)
    backend = ExcelBackend(path)
    read = backend.read("Contacts", 1, None, 1)
    cols = (ManagedColumn("stage", "Stage", "text", ("Lead",)),)
    assert backend.write(build_plan(read, columns=cols, tabs=()), read).cells_written == 2
    after = members(path)
    assert sorted(after) == sorted([*data, "xl/styles.xml"])  # no second sheet part appeared
    assert b"<t>Lead</t>" in after["xl/worksheets/sheet1.xml"]


def test_new_columns_go_after_everything_the_sheet_uses(tmp_path: Path) -> None:
    path = tmp_path / "used.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Contacts")
    ws.write_row(0, 0, ["email", "name"])
    ws.write_row(1, 0, ["a@x", "A"])
    ws.data_validation("E2:E9", {"validate": "list", "source": ["x", "y"]})
    ws.merge_range("G5:H5", "merged")
    ws.conditional_format("J2:J3", {"type": "cell", "criteria": ">", "value": 1})
    ws.insert_textbox("L2", "note", {"width": 200})  # spans a few columns from L
    wb.close()
    drawing = members(path)["xl/drawings/drawing1.xml"].decode()
    last_anchor = max(int(c) for c in re.findall(r"<xdr:col>(\d+)</xdr:col>", drawing)) + 1
    assert last_anchor > 12  # the text box reaches past the CF (J), merge (H) and DV (E)
    backend = ExcelBackend(path)
    data = backend.read("Contacts", 1, None, 1)
    cols = (ManagedColumn("stage", "Stage", "text", ("Lead",)),)
    backend.write(build_plan(data, columns=cols, tabs=()), data)
    ws2 = openpyxl.load_workbook(path)["Contacts"]
    header = {c.value: c.column for c in ws2[1] if c.value}
    assert header["Stage"] == last_anchor + 1
    assert ws2.cell(2, header["Stage"]).value == "Lead"


def test_permission_bits_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "perm.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("Contacts").write_row(0, 0, ["email"])
    wb.worksheets()[0].write_row(1, 0, ["a@x"])
    wb.close()
    path.chmod(0o640)
    backend = ExcelBackend(path)
    data = backend.read("Contacts", 1, None, 1)
    backend.write(
        build_plan(data, columns=(ManagedColumn("stage", "Stage", "text", ("x",)),)), data
    )
    assert path.stat().st_mode & 0o777 == 0o640


_HAVE = [None, 1.0, 2.0, 2.5, float("nan"), "x", "1", "", True, False, dt.date(2024, 1, 1)]
_WANT = [None, 1, 2, 1.0, 2.5, float("nan"), "x", "1", "", True, False, dt.date(2024, 1, 1)]


@given(
    have=st.lists(st.sampled_from(_HAVE), max_size=12),
    want=st.lists(st.sampled_from(_WANT), max_size=14),
    kind=st.sampled_from(["number", "text", "date"]),
)
def test_dirty_rows_are_the_cells_that_differ_one_by_one(have: list, want: list, kind: str) -> None:
    """The cheap comparison finds exactly the rows a cell-by-cell `_equalish` finds."""
    import pandas as pd

    from sheetfunnel.backends.excel.rows import _equalish, dirty_rows, is_blank
    from sheetfunnel.backends.excel.sheet import Target

    rows = range(2, 2 + len(have))
    frame = pd.DataFrame({"Score": pd.Series(have, dtype=object, index=rows)}, index=rows)
    target = Target("Score", 12, kind, tuple(want), True, False, frame_name="Score")
    padded = want + [None] * (len(have) - len(want))
    expected = {2 + i for i, h in enumerate(have) if not _equalish(h, padded[i])}
    expected |= {2 + i for i in range(len(have), len(want)) if not is_blank(want[i])}
    assert dirty_rows(frame, [target], 1) == expected
