"""Benchmark: one Google Sheets sync of 10,000 contacts + 100,000 activities, against the
local emulator, through the real gspread client over real HTTP.

Reports per sync: requests, bytes sent/received, and wall time minus the time the emulator
spent inside its handlers (what a sync costs on our side; Google's own latency excluded).
Run from the project root: `python scripts/bench_gsheets.py [--contacts N --activities M]`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sheetfunnel.backends.base import SheetData, WritePlan, WriteResult
from sheetfunnel.backends.gsheets import GoogleSheetsBackend
from tests.gsheets_emulator import Emulator
from tests.gsheets_emulator.fixtures import client_for
from tests.gsheets_emulator.scenario import plan_for, read, seed


def sync_once(
    backend: GoogleSheetsBackend, make_plan: Callable[[SheetData], WritePlan]
) -> WriteResult:
    """One sync. For now: backend read + write of a synthetic plan (the engine's real sync
    replaces this body later)."""
    data = read(backend)
    return backend.write(make_plan(data), data)


def one_percent_changed(data: SheetData) -> WritePlan:
    plan = plan_for(data)
    score = plan.columns[0]
    values = list(score.values)
    for i in range(0, len(values), 100):
        values[i] = -1.0
    return replace(plan, columns=(replace(score, values=tuple(values)), *plan.columns[1:]))


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
        measure(emu, "first sync (all new)", lambda: sync_once(backend, plan_for))
        measure(emu, "second sync (no change)", lambda: sync_once(backend, plan_for))
        measure(emu, "1% of scores changed", lambda: sync_once(backend, one_percent_changed))
    finally:
        emu.stop()


if __name__ == "__main__":
    main()
