"""The owned tabs' builder: a block of rows given as columns equals the same rows one by one."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetfunnel.layout import COUNT, WHOLE, Layout


def _cells(styles) -> dict[tuple[int, int], str]:
    out = {}
    for s in styles:
        if s.number_format:
            for r in range(s.first_row, s.last_row + 1):
                for c in range(s.first_column, s.last_column + 1):
                    out[(r, c)] = s.number_format
    return out


def _both(columns: list, formats: tuple) -> tuple[Layout, Layout]:
    one, block = Layout(), Layout()
    for lay in (one, block):
        lay.heading("a", "b", "c", "d")
    for row in zip(*columns, strict=True):
        one.row(*row, formats=formats)
    block.block(columns, formats=formats)
    return one, block


numbers = st.one_of(
    st.integers(-(10**12), 10**12).map(float),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
)


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(0, 30),
    data=st.data(),
)
def test_a_block_gives_the_rows_and_formats_of_rows_one_by_one(n: int, data) -> None:
    ints = np.array(data.draw(st.lists(st.integers(-(10**9), 10**9), min_size=n, max_size=n)))
    floats = np.array(data.draw(st.lists(numbers, min_size=n, max_size=n)), dtype="float64")
    texts = data.draw(st.lists(st.one_of(st.none(), st.text(max_size=5)), min_size=n, max_size=n))
    dates = data.draw(
        st.lists(st.one_of(st.none(), st.dates().map(pd.Timestamp)), min_size=n, max_size=n)
    )
    one, block = _both([texts, ints, floats, dates], (None, COUNT, WHOLE, "yyyy-mm-dd"))
    assert block.rows == one.rows
    assert [tuple(map(type, r)) for r in block.rows] == [tuple(map(type, r)) for r in one.rows]
    assert _cells(block.format_styles()) == _cells(one.format_styles())


def test_a_block_skips_the_format_of_blank_cells() -> None:
    lay = Layout()
    lay.block([[1.0, None, 3.0, 4.0], ["x", None, "y", dt.date(2024, 1, 1)]], (WHOLE,))
    assert lay.rows == [(1, "x"), (None, None), (3, "y"), (4, dt.date(2024, 1, 1))]
    assert _cells(lay.format_styles()) == {(0, 0): WHOLE, (2, 0): WHOLE, (3, 0): WHOLE}
