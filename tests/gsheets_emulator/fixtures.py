"""pytest fixtures: a running emulator and a real gspread client pointed at it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import gspread
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
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


def service_account_file(emu: Emulator, directory: Path, email: str) -> Path:
    """A throwaway service-account key whose token_uri is the emulator's /token."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    emu.issuer.register(email, public)
    info = {
        "type": "service_account",
        "project_id": "project",
        "private_key_id": "k1",
        "private_key": pem,
        "client_email": email,
        "client_id": "1",
        "token_uri": f"{emu.url}/token",
    }
    path = directory / "service-account.json"
    path.write_text(json.dumps(info))
    return path
