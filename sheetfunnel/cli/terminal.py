"""How the command line talks to a person: on a terminal, tables laid out for its width and
a progress display on stderr for the long steps; piped to a file or a cron mail, plain text
whose lines are never cut and no progress display at all."""

from __future__ import annotations

import contextlib
import textwrap
from collections.abc import Iterator
from typing import Any

import click
from rich.console import Console, RenderableType
from rich.progress import Progress as Bar
from rich.progress import SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from ..progress import SILENT, Progress

#: The width plain output is laid out for: wide enough that no line is ever cut.
PLAIN_WIDTH = 100_000


class Screen:
    """stdout or stderr. On a terminal, rich output at its width; otherwise plain text: no
    colour, no line cut at 80 columns, no trailing spaces."""

    def __init__(self, *, err: bool = False) -> None:
        self.err = err
        probe = Console(stderr=err)
        self.terminal = probe.is_terminal
        self.console = probe if self.terminal else self._plain()

    def _plain(self) -> Console:
        return Console(
            stderr=self.err, width=PLAIN_WIDTH, color_system=None, highlight=False, emoji=False
        )

    @property
    def width(self) -> int | None:
        """The width to lay tables out for; None when nothing should be shortened."""
        return self.console.width if self.terminal else None

    def print(self, *things: RenderableType, **options: Any) -> None:
        """Print as rich does; plain text with each line's trailing spaces stripped."""
        options.setdefault("highlight", False)
        if self.terminal:
            self.console.print(*things, **options)
            return
        with self.console.capture() as captured:
            self.console.print(*things, **options)
        text = "\n".join(line.rstrip() for line in captured.get().splitlines())
        click.echo(text, err=self.err)

    def say(self, text: str) -> None:
        """One line of plain words (no markup): on a terminal wrapped between words, a list
        item ("  - ...") under its own text; otherwise whole on one line. A word (a path, an
        e-mail) is never broken."""
        if self.terminal and len(text) > self.console.width:
            body = text.lstrip(" ")
            hang = len(text) - len(body) + (2 if body.startswith("- ") else 0)
            text = textwrap.fill(
                text,
                self.console.width,
                subsequent_indent=" " * hang,
                break_long_words=False,
                break_on_hyphens=False,
            )
        self.print(text, markup=False, soft_wrap=True)


class Steps:
    """A progress listener that shows the current step with a spinner and its time so far."""

    def __init__(self, bar: Bar) -> None:
        self.bar = bar
        self.task: TaskID | None = None

    def step(self, text: str) -> None:
        """The previous step is done; show this one."""
        if self.task is not None:
            self.bar.remove_task(self.task)
        self.task = self.bar.add_task(f"{text}…", total=None)


@contextlib.contextmanager
def progress(screen: Screen, *, quiet: bool = False) -> Iterator[Progress]:
    """A progress display on `screen` (stderr) while the block runs; it disappears at the
    end. None under `quiet` or when stderr is not a terminal."""
    if quiet or not screen.terminal:
        yield SILENT
        return
    bar = Bar(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=screen.console,
        transient=True,
    )
    with bar:
        yield Steps(bar)
