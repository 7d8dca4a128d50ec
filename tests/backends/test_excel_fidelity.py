"""Fidelity over the whole corpus: a sync changes only what sheetfunnel owns.

Every workbook gets two syncs on a copy: one into a contacts tab added first (snapshot taken
after adding it), one into its own first sheet when that sheet has a header row. Afterwards
every member sheetfunnel does not own is byte-identical and stored identically (raw copy),
and the feature inventory is unchanged apart from our three stage rules.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from excel_helpers import (
    CORPUS,
    add_contacts_tab,
    build_plan,
    inventory,
    members,
    raw_members,
    schema_order_problems,
)
from lxml import etree
from python_calamine import CalamineWorkbook

from sheetfunnel.backends.excel import ExcelBackend
from sheetfunnel.backends.excel.package import Package
from sheetfunnel.errors import InputError

WORKBOOKS = sorted(p.name for p in CORPUS.glob("*.xls*"))
BOOKKEEPING = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"}


def owned_parts(path: Path, sheet: str) -> set[str]:
    """The contacts sheet part, styles, its tables, and every part of Summary/History."""
    import zipfile

    with zipfile.ZipFile(path) as zf:
        pkg = Package(zf)
        wb = pkg.workbook_part()
        owned = {"xl/styles.xml"}
        for entry in pkg.sheets(wb):
            if entry.name in ("Summary", "History", sheet) and entry.part:
                owned.add(entry.part)
                owned.add(re.sub(r"([^/]+)$", r"_rels/\1.rels", entry.part))
                if entry.name != sheet:
                    owned |= _reachable(pkg, entry.part)
                else:
                    owned |= {r.part for r in pkg.relationships(entry.part) if "table" in r.type}
    return owned


def _reachable(pkg: Package, part: str) -> set[str]:
    seen, todo = set(), [part]
    while todo:
        for rel in pkg.relationships(todo.pop()):
            if rel.part and rel.part not in seen:
                seen.add(rel.part)
                seen.add(re.sub(r"([^/]+)$", r"_rels/\1.rels", rel.part))
                todo.append(rel.part)
    return seen


def check_sync(path: Path, sheet: str) -> dict[str, int]:
    """Sync `sheet` of `path`; assert fidelity; return the inventory."""
    before, raw_before = members(path), raw_members(path)
    inv_before = inventory(before)
    backend = ExcelBackend(path, backup=False)
    key = str(backend.read(sheet, 1, None, 1).contacts.columns[0])
    data = backend.read(sheet, 1, None, 1, key_header=key)
    plan = build_plan(data, sheet=sheet, key=key)
    result = backend.write(plan, data)
    assert result.changed and set(result.tabs_written) == {"Summary", "History"}
    after, raw_after = members(path), raw_members(path)
    owned = owned_parts(path, sheet)
    for name in before:
        if name in owned or name in BOOKKEEPING:
            continue
        assert name in after, f"{name} lost"
        assert after[name] == before[name], f"{name} changed"
        assert raw_after[name] == raw_before[name], f"{name} recompressed"
    _only_additions(before, after)
    new_owned = {n for n in after if n not in before} | (owned - {"xl/styles.xml"})
    inv_after = inventory(after, skip=new_owned - set(before))
    expected = dict(inv_before)
    expected["conditional format rules"] += len(plan.stage_colours)
    expected["defined names"] += len(plan.columns) + len(plan.tabs)  # the ownership markers
    assert inv_after == expected
    for name, xml in after.items():
        if name.startswith("xl/worksheets/sheet") and after[name] != before.get(name):
            assert schema_order_problems(xml) == [], name
    # the second sync finds everything in place and touches nothing
    data2 = backend.read(sheet, 1, None, 1, key_header=key)
    snapshot = path.read_bytes()
    assert backend.write(plan, data2).changed is False
    assert path.read_bytes() == snapshot
    return inv_after


def _kept(el: etree._Element) -> bool:
    """An element of workbook.xml that a sync must leave as it was (not our markers)."""
    local = etree.QName(el).localname
    if local in ("sheets", "definedNames"):
        return False
    return not (local == "definedName" and el.get("name", "").startswith("_sheetfunnel_"))


def _only_additions(before: dict[str, bytes], after: dict[str, bytes]) -> None:
    """workbook.xml, its rels and the content types only gain entries."""
    for name in BOOKKEEPING:
        old, new = etree.fromstring(before[name]), etree.fromstring(after[name])
        flat_old = [etree.tostring(e) for e in old.iter() if e is not old]
        flat_new = [etree.tostring(e) for e in new.iter() if e is not new]
        if name == "xl/workbook.xml":
            sheets = [e for e in new.iter() if etree.QName(e).localname == "sheet"]
            added = {e.get("name") for e in sheets} - {
                e.get("name") for e in old.iter() if etree.QName(e).localname == "sheet"
            }
            assert added <= {"Summary", "History"}
            assert [(e.attrib, e.text) for e in old.iter() if _kept(e)] == [
                (e.attrib, e.text) for e in new.iter() if _kept(e) and e.get("name") not in added
            ]
        else:
            missing = [e for e in flat_old if e not in flat_new]
            assert missing == [], name


@pytest.mark.parametrize("name", WORKBOOKS)
def test_corpus_sync_into_added_contacts_tab(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    shutil.copy(CORPUS / name, path)
    path.chmod(0o644)
    add_contacts_tab(path)
    inv = check_sync(path, "SF Contacts")
    assert inv["VBA"] == (1 if name.endswith(".xlsm") else 0)


@pytest.mark.parametrize("name", WORKBOOKS)
def test_corpus_sync_into_its_own_first_sheet(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    shutil.copy(CORPUS / name, path)
    path.chmod(0o644)
    first = CalamineWorkbook.from_path(str(path)).sheet_names[0]
    try:
        ExcelBackend(path).read(first, 1, None, 1)
    except InputError:
        assert name in ("58325_db.xlsx", "WithTextBox.xlsx")  # no header row to write into
        return
    check_sync(path, first)
