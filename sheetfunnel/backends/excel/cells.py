"""Cell addresses and cell XML: column letters, ranges, date serials, escaped inline strings."""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from sheetfunnel.backends.base import EPOCH_1900, CellValue

MAX_COL = 16384
MAX_ROW = 1048576
#: Characters XML 1.0 cannot carry; Excel writes them as _xHHHH_.
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPE_LIKE = re.compile("_(x[0-9A-Fa-f]{4}_)")
_PLAIN = re.compile("[^&<>_\x00-\x1f\ufffe\uffff]*")


def col_index(letters: str) -> int:
    """1-based column number of 'A', 'AB', ..."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def col_letter(index: int) -> str:
    """Column letters of a 1-based column number."""
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def range_bounds(ref: str) -> tuple[int, int, int, int] | None:
    """(first col, first row, last col, last row) of 'B2:D9', 'C3', 'A:C' or '2:4'; None if odd."""
    parts = ref.replace("$", "").split(":")
    cols, rows = [], []
    for part in parts[:2]:
        m = re.fullmatch(r"([A-Za-z]{0,3})(\d*)", part.split("!")[-1])
        if not m or not (m.group(1) or m.group(2)):
            return None
        cols.append(col_index(m.group(1)) if m.group(1) else None)
        rows.append(int(m.group(2)) if m.group(2) else None)
    if len(parts) == 1:
        cols.append(cols[0])
        rows.append(rows[0])
    c1 = cols[0] or 1
    c2 = cols[1] or MAX_COL
    r1 = rows[0] or 1
    r2 = rows[1] or MAX_ROW
    return c1, r1, c2, r2


def excel_serial(value: dt.date | dt.datetime, epoch: dt.date) -> float:
    """Date serial of `value` in the workbook's epoch (1900 system keeps Lotus' 1900-02-29)."""
    day = value.date() if isinstance(value, dt.datetime) else value
    days = (day - epoch).days
    if epoch == EPOCH_1900 and day < dt.date(1900, 3, 1):
        days -= 1
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        t = value.time()
        frac = (t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6) / 86400
        return days + frac
    return float(days)


def xml_text(text: str) -> str:
    """Text escaped for an XML element, with control characters as Excel's _xHHHH_."""
    if _PLAIN.fullmatch(text):
        return text  # the common case: nothing to escape (measured: 5x faster on 700k cells)
    text = _ESCAPE_LIKE.sub(r"_x005F_\1", text)
    text = _BAD_XML.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return escape(text)


def number_text(value: float | int) -> str:
    """A number as Excel writes it in <v> (integers without '.0')."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


_PLAIN_TYPES = frozenset({str, float, int, bool, type(None), dt.date})


def normalize_values(values: tuple, kind: str) -> tuple:
    """Values as plain Python (numpy/pandas scalars converted); a date column's datetimes at
    midnight become dates so they get a date format, not a date-and-time one."""
    types = set(map(type, values))
    if types <= _PLAIN_TYPES and not (kind == "date" and dt.datetime in types):
        return values  # the common case, checked at C speed
    return tuple(_normalize(v, kind) for v in values)


def _normalize(value: object, kind: str) -> CellValue:
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, np.datetime64):
        value = None if np.isnat(value) else pd.Timestamp(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    elif isinstance(value, np.generic):
        value = value.item()
    if (
        kind == "date"
        and isinstance(value, dt.datetime)
        and value.tzinfo is None
        and value.time() == dt.time(0)
    ):
        return value.date()
    return value  # type: ignore[return-value]


def is_blank(value: CellValue) -> bool:
    """Whether a value leaves the cell empty (None, NaN, NaT, '')."""
    if value is None:
        return True
    if value.__class__ is str:
        return value == ""
    try:
        return bool(value != value)  # NaN and NaT are the values unequal to themselves
    except TypeError:  # pandas.NA refuses to be a bool
        return True


def cell_xml(
    ref: str, value: CellValue, *, style: int | None, epoch: dt.date, date_style: int | None
) -> str:
    """One <c> element holding `value` as a literal (never a formula)."""
    s = f' s="{style}"' if style else ""
    cls = value.__class__
    if cls is str:
        text = value
    elif cls is bool or isinstance(value, bool | np.bool_):
        return f'<c r="{ref}"{s} t="b"><v>{int(bool(value))}</v></c>'
    elif isinstance(value, dt.date):
        ds = f' s="{date_style}"' if date_style is not None else s
        return f'<c r="{ref}"{ds}><v>{number_text(excel_serial(value, epoch))}</v></c>'
    elif isinstance(value, numbers.Real) and math.isfinite(value):
        return f'<c r="{ref}"{s}><v>{number_text(value)}</v></c>'
    else:
        text = str(value)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{xml_text(text)}</t></is></c>'


def header_text(value: CellValue) -> str:
    """The text of a header cell as a column name (numbers without '.0', dates in ISO)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return str(value).strip()
