"""The read-back check of a rewritten sheet, whole or in pieces read by several threads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from excel_helpers import build_plan, make_contacts_xlsx
from python_calamine import CalamineWorkbook

from sheetfunnel.backends.base import OwnedTab
from sheetfunnel.backends.excel import ExcelBackend, pieces, verify
from sheetfunnel.backends.excel import tabs as tabs_module
from sheetfunnel.backends.excel import writer as writer_module
from sheetfunnel.errors import SpreadsheetError


@pytest.fixture
def in_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every sheet, however small, read back in three pieces."""
    monkeypatch.setattr(pieces, "PIECE_MIN", 0)
    monkeypatch.setattr(pieces, "THREADS", 3)


def _prepared(path: Path):
    backend = ExcelBackend(path, backup=False)
    data = backend.read("Contacts", 1, None, 1)
    return backend, build_plan(data), data


def test_a_sheet_read_back_in_pieces_is_saved_and_reads_whole(
    tmp_path: Path, in_pieces: None
) -> None:
    book = make_contacts_xlsx(tmp_path / "p.xlsx", rows=40)
    backend, plan, data = _prepared(book)
    assert backend.write(plan, data).changed
    wb = CalamineWorkbook.from_path(str(book))
    rows = wb.get_sheet_by_name("Contacts").to_python()
    assert len(rows) == 41 and [c.header for c in plan.columns] == rows[0][-len(plan.columns) :]


def _refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: Callable[[bytes], bytes], match: str
) -> None:
    """A save whose new sheet part `damage` spoils fails its check, and leaves the file."""
    book = make_contacts_xlsx(tmp_path / "p.xlsx", rows=40)
    before = book.read_bytes()
    backend, plan, data = _prepared(book)
    real_join = writer_module.join_sheet
    monkeypatch.setattr(writer_module, "join_sheet", lambda *args: damage(real_join(*args)))
    with pytest.raises(SpreadsheetError, match=match):
        backend.write(plan, data)
    assert book.read_bytes() == before


@pytest.mark.parametrize("where", [0.1, 0.5, 0.9])
def test_a_broken_row_in_any_piece_is_caught_and_nothing_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_pieces: None, where: float
) -> None:
    def broken(sheet: bytes) -> bytes:
        at = sheet.index(b"<v>", int(len(sheet) * where))  # a tag calamine must see whole
        return sheet[:at] + b"<v" + sheet[at + len(b"<v>") :]

    _refused(tmp_path, monkeypatch, broken, r"failed its check .*calamine cannot read it")


def test_rows_lost_from_the_last_piece_are_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_pieces: None
) -> None:
    def short(sheet: bytes) -> bytes:
        last = sheet.rindex(b"<row ")
        return sheet[:last] + sheet[sheet.index(b"</sheetData>") :]

    _refused(tmp_path, monkeypatch, short, r"40 rows were read but only 40 came back")


def test_an_owned_tab_that_is_not_well_formed_is_never_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = make_contacts_xlsx(tmp_path / "p.xlsx", rows=10)
    before = book.read_bytes()
    backend = ExcelBackend(book, backup=False)
    data = backend.read("Contacts", 1, None, 1)
    plan = build_plan(data)
    plan = replace(plan, tabs=(OwnedTab(role="summary", name="Summary", rows=(("a", "b"),)),))
    real = tabs_module.owned_sheet_xml
    monkeypatch.setattr(
        tabs_module, "owned_sheet_xml", lambda *a, **k: real(*a, **k).replace(b"</row>", b"</rw>")
    )
    with pytest.raises(SpreadsheetError, match=r"member xl/worksheets/sheet\d+\.xml is not well"):
        backend.write(plan, data)
    assert book.read_bytes() == before


def test_xml_problem_reads_a_document_in_chunks() -> None:
    doc = b'<?xml version="1.0"?><a xmlns:x="u"><x:b>1</x:b></a>'
    assert verify.xml_problem([doc[:17], memoryview(doc)[17:]]) is None
    assert "mismatched tag" in (verify.xml_problem([doc.replace(b"</x:b>", b"</x:c>")]) or "")
    assert verify.xml_problem([b"<a>"]) is not None  # unclosed at the end
