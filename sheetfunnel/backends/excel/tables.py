"""Excel tables (ListObjects) on the contacts tab: the contacts block, and growing a table
over the managed columns.

A table's header cells must equal its tableColumn names, and its ref/autoFilter must cover the
columns, or Excel repairs the file. Managed columns placed right after the key's table join it.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from .cells import col_letter, range_bounds
from .package import NS_MAIN, REL_TABLE, Package, parse_xml, xml_bytes

_M = f"{{{NS_MAIN}}}"


@dataclass(frozen=True)
class Table:
    """Where one table sits: its part, columns c1..c2, header row, and data rows first..last
    (the totals row, when shown, is after `last_data`)."""

    part: str
    c1: int
    c2: int
    header_row: int
    last_data: int


def sheet_tables(pkg: Package, sheet_part: str) -> list[Table]:
    """The tables of a worksheet that have a header row."""
    out = []
    for rel in pkg.relationships(sheet_part):
        if rel.type != REL_TABLE or not rel.part:
            continue
        data = pkg.read(rel.part)
        if not data:
            continue
        root = parse_xml(data)
        bounds = range_bounds(root.get("ref", ""))
        if bounds is None or root.get("headerRowCount", "1") == "0":
            continue
        c1, r1, c2, r2 = bounds
        # totalsRowCount counts the totals rows inside ref; totalsRowShown alone only says
        # a totals row was shown once (it is not in ref then)
        totals = int(root.get("totalsRowCount", "0") or 0)
        out.append(Table(rel.part, c1, c2, r1, r2 - totals))
    return out


def key_table(
    tables: list[Table], headers: dict[int, str], header_row: int, key_header: str
) -> Table | None:
    """The table holding the key column, when the key header appears exactly once in the
    header row and inside a table whose header row is `header_row`."""
    cols = [c for c, text in headers.items() if key_header and text == key_header]
    if len(cols) != 1:
        return None
    return next((t for t in tables if t.header_row == header_row and t.c1 <= cols[0] <= t.c2), None)


def rename_columns(data: bytes, renames: dict[int, str]) -> bytes | None:
    """New bytes of a table part whose tableColumn names follow rewritten header cells."""
    root = parse_xml(data)
    bounds = range_bounds(root.get("ref", ""))
    table_columns = root.find(_M + "tableColumns")
    if bounds is None or table_columns is None:
        return None
    columns = [c for c in table_columns if isinstance(c.tag, str)]
    changed = False
    for col, name in renames.items():
        i = col - bounds[0]
        if 0 <= i < len(columns) and columns[i].get("name") != name:
            columns[i].set("name", name)
            changed = True
    return xml_bytes(root) if changed else None


def grow_table(data: bytes, header_row: int, new_columns: list[tuple[int, str]]) -> bytes | None:
    """New bytes of a table part that now spans `new_columns` (col, header), or None.

    Only a table whose header row is the contacts header row and whose last column is right
    before the first new column grows; any other table is left alone (the columns go outside).
    The caller passes only the key's table.
    """
    if not new_columns:
        return None
    root = parse_xml(data)
    bounds = range_bounds(root.get("ref", ""))
    if bounds is None or root.get("headerRowCount", "1") == "0":
        return None
    c1, r1, c2, r2 = bounds
    cols = sorted(new_columns)
    if r1 != header_row or cols[0][0] != c2 + 1:
        return None
    grown: list[tuple[int, str]] = []
    for col, header in cols:
        if col != c2 + 1 + len(grown):
            break
        grown.append((col, header))
    new_c2 = grown[-1][0]
    ref = f"{col_letter(c1)}{r1}:{col_letter(new_c2)}{r2}"
    root.set("ref", ref)
    auto = root.find(_M + "autoFilter")
    if auto is not None:
        fb = range_bounds(auto.get("ref", ""))
        end_row = fb[3] if fb else r2
        auto.set("ref", f"{col_letter(c1)}{r1}:{col_letter(new_c2)}{end_row}")
    table_columns = root.find(_M + "tableColumns")
    if table_columns is None:
        return None
    existing = [c for c in table_columns if isinstance(c.tag, str)]
    names = {c.get("name", "").lower() for c in existing}
    next_id = max((int(c.get("id", "0")) for c in existing), default=0) + 1
    for _, header in grown:
        if header.lower() in names:
            return None  # Excel forbids duplicate column names in a table; write outside it
        etree.SubElement(table_columns, _M + "tableColumn", id=str(next_id), name=header)
        next_id += 1
    table_columns.set("count", str(len(existing) + len(grown)))
    return xml_bytes(root)
