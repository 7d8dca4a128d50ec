"""The xlsx package around the cells: zip members, relationships, content types, sheet parts.

An xlsx is a zip of XML parts tied together by relationship parts. Everything here resolves
names the way Excel does (case-insensitively, relative to the source part) so that the writer
can find the one sheet part it rewrites and copy every other member untouched.
"""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass

from lxml import etree

from .deflate import crc32, inflate

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_WORKSHEET = f"{NS_REL}/worksheet"
REL_DRAWING = f"{NS_REL}/drawing"
REL_CHART = f"{NS_REL}/chart"
REL_TABLE = f"{NS_REL}/table"
REL_STYLES = f"{NS_REL}/styles"
REL_SHARED_STRINGS = f"{NS_REL}/sharedStrings"
REL_CALC_CHAIN = f"{NS_REL}/calcChain"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"

#: Parsing limits: no network, no entity expansion (a workbook is untrusted input).
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def parse_xml(data: bytes) -> etree._Element:
    """Parse one XML part safely."""
    return etree.fromstring(data, PARSER)


def xml_bytes(root: etree._Element) -> bytes:
    """A part's bytes with the declaration Excel writes (double quotes, standalone)."""
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n' + etree.tostring(
        root, encoding="UTF-8", xml_declaration=False
    )


def rels_path(part: str) -> str:
    """Name of the relationships part of `part` (e.g. xl/_rels/workbook.xml.rels)."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve_target(source_part: str, target: str) -> str:
    """Absolute part name (no leading slash) of a relationship target."""
    if target.startswith("/"):
        return posixpath.normpath(target[1:])
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def relative_target(source_part: str, part: str) -> str:
    """Target text for a relationship from `source_part` to `part`."""
    return posixpath.relpath(part, posixpath.dirname(source_part) or ".")


@dataclass(frozen=True)
class Relationship:
    """One <Relationship> of a rels part, with its target resolved to a part name."""

    id: str
    type: str
    target: str
    part: str | None  # None for external targets


@dataclass(frozen=True)
class SheetEntry:
    """One <sheet> of xl/workbook.xml."""

    name: str
    sheet_id: int
    rel_id: str
    part: str | None
    rel_type: str


class Package:
    """Read access to the members of an xlsx zip, with case-insensitive part lookup."""

    def __init__(self, zf: zipfile.ZipFile):
        self.zf = zf
        self.names = [i.filename for i in zf.infolist()]
        self._by_lower = {n.lower(): n for n in self.names}
        self._cache: dict[str, bytes] = {}

    def find(self, part: str) -> str | None:
        """The member name of `part` as stored (case may differ), or None if absent."""
        return self._by_lower.get(part.lower())

    def read(self, part: str, *, keep: bool = True) -> bytes | None:
        """The bytes of `part`, or None if the package has no such member (read once; with
        `keep=False` not kept for later reads: a 100k-row sheet part is ~120 MB)."""
        name = self.find(part)
        if name is None:
            return None
        if name in self._cache:
            return self._cache[name]
        data = inflate(self.zf, name)
        if keep:
            self._cache[name] = data
        return data

    def holds(self, part: str, data: bytes) -> bool:
        """Whether member `part` exists and holds exactly `data` (sizes and CRCs compared
        first, so that a part that changed is not decompressed again to find it out)."""
        name = self.find(part)
        if name is None:
            return False
        info = self.zf.getinfo(name)
        if info.file_size != len(data) or crc32(data) != info.CRC:
            return False
        return self.read(name, keep=False) == data

    def relationships(self, source_part: str) -> list[Relationship]:
        """Relationships of `source_part` (empty when it has no rels part)."""
        data = self.read(rels_path(source_part))
        if data is None:
            return []
        out = []
        for el in parse_xml(data):
            if not isinstance(el.tag, str) or etree.QName(el).localname != "Relationship":
                continue
            target = el.get("Target", "")
            external = el.get("TargetMode") == "External"
            part = None if external else resolve_target(source_part, target)
            if part is not None:
                part = self.find(part) or part
            out.append(Relationship(el.get("Id", ""), el.get("Type", ""), target, part))
        return out

    def workbook_part(self) -> str | None:
        """The workbook part named by the package's officeDocument relationship."""
        for rel in self.relationships(""):
            if rel.type.endswith("/officeDocument") and rel.part:
                return rel.part
        return self.find("xl/workbook.xml")

    def sheets(self, workbook_part: str) -> list[SheetEntry]:
        """The tabs in workbook order, each resolved to its part through the workbook rels."""
        rels = {r.id: r for r in self.relationships(workbook_part)}
        root = parse_xml(self.read(workbook_part) or b"")
        out = []
        for el in root.iter(f"{{{NS_MAIN}}}sheet"):
            rid = el.get(f"{{{NS_REL}}}id", "")
            rel = rels.get(rid)
            out.append(
                SheetEntry(
                    name=el.get("name", ""),
                    sheet_id=int(el.get("sheetId", "0")),
                    rel_id=rid,
                    part=rel.part if rel else None,
                    rel_type=rel.type if rel else "",
                )
            )
        return out


def is_date1904(workbook_xml: bytes) -> bool:
    """Whether the workbook counts date serials from 1904-01-01 (workbookPr date1904)."""
    root = parse_xml(workbook_xml)
    pr = root.find(f"{{{NS_MAIN}}}workbookPr")
    return pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
