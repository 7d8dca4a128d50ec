# ruff: noqa: F811  (pytest fixtures imported by name)
"""Emulator behaviours the cassettes do not cover but the backend relies on: atomic
batchUpdate, grid limits, faults, request log, column metadata following moved columns,
and the service-account token exchange."""

from __future__ import annotations

from pathlib import Path

import gspread
import pytest
import requests
from google.oauth2 import service_account

from tests.gsheets_emulator import Emulator, mount
from tests.gsheets_emulator.fixtures import (  # noqa: F401
    client_for,
    emulator,
    gclient,
    service_account_file,
)


def test_batch_update_is_atomic(emulator: Emulator, gclient: gspread.Client) -> None:
    sh = gclient.create("atomic")
    body = {
        "requests": [
            {"addSheet": {"properties": {"title": "New"}}},
            {"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 5}},
            {"addSheet": {"properties": {"title": "Sheet1"}}},
        ]
    }
    with pytest.raises(gspread.exceptions.APIError) as info:
        sh.batch_update(body)
    assert info.value.code == 400
    assert 'requests[2].addSheet: A sheet with the name "Sheet1" already exists' in str(info.value)
    meta = sh.fetch_sheet_metadata()
    assert [s["properties"]["title"] for s in meta["sheets"]] == ["Sheet1"]
    assert meta["sheets"][0]["properties"]["gridProperties"]["rowCount"] == 1000


def test_values_write_beyond_grid_is_400_and_writes_nothing(gclient: gspread.Client) -> None:
    ws = gclient.create("grid").sheet1
    with pytest.raises(gspread.exceptions.APIError) as info:
        ws.batch_update([{"range": "A1", "values": [["x"]]}, {"range": "A1001", "values": [["y"]]}])
    assert "exceeds grid limits" in str(info.value)
    assert ws.get_all_values() == [[]]


def test_cell_limit_and_cell_size(gclient: gspread.Client) -> None:
    sh = gclient.create("limits")
    with pytest.raises(gspread.exceptions.APIError, match="above the limit of 10000000 cells"):
        sh.batch_update(
            {
                "requests": [
                    {"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 400_000}}
                ]
            }
        )
    with pytest.raises(gspread.exceptions.APIError, match="50000 characters"):
        sh.sheet1.update([["x" * 50_001]], "A1")


def test_faults_and_request_log(emulator: Emulator, gclient: gspread.Client) -> None:
    sh = gclient.create("faults")
    emulator.reset_log()
    emulator.fail_next(429, count=2)
    for _ in range(2):
        with pytest.raises(gspread.exceptions.APIError) as info:
            sh.sheet1.get_all_values()
        assert info.value.code == 429
    assert sh.sheet1.get_all_values() == [[]]
    statuses = [c.status for c in emulator.api_calls()]
    assert statuses[:2] == [429, 429] and set(statuses[2:]) == {200}
    emulator.hang_next(2)
    client = client_for(emulator, timeout=0.3)
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.open_by_key(sh.id)


def test_unknown_token_is_401(emulator: Emulator) -> None:
    key = emulator.create("x")
    got = requests.get(
        f"{emulator.url}/v4/spreadsheets/{key}", headers={"Authorization": "Bearer no"}
    )
    assert got.status_code == 401
    assert got.json()["error"]["status"] == "UNAUTHENTICATED"


def test_column_metadata_follows_a_moved_column(gclient: gspread.Client) -> None:
    sh = gclient.create("meta")
    sh.batch_update(
        {
            "requests": [
                {
                    "createDeveloperMetadata": {
                        "developerMetadata": {
                            "metadataKey": "k",
                            "metadataValue": "Score",
                            "location": {
                                "dimensionRange": {
                                    "sheetId": 0,
                                    "dimension": "COLUMNS",
                                    "startIndex": 5,
                                    "endIndex": 6,
                                }
                            },
                            "visibility": "DOCUMENT",
                        }
                    }
                },
                {
                    "moveDimension": {
                        "source": {
                            "sheetId": 0,
                            "dimension": "COLUMNS",
                            "startIndex": 5,
                            "endIndex": 6,
                        },
                        "destinationIndex": 1,
                    }
                },
            ]
        }
    )
    meta = sh.fetch_sheet_metadata({"fields": "sheets.data.columnMetadata.developerMetadata"})
    columns = meta["sheets"][0]["data"][0]["columnMetadata"]
    assert [i for i, c in enumerate(columns) if c] == [1]
    assert columns[1]["developerMetadata"][0]["metadataValue"] == "Score"


def test_service_account_token_exchange(emulator: Emulator, tmp_path: Path) -> None:
    email = "sync@project.iam.gserviceaccount.com"
    path = service_account_file(emulator, tmp_path, email)
    creds = service_account.Credentials.from_service_account_file(
        str(path), scopes=["https://www.googleapis.com/auth/spreadsheets"]
    )
    client = gspread.Client(auth=creds)
    mount(client.http_client.session, emulator.url)
    client.set_timeout(5)
    key_id = emulator.create("sa")
    assert client.open_by_key(key_id).sheet1.title == "Sheet1"
    assert [c["iss"] for c in emulator.issuer.exchanges] == [email]
    assert emulator.log[0].path == "/token"
    assert all(c.status == 200 for c in emulator.api_calls())


def test_rules_follow_inserted_columns_and_rows(gclient: gspread.Client) -> None:
    sh = gclient.create("shift")
    rule = {
        "ranges": [{"sheetId": 0, "startRowIndex": 1, "startColumnIndex": 7, "endColumnIndex": 8}],
        "booleanRule": {
            "condition": {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": '=$H2="Q3"'}]},
            "format": {"backgroundColor": {"red": 1}},
        },
    }
    sh.batch_update({"requests": [{"addConditionalFormatRule": {"rule": rule}}]})
    ws = sh.sheet1
    ws.insert_cols([["x"], ["y"]], col=1)
    ws.insert_rows([["r"]], row=1)
    (got,) = sh.fetch_sheet_metadata({"fields": "sheets.conditionalFormats"})["sheets"][0][
        "conditionalFormats"
    ]
    assert got["ranges"] == [{"startRowIndex": 2, "startColumnIndex": 9, "endColumnIndex": 10}]
    assert got["booleanRule"]["condition"]["values"][0]["userEnteredValue"] == '=$J3="Q3"'


def test_values_by_data_filter_follow_a_moved_column(gclient: gspread.Client) -> None:
    """values:batchUpdateByDataFilter writes into the column its metadata is on now; null
    skips a cell; a1Range filters write like values:batchUpdate. (No recording covers this
    endpoint: it is shaped like values:batchUpdate's answer.)"""
    sh = gclient.create("by-filter")
    sh.sheet1.update([["a", "b", "c"], ["1", "2", "3"]], "A1")
    mark = {
        "metadataId": 77,
        "metadataKey": "k",
        "metadataValue": "v",
        "location": {
            "dimensionRange": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 2, "endIndex": 3}
        },
        "visibility": "DOCUMENT",
    }
    sh.batch_update(
        {
            "requests": [
                {"createDeveloperMetadata": {"developerMetadata": mark}},
                {
                    "insertDimension": {
                        "range": {
                            "sheetId": 0,
                            "dimension": "COLUMNS",
                            "startIndex": 0,
                            "endIndex": 1,
                        }
                    }
                },
            ]
        }
    )
    url = f"https://sheets.googleapis.com/v4/spreadsheets/{sh.id}/values:batchUpdateByDataFilter"
    body = {
        "valueInputOption": "RAW",
        "data": [
            {
                "dataFilter": {"developerMetadataLookup": {"metadataId": 77}},
                "majorDimension": "COLUMNS",
                "values": [[None, "x"]],
            },
            {"dataFilter": {"a1Range": "Sheet1!A1"}, "values": [["new"]]},
        ],
    }
    got = gclient.http_client.request("post", url, json=body).json()
    assert got["totalUpdatedCells"] == 2
    assert got["responses"][0]["updatedRange"] == "Sheet1!D1:D2"
    assert sh.sheet1.get_all_values() == [["new", "a", "b", "c"], ["", "1", "2", "x"]]


def test_sheet_metadata_is_listed_on_its_sheet_and_goes_with_it(gclient: gspread.Client) -> None:
    """Metadata located on a sheet reads back in sheets[].developerMetadata (locationType
    SHEET); deleting the sheet, or the column a column marker is on, deletes the metadata."""
    sh = gclient.create("tab-marks")
    tab = sh.add_worksheet("Summary", 10, 5)
    column = {
        "dimensionRange": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 1, "endIndex": 2}
    }
    sh.batch_update(
        {
            "requests": [
                {
                    "createDeveloperMetadata": {
                        "developerMetadata": {
                            "metadataId": 5,
                            "metadataKey": "sheetfunnel:tab",
                            "metadataValue": "summary",
                            "location": {"sheetId": tab.id},
                            "visibility": "DOCUMENT",
                        }
                    }
                },
                {
                    "createDeveloperMetadata": {
                        "developerMetadata": {
                            "metadataId": 6,
                            "metadataKey": "sheetfunnel:column",
                            "metadataValue": "score",
                            "location": column,
                            "visibility": "DOCUMENT",
                        }
                    }
                },
            ]
        }
    )
    fields = "sheets(properties(title),developerMetadata)"
    meta = sh.fetch_sheet_metadata({"fields": fields})
    (mark,) = meta["sheets"][1]["developerMetadata"]
    assert mark["location"] == {"locationType": "SHEET", "sheetId": tab.id}
    assert "developerMetadata" not in meta["sheets"][0]  # column markers are not sheet markers
    sh.del_worksheet(tab)
    sh.sheet1.delete_columns(2)
    found = gclient.http_client.request(
        "post",
        f"https://sheets.googleapis.com/v4/spreadsheets/{sh.id}/developerMetadata:search",
        json={"dataFilters": [{"developerMetadataLookup": {"metadataKey": "sheetfunnel:tab"}}]},
    ).json()
    assert found == {}
    meta = sh.fetch_sheet_metadata({"fields": "sheets.data.columnMetadata.developerMetadata"})
    assert not any(
        c for c in meta["sheets"][0]["data"][0]["columnMetadata"] if "developerMetadata" in c
    )
