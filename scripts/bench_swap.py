"""Measure the save's vulnerable window, before and after the compare-and-swap (issue 11).

Before: a save by another program that landed between the last "changed since I read it?"
check (a hash of the whole file) and `os.replace` was lost or kept only in the backup; that
window is timed here by running the old sequence (hash, backup link, replace).
After: the names are exchanged atomically and the displaced file proved afterwards, so a
save by rename is never lost; the windows left are timed on real syncs through the step hook.

    python scripts/bench_swap.py [--contacts 15000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts"), str(ROOT / "tests" / "backends")]

from bench_excel import generate  # noqa: E402
from excel_helpers import build_plan  # noqa: E402

from sheetfunnel.backends.excel import ExcelBackend, swap  # noqa: E402
from sheetfunnel.backends.excel.safesave import fingerprint  # noqa: E402


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.3f} ms, max {max(values) * 1000:.3f} ms"


def old_window(book: Path, repeat: int) -> list[float]:
    """The old sequence: hash the file, link a backup, os.replace the new file in."""
    out = []
    for i in range(repeat):
        work = book.with_name(f"old{i}.xlsx")
        shutil.copy(book, work)
        new = book.with_name(f"new{i}.tmp")
        shutil.copy(book, new)
        t0 = time.perf_counter()
        fingerprint(work)
        os.link(work, book.with_name(f"backup{i}.xlsx"))
        new.replace(work)
        out.append(time.perf_counter() - t0)
    return out


def timed_sync(work: Path) -> dict[str, float]:
    """One real sync of `work`, with the time of each step of its save."""
    backend = ExcelBackend(work)
    data = backend.read("Contacts", 1, None, 1, ())
    stamps: dict[str, float] = {}
    link, replace = os.link, os.replace

    def timed_link(*a, **k):
        stamps.setdefault("link", time.perf_counter())
        return link(*a, **k)

    def timed_replace(*a, **k):
        result = replace(*a, **k)
        stamps.setdefault("replaced", time.perf_counter())
        return result

    swap.step_hook = lambda name: stamps.setdefault(name, time.perf_counter())
    os.link, os.replace = timed_link, timed_replace
    try:
        backend.write(build_plan(data), data)
    finally:
        os.link, os.replace, swap.step_hook = link, replace, None
    return stamps


def new_windows(book: Path, repeat: int, mode: str) -> tuple[list[float], list[float]]:
    """On real syncs: the time a save by rename could still be lost (exchange: none, by
    construction; link fallback: link to replace), and the time from the displaced file's
    proof to the removal of its temporary name (a write in place after the proof, through a
    handle opened before the swap, lands in the backup whenever it comes)."""
    lost, backup_only = [], []
    if mode == "link":
        swap._renameat2 = None
    for i in range(repeat):
        work = book.with_name(f"{mode}{i}.xlsx")
        shutil.copy(book, work)
        stamps = timed_sync(work)
        lost.append(stamps["replaced"] - stamps["link"] if mode == "link" else 0.0)
        backup_only.append(stamps["done"] - stamps["proved"])
    return lost, backup_only


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=15_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        book = Path(folder) / "pipeline.xlsx"
        generate(book, args.contacts, args.contacts * 10)
        print(f"workbook: {book.stat().st_size / 1e6:.1f} MB")
        print(f"before (hash check -> replace): {ms(old_window(book, args.repeat))}")
        for mode in ("exchange", "link"):
            lost, after = new_windows(book, args.repeat, mode)
            print(f"after, {mode}: save by rename lost: {ms(lost)}")
            print(f"after, {mode}: proof of the displaced file to its name removed: {ms(after)}")


if __name__ == "__main__":
    main()
