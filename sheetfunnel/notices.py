"""What a run tells the user about their data: counted notices that read like sentences."""

from __future__ import annotations

from dataclasses import dataclass

#: How many examples a notice shows.
EXAMPLES = 3


@dataclass(frozen=True)
class Notice:
    """Something in the data the user should know about; the run went on."""

    kind: str
    count: int
    message: str
    #: Enough of the data was left out that the results mislead (more than half the log):
    #: the command still writes, then exits with code 8.
    severe: bool = False

    def __str__(self) -> str:
        return self.message


def plural(count: int, singular: str, plural: str | None = None, *, verb: str = "") -> str:
    """ "1 row was", "2 rows were": notices read like sentences. `verb`: "is" or "was"."""
    noun = singular if count == 1 else (plural or singular + "s")
    verbs = {"is": ("is", "are"), "was": ("was", "were")}
    return f"{count:,} {noun}" + (f" {verbs[verb][count != 1]}" if verb else "")
