"""Commands that write into the spreadsheet or read what syncs wrote: sync, watch, history."""

from __future__ import annotations

import datetime as dt
import math
import shlex
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from ..config import Config
from ..headers import with_tab_key
from ..history import read_history
from ..report import Column, fitted, more, number
from ..runlog import read_records
from ..runner import RunOptions, RunResult, run_log_path, run_once
from ..sources import EXCEL, open_backend
from ..watch import Cron, Every, SystemClock, parse_duration, stop_on_signals
from ..watch import watch as watch_loop
from . import AS_OF_OPTION, CONFIG_OPTION, _config_for, cli, exit_if_severe
from .synced import print_sync
from .terminal import Screen, progress

WAIT_OPTION = click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help="Seconds to wait while another sheetfunnel run holds TARGET (0: refuse at once).",
)
#: Run outcomes that found their target (see runlog.Outcome).
DONE = ("synced", "nothing-changed", "unchanged", "dry-run")
QUIET_OPTION = click.option(
    "-q", "--quiet", is_flag=True, help="Print only errors (for cron); the exit code tells."
)


@cli.command()
@click.argument("target")
@CONFIG_OPTION
@AS_OF_OPTION
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--force", is_flag=True, help="Ignore a stale Excel/LibreOffice lock file.")
@click.option("--backup/--no-backup", default=None, help="Keep a backup copy of a workbook.")
@click.option("--rebuild", is_flag=True, help="Re-score from scratch (after the rules changed).")
@click.option(
    "--if-changed",
    is_flag=True,
    help="Do nothing if the input, the day and the "
    "config are the same as at the last run (for cron).",
)
@WAIT_OPTION
@QUIET_OPTION
def sync(
    target: str,
    config_path: Path | None,
    as_of: dt.datetime | None,
    dry_run: bool,
    force: bool,
    backup: bool | None,
    rebuild: bool,
    if_changed: bool,
    wait: float,
    quiet: bool,
) -> None:
    """Score TARGET (.xlsx/.xlsm workbook, or Google Sheet URL or key) and write the results
    into it: managed columns, stage colours, Summary and History tabs."""
    path = Path(target)
    config, _ = _config_for(path if path.suffix else None, config_path)
    screen = Screen(err=True)
    console = screen.console
    options = RunOptions(
        command="sync",
        dry_run=dry_run,
        rebuild=rebuild,
        skip_unchanged=if_changed,
        wait=wait,
        force=force,
        backup=backup,
    )
    with progress(screen, quiet=quiet) as steps:
        result = run_once(
            target,
            config,
            options,
            as_of=as_of.date() if as_of else None,
            on_wait=None if quiet else _waiting(console),
            progress=steps,
        )
    if result.log_problem:
        console.print(f"[yellow]Warning:[/] {escape(result.log_problem)}", highlight=False)
    if result.error is not None:
        raise with_tab_key(result.error, config)
    if result.report is None:
        if not quiet:
            screen.say(f"{target}: unchanged since the last run; nothing to do.")
        return
    if not quiet:
        again = ["sheetfunnel", "-v", "sync", target, "--dry-run"]
        again += ["--as-of", f"{as_of:%Y-%m-%d}"] if as_of else []
        again += ["--config", str(config_path)] if config_path else []
        verbose = bool((click.get_current_context().find_root().obj or {}).get("verbose"))
        print_sync(result.report, config, screen, verbose=verbose, again=shlex.join(again))
    for notice in result.report.notices if quiet else ():
        if notice.severe:  # -q hides notices, but not the one that makes the exit code 8
            screen.say(f"Note: {notice}")
    exit_if_severe(result.report.notices)


def _waiting(console: Console) -> Callable[[Path, float], None]:
    def say(lock: Path, wait: float) -> None:
        console.print(
            f"Another sheetfunnel run holds {lock}; waiting up to {wait:g} s.",
            highlight=False,
            soft_wrap=True,
        )

    return say


class Duration(click.ParamType):
    """A duration such as 30s, 15m, 1h or 1d."""

    name = "duration"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.timedelta:
        if isinstance(value, dt.timedelta):
            return value
        try:
            return parse_duration(str(value))
        except ValueError as ex:
            self.fail(str(ex), param, ctx)


@cli.command()
@click.argument("target")
@CONFIG_OPTION
@click.option("--every", type=Duration(), help="Run at once, then every 30s, 15m, 1h, 1d...")
@click.option(
    "--cron",
    "cron",
    metavar="EXPR",
    help='Run when a cron expression matches, e.g. "*/15 8-19 * * 1-5" (in source.timezone).',
)
@click.option("--max-runs", type=click.IntRange(min=1), help="Stop after this many runs.")
@click.option("--force", is_flag=True, help="Ignore a stale Excel/LibreOffice lock file.")
@click.option("--backup/--no-backup", default=None, help="Keep a backup copy of a workbook.")
@WAIT_OPTION
@QUIET_OPTION
def watch(
    target: str,
    config_path: Path | None,
    every: dt.timedelta | None,
    cron: str | None,
    max_runs: int | None,
    force: bool,
    backup: bool | None,
    wait: float,
    quiet: bool,
) -> None:
    """Sync TARGET on a schedule until Ctrl-C or SIGTERM (the current sync finishes first).

    A run whose input, day and config are unchanged since the last one is skipped; a busy
    workbook or a failed run is logged and retried at the next time. Each run appends one
    JSON line to the run log ([watch] log in the config).
    """
    if (every is None) == (cron is None):
        raise click.UsageError("give either --every (e.g. --every 15m) or --cron EXPR")
    path = Path(target)
    config, _ = _config_for(path if path.suffix else None, config_path)
    # a bad target stops here; a workbook missing for now is each run's error
    open_backend(target, config, backup=backup, force=force, missing_ok=True)
    clock = SystemClock()
    if every is not None:
        schedule: Every | Cron = Every(every, anchor=clock.now())
        when = f"every {_compact(every)}"
    else:
        try:
            schedule = Cron(cron or "", config.source.timezone)
        except ValueError as ex:
            raise click.BadParameter(str(ex), param_hint="--cron") from None
        when = f"at {cron!r} ({config.source.timezone})"
    console = Console(stderr=True)
    log = run_log_path(target, config)
    if not quiet:
        console.print(
            f"Watching {target} {when}; Ctrl-C or SIGTERM stops after the current run. "
            f"Run log: {log or 'off'}",
            highlight=False,
            soft_wrap=True,
        )
    options = RunOptions(
        command="watch", skip_unchanged=True, wait=wait, force=force, backup=backup
    )

    def tick(due: dt.datetime) -> None:
        _print_run(run_once(target, config, options, now=clock.now), console, quiet=quiet)

    with stop_on_signals(threading.Event()) as stop:
        runs = watch_loop(tick, schedule, clock=clock, stop=stop, max_runs=max_runs)
    if not quiet:
        console.print(f"Stopped after {runs} run{'s' if runs != 1 else ''}.", highlight=False)


def _compact(interval: dt.timedelta) -> str:
    """15m rather than 0:15:00."""
    seconds = interval.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def _print_run(result: RunResult, console: Console, *, quiet: bool) -> None:
    """One line per scheduled run; with `quiet`, only failed runs and those that left out
    most of the activity log (with the table of the names that matched no type)."""
    r = result.record
    if result.log_problem:
        console.print(f"[yellow]Warning:[/] {result.log_problem}", highlight=False)
    severe = any(n.severe for n in result.report.notices) if result.report else False
    if quiet and r.outcome != "error" and not severe:
        return
    when = dt.datetime.fromisoformat(r.start).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    if r.outcome in ("synced", "nothing-changed"):
        what = (
            f"{r.contacts:,} contacts, {r.stage_changes:,} stage changes ({r.promotions:,} "
            f"forward, {r.demotions:,} back), {r.cells_written:,} cells written"
        )
    elif r.outcome == "unchanged":
        what = "input unchanged since the last run"
    else:
        what = r.error or ""
    console.print(
        f"{when} {r.outcome}: {r.target}: {what} ({r.duration_s:.1f} s)",
        highlight=False,
        soft_wrap=True,
    )
    for warning in r.warnings:
        console.print(f"  Warning: {warning}", highlight=False, markup=False, soft_wrap=True)
    for notice in result.report.notices if result.report else ():
        if notice.severe:  # the results mislead: say why at every run, -q or not
            console.print(f"Note: {notice}", highlight=False, markup=False, soft_wrap=True)


#: The stage changes `history` shows before "and N more" (all of them with --all).
HISTORY_ROWS = 50


@cli.command()
@click.argument("target", required=False)
@CONFIG_OPTION
@click.option("--contact", help="Only this contact (its key, e.g. the e-mail; any case).")
@click.option(
    "--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only changes from this date on."
)
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help=f"List every change (default: the latest {HISTORY_ROWS}).",
)
def history(
    target: str | None,
    config_path: Path | None,
    contact: str | None,
    since: dt.datetime | None,
    show_all: bool,
) -> None:
    """Show the stage changes recorded in the History tab of TARGET (default: the target of
    the last run in ./sheetfunnel-runs.jsonl, else the one workbook in this folder)."""
    if target is None:
        config, _ = _config_for(Path("x.xlsx"), config_path)  # ./sheetfunnel.toml if any
        target = _default_target(config)
    path = Path(target)
    config, _ = _config_for(path if path.suffix else None, config_path)
    screen = Screen()
    with progress(Screen(err=True)) as steps:
        steps.step(f"Reading {target}")
        table = read_history(
            open_backend(target, config),
            config,
            contact=contact,
            since=since.date() if since else None,
        )
    if table.empty:
        which = f" for {contact}" if contact else ""
        start = f" since {since.date()}" if since else ""
        screen.say(f"No stage changes{which}{start} in {target}.")
        return
    screen.say(f"Stage changes in {target}")
    shown = table if show_all else table.tail(HISTORY_ROWS)
    columns = [
        Column("Date"),
        Column("Contact", "key"),
        Column("From"),
        Column("To"),
        Column("Score", right=True, drop=2),
        Column("By hand", drop=1),
        Column("Reason", "text", least=16),
    ]
    rows = [
        [
            row.date.date().isoformat(),
            row.contact,
            row.from_stage or "(new)",
            row.to_stage,
            "" if math.isnan(row.score) else number(row.score),
            "yes" if row.overridden else "",
            row.reason,
        ]
        for row in shown.itertuples()
    ]
    if len(shown) < len(table):
        again = ["sheetfunnel", "history", target]
        again += ["--contact", contact] if contact else []
        again += ["--since", f"{since:%Y-%m-%d}"] if since else []
        how = f"earlier; {shlex.join(again)} --all lists them all"
        screen.say(more(len(shown), len(table), how))
    screen.print(fitted(columns, rows, screen.width))
    screen.say(f"{len(table):,} stage change{'s' if len(table) != 1 else ''}.")


def _default_target(config: Config) -> str:
    log = Path(config.watch.log) if config.watch.log else None
    if log is not None and log.is_file():
        # the last run that read its target: a failed one may name a wrong path
        done = [r for r in read_records(log) if r.get("target") and r.get("outcome") in DONE]
        if done:
            return str(done[-1]["target"])
    books = sorted(p for p in Path().iterdir() if p.suffix.lower() in EXCEL and p.is_file())
    books = [p for p in books if not p.name.startswith(("~$", "."))]
    if len(books) == 1:
        return str(books[0])
    raise click.UsageError(
        "give TARGET (a workbook or a Google Sheet): no run log here names one"
        + (f", and this folder holds {len(books)} workbooks" if books else "")
    )
