"""Benchmark: the engine alone, from DataFrames to results and summary.

Generates 100,000 contacts and 1,000,000 activities in memory and times `engine.score` on
them, in two shapes: typed frames (as pandas.read_excel gives, dates as datetime64) and raw
cells (object columns holding Python datetimes and text, as a backend read gives). Reports
wall time (best of --repeat) and the process's peak RSS.

    python scripts/bench_engine.py [--contacts 100000] [--activities 1000000] [--repeat 3]

Target on a 2-core machine: under 2 s and under 1 GB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import time

import numpy as np
import pandas as pd

from sheetfunnel import engine
from sheetfunnel.config import Config

AS_OF = dt.date(2026, 6, 30)
LABELS = np.array(
    [
        "Email open",
        "Email click",
        "Page visit",
        "Content download",
        "Webinar",
        "Form submit",
        "Call",
        "Meeting",
        "Demo request",
        "Quote request",
        "Unsubscribe",
        "Bounce",
        "Purchase",
    ]
)
WEIGHTS = np.array([30, 12, 25, 8, 4, 6, 5, 3, 2, 1, 2, 0.5, 0.3])
TITLES = np.array(
    [
        "CEO",
        "VP Sales",
        "Head of IT",
        "Marketing Manager",
        "Analyst",
        "Intern",
        "Directeur commercial",
        "Developer",
        "Team Lead",
        "Consultant",
    ]
)
SECTORS = np.array(["Software", "SaaS", "Retail", "Fintech", "Healthcare", "Education"])
COUNTRIES = np.array(["France", "Belgium", "Canada", "Germany", "Spain", "USA"])


def generate(n: int, m: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed contacts and activities frames with the default config's headers."""
    rng = np.random.default_rng(seed)
    emails = pd.Series(np.arange(n)).map("contact{}@example.com".format)
    start = np.datetime64(AS_OF) - np.timedelta64(182, "D")
    contacts = pd.DataFrame(
        {
            "Email": emails,
            "Name": "Person " + pd.Series(np.arange(n)).astype(str),
            "Company": "Company " + pd.Series(rng.integers(0, n // 4, n)).astype(str),
            "Job title": TITLES[rng.integers(0, len(TITLES), n)],
            "Company size": rng.integers(1, 5000, n),
            "Sector": SECTORS[rng.integers(0, len(SECTORS), n)],
            "Country": COUNTRIES[rng.integers(0, len(COUNTRIES), n)],
            "Source": rng.choice(["Web", "Ads", "Referral", "Event"], n),
            "Owner": rng.choice(["Ann", "Bob", "Cid", "Dee"], n),
            "Created": start + rng.integers(0, 150, n).astype("timedelta64[D]"),
            "Stage override": np.where(rng.random(n) < 0.01, "Lost", None),
        }
    )
    seconds = rng.integers(0, 182 * 86400, m).astype("timedelta64[s]")
    activities = pd.DataFrame(
        {
            "Email": emails.to_numpy()[rng.integers(0, n, m)],
            "Activity": LABELS[rng.choice(len(LABELS), m, p=WEIGHTS / WEIGHTS.sum())],
            "Date": (start.astype("datetime64[s]") + seconds).astype("datetime64[ns]"),
        }
    )
    return contacts, activities


def as_raw_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns of Python values, the way a spreadsheet backend hands them over."""
    out = {}
    for col in frame.columns:
        values = frame[col]
        if pd.api.types.is_datetime64_any_dtype(values):
            out[col] = pd.Series(values.dt.to_pydatetime(), dtype=object)
        else:
            out[col] = values.astype(object)
    return pd.DataFrame(out)


def timed(config: Config, contacts: pd.DataFrame, activities: pd.DataFrame, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        engine.score(config, contacts, activities, as_of=AS_OF)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    contacts, activities = generate(args.contacts, args.activities)
    config = Config()
    size = (
        contacts.memory_usage(deep=True).sum() + activities.memory_usage(deep=True).sum()
    ) / 2**20
    print(f"{args.contacts:,} contacts, {args.activities:,} activities ({size:,.0f} MiB of input)")
    typed = timed(config, contacts, activities, args.repeat)
    print(f"typed frames (datetime64 dates):   {typed:6.2f} s")
    raw_c, raw_a = as_raw_cells(contacts), as_raw_cells(activities)
    raw = timed(config, raw_c, raw_a, args.repeat)
    print(f"raw cells (objects, as read):      {raw:6.2f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process:          {peak:6.0f} MiB (inputs in both shapes included)")


if __name__ == "__main__":
    main()
