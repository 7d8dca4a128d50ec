"""The oracle of the scenario suite: after a sync, is every contact row exactly what the engine
computes for that contact, does History hold exactly the real stage changes, and did no cell
the user owns change?

It reads the spreadsheet back independently (`Editor.grid`: python-calamine on the saved
workbook, values.get on the Sheets emulator), asks the backend only which columns and tabs
its markers say are ours (`read(...).ownership`), feeds the user's columns and the activity
log to `sheetfunnel.engine.score`, and compares cell by cell. `Memory` carries, per contact,
the stage and Stage since of the previous sync, kept by the test itself.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from sheetfunnel.backends.base import MANAGED_FIELDS, Backend, CellValue, Ownership, unnamed_column
from sheetfunnel.config import Config
from sheetfunnel.engine import Results, score
from sheetfunnel.sync import SyncReport

from .editor import Block, Editor, Grid, as_date

NUMBER_FIELDS = ("score", "fit", "engagement")
TEXT_FIELDS = ("stage", "next_action", "why")
#: What our name gets beside a column or tab of the user's bearing it (README).
CLASH = "sheetfunnel"
#: How many typed values a warning must list one by one (README: "listing the contacts").
LISTED = 5
#: How many mismatches an assertion message lists.
SHOWN = 12


def fold(key: object) -> str:
    """A contact key as the engine matches it: trimmed, any case."""
    return str(key).strip().casefold()


@dataclass
class Memory:
    """What the test knows of the previous sync: per folded contact key, its stage and Stage
    since date. `synced` is False before the first sync."""

    synced: bool = False
    stages: dict[str, str] = field(default_factory=dict)
    since: dict[str, dt.date] = field(default_factory=dict)


@dataclass(frozen=True)
class Table:
    """A tab's header row and data rows as the contract names them: header text stripped,
    blank headers dropped, a repeated header gets " (2)", " (3)"; rows by 1-based sheet row."""

    columns: dict[str, int]  # name -> 0-based column position
    rows: dict[int, list[CellValue]]  # sheet row -> cells
    headers: list[str]  # the header row's texts, stripped, by position

    def frame(self, rows: list[int] | None = None, keep: set[int] | None = None) -> pd.DataFrame:
        """The cells as a frame (columns named, index = sheet rows): every row and column,
        or the `rows` and the column positions in `keep`."""
        names = [n for n, i in self.columns.items() if keep is None or i in keep]
        index = list(self.rows) if rows is None else rows
        data = [[self.rows[r][self.columns[n]] for n in names] for r in index]
        frame = pd.DataFrame(data, columns=names, index=index, dtype=object)
        return frame.astype(object).where(frame.notna(), None)

    def block(self, block: Block | None) -> list[int]:
        """The rows of the contacts block: all, or those of the table bounding it."""
        if block is None:
            return list(self.rows)
        return [r for r in self.rows if block.first_row <= r <= block.last_row]

    def inputs(self, block: Block | None, ours: set[int]) -> set[int]:
        """Positions of the columns the engine reads: the user's, in the table if any."""
        return {
            i
            for i in self.columns.values()
            if i not in ours and (block is None or block.first_col <= i <= block.last_col)
        }


def table(grid: Grid, header_row: int = 1) -> Table:
    """The block under `header_row`: every row down to the last one holding a value."""
    header = grid[header_row - 1] if len(grid) >= header_row else []
    columns: dict[str, int] = {}
    for i, cell in enumerate(header):
        text = "" if cell is None else str(cell).strip()
        if not text:
            continue
        name, n = text, 1
        while name in columns:
            n += 1
            name = f"{text} ({n})"
        columns[name] = i
    body = grid[header_row:]
    last = max((i for i, r in enumerate(body) if any(v is not None for v in r)), default=-1)
    width = len(header)
    rows = {
        header_row + 1 + i: list(r) + [None] * (width - len(r))
        for i, r in enumerate(body[: last + 1])
    }
    texts = ["" if v is None else str(v).strip() for v in header]
    return Table(columns, rows, texts)


def ours_in(contacts: Table, grid: Grid, ownership: Ownership) -> dict[str, int]:
    """Managed field -> column position, for the columns the markers say are ours."""
    found: dict[str, int] = {}
    for managed, name in ownership.columns.items():
        if name in contacts.columns:
            found[managed] = contacts.columns[name]
        elif name == unnamed_column(managed):  # our header cell emptied: a blank header
            blanks = [i for i, v in enumerate(grid[0]) if v is None or not str(v).strip()]
            assert len(blanks) == 1, f"cannot tell which blank-header column is {name!r}"
            found[managed] = blanks[0]
        else:
            raise AssertionError(
                f"the markers name column {name!r} for {managed!r}, which the header row "
                f"{list(contacts.columns)} does not hold"
            )
    return found


@dataclass(frozen=True)
class Snapshot:
    """What the user owns, taken after an edit and before the sync; and the History rows."""

    #: (sheet row, user column name) -> value; in rows outside the contacts block (below a
    #: table) also (sheet row, "ours:<field>"): those cells are the user's too.
    cells: dict[tuple[int, str], CellValue]
    keys: dict[int, CellValue]  # sheet row -> key cell, for messages
    tabs: dict[str, Grid]  # every tab of the user's other than the contacts tab
    history: Grid  # the marked History tab's rows ([] when there is none)


def ownership(backend: Backend, config: Config) -> Ownership:
    src = config.source
    data = backend.read(
        src.contacts_tab,
        src.header_row,
        src.activities_tab,
        src.activities_header_row,
        key_header=config.columns.key,
    )
    return data.ownership


def user_columns(contacts: Table, ours: set[int]) -> dict[str, int]:
    """The user's columns by header text ("X #2" for the second of the user's columns headed
    "X"), stable across a sync that renames ours away from the user's ("Stage (2)" of the
    frame becomes "Stage" once ours is "Stage (sheetfunnel)")."""
    out: dict[str, int] = {}
    for i in sorted(i for i in contacts.columns.values() if i not in ours):
        text = contacts.headers[i]
        name, n = text, 1
        while name in out:
            n += 1
            name = f"{text} #{n}"
        out[name] = i
    return out


def snapshot(editor: Editor, backend: Backend, config: Config) -> Snapshot:
    marks = ownership(backend, config)
    grid = editor.grid(config.source.contacts_tab)
    contacts = table(grid, config.source.header_row)
    ours = ours_in(contacts, grid, marks)
    user = user_columns(contacts, set(ours.values()))
    key_at = contacts.columns.get(config.columns.key)
    cells = {(r, n): row[i] for r, row in contacts.rows.items() for n, i in user.items()}
    inside = set(contacts.block(editor.contacts_block()))
    for r, row in contacts.rows.items():
        if r not in inside:
            cells.update({(r, f"ours:{f}"): row[i] for f, i in ours.items()})
    keys = {r: row[key_at] if key_at is not None else None for r, row in contacts.rows.items()}
    owned_titles = set(marks.tabs.values())
    tabs = {
        t: editor.grid(t)
        for t in editor.tab_titles()
        if t not in owned_titles and t != config.source.contacts_tab
    }
    history = editor.grid(marks.tabs["history"]) if "history" in marks.tabs else []
    return Snapshot(cells, keys, tabs, history)


def expected_why(config: Config, person: pd.Series) -> str:
    """The Why text the sheet must show: the engine's reasons; a stage set by hand says so
    and names the computed stage; an override that names no stage says it was ignored."""
    why = str(person["why"])
    tail = f"; {why}" if why else ""
    if bool(person["overridden"]):
        return f"Stage set by hand (computed: {person['computed_stage']}){tail}"
    typed = person.get("stage_override")
    if typed is not None and not pd.isna(typed) and str(typed).strip():
        stages = ", ".join(s.name for s in config.all_stages())
        return f"Override {str(typed).strip()!r} is not a stage (ignored; stages: {stages}){tail}"
    return why


def _number_matches(actual: CellValue, expected: object) -> bool:
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return actual is None
    if isinstance(actual, bool) or not isinstance(actual, int | float):
        return False
    return math.isclose(float(actual), float(expected), rel_tol=1e-9, abs_tol=1e-9)


def _plain(value: object) -> object:
    """numpy scalars as plain Python values, for readable messages."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _listed(problems: list[str]) -> str:
    more = f"\n  ... and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
    return "\n  " + "\n  ".join(problems[:SHOWN]) + more


@dataclass(frozen=True)
class Check:
    """The result of one sync's check: the engine's results, the next `Memory`, and how much
    was compared (contact rows, History rows appended)."""

    results: Results
    memory: Memory
    rows: int = 0
    moves: int = 0


def check_sync(
    *,
    step: str,
    editor: Editor,
    backend: Backend,
    config: Config,
    day: dt.date,
    memory: Memory,
    before: Snapshot,
    report: SyncReport | None = None,
    typed: Mapping[str, str] = {},
    remember: Callable[[Memory], None] = lambda memory: None,
) -> Check:
    """Every invariant of one sync; raises AssertionError naming row, key and column.

    `remember` receives the next `Memory` (the engine's stages and the Stage since dates they
    should carry) before any assertion, so a scenario that goes on after a failed check
    compares the next sync with what this one should have written.
    """
    src = config.source
    marks = ownership(backend, config)
    where = f"{editor.kind}, {step}, as of {day}"
    missing = [f for f in MANAGED_FIELDS if f not in marks.columns]
    assert not missing, f"{where}: after the sync no column is marked ours for {missing}"
    for role in ("summary", "history", "state"):
        assert role in marks.tabs, f"{where}: after the sync no tab is marked ours for {role!r}"
    grid = editor.grid(src.contacts_tab)
    contacts = table(grid, src.header_row)
    ours = ours_in(contacts, grid, marks)
    log = table(editor.grid(src.activities_tab), src.activities_header_row)
    block = editor.contacts_block()
    rows = contacts.block(block)
    people_in = contacts.frame(rows, contacts.inputs(block, set(ours.values())))
    results = score(config, people_in, log.frame(), as_of=day)
    people = results.contacts

    # 0. Our headers and tab titles are back: the configured ones, or "<name> (sheetfunnel)"
    #    beside a column or tab of the user's bearing that name.
    user_headers = {
        str(v).strip().casefold()
        for i, v in enumerate(grid[0] if grid else [])
        if v is not None and i not in ours.values()
    }
    for managed, col in ours.items():
        wanted = str(getattr(config.output.columns, managed))
        name = f"{wanted} ({CLASH})" if wanted.casefold() in user_headers else wanted
        assert grid[0][col] == name, (
            f"{where}: our {managed} column (marked, column {col + 1}) is headed "
            f"{grid[0][col]!r}, expected {name!r}"
        )
    user_tabs = {t.casefold() for t in editor.tab_titles() if t not in marks.tabs.values()}
    for role, title in marks.tabs.items():
        wanted = str(getattr(config.output, f"{role}_tab"))
        name = f"{wanted} ({CLASH})" if wanted.casefold() in user_tabs else wanted
        assert title == name, f"{where}: our {role} tab is titled {title!r}, expected {name!r}"

    # 1. Every row carries exactly the engine's values for its contact.
    key_at = contacts.columns.get(config.columns.key)
    problems: list[str] = []
    stage_of: dict[str, str] = {}
    since_of: dict[str, dt.date] = {}
    for row in rows:
        cells = contacts.rows[row]
        key = cells[key_at] if key_at is not None else None
        pos = results.row_contact.get(row)
        if pos is None:
            for managed, col in ours.items():
                if cells[col] is not None:
                    problems.append(
                        f"row {row} (key {key!r}) is no contact, yet {managed} holds {cells[col]!r}"
                    )
            continue
        person = people.iloc[int(pos)]
        who = fold(person["key"])
        expected: dict[str, object] = {
            "score": _plain(person["score"]),
            "fit": _plain(person["fit"]),
            "engagement": _plain(person["engagement"]),
            "stage": person["stage"],
            "next_action": person["next_action"],
            "why": expected_why(config, person),
        }
        for managed in NUMBER_FIELDS:
            actual = cells[ours[managed]]
            if not _number_matches(actual, expected[managed]):
                problems.append(
                    f"row {row}, key {key!r}, column {managed}: sheet has {actual!r}, "
                    f"the engine computes {expected[managed]!r}"
                )
        for managed in TEXT_FIELDS:
            actual = cells[ours[managed]]
            if (actual or "") != (expected[managed] or ""):
                problems.append(
                    f"row {row}, key {key!r}, column {managed}: sheet has {actual!r}, "
                    f"the engine computes {expected[managed]!r}"
                )
        since = as_date(cells[ours["stage_since"]])
        held = memory.synced and memory.stages.get(who) == person["stage"]
        # a contact met for the first time is dated by the evidence for its stage
        first_met = who not in memory.stages
        evidence = pd.Timestamp(person["evidence_since"]).date()
        want = memory.since[who] if held else evidence if first_met else day
        if since != want:
            why = (
                f"the stage {person['stage']!r} held since the previous sync"
                if held
                else "the contact is new: the evidence for its stage"
                if first_met
                else "the stage changed"
            )
            problems.append(
                f"row {row}, key {key!r}, column stage_since: sheet has "
                f"{cells[ours['stage_since']]!r}, expected {want} ({why})"
            )
        stage_of[who] = str(person["stage"])
        since_of[who] = want
    remember(Memory(True, stage_of, since_of))
    assert not problems, f"{where}: managed cells differ from the engine:{_listed(problems)}"

    # 2. History: exactly the contacts the engine moved since the previous sync.
    history = editor.grid(marks.tabs["history"])
    header = [str(v) if v is not None else "" for v in history[0]] if history else []
    body = [r for r in history[1:] if any(v is not None for v in r)]
    kept = [r for r in before.history[1:] if any(v is not None for v in r)]
    assert body[: len(kept)] == kept, (
        f"{where}: History lost or changed rows it held before the sync:"
        f"{_listed([f'{a!r} became {b!r}' for a, b in zip(kept, body, strict=False) if a != b])}"
    )
    added = body[len(kept) :]
    needed = ("Date", "Contact", "From", "To", "Score")
    assert set(needed) <= set(header), (
        f"{where}: the History tab's header row {header} lacks {sorted(set(needed) - set(header))}"
    )
    at = {name: header.index(name) for name in needed}
    got = sorted(
        (fold(r[at["Contact"]]), r[at["From"]] or "", r[at["To"]] or "", as_date(r[at["Date"]]))
        for r in added
    )
    moved = (
        sorted(
            (who, memory.stages.get(who, ""), stage, day)
            for who, stage in stage_of.items()
            if memory.stages.get(who) != stage
        )
        if memory.synced
        else []
    )
    assert got == moved, (
        f"{where}: History rows appended by this sync (contact, from, to, date) differ from "
        f"the stage changes the engine made since the previous sync:\n"
        f"  appended:  {got}\n  expected: {moved}\n"
        f"  extra:   {sorted(set(got) - set(moved))}\n  missing: {sorted(set(moved) - set(got))}"
    )
    scores = {fold(k): s for k, s in zip(people["key"], people["score"], strict=True)}
    by_hand = {fold(k): bool(o) for k, o in zip(people["key"], people["overridden"], strict=True)}
    for r in added:
        who = fold(r[at["Contact"]])
        assert _number_matches(r[at["Score"]], scores.get(who)), (
            f"{where}: History row for {who!r} has score {r[at['Score']]!r}, "
            f"the engine computes {_plain(scores.get(who))!r}"
        )
        if "Set by hand" in header:
            said = r[header.index("Set by hand")]
            assert said == ("yes" if by_hand.get(who) else "no"), (
                f"{where}: History row for {who!r} says set by hand {said!r}, the engine's "
                f"stage {'was' if by_hand.get(who) else 'was not'} set by hand"
            )

    # 3. No cell the user owns changed.
    changed = []
    user = user_columns(contacts, set(ours.values()))
    at = {**user, **{f"ours:{f}": i for f, i in ours.items()}}
    for (row, name), value in before.cells.items():
        if name not in at:
            changed.append(f"column {name!r} is gone (row {row}, key {before.keys.get(row)!r})")
            continue
        now = contacts.rows.get(row, [None] * len(grid[0]))[at[name]]
        if now != value:
            changed.append(
                f"row {row}, key {before.keys.get(row)!r}, column {name!r}: "
                f"{value!r} became {now!r}"
            )
    assert not changed, f"{where}: the sync changed cells the user owns:{_listed(changed)}"
    titles = editor.tab_titles()
    for title, cells in before.tabs.items():
        assert title in titles, f"{where}: the sync deleted the user's tab {title!r}"
        assert editor.grid(title) == cells, f"{where}: the sync changed the user's tab {title!r}"

    # 4. A value typed into our Stage column is reported: one warning names the contact and
    #    the value together (a notice that merely names the contact, such as the merge of a
    #    duplicate, does not count). Past `LISTED` values the warning gives their number.
    if report is not None and typed:
        said = [str(n).casefold() for n in report.notices]
        if len(typed) > LISTED:
            assert any(str(len(typed)) in text for text in said), (
                f"{where}: {len(typed)} values typed into our Stage column were replaced "
                f"without a warning counting them; notices: {said}"
            )
        for key, value in list(typed.items())[:LISTED] if len(typed) <= LISTED else []:
            assert any(fold(key) in text and value.casefold() in text for text in said), (
                f"{where}: {value!r} typed into the Stage cell of {key!r} was replaced without "
                f"a warning naming the contact and the value; notices: "
                f"{[str(n) for n in report.notices]}"
            )

    return Check(results, Memory(True, stage_of, since_of), rows=len(rows), moves=len(added))
