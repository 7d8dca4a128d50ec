"""Append-only edits of xl/styles.xml: stage dxfs and a date cell format, reused across syncs.

Existing entries are never renumbered (cells and rules refer to them by index). Anything an
earlier sync added is found again by its exact shape, so a second sync adds nothing and the
part stays byte-identical.
"""

from __future__ import annotations

import re

from lxml import etree

from .package import NS_MAIN, parse_xml, xml_bytes

_M = f"{{{NS_MAIN}}}"
#: styleSheet children in schema order.
_ORDER = [
    "numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
    "tableStyles", "colors", "extLst",
]  # fmt: skip
_BUILTIN_DATE_FMTS = {14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 30, 36, 45, 46, 47, 50, 57}
#: Format codes Excel knows by id (no numFmt entry needed).
_BUILTIN_FMTS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9}
_DATE_CODE = re.compile(r"[dmyhs]", re.I)
MINIMAL_STYLES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<styleSheet xmlns="' + NS_MAIN.encode() + b'"><fonts count="1"><font><sz val="11"/>'
    b'<name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill '
    b'patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    b'<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    b'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    b'</cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
    b'xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" '
    b'builtinId="0"/></cellStyles></styleSheet>'
)


def _key(el: etree._Element) -> tuple:
    """Shape of an element (local names, attributes, children) for exact-match reuse."""
    return (
        etree.QName(el).localname,
        tuple(sorted(el.attrib.items())),
        (el.text or "").strip(),
        tuple(_key(c) for c in el if isinstance(c.tag, str)),
    )


def _argb(colour: str) -> str:
    return "FF" + colour.lstrip("#").upper()


class Styles:
    """xl/styles.xml opened for appending; `result()` is None when nothing was added."""

    def __init__(self, data: bytes):
        self.original = data
        self.root = parse_xml(data)
        self.changed = False
        self.added: list[str] = []

    def _container(self, name: str) -> etree._Element:
        el = self.root.find(_M + name)
        if el is not None:
            return el
        el = etree.Element(_M + name, count="0")
        rank = _ORDER.index(name)
        for i, child in enumerate(self.root):
            local = etree.QName(child).localname if isinstance(child.tag, str) else ""
            if local in _ORDER and _ORDER.index(local) > rank:
                self.root.insert(i, el)
                return el
        self.root.append(el)
        return el

    def _reuse_or_append(self, container: str, new: etree._Element, what: str) -> int:
        parent = self.root.find(_M + container)
        if parent is not None:
            want = _key(new)
            for i, el in enumerate(e for e in parent if isinstance(e.tag, str)):
                if _key(el) == want:
                    return i
        parent = self._container(container)
        parent.append(new)
        count = sum(1 for e in parent if isinstance(e.tag, str))
        parent.set("count", str(count))
        self.changed = True
        self.added.append(what)
        return count - 1

    def dxf(self, fill: str, font: str | None) -> int:
        """Index of a differential format (fill + optional font colour) for a CF rule."""
        dxf = etree.Element(_M + "dxf")
        if font:
            etree.SubElement(etree.SubElement(dxf, _M + "font"), _M + "color", rgb=_argb(font))
        pattern = etree.SubElement(etree.SubElement(dxf, _M + "fill"), _M + "patternFill")
        etree.SubElement(pattern, _M + "bgColor", rgb=_argb(fill))
        return self._reuse_or_append("dxfs", dxf, "dxf")

    def date_xf(self, code: str = "yyyy-mm-dd") -> int:
        """Index of a cell format showing a date with `code` (adds the numFmt if needed)."""
        fmts = self.root.find(_M + "numFmts")
        fmt_id = None
        used = [164]
        if fmts is not None:
            for nf in fmts.iter(_M + "numFmt"):
                used.append(int(nf.get("numFmtId", "0")) + 1)
                if nf.get("formatCode") == code:
                    fmt_id = int(nf.get("numFmtId", "0"))
        if fmt_id is None:
            fmt_id = max(used)
            nf = etree.Element(_M + "numFmt", numFmtId=str(fmt_id), formatCode=code)
            self._reuse_or_append("numFmts", nf, "numFmt")
        xf = etree.Element(
            _M + "xf",
            numFmtId=str(fmt_id),
            fontId="0",
            fillId="0",
            borderId="0",
            xfId="0",
            applyNumberFormat="1",
        )
        return self._reuse_or_append("cellXfs", xf, "date format")

    def _num_fmt(self, code: str) -> int:
        """The numFmtId showing `code`: a built-in one, else ours (added once)."""
        if code in _BUILTIN_FMTS:
            return _BUILTIN_FMTS[code]
        fmts = self.root.find(_M + "numFmts")
        used = [164]
        if fmts is not None:
            for nf in fmts.iter(_M + "numFmt"):
                used.append(int(nf.get("numFmtId", "0")) + 1)
                if nf.get("formatCode") == code:
                    return int(nf.get("numFmtId", "0"))
        fmt_id = max(used)
        nf = etree.Element(_M + "numFmt", numFmtId=str(fmt_id), formatCode=code)
        self._reuse_or_append("numFmts", nf, "numFmt")
        return fmt_id

    def _base_font(self) -> tuple[str, str]:
        """(size, name) of the workbook's default font, so our bold text matches it."""
        font = self.root.find(f"{_M}fonts/{_M}font")
        size = name = None
        if font is not None:
            sz, nm = font.find(_M + "sz"), font.find(_M + "name")
            size = sz.get("val") if sz is not None else None
            name = nm.get("val") if nm is not None else None
        return size or "11", name or "Calibri"

    def cell_xf(
        self,
        number_format: str | None = None,
        *,
        bold: bool = False,
        italic: bool = False,
        size: float | None = None,
        fill: str | None = None,
        font: str | None = None,
        align: str | None = None,
    ) -> int:
        """Index of a cell format with these looks; found again by shape, so a rerun adds
        nothing. All defaults: 0 (the workbook's Normal format)."""
        if not (number_format or bold or italic or size or fill or font or align):
            return 0
        fmt_id = self._num_fmt(number_format) if number_format else 0
        font_id = 0
        if bold or italic or size or font:
            base_size, name = self._base_font()
            el = etree.Element(_M + "font")
            if bold:
                etree.SubElement(el, _M + "b")
            if italic:
                etree.SubElement(el, _M + "i")
            etree.SubElement(el, _M + "sz", val=f"{size:g}" if size else base_size)
            if font:
                etree.SubElement(el, _M + "color", rgb=_argb(font))
            etree.SubElement(el, _M + "name", val=name)
            font_id = self._reuse_or_append("fonts", el, "font")
        fill_id = 0
        if fill:
            el = etree.Element(_M + "fill")
            pattern = etree.SubElement(el, _M + "patternFill", patternType="solid")
            etree.SubElement(pattern, _M + "fgColor", rgb=_argb(fill))
            etree.SubElement(pattern, _M + "bgColor", indexed="64")
            fill_id = self._reuse_or_append("fills", el, "fill")
        attrs = {"numFmtId": str(fmt_id), "fontId": str(font_id), "fillId": str(fill_id)}
        attrs |= {"borderId": "0", "xfId": "0"}
        if number_format:
            attrs["applyNumberFormat"] = "1"
        if font_id:
            attrs["applyFont"] = "1"
        if fill_id:
            attrs["applyFill"] = "1"
        if align:
            attrs["applyAlignment"] = "1"
        xf = etree.Element(_M + "xf", attrs)
        if align:
            etree.SubElement(xf, _M + "alignment", horizontal=align)
        return self._reuse_or_append("cellXfs", xf, "cell format")

    def date_styles(self) -> set[int]:
        """Indexes of cellXfs that display dates (built-in or custom date number formats)."""
        custom = {
            int(nf.get("numFmtId", "0"))
            for nf in self.root.iter(_M + "numFmt")
            if _DATE_CODE.search(re.sub(r'"[^"]*"|\[[^\]]*\]', "", nf.get("formatCode", "")))
        }
        xfs = self.root.find(_M + "cellXfs")
        if xfs is None:
            return set()
        return {
            i
            for i, xf in enumerate(e for e in xfs if isinstance(e.tag, str))
            if int(xf.get("numFmtId", "0")) in _BUILTIN_DATE_FMTS | custom
        }

    def result(self) -> bytes | None:
        """New bytes of styles.xml, or None if nothing was added."""
        if not self.changed:
            return None
        return xml_bytes(self.root)
