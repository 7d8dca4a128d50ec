"""The `sheetfunnel` command: parses options, calls one library function per command, and is
the one place that turns errors into messages and exit codes. The commands live in
`scoring` (score, check-config, demo, calibrate) and `syncing` (sync, watch, history)."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from .. import __version__
from ..config import Config, load_config
from ..errors import EXIT_CODES, MOSTLY_UNMATCHED_EXIT, SheetfunnelError
from ..normalise import Notice

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
        except BrokenPipeError:
            # the reader stopped reading (`| head`): nothing to say, and nowhere to say it
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
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


def exit_if_severe(notices: Iterable[Notice]) -> None:
    """Exit 8 when a notice says the results mislead (most of the log left out); the
    results are already printed and written by then."""
    if any(n.severe for n in notices):
        click.get_current_context().exit(MOSTLY_UNMATCHED_EXIT)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="sheetfunnel")


# The commands register themselves on `cli` when their modules load.
from . import onboarding, scoring, syncing  # noqa: E402

__all__ = ["cli", "main", "onboarding", "scoring", "syncing"]
