"""Commands that score without writing to the spreadsheet: score, check-config, demo,
calibrate."""

from __future__ import annotations

import datetime as dt
import json
import shlex
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from .. import engine, export, report
from ..checking import score_source
from ..config import Config, load_config
from ..demo import run_demo
from ..errors import InputError
from . import AS_OF_OPTION, CONFIG_OPTION, _config_for, cli, exit_if_severe
from .terminal import Screen, progress


def _print_results(
    config: Config, results: engine.Results, top: int, source: Path, stderr: Screen
) -> None:
    """The report on stdout, laid out for the terminal (whole when piped); notes on stderr."""
    out = Screen()
    everyone = len(results.contacts)
    how = f"sheetfunnel score {shlex.quote(str(source))} --top {everyone} lists them all"
    for n, part in enumerate(
        report.full_report(config, results, top, width=out.width, more_how=how)
    ):
        if n:
            out.say("")
        out.print(part)
    for notice in results.notices:
        stderr.say(f"Note: {notice}")


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
@click.option(
    "--decimal-comma/--decimal-point",
    default=None,
    help="Write an --out .csv for Excel in a comma-decimal locale (';' between cells, 0,5, "
    "a BOM); default: as source.decimal says.",
)
def score(
    source: Path,
    config_path: Path | None,
    as_of: dt.datetime | None,
    out: Path | None,
    as_json: bool,
    top: int,
    force: bool,
    decimal_comma: bool | None,
) -> None:
    """Score SOURCE (.xlsx, .xlsm or .csv) and print the funnel; nothing is written to it."""
    config, name = _config_for(source, config_path)
    if out is not None:
        export.check_target(out, source=source, force=force)
    stderr = Screen(err=True)
    if not as_json:
        stderr.say(f"Scoring {source} with {name}")
    with progress(stderr) as steps:
        results = score_source(source, config, as_of.date() if as_of else None, progress=steps)
    if as_json:
        click.echo(json.dumps(export.to_json(results), indent=2, ensure_ascii=False))
    else:
        _print_results(config, results, top, source, stderr)
    if out is not None:
        comma = config.source.decimal == "," if decimal_comma is None else decimal_comma
        notes: list[str] = []
        export.write_results(
            results, out, force=force, source=source, decimal="," if comma else ".", notes=notes
        )
        for note in notes:
            stderr.say(f"Note: {note}")
        stderr.say(f"Wrote {len(results.contacts):,} contacts to {out}")
    exit_if_severe(results.notices)


@cli.command("check-config")
@click.argument("config_path", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--source",
    help="Also read this workbook, CSV or Google Sheet and check every tab, header and "
    "activity name against it, as a sync would; nothing is written.",
)
def check_config(config_path: Path | None, source: str | None) -> None:
    """Validate a config file (default: sheetfunnel.toml beside --source, else
    ./sheetfunnel.toml, else the built-in default), and with --source, against the sheet."""
    if config_path is None:
        beside = Path(source).parent / "sheetfunnel.toml" if source else None
        for candidate in (beside, Path("sheetfunnel.toml")):
            if candidate is not None and candidate.exists():
                config_path = candidate
                break
    config = load_config(config_path)
    name = config_path or "the built-in default config"
    click.echo(
        f"{name} is valid: {len(config.stages)} stages, {len(config.exits)} exits, "
        f"{len(config.activity_types)} activity types, {len(config.fit.rules)} fit rules."
    )
    if source is None:
        click.echo(
            "Not checked against a sheet: add --source SOURCE to check its tabs, headers "
            "and activity names."
        )
        return
    stderr = Screen(err=True)
    with progress(stderr) as steps:
        results = score_source(source, config, progress=steps)
    for notice in results.notices:
        stderr.say(f"Note: {notice}")
    click.echo(
        f"Checked against {source}: every tab and header found, {len(results.contacts):,} "
        "contacts scored; nothing was written."
    )
    exit_if_severe(results.notices)


@cli.command()
@click.argument(
    "folder", required=False, default="sheetfunnel-demo", type=click.Path(path_type=Path)
)
@click.option("--seed", default=7, show_default=True, help="Random seed of the sample data.")
@click.option("--contacts", default=500, show_default=True, help="How many contacts.")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Last day of the data.")
@click.option("--force", is_flag=True, help="Replace demo files already in FOLDER.")
def demo(folder: Path, seed: int, contacts: int, as_of: dt.datetime | None, force: bool) -> None:
    """Create a sample workbook and its config in FOLDER, score it, sync the results into it
    and print the funnel, where to look and what to run next."""
    stderr = Screen(err=True)
    with progress(stderr) as steps:
        made, synced = run_demo(
            folder,
            seed=seed,
            contacts=contacts,
            end=as_of.date() if as_of else None,
            force=force,
            progress=steps,
        )
    _print_results(load_config(made.config), synced.results, 20, made.workbook, stderr)
    say = [
        f"Created {made.workbook} and {made.config}, scored the sample contacts and synced the "
        "results into the workbook. Open it to see:",
        "  - tab Contacts: the columns Score, Fit, Engagement, Stage (coloured by stage), "
        "Stage since, Next action and Why, after the sample's own columns",
        "  - tab Summary: the funnel and its charts, conversion, by source and by owner",
        "  - tab Companies: per company its contacts, best score and most advanced stage",
        "  - tab History: one row per stage change (a second sync adds the changes since)",
        "  - tab Funnel by day: the stage counts of each sync day, charted in the Summary",
        "Next, on your own sheet (a .xlsx or .csv file, or a Google Sheet URL):",
        "  sheetfunnel init your-sheet.xlsx              # map its columns and activities",
        "  sheetfunnel sync your-sheet.xlsx              # score it, write the results in",
        "  sheetfunnel watch your-sheet.xlsx --every 15m # keep it up to date",
    ]
    for line in say:
        stderr.say(line)


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
@click.option(
    "--write",
    is_flag=True,
    help="Update the points and the stage thresholds in the config file in place.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Write the scorecard even from too few outcomes (fewer than 50 positives or negatives).",
)
@click.option(
    "--out-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("calibration"),
    show_default=True,
    help="Folder for the scorecard snippet (scorecard.toml), the chart (calibration.png), the "
    "funnel (funnel.csv) and the thresholds (thresholds.csv).",
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
    force: bool,
    out_dir: Path,
) -> None:
    """Learn the fit and activity points and the stage thresholds from won and lost history,
    and show how good they are."""
    # imported here: the learn extra (scikit-learn, matplotlib) loads only once the source is read
    from ..calibrate import calibrate_source
    from ..calibrate.report import save, tables

    config, name = _config_for(source, config_path)
    file = config_path or (source.parent / "sheetfunnel.toml")
    if write and not file.exists():
        raise click.UsageError("--write needs a config file to update: give --config FILE")
    wanted = dict(config.calibrate.targets)
    rungs = [s.name for s in config.stages[1:]]
    for item in targets:
        stage, _, rate = item.partition("=")
        stage = stage.strip()
        try:
            wanted[stage] = float(rate)
        except ValueError:
            raise click.BadParameter(f"{item!r} is not STAGE=RATE", param_hint="--target") from None
        if not 0 < wanted[stage] < 1:
            raise click.BadParameter(f"{item!r}: RATE is between 0 and 1", param_hint="--target")
        if stage not in rungs:
            raise click.BadParameter(
                f"{item!r}: no stage {stage!r} above the first rung of the ladder; the stages "
                f"that take a target are {', '.join(rungs) or 'none'}",
                param_hint="--target",
            )
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
    written = save(cal, out_dir, write_config=file if write else None, force=force)
    out = Screen()  # whole tables when piped
    for table in tables(cal):
        out.print(table)
    auc, spread = cal.evaluation.auc, cal.evaluation.spread
    click.echo(
        f"Scorecard AUC {auc['scorecard']:.3f} ± {spread['scorecard']:.3f} (unrounded model "
        f"{auc['model']:.3f}), current config {auc['current']:.3f}, gradient-boosting ceiling "
        f"{auc['ceiling']:.3f}, over {len(cal.evaluation.folds)} stratified folds."
    )
    click.echo(f"Left out {cal.unlabelled:,} contacts without an outcome.")
    for warning in cal.warnings:
        stderr.print(f"[yellow]Warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)
    for notice in cal.notices:
        stderr.print(f"[yellow]Note:[/] {escape(str(notice))}", highlight=False, soft_wrap=True)
    click.echo(f"Wrote the lift and calibration chart to {written.chart}")
    click.echo(f"Wrote the funnel before and after to {written.funnel}")
    if written.snippet is not None:
        click.echo(f"Wrote the learned points and thresholds to {written.snippet}")
    if written.config is not None:
        click.echo(f"Updated the points and the stage thresholds in {written.config}")
    if written.refused:
        raise InputError(written.refused)
