"""Benchmark what scheduled runs add to a sync: the input fingerprints that let an unchanged
run skip, the History/time-in-stage work every sync now does, and a whole skipped run.

    python scripts/bench_watch.py                       # 100k contacts, 1M activities
    python scripts/bench_watch.py --contacts 10000 --activities 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_engine import as_raw_cells, generate  # noqa: E402
from bench_excel import generate as generate_xlsx  # noqa: E402

from sheetfunnel.config import Config, config_from_dict  # noqa: E402
from sheetfunnel.history import history_table, stage_flow  # noqa: E402
from sheetfunnel.runlog import file_fingerprint, values_fingerprint  # noqa: E402
from sheetfunnel.runner import RunOptions, run_once  # noqa: E402
from sheetfunnel.tabs import HISTORY_HEADER  # noqa: E402

AS_OF = dt.date(2026, 6, 30)


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def history_rows(contacts: int, rows: int, seed: int = 2) -> tuple:
    rng = np.random.default_rng(seed)
    stages = ["Lead", "MQL", "SQL", "Prospect", "Customer", "Lost"]
    body = []
    for _ in range(rows):
        a, b = rng.choice(len(stages), 2, replace=False)
        day = AS_OF - dt.timedelta(days=int(rng.integers(0, 365)))
        body.append(
            (day, f"contact{rng.integers(0, contacts)}@example.com", stages[a], stages[b], 42.5,
             "+20 demo request; +15 mid-market", "no")
        )  # fmt: skip
    body.sort(key=lambda r: r[0])
    return (HISTORY_HEADER, *body)


def bench_config(tmp: Path) -> Config:
    """The headers bench_excel's workbook uses; no backup, state in `tmp`."""
    return config_from_dict(
        {
            "source": {"activities_tab": "Activities"},
            "columns": {
                "key": "email", "name": "first_name", "company": "company",
                "title": "job_title", "company_size": "company_size", "sector": "sector",
                "country": "country", "source": "source", "owner": "owner",
                "created": "created", "stage_override": "",
            },
            "activities": {"contact": "email", "type": "type", "date": "date"},
            "output": {"backup": False},
            "watch": {"state_dir": str(tmp / "state"), "log": str(tmp / "runs.jsonl")},
        }
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--history", type=int, default=10_000)
    args = parser.parse_args()
    n, m = args.contacts, args.activities
    config = Config()

    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "bench.xlsx"
        generate_xlsx(book, n, m)
        size = book.stat().st_size / 2**20
        t = best(lambda: file_fingerprint(book))
        print(f"workbook fingerprint (size, mtime, sha256), {size:,.0f} MiB: {t:6.2f} s")
        runs = bench_config(Path(tmp))
        options = RunOptions(skip_unchanged=True)
        for label in ("first sync", "unchanged input, skipped"):
            t0 = time.perf_counter()
            result = run_once(str(book), runs, options, as_of=AS_OF)
            assert result.error is None, result.error
            took = time.perf_counter() - t0
            print(f"run_once, {label} ({result.record.outcome}): {took:6.2f} s")

    contacts, activities = generate(n, m)
    raw = {"contacts": as_raw_cells(contacts), "activities": as_raw_cells(activities)}
    t = best(lambda: values_fingerprint(raw), repeat=2)
    print(f"values fingerprint of {n:,} contacts + {m:,} activities: {t:6.2f} s")

    rows = history_rows(n, args.history)
    t = best(lambda: history_table(rows, config))
    print(f"History tab of {args.history:,} rows read into a table:       {t:6.2f} s")
    table = history_table(rows, config)
    rng = np.random.default_rng(3)
    current = pd.DataFrame(
        {
            "key": contacts["Email"],
            "stage": rng.choice(["Lead", "MQL", "SQL", "Prospect"], n),
            "since": pd.Timestamp(AS_OF) - pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
        }
    )
    t = best(lambda: stage_flow(config, table, current, AS_OF, AS_OF - dt.timedelta(days=1)))
    print(f"time in stage + moves, {n:,} contacts, {args.history:,} History rows: {t:6.2f} s")


if __name__ == "__main__":
    main()
