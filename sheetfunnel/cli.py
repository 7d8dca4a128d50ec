"""The `sheetfunnel` command: parses options, calls one library function per command, and is
the one place that turns errors into messages and exit codes."""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from . import __version__, engine, export, report
from .config import Config, load_config
from .demo import create_demo
from .errors import EXIT_CODES, SheetfunnelError
from .history import read_history
from .runlog import read_records
from .runner import RunOptions, RunResult, run_log_path, run_once
from .sources import EXCEL, open_backend, read_source
from .sync import SyncReport
from .watch import Cron, Every, SystemClock, parse_duration, stop_on_signals
from .watch import watch as watch_loop

EPILOG = "Exit codes:\n\n" + "\n\n".join(f"  {code}  {text}" for code, text in EXIT_CODES.items())


class Cli(click.Group):
    """The error boundary: our errors become one line and an exit code; -v adds the traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SheetfunnelError as ex:
            self._fail(ctx, f"Error: {ex}", ex.exit_code)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            self._fail(ctx, "Interrupted; nothing was written.", 130)
        except Exception as ex:
            self._fail(
                ctx,
                f"Internal error: {type(ex).__name__}: {ex}\n"
                "This is a bug in sheetfunnel; run again with -v and report the output.",
                1,
            )

    @staticmethod
    def _fail(ctx: click.Context, message: str, code: int) -> None:
        if (ctx.obj or {}).get("verbose"):
            traceback.print_exc(file=sys.stderr)
        click.echo(message, err=True)
        ctx.exit(code)


@click.group(cls=Cli, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Show details and tracebacks.")
@click.version_option(__version__, prog_name="sheetfunnel")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Score contacts, place them on the sales funnel, and summarise leads versus prospects."""
    ctx.obj = {"verbose": verbose}


def _config_for(source: Path | None, config: Path | None) -> tuple[Config, str]:
    """--config, else sheetfunnel.toml beside the source, else the built-in default."""
    if config is not None:
        return load_config(config), str(config)
    if source is not None:
        beside = source.parent / "sheetfunnel.toml"
        if beside.exists():
            return load_config(beside), str(beside)
    return load_config(), "the built-in default config"


CONFIG_OPTION = click.option(
    "--config",
    "-c",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Config file (default: sheetfunnel.toml beside SOURCE, else the built-in default).",
)
AS_OF_OPTION = click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Score as on this date (YYYY-MM-DD); default: today.",
)


def _score(source: Path, config: Config, as_of: dt.date | None, config_name: str) -> engine.Results:
    _, data, lookups = read_source(source, config)
    return engine.score(
        config,
        data.contacts,
        data.activities,
        as_of=as_of,
        lookups=lookups,
        serial_epoch=data.serial_epoch,
        source=str(source),
    )


def _print_results(config: Config, results: engine.Results, top: int, stderr: Console) -> None:
    Console().print(report.full_report(config, results, top))
    for notice in results.notices:
        stderr.print(f"[yellow]Note:[/] {notice}", highlight=False, soft_wrap=True)


@cli.command()
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False))
@CONFIG_OPTION
@AS_OF_OPTION
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also save the results to a new .csv, .json or .xlsx file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--top", default=20, show_default=True, help="How many contacts the table lists.")
@click.option("--force", is_flag=True, help="Let --out replace a file sheetfunnel did not write.")
def score(
    source: Path,
    config_path: Path | None,
    as_of: dt.datetime | None,
    out: Path | None,
    as_json: bool,
    top: int,
    force: bool,
) -> None:
    """Score SOURCE (.xlsx, .xlsm or .csv) and print the funnel; nothing is written to it."""
    config, name = _config_for(source, config_path)
    stderr = Console(stderr=True)
    if not as_json:
        stderr.print(f"Scoring {source} with {name}", highlight=False, soft_wrap=True)
    results = _score(source, config, as_of.date() if as_of else None, name)
    if as_json:
        click.echo(json.dumps(export.to_json(results), indent=2, ensure_ascii=False))
    else:
        _print_results(config, results, top, stderr)
    if out is not None:
        export.write_results(results, out, force=force)
        stderr.print(
            f"Wrote {len(results.contacts):,} contacts to {out}", highlight=False, soft_wrap=True
        )


@cli.command("check-config")
@click.argument("config_path", required=False, type=click.Path(path_type=Path, dir_okay=False))
def check_config(config_path: Path | None) -> None:
    """Validate a config file (default: ./sheetfunnel.toml, else the built-in default)."""
    if config_path is None and Path("sheetfunnel.toml").exists():
        config_path = Path("sheetfunnel.toml")
    config = load_config(config_path)
    name = config_path or "the built-in default config"
    click.echo(
        f"{name} is valid: {len(config.stages)} stages, {len(config.exits)} exits, "
        f"{len(config.activity_types)} activity types, {len(config.fit.rules)} fit rules."
    )


@cli.command()
@click.argument(
    "folder", required=False, default="sheetfunnel-demo", type=click.Path(path_type=Path)
)
@click.option("--seed", default=7, show_default=True, help="Random seed of the sample data.")
@click.option("--contacts", default=500, show_default=True, help="How many contacts.")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Last day of the data.")
@click.option("--force", is_flag=True, help="Replace demo files already in FOLDER.")
def demo(folder: Path, seed: int, contacts: int, as_of: dt.datetime | None, force: bool) -> None:
    """Create a sample workbook and its config in FOLDER, score it and print the funnel."""
    made = create_demo(
        folder, seed=seed, contacts=contacts, end=as_of.date() if as_of else None, force=force
    )
    stderr = Console(stderr=True)
    stderr.print(f"Created {made.workbook} and {made.config}", highlight=False, soft_wrap=True)
    config = load_config(made.config)
    results = _score(made.workbook, config, made.as_of, str(made.config))
    _print_results(config, results, 20, stderr)
    stderr.print(
        f"Next: sheetfunnel score {made.workbook} --out results.xlsx",
        highlight=False,
        soft_wrap=True,
    )


WAIT_OPTION = click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help="Seconds to wait while another sheetfunnel run holds TARGET (0: refuse at once).",
)
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
    console = Console(stderr=True)
    options = RunOptions(
        command="sync",
        dry_run=dry_run,
        rebuild=rebuild,
        skip_unchanged=if_changed,
        wait=wait,
        force=force,
        backup=backup,
    )
    result = run_once(
        target,
        config,
        options,
        as_of=as_of.date() if as_of else None,
        on_wait=None if quiet else _waiting(console),
    )
    if result.log_problem:
        console.print(f"[yellow]Warning:[/] {result.log_problem}", highlight=False)
    if result.error is not None:
        raise result.error
    if quiet:
        return
    if result.report is None:
        console.print(f"{target}: unchanged since the last run; nothing to do.", soft_wrap=True)
    else:
        _print_sync(result.report, console)


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
    open_backend(target, config, backup=backup, force=force)  # a bad target stops here
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
    """One line per scheduled run; with `quiet`, only failed runs."""
    r = result.record
    if result.log_problem:
        console.print(f"[yellow]Warning:[/] {result.log_problem}", highlight=False)
    if quiet and r.outcome != "error":
        return
    when = dt.datetime.fromisoformat(r.start).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    if r.outcome in ("synced", "nothing-changed"):
        what = (
            f"{r.contacts:,} contacts, {r.stage_changes} stage changes ({r.promotions} forward, "
            f"{r.demotions} back), {r.cells_written:,} cells written"
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


@cli.command()
@click.argument("target", required=False)
@CONFIG_OPTION
@click.option("--contact", help="Only this contact (its key, e.g. the e-mail; any case).")
@click.option(
    "--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only changes from this date on."
)
def history(
    target: str | None, config_path: Path | None, contact: str | None, since: dt.datetime | None
) -> None:
    """Show the stage changes recorded in the History tab of TARGET (default: the target of
    the last run in ./sheetfunnel-runs.jsonl, else the one workbook in this folder)."""
    if target is None:
        config, _ = _config_for(Path("x.xlsx"), config_path)  # ./sheetfunnel.toml if any
        target = _default_target(config)
    path = Path(target)
    config, _ = _config_for(path if path.suffix else None, config_path)
    table = read_history(
        open_backend(target, config), config, contact=contact, since=since.date() if since else None
    )
    console = Console()
    if table.empty:
        which = f" for {contact}" if contact else ""
        start = f" since {since.date()}" if since else ""
        console.print(f"No stage changes{which}{start} in {target}.", soft_wrap=True)
        return
    console.print(f"Stage changes in {target}", highlight=False, soft_wrap=True)
    out = Table()
    for column in ("Date", "Contact", "From", "To", "Score", "Set by hand"):
        out.add_column(column, no_wrap=True)
    out.add_column("Reason", overflow="fold", min_width=12)
    for row in table.itertuples():
        out.add_row(
            row.date.date().isoformat(),
            row.contact,
            row.from_stage or "(new)",
            row.to_stage,
            "" if math.isnan(row.score) else f"{row.score:g}",
            "yes" if row.overridden else "no",
            row.reason,
        )
    console.print(out)
    console.print(f"{len(table):,} stage change{'s' if len(table) != 1 else ''}.")


def _default_target(config: Config) -> str:
    log = Path(config.watch.log) if config.watch.log else None
    if log is not None and log.is_file():
        records = list(read_records(log))
        if records and records[-1].get("target"):
            return str(records[-1]["target"])
    books = sorted(p for p in Path().iterdir() if p.suffix.lower() in EXCEL and p.is_file())
    books = [p for p in books if not p.name.startswith(("~$", "."))]
    if len(books) == 1:
        return str(books[0])
    raise click.UsageError(
        "give TARGET (a workbook or a Google Sheet): no run log here names one"
        + (f", and this folder holds {len(books)} workbooks" if books else "")
    )


def _print_sync(report: SyncReport, console: Console) -> None:
    people = len(report.results.contacts)
    moves = len(report.changes)
    what = (
        f"{people:,} contacts, {moves:,} stage change{'s' if moves != 1 else ''} "
        f"({report.promotions} forward, {report.demotions} back)"
    )
    for notice in report.notices:
        console.print(f"[yellow]Note:[/] {notice}", highlight=False, soft_wrap=True)
    if report.dry_run:
        console.print(f"Dry run on {report.target}: {what}; nothing was written.", soft_wrap=True)
        for line in report.write.details:
            console.print(f"  would write: {line}", highlight=False, soft_wrap=True)
        for change in report.changes.head(20).itertuples():
            console.print(
                f"  {change.contact}: {change.from_stage or '(new)'} -> {change.to_stage} "
                f"(score {change.score:g})",
                highlight=False,
                soft_wrap=True,
            )
        return
    if not report.changed:
        console.print(f"{report.target}: nothing changed ({what}).", soft_wrap=True)
        return
    console.print(f"Synced {report.target}: {what}.", highlight=False, soft_wrap=True)
    for line in report.write.details:
        console.print(f"  {line}", highlight=False, soft_wrap=True)
    if report.write.backup:
        console.print(f"  backup: {report.write.backup}", highlight=False, soft_wrap=True)


@cli.command("calibrate")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False))
@CONFIG_OPTION
@AS_OF_OPTION
@click.option("--outcome", required=True, help="Header of the column holding the outcome.")
@click.option(
    "--positive", multiple=True, required=True, help="Outcome value meaning won (repeatable)."
)
@click.option(
    "--negative",
    multiple=True,
    help="Outcome value meaning lost (repeatable). With it, rows whose outcome is neither "
    "positive nor negative (open deals) are left out; without it, only blank ones are.",
)
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="STAGE=RATE",
    help="Conversion wanted at or above a stage's min_score, e.g. SQL=0.4 (repeatable; "
    "default: [calibrate.targets]).",
)
@click.option("--write", is_flag=True, help="Update the points in the config file in place.")
@click.option(
    "--out-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("calibration"),
    show_default=True,
    help="Folder for the scorecard snippet (scorecard.toml) and the chart (calibration.png).",
)
def calibrate_command(
    source: Path,
    config_path: Path | None,
    as_of: dt.datetime | None,
    outcome: str,
    positive: tuple[str, ...],
    negative: tuple[str, ...],
    targets: tuple[str, ...],
    write: bool,
    out_dir: Path,
) -> None:
    """Learn the fit and activity points from won and lost history, and show how good they are."""
    from .calibrate import calibrate_source
    from .calibrate.report import save, tables

    config, name = _config_for(source, config_path)
    file = config_path or (source.parent / "sheetfunnel.toml")
    if write and not file.exists():
        raise click.UsageError("--write needs a config file to update: give --config FILE")
    wanted = dict(config.calibrate.targets)
    for item in targets:
        stage, _, rate = item.partition("=")
        try:
            wanted[stage.strip()] = float(rate)
        except ValueError:
            raise click.BadParameter(f"{item!r} is not STAGE=RATE", param_hint="--target") from None
        if not 0 < wanted[stage.strip()] < 1:
            raise click.BadParameter(f"{item!r}: RATE is between 0 and 1", param_hint="--target")
    stderr = Console(stderr=True)
    stderr.print(f"Calibrating on {source} with {name}", highlight=False, soft_wrap=True)
    cal = calibrate_source(
        source,
        config,
        outcome=outcome,
        positive=positive,
        negative=negative,
        targets=wanted,
        as_of=as_of.date() if as_of else None,
    )
    written = save(cal, out_dir, write_config=file if write else None)
    out = Console()
    for table in tables(cal):
        out.print(table)
    auc = cal.evaluation.auc
    click.echo(
        f"Scorecard AUC {auc['scorecard']:.3f} (unrounded model {auc['model']:.3f}), current "
        f"config {auc['current']:.3f}, over {len(cal.evaluation.folds)} stratified folds."
    )
    click.echo(f"Left out {cal.unlabelled:,} contacts without an outcome.")
    for warning in cal.warnings:
        stderr.print(f"[yellow]Warning:[/] {warning}", highlight=False, soft_wrap=True)
    for notice in cal.notices:
        stderr.print(f"[yellow]Note:[/] {notice}", highlight=False, soft_wrap=True)
    click.echo(f"Wrote the learned points to {written.snippet}")
    click.echo(f"Wrote the lift and calibration chart to {written.chart}")
    if written.config is not None:
        click.echo(f"Updated the points in {written.config}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="sheetfunnel")
