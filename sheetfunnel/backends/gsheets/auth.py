"""Build an authorised gspread client, and accept a sheet URL or a bare key."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import google.auth
import gspread
from google.auth.exceptions import DefaultCredentialsError
from google.oauth2 import service_account
from google.oauth2.credentials import Credentials as UserCredentials
from requests.adapters import BaseAdapter

from sheetfunnel.errors import ConfigError, ConfigProblem

from . import endpoint
from .endpoint import GOOGLE_HOSTS

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
ENV_VARS = ("SHEETFUNNEL_CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS")
_URL_KEY = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)")
_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def spreadsheet_key(key_or_url: str) -> str:
    """'https://docs.google.com/spreadsheets/d/KEY/edit#gid=0' or 'KEY' -> 'KEY'."""
    text = key_or_url.strip()
    m = _URL_KEY.search(text)
    if m:
        return m.group(1)
    if _KEY.match(text):
        return text
    raise ConfigError(
        [ConfigProblem("spreadsheet", f"'{key_or_url}' is neither a Google Sheets URL nor a key")]
    )


def account_email(client: gspread.Client) -> str | None:
    """The service account's e-mail when known (the address to share a sheet with)."""
    creds = getattr(client.http_client, "auth", None)
    email = getattr(creds, "service_account_email", None) or getattr(creds, "signer_email", None)
    return email if isinstance(email, str) and "@" in email else None


def _problem(path: str, message: str) -> ConfigError:
    return ConfigError([ConfigProblem("credentials", message)], file=path)


def _from_file(path: str, scopes: tuple[str, ...] = SCOPES) -> Any:
    try:
        info = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _problem(path, "file not found") from None
    except (OSError, ValueError) as ex:
        raise _problem(path, f"not a readable JSON credentials file ({ex})") from ex
    if info.get("type") == "service_account":
        try:
            return service_account.Credentials.from_service_account_info(info, scopes=scopes)
        except (ValueError, KeyError) as ex:
            raise _problem(path, f"invalid service-account key ({ex})") from ex
    if info.get("type") == "authorized_user":
        return UserCredentials.from_authorized_user_info(info, scopes)
    if "installed" in info or "web" in info:
        return _user_login(path)
    raise _problem(path, "expected a service-account key, an OAuth client secret or a user token")


def _user_login(client_secret: str) -> UserCredentials:
    """The user's own Google login (browser once, then a cached token). Needs a desktop."""
    from google.auth.transport.requests import Request
    from google_auth_oauthlib.flow import InstalledAppFlow

    cache = Path(
        os.environ.get("SHEETFUNNEL_TOKEN_FILE", Path.home() / ".config/sheetfunnel/token.json")
    )
    creds = None
    if cache.exists():
        creds = UserCredentials.from_authorized_user_file(str(cache), SCOPES)
    if creds and creds.expired and creds.refresh_token:
        creds.refresh(Request())
    if not creds or not creds.valid:
        flow = InstalledAppFlow.from_client_secrets_file(client_secret, SCOPES)
        creds = flow.run_local_server(port=0)
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(creds.to_json(), encoding="utf-8")
    return creds


#: Credentials already built in this process, by file (path, size, mtime): a `watch` reuses
#: one access token across its ticks until it expires (google-auth then refreshes it),
#: instead of a token exchange per tick.
_CREDENTIALS: dict[tuple, Any] = {}


def _cached(path: str, scopes: tuple[str, ...] = SCOPES) -> Any:
    try:
        st = Path(path).stat()
    except OSError:
        return _from_file(path, scopes)  # says what is wrong with the path
    key = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns, scopes)
    if key not in _CREDENTIALS:
        _CREDENTIALS[key] = _from_file(path, scopes)
    return _CREDENTIALS[key]


def make_client(
    credentials_file: str | None = None,
    *,
    timeout: float = 60,
    session_adapter: BaseAdapter | None = None,
    extra_scopes: tuple[str, ...] = (),
) -> gspread.Client:
    """An authorised client: a service-account key / OAuth client secret / user token file
    (argument, SHEETFUNNEL_CREDENTIALS or GOOGLE_APPLICATION_CREDENTIALS), else Google's
    application-default credentials. Every request gets `timeout` seconds.
    `session_adapter` is mounted for Google's hosts (e.g. to reach a local emulator); by
    default, $SHEETFUNNEL_SHEETS_ENDPOINT names such an endpoint. `extra_scopes`: asked
    for on top of the Sheets scope (the Drive metadata scope of the revision check)."""
    scopes = SCOPES + tuple(extra_scopes)
    path = credentials_file or next((os.environ[v] for v in ENV_VARS if os.environ.get(v)), None)
    if path:
        creds = _cached(path, scopes)
    elif ("default", scopes) in _CREDENTIALS:
        creds = _CREDENTIALS[("default", scopes)]
    else:
        try:
            creds, _ = google.auth.default(scopes=list(scopes))
            _CREDENTIALS[("default", scopes)] = creds
        except DefaultCredentialsError as ex:
            raise ConfigError(
                [
                    ConfigProblem(
                        "credentials",
                        "no credentials found: pass a service-account JSON file, set "
                        "SHEETFUNNEL_CREDENTIALS, or run `gcloud auth application-default login`",
                    )
                ]
            ) from ex
    client = gspread.Client(auth=creds)
    client.set_timeout(timeout)
    session_adapter = session_adapter or endpoint.from_environment()
    if session_adapter is not None:
        for host in GOOGLE_HOSTS:
            client.http_client.session.mount(host, session_adapter)
    return client
