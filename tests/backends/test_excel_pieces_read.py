"""A large log parsed in pieces on several threads reads exactly as the whole tab does."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetfunnel.backends.excel import ExcelBackend, pieces
from sheetfunnel.backends.excel import reader as reader_module

ERRORS = ("#DIV/0!", "#REF!", "#N/A")
#: A cell of the log: blank, text, a number, a date, or a formula error.
CELL = st.one_of(
    st.none(),
    st.sampled_from(["email_open", "visit", "demo_request", " spaced ", "é ü 日本"]),
    st.integers(-5, 10**6),
    st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)),
    st.sampled_from(ERRORS),
)


def _book(path: Path, log: list[list], *, shared: bool = True, date1904: bool = False) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": not shared, "date_1904": date1904})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet("Contacts")
    ws.write_row(0, 0, ["email", "name"])
    ws.write_row(1, 0, ["a@x.com", "A"])
    act = wb.add_worksheet("Activities")
    act.write_row(0, 0, ["email", "type", "date", "note"])
    for r, row in enumerate(log, start=1):
        for c, value in enumerate(row):
            if isinstance(value, str) and value in ERRORS:
                act.write_formula(r, c, "=1/0", None, value)
            elif isinstance(value, dt.date):
                act.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_fmt)
            elif value is not None:
                act.write(r, c, value)
    wb.close()
    return path


def _read(path: Path) -> pd.DataFrame:
    data = ExcelBackend(path).read("Contacts", 1, "Activities", 1)
    assert data.activities is not None
    return data.activities


def _both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """(read whole, read in three pieces, how many times the pieces were parsed)."""
    monkeypatch.setattr(pieces, "THREADS", 1)
    whole = _read(path)
    monkeypatch.setattr(pieces, "THREADS", 3)
    monkeypatch.setattr(pieces, "PIECE_MIN", 0)
    cut_anyway = reader_module._log_in_pieces  # however small the log beside the contacts
    monkeypatch.setattr(
        reader_module, "_log_in_pieces", lambda pkg, log, _: cut_anyway(pkg, log, 0)
    )
    parsed = []
    real = pieces._parse_piece
    monkeypatch.setattr(pieces, "_parse_piece", lambda *a: parsed.append(a) or real(*a))
    return whole, _read(path), len(parsed)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    log=st.lists(st.lists(CELL, min_size=0, max_size=4), min_size=3, max_size=60),
    shared=st.booleans(),
)
def test_a_log_in_pieces_reads_as_the_whole_tab(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    log: list[list],
    shared: bool,
) -> None:
    path = _book(tmp_path_factory.mktemp("p") / "log.xlsx", log, shared=shared)
    whole, cut, parsed = _both(path, monkeypatch)
    pd.testing.assert_frame_equal(cut, whole)
    assert parsed >= 2 or len(log) < 10


def test_blank_rows_a_blank_first_column_and_1904_dates_line_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log: list[list] = [[f"u{i}@x.com", "visit", dt.date(2024, 1, 1 + i % 28)] for i in range(30)]
    log += [[None, None, None]] * 7  # a run of blank rows
    log += [[None, "download", dt.date(2024, 3, 1), "no e-mail"] for _ in range(30)]  # A blank
    path = _book(tmp_path / "log.xlsx", log, date1904=True)
    whole, cut, parsed = _both(path, monkeypatch)
    assert parsed == 3
    pd.testing.assert_frame_equal(cut, whole)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.xlsx"]  # no scratch left
    assert list(cut.index) == list(range(2, 2 + len(log)))
    assert cut.loc[len(log) + 1, "date"] == dt.date(2024, 3, 1)  # the 1904 flag came along
    assert cut.loc[len(log) + 1, "email"] is None and cut.loc[len(log) + 1, "note"] == "no e-mail"


def test_error_cells_in_every_piece_hold_their_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = [
        [f"u{i}@x.com", "visit", ERRORS[i % 3] if i % 10 == 0 else dt.date(2024, 1, 2)]
        for i in range(60)
    ]
    path = _book(tmp_path / "log.xlsx", log)
    whole, cut, _ = _both(path, monkeypatch)
    pd.testing.assert_frame_equal(cut, whole)
    assert cut["date"].tolist()[::10] == [ERRORS[i % 3] for i in range(0, 60, 10)]


def test_rows_out_of_order_are_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = [[f"u{i}@x.com", "visit", dt.date(2024, 1, 2)] for i in range(60)]
    path = _book(tmp_path / "log.xlsx", log)
    # the last row's element first: valid for calamine, which places a row by its number
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    sheet = members["xl/worksheets/sheet2.xml"]
    rows = re.findall(rb"<row .*?</row>", sheet)
    sheet = sheet.replace(rows[-1], b"").replace(rows[1], rows[-1] + rows[1])
    members["xl/worksheets/sheet2.xml"] = sheet
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    whole, cut, parsed = _both(path, monkeypatch)
    assert parsed == 3  # parsed in pieces, then found out of order and read whole
    pd.testing.assert_frame_equal(cut, whole)
    assert cut.loc[61, "email"] == "u59@x.com"


def test_the_log_is_cut_only_when_it_dwarfs_what_the_main_thread_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _book(tmp_path / "log.xlsx", [[f"u{i}@x.com", "visit"] for i in range(200)])
    monkeypatch.setattr(pieces, "THREADS", 2)
    monkeypatch.setattr(pieces, "PIECE_MIN", 0)
    with zipfile.ZipFile(path) as zf:
        pkg = reader_module.Package(zf)
        log = next(e for e in pkg.sheets("xl/workbook.xml") if e.name == "Activities")
        size = zf.getinfo("xl/worksheets/sheet2.xml").file_size
        assert reader_module._log_in_pieces(pkg, log, size // 2 - 1) == "xl/worksheets/sheet2.xml"
        assert reader_module._log_in_pieces(pkg, log, size // 2 + 1) is None
        monkeypatch.setattr(pieces, "PIECE_MIN", size)
        assert reader_module._log_in_pieces(pkg, log, 0) is None


def test_no_room_for_the_pieces_reads_the_log_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _book(tmp_path / "log.xlsx", [[f"u{i}@x.com", "visit"] for i in range(60)])

    def disk_full(_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pieces, "scratch_file", disk_full)
    whole, cut, parsed = _both(path, monkeypatch)
    assert parsed == 0
    pd.testing.assert_frame_equal(cut, whole)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.xlsx"]
