"""Seed the emulator with a contacts spreadsheet and build WritePlans for it (tests, bench)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sheetfunnel.backends.base import (
    FunnelChart,
    ManagedColumn,
    OwnedTab,
    SheetData,
    StageColour,
    WritePlan,
)

from .server import Emulator
from .state import Sheet
from .values import from_raw

USER_HEADERS = ["Email", "Name", "Company", "Phone", "Source", "Notes"]
STAGES = ("Lead", "MQL", "SQL", "Prospect", "Customer")
COLOURS = {
    "Lead": "#E8F0FE",
    "MQL": "#FEF7E0",
    "SQL": "#FCE8B2",
    "Prospect": "#CEEAD6",
    "Customer": "#A8DAB5",
}


def fill(sheet: Sheet, rows: list[list[Any]]) -> None:
    """Put RAW values straight into the model (fast seeding; not an API call)."""
    sheet.resize(max(sheet.row_count, len(rows) + 10), max(sheet.column_count, 26))
    sheet.rows = [[from_raw(v) for v in row] for row in rows]


def contact_row(i: int) -> list[Any]:
    return [
        f"contact{i}@example.com",
        f"Person {i}",
        f"Company {i % 97}",
        "+15551234567" if i % 2 else "02134",
        ("web", "ads", "event")[i % 3],
        "=not a formula" if i == 3 else None,
    ]


def seed(emu: Emulator, contacts: int, activities: int = 0, *, header_row: int = 1) -> str:
    """A spreadsheet with a Contacts tab (headers on `header_row`) and an Activities tab."""
    key = emu.create("Pipeline")
    with emu.lock:
        ss = emu.spreadsheets[key]
        ss.sheets[0].title = "Contacts"
        above: list[list[Any]] = [["Pipeline export"]] + [[] for _ in range(header_row - 2)]
        fill(
            ss.sheets[0],
            above[: header_row - 1] + [USER_HEADERS] + [contact_row(i) for i in range(contacts)],
        )
        log = Sheet(1, "Activities")
        fill(
            log,
            [["Email", "Activity", "Date"]]
            + [
                [f"contact{i % max(contacts, 1)}@example.com", "email_open", 45000 + i % 300]
                for i in range(activities)
            ],
        )
        ss.sheets.append(log)
    return key


def read(backend: Any, header_row: int = 1, key_header: str = "Email") -> SheetData:
    return backend.read("Contacts", header_row, "Activities", 1, key_header=key_header)


def plan_for(
    data: SheetData,
    *,
    shift: int = 0,
    colours: dict[str, str] | None = None,
    why: str | None = None,
    header_row: int = 1,
    headers: dict[str, str] | None = None,
    key_header: str = "Email",
    tab_names: dict[str, str] | None = None,
) -> WritePlan:
    """A complete plan: four managed columns, stage colours, Summary (with chart), History.
    `headers`/`tab_names` override the default header of a field / name of a role (what the
    sync does when a user's column or tab already bears ours); `key_header` "" = no key."""
    names = {"score": "Score", "stage": "Stage", "next_action": "Next action", "why": "Why"}
    names.update(headers or {})
    tabs = {"summary": "Summary", "history": "History", **(tab_names or {})}
    keys = tuple(data.contacts["Email"]) if "Email" in data.contacts else ()
    n = len(keys)
    if not key_header:
        keys = tuple(data.contacts.index)
    stages = tuple(STAGES[(i + shift) % 5] for i in range(n))
    counts = [[s, stages.count(s)] for s in STAGES]
    colours = colours or COLOURS
    return WritePlan(
        sheet="Contacts",
        header_row=header_row,
        key_header=key_header,
        keys=keys,
        columns=(
            ManagedColumn(
                "score",
                names["score"],
                "number",
                tuple(float((i * 7 + shift) % 100) for i in range(n)),
            ),
            ManagedColumn("stage", names["stage"], "text", stages),
            ManagedColumn(
                "next_action", names["next_action"], "text", tuple(f"call {s}" for s in stages)
            ),
            ManagedColumn(
                "why", names["why"], "text", tuple(why or f"fit {i % 10}" for i in range(n))
            ),
        ),
        stage_header=names["stage"],
        stage_colours=tuple(StageColour(s, colours[s]) for s in STAGES),
        tabs=(
            OwnedTab(
                "summary",
                tabs["summary"],
                (("Stage", "Contacts"), *(tuple(r) for r in counts)),
                chart=FunnelChart("Funnel", 0, 1, 1, 5),
            ),
            OwnedTab(
                "history",
                tabs["history"],
                (
                    ("Date", "Email", "From", "To"),
                    (
                        dt.date(2026, 1, 5),
                        keys[0] if keys else "",
                        "Lead",
                        stages[0] if stages else "",
                    ),
                ),
                date_columns=(0,),
            ),
        ),
    )
