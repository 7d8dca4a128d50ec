"""`sheetfunnel sync <key>` end to end against the local Sheets emulator: the real CLI, a real
service-account login through the emulator's token endpoint, real gspread over HTTP."""

import datetime as dt

import numpy as np
import pytest
from click.testing import CliRunner

from sheetfunnel.backends.base import EPOCH_1900
from sheetfunnel.cli import cli
from sheetfunnel.demo import generate
from tests.gsheets_emulator.fixtures import emulator, service_account_file
from tests.gsheets_emulator.scenario import fill
from tests.gsheets_emulator.state import Sheet

DAY = dt.date(2026, 6, 30)
__all__ = ["emulator"]  # the fixture


def cell(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, dt.date):
        return (value - EPOCH_1900).days  # a date as Sheets stores it: a serial
    return value.item() if hasattr(value, "item") else value


@pytest.fixture
def sheet(emulator, tmp_path, monkeypatch):
    contacts, activities = generate(seed=3, contacts=80, end=DAY)
    key = emulator.create("Pipeline")
    with emulator.lock:
        book = emulator.spreadsheets[key]
        book.sheets[0].title = "Contacts"
        fill(
            book.sheets[0],
            [list(contacts.columns)]
            + [[cell(v) for v in r] for r in contacts.itertuples(index=False)],
        )
        log = Sheet(1, "Activities")
        fill(
            log,
            [list(activities.columns)]
            + [[cell(v) for v in r] for r in activities.itertuples(index=False)],
        )
        book.sheets.append(log)
    creds = service_account_file(emulator, tmp_path, "funnel@project.iam.gserviceaccount.com")
    monkeypatch.setenv("SHEETFUNNEL_CREDENTIALS", str(creds))
    monkeypatch.setenv("SHEETFUNNEL_SHEETS_ENDPOINT", emulator.url)
    return key


def rows_of(emulator, key, title):
    with emulator.lock:
        tab = emulator.spreadsheets[key].by_title(title)
        return [[c.value if c else None for c in row] for row in tab.rows]


def sync(*args):
    return CliRunner().invoke(cli, ["sync", *map(str, args), "--as-of", str(DAY)])


def test_sync_a_google_sheet_from_the_command_line(emulator, sheet):
    result = sync(sheet)
    assert result.exit_code == 0, result.output
    assert f"Synced {sheet}: 80 contacts, 0 stage changes (0 forward, 0 back)." in result.output
    contacts = rows_of(emulator, sheet, "Contacts")
    header = contacts[0]
    for managed in ("Score", "Fit", "Engagement", "Stage", "Stage since", "Next action", "Why"):
        assert header.count(managed) == 1
    stage = header.index("Stage")
    assert {r[stage] for r in contacts[1:]} <= {
        "Lead",
        "MQL",
        "SQL",
        "Prospect",
        "Customer",
        "Disqualified",
        "Lost",
    }
    assert "summary" in rows_of(emulator, sheet, "Summary")[0][0].lower()
    assert rows_of(emulator, sheet, "History")[0][:4] == ["Date", "Contact", "From", "To"]
    _presented(emulator, sheet, header)

    emulator.reset_log()
    again = sync(sheet)
    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[-1].endswith(
        "nothing changed (80 contacts, 0 stage changes (0 forward, 0 back))."
    )
    assert {c.method for c in emulator.api_calls()} == {"GET"}


def _presented(emulator, key, header):
    """What issue 15 asks a synced sheet to show, through the real CLI and plan."""
    with emulator.lock:
        book = emulator.spreadsheets[key]
        contacts, summary = book.sheets[0], book.by_title("Summary")
        titles = book.titles()
        charts = [c for s in book.sheets for c in s.charts]
    assert "Companies" in titles
    ours = [header.index(h) for h in ("Score", "Stage since", "Why")]
    assert all(contacts.column_sizes.get(c, 100) != 100 for c in ours)  # sized
    assert not any(c < 6 for c in contacts.column_sizes)  # the user's columns untouched
    since = contacts.formats[(1, header.index("Stage since"))]
    assert since["numberFormat"]["type"] == "DATE"
    assert any(f.get("textFormat", {}).get("bold") for f in summary.formats.values())
    assert summary.extra.get("gridProperties", {}).get("frozenRowCount", 0) >= 1
    funnel = charts[0]["spec"]["basicChart"]["series"][0]
    assert funnel.get("styleOverrides") and funnel.get("dataLabel", {}).get("type") == "DATA"


def test_a_sheet_not_shared_names_the_account_to_share_it_with(emulator, sheet):
    emulator.fail_next(403)
    result = sync(sheet)
    assert result.exit_code == 7
    assert "funnel@project.iam.gserviceaccount.com" in result.output
    assert result.output.startswith("Error: ")


def test_an_unknown_sheet(emulator, sheet):
    result = sync("1" * 40)
    assert result.exit_code == 7
    assert result.output.startswith(f"Error: Spreadsheet not found: {'1' * 40}.")


def test_a_crm_exports_own_stage_score_and_summary_stay_untouched(emulator, sheet):
    with emulator.lock:
        book = emulator.spreadsheets[sheet]
        tab = book.sheets[0]
        width = max(len(r) for r in tab.rows)
        rows = [[c.value if c else None for c in r] + [None] * (width - len(r)) for r in tab.rows]
        rows[0] += ["Stage", "Score"]
        for i, row in enumerate(rows[1:]):
            row += ["Won" if i % 3 else "Open", 1000 + i]
        fill(tab, rows)
        summary = Sheet(9, "Summary")
        fill(summary, [["Quarter", "Revenue"], ["Q1", 1200]])
        book.sheets.append(summary)
    before = rows_of(emulator, sheet, "Contacts")
    result = sync(sheet)
    assert result.exit_code == 0, result.output
    after = rows_of(emulator, sheet, "Contacts")
    assert [r[: width + 2] for r in after] == [r[: width + 2] for r in before]
    assert rows_of(emulator, sheet, "Summary") == [["Quarter", "Revenue"], ["Q1", 1200]]
    ours = after[0][width + 2 :]
    assert "Stage" not in ours and "Score" not in ours and len(ours) == 7
    titles = emulator.spreadsheets[sheet].titles()
    assert titles[:3] == ["Contacts", "Activities", "Summary"]
    assert len(titles) == 3 + len(set(titles[3:])) and "Companies" in titles
    assert [t for t in titles[3:] if "Summary" in t] == ["Summary (sheetfunnel)"]
    again = sync(sheet)
    assert again.exit_code == 0 and "nothing changed" in again.output.splitlines()[-1]


def test_a_formula_error_in_a_date_stops_the_sync_naming_the_cell(emulator, sheet):
    """A Sheets formula error (#ERROR!, #DIV/0!) reads back as its code: never a blank date
    counting as an undated activity with full points (issue 11, item 6)."""
    from tests.gsheets_emulator.values import Cell

    with emulator.lock:
        log = emulator.spreadsheets[sheet].by_title("Activities")
        log.rows[2][2] = Cell("#ERROR!", formula="=DATE(")
    result = sync(sheet)
    assert result.exit_code == 4
    assert result.output.endswith(
        "Error: column 'Date' (tab 'Activities'): 1 cell with a formula error (row 3: "
        '#ERROR!); fix the formulas, or set source.on_bad_date = "warn" to skip them.\n'
    )


def test_syncs_in_one_process_reuse_the_access_token_until_it_expires(emulator, sheet):
    """`watch` ticks are syncs in one process: one token exchange serves them all until the
    token expires (issue 11, item 15)."""
    import datetime as dt

    from sheetfunnel.backends.gsheets import auth

    before = len(emulator.issuer.exchanges)
    assert sync(sheet).exit_code == 0
    assert sync(sheet).exit_code == 0
    assert len(emulator.issuer.exchanges) == before + 1
    (creds,) = [
        c
        for k, c in auth._CREDENTIALS.items()
        if k[0].endswith("service-account.json") and c.token and c.token in emulator.tokens
    ]
    creds.expiry = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=1)
    assert sync(sheet).exit_code == 0
    assert len(emulator.issuer.exchanges) == before + 2


def test_revision_check_makes_an_unchanged_tick_one_small_request(emulator, sheet, tmp_path):
    """With google.revision_check, a tick first asks Drive for the file's version: when it
    is the one the last run read the cells at, the cells are not read at all. After our own
    write the next tick reads once (the revision is ours), then ticks are 1 request."""
    from sheetfunnel.config import Config
    from sheetfunnel.runner import RunOptions, run_once
    from tests.gsheets_emulator.values import Cell

    base = Config()
    cfg = base.model_copy(
        update={
            "google": base.google.model_copy(update={"revision_check": True}),
            "watch": base.watch.model_copy(update={"state_dir": str(tmp_path / "state")}),
        }
    )
    skip = RunOptions(command="watch", skip_unchanged=True)
    morning = dt.datetime(2026, 6, 30, 9, tzinfo=dt.UTC)

    def tick():
        emulator.reset_log()
        result = run_once(sheet, cfg, skip, now=lambda: morning)
        assert result.error is None, result.error
        calls = [c.path.rsplit("/", 1)[-1] for c in emulator.api_calls()]
        return result.record.outcome, calls

    key = sheet
    outcome, calls = tick()
    assert outcome == "synced" and calls[0] == key  # the Drive file, then the usual reads
    outcome, calls = tick()
    assert outcome == "unchanged" and calls == [key, key, "values:batchGet"]
    outcome, calls = tick()
    assert (outcome, calls) == ("unchanged", [key])  # Drive only: no metadata, no cells
    assert emulator.api_calls()[0].bytes_out < 300
    with emulator.lock:  # someone edits a cell through the API
        emulator.spreadsheets[key].by_title("Contacts").rows[1][1] = Cell("Renamed")
        emulator._commit(emulator.spreadsheets[key])
    outcome, calls = tick()  # read again; a new name changes nothing sheetfunnel writes
    assert outcome == "nothing-changed" and "values:batchGet" in calls
    assert tick() == ("unchanged", [key])  # its revision was read before its cells
    emulator.fail_next(403, path_contains="/drive/")  # a credential without the Drive scope
    outcome, calls = tick()
    assert outcome == "unchanged" and calls == [key, key, "values:batchGet"]


def _rgb(colour):
    return "#" + "".join(f"{round(colour.get(c, 0) * 255):02X}" for c in ("red", "green", "blue"))


def test_syncs_on_several_days_draw_the_funnel_over_time(emulator, sheet):
    for day in (DAY - dt.timedelta(days=2), DAY - dt.timedelta(days=1), DAY):
        result = CliRunner().invoke(cli, ["sync", sheet, "--as-of", str(day)])
        assert result.exit_code == 0, result.output
    with emulator.lock:
        book = emulator.spreadsheets[sheet]
        summary = book.by_title("Summary")
        funnel, over_time = summary.charts
        titles = {s.sheet_id: s.title for s in book.sheets}
        rules = book.sheets[0].conditional_formats
    stage_fill = {  # the Stage column's colours, as its rules hold them
        r["booleanRule"]["condition"]["values"][0]["userEnteredValue"].split('"')[1]: _rgb(
            r["booleanRule"]["format"]["backgroundColor"]
        )
        for r in rules
    }
    bars = funnel["spec"]["basicChart"]
    assert bars["chartType"] == "BAR"
    source = bars["domains"][0]["domain"]["sourceRange"]["sources"][0]
    categories = [
        row[0]
        for row in rows_of(emulator, sheet, titles[source.get("sheetId", 0)])[
            source.get("startRowIndex", 0) : source["endRowIndex"]
        ]
    ]
    (series,) = bars["series"]
    assert series["dataLabel"]["type"] == "DATA"
    points = {o["index"]: _rgb(o["colorStyle"]["rgbColor"]) for o in series["styleOverrides"]}
    assert points == {i: stage_fill[s] for i, s in enumerate(categories) if s in stage_fill}
    line = over_time["spec"]["basicChart"]
    assert line["chartType"] == "LINE" and len(line["series"]) >= 2
    assert all(s.get("colorStyle") for s in line["series"])  # each stage in its colour
    days = line["domains"][0]["domain"]["sourceRange"]["sources"][0]
    assert titles[days["sheetId"]] != "Summary"  # the daily counts tab
    assert days["endRowIndex"] - days.get("startRowIndex", 0) == 3  # three sync days
