"""`sheetfunnel init` on sheets as new users bring them, then `sync` (or `score` for a CSV)
with no hand edit: exit 0, the user's columns as they were, and contacts who asked for a quote
or a demo ranked above those who only opened e-mails. Each test asserts the share of headers
and activity names init mapped."""

import datetime as dt
import json
import tomllib

import pytest
from click.testing import CliRunner
from onboarding_books import (
    COLD,
    DAY,
    HOT,
    french_log,
    french_pipeline,
    hubspot_export,
    latin1_csv,
    semicolon_csv,
    titled_sheet,
)
from python_calamine import CalamineWorkbook

from sheetfunnel.backends.base import EPOCH_1900
from sheetfunnel.cli import cli
from sheetfunnel.config import load_config
from tests.gsheets_emulator.fixtures import emulator, service_account_file
from tests.gsheets_emulator.scenario import fill
from tests.gsheets_emulator.state import Sheet

__all__ = ["emulator"]


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def rows_of(path, tab):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(tab).to_python()


def init_then_sync(book, tab, header_row=1):
    before = rows_of(book, tab)
    made = run("init", book)
    assert made.exit_code == 0, made.output
    load_config(book.parent / "sheetfunnel.toml")  # valid as written
    synced = run("sync", book, "--as-of", DAY)
    assert synced.exit_code == 0, synced.output
    after = rows_of(book, tab)
    width = len(before[header_row - 1])
    assert [r[:width] for r in after[: len(before)]] == [r[:width] for r in before]
    header = after[header_row - 1]
    key = next(i for i, h in enumerate(header) if str(h).lower() in ("email", "adresse e-mail"))
    score = {r[key]: r[header.index("Score")] for r in after[header_row:]}
    assert min(score[h] for h in HOT) > max(score[c] for c in COLD), score
    return made.output


def test_french_pipeline(tmp_path):
    out = init_then_sync(french_pipeline(tmp_path), "Contacts")
    assert "Mapped 14 of 15 headers (93%):" in out
    assert "Mapped 8 of 8 activity names (100%), 100% of the log's rows:" in out
    assert "  'Demande de devis' -> quote_request (1 row)" in out
    assert "  'Statut': your own stage column, left as it is; offered (commented) as " in out
    assert "Not used: 'Téléphone'" in out
    assert out.endswith(
        f"Next: sheetfunnel sync {tmp_path / 'pipeline.xlsx'}   then: sheetfunnel watch "
        f"{tmp_path / 'pipeline.xlsx'} --every 15m\n"
    )
    text = (tmp_path / "sheetfunnel.toml").read_text()
    assert '# stage_override = "Statut"' in text
    assert tomllib.loads(text)["activities"]["labels"]["Visite salon"] == "webinar"


def test_hubspot_export_with_its_own_lifecycle_stage_and_counters(tmp_path):
    book = hubspot_export(tmp_path)
    out = init_then_sync(book, "All contacts")
    assert "Mapped 15 of 18 headers (83%):" in out
    assert "  'Number of Form Submissions' -> form_submit (count column)" in out
    assert "  'Demo requested' -> demo_request (flag column)" in out
    assert "Not used: 'Record ID', 'First Name', 'Phone Number'" in out
    config = tomllib.loads((tmp_path / "sheetfunnel.toml").read_text())
    assert config["source"]["activities_tab"] == ""
    assert "Lifecycle Stage" not in json.dumps(config)  # offered in a comment only
    header = rows_of(book, "All contacts")[0]
    assert header.count("Lifecycle Stage") == 1 and header.count("Stage") == 1


def test_title_row_above_the_headers(tmp_path):
    out = init_then_sync(titled_sheet(tmp_path), "Pipeline", header_row=3)
    assert "contacts in tab 'Pipeline', headers on row 3" in out
    assert "Mapped 10 of 10 headers (100%):" in out
    assert "Mapped 3 of 3 activity names (100%)" in out
    assert tomllib.loads((tmp_path / "sheetfunnel.toml").read_text())["source"]["header_row"] == 3


@pytest.mark.parametrize(
    ("build", "headers", "names"),
    [
        (semicolon_csv, "Mapped 9 of 9 headers (100%):", "Mapped 8 of 8 activity names (100%)"),
        (latin1_csv, "Mapped 9 of 9 headers (100%):", None),
    ],
)
def test_csv_exports_init_then_score(tmp_path, build, headers, names):
    source = build(tmp_path)
    made = run("init", source)
    assert made.exit_code == 0, made.output
    assert headers in made.output
    assert (names in made.output) if names else ("activity names" not in made.output)
    assert made.output.endswith(f"Next: sheetfunnel score {source} --out results.xlsx\n")
    scored = run("score", source, "--as-of", DAY, "--json")
    assert scored.exit_code == 0, scored.output
    score = {c["key"]: c["score"] for c in json.loads(scored.output)["contacts"]}
    assert min(score[h] for h in HOT) > max(score[c] for c in COLD), score


def test_init_never_overwrites_a_config_and_dry_run_prints_it(tmp_path):
    book = titled_sheet(tmp_path)
    (tmp_path / "sheetfunnel.toml").write_text("# mine\n")
    refused = run("init", book)
    assert refused.exit_code == 4
    assert refused.output == (
        f"Error: {tmp_path / 'sheetfunnel.toml'} already exists; pass --force to replace it, "
        "or --dry-run to print the config init would write\n"
    )
    dry = run("init", book, "--dry-run")
    assert dry.exit_code == 0 and dry.output.startswith("# sheetfunnel config for pipeline.xlsx")
    assert f"Would write (dry run) {tmp_path / 'sheetfunnel.toml'}" in dry.output
    assert (tmp_path / "sheetfunnel.toml").read_text() == "# mine\n"
    assert run("init", book, "--force").exit_code == 0
    assert (tmp_path / "sheetfunnel.toml").read_text().startswith("# sheetfunnel config")


def test_init_again_on_a_synced_sheet_knows_our_columns_and_a_users_own_score(tmp_path):
    book = titled_sheet(tmp_path)
    assert run("init", book).exit_code == 0
    assert run("sync", book, "--as-of", DAY).exit_code == 0
    again = run("init", book, "--force")
    assert again.exit_code == 0 and "Not used" not in again.output
    assert "[output.columns]" not in (tmp_path / "sheetfunnel.toml").read_text()

    other = tmp_path / "other"
    other.mkdir()
    from onboarding_books import write_book

    mine = write_book(other / "b.xlsx", {"Contacts": [["Email", "Score"], ["a@x.com", 3]]})
    out = run("init", mine).output
    assert "  'Score': yours; sheetfunnel writes 'Score (sheetfunnel)'" in out
    assert 'score = "Score (sheetfunnel)"' in (other / "sheetfunnel.toml").read_text()
    assert run("sync", mine, "--as-of", DAY).exit_code == 0
    assert rows_of(mine, "Contacts")[:2] == [
        ["Email", "Score", "Score (sheetfunnel)", "Fit", "Engagement", "Stage", "Stage since",
         "Next action", "Why"],
        ["a@x.com", 3.0, 0.0, 0.0, 0.0, "Lead", dt.date(2026, 6, 30), "Nurture: newsletter, "
         "guides and webinar invitations", ""],
    ]  # fmt: skip


def test_unknown_activity_names_are_listed_and_left_commented(tmp_path):
    log = [*french_log(), [HOT[0], "Pigeon voyageur", DAY - dt.timedelta(days=1)]]
    from onboarding_books import write_book

    book = write_book(
        tmp_path / "b.xlsx",
        {"Contacts": [["Email"], *([w] for w in (*HOT, *COLD))], "Journal": log},
    )
    out = run("init", book).output
    assert "Mapped 8 of 9 activity names (89%), 96% of the log's rows:" in out
    assert "  'Pigeon voyageur' -> no type found: pick one under [activities.labels] (1 row)" in out
    assert '# "Pigeon voyageur" = ""' in (tmp_path / "sheetfunnel.toml").read_text()


def test_init_on_a_google_sheet(emulator, tmp_path, monkeypatch):
    def cell(v):
        return (v - EPOCH_1900).days if isinstance(v, dt.date) else v

    key = emulator.create("Pipeline")
    with emulator.lock:
        book = emulator.spreadsheets[key]
        book.sheets[0].title = "Contacts"
        people = [
            ["Adresse e-mail", "Nom", "Fonction"],
            *([w, w[:3], "CEO"] for w in (*HOT, *COLD)),
        ]
        fill(book.sheets[0], people)
        journal = Sheet(1, "Journal")
        fill(journal, [[cell(v) for v in row] for row in french_log()])
        book.sheets.append(journal)
    creds = service_account_file(emulator, tmp_path, "funnel@project.iam.gserviceaccount.com")
    monkeypatch.setenv("SHEETFUNNEL_CREDENTIALS", str(creds))
    monkeypatch.setenv("SHEETFUNNEL_SHEETS_ENDPOINT", emulator.url)
    monkeypatch.chdir(tmp_path)
    made = run("init", key)
    assert made.exit_code == 0, made.output
    assert "Mapped 6 of 6 headers (100%):" in made.output
    assert "Mapped 8 of 8 activity names (100%), 100% of the log's rows:" in made.output
    assert made.output.endswith(
        f"Next: sheetfunnel sync {key} --config sheetfunnel.toml   then: sheetfunnel watch "
        f"{key} --config sheetfunnel.toml --every 15m\n"
    )
    synced = run("sync", key, "--config", "sheetfunnel.toml", "--as-of", DAY)
    assert synced.exit_code == 0, synced.output


def test_month_first_text_dates_set_date_order(tmp_path):
    source = tmp_path / "us.csv"
    rows = ["Email,Name,Created"] + [f"{w},{w[:3]},12/{20 + i}/2025" for i, w in enumerate(HOT)]
    source.write_text("\n".join(rows) + "\n")
    assert run("init", source).exit_code == 0
    assert tomllib.loads((tmp_path / "sheetfunnel.toml").read_text())["source"]["date_order"] == (
        "MDY"
    )
    assert run("score", source, "--as-of", DAY).exit_code == 0
