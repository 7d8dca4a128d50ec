"""Every message names the fix: the config key and its section, the command-line option when
the value came from there, `header_row = N` for a title above the headers; and
`check-config --source` checks a config against the sheet with the messages of a sync."""

import datetime as dt

from click.testing import CliRunner
from onboarding_books import DAY, french_pipeline, titled_sheet, write_book
from python_calamine import CalamineWorkbook

from sheetfunnel.cli import cli


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_a_wrong_log_column_names_the_activities_section(tmp_path):
    book = write_book(
        tmp_path / "b.xlsx",
        {
            "Contacts": [["Email"], ["a@x.com"]],
            "Activities": [["Email", "Action", "Date"], ["a@x.com", "call", dt.date(2026, 6, 1)]],
        },
    )
    result = run("score", book, "--as-of", DAY)
    assert result.exit_code == 4
    assert result.output.endswith(
        f"Error: {book}, tab 'Activities': column not found: 'Activity' (activities.type). The "
        "header row has: 'Email', 'Action', 'Date'. Fix the header in the sheet, or set "
        "activities.type in the [activities] section of the config.\n"
    )


def test_a_title_above_the_headers_says_which_header_row_to_set(tmp_path):
    book = titled_sheet(tmp_path)
    (tmp_path / "sheetfunnel.toml").write_text('[source]\ncontacts_tab = "Pipeline"\n')
    result = run("sync", book, "--as-of", DAY)
    assert result.exit_code == 4
    assert result.output == (
        f"Error: {book}, tab 'Pipeline': column not found: 'Email' (columns.key). The header "
        "row has: 'Sales pipeline - export of June 2026'. The headers seem to be on row 3: set "
        "source.header_row = 3 in the [source] section of the config.\n"
    )


def test_a_missing_outcome_column_names_the_option_not_a_tab(tmp_path):
    source = tmp_path / "deals.csv"
    source.write_text("Email,Stage\na@x.com,Won\nb@x.com,Lost\n")
    (tmp_path / "sheetfunnel.toml").write_text('[source]\nactivities_tab = ""\n')
    result = run("calibrate", source, "--outcome", "Outcome", "--positive", "Won")
    assert result.exit_code == 4
    assert result.output.endswith(
        f"Error: {source}: column not found: 'Outcome' (--outcome). The header row has: "
        "'Email', 'Stage'. Fix the header in the sheet, or give the right header to --outcome.\n"
    )


def test_check_config_against_the_source_uses_the_messages_of_a_sync(tmp_path):
    book = french_pipeline(tmp_path)
    (tmp_path / "sheetfunnel.toml").write_text(
        '[source]\nactivities_tab = "Journal"\n[columns]\nkey = "Adresse e-mail"\n'
    )
    result = run("check-config", "--source", book)
    assert result.exit_code == 4  # the log's own headers are not the default ones
    assert result.output.splitlines()[0] == (
        f"{tmp_path / 'sheetfunnel.toml'} is valid: 5 stages, 2 exits, 13 activity types, "
        "10 fit rules."
    )
    assert "tab 'Journal': columns not found: 'Email' (activities.contact), did you mean " in (
        result.output
    )
    (tmp_path / "sheetfunnel.toml").write_text(
        '[source]\nactivities_tab = "Journal"\n[columns]\nkey = "Adresse e-mail"\n'
        '[activities]\ncontact = "E-mail"\ntype = "Action"\n'
    )
    before = book.read_bytes()
    result = run("check-config", "--source", book)
    assert result.exit_code == 8  # every name of the log is French: most of it left out
    assert "have a name that matches no activity type" in result.output
    assert "  'demande de devis'                 1  quote_request\n" in result.output
    assert result.output.endswith(
        f"Checked against {book}: every tab and header found, 6 contacts scored; nothing was "
        "written.\n"
    )
    assert book.read_bytes() == before


def test_a_near_miss_key_in_check_config(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[activities]\nlabel = { "devis" = "quote_request" }\n')
    result = run("check-config", config)
    assert result.exit_code == 3
    assert result.output == (
        f"Error: 1 problem in {config}:\n  - activities.label: unknown key; did you mean "
        "'labels'? Allowed keys here: contact, type, date, value, labels\n"
    )


def test_a_sync_that_leaves_out_most_of_the_log_writes_then_exits_8(tmp_path):
    book = french_pipeline(tmp_path)
    (tmp_path / "sheetfunnel.toml").write_text(
        '[source]\nactivities_tab = "Journal"\n[columns]\nkey = "Adresse e-mail"\n'
        '[activities]\ncontact = "E-mail"\ntype = "Action"\n'
    )
    result = run("sync", book, "--as-of", DAY, "-q")
    assert result.exit_code == 8
    assert result.output.startswith(
        "Note: 25 activity rows of 25 (100%) have a name that matches no activity type, and "
        "were left out:\n  name                            rows  closest types\n"
        "  'ouverture email'                 18  email_open\n"
    )
    assert "Summary" in CalamineWorkbook.from_path(str(book)).sheet_names  # written anyway


def test_a_missing_tab_names_the_config_key(tmp_path):
    book = titled_sheet(tmp_path)
    result = run("sync", book, "--as-of", DAY)
    assert result.exit_code == 4
    assert result.output == (
        "Error: tab 'Contacts' not found in pipeline.xlsx; the tabs are: 'Pipeline', "
        "'Activities'; set source.contacts_tab in the [source] section of the config\n"
    )
    (tmp_path / "sheetfunnel.toml").write_text(
        '[source]\ncontacts_tab = "Pipeline"\nheader_row = 3\nactivities_tab = "Log"\n'
    )
    result = run("score", book, "--as-of", DAY)
    assert result.exit_code == 4
    assert result.output.endswith(
        "Error: tab 'Log' not found in pipeline.xlsx; the tabs are: 'Pipeline', 'Activities'; "
        'set source.activities_tab in the [source] section of the config (or "" for no log)\n'
    )


def test_a_csv_log_column_names_the_log_file(tmp_path):
    (tmp_path / "contacts.csv").write_text("Email\na@x.com\n")
    (tmp_path / "journal.csv").write_text("Email,Action,Date\na@x.com,call,2026-06-01\n")
    (tmp_path / "sheetfunnel.toml").write_text('[source]\nactivities_tab = "journal"\n')
    result = run("score", tmp_path / "contacts.csv", "--as-of", DAY)
    assert result.exit_code == 4
    assert result.output.endswith(
        f"Error: {tmp_path / 'journal.csv'}: column not found: 'Activity' (activities.type). "
        "The header row has: 'Email', 'Action', 'Date'. Fix the header in the sheet, or set "
        "activities.type in the [activities] section of the config.\n"
    )
