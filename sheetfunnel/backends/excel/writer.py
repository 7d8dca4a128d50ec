"""Work out the parts a sync changes: the contacts sheet, its tables, styles, owned tabs.

Pure with respect to the file: it reads the package and returns new member bytes; saving them
safely is `safesave`'s job. Every part is only listed when its bytes really differ.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from lxml import etree

from sheetfunnel.backends.base import OwnedTab, SheetData, WritePlan
from sheetfunnel.errors import InputError, SpreadsheetError

from . import chart as charts
from .cells import col_index, col_letter, normalize_values
from .package import (
    CT_CHART,
    CT_DRAWING,
    CT_WORKSHEET,
    NS_MAIN,
    REL_CALC_CHAIN,
    REL_SHARED_STRINGS,
    REL_STYLES,
    REL_TABLE,
    REL_WORKSHEET,
    Package,
    SheetEntry,
    relative_target,
    rels_path,
)
from .packedit import PackageEdit
from .rows import RowWriter, dirty_rows, rewrite_rows
from .sheet import Target, header_texts, join_sheet, scan_rows, split_sheet
from .styles import MINIMAL_STYLES, Styles
from .tables import grow_table
from .tabs import owned_sheet_xml
from .worksheet import Frame, related_part_columns

CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
_DATE_CODES = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}


@dataclass
class Outcome:
    """What a write would change."""

    parts: dict[str, bytes] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)
    details: list[str] = field(default_factory=list)
    cells: int = 0
    tabs: list[str] = field(default_factory=list)
    contacts_part: str = ""


def shared_strings(pkg: Package, workbook_part: str) -> list[str]:
    """The shared-string table (text of each <si>, phonetic runs left out)."""
    part = next(
        (r.part for r in pkg.relationships(workbook_part) if r.type == REL_SHARED_STRINGS), None
    )
    data = pkg.read(part) if part else None
    if not data:
        return []
    out: list[str] = []
    si, t, rph = f"{{{NS_MAIN}}}si", f"{{{NS_MAIN}}}t", f"{{{NS_MAIN}}}rPh"
    for _, el in etree.iterparse(io.BytesIO(data), events=("end",), tag=si, resolve_entities=False):
        out.append("".join(x.text or "" for x in el.iter(t) if x.getparent().tag != rph))
        el.clear()
    return out


def _find_sheet(pkg: Package, workbook_part: str, name: str, file: str) -> SheetEntry:
    sheets = pkg.sheets(workbook_part)
    for entry in sheets:
        if entry.name == name:
            if entry.part is None or entry.rel_type != REL_WORKSHEET:
                raise InputError(f"tab {name!r} is not a worksheet", file=file, sheet=name)
            return entry
    tabs = ", ".join(repr(s.name) for s in sheets)
    raise InputError(f"tab {name!r} not found; the tabs are: {tabs}", file=file, sheet=name)


def resolve_targets(
    plan: WritePlan, headers: dict[int, str], used: int, file: str
) -> tuple[list[Target], list[str]]:
    """Place each managed column: found by header, pinned by letter, or after `used`."""
    by_text: dict[str, int] = {}
    for col, text in sorted(headers.items()):
        by_text.setdefault(text, col)
    notes: list[str] = []
    taken: dict[int, str] = {}
    placed: dict[str, tuple[int, bool]] = {}
    for mc in plan.columns:
        if mc.header in by_text:
            col = by_text[mc.header]
            placed[mc.header] = (col, True)
            if mc.letter and col_index(mc.letter) != col:
                notes.append(f"{mc.header!r} kept in column {col_letter(col)} where it already is")
        elif mc.letter:
            col = col_index(mc.letter)
            if col in headers:
                raise SpreadsheetError(
                    f"column {mc.letter} of tab {plan.sheet!r} is pinned for {mc.header!r} but "
                    f"its header is {headers[col]!r}, a column of yours; sheetfunnel will not "
                    "overwrite it. Pin another column in the config or rename the header.",
                    file=file,
                    sheet=plan.sheet,
                )
            placed[mc.header] = (col, False)
        else:
            continue
        if col in taken:
            raise SpreadsheetError(
                f"{mc.header!r} and {taken[col]!r} would share column {col_letter(col)}",
                file=file,
                sheet=plan.sheet,
            )
        taken[col] = mc.header
    next_col = used + 1
    for mc in plan.columns:
        if mc.header not in placed:
            while next_col in taken:
                next_col += 1
            placed[mc.header] = (next_col, False)
            taken[next_col] = mc.header
    targets = [
        Target(
            mc.header,
            placed[mc.header][0],
            mc.kind,
            normalize_values(mc.values, mc.kind),
            placed[mc.header][1],
        )
        for mc in plan.columns
    ]
    return targets, notes


_BAD_TAB_CHARS = re.compile(r"[\\/?*\[\]:]")


def check_plan(plan: WritePlan, file: str) -> None:
    """Refuse plans Excel could not hold: repeated headers, impossible tab names."""
    headers = [c.header for c in plan.columns]
    repeated = sorted({h for h in headers if headers.count(h) > 1})
    if repeated:
        raise InputError(f"managed columns repeat the header(s) {repeated}", file=file)
    for tab in plan.tabs:
        name = tab.name
        if not name or len(name) > 31 or _BAD_TAB_CHARS.search(name) or name[0] == "'":
            raise InputError(
                f"{name!r} cannot be an Excel tab name: 1 to 31 characters, none of "
                "\\ / ? * [ ] : and not starting with an apostrophe",
                file=file,
                sheet=name,
            )


def compute(path: Path, plan: WritePlan, data: SheetData) -> Outcome:
    """Every member a write of `plan` changes, with a human summary."""
    file = str(path)
    check_plan(plan, file)
    out = Outcome()
    with zipfile.ZipFile(path) as zf:
        pkg = Package(zf)
        wb_part = pkg.workbook_part() or "xl/workbook.xml"
        edit = PackageEdit(pkg, wb_part)
        entry = _find_sheet(pkg, wb_part, plan.sheet, file)
        sheet_part = entry.part or ""
        out.contacts_part = sheet_part
        styles_part = next(
            (r.part for r in pkg.relationships(wb_part) if r.type == REL_STYLES), None
        )
        styles_data = pkg.read(styles_part) if styles_part else None
        styles = Styles(styles_data or MINIMAL_STYLES)
        date_xf = cache(lambda kind: styles.date_xf(_DATE_CODES[kind]))
        strings = cache(lambda: shared_strings(pkg, wb_part))
        epoch = data.serial_epoch

        original = pkg.read(sheet_part) or b""
        split = split_sheet(original)
        rows, cell_cols = scan_rows(split)
        frame = Frame.parse(split)
        headers, header_style = header_texts(split, rows, plan.header_row, strings)
        used = max(cell_cols, frame.used_columns())
        sheet_rels = pkg.relationships(sheet_part)
        for rel in sheet_rels:
            if rel.part and rel.type.rsplit("/", 1)[-1] in (
                "drawing", "vmlDrawing", "comments", "table", "threadedComment",
            ):  # fmt: skip
                used = max(used, related_part_columns(pkg.read(rel.part) or b""))
        targets, notes = resolve_targets(plan, headers, used, file)
        out.details += notes

        writer = RowWriter(
            split,
            targets,
            header_row=plan.header_row,
            header_style=header_style,
            epoch=epoch,
            date_xf=date_xf,
            date_styles=styles.date_styles(),
            strings=strings,
            sheet=plan.sheet,
        )
        dirty = dirty_rows(data.contacts, targets, plan.header_row)
        result = rewrite_rows(writer, rows, dirty)
        before = etree.tostring(frame.root)
        if result.cells_changed:
            frame.update_dimension(result.max_col, result.max_row)
        stage = next((t for t in targets if t.header == plan.stage_header), None)
        stage_col = (
            stage.col
            if stage
            else next((c for c, h in headers.items() if h == plan.stage_header), None)
        )
        if stage_col is not None:
            rules = [(sc.stage, styles.dxf(sc.fill, sc.font)) for sc in plan.stage_colours]
            frame.set_stage_rules(stage_col, plan.header_row, rules)
        frame_changed = etree.tostring(frame.root) != before
        if result.cells_changed or frame_changed:
            head, tail = frame.serialize() if frame_changed else (split.head, split.tail)
            body = result.body if result.cells_changed else split.body
            edit.put(sheet_part, join_sheet(split, head, body, tail))
            out.cells = result.cells_changed
            out.details.append(f"contacts sheet: {result.cells_changed} cells")
            if frame_changed:
                out.details.append("contacts sheet: dimension/stage colour rules updated")

        new_cols = [(t.col, t.header) for t in targets if not t.found]
        for rel in sheet_rels:
            if rel.type == REL_TABLE and rel.part:
                grown = grow_table(pkg.read(rel.part) or b"", plan.header_row, new_cols)
                if grown is not None:
                    edit.put(rel.part, grown)
                    out.details.append(f"table {rel.part} grown over the managed columns")

        tab_parts = {
            tab.name: _owned_tab(pkg, edit, wb_part, tab, epoch, date_xf, plan, file)
            for tab in plan.tabs
        }

        new_styles = styles.result()
        if new_styles is not None:
            if styles_part is None:
                styles_part = beside_workbook(wb_part, "styles.xml")
                edit.put(styles_part, new_styles, CT_STYLES)
                edit.add_workbook_rel(REL_STYLES, styles_part)
            else:
                edit.put(styles_part, new_styles)
            out.details.append("styles: " + ", ".join(styles.added) + " added")

        out.parts, out.removed = edit.changes()
    touched_all = set(out.parts) | out.removed
    for name, (touched, is_new) in tab_parts.items():
        if touched & touched_all:
            out.tabs.append(name)
            out.details.append(f"{name} tab {'added' if is_new else 'rewritten'}")
    return out


def beside_workbook(workbook_part: str, name: str) -> str:
    """A part name in the workbook part's folder (xl/ in every real file)."""
    return posixpath.join(posixpath.dirname(workbook_part), name)


def _owned_tab(
    pkg: Package,
    edit: PackageEdit,
    wb_part: str,
    tab: OwnedTab,
    epoch: dt.date,
    date_xf: Callable[[str], int],
    plan: WritePlan,
    file: str,
) -> tuple[set[str], bool]:
    """Replace (or add) one owned tab; returns the members it touches and whether it is new."""
    before_new, before_removed = set(edit.new), set(edit.removed)
    existing = next((s for s in pkg.sheets(wb_part) if s.name == tab.name), None)
    if tab.name == plan.sheet:
        raise InputError(f"tab {tab.name!r} cannot be both contacts and owned", file=file)
    if existing is not None and (existing.part is None or existing.rel_type != REL_WORKSHEET):
        raise SpreadsheetError(
            f"tab {tab.name!r} exists but is not a worksheet (a chart sheet?); rename it so "
            "sheetfunnel can create its own",
            file=file,
            sheet=tab.name,
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
    else:
        part = edit.free_name(beside_workbook(wb_part, "worksheets/sheet%d.xml"))
    chart = tab.chart
    drawing_rid = "rId1" if chart else None
    xml = owned_sheet_xml(tab, epoch=epoch, date_xf=date_xf, drawing_rid=drawing_rid)
    edit.put(part, xml, CT_WORKSHEET)
    if chart is not None:
        drawing = edit.free_name(beside_workbook(wb_part, "drawings/drawing%d.xml"))
        edit.put(drawing, charts.drawing_xml(chart), CT_DRAWING)
        chart_part = edit.free_name(beside_workbook(wb_part, "charts/chart%d.xml"))
        edit.put(chart_part, charts.chart_xml(tab, chart), CT_CHART)
        edit.put(rels_path(part), charts.sheet_rels(relative_target(part, drawing)))
        edit.put(rels_path(drawing), charts.drawing_rels(relative_target(drawing, chart_part)))
    if existing is None:
        edit.add_sheet(tab.name, part, REL_WORKSHEET)
    touched = (set(edit.new) - before_new) | (set(edit.removed) - before_removed) | {part}
    return touched, existing is None
