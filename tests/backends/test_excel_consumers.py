"""Real consumers read what the writer wrote: LibreOffice (headless), calamine, openpyxl."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import subprocess
import uuid
import zipfile
from pathlib import Path

import openpyxl
from excel_helpers import CORPUS, build_plan, make_contacts_xlsx
from python_calamine import CalamineWorkbook

from sheetfunnel.backends.excel import ExcelBackend
from sheetfunnel.errors import InputError

ALL_SHEETS_CSV = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def libreoffice_csv(path: Path, outdir: Path) -> dict[str, list[list[str]]]:
    """Every sheet of `path` as LibreOffice exports it to CSV (formatted text)."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (soffice) is required"
    profile = Path("/tmp") / f"sf-lo-{uuid.uuid4().hex}"
    try:
        subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless",
             "--convert-to", ALL_SHEETS_CSV, "--outdir", str(outdir), str(path)],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    out = {}
    for f in outdir.glob(f"{path.stem}-*.csv"):
        with f.open(newline="", encoding="utf-8") as fh:
            out[f.stem[len(path.stem) + 1 :]] = list(csv.reader(fh))
    assert out, "LibreOffice wrote no CSV (it exits 0 even when it cannot read a file)"
    return out


def test_libreoffice_calamine_openpyxl_read_the_synced_workbook(tmp_path: Path) -> None:
    path = make_contacts_xlsx(tmp_path / "pipe.xlsx", rows=8)
    backend = ExcelBackend(path)
    data = backend.read("Contacts", 1, None, 1)
    plan = build_plan(data)
    assert backend.write(plan, data).changed
    sheets = libreoffice_csv(path, tmp_path / "lo")
    contacts = sheets["Contacts"]
    header = contacts[0]
    assert header[-4:] == ["Score", "Stage", "Why", "Stage since"]
    for i, row in enumerate(contacts[1:]):
        cells = dict(zip(header, row, strict=True))
        assert float(cells["Score"]) == plan.columns[0].values[i]
        assert cells["Stage"] == plan.columns[1].values[i]
        assert cells["Why"] == plan.columns[2].values[i]
        assert cells["Stage since"] == plan.columns[3].values[i].isoformat()
        assert cells["email"] == f"user{i}@example.com"
    assert sheets["Summary"][1:] == [[s, str(n)] for s, n in [
        ("Lead", 1), ("MQL", 2), ("SQL", 3), ("Prospect", 4), ("Customer", 5)]]  # fmt: skip
    assert sheets["History"][1] == ["a", "Lead", "MQL", "2024-05-02"]

    wb = CalamineWorkbook.from_path(str(path))
    rows = wb.get_sheet_by_name("Contacts").to_python()
    assert rows[0][-4:] == ["Score", "Stage", "Why", "Stage since"]
    assert rows[3][-4:] == [20.0, "SQL", "because 2", dt.date(2024, 5, 3)]

    ws = openpyxl.load_workbook(path)["Contacts"]
    assert [c.value for c in ws[4]][-4:] == [20, "SQL", "because 2", dt.datetime(2024, 5, 3)]


def test_libreoffice_reads_a_synced_corpus_workbook(tmp_path: Path) -> None:
    path = tmp_path / "fx.xlsx"
    shutil.copy(CORPUS / "fx_xlsxwriter.xlsx", path)
    path.chmod(0o644)
    backend = ExcelBackend(path)
    data = backend.read("Contacts", 1, None, 1, key_header="email")
    assert list(data.contacts.index) == [2, 3, 4, 5]  # the table's totals row is no contact
    plan = build_plan(data)
    backend.write(plan, data)
    sheets = libreoffice_csv(path, tmp_path / "lo")
    header = sheets["Contacts"][0]
    assert header.count("Stage") == 1 and "Score" in header
    stage = header.index("Stage")
    assert [r[stage] for r in sheets["Contacts"][1 : len(plan.keys) + 1]] == list(
        plan.columns[1].values
    )
    assert set(sheets) >= {"Contacts", "Lists", "Summary", "History"}


def test_libreoffice_reads_every_synced_corpus_workbook(tmp_path: Path) -> None:
    """Each corpus workbook synced into its own first sheet opens in LibreOffice with the
    managed values in place (one soffice run converts them all)."""
    synced: dict[str, tuple[str, tuple]] = {}
    folder = tmp_path / "synced"
    folder.mkdir()
    for source in sorted(CORPUS.glob("*.xls*")):
        path = folder / source.name
        shutil.copy(source, path)
        path.chmod(0o644)
        first = CalamineWorkbook.from_path(str(path)).sheet_names[0]
        backend = ExcelBackend(path, backup=False)
        try:
            key = str(backend.read(first, 1, None, 1).contacts.columns[0])
        except InputError:
            continue
        data = backend.read(first, 1, None, 1, key_header=key)
        plan = build_plan(data, sheet=first, key=key)
        backend.write(plan, data)
        synced[path.stem] = (first, plan.columns[1].values)
    assert len(synced) == 13
    soffice = shutil.which("soffice")
    assert soffice
    profile = Path("/tmp") / f"sf-lo-{uuid.uuid4().hex}"
    out = tmp_path / "csv"
    try:
        subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless",
             "--convert-to", ALL_SHEETS_CSV, "--outdir", str(out),
             *(str(folder / f"{stem}{'.xlsm' if stem == 'SimpleMacro' else '.xlsx'}")
               for stem in synced)],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    for stem, (sheet, stages) in synced.items():
        csv_file = out / f"{stem}-{sheet}.csv"
        assert csv_file.exists(), f"LibreOffice could not convert {stem}"
        with csv_file.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        assert "Stage" in rows[0], stem
        col = rows[0].index("Stage")
        got = [r[col] if col < len(r) else "" for r in rows[1 : len(stages) + 1]]
        assert got == list(stages), stem
        assert (out / f"{stem}-Summary.csv").exists(), stem


def test_after_a_libreoffice_resave_the_next_sync_reuses_everything(tmp_path: Path) -> None:
    """A user opens the synced file in LibreOffice and saves it (shared strings, rewritten
    styles and rules): the next sync finds its columns and its colour rules again."""
    path = make_contacts_xlsx(tmp_path / "pipe.xlsx", rows=6)
    backend = ExcelBackend(path)
    data = backend.read("Contacts", 1, None, 1)
    backend.write(build_plan(data), data)
    soffice = shutil.which("soffice")
    assert soffice
    profile = Path("/tmp") / f"sf-lo-{uuid.uuid4().hex}"
    out = tmp_path / "resaved"
    try:
        subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless",
             "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(path)],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    resaved = out / "pipe.xlsx"
    backend = ExcelBackend(resaved)
    data = backend.read("Contacts", 1, None, 1)
    result = backend.write(build_plan(data), data)
    assert result.cells_written == 0
    ws = openpyxl.load_workbook(resaved)["Contacts"]
    header = [c.value for c in ws[1]]
    assert header.count("Stage") == 1 and header.count("Score") == 1 and len(header) == 9
    with zipfile.ZipFile(resaved) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    assert len(re.findall(r"<conditionalFormatting", sheet)) == 1
    data = backend.read("Contacts", 1, None, 1)
    assert backend.write(build_plan(data), data).changed is False
