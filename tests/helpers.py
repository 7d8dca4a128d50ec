"""Shared test helpers: where ../shared is, and raw tables shaped like a backend's read."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATASETS = SHARED / "datasets"


def raw(rows: list[dict], start_row: int = 2) -> pd.DataFrame:
    """A raw table as a backend reads it: object cells, None for empty, index = sheet rows."""
    frame = pd.DataFrame(rows, dtype=object)
    frame.index = pd.RangeIndex(start_row, start_row + len(frame))
    return frame.astype(object).where(frame.notna(), None)


def contact(email: str, **fields: object) -> dict:
    """One contacts-tab row with the default config's headers; `fields` override by header."""
    row: dict[str, object] = {
        "Email": email,
        "Name": (email or "nobody").split("@")[0].title(),
        "Company": "Acme",
        "Job title": "Analyst",
        "Company size": 20,
        "Sector": "Retail",
        "Country": "Germany",
        "Source": "Web",
        "Owner": "Olga",
        "Created": "2024-01-10",
        "Stage override": None,
    }
    row.update({k.replace("_", " "): v for k, v in fields.items()})
    return row
