"""Ownership markers: hidden workbook-level defined names in xl/workbook.xml.

`_sheetfunnel_col_<field>` refers to a whole managed column (`'Contacts'!$P:$P`) and
`_sheetfunnel_tab_<role>` to cell A1 of an owned tab (`'Summary'!$A$1`). Excel and LibreOffice
move such references when the user inserts, deletes or moves columns or renames a tab, so the
marker follows the column or tab; deleting it leaves `#REF!` (no marker; dropped at the next
write). Measured with LibreOffice 7 (tests/backends/test_excel_markers.py): names and moves are
kept, the `hidden` flag is not (saved as hidden="false"); a write hides them again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from sheetfunnel.backends.base import MARKED_FIELDS, TAB_ROLES

from .cells import MAX_ROW, col_index, col_letter
from .package import NS_MAIN

_M = f"{{{NS_MAIN}}}"
COL_PREFIX = "_sheetfunnel_col_"
TAB_PREFIX = "_sheetfunnel_tab_"
#: Children of <workbook> that come after <definedNames> in the schema.
_AFTER = (
    "calcPr", "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes",
    "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst",
)  # fmt: skip
_REF = re.compile(
    r"^=?(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Za-z]{1,3})\$?(\d*)(?::\$?([A-Za-z]{1,3})\$?(\d*))?$"
)


@dataclass(frozen=True)
class Markers:
    """What the markers of one workbook say: field -> (sheet, column); role -> sheet title.

    `stale`: names of our markers whose target the user deleted (#REF!) or that are malformed.
    """

    columns: dict[str, tuple[str, int]]
    tabs: dict[str, str]
    stale: tuple[str, ...] = ()

    def columns_on(self, sheet: str) -> dict[str, int]:
        """field -> column of the markers that point into `sheet`."""
        return {f: c for f, (s, c) in self.columns.items() if s == sheet}


def quote_sheet(title: str) -> str:
    """A sheet title as a formula prefix, always quoted ('O''Brien')."""
    return "'" + title.replace("'", "''") + "'"


def parse_ref(text: str) -> tuple[str, int, int | None, int, int | None] | None:
    """(sheet, first col, first row, last col, last row) of `Sheet!$A$1` / `'S'!$P:$P`; rows
    are None for whole columns. None for #REF!, several areas or anything else."""
    m = _REF.match((text or "").strip())
    if m is None:
        return None
    sheet = m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2)
    c1, r1 = col_index(m.group(3)), int(m.group(4)) if m.group(4) else None
    c2 = col_index(m.group(5)) if m.group(5) else c1
    r2 = int(m.group(6)) if m.group(6) else (r1 if m.group(5) is None else None)
    return sheet, c1, r1, c2, r2


def _ours(el: etree._Element) -> tuple[str, str] | None:
    """('col'|'tab', field or role) of one of our workbook-level names, else None."""
    name = (el.get("name") or "").lower()
    if el.get("localSheetId") is not None:
        return None
    if name.startswith(COL_PREFIX) and name[len(COL_PREFIX) :] in MARKED_FIELDS:
        return "col", name[len(COL_PREFIX) :]
    if name.startswith(TAB_PREFIX) and name[len(TAB_PREFIX) :] in TAB_ROLES:
        return "tab", name[len(TAB_PREFIX) :]
    return None


def _whole_column(ref: tuple[str, int, int | None, int, int | None] | None) -> bool:
    if ref is None or ref[1] != ref[3]:
        return False
    return (ref[2] is None and ref[4] is None) or (ref[2] == 1 and ref[4] == MAX_ROW)


def read_markers(workbook: etree._Element) -> Markers:
    """The markers of a parsed xl/workbook.xml."""
    columns: dict[str, tuple[str, int]] = {}
    tabs: dict[str, str] = {}
    stale: list[str] = []
    titles = {el.get("name") for el in workbook.iter(_M + "sheet")}
    for el in workbook.iter(_M + "definedName"):
        kind = _ours(el)
        if kind is None:
            continue
        ref = parse_ref(el.text or "")
        if ref is None or ref[0] not in titles:
            stale.append(el.get("name") or "")
        elif kind[0] == "col" and _whole_column(ref):
            columns[kind[1]] = (ref[0], ref[1])
        elif kind[0] == "tab":
            tabs[kind[1]] = ref[0]
        else:
            stale.append(el.get("name") or "")
    return Markers(columns, tabs, tuple(stale))


class MarkerEdit:
    """Pending marker changes on a parsed workbook.xml; `changed` once a name really differs."""

    def __init__(self, workbook: etree._Element):
        self.wb = workbook
        self.changed = False

    def _names(self) -> etree._Element:
        names = self.wb.find(_M + "definedNames")
        if names is None:
            names = etree.Element(_M + "definedNames")
            later = [i for i, c in enumerate(self.wb) if etree.QName(c).localname in _AFTER]
            self.wb.insert(later[0] if later else len(self.wb), names)
            self.changed = True
        return names

    def _find(self, name: str) -> etree._Element | None:
        for el in self.wb.iter(_M + "definedName"):
            if (el.get("name") or "").lower() == name and el.get("localSheetId") is None:
                return el
        return None

    def _set(self, name: str, text: str, same: bool) -> None:
        el = self._find(name)
        if el is None:
            el = etree.SubElement(self._names(), _M + "definedName", name=name)
            same = False
        if not same:
            el.text = text
            self.changed = True
        if el.get("hidden") not in ("1", "true"):
            el.set("hidden", "1")  # LibreOffice saves hidden="false"; hide ours again
            self.changed = True

    def mark_column(self, field: str, sheet: str, col: int) -> None:
        """`_sheetfunnel_col_<field>` -> the whole column `col` of `sheet`."""
        name = COL_PREFIX + field
        el = self._find(name)
        ref = parse_ref(el.text or "") if el is not None else None
        same = _whole_column(ref) and ref is not None and (ref[0], ref[1]) == (sheet, col)
        letter = col_letter(col)
        self._set(name, f"{quote_sheet(sheet)}!${letter}:${letter}", same)

    def mark_tab(self, role: str, title: str) -> None:
        """`_sheetfunnel_tab_<role>` -> A1 of the tab `title`."""
        name = TAB_PREFIX + role
        el = self._find(name)
        ref = parse_ref(el.text or "") if el is not None else None
        same = ref is not None and ref[0] == title
        self._set(name, f"{quote_sheet(title)}!$A$1", same)

    def drop(self, names: tuple[str, ...]) -> None:
        """Remove our stale names (targets the user deleted); an empty <definedNames> goes too."""
        wanted = {n.lower() for n in names}
        for el in list(self.wb.iter(_M + "definedName")):
            if (el.get("name") or "").lower() in wanted and _ours(el) is not None:
                parent = el.getparent()
                parent.remove(el)
                if not len(parent):
                    self.wb.remove(parent)
                self.changed = True
