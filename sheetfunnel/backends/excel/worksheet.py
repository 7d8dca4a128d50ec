"""Edits of a worksheet part outside its rows: dimension, stage conditional formats, order.

The part minus its <sheetData> content is small (even for a 100k-row sheet), so it is edited
as a tree. Elements are inserted where the OOXML schema puts them: Excel "repairs" a file with
<worksheet> children out of order (LibreOffice does not complain, so only a check catches it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from .cells import MAX_COL, MAX_ROW, col_letter, range_bounds
from .package import NS_MAIN, parse_xml, xml_bytes
from .sheet import SheetSplit

_M = f"{{{NS_MAIN}}}"
WORKSHEET_ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState",
    "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting",
    "dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter",
    "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags",
    "drawing", "legacyDrawing", "legacyDrawingHF", "picture", "oleObjects", "controls",
    "webPublishItems", "tableParts", "extLst",
)  # fmt: skip
_RANK = {name: i for i, name in enumerate(WORKSHEET_ORDER)}
_STRING_FORMULA = re.compile(r'^"(?:[^"]|"")*"$')


def child_name(el: etree._Element) -> str | None:
    """Schema name of a <worksheet> child; mc:AlternateContent counts as what it wraps."""
    if not isinstance(el.tag, str):
        return None
    local = etree.QName(el).localname
    if local == "AlternateContent":
        for inner in el.iter():
            if inner is not el and isinstance(inner.tag, str):
                name = etree.QName(inner).localname
                if name in _RANK:
                    return name
        return None
    return local


def schema_order_ok(root: etree._Element) -> list[str]:
    """Names of the <worksheet> children in document order if they break the schema order."""
    names = [n for n in (child_name(c) for c in root) if n in _RANK]
    ranks = [_RANK[n] for n in names]
    return [] if ranks == sorted(ranks) else names


def insert_in_order(root: etree._Element, el: etree._Element, after_same: bool = True) -> None:
    """Insert `el` at its schema position (after existing siblings of the same name)."""
    rank = _RANK[etree.QName(el).localname]
    index = len(root)
    for i, child in enumerate(root):
        name = child_name(child)
        if name in _RANK and (_RANK[name] > rank or (not after_same and _RANK[name] == rank)):
            index = i
            break
    root.insert(index, el)


@dataclass
class Frame:
    """A worksheet part's tree with a placeholder where the rows go."""

    split: SheetSplit
    root: etree._Element

    @classmethod
    def parse(cls, split: SheetSplit) -> Frame:
        """Parse head + <sheetData/> + tail."""
        xml = split.head + b"<" + split.prefix + b"sheetData/>" + split.tail
        return cls(split, parse_xml(xml))

    def serialize(self) -> tuple[bytes, bytes]:
        """(head, tail) bytes around the sheetData element."""
        xml = xml_bytes(self.root)
        marker = b"<" + self.split.prefix + b"sheetData/>"
        head, _, tail = xml.partition(marker)
        return head, tail

    def used_columns(self) -> int:
        """Last column any range of this part uses (merges, CF, DV, hyperlinks, x14 refs...)."""
        last = 0
        for el in self.root.iter():
            if not isinstance(el.tag, str):
                continue
            local = etree.QName(el).localname
            if local in ("dimension", "selection", "pane", "col", "sheetView"):
                continue
            refs = [el.get("sqref"), el.get("ref")]
            if local in ("sqref", "f") and el.text:
                refs.append(el.text)
            for text in refs:
                for ref in (text or "").split():
                    last = max(last, last_col_of(ref))
        return last

    def update_dimension(self, max_col: int, max_row: int) -> None:
        """Grow <dimension ref> to cover `max_col`/`max_row` (inserted if missing)."""
        dim = self.root.find(_M + "dimension")
        if dim is None:
            dim = etree.Element(_M + "dimension", ref="A1")
            insert_in_order(self.root, dim)
        bounds = range_bounds(dim.get("ref", "A1")) or (1, 1, 1, 1)
        c1, r1, c2, r2 = bounds
        c2, r2 = max(c2, max_col), max(r2, max_row)
        ref = f"{col_letter(c1)}{r1}" + ("" if (c1, r1) == (c2, r2) else f":{col_letter(c2)}{r2}")
        if dim.get("ref") != ref:
            dim.set("ref", ref)

    def set_stage_rules(self, col: int, header_row: int, rules: list[tuple[str, int]]) -> None:
        """Replace sheetfunnel's stage rules (cellIs == "Stage" on `col`) with `rules`."""
        sqref = f"{col_letter(col)}{header_row + 1}:{col_letter(col)}{MAX_ROW}"
        ours = [cf for cf in self.root.findall(_M + "conditionalFormatting") if _is_ours(cf, col)]
        for cf in ours:
            self.root.remove(cf)
        if not rules:
            return
        priorities = [
            int(p)
            for el in self.root.iter()
            if isinstance(el.tag, str) and etree.QName(el).localname == "cfRule"
            if (p := el.get("priority", "")).isdigit()
        ]
        first = max(priorities, default=0) + 1
        cf = etree.Element(_M + "conditionalFormatting", sqref=sqref)
        for i, (stage, dxf) in enumerate(rules):
            rule = etree.SubElement(
                cf,
                _M + "cfRule",
                type="cellIs",
                dxfId=str(dxf),
                priority=str(first + i),
                operator="equal",
            )
            etree.SubElement(rule, _M + "formula").text = '"' + stage.replace('"', '""') + '"'
        insert_in_order(self.root, cf)


def _is_ours(cf: etree._Element, col: int) -> bool:
    """sheetfunnel's stage block: open-ended range on the Stage column, cellIs == "text" only."""
    letter = col_letter(col)
    if not re.fullmatch(rf"{letter}\d+:{letter}{MAX_ROW}", cf.get("sqref", "")):
        return False
    rules = [r for r in cf if isinstance(r.tag, str)]
    if not rules:
        return False
    for rule in rules:
        if etree.QName(rule).localname != "cfRule":
            return False
        if rule.get("type") != "cellIs" or rule.get("operator") != "equal":
            return False
        formulas = [f for f in rule if isinstance(f.tag, str)]
        if len(formulas) != 1 or not _STRING_FORMULA.match(formulas[0].text or ""):
            return False
    return True


def last_col_of(ref: str) -> int:
    """Last column of a range text ('Sheet1!A1:C3', '$B$2'); 0 for whole-row ranges."""
    ref = ref.split("!")[-1].strip("'")
    bounds = range_bounds(ref)
    if bounds is None:
        return 0
    c2 = bounds[2]
    return 0 if c2 >= MAX_COL else c2


_DRAWING_COL = re.compile(rb"<(?:\w+:)?col>(\d+)</(?:\w+:)?col>")
_VML_ANCHOR = re.compile(rb"<x:Anchor>([^<]*)</x:Anchor>")
_REF_ATTR = re.compile(rb'\b(?:ref|sqref)="([^"]+)"')


def related_part_columns(data: bytes) -> int:
    """Last column used by a drawing, VML, comments or table part of the sheet."""
    last = 0
    for m in _DRAWING_COL.finditer(data):
        last = max(last, int(m.group(1)) + 1)
    for m in _VML_ANCHOR.finditer(data):
        nums = [int(x) for x in m.group(1).decode().replace(" ", "").split(",") if x.isdigit()]
        if len(nums) >= 5:
            last = max(last, nums[4] + 1)
    for m in _REF_ATTR.finditer(data):
        for ref in m.group(1).decode().split():
            last = max(last, last_col_of(ref))
    return last
