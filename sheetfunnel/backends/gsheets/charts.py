"""The charts of our tabs (the funnel, the funnel over time) as Sheets basic charts: fixed
ids, added, updated or moved only when they differ from what the metadata read shows."""

from __future__ import annotations

from typing import Any

from sheetfunnel.backends.base import Chart, OwnedTab

from . import formats
from .changes import Changes
from .model import ReadState

#: Charts per tab whose ids we recognise as ours (a chart of ours past the plan's is removed).
MAX_CHARTS = 8
_TYPES = {"bar": "BAR", "column": "COLUMN", "line": "LINE"}


def chart_id(tab_name: str, index: int) -> int:
    """The first chart keeps the id of the single chart of earlier versions (updated, not
    duplicated)."""
    return formats.stable_id("chart", tab_name if index == 0 else f"{tab_name}#{index}")


def _source(sheet_id: int, chart: Chart, column: int) -> dict[str, Any]:
    grid = {
        "sheetId": sheet_id,
        "startRowIndex": chart.first_row,
        "endRowIndex": chart.last_row + 1,
        "startColumnIndex": column,
        "endColumnIndex": column + 1,
    }
    return {"sourceRange": {"sources": [{k: v for k, v in grid.items() if v}]}}


def _colour(text: str) -> dict[str, Any]:
    return {"rgbColor": formats.hex_colour(text)}


def chart_spec(sheet_id: int, chart: Chart) -> dict[str, Any]:
    """A basic chart: categories and each series from columns of an owned tab; per-point
    colours as style overrides, value labels as data labels."""
    kind = _TYPES[chart.kind]
    series = []
    for s in chart.series:
        one: dict[str, Any] = {
            "series": _source(sheet_id, chart, s.value_column),
            "targetAxis": "BOTTOM_AXIS" if kind == "BAR" else "LEFT_AXIS",
        }
        if s.colour:
            one["colorStyle"] = _colour(s.colour)
        if chart.data_labels:
            one["dataLabel"] = {
                "type": "DATA",
                "placement": "ABOVE" if kind == "LINE" else "OUTSIDE_END",
            }
        if s.point_colours:
            one["styleOverrides"] = [
                {"index": i, "colorStyle": _colour(c)} for i, c in enumerate(s.point_colours)
            ]
        series.append(one)
    return {
        "title": chart.title,
        "basicChart": {
            "chartType": kind,
            "legendPosition": "BOTTOM_LEGEND" if chart.legend == "bottom" else "NO_LEGEND",
            "headerCount": 0,
            "domains": [{"domain": _source(sheet_id, chart, chart.category_column)}],
            "series": series,
        },
    }


def chart_position(sheet_id: int, chart: Chart) -> dict[str, Any]:
    return {
        "overlayPosition": {
            "anchorCell": {
                "sheetId": sheet_id,
                "rowIndex": chart.anchor_row,
                "columnIndex": chart.anchor_column,
            },
            "widthPixels": chart.width,
            "heightPixels": chart.height,
        }
    }


def tab_charts(tab: OwnedTab, state: ReadState, out: Changes, *, new_tab: bool) -> None:
    """Each chart of `tab` added (new), updated (spec differs) or moved (position differs);
    our charts past the plan's removed. Data tabs' sheet ids come from `out.tab_ids`."""
    sheet_id = out.tab_ids[tab.role]
    for i, chart in enumerate(tab.charts):
        cid = chart_id(tab.name, i)
        data_id = out.tab_ids.get(chart.data_role or tab.role)
        if data_id is None:  # its data tab is not in this plan (turned off): no chart
            continue
        spec = chart_spec(data_id, chart)
        position = chart_position(sheet_id, chart)
        existing = None if new_tab else state.charts.get(cid)
        if existing is None:
            out.requests.append(
                {"addChart": {"chart": {"chartId": cid, "spec": spec, "position": position}}}
            )
            if not new_tab:
                out.undo_requests.append({"deleteEmbeddedObject": {"objectId": cid}})
            out.details.append(f"{tab.name}: chart '{chart.title}' added")
            continue
        old = existing[1]
        if not formats.contains(old.get("spec", {}), spec):
            out.requests.append({"updateChartSpec": {"chartId": cid, "spec": spec}})
            out.undo_requests.append(
                {"updateChartSpec": {"chartId": cid, "spec": old.get("spec", {})}}
            )
            out.details.append(f"{tab.name}: chart '{chart.title}' updated")
        if existing[0] != sheet_id or not formats.contains(old.get("position", {}), position):
            out.requests.append(
                {
                    "updateEmbeddedObjectPosition": {
                        "objectId": cid,
                        "newPosition": position,
                        "fields": "*",
                    }
                }
            )
            out.undo_requests.append(
                {
                    "updateEmbeddedObjectPosition": {
                        "objectId": cid,
                        "newPosition": old.get("position", {}),
                        "fields": "*",
                    }
                }
            )
            out.details.append(f"{tab.name}: chart '{chart.title}' moved")
    if new_tab:
        return
    for i in range(len(tab.charts), MAX_CHARTS):
        cid = chart_id(tab.name, i)
        if (found := state.charts.get(cid)) is not None:
            out.requests.append({"deleteEmbeddedObject": {"objectId": cid}})
            old = {k: v for k, v in found[1].items() if k in ("chartId", "spec", "position")}
            out.undo_requests.append({"addChart": {"chart": old}})
            out.details.append(f"{tab.name}: chart removed")
