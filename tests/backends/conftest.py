"""Fixtures for the Excel backend tests (the engine owns tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from excel_helpers import CORPUS, make_contacts_xlsx


@pytest.fixture
def corpus() -> Path:
    """The fidelity corpus, read in place."""
    assert CORPUS.is_dir(), CORPUS
    return CORPUS


@pytest.fixture
def contacts_xlsx(tmp_path: Path) -> Path:
    """A fresh small contacts workbook in a temp folder."""
    return make_contacts_xlsx(tmp_path / "pipeline.xlsx")
