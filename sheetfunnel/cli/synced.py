"""What `sync` tells after a run: the counts, what was written in plain words (the backend's
own file-level details only with -v), and in a dry run the changes it would record."""

from __future__ import annotations

import shlex

from ..backends.base import WriteResult
from ..config import Config
from ..report import Column, fitted, more, number
from ..sources import is_google_sheet
from ..sync import SyncReport
from .terminal import Screen

#: The stage changes a dry run lists before "and N more" (all of them with -v).
DRY_RUN_ROWS = 20


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _hidden(config: Config) -> set[str]:
    """The tab a person never looks at (sheetfunnel's hidden state), as it may be named."""
    name = config.output.state_tab
    return {name.casefold(), f"{name} (sheetfunnel)".casefold()}


def write_lines(config: Config, write: WriteResult, target: str = "") -> list[str]:
    """What the write did (or would do), in the words of someone who uses the sheet:
    how many cells, which tabs; nothing about the file format."""
    lines = []
    n = write.cells_written
    if n:
        cells = f"{n:,} cell{'s' if n != 1 else ''}"
        if is_google_sheet(target):  # its count takes in the cells of the tabs too
            lines.append(f"{cells} in the sheetfunnel columns and tabs")
        else:
            lines.append(f"{config.source.contacts_tab}: {cells} of the sheetfunnel columns")
    hidden = _hidden(config)
    tabs = [t for t in write.tabs_written if t.casefold() not in hidden]
    if tabs:
        lines.append(f"{_and(tabs)} tab{'s' if len(tabs) != 1 else ''}")
    if write.changed and not lines:
        lines.append("sheetfunnel's own markers and formats")
    return lines


def print_sync(
    report: SyncReport, config: Config, screen: Screen, *, verbose: bool, again: str
) -> None:
    """The sync's result on `screen`; `again`: the command that lists a dry run's changes."""
    people = len(report.results.contacts)
    moves = len(report.changes)
    what = (
        f"{people:,} contacts, {moves:,} stage change{'s' if moves != 1 else ''} "
        f"({report.promotions:,} forward, {report.demotions:,} back)"
    )
    for notice in report.notices:
        screen.say(f"Note: {notice}")
    plain = write_lines(config, report.write, report.target)
    if report.dry_run:
        screen.say(f"Dry run on {report.target}: {what}; nothing was written.")
        for line in plain:
            screen.say(f"  would write: {line}")
        _details(report.write, screen, verbose)
        _changes(report, screen, limit=None if verbose else DRY_RUN_ROWS, again=again)
        return
    if not report.changed:
        screen.say(f"{report.target}: nothing changed ({what}).")
        _details(report.write, screen, verbose)
        return
    screen.say(f"Synced {report.target}: {what}.")
    for line in plain:
        screen.say(f"  wrote: {line}")
    _details(report.write, screen, verbose)
    if report.write.backup:
        screen.say(f"  backup: {report.write.backup}")
    if moves:
        day = f"{report.results.as_of:%Y-%m-%d}"
        look = shlex.join(["sheetfunnel", "history", report.target, "--since", day])
        screen.say(f"  {look} lists the stage changes")


def _details(write: WriteResult, screen: Screen, verbose: bool) -> None:
    """The backend's own account, file parts and styles included: for -v only."""
    if verbose:
        for line in write.details:
            screen.say(f"  detail: {line}")


def _changes(report: SyncReport, screen: Screen, *, limit: int | None, again: str) -> None:
    changes = report.changes
    if changes.empty:
        return
    shown = changes if limit is None else changes.head(limit)
    rows = [
        [str(c.contact), c.from_stage or "(new)", str(c.to_stage), number(c.score)]
        for c in shown.itertuples()
    ]
    columns = [Column("Contact", "key"), Column("From"), Column("To")]
    columns.append(Column("Score", right=True))
    title = f"Stage changes it would record ({len(changes):,})"
    screen.print(fitted(columns, rows, screen.width, title=title))
    if len(shown) < len(changes):
        screen.say(more(len(shown), len(changes), f"{again} lists them all"))
