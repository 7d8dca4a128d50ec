"""The worksheet XML of an owned tab, built whole from its rows and presentation: cell
formats (through the workbook's styles, appended once), column widths, a frozen pane, stage
colours as conditional formats, and one-page printing.

Deterministic: the same tab gives the same bytes, so a second sync leaves the file alone.
The cells come a column run at a time from `ownedcells`, fast enough to rebuild the 100k-row
state and History tabs on every sync.
"""

from __future__ import annotations

import datetime as dt

from sheetfunnel.backends.base import OwnedTab, StageColour

from .cells import MAX_ROW, col_letter, xml_text
from .ownedcells import Look, Run, Xfs, column_runs, encode_run
from .package import NS_MAIN, NS_REL
from .styles import Styles

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">'
)
_PLAIN: Look = {}
_DATE_CODES = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}


def _cell_formats(runs: list[Run], styles: Styles) -> dict[tuple[int, str | None], int | None]:
    """(id of a look, date kind) -> its cellXfs index, asked of `styles` in the order of the
    first cells needing them row by row, so the formats a first sync appends keep their order."""
    first: dict[tuple[int, str | None], tuple[int, int, Look, str | None]] = {}
    for run in runs:
        look = run.look or _PLAIN
        for date, offset in run.needs.items():
            key, where = (id(look), date), (run.start + offset, run.column, look, date)
            if key not in first or where[:2] < first[key][:2]:
                first[key] = where
    out: dict[tuple[int, str | None], int | None] = {}
    for key, (_row, _col, look, date) in sorted(first.items(), key=lambda kv: kv[1][:2]):
        wanted = look
        if date and not look.get("number_format"):
            wanted = {**look, "number_format": _DATE_CODES[date]}
        out[key] = styles.cell_xf(**wanted) or None  # type: ignore[arg-type]
    return out


def _pane(rows: int, cols: int) -> str:
    if not rows and not cols:
        return ""
    top_left = f"{col_letter(cols + 1)}{rows + 1}"
    pane = "bottomRight" if rows and cols else "bottomLeft" if rows else "topRight"
    split = (f' xSplit="{cols}"' if cols else "") + (f' ySplit="{rows}"' if rows else "")
    return (
        f'<pane{split} topLeftCell="{top_left}" activePane="{pane}" state="frozen"/>'
        f'<selection pane="{pane}" activeCell="{top_left}" sqref="{top_left}"/>'
    )


def _stage_rules(tab: OwnedTab, colours: tuple[StageColour, ...], styles: Styles) -> str:
    """Stage colours on the tab's stage columns, as on the contacts sheet's Stage column."""
    out, priority = [], 1
    for col in tab.stage_columns:
        letter = col_letter(col + 1)
        rules = []
        for sc in colours:
            dxf = styles.dxf(sc.fill, sc.font)
            stage = xml_text('"' + sc.stage.replace('"', '""') + '"')
            rules.append(
                f'<cfRule type="cellIs" dxfId="{dxf}" priority="{priority}" operator="equal">'
                f"<formula>{stage}</formula></cfRule>"
            )
            priority += 1
        if rules:
            first = 2 if tab.role != "summary" else 1
            sqref = f"{letter}{first}:{letter}{MAX_ROW}"
            out.append(
                f'<conditionalFormatting sqref="{sqref}">{"".join(rules)}</conditionalFormatting>'
            )
    return "".join(out)


def owned_sheet_xml(
    tab: OwnedTab,
    *,
    epoch: dt.date,
    styles: Styles,
    colours: tuple[StageColour, ...] = (),
    drawing_rid: str | None,
) -> bytes:
    """A complete worksheet part holding `tab.rows` as literal values from A1."""
    runs = column_runs(tab)
    formats = _cell_formats(runs, styles)
    numbers = list(map(str, range(1, len(tab.rows) + 1)))
    columns: list[list[str]] = []
    auto: dict[int, int] = {}
    for run in runs:
        look = run.look or _PLAIN
        xfs: Xfs = {date: formats.get((id(look), date)) for date in (None, "date", "datetime")}
        cells, shown = encode_run(run, numbers, xfs, epoch)
        if run.column == len(columns):
            columns.append(cells)
        else:
            columns[run.column] += cells
        if shown is not None:
            auto[run.column + 1] = max(auto.get(run.column + 1, 8), min(shown + 2, 60))
    rows_xml = [
        f'<row r="{n}">{body}</row>'
        for n, body in zip(numbers, map("".join, zip(*columns, strict=True)), strict=False)
        if body
    ]
    return worksheet_xml(tab, rows_xml, auto, styles, colours, drawing_rid)


def worksheet_xml(
    tab: OwnedTab,
    rows_xml: list[str],
    auto: dict[int, int],
    styles: Styles,
    colours: tuple[StageColour, ...],
    drawing_rid: str | None,
) -> bytes:
    """The worksheet part around `rows_xml` (the <row> elements): its dimension, frozen pane,
    column widths (`auto`, 1-based column -> width fitted to the cells, where the tab sets
    none), stage colours and page setup."""
    last_col = max(auto, default=0)
    widths = dict(auto)
    for c, w in enumerate(tab.widths, start=1):
        if w:
            widths[c] = w  # type: ignore[assignment]
    dim = f"A1:{col_letter(last_col)}{len(tab.rows)}" if last_col else "A1"
    cols = "".join(
        f'<col min="{c}" max="{c}" width="{w:g}" customWidth="1"/>'
        for c, w in sorted(widths.items())
    )
    fit = tab.fit_to_page
    parts = [
        _HEAD,
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if fit else "",
        f'<dimension ref="{dim}"/>',
        '<sheetViews><sheetView workbookViewId="0">'
        + _pane(tab.frozen_rows, tab.frozen_columns)
        + "</sheetView></sheetViews>",
        '<sheetFormatPr defaultRowHeight="15"/>',
        f"<cols>{cols}</cols>" if cols else "",
        "<sheetData>" + "".join(rows_xml) + "</sheetData>" if rows_xml else "<sheetData/>",
        _stage_rules(tab, colours, styles),
        '<pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>',
        '<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="1"/>' if fit else "",
        f'<drawing r:id="{drawing_rid}"/>' if drawing_rid else "",
        "</worksheet>",
    ]
    return "".join(parts).encode("utf-8")
