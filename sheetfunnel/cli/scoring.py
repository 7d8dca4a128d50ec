"""Commands that score without writing to the spreadsheet: score, check-config, demo,
calibrate."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
from rich.console import Console

from .. import engine, export, report
from ..config import Config, load_config
from ..demo import create_demo
from ..sources import read_source
from . import AS_OF_OPTION, CONFIG_OPTION, _config_for, cli


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
        notes: list[str] = []
        export.write_results(results, out, force=force, notes=notes)
        for note in notes:
            stderr.print(f"[yellow]Note:[/] {note}", highlight=False, soft_wrap=True)
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
    from ..calibrate import calibrate_source
    from ..calibrate.report import save, tables

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
