"""The read's vectorised conversions (rows_of, frame over tuples or raw value lists) give
exactly what the cell-by-cell versions they replaced gave: same cells, same Python types
(True stays True beside 1, "0012" stays text), same index and columns, on tricky grids."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import pandas as pd
import pytest

from sheetfunnel.backends.gsheets.reading import duplicates, frame, grid_rows, header_names, rows_of


def _grid_rows_reference(value_range: Mapping[str, Any]) -> tuple[tuple[Any, ...], ...]:
    return tuple(
        tuple(None if v == "" else v for v in row) for row in value_range.get("values", [])
    )


def _frame_reference(
    rows: tuple[tuple[Any, ...], ...], header_row: int, unnamed: Mapping[int, str] | None = None
) -> pd.DataFrame:
    header = rows[header_row - 1] if len(rows) >= header_row else ()
    names = sorted([*header_names(header), *(unnamed or {}).items()])
    body = rows[header_row:]
    columns = {name: [row[c] if c < len(row) else None for row in body] for c, name in names}
    index = pd.RangeIndex(header_row + 1, header_row + 1 + len(body))
    df = pd.DataFrame(columns, index=index, dtype=object)
    if not names:
        df = pd.DataFrame(index=index, dtype=object)
    return df


#: what UNFORMATTED_VALUE reads can hold: blanks, numbers as text, serial dates, formula
#: errors (as their text), booleans beside 0/1, huge ints, unicode, whitespace-only text
CELLS: list[Any] = [
    "",
    "",
    "",
    None,
    "0012",
    "12",
    "1e3",
    " ",
    "  Email ",
    45001,
    45001.5,
    0,
    1,
    -0.0,
    True,
    False,
    10**20,
    1.5e-300,
    "#N/A",
    "#DIV/0!",
    "#REF!",
    "#VALUE!",
    "=SUM(A1)",
    "Zoë",
    "a\nb",
    "Email",
    "Email",
    "Name",
    "Date",
]


def _random_values(rng: random.Random) -> list[list[Any]]:
    """Raw "values" as the API sends them: ragged rows, interior blanks as "", empty rows."""
    rows = []
    for _ in range(rng.randint(0, 40)):
        width = rng.choice([0, 0, 1, 2, 3, 5, 8, 12])
        row = [rng.choice(CELLS) for _ in range(width)]
        while row and row[-1] in ("", None):  # the API drops trailing empties
            row.pop()
        rows.append(row)
    return rows


def _cells(df: pd.DataFrame) -> list[list[tuple[type, Any]]]:
    return [[(type(v), repr(v)) for v in df[c].tolist()] for c in df.columns]


def _same_frame(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    assert got.index.equals(want.index) and type(got.index) is type(want.index)
    assert list(got.dtypes.astype(str)) == list(want.dtypes.astype(str))
    assert _cells(got) == _cells(want)


@pytest.mark.parametrize("seed", range(300))
def test_rows_and_frames_identical_to_cell_by_cell(seed: int) -> None:
    rng = random.Random(seed)
    values = _random_values(rng)
    want_grid = _grid_rows_reference({"values": values})
    got_grid = rows_of(values)
    assert [[(type(v), repr(v)) for v in r] for r in got_grid] == [
        [(type(v), repr(v)) for v in r] for r in want_grid
    ]
    assert grid_rows({"values": values}) == want_grid
    assert all(type(r) is tuple for r in got_grid) and type(got_grid) is tuple
    for header_row in (1, 2, 3, 50):
        unnamed = rng.choice([None, {}, {7: "Score"}, {0: "Stage", 20: "Why"}])
        want = _frame_reference(want_grid, header_row, unnamed)
        _same_frame(frame(got_grid, header_row, unnamed), want)
        # the activity log's path: the raw lists, "" not yet turned into None
        _same_frame(frame(values, header_row, unnamed), want)
        assert duplicates(values, header_row) == duplicates(want_grid, header_row)


@pytest.mark.parametrize(
    "values",
    [
        [],
        [["Email", "Name"]],  # a header and no body
        [[], [], ["Email"]],  # header under blank rows
        [["Email", "", "Score"], ["a@x"], [], ["", "", 1], ["b@x", True, 1, "#N/A"]],
        [["Flag", "N"], [True, 1], [1, True], [False, 0], [0, False]],
        [["Date", "Amount"], [45001, "0012"], ["", 12.0], ["2024-01-02", ""]],
        [["", ""], ["x", "y"]],  # no header names at all
    ],
)
def test_edge_grids(values: list[list[Any]]) -> None:
    grid = _grid_rows_reference({"values": values})
    assert rows_of(values) == grid
    for header_row in (1, 2, 3):
        for unnamed in (None, {1: "Stage"}, {9: "Why"}):
            want = _frame_reference(grid, header_row, unnamed)
            _same_frame(frame(grid, header_row, unnamed), want)
            _same_frame(frame(values, header_row, unnamed), want)


def test_gc_paused_only_inside_and_bad_json_is_a_request_error() -> None:
    import gc

    import requests

    from sheetfunnel.backends.gsheets.decode import loads
    from sheetfunnel.memory import paused_gc

    assert gc.isenabled()
    with pytest.raises(RuntimeError), paused_gc():
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # left off: it was off before
    finally:
        gc.enable()
    assert loads(b'{"valueRanges": [{"values": [["a", 1, true]]}]}') == {
        "valueRanges": [{"values": [["a", 1, True]]}]
    }
    with pytest.raises(requests.exceptions.JSONDecodeError):  # retried like a dropped answer
        loads(b'{"valueRanges": [')
    assert gc.isenabled()
