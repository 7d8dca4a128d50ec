"""Fast paths for uniform columns give what the cell-by-cell routes give, on mixed columns."""

import datetime as dt
import zoneinfo

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetfunnel import cells, formulaerrors, normalise
from sheetfunnel.backends.base import EPOCH_1900, EPOCH_1904
from sheetfunnel.config import Config

EXAMPLES = settings(max_examples=150, deadline=None)

moments = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1))
days = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 1, 1))
aware = moments.map(lambda d: d.replace(tzinfo=zoneinfo.ZoneInfo("America/New_York")))
date_texts = st.tuples(days, st.sampled_from(["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y"]))
serials = st.one_of(st.integers(1, 80_000), st.floats(1, 80_000, allow_nan=False))
blanks = st.sampled_from([None, np.nan, "", "  ", pd.NaT])
junk = st.sampled_from([*cells.ERROR_CODES[:4], True, False, "soon", "March 5, 2024", "x"])
any_cell = st.one_of(
    moments, days, date_texts.map(lambda t: t[0].strftime(t[1])), serials, blanks, junk
)


def column(cells_: list) -> pd.Series:
    """Cells as a backend hands them over: object dtype, index = sheet rows."""
    return pd.Series(cells_, dtype=object, index=range(2, 2 + len(cells_)))


#: Columns the fast paths take (one kind of cell, blanks among them) and mixed ones they leave.
date_columns = st.one_of(
    st.lists(st.one_of(moments, days, st.none()), min_size=1, max_size=30),
    st.lists(st.one_of(moments, st.none()), min_size=1, max_size=30),
    st.lists(aware, min_size=1, max_size=5),
    st.lists(any_cell, min_size=1, max_size=30),
).map(column)


@EXAMPLES
@given(
    date_columns, st.sampled_from(["DMY", "MDY", "YMD"]), st.sampled_from([EPOCH_1900, EPOCH_1904])
)
def test_dates_read_as_the_cell_by_cell_route_reads_them(values, order, epoch):
    fast = cells.parse_dates(values, order=order, timezone="Europe/Paris", epoch=epoch)
    general = cells.dates_by_kind(values, cells.cell_kinds(values), order, "Europe/Paris", epoch)
    pd.testing.assert_series_equal(fast[0], general[0])
    pd.testing.assert_series_equal(fast[1], general[1])


spaces = st.sampled_from([" ", "\u00a0", "\u202f", "\u3000", "\u200b", "\ufeff", "\t", ""])
words = st.text(alphabet="aAbBéÉßẞ@.1#/", max_size=6)
texts = st.tuples(spaces, words, spaces).map("".join)
numbers = st.one_of(
    st.integers(-3, 3000), st.floats(-3, 3000, allow_nan=False), st.sampled_from([1.0, 1001.0])
)
text_columns = st.one_of(
    st.lists(st.one_of(texts, st.none()), min_size=1, max_size=30),
    st.lists(st.one_of(texts, numbers, st.booleans(), blanks, moments), min_size=1, max_size=30),
).map(column)


@EXAMPLES
@given(text_columns)
def test_text_reads_as_the_distinct_values_route_reads_it(values):
    general = cells.on_uniques(values, cells._text).astype("string")
    pd.testing.assert_series_equal(cells.to_text(values), general)


@EXAMPLES
@given(text_columns)
def test_keys_of_distinct_values_are_the_keys_of_the_column(values):
    _, uniques = cells.factorize(values)
    distinct = pd.Series(uniques, dtype=object)
    expected = cells.to_key(distinct)
    pd.testing.assert_series_equal(cells.distinct_keys(distinct).astype("string"), expected)


@EXAMPLES
@given(st.lists(words, unique=True, max_size=20), st.lists(st.one_of(words, st.none())))
def test_positions_are_the_index_lookup(distinct, values):
    distinct = pd.Series(distinct, dtype="string")
    values = pd.Series(values, dtype="string")
    expected = pd.Index(distinct).get_indexer(values)
    np.testing.assert_array_equal(cells.positions(values, distinct), expected)
    assert cells.positions(values, distinct).dtype == expected.dtype


@EXAMPLES
@given(st.one_of(date_columns, text_columns, st.lists(numbers, min_size=1).map(column)))
def test_formula_errors_are_the_cells_holding_an_error_code(values):
    expected = values.isin(cells.ERROR_CODES)
    pd.testing.assert_series_equal(cells.formula_errors(values), expected)


@EXAMPLES
@given(st.lists(st.lists(st.one_of(blanks, texts, numbers), min_size=3, max_size=3), max_size=20))
def test_blank_rows_are_the_rows_without_a_filled_cell(rows):
    frame = pd.DataFrame(rows, columns=["a", "b", "c"], dtype=object)
    expected = frame.isna().all(axis=1)
    pd.testing.assert_series_equal(normalise._blank_rows(frame), expected)


@EXAMPLES
@given(st.one_of(date_columns, text_columns))
def test_formula_errors_found_on_the_distinct_values_are_those_of_the_column(values):
    codes, uniques = cells.factorize(values)
    expected = values.isin(cells.ERROR_CODES)
    pd.testing.assert_series_equal(cells.coded_formula_errors(values, codes, uniques), expected)


log_cells = st.one_of(texts, st.sampled_from(cells.ERROR_CODES), blanks, moments, numbers)


@EXAMPLES
@given(st.lists(st.lists(log_cells, min_size=4, max_size=4), min_size=1, max_size=20))
def test_log_errors_found_beforehand_give_the_same_rows_and_notices(rows):
    config = Config.model_validate({"source": {"on_bad_date": "warn"}})
    log = pd.DataFrame(rows, columns=["Email", "Activity", "Date", "Value"], dtype=object)
    log.index = pd.RangeIndex(2, 2 + len(log))
    cols = {"contact": "Email", "type": "Activity", "date": "Date", "value": "Value"}
    found = {
        f: cells.coded_formula_errors(log[c], *cells.factorize(log[c])) for f, c in cols.items()
    }
    general: list = []
    expected = formulaerrors.log_errors(config, log, cols, "Activities", "", general)
    notices: list = []
    checked = formulaerrors.log_errors(config, log, cols, "Activities", "", notices, found=found)
    pd.testing.assert_frame_equal(checked, expected)
    assert notices == general
    assert (checked is log) == (not general)


key_chars = st.one_of(
    st.sampled_from(["@", ".", "a", "É", *cells.SPACES]),
    st.characters(exclude_categories=["Cs"]),
)


part = st.text(key_chars, max_size=3)
emails = st.tuples(part, st.sampled_from(["@", "@@", ""]), part, st.sampled_from([".", ""]), part)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(emails.map("".join), st.text(key_chars), st.none()), max_size=20))
def test_malformed_emails_read_white_space_as_python_does(keys):
    keys = pd.Series(keys, dtype="string", name="Email")
    meant = keys.str.contains("@", regex=False).fillna(False).astype(bool)
    expected = meant & ~keys.str.fullmatch(cells._EMAIL).fillna(False).astype(bool)
    pd.testing.assert_series_equal(cells.malformed_emails(keys), expected)


@EXAMPLES
@given(st.lists(st.one_of(texts, st.sampled_from(["a", "A", "é", ""]), blanks), max_size=40))
def test_text_is_coded_alike_by_python_and_by_arrow(cells_):
    values = column(cells_)
    if pd.api.types.infer_dtype(values, skipna=True) != "string":
        return
    by_python = pd.factorize(values)
    by_arrow = pd.factorize(values.astype("string[pyarrow]"))
    np.testing.assert_array_equal(by_python[0], by_arrow[0])
    assert list(by_python[1]) == list(by_arrow[1])
    codes, uniques = cells.factorize(values)
    np.testing.assert_array_equal(codes, by_python[0])
    assert list(uniques) == list(by_python[1])


number_columns = st.one_of(
    st.lists(st.one_of(numbers, st.none()), min_size=1, max_size=30).map(column),
    st.lists(st.one_of(numbers, blanks, texts, st.booleans(), st.sampled_from(["1 234,5", "12 %"])))
    .filter(len)
    .map(column),
    st.lists(numbers, min_size=1).map(lambda v: pd.Series(v, dtype="float64")),
    st.lists(st.booleans(), min_size=1).map(lambda v: pd.Series(v, dtype=bool)),
)


@EXAMPLES
@given(number_columns, st.sampled_from([".", ","]))
def test_numbers_read_as_the_cell_by_cell_route_reads_them(values, decimal):
    out, bad = cells.parse_numbers(values, decimal=decimal)
    general = pd.to_numeric(values, errors="coerce").astype("float64")
    general = cells.numbers_from_cells(values, general, decimal)
    pd.testing.assert_series_equal(out, general)
    pd.testing.assert_series_equal(bad, cells.unread(general, values))


@EXAMPLES
@given(
    st.lists(
        st.one_of(st.text("aZ09@.-_ ", max_size=6), st.text("aZßİΣẞﬁ", max_size=3), st.none())
    ),
    st.sampled_from(["string", "str", object]),
)
def test_casefold_is_pythons(texts_, dtype):
    text = pd.Series(texts_, dtype=dtype, name="key")
    pd.testing.assert_series_equal(cells.casefold(text), text.str.casefold())
