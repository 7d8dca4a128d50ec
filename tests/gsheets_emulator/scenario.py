"""Seed the emulator with a contacts spreadsheet and build WritePlans for it (tests, bench)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sheetfunnel.backends.base import (
    OVERRIDE_FIELD,
    CellStyle,
    Chart,
    ChartSeries,
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
                charts=(
                    Chart("bar", "Funnel", 0, 1, 5, (ChartSeries("Contacts", 1),), anchor_column=6),
                ),
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


def presented_plan(data: SheetData, days: int = 1, *, shift: int = 0) -> WritePlan:
    """`plan_for` with everything issue 15 asks a sync to show: formats and widths on the
    managed columns, the override column created with its drop-down, a styled Summary with
    the per-stage funnel and the funnel over time (from the daily tab, `days` rows), and a
    Companies tab with its stage-coloured column."""
    from dataclasses import replace

    plan = plan_for(data, shift=shift)
    score, stage, action, why = plan.columns
    columns = (
        replace(score, number_format="0", width=7),
        replace(stage, width=10),
        replace(action, width=24),
        replace(why, width=60),
        ManagedColumn(
            OVERRIDE_FIELD, "Stage override", "text", (), width=16, validation=STAGES, editable=True
        ),
    )
    summary, history = plan.tabs
    counts = summary.rows[1:]
    total = sum(int(r[1]) for r in counts) or 1
    rows = (
        ("Pipeline summary",),
        ("As of", dt.date(2026, 6, 30)),
        ("Stage", "Contacts", "Share"),
        *((r[0], r[1], int(r[1]) / total) for r in counts),
    )
    funnel = Chart(
        "bar",
        "Contacts per stage",
        0,
        3,
        3 + len(counts) - 1,
        (ChartSeries("Contacts", 1, point_colours=tuple(COLOURS[s] for s in STAGES)),),
        data_labels=True,
        anchor_row=0,
        anchor_column=4,
    )
    daily_rows = (
        ("Date", *STAGES),
        *(
            (dt.date(2026, 6, 1) + dt.timedelta(days=d), *(10 + d * k for k in range(5)))
            for d in range(days)
        ),
    )
    over_time = Chart(
        "line",
        "Funnel over time",
        0,
        1,
        days,
        tuple(ChartSeries(s, k + 1, colour=COLOURS[s]) for k, s in enumerate(STAGES)),
        data_role="daily",
        legend="bottom",
        anchor_row=16,
        anchor_column=4,
    )
    styled = replace(
        summary,
        rows=rows,
        styles=(
            CellStyle(0, 0, 0, 0, bold=True, size=14),
            CellStyle(2, 2, 0, 2, bold=True),
            CellStyle(2, 2, 1, 2, align="right"),
            CellStyle(3, 3 + len(counts) - 1, 1, 1, number_format="#,##0"),
            CellStyle(3, 3 + len(counts) - 1, 2, 2, number_format="0.0%"),
        ),
        frozen_rows=3,
        charts=(funnel, over_time) if days > 1 else (funnel,),
    )
    companies = OwnedTab(
        "companies",
        "Companies",
        (
            ("Company", "Contacts", "Best score", "Stage"),
            ("Company 1", 3, 88.0, "Customer"),
            ("Company 2", 2, 41.0, "MQL"),
        ),
        styles=(CellStyle(0, 0, 0, 3, bold=True), CellStyle(1, 2, 2, 2, number_format="0")),
        frozen_rows=1,
        stage_columns=(3,),
    )
    daily = OwnedTab("daily", "Daily counts", daily_rows, date_columns=(0,), hidden=True)
    history = replace(history, styles=(CellStyle(0, 0, 0, 3, bold=True),), frozen_rows=1)
    return replace(plan, columns=columns, tabs=(styled, history, companies, daily))
