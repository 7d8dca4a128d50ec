"""Exports are new files sheetfunnel creates, read back by real readers, never a user's file."""

import json

import openpyxl
import pytest
import xlsxwriter
from helpers import contact, raw
from python_calamine import CalamineWorkbook

from sheetfunnel import engine
from sheetfunnel.config import Config
from sheetfunnel.errors import InputError
from sheetfunnel.export import write_results


@pytest.fixture
def results():
    people = [
        contact("a@x.com", Job_title="VP Sales", Stage_override="Customer"),
        contact("b@x.com", Name='=HYPERLINK("x")'),
    ]
    acts = [{"Email": "a@x.com", "Activity": "call", "Date": "2024-06-01"}]
    return engine.score(Config(), raw(people), raw(acts), as_of="2024-06-30")


def test_xlsx_export_reads_back_with_calamine_and_openpyxl(results, tmp_path):
    path = write_results(results, tmp_path / "out.xlsx")
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == ["Contacts", "Companies", "Summary"]
    rows = book.get_sheet_by_name("Contacts").to_python()
    header = rows[0]
    assert header[:3] == ["key", "name", "company"]
    by_key = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert by_key["a@x.com"]["stage"] == "Customer"
    assert by_key["a@x.com"]["overridden"] is True
    assert by_key["a@x.com"]["score"] == results.contacts.set_index("key").loc["a@x.com", "score"]
    assert by_key["a@x.com"]["last_activity"] == "2024-06-01"
    # text that looks like a formula stays text
    sheet = openpyxl.load_workbook(path)["Contacts"]
    cell = next(c for c in sheet["B"] if c.value and str(c.value).startswith("="))
    assert cell.data_type == "s"


def test_csv_and_json_exports(results, tmp_path):
    csv = write_results(results, tmp_path / "out.csv")
    assert csv.read_text().splitlines()[1].startswith("a@x.com,A,Acme,VP Sales,")
    data = json.loads(write_results(results, tmp_path / "out.json").read_text())
    assert [c["key"] for c in data["contacts"]] == ["a@x.com", "b@x.com"]
    assert data["summary"]["stages"][4] == {
        "stage": "Customer",
        "kind": "customer",
        "contacts": 1,
        "share": 0.5,
    }


def test_an_export_never_replaces_a_file_it_did_not_write(results, tmp_path):
    theirs = tmp_path / "pipeline.xlsx"
    book = xlsxwriter.Workbook(str(theirs))
    book.add_worksheet("Contacts").write(0, 0, "precious")
    book.close()
    before = theirs.read_bytes()
    with pytest.raises(InputError, match="exists and was not written by sheetfunnel"):
        write_results(results, theirs)
    assert theirs.read_bytes() == before
    # its own export is replaced without fuss, and --force replaces anything
    ours = write_results(results, tmp_path / "ours.xlsx")
    write_results(results, ours)
    write_results(results, theirs, force=True)
    assert theirs.read_bytes() != before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_unknown_export_format(results, tmp_path):
    with pytest.raises(
        InputError, match=r"cannot export to \.txt; use one of \.csv, \.json, \.xlsx"
    ):
        write_results(results, tmp_path / "out.txt")


@pytest.mark.parametrize("suffix", [".csv", ".json", ".xlsx"])
def test_an_export_is_an_ordinary_new_file_not_0600(results, tmp_path, suffix):
    import os

    old = os.umask(0o022)
    try:
        path = write_results(results, tmp_path / f"out{suffix}")
        assert path.stat().st_mode & 0o777 == 0o644
        path.chmod(0o664)  # a rewrite of our own export keeps the mode it was given
        write_results(results, path)
        assert path.stat().st_mode & 0o777 == 0o664
    finally:
        os.umask(old)


def test_a_csv_export_opened_by_libreoffice_turns_no_cell_into_a_formula(tmp_path):
    """OWASP CSV injection: text cells starting with = + - @ tab or CR are prefixed with a
    quote; LibreOffice, told to evaluate formulas on import, then makes none of them one."""
    import shutil
    import subprocess
    import uuid

    people = [
        contact("a@x.com", Name='=HYPERLINK("http://evil","x")', Owner="+33 1 23 45"),
        contact("b@x.com", Name="-2+3", Company="@SUM(1)", Owner="\t=1+1"),
        contact("c@x.com", Name="\r=2+2", Company="Acme"),
    ]
    acts = [{"Email": "a@x.com", "Activity": "call", "Date": "2024-06-01"}]
    res = engine.score(Config(), raw(people), raw(acts), as_of="2024-06-30")
    path = write_results(res, tmp_path / "results.csv")
    profile = tmp_path / "lo-profile"
    csv_import = "CSV:44,34,76,1,,0,false,true,false,false,false,-1,true"  # evaluate formulas
    subprocess.run(
        [
            shutil.which("soffice") or "soffice",
            f"-env:UserInstallation=file://{profile}-{uuid.uuid4().hex}",
            "--headless",
            f"--infilter={csv_import}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    sheet = openpyxl.load_workbook(tmp_path / "results.xlsx").active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    header = [c.value for c in next(sheet.iter_rows())]
    rows = {
        r[0].value: dict(zip(header, (c.value for c in r), strict=True))
        for r in sheet.iter_rows(min_row=2)
    }
    assert rows["a@x.com"]["name"] == '\'=HYPERLINK("http://evil","x")'
    assert rows["b@x.com"]["company"] == "'@SUM(1)"
    assert all(not str(r["why"] or "").startswith(("+", "-", "=", "@")) for r in rows.values())
    assert isinstance(rows["a@x.com"]["score"], int | float)  # numbers stay numbers


def test_an_xlsx_export_cuts_texts_longer_than_a_cell(tmp_path):
    people = [contact("a@x.com", Owner="O" * 40_000), contact("b@x.com")]
    acts = [{"Email": "a@x.com", "Activity": "call", "Date": "2024-06-01"}]
    res = engine.score(Config(), raw(people), raw(acts), as_of="2024-06-30")
    notes: list[str] = []
    path = write_results(res, tmp_path / "out.xlsx", notes=notes)
    assert notes == [
        "2 texts longer than an Excel cell holds (32,767 characters) cut, ending in '…'"
    ]  # the contact's owner, and the owner's row in the Summary
    book = CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_name("Contacts").to_python()
    assert rows[1][rows[0].index("owner")] == "O" * 32_766 + "…"
    summary = [v for r in book.get_sheet_by_name("Summary").to_python() for v in r]
    assert "O" * 32_766 + "…" in summary
