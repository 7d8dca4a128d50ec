"""Owned tabs (Summary, History, state): found by their marker, replaced whole, never a tab
of the user's; and their worksheet XML, built whole from their rows.

Deterministic output: the same rows give the same bytes, which is what lets a second sync see
that nothing changed and leave the file alone.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from collections.abc import Callable

from sheetfunnel.backends.base import OwnedTab
from sheetfunnel.errors import InputError, SpreadsheetError

from . import chart as charts
from .cells import cell_xml, col_letter, is_blank, normalize_values
from .package import (
    CT_CHART,
    CT_DRAWING,
    CT_WORKSHEET,
    NS_MAIN,
    NS_REL,
    REL_CALC_CHAIN,
    REL_WORKSHEET,
    Package,
    relative_target,
    rels_path,
)
from .packedit import PackageEdit

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


def _beside(wb_part: str, name: str) -> str:
    return posixpath.join(posixpath.dirname(wb_part), name)


def write_owned_tab(
    pkg: Package,
    edit: PackageEdit,
    wb_part: str,
    tab: OwnedTab,
    marked: str | None,
    *,
    epoch: dt.date,
    date_xf: Callable[[str], int],
    contacts: str,
    file: str,
) -> tuple[set[str], bool]:
    """Replace the tab marked for `tab.role` (title `marked`), or add a new one; returns the
    members it touches and whether it is new. A tab of the user's is never replaced."""
    before_new, before_removed = set(edit.new), set(edit.removed)
    sheets = pkg.sheets(wb_part)
    existing = next((s for s in sheets if marked is not None and s.name == marked), None)
    if tab.name == contacts or (existing is not None and existing.name == contacts):
        raise InputError(f"tab {tab.name!r} cannot be both contacts and owned", file=file)
    # Excel compares tab titles case-insensitively
    clash = next(
        (s for s in sheets if s.name.lower() == tab.name.lower() and s is not existing), None
    )
    if clash is not None:
        raise InputError(
            f"tab {clash.name!r} is yours (sheetfunnel did not create it), so sheetfunnel will "
            f"not replace it; choose another name for the {tab.role} tab in the config "
            f"(output.{tab.role}_tab) or rename your tab.",
            file=file,
            sheet=clash.name,
        )
    if existing is not None and (existing.part is None or existing.rel_type != REL_WORKSHEET):
        raise SpreadsheetError(
            f"tab {existing.name!r} is marked as sheetfunnel's {tab.role} tab but is not a "
            "worksheet; rename or delete it so sheetfunnel can create its own",
            file=file,
            sheet=existing.name,
        )
    if existing is not None:
        part = existing.part or ""
        old = edit.reachable(part)
        keep = edit.referenced_outside(old | {part})
        for p in sorted(old - keep):
            edit.remove(p)
        rels = pkg.find(rels_path(part))
        if rels is not None:
            edit.removed.add(rels)
        if re.search(rb"<(?:\w+:)?f\b", pkg.read(part) or b""):
            # the calc chain lists this tab's formula cells, which are about to disappear;
            # Excel repairs a stale chain but silently rebuilds a missing one
            edit.drop_workbook_part(REL_CALC_CHAIN)
        edit.rename_sheet(existing.name, tab.name)
    else:
        part = edit.free_name(_beside(wb_part, "worksheets/sheet%d.xml"))
    chart = tab.chart
    drawing_rid = "rId1" if chart else None
    xml = owned_sheet_xml(tab, epoch=epoch, date_xf=date_xf, drawing_rid=drawing_rid)
    edit.put(part, xml, CT_WORKSHEET)
    if chart is not None:
        drawing = edit.free_name(_beside(wb_part, "drawings/drawing%d.xml"))
        edit.put(drawing, charts.drawing_xml(chart), CT_DRAWING)
        chart_part = edit.free_name(_beside(wb_part, "charts/chart%d.xml"))
        edit.put(chart_part, charts.chart_xml(tab, chart), CT_CHART)
        edit.put(rels_path(part), charts.sheet_rels(relative_target(part, drawing)))
        edit.put(rels_path(drawing), charts.drawing_rels(relative_target(drawing, chart_part)))
    if existing is None:
        edit.add_sheet(tab.name, part, REL_WORKSHEET)
    if tab.hidden:
        edit.hide_sheet(tab.name)
    touched = (set(edit.new) - before_new) | (set(edit.removed) - before_removed) | {part}
    if existing is not None and existing.name != tab.name:
        touched.add(pkg.find(wb_part) or wb_part)  # renamed back: workbook.xml changes
    return touched, existing is None
