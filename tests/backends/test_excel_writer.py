"""The surgical writer: managed cells, stage colours, owned tabs, idempotence, refusals."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from excel_helpers import (
    build_plan,
    define_names,
    make_contacts_xlsx,
    members,
    raw_members,
    schema_order_problems,
)
from hypothesis import given
from hypothesis import strategies as st

from sheetfunnel.backends.base import ManagedColumn, StageColour
from sheetfunnel.backends.excel import ExcelBackend
from sheetfunnel.errors import BusyError, InputError, SpreadsheetError


def sync(path: Path, header_row: int = 1, sheet: str = "Contacts", **kw):
    backend = ExcelBackend(path)
    data = backend.read(sheet, header_row, None, 1)
    plan = build_plan(data, sheet=sheet, header_row=header_row, **kw)
    return backend.write(plan, data), plan, data


def sheet_xml(path: Path, part: str = "xl/worksheets/sheet1.xml") -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(part)


def test_writes_values_read_back_by_openpyxl(contacts_xlsx: Path) -> None:
    result, _, _ = sync(contacts_xlsx)
    assert result.changed and result.cells_written == 4 + 4 * 5
    assert result.tabs_written == ("Summary", "History")
    wb = openpyxl.load_workbook(contacts_xlsx)
    ws = wb["Contacts"]
    assert [c.value for c in ws[1]] == [
        "email", "name", "company", "created", "budget", "Score", "Stage", "Why", "Stage since",
    ]  # fmt: skip
    assert ws["F3"].value == 10 and ws["G3"].value == "MQL" and ws["H6"].value == "because 4"
    assert ws["I2"].value == dt.datetime(2024, 5, 1) and ws["I2"].is_date
    assert wb["Summary"]["A2"].value == "Lead" and wb["Summary"]["B6"].value == 5
    assert wb["History"]["D2"].is_date and wb["History"]["D2"].value == dt.datetime(2024, 5, 2)
    assert len(wb["Summary"]._charts) == 1 and _chart_parts(contacts_xlsx) == 1
    assert ws.conditional_formatting is not None
    rules = [r for cf in ws.conditional_formatting for r in cf.rules]
    assert [r.formula for r in rules] == [['"Lead"'], ['"Prospect"'], ['"Customer"']]
    assert len({r.priority for r in rules}) == 3


def _chart_parts(path: Path) -> int:
    with zipfile.ZipFile(path) as zf:
        return sum(1 for n in zf.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n))


def test_second_sync_touches_nothing(contacts_xlsx: Path) -> None:
    sync(contacts_xlsx)
    before = contacts_xlsx.read_bytes()
    mtime = contacts_xlsx.stat().st_mtime_ns
    styles = members(contacts_xlsx)["xl/styles.xml"]
    result, _, _ = sync(contacts_xlsx)
    assert result.changed is False and result.cells_written == 0
    assert contacts_xlsx.read_bytes() == before
    assert contacts_xlsx.stat().st_mtime_ns == mtime
    assert members(contacts_xlsx)["xl/styles.xml"] == styles


def test_changed_values_rewrite_only_changed_cells_and_reuse_columns(contacts_xlsx: Path) -> None:
    sync(contacts_xlsx)
    backend = ExcelBackend(contacts_xlsx)
    data = backend.read("Contacts", 1, None, 1)
    plan = build_plan(data)
    score = plan.columns[0]
    values = list(score.values)
    values[2] = 99.5
    plan = replace(plan, columns=(replace(score, values=tuple(values)), *plan.columns[1:]))
    styles_before = members(contacts_xlsx)["xl/styles.xml"]
    result = backend.write(plan, data)
    assert result.cells_written == 1 and result.tabs_written == ()
    assert members(contacts_xlsx)["xl/styles.xml"] == styles_before
    ws = openpyxl.load_workbook(contacts_xlsx)["Contacts"]
    headers = [c.value for c in ws[1]]
    assert headers.count("Score") == 1 and len(headers) == 9
    assert ws["F4"].value == 99.5
    xml = sheet_xml(contacts_xlsx)
    assert xml.count(b"<conditionalFormatting") == 1


def test_dry_run_writes_nothing(contacts_xlsx: Path) -> None:
    before = contacts_xlsx.read_bytes()
    backend = ExcelBackend(contacts_xlsx)
    data = backend.read("Contacts", 1, None, 1)
    result = backend.write(build_plan(data), data, dry_run=True)
    assert result.changed and "contacts sheet: 24 cells" in result.details
    assert "Summary tab added" in result.details and result.backup is None
    assert contacts_xlsx.read_bytes() == before
    assert list(contacts_xlsx.parent.iterdir()) == [contacts_xlsx]


def test_untouched_members_are_copied_raw(contacts_xlsx: Path) -> None:
    before = raw_members(contacts_xlsx)
    sync(contacts_xlsx)
    after = raw_members(contacts_xlsx)
    changed = {n for n in before if before[n] != after.get(n)}
    assert changed == {
        "xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
        "[Content_Types].xml", "xl/styles.xml",
    }  # fmt: skip
    with zipfile.ZipFile(contacts_xlsx) as zf:
        names = zf.namelist()
    assert names[: len(before)] == list(before)


def test_equals_sign_text_stays_text(contacts_xlsx: Path) -> None:
    backend = ExcelBackend(contacts_xlsx)
    data = backend.read("Contacts", 1, None, 1)
    cols = (
        ManagedColumn(
            "stage", "Stage", "text", ("=1+1", '=HYPERLINK("x")', " pad ", "a<b&c", "_x0041_")
        ),
    )
    backend.write(build_plan(data, columns=cols, tabs=()), data)
    xml = sheet_xml(contacts_xlsx)
    assert b"<f>" not in xml and b"<f " not in xml
    ws = openpyxl.load_workbook(contacts_xlsx)["Contacts"]
    assert ws["F2"].value == "=1+1" and ws["F2"].data_type == "s"
    assert ws["F3"].value == '=HYPERLINK("x")' and ws["F3"].data_type == "s"
    assert ws["F4"].value == " pad " and ws["F5"].value == "a<b&c"
    data2 = backend.read("Contacts", 1, None, 1)
    assert list(data2.contacts["Stage"]) == ["=1+1", '=HYPERLINK("x")', " pad ", "a<b&c", "_x0041_"]


def test_dates_in_1904_workbook(tmp_path: Path) -> None:
    path = make_contacts_xlsx(tmp_path / "mac.xlsx", date1904=True)
    sync(path)
    xml = sheet_xml(path).decode()
    serial = (dt.date(2024, 5, 1) - dt.date(1904, 1, 1)).days
    assert f'<c r="I2" s="1"><v>{serial}</v></c>' in xml
    data = ExcelBackend(path).read("Contacts", 1, None, 1)
    assert data.contacts.loc[2, "Stage since"] == dt.date(2024, 5, 1)
    assert data.contacts.loc[2, "created"] == dt.date(2024, 1, 1)


def test_table_grows_over_managed_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Contacts")
    rows = [[f"u{i}@x", f"U{i}", i] for i in range(4)]
    ws.add_table(
        0, 0, 4, 2, {"data": rows, "columns": [{"header": h} for h in ("email", "name", "n")]}
    )
    wb.close()
    sync(path, tabs=())
    table = members(path)["xl/tables/table1.xml"].decode()
    assert 'ref="A1:G5"' in table and table.count("<tableColumn ") == 7
    assert re.search(r'<autoFilter ref="A1:G5"', table)
    ids = re.findall(r'<tableColumn id="(\d+)"', table)
    assert len(set(ids)) == 7
    names = re.findall(r'<tableColumn id="\d+" name="([^"]+)"', table)
    assert names == ["email", "name", "n", "Score", "Stage", "Why", "Stage since"]
    ws2 = openpyxl.load_workbook(path)["Contacts"]
    assert [c.value for c in ws2[1]] == names
    # a second sync neither grows the table again nor touches the file
    before = path.read_bytes()
    assert sync(path, tabs=())[0].changed is False and path.read_bytes() == before


def test_user_rules_kept_ours_replaced_priorities_unique(contacts_xlsx: Path) -> None:
    path = contacts_xlsx.parent / "cf.xlsx"
    x = xlsxwriter.Workbook(str(path))
    ws = x.add_worksheet("Contacts")
    ws.write_row(0, 0, ["email", "budget"])
    for i in range(5):
        ws.write_row(i + 1, 0, [f"u{i}@x", i * 10])
    ws.conditional_format("B2:B6", {"type": "data_bar", "data_bar_2010": True})
    ws.conditional_format("B2:B6", {"type": "cell", "criteria": ">", "value": 20})
    x.close()
    sync(path, tabs=())
    colours = (StageColour("Lead", "#FF0000"), StageColour("SQL", "#00FF00"))
    result, _, _ = sync(path, tabs=(), colours=colours)
    assert result.changed and result.cells_written == 0
    xml = sheet_xml(path).decode()
    assert xml.count("<conditionalFormatting") == 2  # the user's block and ours
    assert '"Prospect"' not in xml and '"SQL"' in xml
    assert "<x14:conditionalFormatting" in xml and "dataBar" in xml
    prios = re.findall(r'priority="(\d+)"', xml)
    assert sorted(prios) == ["1", "2", "3", "4"]  # 2 user rules + our 2, all distinct
    assert schema_order_problems(sheet_xml(path)) == []
    # existing dxfs are never renumbered: the new colours are appended (3 + 2) ...
    styles = members(path)["xl/styles.xml"]
    assert styles.decode().count("<dxf>") == 5
    # ... and going back to the first colours reuses the first three: styles.xml does not grow
    sync(path, tabs=())
    assert members(path)["xl/styles.xml"] == styles
    assert '"Prospect"' in sheet_xml(path).decode()


def test_pinned_column_over_user_data_is_refused(contacts_xlsx: Path) -> None:
    before = contacts_xlsx.read_bytes()
    backend = ExcelBackend(contacts_xlsx)
    data = backend.read("Contacts", 1, None, 1)
    pinned = (ManagedColumn("score", "Score", "number", (1, 2, 3, 4, 5), letter="C"),)
    with pytest.raises(SpreadsheetError, match="pinned for 'Score' but its header is 'company'"):
        backend.write(build_plan(data, columns=pinned, tabs=()), data)
    assert contacts_xlsx.read_bytes() == before


def test_pinned_free_column_is_used(contacts_xlsx: Path) -> None:
    backend = ExcelBackend(contacts_xlsx)
    data = backend.read("Contacts", 1, None, 1)
    pinned = (ManagedColumn("score", "Score", "number", (1, 2, 3, 4, 5), letter="K"),)
    backend.write(build_plan(data, columns=pinned, tabs=()), data)
    ws = openpyxl.load_workbook(contacts_xlsx)["Contacts"]
    assert ws["K1"].value == "Score" and ws["K6"].value == 5 and ws["F1"].value is None


def test_formula_in_managed_column_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "f.xlsx"
    x = xlsxwriter.Workbook(str(path))
    ws = x.add_worksheet("Contacts")
    ws.write_row(0, 0, ["email", "Score"])
    ws.write_row(1, 0, ["a@x", 1])
    ws.write_formula(2, 1, "=B2*2", None, 2)
    ws.write_row(2, 0, ["b@x"])
    x.close()
    define_names(path, {"_sheetfunnel_col_score": "'Contacts'!$B:$B"})  # a column of ours
    before = path.read_bytes()
    backend = ExcelBackend(path)
    data = backend.read("Contacts", 1, None, 1)
    cols = (ManagedColumn("score", "Score", "number", (5, 6)),)
    with pytest.raises(SpreadsheetError, match=r"B3 .* holds a formula"):
        backend.write(build_plan(data, columns=cols, tabs=()), data)
    assert path.read_bytes() == before


def test_key_mismatch_and_file_changed_are_refused(contacts_xlsx: Path) -> None:
    backend = ExcelBackend(contacts_xlsx)
    data = backend.read("Contacts", 1, None, 1)
    plan = build_plan(data, tabs=())
    shifted = replace(plan, keys=(*plan.keys[1:], plan.keys[0]))
    with pytest.raises(BusyError, match="changed during the sync"):
        backend.write(shifted, data)
    other = ExcelBackend(contacts_xlsx)
    other.write(build_plan(other.read("Contacts", 1, None, 1), tabs=()), data)
    after_other = contacts_xlsx.read_bytes()
    with pytest.raises(BusyError, match="the workbook changed during the sync; nothing was"):
        backend.write(plan, data)
    assert contacts_xlsx.read_bytes() == after_other
    with pytest.raises(InputError, match="key column 'id'"):
        backend.write(replace(plan, key_header="id"), data)


def test_owned_tab_replaced_old_chart_parts_removed(contacts_xlsx: Path) -> None:
    sync(contacts_xlsx)
    first = members(contacts_xlsx)
    backend = ExcelBackend(contacts_xlsx)
    data = backend.read("Contacts", 1, None, 1)
    plan = build_plan(data)
    summary = plan.tabs[0]
    rows = (summary.rows[0], ("Lead", 7.0), ("MQL", 3.0))
    new_summary = replace(summary, rows=rows, charts=(replace(summary.charts[0], last_row=2),))
    result = backend.write(replace(plan, tabs=(new_summary, plan.tabs[1])), data)
    assert result.tabs_written == ("Summary",)
    after = members(contacts_xlsx)
    charts = [n for n in after if n.startswith("xl/charts/")]
    drawings = [n for n in after if n.startswith("xl/drawings/") and n.endswith(".xml")]
    assert charts == ["xl/charts/chart1.xml"] and drawings == ["xl/drawings/drawing1.xml"]
    assert after["xl/charts/chart1.xml"] != first["xl/charts/chart1.xml"]
    assert after["[Content_Types].xml"].count(b"chart1.xml") == 1
    assert b"<c:v>7</c:v>" in after["xl/charts/chart1.xml"]
    assert sorted(after) == sorted(first)
    # dropping the chart removes its drawing and chart parts and their content types
    no_chart = replace(new_summary, charts=())
    data = backend.read("Contacts", 1, None, 1)
    backend.write(replace(plan, tabs=(no_chart, plan.tabs[1])), data)
    final = members(contacts_xlsx)
    assert not [n for n in final if n.startswith(("xl/charts/", "xl/drawings/"))]
    assert b"chart1" not in final["[Content_Types].xml"]
    assert b"drawing1" not in final["[Content_Types].xml"]


def test_schema_order_of_written_sheets(corpus: Path, tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    shutil.copy(corpus / "fx_xlsxwriter.xlsx", path)
    path.chmod(0o644)
    result, _, _ = sync(path)
    assert result.changed
    for name, xml in members(path).items():
        if name.startswith("xl/worksheets/sheet"):
            assert schema_order_problems(xml) == [], name


def test_blank_managed_values_clear_cells_and_rows_past_end(contacts_xlsx: Path) -> None:
    sync(contacts_xlsx, tabs=())
    backend = ExcelBackend(contacts_xlsx)
    data = backend.read("Contacts", 1, None, 1)
    plan = build_plan(data, tabs=())
    short = tuple(replace(c, values=c.values[:3]) for c in plan.columns)
    short = (replace(short[0], values=(None, 10.0, 20.0)), *short[1:])
    result = backend.write(replace(plan, columns=short), data)
    assert result.cells_written == 1 + 2 * 4
    ws = openpyxl.load_workbook(contacts_xlsx)["Contacts"]
    assert ws["F2"].value is None and ws["F3"].value == 10
    assert ws["G5"].value is None and ws["G6"].value is None and ws["A6"].value is not None


def test_xlsm_keeps_macros(corpus: Path, tmp_path: Path) -> None:
    path = tmp_path / "m.xlsm"
    shutil.copy(corpus / "SimpleMacro.xlsm", path)
    path.chmod(0o644)
    x = members(path)
    backend = ExcelBackend(path)
    data = backend.read("Sheet1", 1, None, 1)
    cols = (ManagedColumn("stage", "Stage", "text", ()),)
    plan = build_plan(data, sheet="Sheet1", key="This is a macro workbook", columns=cols)
    assert backend.write(plan, data).changed
    y = members(path)
    assert y["xl/vbaProject.bin"] == x["xl/vbaProject.bin"]
    assert b"application/vnd.ms-excel.sheet.macroEnabled.main+xml" in y["[Content_Types].xml"]
    assert b"vbaProject" in y["[Content_Types].xml"]
    wb = openpyxl.load_workbook(path, keep_vba=True)
    assert wb["Sheet1"]["B1"].value == "Stage" and wb.vba_archive is not None


def test_replacing_a_tab_with_formulas_drops_the_stale_calc_chain(
    corpus: Path, tmp_path: Path
) -> None:
    from excel_helpers import add_contacts_tab

    from sheetfunnel.backends.base import OwnedTab

    path = tmp_path / "cf.xlsx"
    shutil.copy(corpus / "NewStyleConditionalFormattings.xlsx", path)
    path.chmod(0o644)
    add_contacts_tab(path)
    define_names(path, {"_sheetfunnel_tab_summary": "'CF'!$A$1"})  # as if we had created it
    before = members(path)
    assert "xl/calcChain.xml" in before
    backend = ExcelBackend(path)
    data = backend.read("SF Contacts", 1, None, 1)
    plan = build_plan(
        data, sheet="SF Contacts", tabs=(OwnedTab("summary", "CF", (("a", "b"), (1, 2))),)
    )
    result = backend.write(plan, data)
    assert result.tabs_written == ("CF",)
    after = members(path)
    assert "xl/calcChain.xml" not in after
    assert b"calcChain" not in after["xl/_rels/workbook.xml.rels"]
    assert b"calcChain" not in after["[Content_Types].xml"]
    assert after["xl/worksheets/sheet1.xml"] != before["xl/worksheets/sheet1.xml"]
    assert openpyxl.load_workbook(path)["CF"]["B2"].value == 2


def test_numpy_and_pandas_values_are_written_as_numbers_and_dates(contacts_xlsx: Path) -> None:
    import numpy as np
    import pandas as pd

    backend = ExcelBackend(contacts_xlsx)
    data = backend.read("Contacts", 1, None, 1)
    cols = (
        ManagedColumn("score", "Score", "number", tuple(np.arange(5, dtype=np.int64) * 2)),
        ManagedColumn("fit", "Fit", "number", (np.float64(1.5), np.nan, None, pd.NA, 2.0)),
        ManagedColumn(
            "stage_since",
            "Since",
            "date",
            (pd.Timestamp("2024-05-01"), pd.NaT, np.datetime64("2024-05-03"), None, None),
        ),
    )
    backend.write(build_plan(data, columns=cols, tabs=()), data)
    ws = openpyxl.load_workbook(contacts_xlsx)["Contacts"]
    assert [ws.cell(r, 6).value for r in range(2, 7)] == [0, 2, 4, 6, 8]
    assert [ws.cell(r, 7).value for r in range(2, 7)] == [1.5, None, None, None, 2]
    assert ws["H2"].value == dt.datetime(2024, 5, 1) and ws["H2"].number_format == "yyyy-mm-dd"
    assert ws["H3"].value is None and ws["H4"].value == dt.datetime(2024, 5, 3)
    data2 = backend.read("Contacts", 1, None, 1)
    assert backend.write(build_plan(data2, columns=cols, tabs=()), data2).changed is False


def test_impossible_plans_are_refused(contacts_xlsx: Path) -> None:
    from sheetfunnel.backends.base import OwnedTab

    backend = ExcelBackend(contacts_xlsx)
    data = backend.read("Contacts", 1, None, 1)
    twice = (ManagedColumn("stage", "Stage", "text", ()), ManagedColumn("why", "Stage", "text", ()))
    with pytest.raises(InputError, match="repeat the header"):
        backend.write(build_plan(data, columns=twice, tabs=()), data)
    for name in ("Summary/2024", "x" * 32, "", "'quoted"):
        with pytest.raises(InputError, match="cannot be an Excel tab name"):
            backend.write(build_plan(data, tabs=(OwnedTab("summary", name, (("a",),)),)), data)


def test_pinned_column_with_data_under_an_empty_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    x = xlsxwriter.Workbook(str(path))
    ws = x.add_worksheet("Contacts")
    ws.write_row(0, 0, ["email"])
    ws.write_row(1, 0, ["a@x", None, "my note"])
    ws.write_row(2, 0, ["b@x"])
    x.close()
    before = path.read_bytes()
    backend = ExcelBackend(path)
    data = backend.read("Contacts", 1, None, 1)
    pinned = (ManagedColumn("score", "Score", "number", (1, 2), letter="C"),)
    with pytest.raises(SpreadsheetError, match=r"cell C2 .* holds a value.*output\.columns\.score"):
        backend.write(build_plan(data, columns=pinned, tabs=()), data)
    assert path.read_bytes() == before


def test_every_new_part_gets_a_content_type_without_a_rels_default(
    contacts_xlsx: Path, tmp_path: Path
) -> None:
    """A package that declares its relationship parts one by one (no Default for "rels"):
    the new sheet and drawing rels parts get an Override each (issue 11, item 12)."""
    import re as regex
    import zipfile

    CT = "[Content_Types].xml"
    (tmp_path / "no-default").mkdir()
    path = tmp_path / "no-default" / "pipeline.xlsx"
    with zipfile.ZipFile(contacts_xlsx) as zin, zipfile.ZipFile(path, "w") as out:
        rels = [n for n in zin.namelist() if n.endswith(".rels")]
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == CT:
                data = regex.sub(rb"<Default Extension=\"rels\"[^>]*/>", b"", data)
                overrides = "".join(
                    f'<Override PartName="/{n}" ContentType="application/vnd.openxmlformats-'
                    'package.relationships+xml"/>'
                    for n in rels
                ).encode()
                data = data.replace(b"</Types>", overrides + b"</Types>")
            out.writestr(info.filename, data, zipfile.ZIP_DEFLATED)
    sync(path)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        types = zf.read(CT).decode()
    defaults = set(regex.findall(r'<Default Extension="([^"]+)"', types))
    overrides = {p.lstrip("/") for p in regex.findall(r'<Override PartName="([^"]+)"', types)}
    assert 'Extension="rels"' not in types
    new_rels = [n for n in names if regex.fullmatch(r"xl/(worksheets|drawings)/_rels/.*\.rels", n)]
    assert new_rels  # the Summary tab's chart brought some
    untyped = [
        n for n in names if n != CT and n not in overrides and n.rsplit(".", 1)[-1] not in defaults
    ]
    assert untyped == []


@pytest.mark.parametrize(
    ("change", "same"),
    [
        (lambda keys: keys, True),
        (lambda keys: (*keys[1:], keys[0]), False),  # rows no longer line up
        (lambda keys: keys[:-1], False),  # a row fewer
        (lambda keys: (None, *keys[1:]), False),  # a key blanked
    ],
)
def test_a_plan_whose_keys_do_not_line_up_with_the_read_is_refused(
    contacts_xlsx: Path, change, same: bool
) -> None:
    before = contacts_xlsx.read_bytes()
    backend = ExcelBackend(contacts_xlsx)
    data = backend.read("Contacts", 1, None, 1)
    plan = build_plan(data)
    plan = replace(plan, keys=change(plan.keys))
    if same:
        assert backend.write(plan, data).changed
        return
    with pytest.raises(BusyError, match=r"the key column no longer lines up"):
        backend.write(plan, data)
    assert contacts_xlsx.read_bytes() == before


def test_blank_keys_of_any_kind_line_up() -> None:
    import numpy as np

    from sheetfunnel.backends.excel.backend import _same_keys

    read = np.array(["a@x", None, "", float("nan"), 1.0, True], dtype=object)
    assert _same_keys(read, ("a@x", "", None, None, 1, True))
    assert not _same_keys(read, ("a@x", "", None, None, 2, True))
    assert not _same_keys(read, ("a@x", "b@x", None, None, 1, True))
    assert _same_keys(np.array([], dtype=object), ())


@given(
    st.lists(
        st.lists(st.sampled_from([None, "x", "", 0.0, float("nan")]), min_size=3, max_size=3),
        max_size=25,
    ),
    st.integers(1, 4),
)
def test_the_rows_read_back_end_at_the_last_cell_of_any_column(
    rows: list[list], header_row: int
) -> None:
    import numpy as np
    import pandas as pd

    from sheetfunnel.backends.excel.backend import _rows_with_cells

    frame = pd.DataFrame(
        np.array(rows, dtype=object).reshape(len(rows), 3),
        index=pd.RangeIndex(header_row + 1, header_row + 1 + len(rows)),
        columns=["a", "b", "c"],
        dtype=object,
    )
    last = max((c.last_valid_index() or 0 for _, c in frame.items()), default=0)
    plan = type("Plan", (), {"header_row": header_row})
    assert _rows_with_cells(frame, plan) == max(int(last), header_row) - header_row
