"""Fixtures for the backend tests: Excel workbooks (tests/backends/excel_helpers.py) and a
running Google Sheets emulator with a real gspread client (tests/gsheets_emulator/)."""

from __future__ import annotations

from pathlib import Path

import pytest
from excel_helpers import CORPUS, make_contacts_xlsx

from tests.gsheets_emulator.fixtures import emulator, gclient

__all__ = ["emulator", "gclient"]


@pytest.fixture
def corpus() -> Path:
    """The fidelity corpus, read in place."""
    assert CORPUS.is_dir(), CORPUS
    return CORPUS


@pytest.fixture
def contacts_xlsx(tmp_path: Path) -> Path:
    """A fresh small contacts workbook in a temp folder."""
    return make_contacts_xlsx(tmp_path / "pipeline.xlsx")
