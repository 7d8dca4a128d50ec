"""A small builder for the owned tabs: rows of cells plus how they look (bold headings,
number formats, notes), gathered as backend-neutral `CellStyle` ranges."""

from __future__ import annotations

import colorsys
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .backends.base import CellStyle, CellValue, Chart, OwnedTab

COUNT = "#,##0"
PERCENT = "0.0%"
DAYS = "0.0"
WHOLE = "0"
DATE = "yyyy-mm-dd"
HEADING_FILL = "#F2F2F2"
NOTE_FONT = "#595959"


def cell(value: object) -> CellValue:
    """A figure as a cell: None for missing, ints for whole numbers, dates as dates."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):
        value = value.item()  # numpy scalar
    if isinstance(value, float):
        return int(value) if value.is_integer() else round(value, 6)
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value  # type: ignore[return-value]


def column_cells(values: Any) -> list[CellValue]:
    """`cell` of every value of a column, numbers converted as whole arrays."""
    array = np.asarray(values)
    if array.dtype.kind in "iu":
        return array.tolist()
    if array.dtype.kind == "f":
        whole = (np.isfinite(array) & (array == np.round(array))).tolist()
        return [
            None if v != v else int(v) if w else round(v, 6)
            for v, w in zip(array.tolist(), whole, strict=True)
        ]
    return [cell(v) for v in (values.tolist() if hasattr(values, "tolist") else values)]


@dataclass
class Layout:
    """Rows appended top to bottom, each cell with an optional number format."""

    rows: list[tuple[CellValue, ...]] = field(default_factory=list)
    formats: dict[tuple[int, int], str] = field(default_factory=dict)
    styles: list[CellStyle] = field(default_factory=list)
    #: Number formats already merged into column runs (by `block`).
    runs: list[CellStyle] = field(default_factory=list)

    @property
    def next_row(self) -> int:
        """0-based index the next row gets."""
        return len(self.rows)

    def row(self, *cells: Any, formats: tuple[str | None, ...] = ()) -> int:
        """A row of values; `formats[i]` is the number format of cell i (None: General)."""
        r = len(self.rows)
        self.rows.append(tuple(cell(c) for c in cells))
        for c, code in enumerate(formats):
            if code and c < len(cells) and cells[c] is not None:
                self.formats[(r, c)] = code
        return r

    def block(self, columns: Sequence[Sequence[Any]], formats: tuple[str | None, ...] = ()) -> None:
        """Rows given as equally long columns, `formats[i]` the number format of column i: a
        long table (Companies: thousands of rows) without a call per cell."""
        first = len(self.rows)
        cells = [column_cells(c) for c in columns]
        self.rows.extend(zip(*cells, strict=True))
        for c, code in enumerate(formats):
            if not code or c >= len(cells):
                continue
            start = None
            raw = columns[c] if isinstance(columns[c], list) else [0] * len(cells[c])
            for r, value in enumerate([*raw, None]):  # as `row`: the value given, not None
                if value is not None and start is None:
                    start = r
                elif value is None and start is not None:
                    self.runs.append(
                        CellStyle(first + start, first + r - 1, c, c, number_format=code)
                    )
                    start = None

    def blank(self) -> None:
        """An empty row between sections."""
        self.rows.append(())

    def title(self, text: str) -> int:
        """The tab's title: bold and larger."""
        r = self.row(text)
        self.styles.append(CellStyle(r, r, 0, 0, bold=True, size=14))
        return r

    def heading(self, *cells: Any, text_columns: tuple[int, ...] = (0,)) -> int:
        """A section's header row: bold on a light grey band; headers over figures (every
        column but `text_columns`) right-aligned like the figures."""
        r = self.row(*cells)
        self.styles.append(CellStyle(r, r, 0, max(len(cells) - 1, 0), bold=True, fill=HEADING_FILL))
        for c in range(len(cells)):
            if c not in text_columns:
                self.styles.append(CellStyle(r, r, c, c, align="right"))
        return r

    def note(self, text: str, column: int = 0) -> int:
        """A remark in grey italics (e.g. "first sync: no history yet")."""
        r = self.row(*([None] * column), text)
        self.styles.append(CellStyle(r, r, column, column, italic=True, font=NOTE_FONT))
        return r

    def bold(self, row: int, last_column: int) -> None:
        """Make a row bold (a total)."""
        self.styles.append(CellStyle(row, row, 0, last_column, bold=True))

    def format_styles(self) -> list[CellStyle]:
        """The per-cell number formats merged into column runs of consecutive rows."""
        out: list[CellStyle] = []
        by_col: dict[int, list[tuple[int, str]]] = {}
        for (r, c), code in sorted(self.formats.items(), key=lambda x: (x[0][1], x[0][0])):
            by_col.setdefault(c, []).append((r, code))
        for c, cells in sorted(by_col.items()):
            start, prev, code = cells[0][0], cells[0][0], cells[0][1]
            for r, this in cells[1:]:
                if r == prev + 1 and this == code:
                    prev = r
                    continue
                out.append(CellStyle(start, prev, c, c, number_format=code))
                start, prev, code = r, r, this
            out.append(CellStyle(start, prev, c, c, number_format=code))
        return [*self.runs, *out]

    def tab(
        self,
        role: str,
        name: str,
        *,
        widths: tuple[float, ...] = (),
        frozen_rows: int = 0,
        frozen_columns: int = 0,
        stage_columns: tuple[int, ...] = (),
        charts: tuple[Chart, ...] = (),
        date_columns: tuple[int, ...] = (),
        fit_to_page: bool = False,
    ) -> OwnedTab:
        """The finished tab; formats first so bold/fill/notes layer over them."""
        return OwnedTab(
            role=role,
            name=name,
            rows=tuple(self.rows),
            date_columns=date_columns,
            styles=(*self.format_styles(), *self.styles),
            widths=widths,
            frozen_rows=frozen_rows,
            frozen_columns=frozen_columns,
            stage_columns=stage_columns,
            charts=charts,
            fit_to_page=fit_to_page,
        )


def line_colour(colour: str, step: int) -> str:
    """A stage's pastel fill as a line colour that reads on white: its hue, saturated, darker
    at each step up the ladder (so neighbouring stages of similar hue stay apart)."""
    h = colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) / 255 for i in (0, 2, 4))
    hue, sat, _ = colorsys.rgb_to_hsv(r, g, b)
    value = max(0.35, 0.85 - 0.12 * step)
    out = colorsys.hsv_to_rgb(hue, max(sat, 0.75) if sat > 0.02 else 0.0, value)
    return "#" + "".join(f"{round(v * 255):02X}" for v in out)
