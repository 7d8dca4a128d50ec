"""Tables laid out for a terminal's width: the key whole, the long text shortened on one
line, the least-needed columns left out first; with no width, everything whole."""

import pandas as pd
from rich.console import Console

from sheetfunnel.report import Column, fitted, layout, more, number, shorten

KEY = "theo.fontaine387@quivert-ltd.com"  # 32 characters
LONG = "marie-christine.de-la-fontaine-vasseur@example-holding.com"  # 58
WHY = "+32 quote request 4d ago; +26 demo request 6d ago; +15 title Head of Growth"
COLUMNS = [
    Column("Contact", "key"),
    Column("Company", "text", drop=1, least=10),
    Column("Fit", right=True, drop=2),
    Column("Score", right=True),
    Column("Stage"),
    Column("Why", "text", least=30),
]
ROWS = [[KEY, "Fontaine Vasseur Holding", "45", "1,140", "Prospect", WHY]]


def render(table, width):
    console = Console(width=width, color_system=None)
    with console.capture() as out:
        console.print(table)
    return [line.rstrip() for line in out.get().splitlines()]


def test_at_80_columns_the_key_is_whole_and_why_is_shortened_on_one_line():
    lines = render(fitted(COLUMNS, ROWS, 80), 80)
    assert lines[0].split() == ["Contact", "Score", "Stage", "Why"]  # Company and Fit left out
    assert lines[2] == f"{KEY}  1,140  Prospect  +32 quote request 4d ago;…"
    assert len(lines[1]) == 80  # the rule under the headers: the Why takes the rest
    assert len(lines) == 3 and all(len(line) <= 80 for line in lines)


def test_with_more_room_company_comes_back_before_fit():
    lines = render(fitted(COLUMNS, ROWS, 95), 95)
    assert lines[0].split() == ["Contact", "Company", "Score", "Stage", "Why"]
    assert lines[2] == f"{KEY}  Fontaine V…  1,140  Prospect  +32 quote request 4d ago;…"
    wide = render(fitted(COLUMNS, ROWS, 160), 160)
    assert wide[0].split() == ["Contact", "Company", "Fit", "Score", "Stage", "Why"]
    assert wide[2] == f"{KEY}  Fontaine Vasseur Holding   45  1,140  Prospect  {WHY}"
    assert all(len(line) <= 120 for line in lines)


def test_a_terminal_too_narrow_for_the_key_and_numbers_still_shows_the_key_whole():
    rows = [[LONG, *ROWS[0][1:]]]
    widths = layout(COLUMNS, rows, 60)
    assert widths == [len(LONG), None, None, len("1,140"), len("Prospect"), 1]
    lines = render(fitted(COLUMNS, rows, 80), 80)
    assert lines[2] == f"{LONG}  1,140  Prospect  +3…"


def test_no_width_means_every_column_whole():
    lines = render(fitted(COLUMNS, ROWS, None), 400)
    assert lines[2].split("  ")[0] == KEY and lines[2].endswith(WHY)
    assert "…" not in "\n".join(lines)


def test_shorten_cuts_after_a_whole_part_when_it_can():
    assert shorten(WHY, 200) == WHY
    assert shorten(WHY, 40) == "+32 quote request 4d ago;…"
    assert shorten("one long reason without parts", 10) == "one long …"


def test_numbers_and_the_and_n_more_line():
    assert number(350014) == "350,014"
    assert number(12.25, 1) == "12.2" and number(3.0) == "3"
    assert number(None) == "-" and number(float("nan")) == "-" and number(pd.NA) == "-"
    assert more(20, 3302, "sheetfunnel -v sync book.xlsx --dry-run lists them all") == (
        "… and 3,282 more (sheetfunnel -v sync book.xlsx --dry-run lists them all)"
    )
