"""The activity log read on two threads: a large one in pieces reads as the whole tab does."""

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

from sheetfunnel.backends.excel import ExcelBackend, logread, pieces
from sheetfunnel.backends.excel.package import Package
from sheetfunnel.errors import InputError, SpreadsheetError

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
    """(read whole, read in two pieces, the main thread's a third, and how many pieces
    were parsed)."""
    monkeypatch.setattr(pieces, "THREADS", 1)
    whole = _read(path)
    monkeypatch.setattr(pieces, "THREADS", 2)
    monkeypatch.setattr(pieces, "PIECE_MIN", 0)
    # however small the log beside the contacts: the main thread takes a third of it
    monkeypatch.setattr(logread, "MAIN_COST", 0)
    monkeypatch.setattr(logread, "MIN_SHARE", 0)
    monkeypatch.setattr(logread, "main_share", _third(logread.main_share))
    parsed = []
    real = pieces.CutTab.parse
    monkeypatch.setattr(pieces.CutTab, "parse", lambda *a: parsed.append(a) or real(*a))
    return whole, _read(path), len(parsed)


def _third(real):
    def share(pkg, log, beside):
        found = real(pkg, log, 0)
        return (found[0], 1 / 3) if found else None

    return share


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
    assert parsed == 2 or len(log) < 10


def test_blank_rows_a_blank_first_column_and_1904_dates_line_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log: list[list] = [[f"u{i}@x.com", "visit", dt.date(2024, 1, 1 + i % 28)] for i in range(30)]
    log += [[None, None, None]] * 7  # a run of blank rows
    log += [[None, "download", dt.date(2024, 3, 1), "no e-mail"] for _ in range(30)]  # A blank
    path = _book(tmp_path / "log.xlsx", log, date1904=True)
    whole, cut, parsed = _both(path, monkeypatch)
    assert parsed == 2
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
    assert parsed == 2  # parsed in pieces, then found out of order and read whole
    pd.testing.assert_frame_equal(cut, whole)
    assert cut.loc[61, "email"] == "u59@x.com"


def test_the_main_thread_takes_a_share_of_the_log_that_evens_out_the_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _book(tmp_path / "log.xlsx", [[f"u{i}@x.com", "visit"] for i in range(200)])
    monkeypatch.setattr(pieces, "THREADS", 2)
    monkeypatch.setattr(pieces, "PIECE_MIN", 0)
    with zipfile.ZipFile(path) as zf:
        pkg = Package(zf)
        log = next(e for e in pkg.sheets("xl/workbook.xml") if e.name == "Activities")
        size = zf.getinfo("xl/worksheets/sheet2.xml").file_size
        part, share = logread.main_share(pkg, log, 0) or ("", 0.0)
        assert (part, share) == ("xl/worksheets/sheet2.xml", 0.5)
        beside = int(size / 2 / logread.MAIN_COST)
        assert logread.main_share(pkg, log, beside)[1] == pytest.approx(0.25, abs=0.01)
        # little left for the main thread, or a small log: read whole by the log's thread
        assert logread.main_share(pkg, log, int(size / logread.MAIN_COST)) is None
        monkeypatch.setattr(pieces, "PIECE_MIN", size)
        assert logread.main_share(pkg, log, 0) is None
        monkeypatch.setattr(pieces, "THREADS", 1)
        monkeypatch.setattr(pieces, "PIECE_MIN", 0)
        assert logread.main_share(pkg, log, 0) is None


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


def _damage_log(path: Path, where: float) -> None:
    """Break the log's XML at `where` (a fraction of its rows): a cell calamine rejects."""
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    sheet = members["xl/worksheets/sheet2.xml"]
    at = sheet.index(b"<row ", int(len(sheet) * where))
    members["xl/worksheets/sheet2.xml"] = (
        sheet[:at] + b'<row r="9"><c r="A9"><v>1</c></row>' + sheet[at:]
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("where", [0.1, 0.9], ids=["main thread's piece", "log thread's piece"])
def test_a_broken_piece_fails_the_read_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: float
) -> None:
    path = _book(tmp_path / "log.xlsx", [[f"u{i}@x.com", "visit"] for i in range(60)])
    _damage_log(path, where)
    with pytest.raises(SpreadsheetError, match="cannot read tab 'Activities'"):
        _both(path, monkeypatch)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.xlsx"]


@pytest.mark.timeout(60)
def test_contacts_that_fail_release_the_log_s_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _book(tmp_path / "log.xlsx", [[f"u{i}@x.com", "visit"] for i in range(60)])
    _both(path, monkeypatch)  # set up the split
    with pytest.raises(InputError, match="tab 'Leads' not found"):
        ExcelBackend(path).read("Leads", 1, "Activities", 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.xlsx"]


def test_the_log_holds_just_the_columns_the_engine_reads_when_all_are_there(
    tmp_path: Path,
) -> None:
    path = _book(
        tmp_path / "log.xlsx",
        [[f"u{i}@x.com", "visit", dt.date(2024, 1, 2), "n"] for i in range(9)],
    )
    backend = ExcelBackend(path)
    wanted = (" EMAIL", "type", "Date ")  # matched as the engine matches headers
    log = backend.read("Contacts", 1, "Activities", 1, log_headers=wanted).activities
    assert log is not None and list(log.columns) == ["email", "type", "date"]
    every = backend.read("Contacts", 1, "Activities", 1).activities
    assert every is not None
    pd.testing.assert_frame_equal(log, every[["email", "type", "date"]])
    # a header missing: every column, for the engine to say which and suggest the nearest
    log = backend.read("Contacts", 1, "Activities", 1, log_headers=("email", "kind")).activities
    assert log is not None and list(log.columns) == ["email", "type", "date", "note"]
