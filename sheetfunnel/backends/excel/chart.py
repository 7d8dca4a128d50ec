"""A FunnelChart as real DrawingML: a drawing part anchoring a bar chart part.

The chart carries cached categories and values so that readers that do not recalculate
(LibreOffice, viewers) draw it straight away.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from sheetfunnel.backends.base import FunnelChart, OwnedTab

from .cells import col_letter, number_text, xml_text
from .package import NS_PKG_REL, NS_REL, REL_CHART, REL_DRAWING

_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NS_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
_NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_NS_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"


def rels_xml(rels: list[tuple[str, str, str]]) -> bytes:
    """A relationships part from (id, type, target) triples."""
    body = "".join(
        f"<Relationship Id={quoteattr(i)} Type={quoteattr(t)} Target={quoteattr(g)}/>"
        for i, t, g in rels
    )
    return (_DECL + f'<Relationships xmlns="{NS_PKG_REL}">{body}</Relationships>').encode()


def sheet_rels(drawing_target: str) -> bytes:
    """Rels of an owned sheet pointing at its drawing."""
    return rels_xml([("rId1", REL_DRAWING, drawing_target)])


def drawing_rels(chart_target: str) -> bytes:
    """Rels of the drawing pointing at its chart."""
    return rels_xml([("rId1", REL_CHART, chart_target)])


def drawing_xml(chart: FunnelChart) -> bytes:
    """A drawing with one chart frame anchored at the chart's cell, 8 columns x 16 rows."""
    c0, r0 = chart.anchor_column, chart.anchor_row
    return (
        _DECL + f'<xdr:wsDr xmlns:xdr="{_NS_XDR}" xmlns:a="{_NS_A}">'
        "<xdr:twoCellAnchor>"
        f"<xdr:from><xdr:col>{c0}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{r0}</xdr:row>"
        "<xdr:rowOff>0</xdr:rowOff></xdr:from>"
        f"<xdr:to><xdr:col>{c0 + 8}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{r0 + 16}"
        "</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>"
        '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr>'
        f'<xdr:cNvPr id="2" name={quoteattr(chart.title or "Funnel")}/>'
        "<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>"
        '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
        f'<a:graphic><a:graphicData uri="{_NS_C}">'
        f'<c:chart xmlns:c="{_NS_C}" xmlns:r="{NS_REL}" r:id="rId1"/>'
        "</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>"
        "</xdr:wsDr>"
    ).encode()


def _sheet_ref(tab: str, col: int, first: int, last: int) -> str:
    name = "'" + tab.replace("'", "''") + "'"
    letter = col_letter(col + 1)
    return f"{name}!${letter}${first + 1}:${letter}${last + 1}"


def chart_xml(tab: OwnedTab, chart: FunnelChart) -> bytes:
    """A clustered horizontal bar chart of the tab's category/value columns."""
    rows = tab.rows[chart.first_row : chart.last_row + 1]

    def cell(row: tuple, col: int) -> object:
        return row[col] if col < len(row) else None

    labels = ["" if (v := cell(r, chart.category_column)) is None else str(v) for r in rows]
    cats = "".join(f'<c:pt idx="{i}"><c:v>{xml_text(t)}</c:v></c:pt>' for i, t in enumerate(labels))
    vals = "".join(
        f'<c:pt idx="{i}"><c:v>{number_text(float(v))}</c:v></c:pt>'
        for i, r in enumerate(rows)
        if isinstance(v := cell(r, chart.value_column), int | float)
    )
    n = len(rows)
    cat_ref = _sheet_ref(tab.name, chart.category_column, chart.first_row, chart.last_row)
    val_ref = _sheet_ref(tab.name, chart.value_column, chart.first_row, chart.last_row)
    title = xml_text(chart.title)
    return (
        _DECL + f'<c:chartSpace xmlns:c="{_NS_C}" xmlns:a="{_NS_A}" xmlns:r="{NS_REL}">'
        '<c:roundedCorners val="0"/><c:chart>'
        f"<c:title><c:tx><c:rich><a:bodyPr/><a:p><a:r><a:t>{title}</a:t></a:r></a:p></c:rich>"
        '</c:tx><c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/><c:plotArea>'
        '<c:barChart><c:barDir val="bar"/><c:grouping val="clustered"/>'
        '<c:varyColors val="0"/><c:ser><c:idx val="0"/><c:order val="0"/>'
        f"<c:tx><c:v>{title}</c:v></c:tx>"
        f"<c:cat><c:strRef><c:f>{escape(cat_ref)}</c:f><c:strCache>"
        f'<c:ptCount val="{n}"/>{cats}</c:strCache></c:strRef></c:cat>'
        f"<c:val><c:numRef><c:f>{escape(val_ref)}</c:f><c:numCache><c:formatCode>General"
        f'</c:formatCode><c:ptCount val="{n}"/>{vals}</c:numCache></c:numRef></c:val>'
        '</c:ser><c:gapWidth val="50"/><c:axId val="500000001"/><c:axId val="500000002"/>'
        '</c:barChart><c:catAx><c:axId val="500000001"/><c:scaling><c:orientation '
        'val="maxMin"/></c:scaling><c:delete val="0"/><c:axPos val="l"/>'
        '<c:crossAx val="500000002"/><c:crosses val="autoZero"/></c:catAx>'
        '<c:valAx><c:axId val="500000002"/><c:scaling><c:orientation val="minMax"/>'
        '</c:scaling><c:delete val="0"/><c:axPos val="t"/><c:majorGridlines/>'
        '<c:numFmt formatCode="General" sourceLinked="1"/><c:crossAx val="500000001"/>'
        '<c:crosses val="autoZero"/></c:valAx></c:plotArea><c:legend><c:legendPos val="b"/>'
        '<c:overlay val="0"/></c:legend><c:plotVisOnly val="1"/></c:chart></c:chartSpace>'
    ).encode()
