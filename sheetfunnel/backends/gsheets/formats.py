"""Stage colours as conditional-format rules, built and recognised; stable ids; comparing a
spec we want with one read back."""

from __future__ import annotations

import re
import zlib
from typing import Any

from sheetfunnel.backends.base import StageColour

from .model import col_letter

_FORMULA = re.compile(r'^=\$([A-Z]{1,3})(\d+)="((?:[^"]|"")*)"$')

#: (column, first data row index, stage, fill rgb8, font rgb8 or None): what makes a rule ours.
Signature = tuple[int, int, str, tuple[int, int, int], tuple[int, int, int] | None]


def hex_colour(text: str) -> dict[str, float]:
    """'#RRGGBB' -> API Color (channels 0..1)."""
    h = text.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return {"red": r / 255, "green": g / 255, "blue": b / 255}


def rgb8(colour: dict[str, Any] | None) -> tuple[int, int, int]:
    """Compare colours at the 8-bit precision the API stores (zero channels are omitted)."""
    colour = colour or {}
    return tuple(round(float(colour.get(c, 0)) * 255) for c in ("red", "green", "blue"))  # type: ignore[return-value]


def _hex8(text: str) -> tuple[int, int, int]:
    h = text.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def stage_rule(sheet_id: int, column: int, first_row: int, colour: StageColour) -> dict[str, Any]:
    """One CUSTOM_FORMULA rule: open-ended range from `first_row` (0-based) down the column."""
    stage = colour.stage.replace('"', '""')
    fmt: dict[str, Any] = {"backgroundColor": hex_colour(colour.fill)}
    if colour.font:
        fmt["textFormat"] = {"foregroundColor": hex_colour(colour.font)}
    return {
        "ranges": [
            {
                "sheetId": sheet_id,
                "startRowIndex": first_row,
                "startColumnIndex": column,
                "endColumnIndex": column + 1,
            }
        ],
        "booleanRule": {
            "condition": {
                "type": "CUSTOM_FORMULA",
                "values": [
                    {"userEnteredValue": f'=${col_letter(column)}{first_row + 1}="{stage}"'}
                ],
            },
            "format": fmt,
        },
    }


def wanted_signature(column: int, first_row: int, colour: StageColour) -> Signature:
    return (
        column,
        first_row,
        colour.stage,
        _hex8(colour.fill),
        _hex8(colour.font) if colour.font else None,
    )


def signature(
    rule: dict[str, Any], sheet_id: int, grid_rows: int | None = None
) -> Signature | None:
    """The rule's signature if it has exactly the shape sheetfunnel writes, else None (a
    user's rule, left alone). An end row at or past the grid's last row still counts as
    open-ended (in case the API echoes the open range clamped)."""
    ranges = rule.get("ranges") or []
    boolean = rule.get("booleanRule") or {}
    condition = boolean.get("condition") or {}
    values = condition.get("values") or []
    if len(ranges) != 1 or condition.get("type") != "CUSTOM_FORMULA" or len(values) != 1:
        return None
    gr = ranges[0]
    start_col = gr.get("startColumnIndex", 0)
    start_row = gr.get("startRowIndex", 0)
    if (
        gr.get("sheetId", 0) != sheet_id
        or ("endRowIndex" in gr and (grid_rows is None or gr["endRowIndex"] < grid_rows))
        or gr.get("endColumnIndex") != start_col + 1
    ):
        return None
    m = _FORMULA.match(str(values[0].get("userEnteredValue", "")))
    if not m or m.group(1) != col_letter(start_col) or int(m.group(2)) != start_row + 1:
        return None
    fmt = boolean.get("format") or {}
    if set(fmt) - {"backgroundColor", "backgroundColorStyle", "textFormat"}:
        return None
    fill = fmt.get("backgroundColor") or (fmt.get("backgroundColorStyle") or {}).get("rgbColor")
    text = fmt.get("textFormat") or {}
    font = text.get("foregroundColor") or (text.get("foregroundColorStyle") or {}).get("rgbColor")
    return (
        start_col,
        start_row,
        m.group(3).replace('""', '"'),
        rgb8(fill),
        rgb8(font) if font is not None else None,
    )


def stable_id(kind: str, name: str) -> int:
    """A fixed positive 31-bit id for our chart / tab, the same on every run."""
    return zlib.crc32(f"sheetfunnel:{kind}:{name}".encode()) & 0x7FFFFFFF or 1


def contains(actual: Any, wanted: Any) -> bool:
    """Does `actual` (as read back, with the API's own defaults added) hold all of `wanted`?
    Zero/absent are the same (the API omits zero fields); numbers match to 1e-6 (colours come
    back at the API's own float precision)."""
    if isinstance(wanted, dict):
        if not isinstance(actual, dict):
            return False
        return all(
            contains(actual.get(k), v) if v not in (0, None) else actual.get(k) in (0, None)
            for k, v in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(wanted)
            and all(contains(a, w) for a, w in zip(actual, wanted, strict=True))
        )
    if isinstance(wanted, float) or isinstance(actual, float):
        return isinstance(actual, int | float) and abs(float(actual) - float(wanted)) < 1e-6
    return bool(actual == wanted)
