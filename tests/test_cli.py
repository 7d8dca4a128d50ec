"""The command line: exact messages and exit codes, help for every command, real files."""

import json
import re

import pytest
from click.testing import CliRunner
from helpers import DATASETS, ROOT
from python_calamine import CalamineWorkbook

from sheetfunnel.cli import cli

DEMO_DAY = "2026-06-30"


def run(*args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    result = run("demo", folder, "--as-of", DEMO_DAY)
    assert result.exit_code == 0, result.output
    return folder, result


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))


@pytest.mark.parametrize(
    "command", [(), *_commands(cli)], ids=lambda c: " ".join(c) or "sheetfunnel"
)
def test_every_command_has_help(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Usage: " in result.output
    summary = result.output.split("\n\n")[1].strip()
    assert len(summary) > 20, f"{command} needs a docstring"


def test_help_documents_the_exit_codes():
    out = run("--help").output
    for code in range(1, 9):
        assert re.search(rf"^\s+{code}\s+\S", out, re.M), code


def test_demo_creates_a_workbook_and_config_and_prints_the_funnel(demo):
    folder, result = demo
    assert (folder / "demo.xlsx").exists() and (folder / "sheetfunnel.toml").exists()
    assert "Funnel as of 2026-06-30" in result.output
    assert "Leads versus prospects" in result.output
    book = CalamineWorkbook.from_path(str(folder / "demo.xlsx"))
    assert book.sheet_names == [
        "Contacts",
        "Activities",
        "Summary",
        "Companies",
        "History",
        "Funnel by day",
        "sheetfunnel",
    ]
    header = book.get_sheet_by_name("Contacts").to_python()[0]
    assert header[-7:] == [
        "Score",
        "Fit",
        "Engagement",
        "Stage",
        "Stage since",
        "Next action",
        "Why",
    ]
    assert "tab Summary: the funnel and its charts, conversion" in result.output
    assert "tab Companies: per company its contacts" in result.output
    assert result.output.endswith(
        "Next, on your own sheet (a .xlsx or .csv file, or a Google Sheet URL):\n"
        "  sheetfunnel init your-sheet.xlsx              # map its columns and activities\n"
        "  sheetfunnel sync your-sheet.xlsx              # score it, write the results in\n"
        "  sheetfunnel watch your-sheet.xlsx --every 15m # keep it up to date\n"
    )
    # the demo refuses to overwrite itself
    again = run("demo", folder)
    assert again.exit_code == 4
    assert again.output == (
        f"Error: {folder / 'demo.xlsx'} already exists; pass --force to replace the demo files, "
        "or choose another folder\n"
    )


def test_score_prints_json_and_exports(demo, tmp_path):
    folder, _ = demo
    result = run("score", folder / "demo.xlsx", "--as-of", DEMO_DAY, "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["summary"]["contacts"] == len(data["contacts"]) == 500
    assert sum(s["contacts"] for s in data["summary"]["stages"]) == 500
    out = tmp_path / "results.csv"
    result = run("score", folder / "demo.xlsx", "--as-of", DEMO_DAY, "--out", out)
    assert result.exit_code == 0
    assert f"Wrote 500 contacts to {out}" in result.output
    assert out.read_text().splitlines()[0].startswith("key,name,company,title,source,owner,fit,")


def test_a_missing_source_file(tmp_path):
    result = run("score", tmp_path / "nope.xlsx")
    assert result.exit_code == 4
    assert result.output.endswith(
        f"Error: workbook not found: {tmp_path / 'nope.xlsx'}; check the path given on the "
        "command line\n"
    )


def test_a_bad_config_lists_every_problem(tmp_path):
    bad = tmp_path / "team.toml"
    bad.write_text('[source]\ndate_order = "DD/MM"\n[[stages]]\nname = "Lead"\ncolour = "red"\n')
    result = run("check-config", bad)
    assert result.exit_code == 3
    assert result.output == (
        f"Error: 2 problems in {bad}:\n"
        "  - source.date_order: must be one of 'DMY', 'MDY' or 'YMD' (got 'DD/MM')\n"
        "  - stages[0].colour: 'red' is not a colour; write it as #RRGGBB, e.g. #E2EFDA\n"
    )


def test_check_config_accepts_the_examples():
    result = run("check-config", ROOT / "config" / "examples" / "maven_crm.toml")
    assert result.exit_code == 0
    assert result.output.endswith(
        "is valid: 3 stages, 1 exits, 0 activity types, 4 fit rules.\nNot checked against a "
        "sheet: add --source SOURCE to check its tabs, headers and activity names.\n"
    )


def test_a_missing_column(tmp_path):
    (tmp_path / "contacts.csv").write_text("E-mail,Name\na@x.com,Ann\n")
    config = tmp_path / "c.toml"
    config.write_text('[source]\nactivities_tab = ""\n')
    result = run("score", tmp_path / "contacts.csv", "--config", config)
    assert result.exit_code == 4
    assert result.output.endswith(
        f"Error: {tmp_path / 'contacts.csv'}: column not found: 'Email' (columns.key), "
        "did you mean 'E-mail'?. The header row has: 'E-mail', 'Name'. Fix the header in the "
        "sheet, or set columns.key in the [columns] section of the config.\n"
    )


def test_a_sheet_with_few_columns_scores_with_one_config_line(tmp_path):
    """The issue's 17-line config: only the key is required; what the sheet lacks is unused."""
    (tmp_path / "contacts.csv").write_text("E-mail,Name,Company\na@x.com,Ann,Acme\n")
    config = tmp_path / "c.toml"
    config.write_text('[columns]\nkey = "E-mail"\n')
    result = run("score", tmp_path / "contacts.csv", "--config", config, "--as-of", DEMO_DAY)
    assert result.exit_code == 0, result.output
    assert (
        "Note: not in the sheet, so not used: title ('Job title'), company_size ('Company "
        "size'), sector ('Sector'), country ('Country'), source ('Source'), owner ('Owner'), "
        "created ('Created'), stage_override ('Stage override'); with them go 9 fit rules, "
        "4 completeness fields, the summary by source and owner. If the sheet has one under "
        'another header, map it in [columns] (e.g. columns.title = "Your header").'
    ) in " ".join(result.output.split())
    assert "Note: no activity log:" in result.output


def test_an_unreadable_date_column(tmp_path):
    (tmp_path / "contacts.csv").write_text("Email\na@x.com\n")
    (tmp_path / "Activities.csv").write_text("Email,Activity,Date\na@x.com,call,someday\n")
    config = tmp_path / "c.toml"
    config.write_text(
        '[columns]\nname = ""\ncompany = ""\ntitle = ""\ncompany_size = ""\nsector = ""\n'
        'country = ""\nsource = ""\nowner = ""\ncreated = ""\nstage_override = ""\n'
        "[fit]\nrules = []\ncompleteness_fields = []\n[summary]\ngroup_by = []\n"
    )
    result = run("score", tmp_path / "contacts.csv", "--config", config)
    assert result.exit_code == 4
    assert result.output.endswith(
        "Error: column 'Date' (tab 'Activities'): 1 cell is not a date (row 2: 'someday'). "
        "Dates are read as ISO (2024-03-15) or 15/03/2024 per source.date_order; fix the cells, "
        'or set source.on_bad_date = "warn" to skip them.\n'
    )
    verbose = run("-v", "score", tmp_path / "contacts.csv", "--config", config)
    assert "Traceback (most recent call last)" in verbose.output
    assert "Traceback" not in result.output


def test_unsupported_files_say_what_to_do(tmp_path):
    legacy = tmp_path / "old.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0")
    result = run("score", legacy)
    assert result.exit_code == 5
    assert result.output.endswith(
        f"Error: {legacy}: .xls workbooks are not supported; open it in Excel or LibreOffice "
        "and save it as .xlsx\n"
    )


def test_score_on_the_bank_data_set_exports_json(tmp_path):
    out = tmp_path / "bank.json"
    result = run(
        "score",
        DATASETS / "uci_bank_marketing" / "bank-additional-full.csv",
        "--config",
        ROOT / "config" / "examples" / "bank_marketing.toml",
        "--as-of",
        "2010-11-30",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["generator"] == "sheetfunnel"
    assert data["summary"]["conversion"]["customer_rate"] == 0.1127


def test_check_config_refuses_tab_names_sync_would_and_a_log_outside_the_folder(tmp_path):
    bad = tmp_path / "team.toml"
    bad.write_text(
        '[output]\nsummary_tab = "Summary: 2026"\nhistory_tab = "Contacts"\n'
        '[watch]\nlog = "../../runs.jsonl"\n'
    )
    result = run("check-config", bad)
    assert result.exit_code == 3
    assert result.output == (
        f"Error: 3 problems in {bad}:\n"
        "  - output.summary_tab: 'Summary: 2026' cannot be an Excel tab name: 1 to 31 "
        "characters, none of \\ / ? * [ ] : and not starting with an apostrophe\n"
        "  - output.history_tab: 'Contacts' is a tab sheetfunnel reads: name another tab\n"
        "  - watch.log: '../../runs.jsonl' leaves the workbook's folder; a relative log path "
        "must stay inside it (give an absolute path to log elsewhere)\n"
    )


def test_a_workbook_with_a_damaged_xml_part_says_so_not_a_bug(demo, tmp_path):
    import shutil
    import zipfile

    folder, _ = demo
    book = tmp_path / "damaged.xlsx"
    shutil.copy(folder / "demo.xlsx", book)
    shutil.copy(folder / "sheetfunnel.toml", tmp_path / "sheetfunnel.toml")
    with zipfile.ZipFile(book) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    sheet = members["xl/worksheets/sheet1.xml"]
    members["xl/worksheets/sheet1.xml"] = sheet.replace(b"</sheetData>", b"</sheetData><x></y>")
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in members.items():
            zf.writestr(name, body)
    before = book.read_bytes()
    result = run("sync", book, "--as-of", DEMO_DAY)
    assert result.exit_code == 5
    assert re.fullmatch(
        r"Error: damaged\.xlsx has a damaged part \(its XML does not parse: Opening and ending "
        r"tag mismatch: x line \d+ and y, line \d+, column \d+\); open it in Excel or "
        r"LibreOffice, save it, and retry\. Nothing was written\.\n",
        result.output.splitlines(keepends=True)[-1],
    ), result.output
    assert book.read_bytes() == before
