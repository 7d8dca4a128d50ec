"""A1 notation as the Sheets API reads and echoes it: parsing, clamping, quoting titles."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CELL = re.compile(r"^([A-Za-z]{0,3})(\d*)$")
_PLAIN_TITLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOOKS_LIKE_CELL = re.compile(r"^([A-Za-z]{1,3}\d+|[Rr]\d*[Cc]\d*)$")


class RangeError(ValueError):
    """A range the API cannot parse (400 `Unable to parse range: X`)."""


def col_letter(index: int) -> str:
    """0-based column index -> letters (0 -> A, 26 -> AA)."""
    out = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_index(letters: str) -> int:
    """Letters -> 0-based column index."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def quote_title(title: str) -> str:
    """Quote a sheet title only when the API does: not a plain identifier, or looks like a cell."""
    if _PLAIN_TITLE.match(title) and not _LOOKS_LIKE_CELL.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


@dataclass(frozen=True)
class Span:
    """A parsed range: 0-based half-open bounds; None means open-ended on that side."""

    title: str | None
    r0: int | None
    c0: int | None
    r1: int | None
    c1: int | None


def split_title(text: str) -> tuple[str | None, str]:
    """'My Sheet'!A1 -> ("My Sheet", "A1"); a bare string has no "!" part."""
    if text.startswith("'"):
        i, title = 1, []
        while i < len(text):
            ch = text[i]
            if ch == "'":
                if i + 1 < len(text) and text[i + 1] == "'":
                    title.append("'")
                    i += 2
                    continue
                rest = text[i + 1 :]
                if rest == "":
                    return "".join(title), ""
                if rest.startswith("!"):
                    return "".join(title), rest[1:]
                raise RangeError(text)
            title.append(ch)
            i += 1
        raise RangeError(text)
    if "!" in text:
        title, _, cells = text.rpartition("!")
        return title, cells
    return None, text


def _corner(text: str) -> tuple[int | None, int | None]:
    m = _CELL.match(text)
    if not m or (not m.group(1) and not m.group(2)):
        raise RangeError(text)
    col = col_index(m.group(1)) if m.group(1) else None
    row = int(m.group(2)) - 1 if m.group(2) else None
    if row is not None and row < 0:
        raise RangeError(text)
    return row, col


def parse_cells(cells: str) -> tuple[int | None, int | None, int | None, int | None]:
    """'A1:C' -> (0, 0, None, 3); 'D4:A1' is normalised to A1:D4; '' means the whole sheet."""
    if cells == "":
        return None, None, None, None
    first, sep, second = cells.partition(":")
    ra, ca = _corner(first)
    if not sep:
        if ra is None or ca is None:
            raise RangeError(cells)
        return ra, ca, ra + 1, ca + 1
    rb, cb = _corner(second)
    rows = sorted(x for x in (ra, rb) if x is not None)
    cols = sorted(x for x in (ca, cb) if x is not None)
    if ra is None and rb is None:
        r0, r1 = None, None
    elif ra is not None and rb is not None:
        r0, r1 = rows[0], rows[1] + 1
    else:
        r0, r1 = rows[0], None
    if ca is None and cb is None:
        c0, c1 = None, None
    elif ca is not None and cb is not None:
        c0, c1 = cols[0], cols[1] + 1
    else:
        c0, c1 = cols[0], None
    return r0, c0, r1, c1


def parse(text: str, titles: list[str]) -> Span:
    """Parse a range; a bare string naming an existing sheet means that whole sheet."""
    if "!" not in text and not text.startswith("'") and text in titles:
        return Span(text, None, None, None, None)
    try:
        title, cells = split_title(text)
    except RangeError:
        raise RangeError(text) from None
    if title is not None and title not in titles:
        raise RangeError(text)
    try:
        r0, c0, r1, c1 = parse_cells(cells)
    except RangeError:
        if title is None and text.startswith("'") is False and text in titles:
            return Span(text, None, None, None, None)
        raise RangeError(text) from None
    return Span(title, r0, c0, r1, c1)


def format_range(title: str, r0: int, c0: int, r1: int, c1: int) -> str:
    """Echo a clamped range the way the API does: `Sheet1!A1:D4`, a single cell as `Sheet1!A1`."""
    start = f"{col_letter(c0)}{r0 + 1}"
    if r1 - r0 == 1 and c1 - c0 == 1:
        return f"{quote_title(title)}!{start}"
    return f"{quote_title(title)}!{start}:{col_letter(c1 - 1)}{r1}"
