"""Each rule for reading raw cells: dates, numbers, flags, keys."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sheetfunnel.backends.base import EPOCH_1900, EPOCH_1904
from sheetfunnel.cells import parse_dates, parse_flags, parse_numbers, to_key, to_text


def dates(values, order="DMY", tz="UTC", epoch=EPOCH_1900):
    out, bad = parse_dates(pd.Series(values, dtype=object), order=order, timezone=tz, epoch=epoch)
    return list(out), list(bad)


@pytest.mark.parametrize(
    ("cell", "order", "expected"),
    [
        ("2024-03-15", "DMY", "2024-03-15 00:00"),
        ("2024-03-15 10:30:00", "MDY", "2024-03-15 10:30"),
        ("15/03/2024", "DMY", "2024-03-15 00:00"),
        ("03/04/2024", "DMY", "2024-04-03 00:00"),
        ("03/04/2024", "MDY", "2024-03-04 00:00"),
        ("15.03.2024", "DMY", "2024-03-15 00:00"),
        ("15-03-2024 09:05", "DMY", "2024-03-15 09:05"),
        ("2024/03/15", "YMD", "2024-03-15 00:00"),
        ("March 5, 2024", "MDY", "2024-03-05 00:00"),
        (45366, "DMY", "2024-03-15 00:00"),
        (45366.75, "DMY", "2024-03-15 18:00"),
        (dt.date(2024, 3, 15), "DMY", "2024-03-15 00:00"),
        (dt.datetime(2024, 3, 15, 8, 0), "DMY", "2024-03-15 08:00"),
    ],
)
def test_dates_read_per_configured_order(cell, order, expected):
    out, bad = dates([cell], order=order)
    assert out[0] == pd.Timestamp(expected)
    assert bad == [False]


def test_a_column_mixing_formats_reads_every_cell():
    out, bad = dates(["15/03/2024", "2024-03-16", 45368, None], order="DMY")
    assert out[:3] == [
        pd.Timestamp("2024-03-15"),
        pd.Timestamp("2024-03-16"),
        pd.Timestamp("2024-03-17"),
    ]
    assert pd.isna(out[3])
    assert bad == [False, False, False, False]


def test_time_zones_convert_to_the_configured_zone():
    cells = [
        "2024-03-15T10:00:00Z",
        "2024-03-15T10:00:00+02:00",
        dt.datetime(2024, 7, 1, 12, tzinfo=dt.UTC),
    ]
    out, _ = dates(cells, tz="Europe/Paris")
    assert out == [
        pd.Timestamp("2024-03-15 11:00"),
        pd.Timestamp("2024-03-15 09:00"),
        pd.Timestamp("2024-07-01 14:00"),
    ]


def test_serials_count_from_the_workbook_epoch():
    assert dates([0], epoch=EPOCH_1904)[0] == [pd.Timestamp("1904-01-01")]
    assert dates([1462], epoch=EPOCH_1900)[0] == [pd.Timestamp("1904-01-01")]


def test_unreadable_dates_are_flagged_not_guessed():
    out, bad = dates(["next tuesday", "31/02/2024", "", "  ", None, True])
    assert bad == [True, True, False, False, False, True]
    assert all(pd.isna(v) for v in out)


@pytest.mark.parametrize(
    ("cell", "decimal", "expected"),
    [
        ("1\u00a0234,56", ",", 1234.56),
        ("1\u202f234,56", ",", 1234.56),
        ("1.234,56", ",", 1234.56),
        ("12,5", ",", 12.5),
        ("12 %", ",", 0.12),
        ("99,90 €", ",", 99.9),
        ("99,90 EUR", ",", 99.9),
        ("1,234", ",", 1.234),
        ("1,234", ".", 1234.0),
        ("$1,234.50", ".", 1234.5),
        (42.0, ".", 42.0),
        (7, ",", 7.0),
    ],
)
def test_numbers_follow_the_configured_decimal_separator(cell, decimal, expected):
    out, bad = parse_numbers(pd.Series([cell], dtype=object), decimal=decimal)
    assert out[0] == pytest.approx(expected)
    assert not bad[0]


def test_text_that_is_not_a_number_is_flagged():
    out, bad = parse_numbers(
        pd.Series(["51-200", "n/a", None, "", True], dtype=object), decimal="."
    )
    assert list(bad) == [True, True, False, False, True]
    assert np.isnan(out).all()


def test_flags_read_yes_no_in_english_and_french():
    flags, bad = parse_flags(
        pd.Series(["yes", "Oui", "x", 1, 3, "no", 0, None, "maybe"], dtype=object)
    )
    assert list(flags) == [True, True, True, True, True, False, False, False, False]
    assert list(bad) == [False] * 8 + [True]


def test_keys_are_trimmed_and_case_folded_and_whole_floats_lose_their_decimals():
    keys = to_key(pd.Series(["  Ann@Acme.COM ", 1001.0, None, "   "], dtype=object))
    assert list(keys[:2]) == ["ann@acme.com", "1001"]
    assert keys[2:].isna().all()
    assert list(to_text(pd.Series([" x "], dtype=object))) == ["x"]


@pytest.mark.parametrize(
    "cell",
    [dt.datetime(3024, 5, 1), dt.date(1024, 1, 1), "3024-05-01", "01/05/3024", 1e12, -1e9],
)
def test_a_date_beyond_what_a_timestamp_holds_is_not_a_date(cell: object) -> None:
    """A typo such as year 3024 is reported like any bad date, never a crash."""
    values = pd.Series([cell, dt.datetime(2024, 5, 1)], dtype=object)
    dates, bad = parse_dates(values, order="DMY", timezone="UTC", epoch=EPOCH_1900)
    assert pd.isna(dates[0]) and bool(bad[0])
    assert dates[1] == pd.Timestamp(2024, 5, 1) and not bool(bad[1])
