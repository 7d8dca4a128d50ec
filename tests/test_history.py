"""History over time: transitions shown by contact or date, the tab kept bounded, median days
in each stage and moves since the previous sync in the Summary (which a rerun leaves
byte-identical), and what `--rebuild` records."""

import datetime as dt

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from run_helpers import DAY, config, copy_book, rows, table

from sheetfunnel.backends.excel import ExcelBackend
from sheetfunnel.cli import cli
from sheetfunnel.config import Config
from sheetfunnel.demo import create_demo
from sheetfunnel.history import history_table, previous_sync, stage_flow
from sheetfunnel.sync import sync
from sheetfunnel.tabs import HISTORY_HEADER

D = dt.date(2026, 6, 1)


def day(n):
    return D + dt.timedelta(days=n)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return create_demo(tmp_path_factory.mktemp("demo"), contacts=120, end=DAY).workbook


@pytest.fixture
def book(pristine, tmp_path):
    return copy_book(pristine, tmp_path)


def run(book, cfg=None, *, on, **kw):
    return sync(ExcelBackend(book, backup=False), cfg or Config(), as_of=on, **kw)


# --------------------------------------------------------------------------- stage flow


HISTORY = (
    HISTORY_HEADER,
    (day(0), "a@x.com", None, "Lead", 5, "new", "no"),
    (day(2), "b@x.com", None, "MQL", 25, "new", "no"),
    (day(3), "A@X.com", "Lead", "MQL", 22, "", "no"),  # keys match ignoring case
    (day(13), "a@x.com", "MQL", "SQL", 40, "", "no"),
    (day(17), "a@x.com", "SQL", "Lead", 12, "decay", "no"),
    (day(18), "c@x.com", "Lead", "MQL", 21, "", "no"),
    (day(18), "c@x.com", "MQL", "SQL", 45, "", "yes"),  # two syncs on one day
)
CURRENT = pd.DataFrame(
    {
        "key": ["a@x.com", "b@x.com", "c@x.com", "d@x.com"],
        "stage": ["Lead", "MQL", "SQL", "Customer"],
        "since": pd.to_datetime([day(17), day(2), day(18), day(20)]),
    }
)


def test_median_days_in_stage_from_history_and_the_current_stay():
    history = history_table(HISTORY, Config())
    assert list(history["overridden"]) == [False] * 6 + [True]
    flow = stage_flow(Config(), history, CURRENT, day(20), previous=day(15))
    days = flow.days_in_stage
    assert list(days.index) == [
        "Lead",
        "MQL",
        "SQL",
        "Prospect",
        "Customer",
        "Disqualified",
        "Lost",
    ]
    # Lead: a's 3 days before MQL, a's 3 days since day 17. MQL: a 10, c 0 (same day), b's
    # current 18. SQL: a 4, c's current 2. Customer: d's current 0.
    assert days.loc["Lead"].tolist() == [3, 2]
    assert days.loc["MQL"].tolist() == [10, 3]
    assert days.loc["SQL"].tolist() == [3, 2]
    assert days.loc["Customer"].tolist() == [0, 1]
    assert days.loc["Prospect", "stays"] == 0 and pd.isna(days.loc["Prospect", "median_days"])
    # after day 15: a went back (SQL -> Lead), c went forward twice (counted once)
    assert (flow.forward, flow.backward) == (1, 1)
    # no previous sync known: only today's changes count
    alone = stage_flow(Config(), history, CURRENT, day(18), previous=None)
    assert (alone.forward, alone.backward) == (1, 0)


def test_previous_sync_comes_from_the_summary_the_last_sync_wrote():
    summary = (("sheetfunnel summary",), ("As of", day(10)), ("Previous sync", day(3)))
    assert previous_sync(summary, day(11), Config()) == day(10)  # a new day
    assert previous_sync(summary, day(10), Config()) == day(3)  # a rerun the same day
    assert previous_sync((), day(10), Config()) is None
    serials = (("As of", 46173.0),)  # a Google Sheets serial reads as a date too
    assert previous_sync(serials, day(30), Config()) == dt.date(2026, 5, 31)


@pytest.mark.parametrize(
    "cell",
    [
        dt.date(2026, 5, 10),
        dt.datetime(2026, 5, 10, 23, 59),
        "2026-05-10",
        46152.0,
        dt.datetime(2026, 5, 9, 22, 30, tzinfo=dt.UTC),  # 00:30 on the 10th in Paris
    ],
)
def test_the_last_sync_date_reads_the_same_from_every_kind_of_cell(cell) -> None:
    config = Config.model_validate({"source": {"timezone": "Europe/Paris"}})
    assert previous_sync((("As of", cell),), dt.date(2026, 5, 20), config) == dt.date(2026, 5, 10)


@pytest.mark.parametrize("cell", [dt.date(3024, 5, 10), dt.datetime(1492, 10, 12, 8, 0)])
def test_a_last_sync_date_no_timestamp_holds_reads_as_none(cell) -> None:
    assert previous_sync((("Previous sync", cell),), dt.date(2026, 5, 20), Config()) is None


# --------------------------------------------------------------------------- real workbooks


def summary_rows(book):
    return {r[0]: r[1:4] for r in rows(book, "Summary") if r and r[0]}


def test_summary_shows_moves_and_time_in_stage_and_a_rerun_is_byte_identical(book):
    run(book, on=day(29))
    week = run(book, on=day(36))
    assert week.demotions >= 3
    summary = summary_rows(book)
    assert summary["As of"][0] == day(36) and summary["Previous sync"][0] == day(29)
    moved = summary[f"Contacts moved ({day(29)})"]
    assert moved[:2] == [week.promotions, week.demotions]
    people = week.results.contacts
    since = {str(r["Email"]).strip().lower(): r["Stage since"] for r in table(book, "Contacts")}
    for stage, count in people["stage"].value_counts().items():
        # the first History entries: only the current stays (from Stage since) count
        days = sorted(
            (day(36) - since[str(k).strip().lower()]).days
            for k in people.loc[people["stage"] == stage, "key"]
        )
        median, stays = _time_in_stage(book, stage)
        assert stays == count
        assert median == float(pd.Series(days).median())
    before = (book.read_bytes(), book.stat().st_mtime_ns)
    again = run(book, on=day(36))
    assert not again.changed and again.changes.empty
    assert (book.read_bytes(), book.stat().st_mtime_ns) == before


def _time_in_stage(book, stage):
    """The (median days, stays) row of `stage` in the Summary's Time in stage section."""
    found = False
    for r in rows(book, "Summary"):
        if r and r[0] == "Time in stage":
            found = True
        elif found and r and r[0] == stage:
            return r[1], r[2]
    raise AssertionError(f"no Time in stage row for {stage}")


def test_history_stays_bounded_keeping_the_latest_changes(book, tmp_path):
    base = config(tmp_path)
    cfg = base.model_copy(
        update={"output": base.output.model_copy(update={"history_max_rows": 10})}
    )
    run(book, cfg, on=DAY)
    report = run(book, cfg, on=DAY + dt.timedelta(days=150))
    assert len(report.changes) > 10
    assert report.history_dropped == len(report.changes) - 10
    history = table(book, "History")
    assert len(history) == 10
    assert [h["Contact"] for h in history] == list(report.changes["contact"][-10:])
    later = run(book, cfg, on=DAY + dt.timedelta(days=400))
    assert len(table(book, "History")) == 10
    assert later.history_dropped == len(later.changes)


def test_rebuild_records_only_real_changes_and_keeps_stage_since(book):
    run(book, on=day(29))
    first = {r["Email"]: r["Stage since"] for r in table(book, "Contacts")}
    base = Config()
    looser = base.model_copy(
        update={
            "stages": tuple(
                s.model_copy(update={"min_engagement": 10}) if s.name == "MQL" else s
                for s in base.stages
            )
        }
    )
    rebuilt = run(book, looser, on=day(31), rebuild=True)
    moved = set(rebuilt.changes["contact"])
    assert moved and set(rebuilt.changes["to_stage"]) == {"MQL"}
    assert len(table(book, "History")) == len(moved)
    for r in table(book, "Contacts"):
        expected = day(31) if r["Email"].lower() in moved else first[r["Email"]]
        assert r["Stage since"] == expected, r["Email"]
    again = run(book, looser, on=day(31), rebuild=True)
    assert not again.changed and again.changes.empty


def _clear_stage_since(book, *, drop_state: bool) -> None:
    wb = load_workbook(book)
    sheet = wb["Contacts"]
    header = [c.value for c in sheet[1]]
    column = header.index("Stage since") + 1
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row, column).value = None
    if drop_state:
        del wb["sheetfunnel"]  # the hidden tab holding what the last sync wrote
    wb.save(book)


def test_a_cleared_stage_since_comes_back_from_what_the_last_sync_wrote(book):
    run(book, on=day(29))
    first = {r["Email"].lower(): r["Stage since"] for r in table(book, "Contacts")}
    week = run(book, on=day(36))
    moved = set(week.changes["contact"])
    _clear_stage_since(book, drop_state=False)
    moved_again = set(run(book, on=day(40), rebuild=True).changes["contact"])
    since = {r["Email"].lower(): r["Stage since"] for r in table(book, "Contacts")}
    assert {since[c] for c in moved - moved_again} == {day(36)}
    assert {since[c] for c in moved_again} <= {day(40)}
    assert all(v == first[k] for k, v in since.items() if k not in moved | moved_again)


def test_rebuild_without_the_state_tab_takes_stage_since_back_from_history(book):
    run(book, on=day(29))
    week = run(book, on=day(36))
    moved = set(week.changes["contact"])
    _clear_stage_since(book, drop_state=True)
    run(book, on=day(40), rebuild=True)
    since = {r["Email"].lower(): r["Stage since"] for r in table(book, "Contacts")}
    assert {since[c] for c in moved} == {day(36)}  # the History entry's date
    assert {v for k, v in since.items() if k not in moved} == {day(40)}  # nothing to go by


def test_history_command_by_contact_and_since(book, monkeypatch):
    invoke = CliRunner().invoke
    assert invoke(cli, ["sync", str(book), "--as-of", "2026-06-29", "--no-backup"]).exit_code == 0
    assert invoke(cli, ["sync", str(book), "--as-of", "2026-07-06", "--no-backup"]).exit_code == 0
    changes = table(book, "History")
    who = changes[0]["Contact"]
    result = invoke(cli, ["history", str(book), "--contact", who.upper()])
    assert result.exit_code == 0, result.output
    assert who in result.output and result.output.strip().endswith("1 stage change.")
    assert f"{changes[0]['From']}" in result.output and "2026-07-06" in result.output
    everyone = invoke(cli, ["history", str(book), "--since", "2026-07-06"])
    assert everyone.output.strip().endswith(f"{len(changes)} stage changes.")
    none = invoke(cli, ["history", str(book), "--since", "2026-07-07"])
    assert none.exit_code == 0
    assert none.output.strip() == f"No stage changes since 2026-07-07 in {book}."
    monkeypatch.chdir(book.parent)  # no TARGET: the one the run log names
    typo = invoke(cli, ["sync", str(book.parent / "typo.xlsx")])  # a failed run is logged too
    assert typo.exit_code == 4
    here = invoke(cli, ["history", "--contact", who])  # ...but names no target to read
    assert here.exit_code == 0 and here.output.strip().endswith("1 stage change.")


def test_history_of_a_workbook_never_synced(book):
    result = CliRunner().invoke(cli, ["history", str(book)])
    assert result.exit_code == 4
    assert f"{book} has no History tab of sheetfunnel's yet" in result.output
