"""Results as rich tables for the terminal (built here, printed by the CLI)."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
from rich.console import Group, RenderableType
from rich.table import Table

from .config import Config
from .engine import Results
from .summary import Summary


def _pct(value: float | None) -> str:
    return "-" if value is None or pd.isna(value) else f"{value:.1%}"


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None or pd.isna(value) else f"{value:,.{digits}f}"


def stage_table(config: Config, results: Results, limit: int = 20) -> Table:
    """The top contacts by score with their stage (colour-coded) and why."""
    colours = {s.name: s.colour for s in config.all_stages()}
    table = Table(title=f"Top {limit} contacts by score", title_justify="left")
    for col in ("contact", "company", "fit", "eng.", "score", "stage", "why"):
        table.add_column(col, justify="right" if col in ("fit", "eng.", "score") else "left")
    top = results.contacts.sort_values(["score", "key"], ascending=[False, True]).head(limit)
    for row in top.itertuples():
        stage = str(row.stage) + (" (set by hand)" if row.overridden else "")
        table.add_row(
            str(row.key),
            "" if pd.isna(getattr(row, "company", None)) else str(row.company),
            f"{row.fit:g}",
            f"{row.engagement:g}",
            f"{row.score:g}",
            f"[black on {colours.get(row.stage, '#FFFFFF')}] {stage} [/]",
            str(row.why),
        )
    return table


def summary_tables(summary: Summary) -> Iterator[Table]:
    """Stage counts, leads versus prospects, conversion, and the breakdowns."""
    stages = Table(title=f"Funnel as of {summary.as_of:%Y-%m-%d}", title_justify="left")
    for col in ("stage", "kind", "contacts", "share"):
        stages.add_column(col, justify="right" if col in ("contacts", "share") else "left")
    for row in summary.stages.itertuples():
        stages.add_row(row.stage, row.kind, f"{row.contacts:,}", _pct(row.share))
    stages.add_row("total", "", f"{summary.contacts:,}", "", style="bold")
    yield stages

    side = Table(title="Leads versus prospects", title_justify="left")
    side.add_column("")
    side.add_column("leads", justify="right")
    side.add_column("prospects", justify="right")
    for metric, row in summary.lead_vs_prospect.iterrows():
        cells = []
        for value in (row["leads"], row["prospects"]):
            if "share" in str(metric):
                cells.append(_pct(value))
            else:
                cells.append(_num(value, 0 if metric == "contacts" else 1))
        side.add_row(str(metric), *cells)
    yield side

    conv = Table(title="Conversion", title_justify="left")
    conv.add_column("")
    conv.add_column("value", justify="right")
    c = summary.conversion
    conv.add_row("lead -> prospect", _pct(c["lead_to_prospect"]))
    conv.add_row("prospect -> customer (win rate)", _pct(c["prospect_to_customer"]))
    conv.add_row("customers / all contacts", _pct(c["customer_rate"]))
    conv.add_row("median days first touch -> prospect", _num(c["median_days_to_prospect"], 0))
    conv.add_row(
        f"stale leads (no activity for {summary.stale_after_days:g} days)",
        f"{summary.stale_leads:,}",
    )
    yield conv

    for field, frame in summary.by_group.items():
        table = Table(title=f"By {field}", title_justify="left")
        table.add_column(field)
        for col in frame.columns:
            table.add_column(col.replace("_", " "), justify="right")
        for key, row in frame.head(15).iterrows():
            cells = [
                _pct(row[col]) if col in ("lead_to_prospect", "win_rate") else f"{int(row[col]):,}"
                for col in frame.columns
            ]
            table.add_row(str(key), *cells)
        yield table


def full_report(config: Config, results: Results, limit: int = 20) -> RenderableType:
    """Everything `score` prints."""
    return Group(stage_table(config, results, limit), *summary_tables(results.summary))
