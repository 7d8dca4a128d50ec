"""The worksheet XML of an owned tab, built whole from its rows and presentation: cell
formats (through the workbook's styles, appended once), column widths, a frozen pane, stage
colours as conditional formats, and one-page printing.

Deterministic: the same tab gives the same bytes, so a second sync leaves the file alone.
"""

from __future__ import annotations

import datetime as dt

from sheetfunnel.backends.base import OwnedTab, StageColour

from .cells import MAX_ROW, cell_xml, col_letter, is_blank, normalize_values, xml_text
from .package import NS_MAIN, NS_REL
from .styles import Styles

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">'
)
_LOOK = ("bold", "italic", "number_format", "fill", "font", "size", "align")
_PLAIN: dict[str, object] = {}
_DATE_CODES = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}


def _looks(tab: OwnedTab) -> dict[tuple[int, int], dict[str, object]]:
    """(row, col) -> the merged look of every style covering that cell, later ones winning."""
    out: dict[tuple[int, int], dict[str, object]] = {}
    width = max((len(r) for r in tab.rows), default=0)
    for style in tab.styles:
        set_attrs = {a: getattr(style, a) for a in _LOOK if getattr(style, a)}
        if not set_attrs:
            continue
        last_row = min(style.last_row, len(tab.rows) - 1)
        last_col = min(style.last_column, max(width - 1, style.first_column))
        for r in range(style.first_row, last_row + 1):
            for c in range(style.first_column, last_col + 1):
                out.setdefault((r, c), {}).update(set_attrs)
    # one shared dict per distinct look, so formats are looked up once per look, not per cell
    shared: dict[tuple, dict[str, object]] = {}
    return {
        cell: shared.setdefault(tuple(look.get(a) for a in _LOOK), look)
        for cell, look in out.items()
    }


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
    looks = _looks(tab)
    xf_cache: dict[tuple[int, str | None], int | None] = {}

    def xf(look: dict[str, object], date: str | None) -> int | None:
        key = (id(look), date)  # looks are shared per style overlap, dates are two kinds
        if key not in xf_cache:
            wanted = look
            if date and not look.get("number_format"):
                wanted = {**look, "number_format": _DATE_CODES[date]}
            xf_cache[key] = styles.cell_xf(**wanted) or None  # type: ignore[arg-type]
        return xf_cache[key]

    rows_xml: list[str] = []
    auto: dict[int, int] = {}
    last_col = 0
    for r, raw in enumerate(tab.rows, start=1):
        cells = []
        row = [
            normalize_values((v,), "date" if c in tab.date_columns else "")[0]
            for c, v in enumerate(raw)
        ]
        for c, value in enumerate(row, start=1):
            look = looks.get((r - 1, c - 1), _PLAIN)
            if is_blank(value) and not look.get("fill"):
                continue
            date = None
            if isinstance(value, dt.date):
                date = "datetime" if isinstance(value, dt.datetime) else "date"
            style = xf(look, date) if (look or date) else None
            ref = f"{col_letter(c)}{r}"
            if is_blank(value):
                cells.append(f'<c r="{ref}" s="{style}"/>' if style else "")
            else:
                cells.append(
                    cell_xml(
                        ref, value, style=style, epoch=epoch, date_style=style if date else None
                    )
                )
            shown = 16 if date == "datetime" else 10 if date else len(str(value or ""))
            auto[c] = max(auto.get(c, 8), min(shown + 2, 60))
            last_col = max(last_col, c)
        if any(cells):
            rows_xml.append(f'<row r="{r}">' + "".join(cells) + "</row>")
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
