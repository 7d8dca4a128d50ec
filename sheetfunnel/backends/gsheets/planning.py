"""Compare a WritePlan with what was read and work out the fewest writes that reach it.

Pure: no I/O. The result says what to send (structure requests, value blocks), what to
describe, and how to undo the structure if the value writes fail afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sheetfunnel.backends.base import ManagedColumn, WritePlan
from sheetfunnel.errors import InputError

from . import formats
from .changes import Block, Changes, cell_at
from .charts import tab_charts
from .columns import column_marks, make_room
from .model import Raw, ReadState, SheetInfo, col_letter, same, to_json
from .presentation import column_presentation, replace_rules
from .tabs import owned_tab, tab_id

#: Changed cells closer than this in one column are sent as one range (fewer ranges).
MERGE_GAP = 16


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for r in rows:
        if runs and r - runs[-1][1] <= MERGE_GAP:
            runs[-1] = (runs[-1][0], r)
        else:
            runs.append((r, r))
    return runs


def _column_free(grid: tuple[tuple[Raw, ...], ...], c: int) -> bool:
    return all(cell_at(grid, r, c) in (None, "") for r in range(len(grid)))


def place_columns(plan: WritePlan, state: ReadState, info: SheetInfo) -> dict[str, int]:
    """Column of each managed field: the column marked for it wherever the user moved it;
    else the pinned letter when that column is empty; else the next column after the used
    width. A column that is not marked ours and has a header is never written."""
    grid = state.grids.get(plan.sheet, ())
    h = plan.header_row
    marked = {m.column for m in state.marks if m.sheet_id == info.sheet_id and m.field}
    taken = set(marked)
    width = max((len(r) for r in grid), default=0)
    placed: dict[str, int] = {}
    for col in plan.columns:
        c = state.column_for(info.sheet_id, col.field)
        if c is None and col.letter:
            pinned = _letter_index(col.letter)
            if pinned not in taken and _column_free(grid, pinned):
                c = pinned
        if c is None:
            c = width
            while c in taken:
                c += 1
        if c not in marked:
            current = cell_at(grid, h - 1, c)
            if current not in (None, "") and str(current).strip():
                raise InputError(
                    f"Column {col_letter(c)} of tab '{plan.sheet}' ('{current}') is not "
                    f"sheetfunnel's: it will not be overwritten. Choose another header or "
                    f"letter in output.columns.{col.field}.",
                    sheet=plan.sheet,
                    column=str(current),
                )
        taken.add(c)
        placed[col.field] = c
    return placed


def _letter_index(letters: str) -> int:
    n = 0
    for ch in letters.strip().upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def changed_rows(below: list[Raw], wanted: list[Raw], first: int) -> list[int]:
    """Rows (`first` + index) whose cell as read is not `same` as the one wanted (`below` at
    least as long as `wanted`); equal cells of one type settled without a call."""
    return [
        first + i
        for i, (now, value) in enumerate(zip(below, wanted, strict=False))
        if not (type(now) is type(value) and now == value) and not same(now, value)
    ]


def column_cells(
    grid: Sequence[Sequence[Raw]], col: ManagedColumn, c: int, header_row: int
) -> tuple[list[Raw | None], list[Raw]]:
    """(the cells under the header of column `c` as read, the values they must hold), of one
    length: our values, then "" over what is left below them. An editable column's cells
    are the user's: none read, none wanted."""
    h = header_row
    if col.editable:  # the user's to type: only its header is ours to write
        below: list[Raw | None] = []
    else:
        below = [row[c] if c < len(row) else None for row in grid[h:]]  # as read
    extent = len(col.values)
    for i in range(len(below) - 1, extent - 1, -1):
        if below[i] not in (None, ""):
            extent = i + 1
            break
    wanted = [to_json(v) for v in col.values] + [""] * (extent - len(col.values))
    below += [None] * (len(wanted) - len(below))
    return below, wanted


def managed_blocks(plan: WritePlan, state: ReadState, placed: dict[str, int], out: Changes) -> None:
    grid = state.grids.get(plan.sheet, ())
    h = plan.header_row
    for col in plan.columns:
        c = placed[col.field]
        changed: list[int] = []  # 0-based sheet rows
        header_now = cell_at(grid, h - 1, c)
        if not (isinstance(header_now, str) and header_now.strip() == col.header):
            changed.append(h - 1)
        below, wanted = column_cells(grid, col, c, h)
        changed += changed_rows(below, wanted, h)
        if not changed:
            continue
        if col.editable:  # `below` left empty: the cells as read, for undo
            below = [cell_at(grid, r, c) for r in range(h, changed[-1] + 1)]
        count = 0
        for r0, r1 in _runs(changed):
            values: list[list[Raw]] = []
            old: list[list[Raw]] = []
            if r0 == h - 1:  # the header cell
                values.append([col.header])
                old.append(["" if header_now is None else header_now])
            first = max(r0, h) - h
            values += [[v] for v in wanted[first : r1 - h + 1]]
            old += [["" if v is None else v] for v in below[first : r1 - h + 1]]
            out.blocks.append(Block(plan.sheet, r0 + 1, c, values))
            out.undo_blocks.append(Block(plan.sheet, r0 + 1, c, old))
            count += len(values)
        out.cells += count
        out.details.append(
            f"{plan.sheet}: {len(changed)} changed cells in '{col.header}' (column {col_letter(c)})"
        )


def stage_rules(
    plan: WritePlan, state: ReadState, info: SheetInfo, placed: dict[str, int], out: Changes
) -> None:
    """Our stage rules on the contacts tab left alone when right, else replaced."""
    wanted: list[tuple[formats.Signature, dict[str, Any]]] = []
    if plan.stage_colours:
        field = next((m.field for m in plan.columns if m.header == plan.stage_header), None)
        c = placed.get(field) if field else None
        if c is None:  # a column of the user's (e.g. a hand-kept stage), found by header
            grid = state.grids.get(plan.sheet, ())
            header = grid[plan.header_row - 1] if len(grid) >= plan.header_row else ()
            c = next(
                (
                    i
                    for i, v in enumerate(header)
                    if isinstance(v, str) and v.strip() == plan.stage_header
                ),
                None,
            )
        if c is None:
            raise InputError(
                f"Stage column '{plan.stage_header}' not found in tab '{plan.sheet}'.",
                sheet=plan.sheet,
                column=plan.stage_header,
            )
        for colour in plan.stage_colours:
            wanted.append(
                (
                    formats.wanted_signature(c, plan.header_row, colour),
                    formats.stage_rule(info.sheet_id, c, plan.header_row, colour),
                )
            )
    current = list(state.rules.get(info.sheet_id, ()))
    replace_rules(info.sheet_id, info.title, current, info.rows, wanted, out)


def plan_changes(plan: WritePlan, state: ReadState) -> Changes:
    """The fewest requests that make the spreadsheet hold `plan`."""
    info = state.sheets.get(plan.sheet)
    if info is None:
        raise InputError(
            f"Tab '{plan.sheet}' not found in spreadsheet {state.key}.", sheet=plan.sheet
        )
    out = Changes()
    placed = out.placed = place_columns(plan, state, info)
    managed_blocks(plan, state, placed, out)
    need_rows = max(
        [plan.header_row + len(c.values) for c in plan.columns if not c.editable], default=0
    )
    growth = Changes()
    make_room(plan, state, info, need_rows, out, growth)
    out.requests[:0] = growth.requests  # room first: every later request may need it
    out.details[:0] = growth.details
    column_presentation(plan, state, info, need_rows, out)
    stage_rules(plan, state, info, placed, out)
    column_marks(plan, state, info, out)
    out.undo_requests += growth.undo_requests  # last: columns deleted, grid shrunk
    for block in out.blocks:
        if block.title == plan.sheet:
            block.metadata_id = out.column_ids.get(block.column)
    for block in out.undo_blocks:
        if block.title == plan.sheet:
            block.metadata_id = out.column_ids.get(block.column)
    for tab in plan.tabs:
        tab_id(tab, state, out)
    for tab in plan.tabs:
        owned_tab(tab, state, out, plan.stage_colours)
    for tab in plan.tabs:  # last: a chart may read another tab created above
        tab_charts(tab, state, out, new_tab=state.tab_for(tab.role) is None)
    return out
