"""Presentation of our columns in the contacts sheet: their <col> widths and the drop-down
(<dataValidation type="list">) of the override column. Only our columns are touched: a
user's <col min..max> range spanning one of ours is split around it, never widened."""

from __future__ import annotations

from lxml import etree

from .cells import MAX_ROW, col_letter
from .package import NS_MAIN
from .worksheet import insert_in_order

_M = f"{{{NS_MAIN}}}"


def _width_text(width: float) -> str:
    return f"{width:g}"


def set_widths(root: etree._Element, widths: dict[int, float]) -> None:
    """Give each column in `widths` (1-based) its own <col> with that width."""
    if not widths:
        return
    cols = root.find(_M + "cols")
    if cols is None:
        cols = etree.Element(_M + "cols")
        insert_in_order(root, cols)
    for col, width in sorted(widths.items()):
        text = _width_text(width)
        covering = [
            el for el in cols.findall(_M + "col")
            if int(el.get("min", "0")) <= col <= int(el.get("max", "0"))
        ]  # fmt: skip
        if covering and covering[0].get("min") == covering[0].get("max") == str(col):
            el = covering[0]
            if el.get("width") != text or el.get("customWidth") != "1":
                el.set("width", text)
                el.set("customWidth", "1")
            continue
        if covering:  # a user's range over several columns: split it around ours
            el = covering[0]
            lo, hi = int(el.get("min", "0")), int(el.get("max", "0"))
            at = list(cols).index(el)
            cols.remove(el)
            pieces = []
            if lo < col:
                pieces.append(_copy(el, lo, col - 1))
            mine = _copy(el, col, col)
            mine.set("width", text)
            mine.set("customWidth", "1")
            pieces.append(mine)
            if col < hi:
                pieces.append(_copy(el, col + 1, hi))
            for i, piece in enumerate(pieces):
                cols.insert(at + i, piece)
            continue
        new = etree.Element(_M + "col", min=str(col), max=str(col), width=text, customWidth="1")
        after = [i for i, el in enumerate(cols) if int(el.get("min", "0")) < col]
        cols.insert(after[-1] + 1 if after else 0, new)


def _copy(el: etree._Element, lo: int, hi: int) -> etree._Element:
    out = etree.Element(el.tag, dict(el.attrib))
    out.set("min", str(lo))
    out.set("max", str(hi))
    return out


def _our_sqref(col: int, header_row: int) -> str:
    letter = col_letter(col)
    return f"{letter}{header_row + 1}:{letter}{MAX_ROW}"


def set_list_validation(
    root: etree._Element, col: int, header_row: int, values: tuple[str, ...]
) -> None:
    """A drop-down of `values` on the column's data cells (replacing ours, if any)."""
    sqref = _our_sqref(col, header_row)
    formula = '"' + ",".join(v.replace('"', '""') for v in values) + '"'
    box = root.find(_M + "dataValidations")
    if box is not None:
        for dv in box.findall(_M + "dataValidation"):
            if dv.get("sqref") == sqref and dv.get("type") == "list":
                f1 = dv.find(_M + "formula1")
                if f1 is not None and f1.text == formula:
                    return
                box.remove(dv)
    else:
        box = etree.Element(_M + "dataValidations", count="0")
        insert_in_order(root, box)
    dv = etree.SubElement(
        box,
        _M + "dataValidation",
        type="list",
        allowBlank="1",
        showInputMessage="1",
        showErrorMessage="1",
        errorTitle="Not a stage",
        error="Choose one of the stages in the list (or leave the cell empty).",
        sqref=sqref,
    )
    etree.SubElement(dv, _M + "formula1").text = formula
    box.set("count", str(len(box.findall(_M + "dataValidation"))))
