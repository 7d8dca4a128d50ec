"""Rows that move while a write is in flight: who is who (identities), and the value blocks
that put every contact's managed cells back on its own row. Pure: no I/O.

A row is identified by its key cell, or, when there is no key column or keys repeat, by all
of the user's cells in it (every column that is not ours). A sort, insert or delete that lands
between our reads and our writes is then repaired by writing each managed column whole, in the
new row order, each value following its row's identity.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sheetfunnel.backends.base import WritePlan
from sheetfunnel.errors import InputError

from .changes import Block, Changes, cell_at
from .model import Raw, ReadState, col_letter, quote, same, to_json
from .reading import header_names

Identity = tuple[Raw, ...]
Grid = tuple[tuple[Raw, ...], ...]


def trim(values: Sequence[Raw]) -> list[Raw]:
    """Cells with "" as None and trailing empties dropped (how the API returns a row)."""
    out = [None if v == "" else v for v in values]
    while out and out[-1] is None:
        out.pop()
    return out


@dataclass(frozen=True)
class Layout:
    """How to tell rows apart in the contacts tab, fixed once per write."""

    key_column: int | None  # None: identify rows by all of the user's cells
    ours: frozenset[int]  # columns that are sheetfunnel's (excluded from row identities)
    header_row: int

    def identity(self, row: Sequence[Raw]) -> Identity:
        if self.key_column is not None:
            v = row[self.key_column] if self.key_column < len(row) else None
            return (None if v == "" else v,)
        return tuple(trim([None if c in self.ours else v for c, v in enumerate(row)]))

    def identities(self, grid: Grid, count: int | None = None) -> list[Identity]:
        """Identities of the data rows of a whole-tab grid (`count` rows, or all)."""
        body = list(grid[self.header_row :])
        if count is not None:
            body += [()] * (count - len(body))
            body = body[:count]
        return _trim_rows([self.identity(r) for r in body])


def _trim_rows(ids: list[Identity]) -> list[Identity]:
    while ids and all(v is None for v in ids[-1]):
        ids.pop()
    return ids


def layout(plan: WritePlan, state: ReadState, changes: Changes, key_column: int | None) -> Layout:
    """Key column when its keys tell every row apart, else whole rows of the user's cells."""
    info = state.sheet(plan.sheet)
    marked = {m.column for m in state.marks if info and m.sheet_id == info.sheet_id}
    ours = frozenset(marked | set(changes.placed.values()))
    keys = [None if k == "" else k for k in plan.keys]
    present = [k for k in keys if k is not None]
    unique = len(set(map(repr, present))) == len(present) and len(present) >= len(keys) - 1
    return Layout(key_column if unique else None, ours, plan.header_row)


def read_identities(plan: WritePlan, state: ReadState, lay: Layout) -> list[Identity]:
    """The identity of each data row as read (row i holds plan value i)."""
    return lay.identities(state.grids.get(plan.sheet, ()))


def expected_header(plan: WritePlan, state: ReadState, changes: Changes) -> list[Raw]:
    """The header row once our header cells are written."""
    grid = state.grids.get(plan.sheet, ())
    row = list(grid[plan.header_row - 1]) if len(grid) >= plan.header_row else []
    for col in plan.columns:
        c = changes.placed[col.field]
        row += [None] * (c + 1 - len(row))
        row[c] = col.header
    return trim(row)


def match(fresh: list[Identity], aligned: list[Identity]) -> list[int | None]:
    """For each fresh row, the index of the aligned row it is (the k-th occurrence of an
    identity to the k-th); an edited row left unmatched pairs with the unmatched row that
    stood at its place."""
    where: dict[str, list[int]] = defaultdict(list)
    for i, ident in enumerate(aligned):
        where[repr(ident)].append(i)
    out: list[int | None] = []
    for ident in fresh:
        queue = where.get(repr(ident))
        out.append(queue.pop(0) if queue else None)
    used = {i for i in out if i is not None}
    for r, i in enumerate(out):
        if i is None and r < len(aligned) and r not in used:
            out[r] = r
            used.add(r)
    return out


def moved(fresh: list[Identity], aligned: list[Identity]) -> bool:
    return len(fresh) != len(aligned) or any(
        len(a) != len(b) or not all(same(x, y) for x, y in zip(a, b, strict=True))
        for a, b in zip(fresh, aligned, strict=True)
    )


def realign(
    plan: WritePlan,
    changes: Changes,
    values: dict[str, list[Raw]],
    pairing: list[int | None],
    extent: int,
    rows: int | None = None,
) -> list[Block]:
    """Every managed column written whole for the new row order: row r gets the values of
    the row it was (`pairing[r]`), a row nobody knows gets empty cells, rows past the end
    down to `extent` are cleared (within the grid's `rows`, when known)."""
    h = plan.header_row
    height = max(len(pairing), extent)
    if rows is not None:  # the grid as it is now (a user may have deleted rows meanwhile)
        height = min(height, max(rows - h, len(pairing)))
    blocks = []
    for col in plan.columns:
        if col.editable:  # the user's cells: they moved with their rows already
            continue
        column = values[col.field]
        cells: list[list[Raw]] = []
        for r in range(height):
            i = pairing[r] if r < len(pairing) else None
            cells.append([column[i] if i is not None and i < len(column) else ""])
        c = changes.placed[col.field]
        blocks.append(Block(plan.sheet, h + 1, c, cells, changes.column_ids.get(c)))
    return blocks


def planned(plan: WritePlan) -> dict[str, list[Raw]]:
    """The plan's managed values per field, as sent."""
    return {col.field: [to_json(v) for v in col.values] for col in plan.columns if not col.editable}


def as_read(
    plan: WritePlan, state: ReadState, changes: Changes, count: int
) -> dict[str, list[Raw]]:
    """The managed cells as read (what a rollback puts back), per field, `count` rows."""
    grid = state.grids.get(plan.sheet, ())
    h = plan.header_row
    return {
        col.field: [
            "" if (v := cell_at(grid, h + i, changes.placed[col.field])) is None else v
            for i in range(count)
        ]
        for col in plan.columns
        if not col.editable
    }


@dataclass(frozen=True)
class Guard:
    """What the row-order checks compare against, fixed before the first write."""

    plan: WritePlan
    state: ReadState
    changes: Changes
    layout: Layout
    read_header: list[Raw]
    expected_header: list[Raw]
    read_ids: list[Identity]
    extent: int  # data rows whose managed cells a realignment rewrites


def guard(plan: WritePlan, state: ReadState, changes: Changes) -> Guard:
    """What to check before and after writing `plan`: the key column (when its keys tell
    rows apart), the header row as read and as it will be, each row's identity."""
    grid = state.grids.get(plan.sheet, ())
    h = plan.header_row
    header = grid[h - 1] if len(grid) >= h else ()
    key_col = None
    if plan.key_header:
        key_col = next((c for c, n in header_names(header) if n == plan.key_header), None)
        if key_col is None:
            raise InputError(
                f"Key column '{plan.key_header}' not found in tab '{plan.sheet}'.",
                sheet=plan.sheet,
                column=plan.key_header,
            )
    lay = layout(plan, state, changes, key_col)
    read_ids = read_identities(plan, state, lay)
    return Guard(
        plan,
        state,
        changes,
        lay,
        trim(header),
        expected_header(plan, state, changes),
        read_ids,
        max(len(plan.keys), len(grid) - h, len(read_ids)),
    )


def snapshot_ranges(g: Guard) -> list[str]:
    """What one row-order check reads: header row and key column, or the whole tab."""
    q, h, lay = quote(g.plan.sheet), g.plan.header_row, g.layout
    if lay.key_column is None:
        return [q]
    letter = col_letter(lay.key_column)
    return [f"{q}!{h}:{h}", f"{q}!{letter}{h + 1}:{letter}"]


def grid_height(echoed: str) -> int | None:
    """The sheet's row count from a range the API echoes (clamped to the grid: 'X'!A2:A1000)."""
    m = re.search(r"(\d+)$", echoed)
    return int(m.group(1)) if m else None


def parse_snapshot(g: Guard, got: list[Grid]) -> tuple[list[Raw], list[Identity]]:
    """(header row, identities of the data rows) from what `snapshot_ranges` read."""
    h, lay = g.plan.header_row, g.layout
    if lay.key_column is None:
        grid = got[0] if got else ()
        return trim(grid[h - 1] if len(grid) >= h else ()), lay.identities(grid)
    head, keys = [*got, (), ()][:2]
    column = tuple((None,) * lay.key_column + (r[0] if r else None,) for r in keys)
    return trim(head[0] if head else ()), lay.identities(((),) * h + column)
