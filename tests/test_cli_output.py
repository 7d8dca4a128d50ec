"""What the terminal shows when it is not a terminal (a pipe, a cron mail, a file) at 80
columns: nothing cut, lists that say how many more and how to see them all, thousands
separators, plain words; and the progress display, only on a terminal and not under -q."""

import datetime as dt
import os
import pty
import re
import select
import shutil
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import ROOT
from python_calamine import CalamineWorkbook

from sheetfunnel.backends.base import EPOCH_1900
from sheetfunnel.cli import cli
from sheetfunnel.config import load_config
from sheetfunnel.demo import generate
from sheetfunnel.runner import RunOptions, run_once
from tests.gsheets_emulator.fixtures import emulator, service_account_file
from tests.gsheets_emulator.scenario import fill
from tests.gsheets_emulator.state import Sheet

DAY = dt.date(2026, 6, 30)
LATER = DAY + dt.timedelta(days=30)
PEOPLE = 1500
ENV = {"COLUMNS": "80", "LINES": "40"}
__all__ = ["emulator"]  # the fixture


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, env=ENV)


def rows(book, tab):
    data = CalamineWorkbook.from_path(str(book)).get_sheet_by_name(tab).to_python()
    return [dict(zip(data[0], r, strict=False)) for r in data[1:]]


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    """A 1,500-contact demo synced on DAY, then (a copy) 30 days later: stage changes."""
    folder = tmp_path_factory.mktemp("out")
    state = tmp_path_factory.mktemp("state")
    os.environ["SHEETFUNNEL_STATE_DIR"] = str(state)  # the module fixture runs before autouse
    demo = run("demo", folder, "--contacts", PEOPLE, "--as-of", DAY)
    assert demo.exit_code == 0, demo.output
    later = folder / "later.xlsx"
    shutil.copy(folder / "demo.xlsx", later)
    sync = run("sync", later, "--as-of", LATER, "--no-backup")
    assert sync.exit_code == 0, sync.output
    return folder, demo, sync, later


def test_score_piped_at_80_columns_cuts_no_key_and_no_why(synced):
    folder, demo, _, _ = synced
    out = demo.stdout
    config = load_config(folder / "sheetfunnel.toml")
    people = run_once(
        str(folder / "demo.xlsx"), config, RunOptions(dry_run=True), as_of=DAY
    ).report.results.contacts
    top = people.sort_values(["score", "key"], ascending=[False, True]).head(20)
    lines = out.splitlines()
    assert lines[0] == f"Top 20 of {PEOPLE:,} contacts by score"
    assert lines[1].split() == ["Contact", "Company", "Fit", "Engagement", "Score", "Stage", "Why"]
    for line, person in zip(lines[3:23], top.itertuples(), strict=True):
        assert line.startswith(person.key + " ")  # the e-mail whole, at the start of its row
        assert line.endswith(" " + person.why)  # and the Why whole, on one line
    assert max(len(line) for line in lines) > 80  # no line was cut at 80 columns
    assert "…" not in out.replace("… and ", "")  # nothing shortened
    assert (
        f"… and {PEOPLE - 20:,} more (sheetfunnel score {folder / 'demo.xlsx'} --top {PEOPLE} "
        "lists them all)"
    ) in lines
    assert re.search(rf"^All contacts +{PEOPLE:,}$", out, re.M)  # thousands separators
    assert "\x1b[" not in out  # no colour codes in a pipe
    assert all(line == line.rstrip() for line in lines)  # no trailing spaces


def test_sync_says_what_it_wrote_in_plain_words_and_details_only_with_v(synced, tmp_path):
    folder, _, sync, later = synced
    changes = [r for r in rows(later, "History") if str(r["Date"])[:10] == LATER.isoformat()]
    assert changes
    lines = sync.output.splitlines()
    assert lines[0].startswith("Note: 1 duplicate contact row was merged")
    assert lines[1].startswith(f"Synced {later}: {PEOPLE:,} contacts, {len(changes):,} stage ")
    assert lines[2].startswith("  wrote: Contacts: ")
    assert re.fullmatch(
        r"  wrote: Contacts: \d{1,3}(,\d{3})* cells of the sheetfunnel columns", lines[2]
    )
    assert lines[3] == "  wrote: Summary, Companies, History and Funnel by day tabs"
    assert lines[4] == (
        f"  sheetfunnel history {later} --since {LATER.isoformat()} lists the stage changes"
    )
    assert len(lines) == 5
    for jargon in ("styles", "dxf", "dimension", "contacts sheet", "markers", "detail:"):
        assert jargon not in sync.output
    # -v adds the backend's own account, file parts and all
    again = tmp_path / "again.xlsx"
    shutil.copy(folder / "demo.xlsx", again)
    verbose = CliRunner().invoke(
        cli, ["-v", "sync", str(again), "--as-of", str(LATER), "--no-backup"], env=ENV
    )
    assert verbose.exit_code == 0, verbose.output
    details = [line for line in verbose.output.splitlines() if line.startswith("  detail: ")]
    assert "  detail: contacts sheet: " in "\n".join(details)


def test_a_dry_run_lists_20_changes_and_says_how_to_see_them_all(synced, tmp_path):
    folder, _, _, _ = synced
    book = tmp_path / "book.xlsx"
    shutil.copy(folder / "demo.xlsx", book)
    config = load_config(folder / "sheetfunnel.toml")
    report = run_once(str(book), config, RunOptions(dry_run=True), as_of=LATER).report
    moved = report.changes
    assert len(moved) > 20
    result = run("sync", book, "--dry-run", "--as-of", LATER)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert (
        f"  would write: Contacts: {report.write.cells_written:,} cells of the sheetfunnel columns"
        in lines
    )
    assert "  would write: Summary, Companies, History and Funnel by day tabs" in lines
    at = lines.index(f"Stage changes it would record ({len(moved):,})")
    assert lines[at + 1].split() == ["Contact", "From", "To", "Score"]
    for line, change in zip(lines[at + 3 : at + 23], moved.head(20).itertuples(), strict=True):
        assert line.split() == [
            change.contact,
            change.from_stage,
            change.to_stage,
            f"{change.score:g}",
        ]
    assert lines[at + 23] == (
        f"… and {len(moved) - 20:,} more (sheetfunnel -v sync {book} --dry-run --as-of "
        f"{LATER.isoformat()} lists them all)"
    )
    assert "detail:" not in result.output
    every = run("-v", "sync", book, "--dry-run", "--as-of", LATER)
    listed = [line.split()[0] for line in every.output.splitlines() if "@" in line.split(" ")[0]]
    assert listed == list(moved["contact"])
    assert "more (" not in every.output and "  detail: " in every.output


def test_history_piped_keeps_the_reason_column_and_says_and_n_more(synced):
    _, _, _, later = synced
    changes = rows(later, "History")
    assert len(changes) > 50
    result = run("history", later)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"Stage changes in {later}"
    assert lines[1] == (
        f"… and {len(changes) - 50:,} more (earlier; sheetfunnel history {later} --all lists "
        "them all)"
    )
    assert lines[2].split() == ["Date", "Contact", "From", "To", "Score", "By", "hand", "Reason"]
    for line, change in zip(lines[4:54], changes[-50:], strict=True):
        assert f"  {change['Contact']}  " in line  # the key whole
        assert line.endswith("  " + change["Reason"])  # the reason whole
    assert lines[-1] == f"{len(changes):,} stage changes."
    every = run("history", later, "--all").stdout.splitlines()
    assert len(every) == len(changes) + 4 and "more (" not in "\n".join(every)


def _in_a_terminal(*args, cwd, columns=80):
    """Run the CLI with stdout and stderr on a pseudo-terminal; what it showed, raw."""
    leader, follower = pty.openpty()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "COLUMNS": str(columns),
        "LINES": "40",
        "TERM": "xterm-256color",
    }
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "sheetfunnel", *map(str, args)],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env=env,
        cwd=cwd,
    )
    os.close(follower)
    shown = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    assert proc.wait(timeout=120) == 0, shown.decode(errors="replace")
    os.close(leader)
    return shown.decode(errors="replace")


def test_the_progress_display_shows_on_a_terminal_only_and_not_under_q(synced, tmp_path):
    folder, _, _, _ = synced
    book = tmp_path / "book.xlsx"
    shutil.copy(folder / "demo.xlsx", book)
    shown = _in_a_terminal("sync", "book.xlsx", "--as-of", LATER, "--no-backup", cwd=tmp_path)
    assert "Reading book.xlsx…" in shown
    assert re.search(r"Scoring [0-9,]+ contacts…", shown)
    assert "Writing book.xlsx…" in shown
    assert "Synced book.xlsx: " in shown
    later = LATER + dt.timedelta(days=1)
    quiet = _in_a_terminal("sync", "book.xlsx", "--as-of", later, "-q", cwd=tmp_path)
    assert quiet == ""
    piped = run("sync", book, "--as-of", LATER + dt.timedelta(days=2))
    assert piped.exit_code == 0
    assert "Reading" not in piped.output and "Scoring" not in piped.output


def test_a_google_sheet_sync_counts_cells_of_columns_and_tabs_together(
    emulator, tmp_path, monkeypatch
):
    contacts, activities = generate(seed=3, contacts=80, end=DAY)
    key = emulator.create("Pipeline")
    with emulator.lock:
        book = emulator.spreadsheets[key]
        book.sheets[0].title = "Contacts"
        fill(book.sheets[0], _grid(contacts))
        log = Sheet(1, "Activities")
        fill(log, _grid(activities))
        book.sheets.append(log)
    creds = service_account_file(emulator, tmp_path, "funnel@project.iam.gserviceaccount.com")
    monkeypatch.setenv("SHEETFUNNEL_CREDENTIALS", str(creds))
    monkeypatch.setenv("SHEETFUNNEL_SHEETS_ENDPOINT", emulator.url)
    result = run("sync", key, "--as-of", DAY)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    at = lines.index(f"Synced {key}: 80 contacts, 0 stage changes (0 forward, 0 back).")
    assert re.fullmatch(
        r"  wrote: \d{1,3}(,\d{3})* cells in the sheetfunnel columns and tabs", lines[at + 1]
    )
    assert lines[at + 2] == "  wrote: Summary, Companies, History and Funnel by day tabs"
    assert "detail:" not in result.output and "requests" not in result.output


def _grid(frame):
    def cell(value):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return None
        if isinstance(value, dt.date):
            return (value - EPOCH_1900).days
        return value.item() if hasattr(value, "item") else value

    return [list(frame.columns)] + [[cell(v) for v in r] for r in frame.itertuples(index=False)]
