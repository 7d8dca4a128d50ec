"""Point an unchanged gspread client at the emulator: a requests adapter that rewrites hosts."""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter

GOOGLE_HOSTS = ("https://sheets.googleapis.com/", "https://www.googleapis.com/")


class EmulatorAdapter(HTTPAdapter):
    """Sends https://sheets.googleapis.com/... to http://127.0.0.1:PORT/... (same path)."""

    def __init__(self, base_url: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        assert request.url is not None
        for host in GOOGLE_HOSTS:
            if request.url.startswith(host):
                request.url = self.base_url + "/" + request.url[len(host) :]
                break
        return super().send(request, **kwargs)


def mount(session: requests.Session, base_url: str) -> EmulatorAdapter:
    """Mount the rewriting adapter on a session (e.g. `client.http_client.session`)."""
    adapter = EmulatorAdapter(base_url)
    for host in GOOGLE_HOSTS:
        session.mount(host, adapter)
    return adapter
