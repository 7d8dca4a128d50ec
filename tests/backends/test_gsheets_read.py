"""What read() returns: raw cells (never typed by gspread), 1-based row index, None for empty."""

from __future__ import annotations

import os
from pathlib import Path

import gspread
import pytest

from sheetfunnel.backends.gsheets import GoogleSheetsBackend, make_client, spreadsheet_key
from sheetfunnel.errors import ConfigError, InputError
from tests.gsheets_emulator import Emulator, EmulatorAdapter
from tests.gsheets_emulator.fixtures import service_account_file
from tests.gsheets_emulator.scenario import fill, read, seed


def test_raw_cells_with_sheet_row_index(emulator: Emulator, gclient: gspread.Client) -> None:
    key = seed(emulator, 6, activities=4)
    data = read(GoogleSheetsBackend(gclient, key))
    c = data.contacts
    assert list(c.columns) == ["Email", "Name", "Company", "Phone", "Source", "Notes"]
    assert list(c.index) == [2, 3, 4, 5, 6, 7]
    assert c.loc[2, "Phone"] == "02134" and c.loc[3, "Phone"] == "+15551234567"
    assert c.loc[2, "Notes"] is None and all(str(t) == "object" for t in c.dtypes)
    assert data.activities is not None and data.activities.loc[3, "Date"] == 45001
    assert data.owned == {}


def test_headers_blank_dropped_repeated_numbered(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = emulator.create("odd")
    with emulator.lock:
        sheet = emulator.spreadsheets[key].sheets[0]
        sheet.title = "Contacts"
        fill(
            sheet,
            [
                [],
                ["Email", "", " Name ", "Name", "Email"],
                ["a@x", 1, "A", None, True],
                [],
                ["b@x", None, 2.5],
            ],
        )
    data = GoogleSheetsBackend(gclient, key).read("Contacts", 2)
    c = data.contacts
    assert list(c.columns) == ["Email", "Name", "Name (2)", "Email (2)"]
    assert list(c.index) == [3, 4, 5]
    assert c.loc[3].tolist() == ["a@x", "A", None, True]
    assert c.loc[4].tolist() == [None, None, None, None]
    assert c.loc[5, "Name"] == 2.5 and data.activities is None


def test_missing_tab_is_an_input_error(emulator: Emulator, gclient: gspread.Client) -> None:
    key = seed(emulator, 2)
    with pytest.raises(InputError, match=r"Tab 'Leads' not found.*Tabs: Contacts, Activities"):
        GoogleSheetsBackend(gclient, key).read("Leads")


def test_key_from_url_or_bare_key() -> None:
    url = "https://docs.google.com/spreadsheets/d/1AbC-d_E/edit#gid=0"
    assert spreadsheet_key(url) == "1AbC-d_E" and spreadsheet_key(" 1AbC-d_E ") == "1AbC-d_E"
    with pytest.raises(ConfigError, match="neither a Google Sheets URL nor a key"):
        spreadsheet_key("my sheet")


def test_service_account_from_env_through_token_endpoint(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = "sync@acme.iam.gserviceaccount.com"
    monkeypatch.setenv(
        "SHEETFUNNEL_CREDENTIALS", str(service_account_file(emulator, tmp_path, email))
    )
    client = make_client(timeout=7, session_adapter=EmulatorAdapter(emulator.url))
    assert client.http_client.timeout == 7
    key = seed(emulator, 3)
    assert len(read(GoogleSheetsBackend(client, key)).contacts) == 3
    assert [c["iss"] for c in emulator.issuer.exchanges] == [email]
    assert emulator.log[0].path == "/token" and emulator.tokens  # then bearer calls succeed


def test_bad_credentials_are_config_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        make_client(str(tmp_path / "missing.json"))
    (tmp_path / "x.json").write_text('{"type": "something"}')
    with pytest.raises(ConfigError, match="expected a service-account key"):
        make_client(str(tmp_path / "x.json"))
    for name in ("SHEETFUNNEL_CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert not os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    with pytest.raises(ConfigError, match="no credentials found"):
        make_client()
