"""Work out the parts a sync changes: the contacts sheet, its tables, styles, owned tabs.

Pure with respect to the file: it reads the package and returns new member bytes; saving them
safely is `safesave`'s job. Every part is only listed when its bytes really differ.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path

from lxml import etree

from sheetfunnel.backends.base import MARKED_FIELDS, TAB_ROLES, SheetData, WritePlan
from sheetfunnel.errors import InputError
from sheetfunnel.memory import give_back

from .colfmt import set_list_validation, set_widths
from .markers import MarkerEdit, read_markers
from .package import (
    NS_MAIN,
    REL_SHARED_STRINGS,
    REL_STYLES,
    REL_WORKSHEET,
    Package,
    SheetEntry,
)
from .packedit import PackageEdit
from .placement import place_columns
from .rows import RowWriter, dirty_rows, rewrite_rows
from .sheet import (
    PassResult,
    Target,
    first_filled_cell,
    header_texts,
    join_sheet,
    scan_rows,
    split_sheet,
)
from .styles import MINIMAL_STYLES, Styles
from .tables import Table, grow_table, key_table, rename_columns, sheet_tables
from .tabs import write_owned_tab
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


_BAD_TAB_CHARS = re.compile(r"[\\/?*\[\]:]")


def check_plan(plan: WritePlan, file: str) -> None:
    """Refuse plans Excel could not hold: repeated headers, fields, roles or tab names,
    impossible tab names."""
    headers = [c.header for c in plan.columns]
    repeated = sorted({h for h in headers if headers.count(h) > 1})
    if repeated:
        raise InputError(f"managed columns repeat the header(s) {repeated}", file=file)
    for what, ids, allowed in (
        ("managed column field", [c.field for c in plan.columns], MARKED_FIELDS),
        ("owned tab role", [t.role for t in plan.tabs], TAB_ROLES),
        ("owned tab name", [t.name.lower() for t in plan.tabs], None),
    ):
        bad = sorted({i for i in ids if ids.count(i) > 1 or (allowed and i not in allowed)})
        if bad:
            raise InputError(f"the plan repeats or misnames {what}(s) {bad}", file=file)
    for tab in plan.tabs:
        name = tab.name
        if not name or len(name) > 31 or _BAD_TAB_CHARS.search(name) or name[0] == "'":
            raise InputError(
                f"{name!r} cannot be an Excel tab name: 1 to 31 characters, none of "
                "\\ / ? * [ ] : and not starting with an apostrophe",
                file=file,
                sheet=name,
            )


def compute(
    path: Path,
    plan: WritePlan,
    data: SheetData,
    *,
    on_sheet: Callable[[str, dict[str, bytes]], None] | None = None,
) -> Outcome:
    """Every member a write of `plan` changes, with a human summary.

    `on_sheet` hears the contacts sheet's part name and new bytes (with styles.xml as it
    stands, when it grew) as soon as they are built, so they can be checked meanwhile.
    """
    file = str(path)
    check_plan(plan, file)
    out = Outcome()
    with zipfile.ZipFile(path) as zf:
        pkg = Package(zf)
        wb_part = pkg.workbook_part() or "xl/workbook.xml"
        edit = PackageEdit(pkg, wb_part)
        markers = read_markers(edit.wb)
        marks = MarkerEdit(edit.wb)
        marks.drop(markers.stale)
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

        split = split_sheet(pkg.read(sheet_part, keep=False) or b"")
        frame = Frame.parse(split)
        above, _ = scan_rows(split, until=plan.header_row)
        headers, header_style = header_texts(split, above, plan.header_row, strings)
        # every row is scanned only when some must be rewritten or a column added after the
        # last used one: a sync that changes no cell does not walk 100k rows
        scanned = cache(lambda: scan_rows(split))

        def used() -> int:
            last = max(scanned()[1], frame.used_columns())
            for rel in pkg.relationships(sheet_part):
                if rel.part and rel.type.rsplit("/", 1)[-1] in (
                    "drawing", "vmlDrawing", "comments", "table", "threadedComment",
                ):  # fmt: skip
                    last = max(last, related_part_columns(pkg.read(rel.part) or b""))
            return last

        marked = markers.columns_on(plan.sheet)
        filled = partial(first_filled_cell, split)
        targets, notes = place_columns(plan, data, headers, used, marked, filled, file)
        out.details += notes
        tables = sheet_tables(pkg, sheet_part)
        table = key_table(tables, headers, plan.header_row, plan.key_header)

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
            last_row=table.last_data if table is not None else None,
        )
        dirty = dirty_rows(data.contacts, targets, plan.header_row)
        if dirty == set() and not any(t.write_header for t in targets):
            result = PassResult([], 0, 0, 0)  # every managed cell already holds its value
        else:
            result = rewrite_rows(writer, scanned()[0], dirty)
        before = etree.tostring(frame.root)
        if result.cells_changed:
            frame.update_dimension(result.max_col, result.max_row)
        stage = next((t for t in targets if t.header == plan.stage_header), None)
        stage = stage or next((t for t in targets if t.field == "stage"), None)
        stage_col = stage.col if stage else marked.get("stage")
        if stage_col is not None:
            rules = [(sc.stage, styles.dxf(sc.fill, sc.font)) for sc in plan.stage_colours]
            frame.set_stage_rules(stage_col, plan.header_row, rules)
        set_widths(
            frame.root,
            {t.col: mc.width for t, mc in zip(targets, plan.columns, strict=True) if mc.width},
        )
        for t, mc in zip(targets, plan.columns, strict=True):
            if mc.validation:
                set_list_validation(frame.root, t.col, plan.header_row, mc.validation)
        frame_changed = etree.tostring(frame.root) != before
        if result.cells_changed or frame_changed:
            head, tail = frame.serialize() if frame_changed else (split.head, split.tail)
            body = result.chunks if result.cells_changed else [split.body]
            sheet_bytes = join_sheet(split, head, body, tail)
            # the rows as chunks are in the joined part now: 700k small bytes objects on 100k
            # contacts, given back before the read-back and the owned tabs (peak RSS)
            del body
            result.chunks.clear()
            give_back()
            edit.put(sheet_part, sheet_bytes)
            if on_sheet is not None:
                now = {sheet_part: sheet_bytes}
                grown = styles.result()  # later additions only append: these cells' are in
                if grown is not None and styles_part is not None:
                    now[styles_part] = grown
                on_sheet(sheet_part, now)
            out.cells = result.cells_changed
            out.details.append(f"contacts sheet: {result.cells_changed} cells")
            if frame_changed:
                out.details.append("contacts sheet: column widths, colours or drop-down updated")

        _edit_tables(pkg, edit, tables, table, targets, plan.header_row, out)
        for t in targets:
            marks.mark_column(t.field, plan.sheet, t.col)

        tab_parts = {}
        for tab in plan.tabs:
            tab_parts[tab.name] = write_owned_tab(
                pkg,
                edit,
                wb_part,
                tab,
                markers.tabs.get(tab.role),
                epoch=epoch,
                styles=styles,
                colours=plan.stage_colours,
                others={t.role: t for t in plan.tabs},
                contacts=plan.sheet,
                file=file,
            )
            marks.mark_tab(tab.role, tab.name)
        if marks.changed:
            edit.touch_workbook()
            out.details.append("workbook: ownership markers updated")

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


def _edit_tables(
    pkg: Package,
    edit: PackageEdit,
    tables: list[Table],
    key: Table | None,
    targets: list[Target],
    header_row: int,
    out: Outcome,
) -> None:
    """Grow the key's table over new managed columns right after it; keep tableColumn names
    equal to the header cells of our columns whose header was rewritten."""
    new_cols = [(t.col, t.header) for t in targets if not t.ours]
    for table in tables:
        data = edit.new.get(table.part) or pkg.read(table.part) or b""
        renames = {
            t.col: t.header
            for t in targets
            if t.ours and t.write_header and table.c1 <= t.col <= table.c2
        }
        changed = rename_columns(data, renames) if table.header_row == header_row else None
        if changed is not None:
            edit.put(table.part, changed)
            data = changed
            out.details.append(f"table {table.part}: column names follow their headers")
        if table == key:
            grown = grow_table(data, header_row, new_cols)
            if grown is not None:
                edit.put(table.part, grown)
                out.details.append(f"table {table.part} grown over the managed columns")
            elif new_cols:
                out.details.append(
                    f"new managed columns placed outside table {table.part} (something of "
                    "yours follows it), on the rows of its contacts"
                )


def beside_workbook(workbook_part: str, name: str) -> str:
    """A part name in the workbook part's folder (xl/ in every real file)."""
    return posixpath.join(posixpath.dirname(workbook_part), name)
