"""The worksheet XML of an owned tab (Summary, History), built whole from its rows.

Deterministic output: the same rows give the same bytes, which is what lets a second sync see
that nothing changed and leave the file alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sheetfunnel.backends.base import OwnedTab

from .cells import cell_xml, col_letter, is_blank, normalize_values
from .package import NS_MAIN, NS_REL

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">'
)


def owned_sheet_xml(
    tab: OwnedTab,
    *,
    epoch: dt.date,
    date_xf: Callable[[str], int],
    drawing_rid: str | None,
) -> bytes:
    """A complete worksheet part holding `tab.rows` as literal values from A1."""
    rows_xml: list[str] = []
    widths: dict[int, int] = {}
    last_col = 0
    for r, raw in enumerate(tab.rows, start=1):
        cells = []
        row = [
            normalize_values((v,), "date" if c in tab.date_columns else "")[0]
            for c, v in enumerate(raw)
        ]
        for c, value in enumerate(row, start=1):
            if is_blank(value):
                continue
            date_style = None
            if isinstance(value, dt.date):
                date_style = date_xf("datetime" if isinstance(value, dt.datetime) else "date")
            ref = f"{col_letter(c)}{r}"
            cells.append(cell_xml(ref, value, style=None, epoch=epoch, date_style=date_style))
            shown = 16 if isinstance(value, dt.datetime) else 10 if date_style else len(str(value))
            widths[c] = max(widths.get(c, 8), min(shown + 2, 60))
            last_col = max(last_col, c)
        if cells:
            rows_xml.append(f'<row r="{r}">' + "".join(cells) + "</row>")
    dim = f"A1:{col_letter(last_col)}{len(tab.rows)}" if last_col else "A1"
    cols = "".join(
        f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>' for c, w in sorted(widths.items())
    )
    parts = [
        _HEAD,
        f'<dimension ref="{dim}"/>',
        '<sheetViews><sheetView workbookViewId="0"/></sheetViews>',
        '<sheetFormatPr defaultRowHeight="15"/>',
        f"<cols>{cols}</cols>" if cols else "",
        "<sheetData>" + "".join(rows_xml) + "</sheetData>" if rows_xml else "<sheetData/>",
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>',
        f'<drawing r:id="{drawing_rid}"/>' if drawing_rid else "",
        "</worksheet>",
    ]
    return "".join(parts).encode("utf-8")
