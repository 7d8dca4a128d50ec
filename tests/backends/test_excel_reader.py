"""The Excel reader: raw cells into SheetData, and one clear error per kind of bad input."""

from __future__ import annotations

import datetime as dt
import gc
import io
import shutil
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from excel_helpers import make_contacts_xlsx, soffice_convert
from msoffcrypto.format.ooxml import OOXMLFile
from python_calamine import CalamineWorkbook

from sheetfunnel.backends.base import EPOCH_1900, EPOCH_1904
from sheetfunnel.backends.excel import ExcelBackend, reader
from sheetfunnel.backends.excel.safesave import fingerprint
from sheetfunnel.errors import InputError, SpreadsheetError


def read(path: Path, tab: str = "Contacts", header_row: int = 1, **kw):
    return ExcelBackend(path).read(tab, header_row, kw.get("act"), 1, key_header=kw.get("key", ""))


def test_reads_contacts_and_activities(contacts_xlsx: Path) -> None:
    data = ExcelBackend(contacts_xlsx).read("Contacts", 1, "Activities", 1)
    c = data.contacts
    assert list(c.columns) == ["email", "name", "company", "created", "budget"]
    assert list(c.index) == [2, 3, 4, 5, 6]
    assert c.dtypes.eq(object).all()
    assert c.loc[2, "email"] == "user0@example.com"
    assert c.loc[3, "created"] == dt.date(2024, 1, 2)
    assert c.loc[3, "budget"] == 1000.0
    assert data.activities is not None and len(data.activities) == 10
    assert data.owned == {} and data.ownership.columns == {} and data.ownership.tabs == {}
    assert data.tabs == ("Contacts", "Activities") and data.duplicates == {}
    assert data.serial_epoch == EPOCH_1900
    assert data.token == fingerprint(contacts_xlsx)


def test_headers_blank_dropped_repeated_suffixed_blank_rows_kept(tmp_path: Path) -> None:
    path = tmp_path / "h.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Contacts")
    ws.write_row(1, 0, ["  email ", None, "x", "x", 2024, "x"])
    ws.write_row(2, 0, ["a@x", "hidden", 1, 2, 3, 4])
    ws.write_row(4, 0, ["b@x", None, None, "t", None, None])
    wb.close()
    c = read(path, header_row=2).contacts
    assert list(c.columns) == ["email", "x", "x (2)", "2024", "x (3)"]
    assert list(c.index) == [3, 4, 5]
    assert c.loc[4].isna().all() and c.loc[4].tolist() == [None] * 5
    assert c.loc[5, "x (2)"] == "t" and c.loc[5, "x"] is None


def test_1904_workbook(corpus: Path, tmp_path: Path) -> None:
    data = read(corpus / "dates1904.xlsx", tab="D")
    assert data.serial_epoch == EPOCH_1904
    assert data.contacts.loc[2, "value"] == dt.date(2024, 3, 15)
    made = make_contacts_xlsx(tmp_path / "x.xlsx", date1904=True)
    assert read(made).serial_epoch == EPOCH_1904


def test_every_corpus_workbook_reads_or_says_why(corpus: Path) -> None:
    for f in sorted(corpus.glob("*.xls*")):
        first = CalamineWorkbook.from_path(str(f)).sheet_names[0]
        try:
            data = read(f, tab=first)
        except InputError as ex:
            assert "is empty" in str(ex) and ex.sheet == first and ex.file == str(f)
        else:
            assert len(data.contacts.columns) >= 1


def test_xlsm_reads(corpus: Path) -> None:
    data = read(corpus / "SimpleMacro.xlsm", tab="Sheet1")
    assert list(data.contacts.columns) == ["This is a macro workbook"]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found") as ei:
        read(tmp_path / "nope.xlsx")
    assert ei.value.file == str(tmp_path / "nope.xlsx")


def test_missing_tab_lists_tabs(contacts_xlsx: Path) -> None:
    with pytest.raises(InputError, match="'Contacts', 'Activities'") as ei:
        read(contacts_xlsx, tab="Leads")
    assert ei.value.sheet == "Leads" and ei.value.file == str(contacts_xlsx)


def test_empty_header_row(contacts_xlsx: Path) -> None:
    with pytest.raises(InputError, match="header row 40"):
        read(contacts_xlsx, header_row=40)


def test_not_a_zip(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_text("email,name\n")
    with pytest.raises(SpreadsheetError, match="not a zip") as ei:
        read(bad)
    assert ei.value.file == str(bad)


def test_corrupt_zip(contacts_xlsx: Path) -> None:
    data = contacts_xlsx.read_bytes()
    contacts_xlsx.write_bytes(data[: len(data) // 2])
    with pytest.raises(SpreadsheetError, match="damaged"):
        read(contacts_xlsx)


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "z.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(SpreadsheetError, match="not an Excel workbook"):
        read(path)


def test_encrypted_workbook(contacts_xlsx: Path, tmp_path: Path) -> None:
    out = io.BytesIO()
    with contacts_xlsx.open("rb") as fh:
        OOXMLFile(fh).encrypt("secret", out)
    enc = tmp_path / "enc.xlsx"
    enc.write_bytes(out.getvalue())
    assert enc.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
    with pytest.raises(SpreadsheetError, match="password-protected"):
        read(enc)


def test_legacy_xls_and_ods(contacts_xlsx: Path, tmp_path: Path) -> None:
    xls = soffice_convert(contacts_xlsx, "xls", tmp_path)
    with pytest.raises(SpreadsheetError, match=r"save it as \.xlsx"):
        read(xls)
    ods = soffice_convert(contacts_xlsx, "ods", tmp_path)
    with pytest.raises(SpreadsheetError, match="not support for write-back"):
        read(ods)
    renamed = tmp_path / "renamed.xlsx"
    shutil.copy(ods, renamed)
    with pytest.raises(SpreadsheetError, match="OpenDocument"):
        read(renamed)


def strict_copy(source: Path, target: Path) -> Path:
    """`source` as Excel saves a Strict Open XML workbook: ISO 29500 Strict namespaces."""
    import zipfile

    names = {
        b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": (
            b"http://purl.oclc.org/ooxml/spreadsheetml/main"
        ),
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships": (
            b"http://purl.oclc.org/ooxml/officeDocument/relationships"
        ),
    }
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in zin.infolist():
            data = zin.read(info.filename)
            for old, new in names.items():
                data = data.replace(old, new)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b"<workbook ", b'<workbook conformance="strict" ', 1)
            out.writestr(info, data)
    return target


def test_a_strict_open_xml_workbook_is_refused_with_exit_5(contacts_xlsx: Path, tmp_path: Path):
    """Measured: calamine reads this file, but sheetfunnel's writer produces Transitional
    parts, so sync and score refuse it (exit 5) instead of 'tab not found' (exit 4)."""
    from click.testing import CliRunner

    from sheetfunnel.cli import cli

    strict = strict_copy(contacts_xlsx, tmp_path / "strict.xlsx")
    before = strict.read_bytes()
    for command in ("sync", "score"):
        result = CliRunner().invoke(cli, [command, str(strict)])
        assert result.exit_code == 5, result.output
        assert result.output.endswith(
            "Error: strict.xlsx is a Strict Open XML workbook, which sheetfunnel does not "
            "support: save it as Excel Workbook (.xlsx) (File > Save As) and retry.\n"
        )
    assert strict.read_bytes() == before


def test_an_excel_read_makes_its_rows_with_the_collector_paused(
    contacts_xlsx: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    real = reader.contacts_block

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(reader, "contacts_block", spy)
    ExcelBackend(contacts_xlsx).read("Contacts", 1, None, 1)
    assert seen == [False]
    assert gc.isenabled()
