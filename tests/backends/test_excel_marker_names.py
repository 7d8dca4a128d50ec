"""Marker names in xl/workbook.xml: the reference forms Excel and LibreOffice write, what counts
as ours, and edits that leave the user's names and the schema order alone."""

from __future__ import annotations

import pytest
from lxml import etree

from sheetfunnel.backends.excel.markers import MarkerEdit, parse_ref, read_markers

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def workbook(names: str = "", tail: str = '<calcPr calcId="1"/>') -> etree._Element:
    xml = (
        f'<workbook xmlns="{MAIN}"><sheets><sheet name="Contacts" sheetId="1"/>'
        f'<sheet name="O\'Brien list" sheetId="2"/></sheets>{names}{tail}</workbook>'
    )
    return etree.fromstring(xml.encode())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'Contacts'!$P:$P", ("Contacts", 16, None, 16, None)),
        ("Contacts!$P:$P", ("Contacts", 16, None, 16, None)),
        ("=Contacts!P:P", ("Contacts", 16, None, 16, None)),
        ("'O''Brien list'!$A$1", ("O'Brien list", 1, 1, 1, 1)),
        ("Contacts!$C$1:$C$1048576", ("Contacts", 3, 1, 3, 1048576)),
        ("#REF!", None),
        ("Contacts!#REF!", None),
        ("Contacts!$A:$A,Contacts!$C:$C", None),
        ("", None),
    ],
)
def test_parse_ref(text: str, expected: tuple | None) -> None:
    assert parse_ref(text) == expected


def test_read_markers_ours_only_stale_listed() -> None:
    root = workbook(
        "<definedNames>"
        '<definedName name="_SheetFunnel_Col_Score">Contacts!$F:$F</definedName>'
        '<definedName name="_sheetfunnel_col_stage" localSheetId="0">Contacts!$G:$G</definedName>'
        '<definedName name="_sheetfunnel_col_why">#REF!</definedName>'
        '<definedName name="_sheetfunnel_col_fit">Contacts!$B$2</definedName>'
        '<definedName name="_sheetfunnel_col_nope">Contacts!$H:$H</definedName>'
        "<definedName name=\"_sheetfunnel_tab_summary\">'O''Brien list'!$A$1</definedName>"
        '<definedName name="_sheetfunnel_tab_history">Gone!$A$1</definedName>'
        '<definedName name="mine">Contacts!$A$2</definedName>'
        "</definedNames>"
    )
    markers = read_markers(root)
    assert markers.columns == {"score": ("Contacts", 6)}
    assert markers.tabs == {"summary": "O'Brien list"}
    assert set(markers.stale) == {
        "_sheetfunnel_col_why", "_sheetfunnel_col_fit", "_sheetfunnel_tab_history",
    }  # fmt: skip
    assert markers.columns_on("Contacts") == {"score": 6} and markers.columns_on("X") == {}


def test_marker_edit_adds_in_schema_order_and_is_idempotent() -> None:
    root = workbook()
    edit = MarkerEdit(root)
    edit.mark_column("stage", "Contacts", 7)
    edit.mark_tab("summary", "O'Brien list")
    assert edit.changed
    children = [etree.QName(c).localname for c in root]
    assert children == ["sheets", "definedNames", "calcPr"]
    names = {e.get("name"): (e.text, e.get("hidden")) for e in root.iter(f"{{{MAIN}}}definedName")}
    assert names == {
        "_sheetfunnel_col_stage": ("'Contacts'!$G:$G", "1"),
        "_sheetfunnel_tab_summary": ("'O''Brien list'!$A$1", "1"),
    }
    again = MarkerEdit(root)
    again.mark_column("stage", "Contacts", 7)
    again.mark_tab("summary", "O'Brien list")
    assert again.changed is False


def test_marker_edit_keeps_an_equivalent_form_and_rehides() -> None:
    root = workbook(
        "<definedNames>"
        '<definedName name="mine">Contacts!$A$2</definedName>'
        '<definedName function="false" hidden="false" name="_sheetfunnel_col_score" '
        'vbProcedure="false">Contacts!$F:$F</definedName>'
        '<definedName name="_sheetfunnel_col_why">#REF!</definedName>'
        "</definedNames>"
    )
    before_user = etree.tostring(next(root.iter(f"{{{MAIN}}}definedName")))
    edit = MarkerEdit(root)
    edit.drop(read_markers(root).stale)
    edit.mark_column("score", "Contacts", 6)
    assert edit.changed
    els = list(root.iter(f"{{{MAIN}}}definedName"))
    assert [e.get("name") for e in els] == ["mine", "_sheetfunnel_col_score"]
    assert els[1].text == "Contacts!$F:$F" and els[1].get("hidden") == "1"
    assert etree.tostring(els[0]) == before_user


def test_dropping_the_last_marker_removes_the_empty_container() -> None:
    root = workbook('<definedNames><definedName name="_sheetfunnel_tab_state">#REF!'
                    "</definedName></definedNames>")  # fmt: skip
    edit = MarkerEdit(root)
    edit.drop(read_markers(root).stale)
    assert [etree.QName(c).localname for c in root] == ["sheets", "calcPr"]
