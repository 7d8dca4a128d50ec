"""Helpers for the scheduled-run tests: a demo workbook, a fake clock, reading tabs back."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import threading
from pathlib import Path

from helpers import ROOT
from python_calamine import CalamineWorkbook

from sheetfunnel.config import Config

DAY = dt.date(2026, 6, 30)
MORNING = dt.datetime(2026, 6, 30, 9, 0, tzinfo=dt.UTC)


class FakeClock:
    """Time that moves only when the loop sleeps (or a test says so); records every sleep."""

    def __init__(self, start: dt.datetime):
        self.time = start
        self.sleeps: list[dt.datetime] = []

    def now(self) -> dt.datetime:
        return self.time

    def sleep_until(self, moment: dt.datetime, stop: threading.Event) -> None:
        self.sleeps.append(moment)
        if not stop.is_set():
            self.time = max(self.time, moment)

    def advance(self, **delta: float) -> None:
        self.time += dt.timedelta(**delta)


def copy_book(pristine: Path, folder: Path, name: str = "pipeline.xlsx") -> Path:
    return Path(shutil.copy(pristine, folder / name))


def table(path: Path, tab: str) -> list[dict]:
    wb = CalamineWorkbook.from_path(str(path))
    try:
        rows = wb.get_sheet_by_name(tab).to_python()
    finally:
        wb.close()
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]


def rows(path: Path, tab: str) -> list[list]:
    wb = CalamineWorkbook.from_path(str(path))
    try:
        return wb.get_sheet_by_name(tab).to_python()
    finally:
        wb.close()


def config(tmp: Path, **watch: object) -> Config:
    """The default config with backups off and the run state in `tmp`."""
    base = Config()
    return base.model_copy(
        update={
            "output": base.output.model_copy(update={"backup": False}),
            "watch": base.watch.model_copy(update={"state_dir": str(tmp / "state"), **watch}),
        }
    )


def cli_command(*args: object) -> list[str]:
    """`python -m sheetfunnel ...` run from the project root."""
    return [sys.executable, "-m", "sheetfunnel", *map(str, args)]


def cli_env(state: Path) -> dict[str, str]:
    return {**os.environ, "SHEETFUNNEL_STATE_DIR": str(state), "PYTHONPATH": str(ROOT)}
