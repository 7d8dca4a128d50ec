"""batchUpdate requests on objects addressed by index or id: conditional-format rules,
charts, developer metadata."""

from __future__ import annotations

import copy
import random
from typing import Any

from .state import Sheet, Spreadsheet
from .values import normalise_format


class RequestError(Exception):
    """A problem with one request; becomes `Invalid requests[i].kind: message`."""


def rand_id() -> int:
    return random.randint(1, 2**31 - 1)


def clean_grid_range(gr: dict[str, Any]) -> dict[str, Any]:
    """GridRanges read back without zero fields (sheetId 0, startRowIndex 0)."""
    return {k: v for k, v in gr.items() if v not in (0, None)}


def matches(meta: dict[str, Any], lookup: dict[str, Any]) -> bool:
    """DeveloperMetadataLookup: every field given must match."""
    for key in ("metadataId", "metadataKey", "metadataValue", "visibility"):
        if key in lookup and meta.get(key) != lookup[key]:
            return False
    return True


class ObjectRequests:
    """Mixin of `Batch`: needs `self.ss`, `self.ids` and `self.sheet(sheet_id)`."""

    ss: Spreadsheet
    ids: Any

    def sheet(self, sheet_id: Any) -> Sheet:
        raise NotImplementedError

    # --- conditional formats ---
    def _rule(self, rule: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(rule)
        out["ranges"] = [clean_grid_range(r) for r in rule.get("ranges", [])]
        for kind in ("booleanRule", "gradientRule"):
            if kind in out and "format" in out[kind]:
                out[kind]["format"] = normalise_format(out[kind]["format"])
        if not out["ranges"]:
            raise RequestError("At least one range must be specified.")
        return out

    def _rule_sheet(self, rule: dict[str, Any]) -> Sheet:
        ids = {r.get("sheetId", 0) for r in rule.get("ranges", [])}
        if len(ids) != 1:
            raise RequestError("All ranges must be on the same sheet.")
        return self.sheet(ids.pop())

    def do_addConditionalFormatRule(self, body: dict[str, Any]) -> dict[str, Any]:
        rule = self._rule(body.get("rule", {}))
        sheet = self._rule_sheet(rule)
        sheet.conditional_formats.insert(body.get("index", 0), rule)
        return {}

    def do_updateConditionalFormatRule(self, body: dict[str, Any]) -> dict[str, Any]:
        sheet = self.sheet(
            body.get("sheetId", (body.get("rule", {}).get("ranges") or [{}])[0].get("sheetId"))
        )
        index = body.get("index", 0)
        if index >= len(sheet.conditional_formats):
            raise RequestError(
                f"No conditional format on sheet: {sheet.sheet_id} at index: {index}"
            )
        old = sheet.conditional_formats[index]
        if "rule" in body:
            new, new_index = self._rule(body["rule"]), index
            sheet.conditional_formats[index] = new
        else:
            new_index = body.get("newIndex", index)
            new = sheet.conditional_formats.pop(index)
            sheet.conditional_formats.insert(new_index, new)
        return {
            "updateConditionalFormatRule": {
                "newRule": copy.deepcopy(new),
                "newIndex": new_index,
                "oldRule": copy.deepcopy(old),
                "oldIndex": index,
            }
        }

    def do_deleteConditionalFormatRule(self, body: dict[str, Any]) -> dict[str, Any]:
        sheet = self.sheet(body.get("sheetId"))
        index = body.get("index", 0)
        if index >= len(sheet.conditional_formats):
            raise RequestError(
                f"No conditional format on sheet: {sheet.sheet_id} at index: {index}"
            )
        return {"deleteConditionalFormatRule": {"rule": sheet.conditional_formats.pop(index)}}

    # --- charts ---
    def _find_chart(self, chart_id: int) -> tuple[Sheet, dict[str, Any]] | None:
        for s in self.ss.sheets:
            for ch in s.charts:
                if ch["chartId"] == chart_id:
                    return s, ch
        return None

    def do_addChart(self, body: dict[str, Any]) -> dict[str, Any]:
        chart = copy.deepcopy(body.get("chart", {}))
        chart_id = chart.get("chartId") or rand_id()
        if self._find_chart(chart_id):
            raise RequestError(f"An object with the id {chart_id} already exists.")
        chart["chartId"] = chart_id
        anchor = chart.get("position", {}).get("overlayPosition", {}).get("anchorCell", {})
        sheet = self.sheet(anchor.get("sheetId"))
        sheet.charts.append(chart)
        return {"addChart": {"chart": copy.deepcopy(chart)}}

    def do_updateChartSpec(self, body: dict[str, Any]) -> dict[str, Any]:
        found = self._find_chart(body.get("chartId"))
        if not found:
            raise RequestError(f"No chart with id: {body.get('chartId')}")
        found[1]["spec"] = copy.deepcopy(body.get("spec", {}))
        return {}

    def do_updateEmbeddedObjectPosition(self, body: dict[str, Any]) -> dict[str, Any]:
        found = self._find_chart(body.get("objectId"))
        if not found:
            raise RequestError(f"No object with id: {body.get('objectId')}")
        if not body.get("fields"):
            raise RequestError("At least one field must be updated, but none were specified.")
        position = copy.deepcopy(body.get("newPosition", {}))
        anchor = position.get("overlayPosition", {}).get("anchorCell", {})
        target = self.sheet(anchor.get("sheetId"))
        found[0].charts.remove(found[1])
        found[1]["position"] = position
        target.charts.append(found[1])
        return {"updateEmbeddedObjectPosition": {"position": copy.deepcopy(position)}}

    def do_deleteEmbeddedObject(self, body: dict[str, Any]) -> dict[str, Any]:
        found = self._find_chart(body.get("objectId"))
        if not found:
            raise RequestError(f"No object with id: {body.get('objectId')}")
        found[0].charts.remove(found[1])
        return {}

    # --- developer metadata ---
    def do_createDeveloperMetadata(self, body: dict[str, Any]) -> dict[str, Any]:
        meta = copy.deepcopy(body.get("developerMetadata", {}))
        if not meta.get("metadataKey"):
            raise RequestError("metadataKey is required")
        loc = meta.setdefault("location", {})
        if "dimensionRange" in loc:
            dr = loc["dimensionRange"]
            self.sheet(dr.get("sheetId"))
            loc["locationType"] = "COLUMN" if dr.get("dimension") == "COLUMNS" else "ROW"
        elif "sheetId" in loc:
            self.sheet(loc["sheetId"])
            loc["locationType"] = "SHEET"
        else:
            loc["spreadsheet"] = True
            loc["locationType"] = "SPREADSHEET"
        meta.setdefault("visibility", "DOCUMENT")
        meta["metadataId"] = meta.get("metadataId") or self.ids.next("metadata", rand_id)
        self.ss.metadata.append(meta)
        return {"createDeveloperMetadata": {"developerMetadata": copy.deepcopy(meta)}}

    def do_deleteDeveloperMetadata(self, body: dict[str, Any]) -> dict[str, Any]:
        lookup = body.get("dataFilter", {}).get("developerMetadataLookup", {})
        gone = [m for m in self.ss.metadata if matches(m, lookup)]
        self.ss.metadata = [m for m in self.ss.metadata if not matches(m, lookup)]
        return {"deleteDeveloperMetadata": {"deletedDeveloperMetadata": gone}}
