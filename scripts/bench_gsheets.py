"""Benchmark: a real Google Sheets sync (read, score, plan, write) of 10,000 contacts +
100,000 activities, against the local emulator, through the real gspread client over HTTP.

Reports per sync: requests, bytes sent/received, and wall time minus the time the emulator
spent inside its handlers (what a sync costs on our side; Google's own latency excluded).
Run from the project root: `python scripts/bench_gsheets.py [--contacts N --activities M]`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import datetime as dt

import pandas as pd
from bench_engine import AS_OF, generate

from sheetfunnel.backends.base import EPOCH_1900, WriteResult
from sheetfunnel.backends.gsheets import GoogleSheetsBackend
from sheetfunnel.config import Config
from sheetfunnel.sync import sync
from tests.gsheets_emulator import Emulator
from tests.gsheets_emulator.fixtures import client_for
from tests.gsheets_emulator.scenario import fill
from tests.gsheets_emulator.state import Sheet
from tests.gsheets_emulator.timing import write_window


def sync_once(backend: GoogleSheetsBackend, as_of: dt.date = AS_OF) -> WriteResult:
    """One real sync: read, score, plan, write."""
    return sync(backend, Config(), as_of=as_of).write


def _cells(frame: pd.DataFrame) -> list[list[object]]:
    """Rows as Sheets stores them: dates as serial numbers, numbers as numbers."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = (out[col] - pd.Timestamp(EPOCH_1900)) / pd.Timedelta(days=1)
    values = out.astype(object).where(out.notna(), None).to_numpy().tolist()
    return [list(frame.columns), *values]


def seed(emu: Emulator, contacts: int, activities: int) -> str:
    """A spreadsheet with the engine benchmark's contacts and activity log."""
    people, log = generate(contacts, activities)
    key = emu.create("Pipeline")
    with emu.lock:
        book = emu.spreadsheets[key]
        book.sheets[0].title = "Contacts"
        fill(book.sheets[0], _cells(people))
        tab = Sheet(1, "Activities")
        fill(tab, _cells(log))
        book.sheets.append(tab)
    return key


def measure(emu: Emulator, label: str, fn: Callable[[], WriteResult]) -> None:
    emu.reset_log()
    started = time.perf_counter()
    result = fn()
    wall = time.perf_counter() - started
    calls = emu.api_calls()
    server = emu.server_seconds()
    sent = sum(c.bytes_in for c in calls)
    received = sum(c.bytes_out for c in calls)
    kinds = ", ".join(f"{c.method} {c.path.rsplit('/', 1)[-1][-20:]}" for c in calls)
    print(
        f"{label:<22} requests={len(calls):<2} sent={sent / 1e6:7.3f} MB "
        f"received={received / 1e6:7.3f} MB  wall={wall:6.2f}s  emulator={server:5.2f}s  "
        f"ours={wall - server:5.2f}s  cells={result.cells_written}"
    )
    print(f"{'':<22} {kinds}")
    window = write_window(calls)
    if window is not None:
        exposed, remaining = window
        print(
            f"{'':<22} write window: {exposed * 1000:.1f} ms from the row check to the last "
            f"values write (covered by the verification read); unverified after the write: "
            f"{max(0.0, remaining) * 1000:.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--activities", type=int, default=100_000)
    args = parser.parse_args()
    emu = Emulator().start()
    try:
        key = seed(emu, args.contacts, args.activities)
        backend = GoogleSheetsBackend(client_for(emu, timeout=120), key)
        print(f"{args.contacts} contacts, {args.activities} activities")
        measure(emu, "first sync (all new)", lambda: sync_once(backend))
        measure(emu, "second sync (no change)", lambda: sync_once(backend))
        week = AS_OF + dt.timedelta(days=7)
        measure(emu, "a week later (decay)", lambda: sync_once(backend, week))
    finally:
        emu.stop()


if __name__ == "__main__":
    main()
