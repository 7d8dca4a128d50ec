"""Owned tabs (Summary, History, Companies, daily counts, state): found by their marker,
replaced whole, never a tab of the user's; their worksheet XML is `ownedxml`'s.

Deterministic output: the same rows give the same bytes, which is what lets a second sync see
that nothing changed and leave the file alone.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from collections.abc import Mapping

from sheetfunnel.backends.base import OwnedTab, StageColour
from sheetfunnel.errors import InputError, SpreadsheetError

from . import chart as charts_xml
from .ownedxml import owned_sheet_xml
from .package import (
    CT_CHART,
    CT_DRAWING,
    CT_WORKSHEET,
    REL_CALC_CHAIN,
    REL_WORKSHEET,
    Package,
    relative_target,
    rels_path,
)
from .packedit import PackageEdit
from .styles import Styles


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
    styles: Styles,
    colours: tuple[StageColour, ...] = (),
    others: Mapping[str, OwnedTab] | None = None,
    contacts: str,
    file: str,
) -> tuple[set[str], bool]:
    """Replace the tab marked for `tab.role` (title `marked`), or add a new one; returns the
    members it touches and whether it is new. A tab of the user's is never replaced.
    `others`: the plan's tabs by role, for charts drawn from another tab's rows."""
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
        # the calc chain lists this tab's formula cells, which are about to disappear;
        # Excel repairs a stale chain but silently rebuilds a missing one (looked for only
        # when there is a chain: the search takes 4 ms per MB of a tab)
        if edit.has_workbook_part(REL_CALC_CHAIN) and re.search(
            rb"<(?:\w+:)?f\b", pkg.read(part) or b""
        ):
            edit.drop_workbook_part(REL_CALC_CHAIN)
        edit.rename_sheet(existing.name, tab.name)
    else:
        part = edit.free_name(_beside(wb_part, "worksheets/sheet%d.xml"))
    charts = tab.charts
    drawing_rid = "rId1" if charts else None
    xml = owned_sheet_xml(tab, epoch=epoch, styles=styles, colours=colours, drawing_rid=drawing_rid)
    edit.put(part, xml, CT_WORKSHEET)
    if charts:
        drawing = edit.free_name(_beside(wb_part, "drawings/drawing%d.xml"))
        edit.put(drawing, charts_xml.drawing_xml(charts), CT_DRAWING)
        targets = []
        for chart in charts:
            data = (others or {}).get(chart.data_role, tab) if chart.data_role else tab
            chart_part = edit.free_name(_beside(wb_part, "charts/chart%d.xml"))
            edit.put(chart_part, charts_xml.chart_xml(chart, data, epoch), CT_CHART)
            targets.append(relative_target(drawing, chart_part))
        edit.put(rels_path(part), charts_xml.sheet_rels(relative_target(part, drawing)))
        edit.put(rels_path(drawing), charts_xml.drawing_rels(targets))
    if existing is None:
        edit.add_sheet(tab.name, part, REL_WORKSHEET)
    if tab.hidden:
        edit.hide_sheet(tab.name)
    touched = (set(edit.new) - before_new) | (set(edit.removed) - before_removed) | {part}
    if existing is not None and existing.name != tab.name:
        touched.add(pkg.find(wb_part) or wb_part)  # renamed back: workbook.xml changes
    return touched, existing is None
