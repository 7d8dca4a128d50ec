"""Progress of the steps that can take a while (read, score, write), told to a listener.

The library never prints: a long step calls `progress.step("Reading demo.xlsx")` and the
command line decides whether and how to show it (a spinner on a terminal, nothing in cron).
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Told when a step begins; each step ends when the next begins or the caller is done."""

    def step(self, text: str) -> None:
        """A step begins, in plain words ("Scoring 50,000 contacts")."""
        ...


class Silent:
    """The default listener: hears every step and shows nothing."""

    def step(self, text: str) -> None:
        """Nothing to show."""


SILENT = Silent()
