"""pytest fixtures: a running emulator and a real gspread client pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import gspread
import pytest
from google.oauth2.credentials import Credentials

from .client import mount
from .server import Emulator


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emu = Emulator().start()
    try:
        yield emu
    finally:
        emu.stop()


def client_for(emu: Emulator, *, timeout: float = 5) -> gspread.Client:
    """A normal gspread client (fake bearer token) whose HTTP goes to the emulator."""
    client = gspread.Client(auth=Credentials(token="test-token"))
    mount(client.http_client.session, emu.url)
    client.set_timeout(timeout)
    return client


@pytest.fixture
def gclient(emulator: Emulator) -> gspread.Client:
    return client_for(emulator)
