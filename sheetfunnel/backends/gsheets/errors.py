"""Turn Google/gspread/network failures into sheetfunnel errors that say what to do."""

from __future__ import annotations

import requests
from google.auth.exceptions import GoogleAuthError
from gspread.exceptions import APIError

from sheetfunnel.errors import RemoteError, SheetfunnelError

from .retry import Exhausted, status_of

NOTHING = "Nothing was written."


def _api_message(ex: APIError) -> str:
    try:
        return str(ex.error.get("message", ""))[:300] or str(ex)
    except AttributeError:
        return str(ex)


def explain(
    failure: Exhausted | BaseException,
    *,
    key: str,
    account: str | None,
    during: str,
    outcome: str = NOTHING,
) -> SheetfunnelError:
    """One clear RemoteError for a failed call; `during` says what we were doing."""
    ex = failure.error if isinstance(failure, Exhausted) else failure
    attempts = failure.attempts if isinstance(failure, Exhausted) else 1
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    if isinstance(ex, APIError):
        code, message = status_of(ex), _api_message(ex)
        if code == 403:
            who = account or "the account sheetfunnel runs as"
            return RemoteError(
                f"Permission denied on spreadsheet {key} while {during}. Share the spreadsheet "
                f"with {who} as an Editor, then run again. {outcome}",
                status=403,
                key=key,
            )
        if code == 404:
            return RemoteError(
                f"Spreadsheet not found: {key}. Check the key or URL (and that the file was not "
                f"deleted). {outcome}",
                status=404,
                key=key,
            )
        if code == 401:
            return RemoteError(
                f"Google rejected the credentials while {during} ({message}). Renew the token "
                f"or check the credentials file. {outcome}",
                status=401,
                key=key,
            )
        if code == 429:
            return RemoteError(
                f"Google Sheets quota exceeded while {during}{tries}. Wait a minute and run "
                f"again (quotas: 60 requests/min per user). {outcome}",
                status=429,
                key=key,
            )
        if code >= 500:
            return RemoteError(
                f"Google Sheets failed with HTTP {code} while {during}{tries} ({message}). "
                f"Run again later. {outcome}",
                status=code,
                key=key,
            )
        if code == 400:
            return RemoteError(_bad_request(message, during, outcome), status=400, key=key)
        return RemoteError(
            f"Google Sheets refused the request while {during}: HTTP {code} {message}. {outcome}",
            status=code,
            key=key,
        )
    if isinstance(ex, requests.exceptions.Timeout):
        return RemoteError(
            f"No answer from Google Sheets within the timeout while {during}{tries}. Check the "
            f"network and run again. {outcome}",
            key=key,
        )
    if isinstance(ex, requests.exceptions.RequestException):
        return RemoteError(
            f"Could not reach Google Sheets while {during}{tries} ({ex.__class__.__name__}). "
            f"Check the network and run again. {outcome}",
            key=key,
        )
    if isinstance(ex, GoogleAuthError):
        return RemoteError(
            f"Could not get a Google access token while {during}: {ex}. Check the credentials. "
            f"{outcome}",
            key=key,
        )
    return RemoteError(f"Google Sheets call failed while {during}: {ex}. {outcome}", key=key)


def _bad_request(message: str, during: str, outcome: str) -> str:
    if "10000000 cells" in message:
        return (
            f"The spreadsheet would pass Google's limit of 10,000,000 cells while {during}. "
            f"Delete unused rows, columns or tabs (empty grid cells count too). {outcome}"
        )
    if "50000 characters" in message:
        return (
            f"A cell would hold more than Google's limit of 50,000 characters while {during}. "
            f"Shorten the value. {outcome}"
        )
    if "grid limits" in message:
        return (
            f"A write fell outside the sheet's grid while {during} ({message}); the sheet was "
            f"probably resized during the sync. Run again. {outcome}"
        )
    return f"Google Sheets rejected the request while {during}: {message}. {outcome}"
