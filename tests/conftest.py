"""pytest configuration shared by every test (helpers live in tests/helpers.py)."""

import pytest


@pytest.fixture(autouse=True)
def _private_state_dir(tmp_path_factory, monkeypatch):
    """Run state and Google Sheets lock files go to a temp folder, never the user's own."""
    monkeypatch.setenv("SHEETFUNNEL_STATE_DIR", str(tmp_path_factory.mktemp("state")))
