"""Failures become one clear RemoteError; 429/5xx/timeouts are retried a bounded number of
times with truncated exponential back-off (injected sleep: the tests never wait)."""

from __future__ import annotations

from pathlib import Path

import gspread
import pytest

from sheetfunnel.backends.gsheets import GoogleSheetsBackend, RetryPolicy, make_client
from sheetfunnel.errors import RemoteError
from tests.gsheets_emulator import Emulator, EmulatorAdapter
from tests.gsheets_emulator.fixtures import client_for, service_account_file
from tests.gsheets_emulator.scenario import plan_for, read, seed


def policy(waits: list[float], attempts: int = 4) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, base=1, cap=32, sleep=waits.append, jitter=lambda: 0.25)


def test_backoff_is_truncated_exponential() -> None:
    p = RetryPolicy(attempts=9, base=1, cap=32, jitter=lambda: 0.5)
    assert [p.delay(n) for n in range(8)] == [1.5, 2.5, 4.5, 8.5, 16.5, 32.5, 32.5, 32.5]


def test_403_names_the_service_account_to_share_with(emulator: Emulator, tmp_path: Path) -> None:
    email = "sheetfunnel@acme-crm.iam.gserviceaccount.com"
    client = make_client(
        str(service_account_file(emulator, tmp_path, email)),
        timeout=5,
        session_adapter=EmulatorAdapter(emulator.url),
    )
    emulator.add_private("1PrivateSheetKeyXXXXXXXXXXXXXXXXXXXXXXXXXXX")
    backend = GoogleSheetsBackend(client, "1PrivateSheetKeyXXXXXXXXXXXXXXXXXXXXXXXXXXX")
    with pytest.raises(RemoteError) as info:
        read(backend)
    assert info.value.status == 403
    assert f"Share the spreadsheet with {email} as an Editor" in str(info.value)


def test_404_says_not_found_with_the_key(gclient: gspread.Client) -> None:
    backend = GoogleSheetsBackend(gclient, "https://docs.google.com/spreadsheets/d/nope123/edit")
    with pytest.raises(RemoteError, match="Spreadsheet not found: nope123") as info:
        read(backend)
    assert info.value.status == 404 and info.value.key == "nope123"


def test_429_is_retried_a_bounded_number_of_times(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 5)
    waits: list[float] = []
    backend = GoogleSheetsBackend(gclient, key, retry=policy(waits))
    emulator.reset_log()
    emulator.fail_next(429, count=100)
    with pytest.raises(RemoteError, match=r"quota exceeded .* after 4 attempts") as info:
        read(backend)
    assert info.value.status == 429
    assert waits == [1.25, 2.25, 4.25]
    assert len(emulator.api_calls()) == 4


def test_500_then_success(emulator: Emulator, gclient: gspread.Client) -> None:
    key = seed(emulator, 5)
    waits: list[float] = []
    backend = GoogleSheetsBackend(gclient, key, retry=policy(waits))
    emulator.fail_next(500, count=2)
    data = read(backend)
    assert len(data.contacts) == 5 and waits == [1.25, 2.25]
    emulator.fail_next(503, count=1, path_contains="values:batchUpdate")
    assert backend.write(plan_for(data), data).changed
    assert waits == [1.25, 2.25, 1.25]


def test_timeouts_are_retried_then_reported(emulator: Emulator) -> None:
    key = seed(emulator, 5)
    waits: list[float] = []
    backend = GoogleSheetsBackend(client_for(emulator, timeout=0.2), key, retry=policy(waits, 3))
    emulator.hang_next(1.0, count=1)
    assert len(read(backend).contacts) == 5
    emulator.hang_next(1.0, count=3)
    with pytest.raises(RemoteError, match="No answer from Google Sheets within the timeout"):
        read(backend)


def test_timeout_of_the_layout_update_is_not_blindly_retried(emulator: Emulator) -> None:
    key = seed(emulator, 5)
    waits: list[float] = []
    backend = GoogleSheetsBackend(client_for(emulator, timeout=0.2), key, retry=policy(waits))
    data = read(backend)
    emulator.hang_next(1.0, count=1, path_contains=":batchUpdate", method="POST")
    with pytest.raises(RemoteError, match="may or may not have applied"):
        backend.write(plan_for(data), data)
    assert waits == []


def test_400_cell_too_long_is_explained_and_rolled_back(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 5)
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    # sheetfunnel cuts its own texts to 50,000 characters (issue 11): the API's refusal is
    # injected here, to prove the explanation and the rollback
    emulator.fail_next(
        400,
        path_contains="values:batchUpdate",
        message="Your input contains more than the maximum of 50000 characters in a single cell.",
    )
    with pytest.raises(RemoteError, match=r"50,000 characters.*rolled back") as info:
        backend.write(plan_for(data, why="x" * 40), data)
    assert info.value.status == 400
    assert [s.title for s in emulator.spreadsheets[key].sheets] == ["Contacts", "Activities"]
    written = backend.write(plan_for(data, why="x" * 50_001), data)
    assert written.notes[0].startswith("5 texts longer than a cell can hold (50,000 char")


def test_400_cell_limit_is_explained(emulator: Emulator, gclient: gspread.Client) -> None:
    key = seed(emulator, 5)
    with emulator.lock:
        emulator.spreadsheets[key].sheets[1].row_count = 383_600  # 9,999,600 cells in all
    backend = GoogleSheetsBackend(gclient, key)
    data = read(backend)
    with pytest.raises(RemoteError, match=r"limit of 10,000,000 cells.*Nothing was written"):
        backend.write(plan_for(data), data)


def test_html_error_page_is_still_a_retried_502(
    emulator: Emulator, gclient: gspread.Client
) -> None:
    key = seed(emulator, 5)
    waits: list[float] = []
    backend = GoogleSheetsBackend(gclient, key, retry=policy(waits, attempts=2))
    emulator.fail_next(502, count=1, text="<html><body>Bad Gateway</body></html>")
    assert len(read(backend).contacts) == 5 and waits == [1.25]
    emulator.fail_next(502, count=2, text="<html><body>Bad Gateway</body></html>")
    with pytest.raises(RemoteError, match="HTTP 502") as info:
        read(backend)
    assert info.value.status == 502


def test_connection_refused_is_retried_then_reported(emulator: Emulator) -> None:
    key = seed(emulator, 2)
    client = client_for(emulator)
    emulator.stop()  # nothing listens on the port any more
    waits: list[float] = []
    backend = GoogleSheetsBackend(client, key, retry=policy(waits, attempts=3))
    with pytest.raises(RemoteError, match=r"Could not reach Google Sheets .* after 3 attempts"):
        read(backend)
    assert waits == [1.25, 2.25]


def test_retry_after_is_honoured(emulator: Emulator, gclient: gspread.Client) -> None:
    """A 429 or 503 that says how long to wait (Retry-After, seconds or an HTTP date) is
    waited exactly that long instead of the back-off's guess, within the policy's cap."""
    import email.utils
    import time

    key = seed(emulator, 5)
    waits: list[float] = []
    backend = GoogleSheetsBackend(gclient, key, retry=policy(waits))
    emulator.fail_next(429, count=1, retry_after="7")
    emulator.fail_next(503, count=1, retry_after="500")  # more than the cap: cut to 120 s
    data = read(backend)
    assert len(data.contacts) == 5 and waits == [7.0, 120.0]
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    emulator.fail_next(503, count=1, retry_after=later, path_contains="values:batchUpdate")
    assert backend.write(plan_for(data), data).changed
    assert 28 <= waits[-1] <= 31
