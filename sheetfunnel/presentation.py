"""How the managed columns read: widths from their content, number formats, and the
override column sheetfunnel creates (with a drop-down of the stage names) when the config
names one the sheet lacks."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from .backends.base import OVERRIDE_FIELD, CellValue, ManagedColumn, SheetData
from .config import Config

#: Number format of each managed field (None: text).
FORMATS: dict[str, str | None] = {
    "score": "0",
    "fit": "0",
    "engagement": "0",
    "stage": None,
    "stage_since": "yyyy-mm-dd",
    "next_action": None,
    "why": None,
}
#: The widest a managed column gets, in characters (Why is read on one line).
MAX_WIDTH = {"why": 100.0, "next_action": 60.0}
DEFAULT_MAX = 40.0
DATE_WIDTH = 10  # yyyy-mm-dd


def width_for(field: str, header: str, values: tuple[CellValue, ...], kind: str) -> float:
    """Characters needed by the header and the longest value, plus a margin (Excel's
    autofilter arrow sits on the header)."""
    if kind == "date":
        longest = DATE_WIDTH
    else:
        if kind == "number":  # scores repeat: each distinct one (1 and 1.0 apart) made text once
            values = tuple({(v.__class__, v): v for v in values}.values())
        if set(map(type, values)) <= {str, type(None)}:  # a text column: one pass in C
            longest = max(map(len, filter(None, values)), default=0)
        else:
            shown = (v for v in values if v is not None and not (isinstance(v, float) and v != v))
            longest = max((len(str(v)) for v in shown), default=0)
    wanted = max(len(header) + 3, longest + 2, 8)
    return float(min(wanted, MAX_WIDTH.get(field, DEFAULT_MAX)))


def present(column: ManagedColumn) -> ManagedColumn:
    """`column` with its number format and a width fitted to its content."""
    return replace(
        column,
        number_format=FORMATS.get(column.field),
        width=width_for(column.field, column.header, column.values, column.kind),
    )


@dataclass(frozen=True)
class Override:
    """The override column: `column` to put in the plan (None: the user's own column, or
    none configured); `frame_name`: its name in the contacts frame when marked ours."""

    column: ManagedColumn | None
    frame_name: str | None


def _find(columns: pd.Index, header: str) -> str | None:
    folded = {str(c).strip().casefold(): c for c in columns}
    return folded.get(header.strip().casefold())


def override_column(config: Config, data: SheetData, taken: set[str]) -> Override:
    """Our override column, created (and marked) when the config names one the sheet
    lacks; kept, with its drop-down of the stage names, once it is ours. `taken`: the
    headers of our other columns (folded), which it must not repeat."""
    header = (config.columns.stage_override or "").strip()
    if not header or header.casefold() in taken:
        return Override(None, None)
    marked = data.ownership.columns.get(OVERRIDE_FIELD)
    if marked not in data.contacts.columns:
        marked = None
    others = data.contacts.columns.drop(marked) if marked is not None else data.contacts.columns
    if _find(others, header) is not None:
        return Override(None, None)  # the user's own column: theirs to format
    stages = tuple(s.name for s in config.all_stages())
    width = float(max(len(header) + 3, max(len(s) for s in stages) + 4))
    column = ManagedColumn(
        field=OVERRIDE_FIELD,
        header=header,
        kind="text",
        values=(),
        width=width,
        validation=stages,
        editable=True,
    )
    return Override(column, marked)


def engine_contacts(
    contacts: pd.DataFrame, ours: list[str], override: Override, config: Config
) -> pd.DataFrame:
    """The contacts the engine scores: without our managed columns, with our override column
    under its configured header."""
    keep = [c for c in ours if c != override.frame_name]
    frame = contacts.drop(columns=keep)
    header = (config.columns.stage_override or "").strip()
    if override.column is None or override.frame_name is None:
        return frame
    if override.frame_name != header:
        frame = frame.rename(columns={override.frame_name: header})
    return frame


def engine_config(config: Config, override: Override) -> Config:
    """The config the engine scores with: without the override column while this sync is
    creating it (so the run does not report it as missing from the sheet)."""
    if override.column is None or override.frame_name is not None:
        return config
    columns = config.columns.model_copy(update={"stage_override": None})
    return config.model_copy(update={"columns": columns})
