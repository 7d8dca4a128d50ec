"""Where each managed column goes: the column marked for its field wherever the user moved
it, else a free pinned column, else after the last used column. Never a column of the user's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sheetfunnel.backends.base import SheetData, WritePlan
from sheetfunnel.errors import InputError, SpreadsheetError

from .cells import col_index, col_letter, normalize_values
from .sheet import Target


def _config_key(field: str) -> str:
    return f"output.columns.{field}"


def place_columns(
    plan: WritePlan,
    data: SheetData,
    headers: Mapping[int, str],
    used: Callable[[], int],
    marked: Mapping[str, int],
    first_filled: Callable[[int], str | None],
    file: str,
) -> tuple[list[Target], list[str]]:
    """A `Target` per managed column, and notes for the details of the result.

    `headers`: column -> header text of the contacts header row; `used`: the last column used
    by anything (asked only when a column must be added after it: it scans the whole sheet);
    `marked`: field -> column of the markers on the contacts tab; `first_filled`: the first
    cell with content in a column, if any.
    """
    notes: list[str] = []
    ours = set(marked.values())
    seen = {text for col, text in headers.items() if col not in ours}
    visible = seen & {str(c) for c in data.contacts.columns}
    taken: dict[int, str] = {}
    placed: dict[str, tuple[int, bool]] = {}
    for mc in plan.columns:
        if mc.field in marked:
            col = marked[mc.field]
            placed[mc.field] = (col, True)
            if mc.letter and col_index(mc.letter) != col:
                notes.append(f"{mc.header!r} kept in column {col_letter(col)} where it already is")
        elif mc.header in visible:
            col = next(c for c, t in sorted(headers.items()) if t == mc.header and c not in ours)
            raise InputError(
                f"column {col_letter(col)} of tab {plan.sheet!r} is headed {mc.header!r} but was "
                "not created by sheetfunnel, so it stays yours and is never overwritten. Choose "
                f"another header for it in the config ({_config_key(mc.field)}) or rename yours.",
                file=file,
                sheet=plan.sheet,
                column=mc.header,
            )
        elif mc.letter:
            col = col_index(mc.letter)
            if col in headers:
                raise SpreadsheetError(
                    f"column {mc.letter} of tab {plan.sheet!r} is pinned for {mc.header!r} but "
                    f"its header is {headers[col]!r}, a column of yours; sheetfunnel will not "
                    f"overwrite it. Pin another column in the config ({_config_key(mc.field)}) "
                    "or rename the header.",
                    file=file,
                    sheet=plan.sheet,
                )
            if col in ours:
                raise SpreadsheetError(
                    f"column {mc.letter} of tab {plan.sheet!r} is pinned for {mc.header!r} but "
                    "holds another of sheetfunnel's columns; pin another column in the config "
                    f"({_config_key(mc.field)}).",
                    file=file,
                    sheet=plan.sheet,
                )
            filled = first_filled(col)
            if filled is not None:
                raise SpreadsheetError(
                    f"cell {filled} of tab {plan.sheet!r} holds a value, but column {mc.letter} "
                    f"is pinned for sheetfunnel's {mc.header!r}; sheetfunnel never writes into "
                    "a column of yours. Move that content or pin another column in the config "
                    f"({_config_key(mc.field)}).",
                    file=file,
                    sheet=plan.sheet,
                )
            placed[mc.field] = (col, False)
        else:
            continue
        if col in taken:
            raise SpreadsheetError(
                f"{mc.header!r} and {taken[col]!r} would share column {col_letter(col)}",
                file=file,
                sheet=plan.sheet,
            )
        taken[col] = mc.header
    next_col = 0
    for mc in plan.columns:
        if mc.field not in placed:
            next_col = next_col or used() + 1
            while next_col in taken or next_col in ours:
                next_col += 1
            placed[mc.field] = (next_col, False)
            taken[next_col] = mc.header
    names = data.ownership.columns
    targets = []
    for mc in plan.columns:
        col, is_ours = placed[mc.field]
        targets.append(
            Target(
                header=mc.header,
                col=col,
                kind=mc.kind,
                values=normalize_values(mc.values, mc.kind),
                ours=is_ours,
                write_header=headers.get(col) != mc.header,
                frame_name=names.get(mc.field) if is_ours else None,
                field=mc.field,
                editable=mc.editable,
            )
        )
    return targets, notes
