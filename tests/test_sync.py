"""A whole sync on a real workbook: results land in the right rows, History remembers stage
changes, a second run changes nothing, a dry run writes nothing."""

import datetime as dt
import os
import shutil

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from sheetfunnel.backends.excel import ExcelBackend
from sheetfunnel.cli import cli
from sheetfunnel.config import Config
from sheetfunnel.demo import create_demo
from sheetfunnel.sync import sync

DAY = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return create_demo(tmp_path_factory.mktemp("demo"), contacts=120, end=DAY).workbook


@pytest.fixture
def book(pristine, tmp_path):
    return shutil.copy(pristine, tmp_path / "pipeline.xlsx")


def table(path, tab):
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(tab).to_python()
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]


def run_sync(path, **kw):
    return sync(ExcelBackend(path, backup=False), Config(), as_of=kw.pop("as_of", DAY), **kw)


def test_results_land_on_the_right_rows(book):
    report = run_sync(book)
    assert report.changed
    people = report.results.contacts.set_index("key")
    rows = table(book, "Contacts")
    checked = 0
    for row in rows:
        key = str(row["Email"]).strip().lower()
        expected = people.loc[key]
        assert row["Score"] == expected["score"]
        assert row["Stage"] == expected["stage"]
        assert row["Next action"] == expected["next_action"]
        # a first sync dates each stage by its evidence (the first purchase, the created date...)
        assert row["Stage since"] == expected["evidence_since"].date() <= DAY
        checked += 1
    assert checked == len(rows) == 121  # the duplicate row gets its merged contact's values
    summary = table(book, "Summary")
    assert summary[0]["Sales funnel summary"] == "As of"
    assert table(book, "History") == []  # the first sync records no change


def test_a_second_sync_with_the_same_input_touches_nothing(book):
    run_sync(book)
    before = (book.read_bytes(), os.stat(book).st_mtime_ns)
    report = run_sync(book)
    assert not report.changed
    assert (book.read_bytes(), os.stat(book).st_mtime_ns) == before


def test_stage_changes_go_to_history_and_stage_since_holds(book):
    run_sync(book)
    first = {r["Email"]: r["Stage since"] for r in table(book, "Contacts")}
    # a week later, with no new activity, engagement has decayed
    report = run_sync(book, as_of=DAY + dt.timedelta(days=7))
    assert len(report.changes) >= 3  # decay alone moves some contacts down a rung
    assert report.demotions >= 3
    stayed = table(book, "Contacts")
    assert all(
        r["Stage since"] == first[r["Email"]]
        for r in stayed
        if r["Email"] not in set(report.changes["contact"])
    )
    moved = {
        r["Email"].lower(): r for r in stayed if r["Stage since"] == DAY + dt.timedelta(days=7)
    }
    assert set(moved) == set(report.changes["contact"])
    history = table(book, "History")
    assert len(history) == len(report.changes)
    for entry in history:
        assert entry["Date"] == DAY + dt.timedelta(days=7)
        assert moved[entry["Contact"]]["Stage"] == entry["To"]


def test_a_manual_override_is_said_in_the_why_column(book, tmp_path):
    run_sync(book)
    rows = table(book, "Contacts")
    manual = [r for r in rows if r["Stage override"]]
    assert manual
    for row in manual:
        assert row["Why"].startswith("Stage set by hand (computed: ")
        assert row["Stage"] == row["Stage override"]


def test_dry_run_writes_nothing_and_says_what_would_change(book):
    before = book.read_bytes()
    result = CliRunner().invoke(cli, ["sync", str(book), "--dry-run", "--as-of", str(DAY)])
    assert result.exit_code == 0, result.output
    assert book.read_bytes() == before
    assert "Dry run on " in result.output and "nothing was written." in result.output
    assert "would write: " in result.output


def test_cli_sync_then_nothing_changed(book):
    first = CliRunner().invoke(cli, ["sync", str(book), "--as-of", str(DAY), "--no-backup"])
    assert first.exit_code == 0, first.output
    assert f"Synced {book}: 120 contacts, 0 stage changes (0 forward, 0 back)." in first.output
    second = CliRunner().invoke(cli, ["sync", str(book), "--as-of", str(DAY), "--no-backup"])
    assert second.exit_code == 0
    assert second.output.splitlines()[-1] == (
        f"{book}: nothing changed (120 contacts, 0 stage changes (0 forward, 0 back))."
    )


def test_a_lookup_tab_joins_companies_onto_contacts(tmp_path):
    import xlsxwriter

    from sheetfunnel.config import config_from_dict

    path = tmp_path / "book.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Contacts").write_row(0, 0, ["Email", "Company"])
    book.get_worksheet_by_name("Contacts").write_row(1, 0, ["a@x.com", "Acme"])
    book.add_worksheet("Companies").write_row(0, 0, ["Name", "Industry", "Staff"])
    book.get_worksheet_by_name("Companies").write_row(1, 0, ["ACME", "SaaS", 300])
    book.close()
    blank = dict.fromkeys(("name", "title", "country", "source", "owner", "created"), "")
    config = config_from_dict(
        {
            "source": {
                "activities_tab": "",
                "lookups": [{"tab": "Companies", "match": "Company", "key": "Name"}],
            },
            "columns": {
                **blank,
                "stage_override": "",
                "sector": "Industry",
                "company_size": "Staff",
            },
            "fit": {
                "completeness_fields": ["company", "sector"],
                "rules": [
                    {
                        "field": "company_size",
                        "min": 50,
                        "max": 1000,
                        "points": 15,
                        "label": "mid-market",
                    },
                    {"field": "sector", "equals": ["saas"], "points": 10},
                ],
            },
            "summary": {"group_by": []},
        }
    )
    report = sync(ExcelBackend(path, backup=False), config, as_of=DAY)
    person = report.results.contacts.iloc[0]
    assert (person["sector"], person["company_size"]) == ("SaaS", 300)
    assert "mid-market (+15)" in person["why"]
