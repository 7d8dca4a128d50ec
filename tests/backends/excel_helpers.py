"""Helpers shared by the Excel backend tests: workbook builders and a LibreOffice converter."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import uuid
from pathlib import Path

import xlsxwriter

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
CORPUS = SHARED / "fixtures" / "excel-corpus"


def make_contacts_xlsx(path: Path, rows: int = 5, *, date1904: bool = False) -> Path:
    """A small real workbook: Contacts (email, name, company, created, budget) + Activities."""
    wb = xlsxwriter.Workbook(str(path), {"date_1904": date1904})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet("Contacts")
    ws.write_row(0, 0, ["email", "name", "company", "created", "budget"])
    for i in range(rows):
        ws.write_string(i + 1, 0, f"user{i}@example.com")
        ws.write_string(i + 1, 1, f"User {i}")
        ws.write_string(i + 1, 2, "ACME" if i % 2 else "Globex")
        ws.write_datetime(i + 1, 3, dt.datetime(2024, 1, 1 + i % 28), date_fmt)
        ws.write_number(i + 1, 4, 1000 * i)
    act = wb.add_worksheet("Activities")
    act.write_row(0, 0, ["email", "type", "date"])
    for i in range(rows * 2):
        act.write_row(i + 1, 0, [f"user{i % rows}@example.com", "email_open"])
        act.write_datetime(i + 1, 2, dt.datetime(2024, 2, 1), date_fmt)
    wb.close()
    return path


def soffice_convert(src: Path, fmt: str, outdir: Path, filter_opts: str = "") -> Path:
    """Convert with LibreOffice headless, with a private profile so runs do not clash."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (soffice) is required for the consumer tests"
    profile = Path("/tmp") / f"sf-lo-{uuid.uuid4().hex}"
    target = fmt + (f":{filter_opts}" if filter_opts else "")
    try:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                target,
                "--outdir",
                str(outdir),
                str(src),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    out = outdir / (src.stem + "." + fmt.split(":")[0])
    assert out.exists(), f"soffice produced no {out}"
    return out


WORKSHEET_ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState",
    "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting",
    "dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter",
    "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags",
    "drawing", "legacyDrawing", "legacyDrawingHF", "picture", "oleObjects", "controls",
    "webPublishItems", "tableParts", "extLst",
)  # fmt: skip


def schema_order_problems(xml: bytes) -> list[str]:
    """Children of <worksheet> out of schema order (mc:AlternateContent judged by content)."""
    from lxml import etree

    root = etree.fromstring(xml)
    names = []
    for child in root:
        if not isinstance(child.tag, str):
            continue
        local = etree.QName(child).localname
        if local == "AlternateContent":
            inner = [etree.QName(e).localname for e in child.iter() if isinstance(e.tag, str)]
            local = next((n for n in inner if n in WORKSHEET_ORDER), local)
        assert local in WORKSHEET_ORDER, f"unknown worksheet child {local}"
        names.append(local)
    ranks = [WORKSHEET_ORDER.index(n) for n in names]
    return [] if ranks == sorted(ranks) else names


def build_plan(data, sheet: str = "Contacts", header_row: int = 1, key: str = "email", **kw):
    """A plan of 4 managed columns (number, text, text, date) + Summary/History tabs."""
    from sheetfunnel.backends.base import (
        Chart,
        ChartSeries,
        ManagedColumn,
        OwnedTab,
        StageColour,
        WritePlan,
    )

    n = len(data.contacts)
    stages = ["Lead", "MQL", "SQL", "Prospect", "Customer"]
    columns = kw.get("columns") or (
        ManagedColumn("score", "Score", "number", tuple(float(i * 10) for i in range(n))),
        ManagedColumn("stage", "Stage", "text", tuple(stages[i % 5] for i in range(n))),
        ManagedColumn("why", "Why", "text", tuple(f"because {i}" for i in range(n))),
        ManagedColumn(
            "stage_since",
            "Stage since",
            "date",
            tuple(dt.date(2024, 5, 1 + i % 28) for i in range(n)),
        ),
    )
    summary = OwnedTab(
        "summary",
        "Summary",
        (("Stage", "Contacts"), *((s, float(i + 1)) for i, s in enumerate(stages))),
        charts=(Chart("bar", "Funnel", 0, 1, 5, (ChartSeries("Contacts", 1),)),),
    )
    history = OwnedTab(
        "history",
        "History",
        (("key", "from", "to", "when"), ("a", "Lead", "MQL", dt.date(2024, 5, 2))),
        date_columns=(3,),
    )
    return WritePlan(
        sheet=sheet,
        header_row=header_row,
        key_header=key,
        keys=tuple(data.contacts[key]) if key in data.contacts else (),
        columns=columns,
        stage_header="Stage",
        stage_colours=kw.get(
            "colours",
            (
                StageColour("Lead", "#DDEBF7"),
                StageColour("Prospect", "#FFEB9C", "#9C5700"),
                StageColour("Customer", "#C6EFCE", "#006100"),
            ),
        ),
        tabs=kw.get("tabs", (summary, history)),
    )


def members(path: Path) -> dict[str, bytes]:
    """Every zip member's bytes."""
    import zipfile

    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i.filename) for i in zf.infolist()}


def raw_members(path: Path) -> dict[str, tuple[int, int, int]]:
    """(CRC, compressed size, method) of each member: equal means copied raw, not recompressed."""
    import zipfile

    with zipfile.ZipFile(path) as zf:
        return {i.filename: (i.CRC, i.compress_size, i.compress_type) for i in zf.infolist()}


def add_contacts_tab(path: Path, name: str = "SF Contacts", rows: int = 6) -> None:
    """Append a contacts tab to a workbook with the writer's own owned-tab machinery."""
    import io
    import posixpath
    import zipfile

    from sheetfunnel.backends.base import EPOCH_1900, OwnedTab
    from sheetfunnel.backends.excel.ownedxml import owned_sheet_xml
    from sheetfunnel.backends.excel.package import CT_WORKSHEET, REL_WORKSHEET, Package
    from sheetfunnel.backends.excel.packedit import PackageEdit
    from sheetfunnel.backends.excel.styles import MINIMAL_STYLES, Styles
    from sheetfunnel.backends.excel.zipcopy import ZipCopier

    table = (
        ("email", "name", "company"),
        *tuple((f"u{i}@example.com", f"User {i}", "ACME") for i in range(rows)),
    )
    out = io.BytesIO()
    with path.open("rb") as fh, zipfile.ZipFile(fh) as zf:
        pkg = Package(zf)
        wb_part = pkg.workbook_part()
        edit = PackageEdit(pkg, wb_part)
        part = edit.free_name(posixpath.join(posixpath.dirname(wb_part), "worksheets/sheet%d.xml"))
        xml = owned_sheet_xml(
            OwnedTab("summary", name, table),
            epoch=EPOCH_1900,
            styles=Styles(MINIMAL_STYLES),
            drawing_rid=None,
        )
        edit.put(part, xml, CT_WORKSHEET)
        edit.add_sheet(name, part, REL_WORKSHEET)
        parts, _removed = edit.changes()
        copier = ZipCopier(zf, fh, out)
        for info in zf.infolist():
            if info.filename in parts:
                copier.write(info.filename, [parts.pop(info.filename)], date_time=info.date_time)
            else:
                copier.copy(info.filename)
        for n, data in parts.items():
            copier.write(n, [data])
        copier.close()
    path.write_bytes(out.getvalue())


_FEATURE_PARTS = {
    "pictures": r"xl/media/",
    "charts": r"xl/charts/chart\d+\.xml$",
    "chart styles": r"xl/charts/(style|colors)\d+\.xml$",
    "drawings": r"xl/drawings/drawing\d+\.xml$",
    "vml": r"xl/drawings/vmlDrawing\d+\.vml$",
    "pivot tables": r"xl/pivotTables/pivotTable\d+\.xml$",
    "pivot caches": r"xl/pivotCache/pivotCacheDefinition\d+\.xml$",
    "slicers": r"xl/slicers/",
    "slicer caches": r"xl/slicerCaches/",
    "tables": r"xl/tables/",
    "threaded comment parts": r"xl/threadedComments/",
    "persons": r"xl/persons/",
    "comment parts": r"xl/comments\d+\.xml$",
    "activeX": r"xl/activeX/",
    "embeddings": r"xl/embeddings/",
    "customXml": r"customXml/",
    "xml maps": r"xl/xmlMaps\.xml$",
    "connections": r"xl/connections\.xml$",
    "rich data": r"xl/richData/",
    "metadata": r"xl/metadata\.xml$",
    "printer settings": r"xl/printerSettings/",
    "VBA": r"xl/vbaProject\.bin$",
}
_FEATURE_TEXT = {
    "sparklines": rb"<x14:sparkline>",
    "x14 extensions": rb"<ext\b",
    "data validations": rb"<dataValidation\b",
    "x14 data validations": rb"<x14:dataValidation\b",
    "conditional format rules": rb"<cfRule\b",
    "x14 conditional format rules": rb"<x14:cfRule\b",
    "hyperlinks": rb"<hyperlink\b",
    "merged ranges": rb"<mergeCell\b",
    "shapes": rb"<xdr:sp\b",
    "drawn pictures": rb"<xdr:pic\b",
    "graphic frames": rb"<xdr:graphicFrame\b",
    "comments": rb"<comment\b",
    "threaded comments": rb"<threadedComment\b",
    "defined names": rb"<definedName\b",
    "OLE objects": rb"<oleObject\b",
    "controls": rb"<control\b",
    "cached formula values": rb"</f><v>|<f\b[^>]*/><v>",
    "formulas": rb"<f\b",
    "macro content type": rb"macroEnabled",
}


def inventory(parts: dict[str, bytes], skip: set[str] = frozenset()) -> dict[str, int]:
    """Feature counts of a package, leaving out the parts in `skip` (owned tabs' parts)."""
    import re

    counts = dict.fromkeys((*_FEATURE_PARTS, *_FEATURE_TEXT), 0)
    for name, data in parts.items():
        if name in skip:
            continue
        for feature, pattern in _FEATURE_PARTS.items():
            if re.match(pattern, name):
                counts[feature] += 1
        if name.endswith((".xml", ".vml")):
            for feature, pattern in _FEATURE_TEXT.items():
                counts[feature] += len(re.findall(pattern, data))
    return counts


def define_names(path: Path, names: dict[str, str], *, hidden: bool = True) -> None:
    """Add workbook-level defined names to xl/workbook.xml (markers as a sync would leave)."""
    import io
    import zipfile
    from xml.sax.saxutils import escape

    flag = ' hidden="1"' if hidden else ""
    xml = "".join(
        f'<definedName name="{n}"{flag}>{escape(ref)}</definedName>' for n, ref in names.items()
    ).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as zi, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zi.infolist():
            data = zi.read(info.filename)
            if info.filename == "xl/workbook.xml":
                if b"<definedNames>" in data:
                    data = data.replace(b"<definedNames>", b"<definedNames>" + xml, 1)
                else:
                    data = data.replace(
                        b"</sheets>", b"</sheets><definedNames>" + xml + b"</definedNames>", 1
                    )
            zo.writestr(info, data)
    path.write_bytes(buf.getvalue())


def workbook_names(path: Path) -> dict[str, tuple[str, str | None]]:
    """Defined names of a workbook: name -> (formula text, hidden attribute)."""
    import re
    import zipfile
    from html import unescape

    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/workbook.xml").decode()
    out = {}
    for attrs, text in re.findall(r"<definedName\b([^>]*)>([^<]*)</definedName>", xml):
        name = re.search(r'\bname="([^"]+)"', attrs).group(1)
        hidden = re.search(r'\bhidden="([^"]+)"', attrs)
        out[name] = (unescape(text), hidden.group(1) if hidden else None)
    return out
