"""Results as rich tables for the terminal (built here, printed by the CLI).

Every table is laid out for a width: the key column (the contact's e-mail) is never cut;
the long text (Why, Reason, Company) is shortened on one line instead, and the least needed
columns go first when even that does not fit. With no width (output piped to a file or a
cron mail) nothing is shortened and no line is cut.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import pandas as pd
from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from .config import Config
from .engine import Results
from .summary import Summary
from .tabs import LVP_LABELS

#: The stage kinds on the ladder; the others (disqualified, lost) left the funnel.
LADDER_KINDS = ("lead", "prospect", "customer")
#: A column's part in the layout: a key is never cut, text shortens, fixed stays whole.
Role = Literal["key", "fixed", "text"]
#: Space between two columns.
GAP = 2
#: The rows a table of groups (by source, by owner) shows before "and N more".
GROUP_ROWS = 15


@dataclass(frozen=True)
class Column:
    """One column of a fitted table. `drop`: columns with a higher number are left out first
    when the table cannot fit (0: never); `least`: the narrowest a text column gets."""

    header: str
    role: Role = "fixed"
    right: bool = False
    drop: int = 0
    least: int = 12


Cell = str | Text


def _len(cell: Cell) -> int:
    return cell.cell_len if isinstance(cell, Text) else Text(cell).cell_len


def _natural(column: Column, cells: Sequence[Cell], *, wrap: bool = False) -> int:
    """The width a column needs to show every cell whole; with `wrap`, a number's header
    may wrap at its spaces."""
    header = len(column.header)
    if wrap and column.right:
        header = max((len(w) for w in column.header.split()), default=0)
    return max([header, *(_len(c) for c in cells)])


def layout(
    columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int | None
) -> list[int | None]:
    """The width of each column (None: left out) so the table fits `width` characters.

    Text columns shorten first (down to `least`), then columns leave by `drop`; key and
    fixed columns are never narrowed. No width: every column whole.
    """
    natural = [_natural(c, [r[i] for r in rows]) for i, c in enumerate(columns)]
    if width is None or sum(natural) + GAP * (len(columns) - 1) <= width:
        return list(natural)
    natural = [_natural(c, [r[i] for r in rows], wrap=True) for i, c in enumerate(columns)]
    shown: list[int | None] = list(natural)
    order = sorted({c.drop for c in columns if c.drop}, reverse=True)
    while True:
        kept = [i for i, w in enumerate(shown) if w is not None]
        room = width - GAP * (len(kept) - 1)
        fixed = sum(natural[i] for i in kept if columns[i].role != "text")
        texts = [i for i in kept if columns[i].role == "text"]
        least = sum(min(natural[i], columns[i].least) for i in texts)
        if fixed + least <= room or not order:
            break
        level = order.pop(0)
        for i, c in enumerate(columns):
            if c.drop == level:
                shown[i] = None
    budget = max(room - fixed, len(texts))
    if fixed + least > room:  # nothing more to leave out: the text columns share what is left
        for n, i in enumerate(texts):
            shown[i] = min(natural[i], max(1, budget // (len(texts) - n)))
            budget -= shown[i] or 0
        return shown
    for i in texts:
        shown[i] = min(natural[i], columns[i].least)
    spare = budget - sum(shown[i] or 0 for i in texts)
    # share what is left among the text columns, the narrow ones whole first
    for n, i in enumerate(sorted(texts, key=lambda i: natural[i])):
        give = max(0, min(natural[i] - (shown[i] or 0), spare // (len(texts) - n)))
        shown[i] = (shown[i] or 0) + give
        spare -= give
    return shown


def fitted(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    width: int | None,
    *,
    title: str | None = None,
) -> Table:
    """A table of `rows` laid out for `width` (see `layout`); shortened text ends in '…'."""
    widths = layout(columns, rows, width)
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),  # with the box's one-space divider: two spaces between columns
        title_style="bold",
        header_style="bold",
        show_header=any(c.header for c in columns),
    )
    keep = [i for i, w in enumerate(widths) if w is not None]
    for i in keep:
        c = columns[i]
        table.add_column(
            c.header,
            justify="right" if c.right else "left",
            width=widths[i],
            no_wrap=c.role != "fixed" or not c.right,
            overflow="ellipsis" if c.role == "text" else "fold",
        )
    for row in rows:
        cells = []
        for i in keep:
            cell = row[i]
            if columns[i].role == "text" and isinstance(cell, str):
                cell = shorten(cell, widths[i] or 0)
            cells.append(cell)
        table.add_row(*cells)
    return table


def shorten(text: str, width: int) -> str:
    """`text` in `width` characters: cut after the last whole "; "-separated part that
    fits (the Why and Reason texts are such lists) when one does, and marked with '…'."""
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    end = cut.rfind("; ")
    if end >= width // 2:
        cut = cut[: end + 1]
    return cut + "…"


def more(shown: int, total: int, how: str) -> str:
    """The line under a shortened list: how many were left out and how to see them all."""
    return f"… and {total - shown:,} more ({how})"


def number(value: float | None, digits: int = 1) -> str:
    """A figure with thousands separators; whole numbers without decimals; '-' for none."""
    if value is None or pd.isna(value):
        return "-"
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def _pct(value: float | None) -> str:
    """A share as a percentage; a small one keeps a figure that is not zero (0.01%)."""
    if value is None or pd.isna(value):
        return "-"
    if 0 < value < 0.0005:
        return "<0.01%" if value < 0.00005 else f"{value:.2%}"
    return f"{value:.1%}"


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None or pd.isna(value) else f"{value:,.{digits}f}"


def stage_table(
    config: Config,
    results: Results,
    limit: int = 20,
    *,
    width: int | None = None,
    more_how: str = "",
) -> RenderableType:
    """The top contacts by score with their stage (colour-coded) and why; under it, how many
    more there are and (`more_how`) how to see them all."""
    colours = {s.name: (s.colour, s.font_colour or "#000000") for s in config.all_stages()}
    people = results.contacts
    top = people.sort_values(["score", "key"], ascending=[False, True]).head(limit)
    columns = [
        Column("Contact", "key"),
        Column("Company", "text", drop=1, least=10),
        Column("Fit", right=True, drop=2),
        Column("Engagement", right=True, drop=2),
        Column("Score", right=True),
        Column("Stage"),
        Column("Why", "text", least=30),
    ]
    rows: list[list[Cell]] = []
    by_hand = False
    for row in top.itertuples():
        fill, font = colours.get(row.stage, ("#FFFFFF", "#000000"))
        by_hand = by_hand or bool(row.overridden)
        stage = Text(f" {row.stage}{'*' if row.overridden else ''} ", style=f"{font} on {fill}")
        company = getattr(row, "company", None)
        rows.append(
            [
                str(row.key),
                "" if company is None or pd.isna(company) else str(company),
                number(row.fit),
                number(row.engagement),
                number(row.score),
                stage,
                str(row.why),
            ]
        )
    shown = len(rows)
    title = f"Top {shown:,} of {len(people):,} contacts by score"
    parts: list[RenderableType] = [fitted(columns, rows, width, title=title)]
    if by_hand:
        parts.append(Text("* stage set by hand in the sheet"))
    if len(people) > shown:
        parts.append(Text(more(shown, len(people), more_how or "see them all with --top")))
    return Group(*parts)


def funnel_table(summary: Summary, *, width: int | None = None) -> Table:
    """The ladder with count, share and conversion to the next stage (of the contacts at a
    stage or beyond, the share at the next stage or beyond), then the exits apart, as the
    Summary tab has it."""
    stages = summary.stages
    ladder = stages[stages["kind"].isin(LADDER_KINDS)]
    gone = stages[~stages["kind"].isin(LADDER_KINDS)]
    counts = ladder["contacts"].astype("int64").tolist()
    reached = [sum(counts[i:]) for i in range(len(counts))]
    rows: list[list[Cell]] = []
    for i, row in enumerate(ladder.itertuples()):
        last = i + 1 == len(counts)
        nxt = reached[i + 1] / reached[i] if not last and reached[i] else None
        rows.append(
            [str(row.stage), f"{row.contacts:,}", _pct(row.share), "" if last else _pct(nxt)]
        )
    if len(gone):
        rows.append([Text("Left the funnel", style="bold"), "", "", ""])
        for row in gone.itertuples():
            rows.append([str(row.stage), f"{row.contacts:,}", _pct(row.share), ""])
    total = [Text("All contacts", style="bold"), Text(f"{summary.contacts:,}", style="bold")]
    rows.append([*total, "", ""])
    columns = [Column("Stage"), Column("Contacts", right=True), Column("Share", right=True)]
    columns.append(Column("To next stage", right=True))
    return fitted(columns, rows, width, title=f"Funnel as of {summary.as_of:%Y-%m-%d}")


def summary_tables(summary: Summary, *, width: int | None = None) -> Iterator[RenderableType]:
    """Stage counts, leads versus prospects, conversion, and the breakdowns."""
    yield funnel_table(summary, width=width)

    rows: list[list[Cell]] = []
    for metric, row in summary.lead_vs_prospect.iterrows():
        cells: list[Cell] = [LVP_LABELS.get(str(metric), (str(metric).capitalize(),))[0]]
        for value in (row["leads"], row["prospects"]):
            if "share" in str(metric):
                cells.append(_pct(value))
            else:
                cells.append(_num(value, 0 if metric == "contacts" else 1))
        rows.append(cells)
    yield fitted(
        [Column(""), Column("Leads", right=True), Column("Prospects", right=True)],
        rows,
        width,
        title="Leads versus prospects",
    )

    c = summary.conversion
    yield fitted(
        [Column(""), Column("", right=True)],
        [
            ["Lead to prospect", _pct(c["lead_to_prospect"])],
            ["Prospect to customer (win rate)", _pct(c["prospect_to_customer"])],
            ["Customers among all contacts", _pct(c["customer_rate"])],
            ["Median days from first touch to prospect", _num(c["median_days_to_prospect"], 0)],
            [
                f"Stale leads (no activity for {summary.stale_after_days:g} days)",
                f"{summary.stale_leads:,}",
            ],
        ],
        width,
        title="Conversion and velocity",
    )

    for field, frame in summary.by_group.items():
        columns = [Column(field.replace("_", " ").capitalize(), "key")]
        drops = {"lost": 2, "leads": 1}  # when even the numbers do not fit
        columns += [
            Column(col.replace("_", " ").capitalize(), right=True, drop=drops.get(col, 0))
            for col in frame.columns
        ]
        body: list[list[Cell]] = []
        for key, row in frame.head(GROUP_ROWS).iterrows():
            body.append(
                [str(key)]
                + [
                    _pct(row[col])
                    if col in ("lead_to_prospect", "win_rate")
                    else f"{int(row[col]):,}"
                    for col in frame.columns
                ]
            )
        table = fitted(columns, body, width, title=f"By {field.replace('_', ' ')}")
        if len(frame) > GROUP_ROWS:
            how = "score --out FILE.xlsx or --json lists them all"
            yield Group(table, Text(more(GROUP_ROWS, len(frame), how)))
        else:
            yield table


def full_report(
    config: Config,
    results: Results,
    limit: int = 20,
    *,
    width: int | None = None,
    more_how: str = "",
) -> list[RenderableType]:
    """Everything `score` prints, table by table, laid out for `width` (None: whole, for a
    file or a pipe)."""
    return [
        stage_table(config, results, limit, width=width, more_how=more_how),
        *summary_tables(results.summary, width=width),
    ]
