"""Excel tables (ListObjects) on the contacts tab: grow them over the managed columns.

A table's header cells must equal its tableColumn names, and its ref/autoFilter must cover the
columns, or Excel repairs the file. Managed columns placed right after a table join it.
"""

from __future__ import annotations

from lxml import etree

from .cells import col_letter, range_bounds
from .package import NS_MAIN, parse_xml, xml_bytes

_M = f"{{{NS_MAIN}}}"


def grow_table(data: bytes, header_row: int, new_columns: list[tuple[int, str]]) -> bytes | None:
    """New bytes of a table part that now spans `new_columns` (col, header), or None.

    Only a table whose header row is the contacts header row and whose last column is right
    before the first new column grows; any other table is left alone (the columns go outside).
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
