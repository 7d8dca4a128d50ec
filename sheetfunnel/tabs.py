"""The content of the tabs sheetfunnel owns: the Summary (laid out for a manager, with the
funnel chart and the funnel over time) and the History (one row per stage change, bounded).
Plain rows of cells plus their presentation; a backend lays them out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd

from .backends.base import CellStyle, Chart, ChartSeries, OwnedTab, Rows
from .layout import COUNT, DAYS, HEADING_FILL, PERCENT, WHOLE, Layout, cell
from .summary import Summary

if TYPE_CHECKING:
    from .config import Config
    from .history import StageFlow

HISTORY_HEADER: tuple[str, ...] = (
    "Date",
    "Contact",
    "From",
    "To",
    "Score",
    "Reason",
    "Set by hand",
)


#: Where the charts go: beside the narrow tables at the top (the funnel uses A:D), else right
#: of the widest table (the by-source/by-owner tables use A:H).
BESIDE_COLUMN, RIGHT_COLUMN, CHART_TOP = 4, 8, 3
CHART_WIDTH, CHART_HEIGHT = 480, 280
ROW_PIXELS = 20  # the default row height, 15 points
NO_HISTORY = "first sync: no history yet"
#: The Summary's column widths in characters: labels, then figures.
SUMMARY_WIDTHS = (44.0, 13.0, 10.0, 14.0, 11.0, 8.0, 16.0, 10.0)
LVP_LABELS = {
    "contacts": ("Contacts", COUNT),
    "average fit": ("Average fit", DAYS),
    "average engagement": ("Average engagement", DAYS),
    "average score": ("Average score", DAYS),
    "share with a direct interaction": ("With a direct interaction (call, meeting...)", PERCENT),
    "median days since last activity": ("Median days since last activity", DAYS),
}
GROUP_LABELS = {
    "contacts": ("Contacts", COUNT),
    "leads": ("Leads", COUNT),
    "prospects": ("Prospects", COUNT),
    "customers": ("Customers", COUNT),
    "lost": ("Lost", COUNT),
    "lead_to_prospect": ("Lead to prospect", PERCENT),
    "win_rate": ("Win rate", PERCENT),
}


def summary_tab(
    name: str,
    summary: Summary,
    flow: StageFlow | None = None,
    config: Config | None = None,
    *,
    trend: Chart | None = None,
) -> OwnedTab:
    """The Summary a manager can forward: the funnel (count, share, conversion to the next
    stage), leads versus prospects, conversion and velocity, moves since the previous sync,
    time in stage, by source and by owner, stale leads; the funnel chart (ladder stages in
    their colours, exits apart in the table) and, once there are several sync days, `trend`.

    Only the as-of date appears, never the wall-clock time: a rerun on unchanged input
    yields the same rows, so the tab is not rewritten. Where a figure needs an earlier sync
    it says "first sync: no history yet" rather than showing zeros.
    """
    out = Layout()
    out.title("Sales funnel summary")
    out.row("As of", summary.as_of.date())
    no_history = flow is None or flow.previous is None
    if flow is not None:
        out.row("Previous sync", flow.previous if flow.previous else NO_HISTORY)
    out.blank()
    first, last = _funnel(out, summary, config)
    out.blank()
    _leads_vs_prospects(out, summary)
    out.blank()
    _conversion(out, summary)
    if flow is not None:
        out.blank()
        _moves(out, flow, no_history)
        out.blank()
        _time_in_stage(out, flow, no_history)
    for field, table in summary.by_group.items():
        out.blank()
        _by_group(out, field, table)
    out.blank()
    out.heading("Stale leads", "Contacts")
    out.row(
        f"Leads with no activity for {summary.stale_after_days:g} days",
        summary.stale_leads,
        formats=(None, COUNT),
    )
    colours = _colours(config)
    ladder = [str(r[0]) for r in out.rows[first : last + 1]]
    funnel = Chart(
        kind="bar",
        title="Contacts per stage",
        category_column=0,
        first_row=first,
        last_row=last,
        series=(
            ChartSeries(
                name="Contacts",
                value_column=1,
                point_colours=tuple(colours.get(s, "#5B9BD5") for s in ladder),
            ),
        ),
        data_labels=True,
    )
    charts = _place((funnel, trend) if trend is not None else (funnel,), out)
    return out.tab(
        "summary",
        name,
        widths=SUMMARY_WIDTHS,
        frozen_rows=3 if flow is not None else 2,
        stage_columns=(0,),
        charts=charts,
        fit_to_page=True,
    )


def _place(charts: tuple[Chart, ...], out: Layout) -> tuple[Chart, ...]:
    """Stack the charts beside the narrow tables at the top while they fit above the first
    table wider than A:D; the rest go right of the widest table. They cover no filled cell."""
    wide = next(
        (i for i, r in enumerate(out.rows) if i >= CHART_TOP and len(r) > BESIDE_COLUMN),
        len(out.rows) + 100,
    )
    step = CHART_HEIGHT // ROW_PIXELS + 1
    placed, row, right = [], CHART_TOP, CHART_TOP
    for chart in charts:
        if row + step <= wide:
            at, row = (row, BESIDE_COLUMN), row + step
        else:
            at, right = (right, RIGHT_COLUMN), right + step
        placed.append(
            replace(
                chart,
                anchor_row=at[0],
                anchor_column=at[1],
                width=CHART_WIDTH,
                height=CHART_HEIGHT,
            )
        )
    return tuple(placed)


def _colours(config: Config | None) -> dict[str, str]:
    return {s.name: s.colour for s in config.all_stages()} if config is not None else {}


def _exits(summary: Summary, config: Config | None) -> set[str]:
    if config is not None:
        return {e.name for e in config.exits}
    return {
        str(s)
        for s, k in zip(summary.stages["stage"], summary.stages["kind"], strict=True)
        if k in ("lost", "disqualified")
    }


def _funnel(out: Layout, summary: Summary, config: Config | None) -> tuple[int, int]:
    """The ladder with share and conversion to the next stage, then the exits apart.
    Returns the first and last row of the ladder (what the funnel chart draws)."""
    exits = _exits(summary, config)
    stages = summary.stages
    ladder = stages[~stages["stage"].isin(exits)]
    out.heading("Funnel", "Contacts", "Share", "To next stage")
    counts = ladder["contacts"].astype("int64").tolist()
    # of the contacts at a stage or beyond, the share at the next stage or beyond
    reached = [sum(counts[i:]) for i in range(len(counts))]
    first = out.next_row
    for i, stage in enumerate(ladder.itertuples()):
        nxt = reached[i + 1] / reached[i] if i + 1 < len(counts) and reached[i] else None
        out.row(
            stage.stage, stage.contacts, stage.share, nxt, formats=(None, COUNT, PERCENT, PERCENT)
        )
    last = out.next_row - 1
    gone = stages[stages["stage"].isin(exits)]
    if len(gone):
        out.heading("Left the funnel", "Contacts", "Share")
        for stage in gone.itertuples():
            out.row(stage.stage, stage.contacts, stage.share, formats=(None, COUNT, PERCENT))
    total = out.row(
        "All contacts", summary.contacts, 1 if summary.contacts else None,
        formats=(None, COUNT, PERCENT),
    )  # fmt: skip
    out.bold(total, 2)
    return first, last


def _leads_vs_prospects(out: Layout, summary: Summary) -> None:
    out.heading("Leads versus prospects", "Leads", "Prospects")
    for metric, values in summary.lead_vs_prospect.iterrows():
        label, code = LVP_LABELS.get(str(metric), (str(metric).capitalize(), DAYS))
        out.row(label, values["leads"], values["prospects"], formats=(None, code, code))


def _conversion(out: Layout, summary: Summary) -> None:
    c = summary.conversion
    out.heading("Conversion and velocity", "Value")
    out.row("Lead to prospect", c["lead_to_prospect"], formats=(None, PERCENT))
    out.row("Prospect to customer (win rate)", c["prospect_to_customer"], formats=(None, PERCENT))
    out.row("Customers among all contacts", c["customer_rate"], formats=(None, PERCENT))
    out.row(
        "Median days from first touch to prospect",
        c["median_days_to_prospect"],
        formats=(None, DAYS),
    )


def _moves(out: Layout, flow: StageFlow, no_history: bool) -> None:
    out.heading("Moves since the previous sync", "Forward", "Backward")
    if no_history and not (flow.forward or flow.backward):
        out.note(NO_HISTORY)
        return
    since = f" ({flow.previous.isoformat()})" if flow.previous else " (today)"
    out.row(f"Contacts moved{since}", flow.forward, flow.backward, formats=(None, COUNT, COUNT))


def _time_in_stage(out: Layout, flow: StageFlow, no_history: bool) -> None:
    out.heading("Time in stage", "Median days", "Stays")
    for stage, values in flow.days_in_stage.iterrows():
        out.row(str(stage), values["median_days"], values["stays"], formats=(None, DAYS, COUNT))
    if no_history:
        out.note("first sync: current stays only (from Stage since)")


def _by_group(out: Layout, field: str, table: pd.DataFrame) -> None:
    labels = [GROUP_LABELS.get(c, (c.replace("_", " ").capitalize(), COUNT)) for c in table]
    out.heading(f"By {field.replace('_', ' ')}", *(label for label, _ in labels))
    codes = (None, *(code for _, code in labels))
    for key, values in table.iterrows():
        out.row(str(key), *(values[c] for c in table.columns), formats=codes)


def history_widths(rows: Sequence[tuple]) -> tuple[float, ...]:
    """History columns: date, contact (sized to the longest key), stages, score, reason."""
    longest = max((len(str(r[1])) for r in rows[1:] if len(r) > 1 and r[1]), default=10)
    return (12.0, float(min(max(longest + 2, 12), 48)), 14.0, 14.0, 8.0, 60.0, 12.0)


def history_tab(
    name: str, existing: Rows, changes: pd.DataFrame, max_rows: int
) -> tuple[OwnedTab, int]:
    """The History tab: its rows so far plus `changes`, oldest dropped past `max_rows`.

    `changes` has columns date, contact, from, to, score, reason, overridden. Returns the tab
    and how many old rows were dropped to keep it bounded.
    """
    body = [r for r in existing[1:] if any(v is not None for v in r)] if existing else []
    for change in changes.itertuples(index=False):
        body.append(
            (
                change.date,
                change.contact,
                change.from_stage or None,
                change.to_stage,
                cell(change.score),
                change.reason or None,
                "yes" if change.overridden else "no",
            )
        )
    dropped = max(0, len(body) - max_rows)
    body = body[dropped:]
    rows = (HISTORY_HEADER, *map(tuple, body))
    last = len(HISTORY_HEADER) - 1
    tab = OwnedTab(
        role="history",
        name=name,
        rows=rows,
        date_columns=(0,),
        styles=(
            *((CellStyle(1, len(rows) - 1, 4, 4, number_format=WHOLE),) if len(rows) > 1 else ()),
            CellStyle(0, 0, 0, last, bold=True, fill=HEADING_FILL),
            CellStyle(0, 0, 4, 4, align="right"),
        ),
        widths=history_widths(rows),
        frozen_rows=1,
        stage_columns=(2, 3),
    )
    return tab, dropped


def history_frame(rows: Rows) -> pd.DataFrame:
    """The History tab's rows (as read back) as a frame, for `sheetfunnel history`."""
    if not rows:
        return pd.DataFrame(columns=list(HISTORY_HEADER))
    body = [tuple(r) + (None,) * (len(HISTORY_HEADER) - len(r)) for r in rows[1:]]
    return pd.DataFrame([r[: len(HISTORY_HEADER)] for r in body], columns=list(HISTORY_HEADER))
