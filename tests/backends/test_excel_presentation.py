"""What a synced workbook looks like, read back with openpyxl and from the raw XML: the
Summary's formats, bold headings, widths, frozen header and one-page print setup; the funnel
chart in the stage colours with value labels; the funnel over time once syncs happened on
several days; the Companies tab; the managed columns' widths (never the user's); the created
override column's drop-down; and a rerun that writes nothing, styles.xml included."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from sheetfunnel.backends.excel import ExcelBackend
from sheetfunnel.config import Config
from sheetfunnel.demo import create_demo
from sheetfunnel.sync import sync

DAY = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return create_demo(tmp_path_factory.mktemp("demo"), contacts=120, end=DAY).workbook


@pytest.fixture
def book(pristine, tmp_path) -> Path:
    return Path(shutil.copy(pristine, tmp_path / "pipeline.xlsx"))


def run(path: Path, cfg: Config | None = None, *, on: dt.date = DAY):
    return sync(ExcelBackend(path, backup=False), cfg or Config(), as_of=on)


def part(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(name)


def parts(path: Path, prefix: str) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist() if n.startswith(prefix)}


def find_row(ws, text: str) -> int:
    for row in ws.iter_rows(min_col=1, max_col=1):
        if row[0].value == text:
            return row[0].row
    raise AssertionError(f"no row {text!r}")


def test_the_summary_reads_for_a_manager(book: Path) -> None:
    run(book)
    ws = openpyxl.load_workbook(book)["Summary"]
    assert ws["A1"].value == "Sales funnel summary" and ws["A1"].font.b
    funnel = find_row(ws, "Funnel")
    assert [c.value for c in ws[funnel][:4]] == ["Funnel", "Contacts", "Share", "To next stage"]
    assert all(c.font.b for c in ws[funnel][:4])
    lead = find_row(ws, "Lead")
    assert ws.cell(lead, 2).number_format == "#,##0"
    assert ws.cell(lead, 3).number_format == "0.0%"
    assert ws.cell(lead, 4).number_format == "0.0%"
    assert 0 < ws.cell(lead, 3).value < 1  # a fraction the format shows as a percentage
    win = find_row(ws, "Prospect to customer (win rate)")
    assert ws.cell(win, 2).number_format == "0.0%"
    days = find_row(ws, "Median days from first touch to prospect")
    assert ws.cell(days, 2).number_format == "0.0"
    # no internal enum values: no Kind column repeating lead/prospect in lower case
    words = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert not words & {"lead", "prospect", "customer", "lost", "disqualified", "Kind"}
    # a first sync says so where history-based figures cannot exist yet
    moves = find_row(ws, "Moves since the previous sync")
    assert ws.cell(moves + 1, 1).value == "first sync: no history yet"
    assert ws.cell(moves + 1, 1).font.i
    assert ws.cell(find_row(ws, "Previous sync"), 2).value == "first sync: no history yet"
    assert ws.freeze_panes == "A4"
    assert ws.column_dimensions["A"].width == 44
    assert ws.column_dimensions["B"].width >= len("Median days")
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 1)


def test_the_funnel_chart_has_the_stage_colours_and_value_labels(book: Path) -> None:
    run(book)
    charts = parts(book, "xl/charts/")
    assert len(charts) == 1  # one sync day: no funnel over time yet
    xml = next(iter(charts.values())).decode()
    ladder = Config().stages
    colours = re.findall(r'<c:dPt><c:idx val="(\d+)"/>.*?<a:srgbClr val="(\w+)"/>', xml)
    assert colours == [(str(i), s.colour.lstrip("#").upper()) for i, s in enumerate(ladder)]
    assert '<c:showVal val="1"/>' in xml and "<c:legend>" not in xml
    assert '<c:barDir val="bar"/>' in xml
    cats = re.findall(r"<c:pt idx=\"\d+\"><c:v>([^<]+)</c:v>", xml.split("<c:val>")[0])
    assert cats == [s.name for s in ladder]  # exits stand apart, in the table
    drawing = next(iter(parts(book, "xl/drawings/drawing").values())).decode()
    # anchored beside the narrow tables, clear of every filled cell
    ws = openpyxl.load_workbook(book)["Summary"]
    col = int(re.search(r"<xdr:col>(\d+)</xdr:col>", drawing).group(1))
    row = int(re.search(r"<xdr:row>(\d+)</xdr:row>", drawing).group(1))
    for r in range(row + 1, row + 1 + 15):
        for c in range(col + 1, col + 8):
            assert ws.cell(r, c).value is None, (r, c)


def test_two_charts_once_syncs_happened_on_several_days_and_a_rerun_writes_nothing(
    book: Path,
) -> None:
    run(book)
    run(book, on=DAY + dt.timedelta(days=1))
    third = DAY + dt.timedelta(days=3)
    run(book, on=third)
    wb = openpyxl.load_workbook(book)
    assert len(wb["Summary"]._charts) == 2
    daily = list(wb["Funnel by day"].iter_rows(values_only=True))
    assert daily[0][0] == "Date" and len(daily) == 4
    assert [r[0].date() for r in daily[1:]] == [DAY, DAY + dt.timedelta(days=1), third]
    line = [x.decode() for x in parts(book, "xl/charts/").values() if b"<c:lineChart>" in x]
    assert len(line) == 1
    assert "'Funnel by day'!$A$2:$A$4" in line[0]
    names = re.findall(r"<c:tx><c:v>([^<]+)</c:v></c:tx>", line[0])
    assert names == [s.name for s in Config().stages[1:]]
    before = (book.read_bytes(), book.stat().st_mtime_ns)
    styles = part(book, "xl/styles.xml")
    again = run(book, on=third)
    assert not again.changed
    assert (book.read_bytes(), book.stat().st_mtime_ns) == before
    assert part(book, "xl/styles.xml") == styles


def test_styles_do_not_grow_from_one_sync_day_to_the_next(book: Path) -> None:
    run(book)
    first = part(book, "xl/styles.xml")
    run(book, on=DAY + dt.timedelta(days=1))
    run(book, on=DAY + dt.timedelta(days=2))
    assert part(book, "xl/styles.xml") == first


def test_the_companies_tab(book: Path) -> None:
    report = run(book)
    ws = openpyxl.load_workbook(book)["Companies"]
    header = [c.value for c in ws[1]]
    stages = [s.name for s in Config().all_stages()]
    assert header == [
        "Company", "Contacts", "Best score", "Total score", "Most advanced stage", *stages,
        "Owners",
    ]  # fmt: skip
    assert all(c.font.b for c in ws[1])
    body = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(body) == len(report.results.companies)
    best = [r[2] for r in body]
    assert best == sorted(best, reverse=True)
    assert ws.freeze_panes == "B2"
    assert ws.cell(2, 2).number_format == "#,##0"
    assert all(r[-1] for r in body)  # the demo's contacts all have an owner
    xml = part(book, _sheet_part(book, "Companies")).decode()
    assert '<conditionalFormatting sqref="E2:E1048576">' in xml  # coloured like Stage
    off = Config().model_copy(
        update={"output": Config().output.model_copy(update={"companies_tab": ""})}
    )
    fresh = book.with_name("fresh.xlsx")
    shutil.copy(book.with_name("pipeline.xlsx"), fresh)
    run(fresh)  # already has our Companies tab: left as it is, not rewritten or removed
    other = book.with_name("none.xlsx")
    create = create_demo(book.parent / "d2", contacts=30, end=DAY).workbook
    shutil.copy(create, other)
    run(other, off)
    assert "Companies" not in openpyxl.load_workbook(other).sheetnames


def _sheet_part(path: Path, title: str) -> str:
    wb = openpyxl.load_workbook(path)
    index = wb.sheetnames.index(title)
    with zipfile.ZipFile(path) as zf:
        workbook = zf.read("xl/workbook.xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.findall(r'<sheet [^>]*r:id="(rId\d+)"', workbook)[index]
    target = re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"', rels) or re.search(
        rf'Target="([^"]+)"[^>]*Id="{rid}"', rels
    )
    return "xl/" + target.group(1).lstrip("/").removeprefix("xl/")


def test_managed_columns_are_sized_and_formatted_and_user_widths_stay(book: Path) -> None:
    before = openpyxl.load_workbook(book)["Contacts"]
    user = {k: v.width for k, v in before.column_dimensions.items()}
    run(book)
    ws = openpyxl.load_workbook(book)["Contacts"]
    header = {c.value: c.column_letter for c in ws[1]}
    since = header["Stage since"]
    assert ws.column_dimensions[since].width >= 10  # never ###
    assert ws[f"{since}2"].number_format == "yyyy-mm-dd"
    for name in ("Engagement", "Stage since", "Next action", "Why"):
        assert ws.column_dimensions[header[name]].width >= len(name) + 2, name
    why = [c.value for c in ws[header["Why"]][1:] if c.value]
    assert ws.column_dimensions[header["Why"]].width >= min(max(map(len, why)), 100)
    ours = {header[h] for h in ("Score", "Fit", "Engagement", "Stage", "Stage since")}
    ours |= {header["Next action"], header["Why"]}
    xml = part(book, _sheet_part(book, "Contacts")).decode()
    for letter, width in user.items():
        if letter not in ours:
            assert openpyxl.load_workbook(book)["Contacts"].column_dimensions[letter].width == (
                width
            ), letter
    assert "wrapText" not in xml


def test_a_users_column_range_is_split_around_ours_never_widened(tmp_path: Path) -> None:
    path = tmp_path / "ranged.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Contacts")
    sheet.set_column(0, 20, 15)  # one <col min=1 max=21> covering where ours will go
    for j, h in enumerate(["Email", "Name", "Company"]):
        sheet.write(0, j, h)
    for i in range(1, 6):
        sheet.write_row(i, 0, [f"p{i}@x.com", f"P {i}", "ACME"])
    book.add_worksheet("Activities").write_row(0, 0, ["Email", "Activity", "Date"])
    book.close()
    run(path)
    xml = part(path, "xl/worksheets/sheet1.xml").decode()
    cols = re.findall(r'<col min="(\d+)" max="(\d+)" width="([\d.]+)"', xml)
    spans = [(int(a), int(b), float(w)) for a, b, w in cols]
    assert spans[0][:2] == (1, 3) and spans[0][2] == pytest.approx(15.7109375)
    ours = [s for s in spans if 4 <= s[0] <= 11]
    assert all(a == b for a, b, _ in ours) and len(ours) == 8  # 7 managed + the override
    tail = spans[-1]
    assert tail[:2] == (12, 21) and tail[2] == spans[0][2]


def test_a_created_override_column_offers_the_stages(book: Path) -> None:
    cfg = Config().model_copy(
        update={"columns": Config().columns.model_copy(update={"stage_override": "Set stage"})}
    )
    report = run(book, cfg)
    assert not [n for n in report.notices if "stage_override" in n.message]
    wb = openpyxl.load_workbook(book)
    ws = wb["Contacts"]
    header = {c.value: c.column_letter for c in ws[1]}
    letter = header["Set stage"]
    names = [s.name for s in Config().all_stages()]
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert len(lists) == 1
    assert lists[0].formula1 == '"' + ",".join(names) + '"'
    assert str(lists[0].sqref) == f"{letter}2:{letter}1048576"
    assert ws.column_dimensions[letter].width >= len("Set stage")
    # the user picks a stage in it: the next sync keeps it and follows it
    ws[f"{letter}3"] = "Customer"
    key = ws["A3"].value
    wb.save(book)
    again = run(book, cfg, on=DAY + dt.timedelta(days=1))
    people = again.results.contacts.set_index("key")
    assert people.loc[key, "stage"] == "Customer" and people.loc[key, "overridden"]
    ws = openpyxl.load_workbook(book)["Contacts"]
    assert ws[f"{letter}3"].value == "Customer"
    assert [c.value for c in ws[1]].count("Set stage") == 1
    before = book.read_bytes()
    assert not run(book, cfg, on=DAY + dt.timedelta(days=1)).changed
    assert book.read_bytes() == before
