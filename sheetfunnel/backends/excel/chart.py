"""Charts as real DrawingML: a drawing part anchoring one chart part per `Chart` (bars with
per-point colours and value labels, or lines over the sync days).

The chart carries cached categories and values so that readers that do not recalculate
(LibreOffice, viewers) draw it straight away.
"""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape, quoteattr

from sheetfunnel.backends.base import Chart, ChartSeries, OwnedTab

from .cells import col_letter, excel_serial, number_text, xml_text
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


def drawing_rels(chart_targets: list[str]) -> bytes:
    """Rels of the drawing pointing at its charts (rId1, rId2... in order)."""
    return rels_xml([(f"rId{i}", REL_CHART, t) for i, t in enumerate(chart_targets, start=1)])


_EMU_PER_PIXEL = 9525


def _anchor(chart: Chart, number: int) -> str:
    """A oneCellAnchor: top-left at the chart's cell, size in pixels."""
    cx, cy = chart.width * _EMU_PER_PIXEL, chart.height * _EMU_PER_PIXEL
    return (
        "<xdr:oneCellAnchor>"
        f"<xdr:from><xdr:col>{chart.anchor_column}</xdr:col><xdr:colOff>0</xdr:colOff>"
        f"<xdr:row>{chart.anchor_row}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
        f'<xdr:ext cx="{cx}" cy="{cy}"/>'
        '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr>'
        f'<xdr:cNvPr id="{number + 1}" name={quoteattr(chart.title or f"Chart {number}")}/>'
        "<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>"
        '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
        f'<a:graphic><a:graphicData uri="{_NS_C}">'
        f'<c:chart xmlns:c="{_NS_C}" xmlns:r="{NS_REL}" r:id="rId{number}"/>'
        "</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:oneCellAnchor>"
    )


def drawing_xml(charts: tuple[Chart, ...]) -> bytes:
    """A drawing with one frame per chart, each pointing at rId<n>."""
    anchors = "".join(_anchor(c, i) for i, c in enumerate(charts, start=1))
    return (
        _DECL + f'<xdr:wsDr xmlns:xdr="{_NS_XDR}" xmlns:a="{_NS_A}">{anchors}</xdr:wsDr>'
    ).encode()


def _sheet_ref(tab: str, col: int, first: int, last: int) -> str:
    name = "'" + tab.replace("'", "''") + "'"
    letter = col_letter(col + 1)
    return f"{name}!${letter}${first + 1}:${letter}${last + 1}"


def _fill(colour: str) -> str:
    return f'<a:solidFill><a:srgbClr val="{colour.lstrip("#").upper()}"/></a:solidFill>'


_OUTLINE = '<a:ln w="9525"><a:solidFill><a:srgbClr val="7F7F7F"/></a:solidFill></a:ln>'


def _sp(kind: str, colour: str | None) -> str:
    if colour is None:
        return ""
    if kind == "line":
        return f'<c:spPr><a:ln w="28575" cap="rnd">{_fill(colour)}</a:ln></c:spPr>'
    return f"<c:spPr>{_fill(colour)}{_OUTLINE}</c:spPr>"


def _labels(show: bool) -> str:
    if not show:
        return ""
    return (
        '<c:dLbls><c:numFmt formatCode="#,##0" sourceLinked="0"/><c:spPr><a:noFill/><a:ln>'
        '<a:noFill/></a:ln></c:spPr><c:dLblPos val="outEnd"/><c:showLegendKey val="0"/>'
        '<c:showVal val="1"/><c:showCatName val="0"/><c:showSerName val="0"/>'
        '<c:showPercent val="0"/><c:showBubbleSize val="0"/></c:dLbls>'
    )


def _cell(row: tuple, col: int) -> object:
    return row[col] if col < len(row) else None


def _categories(chart: Chart, data: OwnedTab, epoch: dt.date) -> str:
    rows = data.rows[chart.first_row : chart.last_row + 1]
    ref = escape(_sheet_ref(data.name, chart.category_column, chart.first_row, chart.last_row))
    values = [_cell(r, chart.category_column) for r in rows]
    n = len(rows)
    if values and all(isinstance(v, dt.date) for v in values):
        pts = "".join(
            f'<c:pt idx="{i}"><c:v>{number_text(excel_serial(v, epoch))}</c:v></c:pt>'  # type: ignore[arg-type]
            for i, v in enumerate(values)
        )
        return (
            f"<c:cat><c:numRef><c:f>{ref}</c:f><c:numCache><c:formatCode>yyyy-mm-dd"
            f'</c:formatCode><c:ptCount val="{n}"/>{pts}</c:numCache></c:numRef></c:cat>'
        )
    labels = ["" if v is None else str(v) for v in values]
    pts = "".join(f'<c:pt idx="{i}"><c:v>{xml_text(t)}</c:v></c:pt>' for i, t in enumerate(labels))
    return (
        f'<c:cat><c:strRef><c:f>{ref}</c:f><c:strCache><c:ptCount val="{n}"/>{pts}'
        "</c:strCache></c:strRef></c:cat>"
    )


def _series(chart: Chart, data: OwnedTab, i: int, series: ChartSeries, cats: str) -> str:
    rows = data.rows[chart.first_row : chart.last_row + 1]
    n = len(rows)
    vals = "".join(
        f'<c:pt idx="{j}"><c:v>{number_text(float(v))}</c:v></c:pt>'
        for j, r in enumerate(rows)
        if isinstance(v := _cell(r, series.value_column), int | float)
    )
    ref = escape(_sheet_ref(data.name, series.value_column, chart.first_row, chart.last_row))
    points = "".join(
        f'<c:dPt><c:idx val="{j}"/><c:invertIfNegative val="0"/><c:bubble3D val="0"/>'
        f"{_sp(chart.kind, colour)}</c:dPt>"
        for j, colour in enumerate(series.point_colours[:n])
    )
    marker = '<c:marker><c:symbol val="none"/></c:marker>' if chart.kind == "line" else ""
    invert = '<c:invertIfNegative val="0"/>' if chart.kind != "line" else ""
    smooth = '<c:smooth val="0"/>' if chart.kind == "line" else ""
    return (
        f'<c:ser><c:idx val="{i}"/><c:order val="{i}"/>'
        f"<c:tx><c:v>{xml_text(series.name)}</c:v></c:tx>{_sp(chart.kind, series.colour)}"
        f"{invert}{marker}{points}{_labels(chart.data_labels)}{cats}"
        f"<c:val><c:numRef><c:f>{ref}</c:f><c:numCache><c:formatCode>General"
        f'</c:formatCode><c:ptCount val="{n}"/>{vals}</c:numCache></c:numRef></c:val>'
        f"{smooth}</c:ser>"
    )


def chart_xml(chart: Chart, data: OwnedTab, epoch: dt.date) -> bytes:
    """The chart part: a bar, column or line chart of `data`'s rows (the tab named by
    `chart.data_role`, or the chart's own tab), with cached values for readers that do
    not recalculate (LibreOffice, viewers)."""
    cats = _categories(chart, data, epoch)
    series = "".join(_series(chart, data, i, s, cats) for i, s in enumerate(chart.series))
    title = xml_text(chart.title)
    dated = "numRef" in cats[:20]
    if chart.kind == "line":
        plot = f'<c:lineChart><c:grouping val="standard"/><c:varyColors val="0"/>{series}'
        plot += '<c:marker val="1"/>'
    else:
        direction = "bar" if chart.kind == "bar" else "col"
        plot = (
            f'<c:barChart><c:barDir val="{direction}"/><c:grouping val="clustered"/>'
            f'<c:varyColors val="0"/>{series}<c:gapWidth val="40"/>'
        )
    plot += '<c:axId val="500000001"/><c:axId val="500000002"/>'
    plot += "</c:lineChart>" if chart.kind == "line" else "</c:barChart>"
    reverse = "maxMin" if chart.kind == "bar" else "minMax"
    cat_pos, val_pos = ("l", "b") if chart.kind == "bar" else ("b", "l")
    cat_fmt = '<c:numFmt formatCode="d mmm" sourceLinked="0"/>' if dated else ""
    legend = (
        '<c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend>'
        if chart.legend == "bottom"
        else ""
    )
    return (
        _DECL + f'<c:chartSpace xmlns:c="{_NS_C}" xmlns:a="{_NS_A}" xmlns:r="{NS_REL}">'
        '<c:roundedCorners val="0"/><c:chart>'
        f'<c:title><c:tx><c:rich><a:bodyPr/><a:p><a:pPr><a:defRPr sz="1200" b="1"/></a:pPr>'
        f'<a:r><a:rPr lang="en-US" sz="1200" b="1"/><a:t>{title}</a:t></a:r></a:p></c:rich>'
        '</c:tx><c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/><c:plotArea>'
        f"{plot}"
        '<c:catAx><c:axId val="500000001"/><c:scaling><c:orientation '
        f'val="{reverse}"/></c:scaling><c:delete val="0"/><c:axPos val="{cat_pos}"/>{cat_fmt}'
        '<c:majorTickMark val="none"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        '<c:crossAx val="500000002"/><c:crosses val="autoZero"/><c:auto val="1"/>'
        '<c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
        '<c:valAx><c:axId val="500000002"/><c:scaling><c:orientation val="minMax"/>'
        f'</c:scaling><c:delete val="0"/><c:axPos val="{val_pos}"/><c:majorGridlines/>'
        '<c:numFmt formatCode="#,##0" sourceLinked="0"/><c:majorTickMark val="none"/>'
        '<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/><c:crossAx val="500000001"/>'
        '<c:crosses val="autoZero"/><c:crossBetween val="between"/></c:valAx></c:plotArea>'
        f'{legend}<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>'
    ).encode()
