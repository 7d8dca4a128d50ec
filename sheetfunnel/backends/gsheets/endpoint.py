"""Send the Sheets API's traffic to another endpoint (a local emulator), unchanged otherwise.

gspread and google-auth keep building https://sheets.googleapis.com/... URLs; a requests
transport adapter mounted on the client's session rewrites the scheme and host. Patching
gspread's URL constants does not work: other modules copied them at import time.
"""

from __future__ import annotations

import os
from typing import Any

import requests
from requests.adapters import HTTPAdapter

GOOGLE_HOSTS = ("https://sheets.googleapis.com/", "https://www.googleapis.com/")
#: Environment variable naming the endpoint, e.g. http://127.0.0.1:8085
ENDPOINT_VAR = "SHEETFUNNEL_SHEETS_ENDPOINT"


class EndpointAdapter(HTTPAdapter):
    """Rewrites https://sheets.googleapis.com/PATH to BASE_URL/PATH (same path and query)."""

    def __init__(self, base_url: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        url = request.url or ""
        for host in GOOGLE_HOSTS:
            if url.startswith(host):
                request.url = self.base_url + "/" + url[len(host) :]
                break
        return super().send(request, **kwargs)


def mount(session: requests.Session, base_url: str) -> EndpointAdapter:
    """Mount the rewriting adapter on a session (e.g. `client.http_client.session`)."""
    adapter = EndpointAdapter(base_url)
    for host in GOOGLE_HOSTS:
        session.mount(host, adapter)
    return adapter


def from_environment() -> EndpointAdapter | None:
    """The adapter for $SHEETFUNNEL_SHEETS_ENDPOINT, when it is set."""
    base = os.environ.get(ENDPOINT_VAR, "").strip()
    return EndpointAdapter(base) if base else None
