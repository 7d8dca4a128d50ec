"""Plan values as the engine hands them (Python, numpy, pandas) become the right RAW cells."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from sheetfunnel.backends.gsheets.model import same, to_json


def test_engine_values_to_raw_json() -> None:
    assert to_json(np.int64(7)) == 7 and type(to_json(np.int64(7))) is int
    assert to_json(np.float64(2.5)) == 2.5
    assert to_json(np.bool_(True)) is True
    assert to_json(pd.NA) == "" and to_json(pd.NaT) == "" and to_json(float("nan")) == ""
    assert to_json(None) == "" and to_json(float("inf")) == ""
    assert to_json(dt.date(2020, 1, 1)) == 43831
    assert to_json(pd.Timestamp("2020-01-01 12:00")) == 43831.5
    assert to_json("=SUM(A1)") == "=SUM(A1)"


def test_same_treats_empty_alike_and_types_strictly() -> None:
    assert same(None, "") and same("", None)
    assert same(3, 3.0) and not same("3", 3)
    assert not same(True, 1) and not same(1, True)
    assert same(0.1 + 0.2, 0.3)
