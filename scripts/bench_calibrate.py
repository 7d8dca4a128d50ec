"""Benchmark: `sheetfunnel calibrate` on the 41,188 rows of the UCI bank campaign.

Times `calibrate_source` end to end (reading the CSV, 5-fold stratified cross-validation with
the gradient-boosting ceiling, the final scorecard, the stage thresholds, the funnel before and
after, the snippet) with config/examples/bank_calibrate.toml, and reports the cross-validated
AUC of the integer scorecard, of its unrounded model, of the hand-set config and of the
HistGradientBoosting ceiling, the funnel, plus the process's peak RSS.

    python scripts/bench_calibrate.py [--repeat 3]

Target on a 2-core machine: under 30 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sheetfunnel.calibrate import calibrate_source  # noqa: E402
from sheetfunnel.config import load_config  # noqa: E402

BANK = ROOT.parent / "shared" / "datasets" / "uci_bank_marketing" / "bank-additional-full.csv"
CONFIG = ROOT / "config" / "examples" / "bank_calibrate.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best time is kept")
    args = parser.parse_args()
    config = load_config(CONFIG)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        cal = calibrate_source(BANK, config, outcome="y", positive=["yes"], as_of="2010-11-30")
        times.append(time.perf_counter() - start)
    auc, spread = cal.evaluation.auc, cal.evaluation.spread
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"cpus: {os.cpu_count()}; contacts: {cal.contacts:,} ({cal.positives:,} positive)")
    print(
        f"calibrate: best {min(times):.1f} s of {args.repeat} (all: "
        + ", ".join(f"{t:.1f}" for t in times)
        + ")"
    )
    print(
        f"5-fold AUC: scorecard {auc['scorecard']:.4f} (sd {spread['scorecard']:.4f}), "
        f"unrounded model {auc['model']:.4f}, hand-set config {auc['current']:.4f}, "
        f"HistGradientBoosting ceiling {auc['ceiling']:.4f}"
    )
    marks = ", ".join(
        f"{r.stage} {r.min_score:g} ({r.status})" for r in cal.thresholds.itertuples()
    )
    print(f"learned min_score: {marks}")
    print("funnel (contacts, share, conversion): hand-set -> learned, out of fold")
    for r in cal.funnel.itertuples():
        before = "-" if r.before_rate != r.before_rate else f"{r.before_rate:.1%}"
        after = "-" if r.after_rate != r.after_rate else f"{r.after_rate:.1%}"
        print(
            f"  {r.stage:<10} {r.before_contacts:>6,} {r.before_share:6.1%} {before:>6}"
            f" -> {r.after_contacts:>6,} {r.after_share:6.1%} {after:>6}"
        )
    print(f"scorecard lines: {len(cal.scorecard.lines)}; peak RSS {rss:,.0f} MB")


if __name__ == "__main__":
    main()
