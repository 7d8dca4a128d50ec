"""The benchmark's `sync_once` (the real sync) works on a small generated workbook."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import openpyxl

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_excel.py"


def test_sync_once_on_a_small_generated_workbook(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_excel", SCRIPT)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    path = tmp_path / "small.xlsx"
    bench.generate(path, 300, 1_000)
    first = bench.sync_once(path)
    assert first["changed"] and first["cells"] == 7 * 300 + 7
    second = bench.sync_once(path)
    assert not second["changed"] and second["cells"] == 0
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == [
        "Contacts", "Activities", "Summary", "Companies", "History", "Funnel by day", "sheetfunnel",
    ]  # fmt: skip
    header = next(wb["Contacts"].iter_rows(max_row=1, values_only=True))
    assert header[-7:] == (
        "Score", "Fit", "Engagement", "Stage", "Stage since", "Next action", "Why",
    )  # fmt: skip
