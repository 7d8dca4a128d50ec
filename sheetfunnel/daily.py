"""The funnel over time: an owned tab with the stage counts of each sync day (one row per
day, the most recent `MAX_DAYS` kept) and the line chart the Summary draws from it.

A sync rewrites today's row (a rerun on the same day with the same counts changes nothing)
and keeps earlier rows as the tab holds them, matched by column header, so renaming or adding
a stage in the config leaves older days readable.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from .backends.base import EPOCH_1900, CellStyle, CellValue, Chart, ChartSeries, OwnedTab, Rows
from .cells import parse_dates
from .config import Config
from .layout import COUNT, HEADING_FILL, cell, line_colour

#: About 13 months of daily syncs: enough for a year-on-year look, small in any sheet.
MAX_DAYS = 400
DATE_HEADER = "Date"
TOTAL_HEADER = "All contacts"


def _days(values: list[CellValue], config: Config, epoch: dt.date) -> list[dt.date | None]:
    parsed, _ = parse_dates(
        pd.Series(values, dtype=object),
        order=config.source.date_order,
        timezone=config.source.timezone,
        epoch=epoch,
    )
    return [None if pd.isna(v) else v.date() for v in parsed]


def daily_tab(
    name: str,
    existing: Rows,
    counts: pd.DataFrame,
    as_of: dt.date,
    config: Config,
    epoch: dt.date = EPOCH_1900,
) -> OwnedTab:
    """The daily stage counts with today's row set from `counts` (the Summary's stage
    table: columns stage, contacts)."""
    stages = [s.name for s in config.all_stages()]
    header = (DATE_HEADER, *stages, TOTAL_HEADER)
    by_day: dict[dt.date, tuple[CellValue, ...]] = {}
    if existing:
        old = [str(h).strip() if h is not None else "" for h in existing[0]]
        where = {h: i for i, h in enumerate(old) if h}
        body = [r for r in existing[1:] if r]
        days = _days([r[0] for r in body], config, epoch)
        for row, day in zip(body, days, strict=True):
            if day is None:
                continue
            picked = [
                cell(row[where[h]]) if h in where and where[h] < len(row) else None
                for h in header[1:]
            ]
            by_day[day] = (day, *picked)
    today = counts.set_index("stage")["contacts"].reindex(stages).fillna(0).astype("int64")
    by_day[as_of] = (as_of, *(int(v) for v in today), int(today.sum()))
    kept = sorted(by_day)[-MAX_DAYS:]
    rows = (header, *(by_day[d] for d in kept))
    styles = [
        CellStyle(0, 0, 0, len(header) - 1, bold=True, fill=HEADING_FILL),
        CellStyle(0, 0, 1, len(header) - 1, align="right"),
    ]
    if len(rows) > 1:
        styles.insert(0, CellStyle(1, len(rows) - 1, 1, len(header) - 1, number_format=COUNT))
    return OwnedTab(
        role="daily",
        name=name,
        rows=rows,
        date_columns=(0,),
        styles=tuple(styles),
        widths=(12.0, *(max(10.0, len(h) + 2.0) for h in header[1:])),
        frozen_rows=1,
        frozen_columns=1,
    )


def trend_chart(tab: OwnedTab, config: Config) -> Chart | None:
    """A line per ladder stage past the first over the sync days, once there are at least
    two days: the pipeline growing or stalling (the first rung, usually most contacts, would
    flatten every other line; its count is in the table)."""
    if len(tab.rows) < 3:
        return None
    header = [str(h) for h in tab.rows[0]]
    shown = [s for s in config.stages[1:] if s.name in header] or list(config.stages[:1])
    series = tuple(
        ChartSeries(name=s.name, value_column=header.index(s.name), colour=line_colour(s.colour, i))
        for i, s in enumerate(shown)
        if s.name in header
    )
    return Chart(
        kind="line",
        title=f"Pipeline past {config.stages[0].name}, by sync day",
        category_column=0,
        first_row=1,
        last_row=len(tab.rows) - 1,
        series=series,
        data_role="daily",
        legend="bottom",
    )
