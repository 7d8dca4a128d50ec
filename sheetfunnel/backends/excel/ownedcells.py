"""An owned tab's cells as column runs (rows of one column under one look, one encoder) and
their <c> elements, for `ownedxml`.

A run is encoded whole where its values allow (text, numbers, dates: the 100k-row state and
History tabs), cell by cell otherwise, byte for byte as `cell_xml` writes each cell. Each run
also says where it first needs each cell format, so `ownedxml` can ask styles.xml for them in
the order the cells come, row by row.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from itertools import groupby, pairwise
from operator import itemgetter
from types import NoneType

from sheetfunnel.backends.base import EPOCH_1900, CellValue, OwnedTab

from .cells import cell_xml, col_letter, is_blank, normalize_values, number_text, xml_text

_LOOK = ("bold", "italic", "number_format", "fill", "font", "size", "align")
#: The attributes a cell's styles set (merged, later ones winning); {} is plain.
Look = dict[str, object]

#: The UTF-8 of what `xml_text` rewrites: markup, "_" (of _xHHHH_), control characters.
_UNSAFE_BYTES = bytes(range(0x20)) + b"&<>_"
_NONCHARACTERS = ("\ufffe".encode(), "\uffff".encode())


class _Absent:
    """No cell at all, past the end of a shorter row (a None is a blank cell a fill paints)."""

    def __bool__(self) -> bool:
        return False


_NO = _Absent()
#: Cell format by date kind (None: not a date) for a run's look.
Xfs = dict[str | None, int | None]
_Cells = tuple[list[str], int | None]


@dataclass
class Run:
    """Rows [start, stop) of one column under one look (None: plain): their values and types,
    how they are encoded ("text", "number", "date", or cell by cell: "any"), and the offset of
    the first written cell needing each (look, date kind) cell format."""

    column: int
    start: int
    stop: int
    look: Look | None
    values: list[CellValue | _Absent]
    types: set[type]
    how: str
    needs: dict[str | None, int]


def _look_runs(tab: OwnedTab, width: int) -> list[list[tuple[int, int, Look | None]]]:
    """Per column, its rows cut into runs of one merged look (styles apply in order, a later
    one winning attribute by attribute); equal looks are one shared dict."""
    n = len(tab.rows)
    spans: list[list[tuple[int, int, int, Look]]] = [[] for _ in range(width)]
    for order, style in enumerate(tab.styles):
        attrs = {a: getattr(style, a) for a in _LOOK if getattr(style, a)}
        first, last = max(style.first_row, 0), min(style.last_row, n - 1)
        if attrs and first <= last:
            for c in range(max(style.first_column, 0), min(style.last_column, width - 1) + 1):
                spans[c].append((first, last + 1, order, attrs))
    shared: dict[tuple, Look] = {}
    out = []
    for column in spans:
        opens: dict[int, list[tuple[int, Look]]] = {}
        closes: dict[int, list[int]] = {}
        for first, stop, order, attrs in column:
            opens.setdefault(first, []).append((order, attrs))
            closes.setdefault(stop, []).append(order)
        cuts = sorted({0, n, *opens, *closes})
        runs: list[tuple[int, int, Look | None]] = []
        active: dict[int, Look] = {}
        for start, stop in pairwise(cuts):
            for order in closes.get(start, ()):
                del active[order]
            for order, attrs in opens.get(start, ()):
                active[order] = attrs
            look = None
            if active:
                merged: Look = {}
                for order in sorted(active):
                    merged.update(active[order])
                look = shared.setdefault(tuple(merged.get(a) for a in _LOOK), merged)
            if runs and runs[-1][2] is look:
                runs[-1] = (runs[-1][0], stop, look)
            else:
                runs.append((start, stop, look))
        out.append(runs)
    return out


def _date_kind(value: object) -> str | None:
    if isinstance(value, dt.datetime):
        return "datetime"
    return "date" if isinstance(value, dt.date) else None


def _finite(values: list) -> bool:
    """Whether every number is finite (NaN is a blank cell and infinity a text one)."""
    numbers = [v for v in values if v is not None and v is not _NO]
    try:
        return all(map(math.isfinite, numbers))
    except OverflowError:  # an int past float range, which cell_xml refuses: left to it
        return False


def _needs(values: list, types: set[type], look: Look | None, fill: bool) -> dict[str | None, int]:
    """Offset of the first written cell needing each (look, date kind) cell format."""
    possible = {
        "datetime" if issubclass(t, dt.datetime) else "date" if issubclass(t, dt.date) else None
        for t in types
        if t is not _Absent
    }
    if not look:
        possible.discard(None)
    out: dict[str | None, int] = {}
    if not possible:
        return out
    for i, value in enumerate(values):
        if value is _NO or (not fill and is_blank(value)):
            continue
        date = _date_kind(value)
        if (look or date) and date not in out:
            out[date] = i
            if len(out) == len(possible):
                break
    return out


class _Kinds(dict[type, str]):
    """Encoder by type; None and no cell fit any encoder, an odd type needs the per-cell one."""

    def __missing__(self, key: type) -> str:
        return "any"


_KINDS = _Kinds({str: "text", int: "number", float: "number", dt.date: "date"})
_KINDS |= {NoneType: "", _Absent: ""}


def _kinds(values: list) -> set[str]:
    return {_KINDS[t] for t in set(map(type, values))} - {""}


def _pieces(values: list) -> list[tuple[int, int, str]]:
    """(start, stop, encoder) of stretches of one encoder, blanks joining the stretch before
    them (a header row over a column of dates is two stretches)."""
    kinds = _kinds(values)
    if len(kinds) <= 1:
        return [(0, len(values), kinds.pop() if kinds else "text")]
    rest = _kinds(values[1:])
    if len(rest) == 1:
        return [(0, 1, _KINDS[type(values[0])]), (1, len(values), rest.pop())]
    out: list[tuple[int, int, str]] = []
    i = 0
    for kind, group in groupby(map(_KINDS.__getitem__, map(type, values))):
        n = sum(1 for _ in group)
        if out and (not kind or kind == out[-1][2]):
            out[-1] = (out[-1][0], i + n, out[-1][2])
        elif out and not out[-1][2]:
            out[-1] = (out[-1][0], i + n, kind)
        else:
            out.append((i, i + n, kind))
        i += n
    return out


def _run(column: int, start: int, look: Look | None, values: list, how: str, kind: str) -> Run:
    """A column stretch for one encoder (normalised for the per-cell one), with its needs."""
    if how == "number" and not _finite(values):
        how = "any"
    if how == "any":
        values = [v if v is _NO else normalize_values((v,), kind)[0] for v in values]
    types = set(map(type, values))
    needs = _needs(values, types, look, bool(look and look.get("fill")))
    return Run(column, start, start + len(values), look, values, types, how, needs)


def column_runs(tab: OwnedTab) -> list[Run]:
    """The tab's cells as column runs, column by column, each column's top to bottom."""
    rows = tab.rows
    width = max(map(len, rows), default=0)
    if any(len(r) != width for r in rows):
        rows = tuple(tuple(r) + (_NO,) * (width - len(r)) for r in rows)
    looks = _look_runs(tab, width)
    out = []
    for c in range(width):
        kind = "date" if c in tab.date_columns else ""
        column = list(map(itemgetter(c), rows))  # zip(*rows) is 5x slower on 100k rows
        for start, stop, look in looks[c]:
            values = column[start:stop] if stop - start < len(column) else column
            for first, last, how in _pieces(values):
                piece = values[first:last] if last - first < len(values) else values
                out.append(_run(c, start + first, look, piece, how, kind))
    return out


def _plain_texts(texts: list[str]) -> bool:
    """Whether `cell_xml` would write every text as it is: nothing to escape and no edge space
    to keep. Checked on their UTF-8 at once (a regex per text dominated the state tab), NUL
    between texts: a text holding one is unsafe anyway."""
    data = "\0".join(texts).encode("utf-8", "surrogatepass")
    if len(data) - len(data.translate(None, _UNSAFE_BYTES)) != max(len(texts) - 1, 0):
        return False
    if any(bad in data for bad in _NONCHARACTERS):
        return False
    if data.isascii():  # every other ASCII space is a control character, unsafe above
        return not (data[:1] == b" " or data[-1:] == b" " or b"\0 " in data or b" \0" in data)
    return list(map(str.strip, texts)) == texts


def _text_cells(run: Run, letter: str, nums: list[str], xfs: Xfs, epoch: dt.date) -> _Cells:
    style = xfs[None]
    texts = run.values if all(run.values) else [v for v in run.values if v]
    pairs = zip(nums, run.values, strict=True)
    s = f' s="{style}"' if style else ""
    head = f'"{s} t="inlineStr"><is><t>'
    if _plain_texts(texts):
        cells = [f'<c r="{letter}{n}{head}{v}</t></is></c>' if v else "" for n, v in pairs]
    else:
        cells = [
            ""
            if not v
            else f'<c r="{letter}{n}{head}{v}</t></is></c>'
            if xml_text(v) == v and v.strip() == v
            else cell_xml(f"{letter}{n}", v, style=style, epoch=epoch, date_style=None)
            for n, v in pairs
        ]
    return cells, max(map(len, texts), default=None)


def _number_cells(run: Run, letter: str, nums: list[str], xfs: Xfs, epoch: dt.date) -> _Cells:
    style = xfs[None]
    s = f' s="{style}"' if style else ""
    cells = [
        f'<c r="{letter}{n}"{s}><v>{v if v.__class__ is int else number_text(v)}</v></c>'
        if v is not None and v is not _NO
        else ""
        for n, v in zip(nums, run.values, strict=True)
    ]
    numbers = [v for v in run.values if v is not None and v is not _NO]
    if not numbers:
        shown = None
    elif float not in run.types:
        # the longest int is the largest or the smallest; 0 counts 1 where the rule says 0,
        # both under the 8-character floor
        shown = max(len(str(min(numbers))), len(str(max(numbers))))
    else:
        shown = max((len(str(v)) if v else 0 for v in numbers), default=None)
    return cells, shown


def _date_cells(run: Run, letter: str, nums: list[str], xfs: Xfs, epoch: dt.date) -> _Cells:
    style = xfs["date"]
    s = f' s="{style}"' if style else ""
    base = epoch.toordinal()
    # the 1900 system counts Lotus' 1900-02-29 (as excel_serial does)
    lotus = dt.date(1900, 3, 1) if epoch == EPOCH_1900 else dt.date.min
    cells = [
        f'<c r="{letter}{n}"{s}><v>{v.toordinal() - base - (v < lotus)}</v></c>'
        if v is not None and v is not _NO
        else ""
        for n, v in zip(nums, run.values, strict=True)
    ]
    return cells, 10 if any(v is not None and v is not _NO for v in run.values) else None


def _any_cells(run: Run, letter: str, nums: list[str], xfs: Xfs, epoch: dt.date) -> _Cells:
    """Cell by cell, for runs of odd values (bools, datetimes, NaN, numpy scalars...)."""
    fill = bool(run.look and run.look.get("fill"))
    cells, shown = [], None
    for n, value in zip(nums, run.values, strict=True):
        blank = value is _NO or is_blank(value)
        if value is _NO or (blank and not fill):
            cells.append("")
            continue
        date = _date_kind(value)
        style = xfs[date] if (run.look or date) else None
        ref = f"{letter}{n}"
        if blank:
            cells.append(f'<c r="{ref}" s="{style}"/>' if style else "")
        else:
            date_style = style if date else None
            cells.append(cell_xml(ref, value, style=style, epoch=epoch, date_style=date_style))
        width = 16 if date == "datetime" else 10 if date else len(str(value or ""))
        shown = width if shown is None else max(shown, width)
    return cells, shown


_ENCODERS = {"text": _text_cells, "number": _number_cells, "date": _date_cells}


def encode_run(run: Run, numbers: list[str], xfs: Xfs, epoch: dt.date) -> _Cells:
    """The run's <c> elements ("" where no cell is written) and its longest shown value (for
    the column's width; None: no cell counts)."""
    letter = col_letter(run.column + 1)
    nums = numbers[run.start : run.stop]
    if run.how == "any":
        return _any_cells(run, letter, nums, xfs, epoch)
    cells, shown = _ENCODERS[run.how](run, letter, nums, xfs, epoch)
    if run.look and run.look.get("fill"):
        style = xfs[None]  # a blank cell under a fill is written with its format alone
        for i, value in enumerate(run.values):
            if value is None or value == "":
                cells[i] = f'<c r="{letter}{nums[i]}" s="{style}"/>' if style else ""
                shown = shown or 0
    return cells, shown
