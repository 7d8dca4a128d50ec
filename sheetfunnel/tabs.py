"""The content of the tabs sheetfunnel owns: Summary (metrics and a funnel chart) and History
(one row per stage change, bounded). Plain rows of cells; a backend lays them out."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from .backends.base import CellValue, FunnelChart, OwnedTab, Rows
from .summary import Summary

if TYPE_CHECKING:
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
CHART_COLUMN = 9  # right of the widest breakdown table


def _cell(value: object) -> CellValue:
    """A metric as a cell: None for missing, ints for whole numbers, floats rounded to 4."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if hasattr(value, "item"):
        value = value.item()  # numpy scalar
    if isinstance(value, float):
        return int(value) if value.is_integer() else round(value, 4)
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value  # type: ignore[return-value]


def _round(value: object, digits: int) -> object:
    return round(value, digits) if isinstance(value, float) and not math.isnan(value) else value


def summary_tab(name: str, summary: Summary, flow: StageFlow | None = None) -> OwnedTab:
    """Stage counts (charted as a funnel), leads versus prospects, conversion, breakdowns,
    and with `flow` the moves since the previous sync and the median days in each stage.

    Only the as-of date appears, never the wall-clock time: a rerun on unchanged input
    yields the same rows, so the tab is not rewritten.
    """
    rows: list[tuple[CellValue, ...]] = [
        ("sheetfunnel summary",),
        ("As of", summary.as_of.date()),
    ]
    if flow is not None:
        rows.append(("Previous sync", flow.previous))
    rows += [
        (),
        ("Stage", "Kind", "Contacts", "Share"),
    ]
    first = len(rows)
    for stage in summary.stages.itertuples():
        rows.append((stage.stage, stage.kind, _cell(stage.contacts), _cell(stage.share)))
    last = len(rows) - 1
    rows.append(("Total", None, summary.contacts, 1 if summary.contacts else None))
    rows += [(), ("Leads versus prospects", "Leads", "Prospects")]
    for metric, values in summary.lead_vs_prospect.iterrows():
        # averages and day counts read best with one decimal; shares keep four (0.0848)
        digits = 4 if str(metric).startswith("share") else 1
        cells = (_cell(_round(values[side], digits)) for side in ("leads", "prospects"))
        rows.append((str(metric).capitalize(), *cells))
    c = summary.conversion
    rows += [
        (),
        ("Conversion", "Value"),
        ("Lead to prospect", _cell(c["lead_to_prospect"])),
        ("Prospect to customer (win rate)", _cell(c["prospect_to_customer"])),
        ("Customers / all contacts", _cell(c["customer_rate"])),
        ("Median days first touch to prospect", _cell(c["median_days_to_prospect"])),
        (f"Stale leads (no activity for {summary.stale_after_days:g} days)", summary.stale_leads),
    ]
    if flow is not None:
        since = f" ({flow.previous.isoformat()})" if flow.previous else ""
        rows += [
            (),
            ("Stage moves", "Forward", "Backward"),
            (f"Contacts moved since the previous sync{since}", flow.forward, flow.backward),
            (),
            ("Time in stage", "Median days", "Stays measured"),
        ]
        for stage, values in flow.days_in_stage.iterrows():
            rows.append((str(stage), _cell(values["median_days"]), _cell(values["stays"])))
    for field, table in summary.by_group.items():
        header = [f"By {field.replace('_', ' ')}"]
        header += [col.replace("_", " ").capitalize() for col in table.columns]
        rows += [(), tuple(header)]
        for key, values in table.iterrows():
            rows.append((str(key), *(_cell(v) for v in values)))
    chart = FunnelChart(
        title="Contacts per stage",
        category_column=0,
        value_column=2,
        first_row=first,
        last_row=last,
        anchor_row=0,
        anchor_column=CHART_COLUMN,
    )
    return OwnedTab(role="summary", name=name, rows=tuple(rows), chart=chart, date_columns=())


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
                _cell(change.score),
                change.reason or None,
                "yes" if change.overridden else "no",
            )
        )
    dropped = max(0, len(body) - max_rows)
    body = body[dropped:]
    tab = OwnedTab(
        role="history", name=name, rows=(HISTORY_HEADER, *map(tuple, body)), date_columns=(0,)
    )
    return tab, dropped


def history_frame(rows: Rows) -> pd.DataFrame:
    """The History tab's rows (as read back) as a frame, for `sheetfunnel history`."""
    if not rows:
        return pd.DataFrame(columns=list(HISTORY_HEADER))
    body = [tuple(r) + (None,) * (len(HISTORY_HEADER) - len(r)) for r in rows[1:]]
    return pd.DataFrame([r[: len(HISTORY_HEADER)] for r in body], columns=list(HISTORY_HEADER))
