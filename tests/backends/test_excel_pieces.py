"""A sheet part cut at row starts into pieces, each a worksheet with the part's head and tail."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sheetfunnel.backends.excel import pieces

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
