"""A pending set of package edits: parts added, replaced or removed, and the bookkeeping
(content types, workbook sheet list, workbook relationships) that must follow them.

Nothing is written here; `changes()` reports which members really differ from the original,
so that a sync whose result equals the file touches nothing.
"""

from __future__ import annotations

import posixpath
import re

from lxml import etree

from .package import (
    NS_CT,
    NS_MAIN,
    NS_PKG_REL,
    NS_REL,
    Package,
    parse_xml,
    relative_target,
    rels_path,
    resolve_target,
    xml_bytes,
)

CONTENT_TYPES = "[Content_Types].xml"


CT_RELATIONSHIPS = "application/vnd.openxmlformats-package.relationships+xml"


def _serialize(root: etree._Element, original: bytes) -> bytes:
    return xml_bytes(root)


class PackageEdit:
    """Edits pending against a `Package`; parts are named as stored (no leading slash)."""

    def __init__(self, pkg: Package, workbook_part: str):
        self.pkg = pkg
        self.workbook_part = workbook_part
        self.new: dict[str, bytes] = {}
        self.removed: set[str] = set()
        ct = pkg.read(CONTENT_TYPES) or b""
        self._ct_original = ct
        self.ct = parse_xml(ct)
        self._wb_original = pkg.read(workbook_part) or b""
        self.wb = parse_xml(self._wb_original)
        self._wbrels_original = pkg.read(rels_path(workbook_part)) or b""
        self.wbrels = parse_xml(self._wbrels_original)
        self._touched_wb = False
        self._touched_rels = False

    def exists(self, part: str) -> bool:
        """Whether `part` will exist after the edits."""
        low = part.lower()
        if any(n.lower() == low for n in self.new):
            return True
        return self.pkg.find(part) is not None and self.pkg.find(part) not in self.removed

    def free_name(self, pattern: str) -> str:
        """First `pattern` % n (n = 1, 2, ...) that names no part after the edits."""
        n = 1
        while self.exists(pattern % n):
            n += 1
        return pattern % n

    def put(self, part: str, data: bytes, content_type: str | None = None) -> None:
        """Add or replace `part` (with an Override content type when given)."""
        stored = self.pkg.find(part)
        name = stored if stored is not None else part
        self.removed.discard(name)
        self.new[name] = data
        if content_type:
            self._set_override(name, content_type)
        elif self._content_type(name) is None and name.lower().endswith(".rels"):
            # a package may declare its rels parts one by one (no Default for "rels")
            self._set_override(name, CT_RELATIONSHIPS)

    def _content_type(self, part: str) -> str | None:
        """The content type `part` gets now: its Override, else its extension's Default."""
        target = "/" + part.lower()
        ext = posixpath.splitext(part)[1].lstrip(".").lower()
        default = None
        for el in self.ct:
            if not isinstance(el.tag, str):
                continue
            if (el.get("PartName") or "").lower() == target:
                return el.get("ContentType")
            if (el.get("Extension") or "").lower() == ext:
                default = el.get("ContentType")
        return default

    def remove(self, part: str) -> None:
        """Remove `part`, its relationships part and its content-type override."""
        stored = self.pkg.find(part)
        self.new.pop(stored or part, None)
        if stored is not None:
            self.removed.add(stored)
        rels = self.pkg.find(rels_path(part))
        if rels is not None:
            self.removed.add(rels)
            self.new.pop(rels, None)
        for el in list(self.ct):
            if (el.get("PartName") or "").lower() == "/" + part.lower():
                self.ct.remove(el)

    def _set_override(self, part: str, content_type: str) -> None:
        target = "/" + part
        for el in self.ct:
            if (el.get("PartName") or "").lower() == target.lower():
                el.set("ContentType", content_type)
                return
        etree.SubElement(self.ct, f"{{{NS_CT}}}Override", PartName=target, ContentType=content_type)

    def add_workbook_rel(self, rel_type: str, part: str) -> str:
        """Add a workbook relationship to `part`; returns its new id."""
        ids = {el.get("Id") for el in self.wbrels}
        n = 1
        while f"rId{n}" in ids:
            n += 1
        etree.SubElement(
            self.wbrels,
            f"{{{NS_PKG_REL}}}Relationship",
            Id=f"rId{n}",
            Type=rel_type,
            Target=relative_target(self.workbook_part, part),
        )
        self._touched_rels = True
        return f"rId{n}"

    def add_sheet(self, name: str, part: str, rel_type: str) -> None:
        """Append a tab to the workbook (a <sheet>, a workbook relationship)."""
        rid = self.add_workbook_rel(rel_type, part)
        sheets = self.wb.find(f"{{{NS_MAIN}}}sheets")
        if sheets is None:
            raise ValueError("workbook.xml has no <sheets>")
        next_id = max((int(s.get("sheetId", "0")) for s in sheets), default=0) + 1
        etree.SubElement(
            sheets,
            f"{{{NS_MAIN}}}sheet",
            {"name": name, "sheetId": str(next_id), f"{{{NS_REL}}}id": rid},
        )
        self._touched_wb = True

    def _sheet(self, name: str) -> etree._Element:
        for el in self.wb.iter(f"{{{NS_MAIN}}}sheet"):
            if el.get("name") == name:
                return el
        raise KeyError(name)

    def rename_sheet(self, old: str, new: str) -> None:
        """Give the tab `old` the title `new` (only sheetfunnel's own tabs are renamed)."""
        if old != new:
            self._sheet(old).set("name", new)
            self._touched_wb = True

    def hide_sheet(self, name: str) -> None:
        """Hide a tab; the workbook's active and first shown tab move off it if needed."""
        el = self._sheet(name)
        if el.get("state") in ("hidden", "veryHidden"):
            return
        el.set("state", "hidden")
        self._touched_wb = True
        sheets = list(self.wb.iter(f"{{{NS_MAIN}}}sheet"))
        shown = [i for i, s in enumerate(sheets) if s.get("state") not in ("hidden", "veryHidden")]
        for view in self.wb.iter(f"{{{NS_MAIN}}}workbookView"):
            for attr in ("activeTab", "firstSheet"):
                at = int(view.get(attr, "0") or 0)
                if shown and (at >= len(sheets) or at not in shown):
                    view.set(attr, str(next((i for i in shown if i >= at), shown[0])))

    def touch_workbook(self) -> None:
        """workbook.xml's tree was edited elsewhere (defined names): write it out."""
        self._touched_wb = True

    def has_workbook_part(self, rel_type: str) -> bool:
        """Whether the workbook (as edited so far) has a relationship of `rel_type`."""
        return any(el.get("Type") == rel_type for el in self.wbrels)

    def drop_workbook_part(self, rel_type: str) -> None:
        """Remove the workbook's part of `rel_type` (e.g. the calc chain) and its relationship."""
        for el in list(self.wbrels):
            if el.get("Type") == rel_type:
                target = resolve_target(self.workbook_part, el.get("Target", ""))
                self.remove(target)
                self.wbrels.remove(el)
                self._touched_rels = True

    def reachable(self, part: str) -> set[str]:
        """Parts reachable from `part` through relationships (not `part` itself)."""
        seen: set[str] = set()
        todo = [part]
        while todo:
            for rel in self.pkg.relationships(todo.pop()):
                if rel.part and rel.part not in seen and self.pkg.find(rel.part):
                    seen.add(rel.part)
                    todo.append(rel.part)
        seen.discard(part)
        return seen

    def referenced_outside(self, inside: set[str]) -> set[str]:
        """Parts that some rels part of a part not in `inside` points to."""
        out: set[str] = set()
        for name in self.pkg.names:
            if not name.endswith(".rels"):
                continue
            folder = posixpath.dirname(posixpath.dirname(name))
            source = posixpath.join(folder, posixpath.basename(name)[: -len(".rels")])
            if source in inside or re.fullmatch(r"_rels/\.rels", name):
                continue
            for rel in self.pkg.relationships(source):
                if rel.part:
                    out.add(rel.part)
        return out

    def changes(self) -> tuple[dict[str, bytes], set[str]]:
        """(members whose bytes change or appear, members that disappear)."""
        if self._touched_wb:
            self.new[self.pkg.find(self.workbook_part) or self.workbook_part] = _serialize(
                self.wb, self._wb_original
            )
        if self._touched_rels:
            wbrels = rels_path(self.workbook_part)
            self.new[self.pkg.find(wbrels) or wbrels] = _serialize(
                self.wbrels, self._wbrels_original
            )
        changed: dict[str, bytes] = {}
        for name, data in self.new.items():
            if name in self.removed or not self.pkg.holds(name, data):
                changed[name] = data
        removed = {n for n in self.removed if n not in self.new}
        if _ct_entries(self.ct) != _ct_entries(parse_xml(self._ct_original)):
            ct_now = _serialize(self.ct, self._ct_original)
            changed[self.pkg.find(CONTENT_TYPES) or CONTENT_TYPES] = ct_now
        return changed, removed


def _ct_entries(root: etree._Element) -> set[tuple[str, str, str]]:
    """Content-type entries as a set (their order carries no meaning)."""
    return {
        (
            etree.QName(el).localname,
            (el.get("PartName") or el.get("Extension") or "").lower(),
            el.get("ContentType") or "",
        )
        for el in root
        if isinstance(el.tag, str)
    }
