"""A user's week with their pipeline: seed a small realistic spreadsheet, make the everyday
edits of issue 10 through an `Editor`, sync after each (library or CLI), check with the oracle.

`Week` is backend-neutral: conftest.py builds one over a workbook (CalcEditor) or over a
Google Sheet in the emulator (SheetsEditor). Every edit is a method named as in the issue;
`Week.random_edit(name, pick)` resolves an edit's arguments from one integer, for hypothesis.
"""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from click.testing import CliRunner

from sheetfunnel.backends.base import Backend, CellValue
from sheetfunnel.cli import cli
from sheetfunnel.config import Config
from sheetfunnel.demo import generate
from sheetfunnel.sync import SyncReport, sync

from .editor import Editor
from .oracle import Memory, Snapshot, check_sync, ownership, snapshot, table

ROOT = Path(__file__).resolve().parents[2]
#: The day the seeded data ends on, and the first sync's as-of date.
DAY0 = dt.date(2026, 6, 30)
SEED = 11
CONTACTS = 40
WARM = 20
#: A type the default config does not know: counted and left out by the engine.
UNKNOWN_ACTIVITY = "Podcast listen"
ACTIVITIES = ("Demo request", "Quote request", "Meeting", "Email open", "Unsubscribe", "Bounce")
#: The user's other tab, which no sync may touch.
TARGETS: list[list[CellValue]] = [
    ["Owner", "Q3 target", "Comment"],
    ["Alice Martin", 12, "incl. renewals"],
    ["Bruno Keller", 9, None],
    ["Emma Rossi", 15, "new territory"],
]


def seed_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demo's contacts (with its mess: a duplicate, odd cases, overrides) plus two
    columns of the user's that no config names, and the activity log.

    The first `WARM` contacts get a burst of webinars, clicks and downloads in the fortnight
    before DAY0, so their engagement sits just above the MQL/SQL threshold and decays under it
    on different days of the week: History then has real stage changes to hold (about ten
    over 25 days, besides the ones the week's edits cause).
    """
    contacts, activities = generate(seed=SEED, contacts=CONTACTS, end=DAY0)
    n = len(contacts)
    contacts["Phone"] = [f"+33 6 {i:02d} 11 22 33" if i % 3 else None for i in range(n)]
    contacts["Notes"] = ["call back in Q3" if i % 4 == 1 else None for i in range(n)]
    burst = []
    for i, key in enumerate(contacts["Email"].iloc[:WARM]):
        when = DAY0 - dt.timedelta(days=i)
        burst += [(key, "Webinar", when)] * 2 + [(key, "Email click", when)] * 2
        burst += [(key, "Content download", when)] * (i % 3)
    log = pd.concat([activities, pd.DataFrame(burst, columns=activities.columns)])
    log = log.sort_values("Date", kind="stable").reset_index(drop=True)
    return contacts.astype(object), log


def _cell(value: object) -> CellValue:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if hasattr(value, "item"):
        return value.item()  # type: ignore[no-any-return]
    return value  # type: ignore[return-value]


def tab_rows(frame: pd.DataFrame) -> list[list[CellValue]]:
    """A frame as the rows of a tab: header, then cells (None for empty)."""
    return [list(frame.columns)] + [
        [_cell(v) for v in row] for row in frame.itertuples(index=False)
    ]


def write_workbook(
    path: Path, tabs: Mapping[str, list[list[CellValue]]], *, table: str | None = None
) -> Path:
    """A workbook as a user keeps one: dates as date cells, bold headers; the tab named
    `table` formatted as an Excel table (Insert > Table) over all its rows."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    bold = book.add_format({"bold": True})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in tabs.items():
        sheet = book.add_worksheet(name)
        if name == table:
            columns = [{"header": str(h)} for h in rows[0]]
            sheet.add_table(0, 0, len(rows) - 1, len(rows[0]) - 1, {"columns": columns})
        else:
            sheet.write_row(0, 0, rows[0], bold)
        for i, row in enumerate(rows[1:], start=1):
            for j, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write_datetime(i, j, dt.datetime.combine(value, dt.time()), date)
                elif value is not None:
                    sheet.write(i, j, value)
        sheet.freeze_panes(1, 0)
    book.close()
    return path


def new_contact(n: int, day: dt.date) -> dict[str, CellValue]:
    """The n-th contact a user types in: a key never used before, a varied profile."""
    profile = (("VP Sales", 200, "SaaS"), ("Intern", 5, "Retail"), ("CEO", 1500, "Fintech"))
    title, size, sector = profile[n % 3]
    return {
        "Email": f"new.contact{n}@weekly.example",
        "Name": f"New Contact{n}",
        "Company": "Novatek SA",
        "Job title": title,
        "Company size": size,
        "Sector": sector,
        "Country": "France",
        "Source": "Webinar",
        "Owner": "Emma Rossi",
        "Created": day,
        "Phone": "+33 6 98 76 54 32",
        "Notes": "typed in by hand",
    }


def describe(ex: BaseException) -> str:
    """An assertion's own message; for any other error, the project's frames it went through
    (file:line in function) and the error, without the library frames under them."""
    if isinstance(ex, AssertionError):
        return f"AssertionError: {ex}"
    frames = [
        f"{Path(f.filename).relative_to(ROOT)}:{f.lineno} in {f.name}"
        for f in traceback.extract_tb(ex.__traceback__)
        if Path(f.filename).is_relative_to(ROOT)
    ]
    return f"{type(ex).__name__}: {ex}\n    raised through " + " <- ".join(reversed(frames))


@dataclass
class Week:
    """One spreadsheet through a week of edits and syncs, checked after every sync."""

    editor: Editor
    open_backend: Callable[[], Backend]
    config: Config
    cli_args: list[str]
    cli_env: dict[str, str] = field(default_factory=dict)
    #: The workbook file, for an Excel week (None for a Google Sheet).
    file: Path | None = None
    day: dt.date = DAY0
    memory: Memory = field(default_factory=Memory)
    steps: list[str] = field(default_factory=list)
    syncs: int = 0
    typed: dict[str, str] = field(default_factory=dict)
    added: int = 0
    #: The edits made since the last sync, for messages.
    pending: list[str] = field(default_factory=list)
    #: How much the checks compared: contact rows, and History rows appended by syncs.
    rows_checked: int = 0
    moves_checked: int = 0

    # --- what is there now ---
    @property
    def contacts_tab(self) -> str:
        return self.config.source.contacts_tab

    def _contacts(self) -> tuple[list[str], list[str]]:
        """(header names, raw key cells) of the contacts tab as it is now."""
        grid = self.editor.grid(self.contacts_tab)
        rows = table(grid, self.config.source.header_row)
        at = rows.columns.get(self.config.columns.key)
        keys = [str(r[at]) for r in rows.rows.values() if at is not None and r[at] is not None]
        return list(rows.columns), keys

    def keys(self) -> list[str]:
        """Every key typed in the contacts tab, in sheet order."""
        return self._contacts()[1]

    def contact_keys(self) -> list[str]:
        """The keys in the contacts block (an Excel table's rows, when there is one)."""
        grid = self.editor.grid(self.contacts_tab)
        rows = table(grid, self.config.source.header_row)
        at = rows.columns.get(self.config.columns.key)
        inside = rows.block(self.editor.contacts_block())
        cells = [rows.rows[r][at] for r in inside] if at is not None else []
        return [str(v) for v in cells if v is not None]

    def headers(self) -> list[str]:
        return self._contacts()[0]

    def ours(self) -> dict[str, str]:
        """Managed field -> header of the column the markers say is ours, now."""
        return dict(ownership(self.open_backend(), self.config).columns)

    def our_tabs(self) -> dict[str, str]:
        return dict(ownership(self.open_backend(), self.config).tabs)

    def user_headers(self) -> list[str]:
        ours = set(self.ours().values())
        return [h for h in self.headers() if h not in ours]

    def spare_user_headers(self) -> list[str]:
        """The user's columns that no config setting names: deleting one is harmless."""
        used = set(self.config.columns.mapped().values())
        return [h for h in self.user_headers() if h not in used]

    def _log(self, text: str) -> None:
        self.steps.append(text)
        self.pending.append(text)

    # --- the edits of issue 10 ---
    def _new_contact(self) -> dict[str, CellValue]:
        """A new contact's values for the columns the tab has now."""
        self.added += 1
        headers = set(self.headers())
        return {h: v for h, v in new_contact(self.added, self.day).items() if h in headers}

    def add_contact(self) -> str:
        values = self._new_contact()
        self.editor.add_contact(values)
        self._log(f"add_contact {values['Email']} at the bottom")
        return str(values["Email"])

    def insert_contact(self, before_key: str) -> str:
        values = self._new_contact()
        self.editor.insert_contact(before_key, values)
        self._log(f"insert_contact {values['Email']} above {before_key}")
        return str(values["Email"])

    def delete_contact(self, key: str) -> None:
        self.editor.delete_contact(key)
        self._log(f"delete_contact {key}")

    def sort_by(self, header: str, descending: bool) -> None:
        self.editor.sort_by(header, descending)
        self._log(f"sort_by {header!r} {'descending' if descending else 'ascending'}")

    def insert_user_column(
        self, before_header: str, header: str = "", value: CellValue = None
    ) -> str:
        """A column of the user's: "Budget <n>" with numbers, or `header` filled with `value`
        (a CRM export's own "Stage" column, say)."""
        header = header or f"Budget {len(self.steps) + 1}"
        keys = self.keys()
        values = {k: value if value is not None else 1000 * (i + 1) for i, k in enumerate(keys)}
        self.editor.insert_user_column(before_header, header, values)
        self._log(f"insert_user_column {header!r} before {before_header!r}")
        return header

    def delete_user_column(self, header: str) -> None:
        self.editor.delete_user_column(header)
        self._log(f"delete_user_column {header!r}")

    def move_column(self, header: str, before_header: str | None) -> None:
        self.editor.move_column(header, before_header)
        self._log(f"move_column {header!r} before {before_header or 'the end'!r}")

    def delete_our_column(self, field: str) -> None:
        self.editor.delete_our_column(self.ours()[field])
        self._log(f"delete_our_column {field}")

    def rename_our_header(self, field: str, new: str) -> None:
        self.editor.rename_our_header(self.ours()[field], new)
        self._log(f"rename_our_header {field} to {new!r}")

    def stage_shown(self, key: str) -> CellValue:
        """What our Stage cell of the row holding `key` shows now."""
        rows = table(self.editor.grid(self.contacts_tab), self.config.source.header_row)
        at, stage_at = rows.columns[self.config.columns.key], rows.columns[self.ours()["stage"]]
        return next(r[stage_at] for r in rows.rows.values() if str(r[at]) == key)

    def single_keys(self) -> list[str]:
        """Keys of contacts that have one row (no duplicate in another case)."""
        keys = self.contact_keys()
        folded = [k.strip().casefold() for k in keys]
        return [k for k, f in zip(keys, folded, strict=True) if folded.count(f) == 1]

    def type_into_stage(self, key: str, value: str) -> None:
        """Type over our Stage cell; a value that differs from the cell is one the next sync
        must restore and report."""
        header = self.ours()["stage"]
        shown = self.stage_shown(key)
        self.editor.type_into_cell(key, header, value)
        # below an Excel table the cell is the user's own, not a managed one
        if key in self.contact_keys() and value.strip() != str(shown or "").strip():
            self.typed[key] = value
        self._log(f"type_into_stage {value!r} over {shown!r} for {key}")

    def set_stage_by_hand(self, key: str, value: str) -> None:
        """Type a stage into the user's override column: the documented way to set one."""
        self.editor.type_into_cell(key, self.config.columns.stage_override, value)
        self._log(f"set_stage_by_hand {value!r} for {key}")

    def reorder_tabs(self) -> None:
        order = list(reversed(self.editor.tab_titles()))
        self.editor.reorder_tabs(order)
        self._log(f"reorder_tabs to {order}")

    def delete_our_tab(self, role: str) -> None:
        self.editor.delete_our_tab(self.our_tabs()[role])
        self._log(f"delete_our_tab {role}")

    def add_activity(self, key: str, activity: str) -> None:
        self.editor.add_activity(key, activity, self.day)
        self._log(f"add_activity {activity!r} for {key} on {self.day}")

    def empty_contacts(self) -> None:
        self.editor.empty_contacts()
        self._log("empty_contacts")

    # --- one edit drawn by hypothesis: its arguments come from `pick` ---
    EDITS = (
        "add_contact",
        "insert_contact",
        "delete_contact",
        "sort_by",
        "insert_user_column",
        "delete_user_column",
        "move_our_column",
        "move_user_column",
        "delete_our_column",
        "rename_our_header",
        "type_into_stage",
        "set_stage_by_hand",
        "reorder_tabs",
        "delete_our_tab",
        "add_activity",
        "add_unknown_activity",
        "empty_contacts",
    )

    def random_edit(self, name: str, pick: int) -> None:
        """Apply the edit `name`, its arguments chosen by `pick`; an edit that the sheet
        does not allow right now (deleting a contact from an empty tab) adds a contact."""
        keys = self.keys()
        ours = self.ours()
        headers = self.headers()

        def one(options: list) -> object:
            return options[pick % len(options)]

        needs_key = (
            "insert_contact",
            "delete_contact",
            "type_into_stage",
            "set_stage_by_hand",
            "add_activity",
        )
        if name in (*needs_key, "add_unknown_activity") and not keys:
            name = "add_contact"
        if name == "delete_user_column" and not self.spare_user_headers():
            name = "insert_user_column"
        if name == "delete_our_column" and len(ours) < 2:
            name = "reorder_tabs"
        if name == "delete_our_tab" and not ({"summary", "history"} & set(self.our_tabs())):
            name = "reorder_tabs"
        if name == "type_into_stage" and "stage" not in ours:
            name = "add_activity"
        if name == "add_contact":
            self.add_contact()
        elif name == "insert_contact":
            self.insert_contact(str(one(keys)))
        elif name == "delete_contact":
            self.delete_contact(str(one(keys)))
        elif name == "sort_by":
            self.sort_by(str(one(headers)), descending=pick % 2 == 1)
        elif name == "insert_user_column":
            self.insert_user_column(str(one(headers)))
        elif name == "delete_user_column":
            self.delete_user_column(str(one(self.spare_user_headers())))
        elif name == "move_our_column":
            self.move_column(ours[str(one(sorted(ours)))], str(one(headers[:5])))
        elif name == "move_user_column":
            self.move_column(str(one(self.user_headers())), None)
        elif name == "delete_our_column":
            self.delete_our_column(str(one(sorted(ours))))
        elif name == "rename_our_header":
            managed = str(one(sorted(ours)))
            self.rename_our_header(managed, f"{ours[managed]} (mine)")
        elif name == "type_into_stage":
            self.type_into_stage(str(one(keys)), str(one(["Customer", "Hot!!", "Lead"])))
        elif name == "set_stage_by_hand":
            stage = str(one(["Prospect", "Lost", "won", "Not a stage", "Lead"]))
            self.set_stage_by_hand(str(one(keys)), stage)
        elif name == "reorder_tabs":
            self.reorder_tabs()
        elif name == "delete_our_tab":
            self.delete_our_tab(str(one(sorted({"summary", "history"} & set(self.our_tabs())))))
        elif name == "add_activity":
            self.add_activity(str(one(keys)), str(one(list(ACTIVITIES))))
        elif name == "add_unknown_activity":
            self.add_activity(str(one(keys)), UNKNOWN_ACTIVITY)
        elif name == "empty_contacts":
            self.empty_contacts()
        else:
            raise ValueError(f"unknown edit {name!r}")

    # --- sync and check ---
    def sync(self, *, via: str = "library", next_day: bool = True) -> SyncReport | None:
        """Sync (the library, or `sheetfunnel sync` through the CLI) as of the next day, then
        check every invariant against what the user's edits left before it."""
        if next_day and self.syncs:
            self.day += dt.timedelta(days=1)
        label = f"sync {self.syncs + 1} after [{'; '.join(self.pending) or 'no edit'}]"
        before: Snapshot = snapshot(self.editor, self.open_backend(), self.config)
        report: SyncReport | None = None
        output = ""
        typed = dict(self.typed)
        if via == "library":
            report = sync(self.open_backend(), self.config, as_of=self.day)
        elif via == "cli":
            args = ["sync", *self.cli_args, "--as-of", self.day.isoformat()]
            result = CliRunner().invoke(cli, args, env=self.cli_env)
            assert result.exit_code == 0, (
                f"{self.editor.kind}, {label}: `sheetfunnel {' '.join(args)}` exited "
                f"{result.exit_code}:\n{result.output}"
            )
            output = result.output
        else:
            raise ValueError(via)
        checked = check_sync(
            step=label,
            editor=self.editor,
            backend=self.open_backend(),
            config=self.config,
            day=self.day,
            memory=self.memory,
            before=before,
            report=report,
            typed=self.typed if via == "library" else {},
            remember=self._remember,
        )
        self.memory = checked.memory
        self.rows_checked += checked.rows
        self.moves_checked += checked.moves
        lines = output.casefold().splitlines()
        for key, value in typed.items() if via == "cli" else ():  # README: on the terminal
            who, what = key.strip().casefold(), value.casefold()
            assert any(who in line and what in line for line in lines), (
                f"{self.editor.kind}, {label}: {value!r} typed into the Stage cell of "
                f"{key!r} was replaced without the terminal saying so:\n{output}"
            )
        return report

    def _remember(self, memory: Memory) -> None:
        """The sync happened: what the next one is compared with (even if a check fails)."""
        self.memory = memory
        self.typed = {}
        self.pending = []
        self.syncs += 1
        self.steps.append(f"-- synced as of {self.day}")
