"""The read-back check of a rewritten sheet, whole or in pieces read by several threads."""

from __future__ import annotations

from pathlib import Path

import pytest
from excel_helpers import build_plan, make_contacts_xlsx
from hypothesis import given
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from sheetfunnel.backends.excel import ExcelBackend, pieces
from sheetfunnel.backends.excel import writer as writer_module
from sheetfunnel.errors import SpreadsheetError

HEAD = b'<?xml version="1.0"?><worksheet xmlns="main"><dimension ref="A1"/>'
TAIL = b"</worksheet>"


def _sheet(rows: int, prefix: bytes = b"") -> bytes:
    p = prefix
    body = b"".join(
        b'<%srow r="%d"><%sc r="A%d"><%sv>%d</%sv></%sc></%srow>' % (p, i, p, i, p, i, p, p, p)
        for i in range(1, rows + 1)
    )
    return HEAD + b"<%ssheetData>" % p + body + b"</%ssheetData>" % p + TAIL


def _piece_bytes(sheet: bytes, piece: pieces.Piece) -> bytes:
    return b"".join(sheet[s] for s in piece.spans())


@given(rows=st.integers(0, 60), count=st.integers(1, 5), prefix=st.sampled_from([b"", b"x:"]))
def test_the_pieces_hold_every_row_once_between_the_part_s_head_and_tail(
    rows: int, count: int, prefix: bytes
) -> None:
    sheet = _sheet(rows, prefix)
    cut = pieces.cut_rows(sheet, pieces.even(count))
    assert 1 <= len(cut) <= count
    if count == 1:
        assert cut == [pieces.Piece(0, 0, len(sheet), len(sheet))]
        return
    bodies = [sheet[p.lo : p.hi] for p in cut]
    open_tag = b"<%ssheetData>" % prefix
    start = sheet.index(open_tag) + len(open_tag)
    assert b"".join(bodies) == sheet[start : sheet.rindex(b"</%ssheetData>" % prefix)]
    for piece, body in zip(cut, bodies, strict=True):
        assert not body or body.startswith(b"<%srow " % prefix)
        whole = _piece_bytes(sheet, piece)
        assert whole.startswith(HEAD) and whole.endswith(b"</%ssheetData>" % prefix + TAIL)


@given(rows=st.integers(20, 60), first=st.floats(0.05, 0.95))
def test_uneven_shares_cut_near_their_share_of_the_rows(rows: int, first: float) -> None:
    sheet = _sheet(rows)
    cut = pieces.cut_rows(sheet, [first, 1 - first])
    assert len(cut) == 2
    body = cut[1].hi - cut[0].lo
    row = len(b'<row r="10"><c r="A10"><v>10</v></c></row>')
    assert abs((cut[0].hi - cut[0].lo) - first * body) <= row + 2


@pytest.mark.parametrize(
    "sheet",
    [
        HEAD + b"<sheetData/>" + TAIL,  # no rows to cut
        b"<worksheet>no sheet data</worksheet>",
        HEAD + b"<sheetData><row r='1'/>" + TAIL,  # broken: no closing tag, read whole
    ],
)
def test_a_part_without_rows_to_cut_is_one_piece_the_whole_part(sheet: bytes) -> None:
    assert pieces.cut_rows(sheet, pieces.even(4)) == [pieces.Piece(0, 0, len(sheet), len(sheet))]


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


@pytest.mark.parametrize("where", [0.1, 0.5, 0.9])
def test_a_broken_row_in_any_piece_is_caught_and_nothing_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_pieces: None, where: float
) -> None:
    book = make_contacts_xlsx(tmp_path / "p.xlsx", rows=40)
    before = book.read_bytes()
    backend, plan, data = _prepared(book)
    real_join = writer_module.join_sheet

    def broken_join(*args):
        sheet = real_join(*args)
        at = sheet.index(b"<v>", int(len(sheet) * where))  # a tag calamine must see whole
        return sheet[:at] + b"<v" + sheet[at + len(b"<v>") :]

    monkeypatch.setattr(writer_module, "join_sheet", broken_join)
    with pytest.raises(SpreadsheetError, match=r"failed its check .*calamine cannot read it"):
        backend.write(plan, data)
    assert book.read_bytes() == before


def test_rows_lost_from_the_last_piece_are_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_pieces: None
) -> None:
    book = make_contacts_xlsx(tmp_path / "p.xlsx", rows=40)
    before = book.read_bytes()
    backend, plan, data = _prepared(book)
    real_join = writer_module.join_sheet

    def short_join(*args):
        sheet = real_join(*args)
        last = sheet.rindex(b"<row ")
        return sheet[:last] + sheet[sheet.index(b"</sheetData>") :]

    monkeypatch.setattr(writer_module, "join_sheet", short_join)
    with pytest.raises(SpreadsheetError, match=r"40 rows were read but only 40 came back"):
        backend.write(plan, data)
    assert book.read_bytes() == before
