"""One tab's rows as calamine reads them (from A1), error cells holding their codes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from pathlib import Path

import pandas as pd
from python_calamine import CalamineError, CalamineWorkbook

from sheetfunnel.errors import InputError, SpreadsheetError

from .block import build_frame, contacts_block, frame_names, header_map
from .errorcells import mark_errors, put_errors

__all__ = ["frame_from_rows", "open_workbook", "sheet_rows"]


def open_workbook(file: str) -> CalamineWorkbook:
    """calamine's workbook at `file`; SpreadsheetError when it cannot open it."""
    try:
        return CalamineWorkbook.from_path(file)
    except CalamineError as ex:
        raise SpreadsheetError(f"cannot read {Path(file).name}: {ex}", file=file) from ex


def sheet_rows(
    wb: CalamineWorkbook,
    name: str,
    file: str,
    errors: Callable[[], dict[tuple[int, int], str]] | None = None,
    turn: threading.Event | None = None,
) -> list[list]:
    """The rows of tab `name` from A1, error cells holding their codes (given by `errors`
    once the rows are made, when the tab was scanned elsewhere); with `turn`, parsed at once
    but made into Python rows only once `turn` is set."""
    if name not in wb.sheet_names:
        tabs = ", ".join(repr(n) for n in wb.sheet_names)
        raise InputError(
            f"tab {name!r} not found in {Path(file).name}; the tabs are: {tabs}",
            file=file,
            sheet=name,
        )
    try:
        sheet = wb.get_sheet_by_name(name)
        if turn is not None:
            turn.wait()
        rows = sheet.to_python(skip_empty_area=False)
        del sheet  # calamine's cells, as big again as the rows
    except CalamineError as ex:
        raise SpreadsheetError(f"cannot read tab {name!r}: {ex}", file=file, sheet=name) from ex
    if errors is None:
        return mark_errors(rows, file, name)
    return put_errors(rows, errors())


def frame_from_rows(
    rows: list[list],
    header_row: int,
    *,
    file: str,
    sheet: str,
    only: Collection[str] = (),
) -> pd.DataFrame:
    """Object frame of the data rows under `header_row` (1-based), columns = header texts:
    the contacts block of a tab with no key table and no markers (lookups, the log).

    With `only`, just the columns under those headers (matched as the engine matches them,
    ignoring case and surrounding spaces) when every one is there; otherwise every column,
    for the engine to say which is missing and where the headers might sit.
    """
    wanted = {h.strip().casefold() for h in only if h}
    if wanted:
        headers = header_map(rows[header_row - 1] if header_row <= len(rows) else [])
        names = frame_names(headers, headers, {})
        kept = {col: name for col, name in names.items() if name.strip().casefold() in wanted}
        if {name.strip().casefold() for name in kept.values()} == wanted:
            return build_frame(rows, header_row, kept, None)
    return contacts_block(rows, header_row, "", [], {}, file=file, sheet=sheet)[0]
