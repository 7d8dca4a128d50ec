"""The spreadsheet model: sheets, sparse cell rows, formats, rules, charts, metadata."""

from __future__ import annotations

import copy
import datetime as dt
import random
import string
from dataclasses import dataclass, field
from typing import Any, ClassVar

from . import a1
from .values import Cell

#: What a fresh spreadsheet's properties read back as (copied from the recorded responses).
_THEME_COLOURS = [
    ("TEXT", {}),
    ("BACKGROUND", {"red": 1, "green": 1, "blue": 1}),
    ("ACCENT1", {"red": 0.25882354, "green": 0.52156866, "blue": 0.95686275}),
    ("ACCENT2", {"red": 0.91764706, "green": 0.2627451, "blue": 0.20784314}),
    ("ACCENT3", {"red": 0.9843137, "green": 0.7372549, "blue": 0.015686275}),
    ("ACCENT4", {"red": 0.20392157, "green": 0.65882355, "blue": 0.3254902}),
    ("ACCENT5", {"red": 1, "green": 0.42745098, "blue": 0.003921569}),
    ("ACCENT6", {"red": 0.27450982, "green": 0.7411765, "blue": 0.7764706}),
    ("LINK", {"red": 0.06666667, "green": 0.33333334, "blue": 0.8}),
]


def default_properties(title: str) -> dict[str, Any]:
    return {
        "title": title,
        "locale": "en_US",
        "autoRecalc": "ON_CHANGE",
        "timeZone": "Etc/GMT",
        "defaultFormat": {
            "backgroundColor": {"red": 1, "green": 1, "blue": 1},
            "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
            "verticalAlignment": "BOTTOM",
            "wrapStrategy": "OVERFLOW_CELL",
            "textFormat": {
                "foregroundColor": {},
                "fontFamily": "arial,sans,sans-serif",
                "fontSize": 10,
                "bold": False,
                "italic": False,
                "strikethrough": False,
                "underline": False,
                "foregroundColorStyle": {"rgbColor": {}},
            },
            "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
        },
        "spreadsheetTheme": {
            "primaryFontFamily": "Arial",
            "themeColors": [
                {"colorType": t, "color": {"rgbColor": dict(c)}} for t, c in _THEME_COLOURS
            ],
        },
    }


class ApiError(Exception):
    """An error response: HTTP code, google.rpc status and message (and optional details)."""

    STATUS: ClassVar[dict[int, str]] = {
        400: "INVALID_ARGUMENT",
        401: "UNAUTHENTICATED",
        403: "PERMISSION_DENIED",
        404: "NOT_FOUND",
        429: "RESOURCE_EXHAUSTED",
        500: "INTERNAL",
        503: "UNAVAILABLE",
    }

    def __init__(self, code: int, message: str, details: list[Any] | None = None):
        super().__init__(message)
        self.code, self.message, self.details = code, message, details

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "status": self.STATUS.get(self.code, "UNKNOWN"),
        }
        if self.details:
            error["details"] = self.details
        return {"error": error}


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


@dataclass
class Sheet:
    """One tab. `rows[r][c]` is a `Cell` or None; rows shorter than the grid are padded lazily."""

    sheet_id: int
    title: str
    row_count: int = 1000
    column_count: int = 26
    hidden: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # tabColorStyle, frozen rows, ...
    rows: list[list[Cell | None]] = field(default_factory=list)
    formats: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    validation: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    conditional_formats: list[dict[str, Any]] = field(default_factory=list)
    charts: list[dict[str, Any]] = field(default_factory=list)
    #: column -> width in pixels set by updateDimensionProperties (absent: the default 100)
    column_sizes: dict[int, int] = field(default_factory=dict)

    def clone(self) -> Sheet:
        """Copy for an atomic batch: cells are immutable, so rows are copied shallowly."""
        twin = copy.copy(self)
        twin.extra = copy.deepcopy(self.extra)
        twin.rows = [row[:] for row in self.rows]
        twin.formats = dict(self.formats)
        twin.validation = dict(self.validation)
        twin.conditional_formats = copy.deepcopy(self.conditional_formats)
        twin.charts = copy.deepcopy(self.charts)
        twin.column_sizes = dict(self.column_sizes)
        return twin

    def get(self, r: int, c: int) -> Cell | None:
        if r < len(self.rows):
            row = self.rows[r]
            if c < len(row):
                return row[c]
        return None

    def put(self, r: int, c: int, cell: Cell | None) -> None:
        rows = self.rows
        if r >= len(rows):
            if cell is None:
                return
            rows.extend([] for _ in range(r + 1 - len(rows)))
        row = rows[r]
        if c >= len(row):
            if cell is None:
                return
            row.extend([None] * (c + 1 - len(row)))
        row[c] = cell

    def resize(self, rows: int, cols: int) -> None:
        self.row_count, self.column_count = rows, cols
        del self.rows[rows:]
        for row in self.rows:
            del row[cols:]
        for store in (self.formats, self.validation):
            for key in [k for k in store if k[0] >= rows or k[1] >= cols]:
                del store[key]
        for c in [c for c in self.column_sizes if c >= cols]:
            del self.column_sizes[c]

    def properties(self, index: int) -> dict[str, Any]:
        props: dict[str, Any] = {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": index,
            "sheetType": "GRID",
            "gridProperties": {"rowCount": self.row_count, "columnCount": self.column_count},
        }
        if self.hidden:
            props["hidden"] = True
        grid_extra = self.extra.get("gridProperties", {})
        props["gridProperties"].update({k: v for k, v in grid_extra.items() if v})
        props.update({k: copy.deepcopy(v) for k, v in self.extra.items() if k != "gridProperties"})
        return props

    def bounds(self, span: a1.Span) -> tuple[int, int, int, int]:
        """Clamp a parsed range to the grid; 400 when it starts or ends beyond it."""
        r0 = span.r0 or 0
        c0 = span.c0 or 0
        r1 = self.row_count if span.r1 is None else span.r1
        c1 = self.column_count if span.c1 is None else span.c1
        if r1 > self.row_count or c1 > self.column_count:
            end = f":{a1.col_letter(c1 - 1)}{r1}" if (r1 - r0, c1 - c0) != (1, 1) else ""
            raise bad_request(
                f"Range ({a1.quote_title(self.title)}!{a1.col_letter(c0)}{r0 + 1}{end}) exceeds "
                f"grid limits. Max rows: {self.row_count}, max columns: {self.column_count}"
            )
        return r0, c0, r1, c1


def random_key() -> str:
    alphabet = string.ascii_letters + string.digits + "-_"
    return "1" + "".join(random.choice(alphabet) for _ in range(43))


@dataclass
class Spreadsheet:
    key: str
    title: str
    sheets: list[Sheet] = field(default_factory=list)
    #: developer metadata entries (each a complete DeveloperMetadata dict with metadataId).
    metadata: list[dict[str, Any]] = field(default_factory=list)
    created: str = ""
    modified: str = ""
    version: int = 1  # Drive's file version: up by one on every change
    owner_only: bool = False  # True: exists, but not shared with the caller (403)

    def clone(self) -> Spreadsheet:
        twin = copy.copy(self)
        twin.sheets = [s.clone() for s in self.sheets]
        twin.metadata = copy.deepcopy(self.metadata)
        return twin

    def titles(self) -> list[str]:
        return [s.title for s in self.sheets]

    def by_title(self, title: str | None) -> Sheet:
        if title is None:
            return self.sheets[0]
        for s in self.sheets:
            if s.title == title:
                return s
        raise bad_request(f"Unable to parse range: {title}")

    def by_id(self, sheet_id: int, where: str = "") -> Sheet:
        for s in self.sheets:
            if s.sheet_id == sheet_id:
                return s
        raise bad_request(f"Invalid {where}: No grid with id: {sheet_id}".replace("Invalid : ", ""))

    def resolve(self, text: str) -> tuple[Sheet, tuple[int, int, int, int]]:
        """A1 range -> (sheet, clamped 0-based half-open bounds)."""
        try:
            span = a1.parse(text, self.titles())
        except a1.RangeError:
            raise bad_request(f"Unable to parse range: {text}") from None
        sheet = self.by_title(span.title)
        return sheet, sheet.bounds(span)

    def cell_count(self) -> int:
        return sum(s.row_count * s.column_count for s in self.sheets)


def now_rfc3339() -> str:
    t = dt.datetime.now(dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
