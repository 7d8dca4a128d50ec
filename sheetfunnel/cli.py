"""The `sheetfunnel` command: parses options, calls one library function per command, and is
the one place that turns errors into messages and exit codes."""

from __future__ import annotations

import datetime as dt
import json
import sys
import traceback
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from . import __version__, engine, export, report
from .config import Config, load_config
from .demo import create_demo
from .errors import EXIT_CODES, SheetfunnelError
from .sources import open_backend, read_source
from .sync import SyncReport
from .sync import sync as run_sync

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


@cli.command()
@click.argument("target")
@CONFIG_OPTION
@AS_OF_OPTION
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--force", is_flag=True, help="Ignore a stale Excel/LibreOffice lock file.")
@click.option("--backup/--no-backup", default=None, help="Keep a backup copy of a workbook.")
@click.option("--rebuild", is_flag=True, help="Re-score from scratch (after the rules changed).")
def sync(
    target: str,
    config_path: Path | None,
    as_of: dt.datetime | None,
    dry_run: bool,
    force: bool,
    backup: bool | None,
    rebuild: bool,
) -> None:
    """Score TARGET (.xlsx/.xlsm workbook, or Google Sheet URL or key) and write the results
    into it: managed columns, stage colours, Summary and History tabs."""
    path = Path(target)
    config, _ = _config_for(path if path.suffix else None, config_path)
    backend = open_backend(target, config, backup=backup, force=force)
    report = run_sync(
        backend,
        config,
        as_of=as_of.date() if as_of else None,
        dry_run=dry_run,
        rebuild=rebuild,
        target=target,
    )
    _print_sync(report, Console(stderr=True))


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


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="sheetfunnel")
