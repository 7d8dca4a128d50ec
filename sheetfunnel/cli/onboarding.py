"""`sheetfunnel init`: a config for the user's own sheet, and what to run next."""

from __future__ import annotations

import click

from ..init import init_config, summary_lines
from . import cli


@cli.command()
@click.argument("source")
@click.option("--force", is_flag=True, help="Replace a sheetfunnel.toml already there.")
@click.option("--dry-run", is_flag=True, help="Print the config instead of writing it.")
def init(source: str, force: bool, dry_run: bool) -> None:
    """Map SOURCE's headers and activity names (a .xlsx, .xlsm or .csv file, or a Google
    Sheet URL or key) and write a short sheetfunnel.toml beside it, then say what to run."""
    result = init_config(source, force=force, dry_run=dry_run)
    if dry_run:
        click.echo(result.text)
    for line in summary_lines(result):
        click.echo(line)
