"""The owned tabs' worksheet XML, built a column run at a time, is byte for byte what the
cell-by-cell builder it replaced wrote (kept below as the reference): on random tabs (text
to escape, numbers, dates, blanks, ragged rows, overlapping styles) and on the tabs real
syncs build. The formats it appends to styles.xml, and their order, are compared too."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetfunnel.backends.base import EPOCH_1900, EPOCH_1904, CellStyle, OwnedTab, StageColour
from sheetfunnel.backends.excel import ExcelBackend
from sheetfunnel.backends.excel import tabs as excel_tabs
from sheetfunnel.backends.excel.cells import cell_xml, col_letter, is_blank, normalize_values
from sheetfunnel.backends.excel.ownedxml import owned_sheet_xml, worksheet_xml
from sheetfunnel.backends.excel.package import xml_bytes
from sheetfunnel.backends.excel.styles import MINIMAL_STYLES, Styles
from sheetfunnel.config import Config
from sheetfunnel.demo import create_demo
from sheetfunnel.sync import sync

DAY = dt.date(2026, 6, 30)

# --- the reference: owned_sheet_xml as it was, cell by cell (commit a46abe8) ---

_LOOK = ("bold", "italic", "number_format", "fill", "font", "size", "align")
_PLAIN: dict[str, object] = {}
_DATE_CODES = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}


def _looks(tab: OwnedTab) -> dict[tuple[int, int], dict[str, object]]:
    out: dict[tuple[int, int], dict[str, object]] = {}
    width = max((len(r) for r in tab.rows), default=0)
    for style in tab.styles:
        set_attrs = {a: getattr(style, a) for a in _LOOK if getattr(style, a)}
        if not set_attrs:
            continue
        last_row = min(style.last_row, len(tab.rows) - 1)
        last_col = min(style.last_column, max(width - 1, style.first_column))
        for r in range(style.first_row, last_row + 1):
            for c in range(style.first_column, last_col + 1):
                out.setdefault((r, c), {}).update(set_attrs)
    shared: dict[tuple, dict[str, object]] = {}
    return {
        cell: shared.setdefault(tuple(look.get(a) for a in _LOOK), look)
        for cell, look in out.items()
    }


def reference_sheet_xml(
    tab: OwnedTab,
    *,
    epoch: dt.date,
    styles: Styles,
    colours: tuple[StageColour, ...] = (),
    drawing_rid: str | None,
) -> bytes:
    """The builder before the column runs, cell by cell, unchanged but for its name (the
    worksheet around its rows is the shared `worksheet_xml`: only the cells changed)."""
    looks = _looks(tab)
    xf_cache: dict[tuple[int, str | None], int | None] = {}

    def xf(look: dict[str, object], date: str | None) -> int | None:
        key = (id(look), date)
        if key not in xf_cache:
            wanted = look
            if date and not look.get("number_format"):
                wanted = {**look, "number_format": _DATE_CODES[date]}
            xf_cache[key] = styles.cell_xf(**wanted) or None  # type: ignore[arg-type]
        return xf_cache[key]

    rows_xml: list[str] = []
    auto: dict[int, int] = {}
    for r, raw in enumerate(tab.rows, start=1):
        cells = []
        row = [
            normalize_values((v,), "date" if c in tab.date_columns else "")[0]
            for c, v in enumerate(raw)
        ]
        for c, value in enumerate(row, start=1):
            look = looks.get((r - 1, c - 1), _PLAIN)
            if is_blank(value) and not look.get("fill"):
                continue
            date = None
            if isinstance(value, dt.date):
                date = "datetime" if isinstance(value, dt.datetime) else "date"
            style = xf(look, date) if (look or date) else None
            ref = f"{col_letter(c)}{r}"
            if is_blank(value):
                cells.append(f'<c r="{ref}" s="{style}"/>' if style else "")
            else:
                cells.append(
                    cell_xml(
                        ref, value, style=style, epoch=epoch, date_style=style if date else None
                    )
                )
            shown = 16 if date == "datetime" else 10 if date else len(str(value or ""))
            auto[c] = max(auto.get(c, 8), min(shown + 2, 60))
        if any(cells):
            rows_xml.append(f'<row r="{r}">' + "".join(cells) + "</row>")
    return worksheet_xml(tab, rows_xml, auto, styles, colours, drawing_rid)


# --- both builders on the same tab ---


def outcome(build, tab: OwnedTab, styles_xml: bytes, **kw) -> tuple:
    """What a builder gives: the sheet's bytes and styles.xml after it, or the error it raises."""
    styles = Styles(styles_xml)
    try:
        xml = build(tab, styles=styles, **kw)
    except Exception as exc:
        return ("raises", type(exc))
    return (xml, xml_bytes(styles.root))


def assert_same(tab: OwnedTab, styles_xml: bytes = MINIMAL_STYLES, **kw) -> None:
    kw = {"epoch": EPOCH_1900, "drawing_rid": None, **kw}
    new = outcome(owned_sheet_xml, tab, styles_xml, **kw)
    old = outcome(reference_sheet_xml, tab, styles_xml, **kw)
    assert new == old


# --- random tabs ---

_ODD = "&<>\"'_x0041_ _X00e9_ \t\n\r\x00\x01\x0b\x1f\x7f\x85\xa0\u2003\u3000\ufffe\uffff é漢🙂"


def rarely(odd: st.SearchStrategy, usual: st.SearchStrategy) -> st.SearchStrategy:
    """`usual` nine times in ten: a run of plain cells with one odd cell in it."""
    return st.integers(0, 9).flatmap(lambda i: odd if i == 0 else usual)


clean = st.text(alphabet=st.sampled_from("abcXYZ019@.- é漢🙂"), min_size=1, max_size=8)
texts = st.one_of(
    st.text(alphabet=st.sampled_from(_ODD + "abcXYZ019@.-"), max_size=8),
    st.text(max_size=6),
    st.sampled_from(["", " ", "Lead", " lead", "lead ", "a_b", "x_x0001_", "A&B", "Ω"]),
)
#: Clean text but for one character anywhere (an edge space, a noncharacter, markup...).
nearly_clean = st.tuples(clean, st.sampled_from(_ODD), clean).map("".join)
ints = st.one_of(
    st.integers(-(10**6), 10**6), st.integers(-(2**70), 2**70), st.sampled_from([0, 10**400])
)
floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1e6, 1e6).map(lambda f: round(f, 3)),
    st.integers(-(10**16), 10**16).map(float),
    st.sampled_from([0.0, -0.0, 1.0, 1e15, 1e16, 2.5, 123456.0, float("nan")]),
)
# around 1900-03-01, where the 1900 system's serials skip Lotus' 1900-02-29
dates = st.one_of(
    st.dates(dt.date(1899, 12, 1), dt.date(2100, 1, 1)),
    st.dates(dt.date(1900, 2, 25), dt.date(1900, 3, 3)),
)
datetimes = st.one_of(
    st.datetimes(dt.datetime(1899, 12, 1), dt.datetime(2100, 1, 1)),
    dates.map(lambda d: dt.datetime(d.year, d.month, d.day)),
    st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)),
)
odd = st.sampled_from(
    [
        True,
        False,
        np.int64(7),
        np.float64(2.5),
        np.float64("nan"),
        np.bool_(True),
        np.datetime64("2024-05-06"),
        np.datetime64("NaT"),
        pd.Timestamp("2024-05-06"),
        pd.Timestamp("2024-05-06 13:45"),
        pd.NaT,
        pd.NA,
    ]
)
#: A column mostly of one kind, as the owned tabs' columns are; "mixed" draws from them all.
kinds = {
    "text": texts,
    "clean": rarely(nearly_clean, clean),
    "int": ints,
    "float": floats,
    "number": st.one_of(ints, floats),
    "date": dates,
    "nearly dates": rarely(st.one_of(texts, ints, datetimes), dates),
    "datetime": datetimes,
    "odd": odd,
    "blank": st.sampled_from([None, ""]),
}
kinds["mixed"] = st.one_of(*kinds.values())


@st.composite
def tabs(draw) -> OwnedTab:
    width = draw(st.integers(0, 5))
    columns = [kinds[draw(st.sampled_from(sorted(kinds)))] for _ in range(width)]
    blank = st.sampled_from([None, ""])
    nrows = draw(st.integers(0, 12))
    ragged = draw(st.booleans())
    header = draw(st.booleans())
    rows = []
    for r in range(nrows):
        row = []
        for strategy in columns:
            pick = draw(st.integers(0, 9))
            if header and r == 0:
                row.append(draw(texts))
            else:
                row.append(draw(blank) if pick == 0 else draw(strategy) if pick > 1 else None)
        if ragged:
            row = row[: draw(st.integers(0, width))]
        rows.append(tuple(row))
    looks = {
        "bold": st.booleans(),
        "italic": st.booleans(),
        "number_format": st.sampled_from([None, "0", "#,##0", "0.0%", "yyyy-mm-dd", "0.0"]),
        "fill": st.sampled_from([None, None, "#F2F2F2", "#FFEEAA"]),
        "font": st.sampled_from([None, "#595959"]),
        "size": st.sampled_from([None, 14, 14.0, 0]),
        "align": st.sampled_from([None, "right", "center"]),
    }
    styles = []
    for _ in range(draw(st.integers(0, 5))):
        r0, c0 = draw(st.integers(-1, nrows + 1)), draw(st.integers(-1, width + 1))
        r1, c1 = r0 + draw(st.integers(-1, nrows + 1)), c0 + draw(st.integers(-1, 3))
        attrs = {a: draw(s) for a, s in looks.items() if draw(st.booleans())}
        styles.append(CellStyle(r0, r1, c0, c1, **attrs))
    return OwnedTab(
        role=draw(st.sampled_from(["summary", "history", "state", "companies", "daily"])),
        name="Tab",
        rows=tuple(rows),
        date_columns=tuple(draw(st.sets(st.integers(0, 5)))),
        styles=tuple(styles),
        widths=tuple(draw(st.lists(st.sampled_from([0, 0.0, 8.0, 12.5, 60.0]), max_size=6))),
        frozen_rows=draw(st.integers(0, 2)),
        frozen_columns=draw(st.integers(0, 2)),
        stage_columns=tuple(draw(st.sets(st.integers(0, 4), max_size=2))),
        fit_to_page=draw(st.booleans()),
        hidden=draw(st.booleans()),
    )


def _styles_with_formats() -> bytes:
    """A styles.xml an earlier sync already added formats to (found again, not appended)."""
    styles = Styles(MINIMAL_STYLES)
    styles.date_xf()
    styles.cell_xf("0", bold=True, fill="#F2F2F2")
    styles.cell_xf(bold=True, fill="#F2F2F2")
    return xml_bytes(styles.root)


COLOURS = (StageColour("Lead", "#DDEEFF"), StageColour('Say "hi" & <go>', "#FFEEAA", "#112233"))


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(
    tab=tabs(),
    epoch=st.sampled_from([EPOCH_1900, EPOCH_1904]),
    styles_xml=st.sampled_from([MINIMAL_STYLES, _styles_with_formats()]),
    colours=st.sampled_from([(), COLOURS]),
    drawing_rid=st.sampled_from([None, "rId1"]),
)
def test_random_tabs_give_the_reference_bytes(tab, epoch, styles_xml, colours, drawing_rid):
    assert_same(tab, styles_xml, epoch=epoch, colours=colours, drawing_rid=drawing_rid)


def test_long_runs_of_each_kind_give_the_reference_bytes():
    """The whole-run fast paths on runs long enough to matter, with odd cells in them (the
    longest number neither the smallest nor the largest)."""
    n = 400
    day = dt.date(2024, 1, 1)
    body = [
        (
            f"contact{i}@example.com",
            ("Lead", "MQL", None, "a_b", " sp")[i % 5] if i % 7 else "Lead",
            day + dt.timedelta(days=i),
            i * 37 % 120 if i % 11 else None,
            (-1.0, 5.0, i / 7)[i % 3] if i % 13 else 10**5,
            True if i == 200 else f"n{i}",
            dt.datetime(2024, 1, 1, i % 24) if i % 2 else day,
        )
        for i in range(n)
    ]
    rows = (("Key", "Stage", "Since", "Score", "Share", "Mixed", "When"), *body)
    styles = (
        CellStyle(1, n, 3, 3, number_format="0"),
        CellStyle(0, 0, 0, 6, bold=True, fill="#F2F2F2"),
        CellStyle(50, 60, 1, 4, fill="#FFEEAA"),
        CellStyle(100, 300, 4, 6, number_format="0.0%", italic=True),
    )
    for date_columns in ((), (2, 6)):
        tab = OwnedTab("history", "History", rows, date_columns=date_columns, styles=styles)
        assert_same(tab)
        assert_same(tab, epoch=EPOCH_1904)


def test_one_odd_character_in_a_run_of_plain_text_gives_the_reference_bytes():
    """Each character the escaping or xml:space cares about, at a text's start, middle and
    end, alone in a column of plain texts (which is checked all at once) at its top, middle
    or bottom."""
    plain = [f"name {i}" for i in range(30)]
    for ch in sorted(set(_ODD)):
        for odd in (ch + "ab", "a" + ch + "b", "ab" + ch, ch):
            for at in (0, 10, 30):
                rows = tuple((t,) for t in [*plain[:at], odd, *plain[at:]])
                assert_same(OwnedTab("state", "_state", rows))


def test_a_state_tab_of_the_bench_shape_gives_the_reference_bytes():
    day = dt.date(2024, 1, 1)
    rows = (
        ("key", "stage", "since"),
        *((f"c{i}@x.com", "Lead", day + dt.timedelta(days=i % 700)) for i in range(5000)),
    )
    assert_same(OwnedTab("state", "_state", rows, date_columns=(2,), hidden=True))


# --- the tabs real syncs build ---


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    return create_demo(tmp_path_factory.mktemp("demo"), contacts=150, end=DAY).workbook


def test_the_tabs_of_real_syncs_give_the_reference_bytes(pristine, tmp_path, monkeypatch):
    """Summary, Companies, History, daily counts and state over three syncs on three days;
    each built twice from the same styles.xml, by the run builder and by the reference."""
    seen: dict[str, int] = {}

    def both(tab: OwnedTab, *, styles: Styles, **kw) -> bytes:
        before = xml_bytes(styles.root)
        twin = Styles(before)
        xml = owned_sheet_xml(tab, styles=styles, **kw)
        assert xml == reference_sheet_xml(tab, styles=twin, **kw), tab.role
        assert xml_bytes(styles.root) == xml_bytes(twin.root), tab.role
        seen[tab.role] = max(seen.get(tab.role, 0), len(tab.rows))
        return xml

    monkeypatch.setattr(excel_tabs, "owned_sheet_xml", both)
    book = shutil.copy(pristine, tmp_path / "pipeline.xlsx")
    for day in (DAY, DAY + dt.timedelta(days=7), DAY + dt.timedelta(days=30)):
        sync(ExcelBackend(book, backup=False), Config(), as_of=day)
    assert set(seen) >= {"summary", "companies", "history", "daily", "state"}
    assert seen["history"] > 1 and seen["state"] > 100 and seen["daily"] > 2
