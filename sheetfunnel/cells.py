"""Typing raw spreadsheet cells: dates, numbers, flags and keys, vectorised.

Cells arrive as whatever the reader gave (text, float, int, date, datetime, None). Each parser
returns the typed column plus a mask of the cells it could not read, so the caller decides
whether that is an error or a warning. Formats are never guessed: the day/month order and the
decimal separator come from the config.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Text that reads as "yes" in a flag column (English and French sheets).
TRUTHY = frozenset({"yes", "y", "true", "1", "x", "oui", "o", "vrai", "✓", "✔", "done"})
FALSY = frozenset({"no", "n", "false", "0", "non", "faux", "-", ""})

_TZ_SUFFIX = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")
_ORDER_FORMATS = {
    "DMY": ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d/%m/%y"),
    "MDY": ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y", "%m/%d/%y"),
    "YMD": ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d"),
}
# Everything but digits, separators and signs goes: thousands grouped with (narrow) no-break
# spaces in French sheets, currency symbols and codes ("99,90 EUR"), apostrophes (Swiss).
_NUMBER_JUNK = re.compile(r"[^\d,.\-+%]")

NS = "datetime64[ns]"
#: Serial day numbers read as dates: what a Timedelta of days and a datetime64[ns] after an
#: Excel epoch can hold (about the years 1680 to 2190); others are not dates (a typo).
SERIALS = (-80_000, 106_000)

#: Codes of formula error cells: Excel's cached results (the Excel reader puts them in the
#: cells calamine reads as empty) and Google Sheets' values, #ERROR! included.
ERROR_CODES = (
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
    "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#ERROR!",
)  # fmt: skip


#: What pandas infers for a column without a single text cell: no error code in it.
_TEXTLESS = frozenset(
    {"empty", "floating", "integer", "mixed-integer-float", "decimal", "boolean", "datetime",
     "date", "datetime64", "timedelta", "timedelta64", "time", "period"}
)  # fmt: skip


def formula_errors(values: pd.Series) -> pd.Series:
    """True for cells holding a formula error code."""
    # A million date cells: inferring their type takes 18 ms, hashing them 43 ms.
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in _TEXTLESS:
        return pd.Series(False, index=values.index, name=values.name)
    return values.isin(ERROR_CODES)


def coded_formula_errors(values: pd.Series, codes: np.ndarray, uniques: np.ndarray) -> pd.Series:
    """`formula_errors` of a column `factorize` coded: only its distinct values are looked up."""
    hit = pd.Series(uniques, dtype=object).isin(ERROR_CODES).to_numpy()
    return pd.Series(np.append(hit, False)[codes], index=values.index, name=values.name)


def unread(parsed: pd.Series, values: pd.Series) -> pd.Series:
    """Cells that hold something yet did not parse (only the unparsed ones are inspected)."""
    missing = parsed.isna().to_numpy()
    bad = pd.Series(False, index=values.index)
    if missing.any():
        bad[missing] = ~is_blank(values[missing]).to_numpy()
    return bad


def is_blank(values: pd.Series) -> pd.Series:
    """True for empty cells: None, NaN, or text that is only whitespace."""
    blank = values.isna()
    text = values.map(lambda v: isinstance(v, str), na_action="ignore")
    text = text.astype(object).fillna(False).astype(bool)
    if text.any():
        blank = blank | (text & values.where(text).astype("string").str.strip().eq(""))
    return blank.astype(bool)


def factorize(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes (-1 for empty) and distinct values of a column, as `pandas.factorize`.

    A column of text with many distinct values is hashed by pyarrow; one repeating a few
    values, like anything mixed (numbers among text), by Python. Both give the same codes.
    """
    text = values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) == "string"
    if text and not few_distinct(values):
        codes, uniques = pd.factorize(values.astype("string[pyarrow]"))
        return codes, np.asarray(uniques, dtype=object)
    codes, uniques = pd.factorize(values)
    return codes, np.asarray(uniques, dtype=object)


def few_distinct(values: pd.Series) -> bool:
    """Whether 10,000 cells spread over the column hold at most 1% distinct values.

    Measured on a million fresh cells: 100,000 contact keys hash in 107 ms in pyarrow against
    176 ms in Python, five activity types in 21 ms in Python against 62 ms (the conversion to
    Arrow is most of it).
    """
    sample = values.to_numpy()[:: max(1, len(values) // 10_000)]
    return len(pd.unique(sample)) * 100 <= len(sample)


def positions(values: pd.Series, distinct: pd.Series) -> np.ndarray:
    """Where each text of `values` is in `distinct` (-1 if nowhere), as `Index.get_indexer`.

    `distinct` holds no text twice. Arrow's lookup takes 15 ms where the Index takes 60 ms to
    find 100,000 keys among 100,000 contacts.
    """
    found = pc.index_in(_arrow(values), value_set=_arrow(distinct))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.intp)


def _arrow(values: pd.Series) -> pa.Array:
    """A column as the Arrow text array pandas' string columns hold."""
    return pa.array(values.astype("string").array).cast(pa.large_string())


def on_uniques(values: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply a per-cell transformation to the distinct values only, then spread the results.

    Columns of a sheet repeat themselves (a million activity rows name a few thousand contacts
    and a dozen types); working on the distinct values is what keeps a sync fast.
    """
    codes, uniques = factorize(values)
    done = fn(pd.Series(uniques, dtype=object)).to_numpy(dtype=object)
    return pd.Series(np.append(done, None)[codes], index=values.index)  # -1 picks None


def _text(values: pd.Series, inferred: str | None = None) -> pd.Series:
    if (inferred or pd.api.types.infer_dtype(values, skipna=True)) == "string":
        whole = pd.Series(False, index=values.index)
    else:
        whole = values.map(lambda v: isinstance(v, float) and v.is_integer(), na_action="ignore")
        whole = whole.astype(object).fillna(False).astype(bool)
    if whole.any():
        values = values.copy()
        values[whole] = values[whole].map(lambda v: str(int(v)))
    out = values.astype("string").str.strip(SPACES)
    return out.mask(out.eq(""))


#: Every Unicode space (what str.isspace() accepts: NBSP, narrow NBSP, ideographic space...)
#: plus the invisible ones pasted keys carry at their ends (zero-width space, BOM).
_WHITESPACE = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())
SPACES = _WHITESPACE + "\u180e\u200b\u200c\u200d\u2060\ufeff"
_EMAIL = r"[^\s@]+@[^\s@]+\.[^\s@]+"
# _EMAIL for Arrow's RE2, whose \s is ASCII only: Python's \s spelled out (what isspace() is).
_NOT_SPACE_OR_AT = "[^@" + "".join(f"\\x{{{ord(ch):x}}}" for ch in _WHITESPACE) + "]+"
_EMAIL_RE2 = rf"^{_NOT_SPACE_OR_AT}@{_NOT_SPACE_OR_AT}\.{_NOT_SPACE_OR_AT}$"


def malformed_emails(keys: pd.Series) -> pd.Series:
    """Keys that are meant as e-mails (they hold an @) but cannot be one: an inner space,
    two @, nothing before or after it, no dot in the domain."""
    # In RE2: 8 ms for 100,000 keys, where pandas falls back to Python's re (30 ms) for \s.
    text = _arrow(keys)
    meant = pc.match_substring(text, "@").fill_null(False)
    ok = pc.match_substring_regex(text, _EMAIL_RE2).fill_null(False)
    bad = pc.and_(meant, pc.invert(ok)).to_numpy(zero_copy_only=False)
    return pd.Series(bad, index=keys.index, name=keys.name)


def to_text(values: pd.Series) -> pd.Series:
    """Cells as stripped text (a whole float such as 1001.0 reads "1001"); blank -> <NA>."""
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred == "string":
        # Stripping every cell in Arrow beats hashing them to strip the distinct ones (5 ms
        # against 30 ms for 100,000 keys). Mixed cells keep the distinct values: hashing makes
        # 1, 1.0 and True one value, and this route must read them as it always has.
        return _text(values, inferred).rename(None)
    return on_uniques(values, _text).astype("string")


def to_key(values: pd.Series) -> pd.Series:
    """Contact keys compared the way a person would: trimmed and case-folded."""
    return on_uniques(values, distinct_keys).astype("string")


def distinct_keys(uniques: pd.Series) -> pd.Series:
    """`to_key` of values already distinct (what `factorize` returns): no second hashing."""
    return casefold(_text(uniques))


def casefold(text: pd.Series) -> pd.Series:
    """`text.str.casefold()`; text all ASCII, where case-folding is lowering A-Z, is lowered
    in Arrow (0.5 ms for 100,000 e-mail keys, where Python's casefold takes 10)."""
    if text.dtype == pd.StringDtype("pyarrow"):
        arrow = pa.array(text.array)
        if pc.all(pc.string_is_ascii(arrow), min_count=0).as_py():
            lowered = pd.arrays.ArrowStringArray(pc.ascii_lower(arrow))
            return pd.Series(lowered, index=text.index, name=text.name)
    return text.str.casefold()


def parse_numbers(values: pd.Series, *, decimal: str) -> tuple[pd.Series, pd.Series]:
    """Numbers from cells such as 1234.5, "1 234,56", "12 %" (0.12) or "99,90 EUR".

    Returns (float64 series, mask of non-blank cells that are not numbers).
    """
    out = pd.to_numeric(values, errors="coerce").astype("float64")
    if not only_numbers(values):
        out = numbers_from_cells(values, out, decimal)
    return out, unread(out, values)


#: What pandas infers for an object column of numbers and blanks only (no text, no flag).
_NUMBERS = frozenset({"empty", "floating", "integer", "mixed-integer-float"})


def only_numbers(values: pd.Series) -> bool:
    """Whether a column holds numbers and blanks only: nothing for `numbers_from_cells` to do
    (its two passes over the cells take 14 ms on 100,000 numbers, a type check 0.6 ms)."""
    if values.dtype == object:
        return pd.api.types.infer_dtype(values, skipna=True) in _NUMBERS
    return pd.api.types.is_numeric_dtype(values.dtype)


def numbers_from_cells(values: pd.Series, out: pd.Series, decimal: str) -> pd.Series:
    """`out` (the cells pandas reads as numbers) with the text cells read as numbers and the
    yes/no cells emptied."""
    is_text = _cells_that(values, lambda v: isinstance(v, str))
    if is_text.any():
        text = values[is_text].astype("string")
        codes, uniques = pd.factorize(text)
        parsed = _parse_number_texts(pd.Series(uniques, dtype="string"), decimal)
        out[is_text] = parsed.to_numpy()[codes]
    if values.dtype == object:
        out[_cells_that(values, lambda v: isinstance(v, bool))] = np.nan
    return out


def _cells_that(values: pd.Series, test: Callable[[object], bool]) -> pd.Series:
    """`test` of each non-blank cell, False for blanks (also in a column of NaT only, where
    the mapped column is datetime-typed and False cannot fill it)."""
    return values.map(test, na_action="ignore").astype(object).fillna(False).astype(bool)


def _parse_number_texts(text: pd.Series, decimal: str) -> pd.Series:
    cleaned = text.str.strip()
    percent = cleaned.str.endswith("%")
    cleaned = cleaned.str.replace(_NUMBER_JUNK, "", regex=True).str.rstrip("%")
    if decimal == ",":
        cleaned = cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        cleaned = cleaned.str.replace(",", "", regex=False)
    number = pd.to_numeric(cleaned.mask(cleaned.eq("")), errors="coerce").astype("float64")
    return number.where(~percent.fillna(False).astype(bool), number / 100)


def parse_flags(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Yes/no cells as booleans; numbers count as yes when > 0. Returns (flags, bad mask)."""
    numbers = pd.to_numeric(values, errors="coerce")
    text = to_text(values).str.casefold()
    flags = text.isin(TRUTHY) | (numbers > 0)
    known = text.isin(TRUTHY | FALSY) | numbers.notna() | text.isna()
    return flags.fillna(False).astype(bool), ~known.fillna(False).astype(bool)


def as_ns(values: Any) -> Any:
    """`values` (datetime-like) as datetime64[ns]; a moment outside what that holds (years
    1677 to 2262: a typo such as 3024) becomes NaT, so it is reported as not a date instead
    of stopping the run."""
    try:
        return values.astype(NS)
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        inside = (values >= pd.Timestamp.min) & (values <= pd.Timestamp.max)
        return values.where(inside).astype(NS)


def parse_dates(
    values: pd.Series, *, order: str, timezone: str, epoch: dt.date
) -> tuple[pd.Series, pd.Series]:
    """Timestamps, naive in `timezone`, from date cells, Excel/Sheets serials or text.

    Text is read as ISO 8601 first, then with the configured day/month order, and only the
    leftovers one by one (an inferred format per column is both slow and wrong on mixed
    columns). Returns (datetime64[ns] series, mask of non-blank cells that are not dates).
    """
    if values.empty:
        return pd.Series(pd.NaT, index=values.index, dtype=NS), pd.Series(False, index=values.index)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return _to_zone(pd.Series(values), timezone), pd.Series(False, index=values.index)

    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in ("date", "datetime"):
        moments = _naive_moments(values)
        if moments is not None:
            return moments, unread(moments, values)
    return dates_by_kind(values, _cell_kinds(values, inferred), order, timezone, epoch)


def _naive_moments(values: pd.Series) -> pd.Series | None:
    """A column of date and naive datetime cells (calamine's dates) in one conversion.

    None when a cell is tz-aware: the per-kind route converts those. About 3 times faster than
    grouping a million cells by kind and writing each group back.
    """
    try:
        parsed = pd.to_datetime(values.to_numpy(dtype=object))
    except (ValueError, TypeError):
        return None
    if parsed.tz is not None:
        return None
    return pd.Series(as_ns(parsed), index=values.index)


def dates_by_kind(
    values: pd.Series, kind: pd.Series, order: str, timezone: str, epoch: dt.date
) -> tuple[pd.Series, pd.Series]:
    """`parse_dates` for cells of known kinds ("text", "number", "aware", "moment", "other",
    NaN for empty): each kind is read by its own bulk route."""
    out = pd.Series(pd.NaT, index=values.index, dtype=NS)
    for name, part in values.groupby(kind, sort=False):
        if name == "text":
            parsed = _parse_date_texts(part.astype("string"), order, timezone)
        elif name == "number":
            days = pd.to_numeric(part, errors="coerce").astype("float64")
            days = days.where(days.between(*SERIALS))
            parsed = pd.Timestamp(epoch) + pd.to_timedelta(days, unit="D")
            parsed = parsed.dt.round("s")
        elif name == "aware":
            parsed = _to_zone(
                pd.Series(pd.to_datetime(list(part), utc=True), index=part.index), timezone
            )
        elif name == "moment":
            parsed = pd.Series(pd.to_datetime(list(part)), index=part.index)
        else:
            continue
        out[part.index] = as_ns(parsed)
    return out, unread(out, values)


def _cell_kinds(values: pd.Series, inferred: str) -> pd.Series:
    """The kind of every cell; `inferred` (pandas' type inference) first, as most columns are
    uniform."""
    uniform = {"string": "text", "floating": "number", "integer": "number", "date": "moment"}
    uniform["mixed-integer-float"] = "number"  # Sheets' serial dates: whole days are ints
    if inferred == "datetime":
        first = values[values.first_valid_index()]
        uniform["datetime"] = "aware" if getattr(first, "tzinfo", None) else "moment"
    if inferred in uniform:
        return pd.Series(uniform[inferred], index=values.index).where(values.notna())
    return cell_kinds(values)


def cell_kinds(values: pd.Series) -> pd.Series:
    """The kind of every cell, looked at one by one (NaN for empty)."""
    return values.map(_cell_kind, na_action="ignore")


def _cell_kind(value: object) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "other"
    if isinstance(value, int | float | np.integer | np.floating):
        return "number"
    if isinstance(value, dt.datetime | pd.Timestamp):
        return "aware" if value.tzinfo is not None else "moment"
    if isinstance(value, dt.date):
        return "moment"
    return "other"


def _to_zone(values: pd.Series, timezone: str) -> pd.Series:
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert(timezone).dt.tz_localize(None)
    return as_ns(values)


def _parse_date_texts(text: pd.Series, order: str, timezone: str) -> pd.Series:
    codes, uniques = pd.factorize(text.str.strip())
    u = pd.Series(uniques, dtype="string")
    parsed = pd.Series(pd.NaT, index=u.index, dtype=NS)

    zoned = u.str.contains(_TZ_SUFFIX, regex=True).fillna(False).astype(bool)
    if zoned.any():
        aware = pd.to_datetime(u[zoned], format="ISO8601", errors="coerce", utc=True)
        parsed[zoned] = as_ns(aware.dt.tz_convert(timezone).dt.tz_localize(None))
    naive = ~zoned
    if naive.any():
        iso = pd.to_datetime(u[naive], format="ISO8601", errors="coerce")
        parsed[naive] = as_ns(iso)

    left = parsed.isna()
    if left.any():
        # 15.03.2024 and 15-03-2024 read like 15/03/2024
        slashed = u[left].str.replace(r"[.\-]", "/", regex=True)
        for fmt in _ORDER_FORMATS[order]:
            todo = parsed.isna() & left
            if not todo.any():
                break
            got = pd.to_datetime(slashed[todo[left]], format=fmt, errors="coerce")
            parsed[todo] = as_ns(got)

    for i in parsed.index[parsed.isna()]:
        parsed[i] = _parse_one(str(u[i]), order, timezone)
    return pd.Series(parsed.to_numpy()[codes], index=text.index, dtype=NS)


def _parse_one(text: str, order: str, timezone: str) -> pd.Timestamp | pd.NaT:
    """Last resort for a text no bulk format read (e.g. "March 5, 2024")."""
    if not text or not any(c.isalpha() for c in text) or text.isalpha():
        return pd.NaT
    try:
        ts = pd.Timestamp(pd.to_datetime(text, dayfirst=order == "DMY", yearfirst=order == "YMD"))
    except (ValueError, OverflowError, TypeError):
        return pd.NaT
    if ts.tzinfo is not None:
        ts = ts.tz_convert(timezone).tz_localize(None)
    return ts
