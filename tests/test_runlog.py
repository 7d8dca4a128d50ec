"""Run records and input fingerprints: one exact JSON line per run, and a skip only when the
input, the as-of date and the config are all the same as at the last completed run."""

import datetime as dt
import json
import os
import subprocess
import sys
from collections import Counter

import pandas as pd
import pytest
from helpers import ROOT
from run_helpers import DAY, MORNING, config, copy_book, rows

from sheetfunnel.backends.excel import ExcelBackend
from sheetfunnel.demo import create_demo
from sheetfunnel.locking import run_lock
from sheetfunnel.runlog import (
    RunRecord,
    append_record,
    file_fingerprint,
    read_records,
    values_fingerprint,
)
from sheetfunnel.runner import RunOptions, inputs_fingerprint, run_log_path, run_once, state_dir
from sheetfunnel.sync import read_inputs

FIELDS = [
    "start",
    "duration_s",
    "command",
    "target",
    "as_of",
    "outcome",
    "contacts",
    "stages",
    "stage_changes",
    "promotions",
    "demotions",
    "cells_written",
    "history_dropped",
    "warnings",
    "error",
    "exit_code",
]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return create_demo(tmp_path_factory.mktemp("demo"), contacts=120, end=DAY).workbook


@pytest.fixture
def book(pristine, tmp_path):
    return copy_book(pristine, tmp_path)


def clock(at=MORNING):
    return lambda: at


def log_of(book):
    return list(read_records(book.parent / "sheetfunnel-runs.jsonl"))


def test_a_synced_run_writes_one_exact_record(book, tmp_path):
    result = run_once(str(book), config(tmp_path), RunOptions(command="watch"), now=clock())
    assert result.error is None
    (record,) = log_of(book)
    assert list(record) == FIELDS
    assert record["start"] == "2026-06-30T09:00:00.000+00:00"
    assert 0 < record["duration_s"] < 60
    assert record["command"] == "watch"
    assert record["target"] == str(book)
    assert record["as_of"] == "2026-06-30"
    assert record["outcome"] == "synced"
    assert record["contacts"] == 120
    assert record["stages"] == {
        "Lead": 88,
        "MQL": 7,
        "SQL": 8,
        "Prospect": 5,
        "Customer": 6,
        "Disqualified": 2,
        "Lost": 4,
    }
    assert sum(record["stages"].values()) == 120
    assert record["stage_changes"] == record["promotions"] == record["demotions"] == 0
    assert record["cells_written"] == result.report.write.cells_written > 0
    assert record["history_dropped"] == 0
    assert record["error"] is None and record["exit_code"] == 0
    # the record says what the workbook now holds
    header, *body = rows(book, "Contacts")
    email, stage = header.index("Email"), header.index("Stage")
    per_contact = {r[email].strip().lower(): r[stage] for r in body}  # one duplicate row
    assert dict(Counter(per_contact.values())) == record["stages"]


def test_unchanged_input_is_skipped_until_the_day_changes(book, tmp_path):
    cfg = config(tmp_path)
    skip = RunOptions(skip_unchanged=True)
    assert run_once(str(book), cfg, skip, now=clock()).record.outcome == "synced"
    before = (book.read_bytes(), book.stat().st_mtime_ns)
    later = clock(MORNING + dt.timedelta(hours=3))
    second = run_once(str(book), cfg, skip, now=later)
    assert second.record.outcome == "unchanged" and second.report is None
    assert second.record.contacts is None and second.record.stages is None
    assert (book.read_bytes(), book.stat().st_mtime_ns) == before
    # without --if-changed the run does the work, and finds nothing to write
    assert run_once(str(book), cfg, RunOptions(), now=later).record.outcome == "nothing-changed"
    # a new day is a new input: decay and recency depend on it
    next_day = run_once(str(book), cfg, skip, now=clock(MORNING + dt.timedelta(days=1)))
    assert next_day.record.outcome in ("synced", "nothing-changed")
    assert next_day.record.as_of == "2026-07-01" and next_day.record.contacts == 120
    assert [r["outcome"] for r in log_of(book)] == [
        "synced",
        "unchanged",
        "nothing-changed",
        next_day.record.outcome,
    ]


def test_a_changed_workbook_or_config_is_not_skipped(book, tmp_path):
    cfg = config(tmp_path)
    skip = RunOptions(skip_unchanged=True)
    run_once(str(book), cfg, skip, now=clock())
    assert run_once(str(book), cfg, skip, now=clock()).record.outcome == "unchanged"
    # same bytes, new mtime: the file may have been saved by someone: do the work
    stamp = book.stat().st_mtime_ns
    os.utime(book, ns=(stamp + 10**9, stamp + 10**9))
    assert run_once(str(book), cfg, skip, now=clock()).record.outcome == "nothing-changed"
    assert run_once(str(book), cfg, skip, now=clock()).record.outcome == "unchanged"
    # a rules change must re-score even with the same workbook and day
    stricter = cfg.model_copy(
        update={"scoring": cfg.scoring.model_copy(update={"half_life_days": 10})}
    )
    changed = run_once(str(book), stricter, skip, now=clock())
    assert changed.record.outcome == "synced" and changed.record.stage_changes > 0
    # a rebuild and a dry run never skip, and a dry run leaves the state as it was
    assert run_once(str(book), stricter, skip, now=clock()).record.outcome == "unchanged"
    dry = RunOptions(skip_unchanged=True, dry_run=True)
    assert run_once(str(book), stricter, dry, now=clock()).record.outcome == "dry-run"
    rebuild = RunOptions(skip_unchanged=True, rebuild=True)
    assert run_once(str(book), stricter, rebuild, now=clock()).record.outcome == "nothing-changed"
    assert run_once(str(book), stricter, skip, now=clock()).record.outcome == "unchanged"


def test_an_edit_right_after_the_swap_is_not_recorded_as_synced(book, tmp_path, monkeypatch):
    """The stamp is the fingerprint of the bytes written: an edit landing right after the
    swap (before the runner used to re-read the file) makes the next run sync again."""
    from sheetfunnel.backends.excel import swap

    cfg = config(tmp_path)
    skip = RunOptions(skip_unchanged=True)

    def edit_after_swap(step):
        if step == "done":
            os.utime(book, ns=(0, book.stat().st_mtime_ns + 10**9))  # the user saves again

    monkeypatch.setattr(swap, "step_hook", edit_after_swap)
    assert run_once(str(book), cfg, skip, now=clock()).record.outcome == "synced"
    monkeypatch.setattr(swap, "step_hook", None)
    assert run_once(str(book), cfg, skip, now=clock()).record.outcome == "nothing-changed"
    assert run_once(str(book), cfg, skip, now=clock()).record.outcome == "unchanged"


def test_values_fingerprint_ignores_what_the_sync_itself_writes(book, tmp_path):
    cfg = config(tmp_path)
    before = inputs_fingerprint(read_inputs(ExcelBackend(book), cfg), cfg)
    values = RunOptions(skip_unchanged=True, fingerprint="values")
    assert run_once(str(book), cfg, values, now=clock()).record.outcome == "synced"
    after = inputs_fingerprint(read_inputs(ExcelBackend(book), cfg), cfg)
    assert after == before  # managed columns and owned tabs are not input
    assert run_once(str(book), cfg, values, now=clock()).record.outcome == "unchanged"
    assert file_fingerprint(book).startswith("file:") and before.startswith("values:")


def test_busy_and_error_runs_are_logged_with_their_exit_code(book, tmp_path):
    cfg = config(tmp_path)
    with run_lock(str(book), state_dir(cfg)):
        busy = run_once(str(book), cfg, RunOptions(), now=clock())
    assert busy.record.outcome == "busy" and busy.record.exit_code == 6
    assert "another sheetfunnel run is syncing" in busy.record.error
    missing = tmp_path / "gone.xlsx"
    error = run_once(str(missing), cfg, RunOptions(), now=clock())
    assert error.record.outcome == "error" and error.record.exit_code == 4
    assert (
        error.record.error
        == f"workbook not found: {missing}; check the path given on the command line"
    )
    assert [r["outcome"] for r in log_of(book)] == ["busy", "error"]
    assert all(list(r) == FIELDS for r in log_of(book))
    assert not (tmp_path / ".gone.xlsx.sheetfunnel.lock").exists()  # no lock for nothing
    nowhere = tmp_path / "no" / "such" / "folder" / "book.xlsx"
    assert run_once(str(nowhere), cfg, RunOptions(), now=clock()).record.exit_code == 4
    assert not (tmp_path / "no").exists()  # neither a lock nor a log made a folder


def test_a_run_log_that_cannot_be_written_does_not_fail_the_sync(book, tmp_path):
    folder = tmp_path / "a folder"
    folder.mkdir()
    result = run_once(str(book), config(tmp_path, log=str(folder)), RunOptions(), now=clock())
    assert result.error is None and result.record.outcome == "synced"
    assert result.log_problem.startswith(f"cannot append to the run log {folder}: ")


def test_a_full_state_folder_after_the_write_is_a_warning_not_a_failure(book, tmp_path):
    """The workbook is the job: once it is written, a run log on a full disk (/dev/full
    answers every write with ENOSPC) and a state folder that cannot be written are
    warnings; the run says synced, exit 0, and the next run does the work again."""
    cfg = config(tmp_path, log="/dev/full")
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "runs").write_text("in the way")  # no folder can be made here
    before = book.read_bytes()
    result = run_once(str(book), cfg, RunOptions(skip_unchanged=True), now=clock())
    assert result.error is None
    assert (result.record.outcome, result.record.exit_code) == ("synced", 0)
    assert book.read_bytes() != before
    assert result.log_problem == (
        f"synced, but the run state could not be saved in {tmp_path / 'state'}: File exists; "
        "the next run will not skip and saves it again; "
        "cannot append to the run log /dev/full: No space left on device"
    )
    (tmp_path / "state" / "runs").unlink()
    again = run_once(str(book), cfg, RunOptions(skip_unchanged=True), now=clock())
    assert again.record.outcome == "nothing-changed" and again.log_problem.startswith("cannot")
    skip = run_once(str(book), cfg, RunOptions(skip_unchanged=True), now=clock())
    assert skip.record.outcome == "unchanged"


def test_a_torn_last_line_is_repaired_by_the_next_append(tmp_path):
    log = tmp_path / "runs.jsonl"
    record = RunRecord("2026-06-30T09:00:00.000+00:00", 1.0, "sync", "x", "2026-06-30", "synced")
    log.write_bytes(record.to_json().encode()[:40])  # a disk that filled up mid-line
    append_record(log, record)
    assert list(read_records(log)) == [json.loads(record.to_json())]


def test_run_log_path_is_configurable_and_can_be_off(book, tmp_path):
    elsewhere = tmp_path / "logs" / "runs.jsonl"
    cfg = config(tmp_path, log=str(elsewhere))
    assert run_log_path(str(book), cfg) == elsewhere
    run_once(str(book), cfg, RunOptions(), now=clock())
    assert [r["outcome"] for r in read_records(elsewhere)] == ["synced"]
    assert run_log_path(str(book), config(tmp_path, log="")) is None
    relative = config(tmp_path, log="runs/here.jsonl")
    assert run_log_path(str(book), relative) == book.parent / "runs" / "here.jsonl"
    sheet = "https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789/edit"
    assert run_log_path(sheet, relative) == tmp_path / "state" / "runs" / "here.jsonl"


def test_log_rotates_and_skips_a_torn_line(tmp_path):
    log = tmp_path / "runs.jsonl"
    record = RunRecord("2026-06-30T09:00:00+00:00", 0.1, "watch", "x.xlsx", "2026-06-30", "busy")
    for _ in range(3):
        append_record(log, record, max_bytes=0)
    with log.open("a") as fh:
        fh.write('{"start": "torn')
    assert len(list(read_records(log))) == 3
    size = log.stat().st_size
    append_record(log, record, max_bytes=size)
    assert log.with_name("runs.jsonl.1").stat().st_size == size
    assert [json.loads(x)["outcome"] for x in log.read_text().splitlines()] == ["busy"]


MIXED = """
import datetime as dt, pandas as pd
from sheetfunnel.runlog import values_fingerprint
cells = {
    "a": ["x", None, 3.0, dt.date(2024, 1, 2), True],
    "b": [dt.datetime(2024, 1, 1, 5), 1, 2, "y", None],
}
print(values_fingerprint({"t": pd.DataFrame(cells, dtype=object), "u": None}))
"""


def test_values_fingerprint_is_the_same_in_every_process_and_sees_one_cell(tmp_path):
    prints = {
        subprocess.run(
            [sys.executable, "-c", MIXED],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(prints) == 1 and prints.pop().startswith("values:")
    frame = pd.DataFrame({"a": ["x", "y", None], "b": [1.0, 2.0, 3.0]}, dtype=object)
    before = values_fingerprint({"t": frame})
    edited = frame.copy()
    edited.iat[1, 1] = 2.5
    assert values_fingerprint({"t": edited}) != before
    moved = frame.copy()
    moved.index = moved.index + 1  # the same cells on other rows
    assert values_fingerprint({"t": moved}) != before
    assert values_fingerprint({"t": frame.copy()}) == before


def test_a_run_whose_log_mostly_matched_no_type_logs_exit_8_and_the_warnings(book, tmp_path):
    import openpyxl

    wb = openpyxl.load_workbook(book)
    log = wb["Activities"]
    kind = next(c.column for c in log[1] if c.value == "Activity")
    for row in range(2, log.max_row + 1):
        log.cell(row, kind, "visite salon")
    wb.save(book)
    result = run_once(str(book), config(tmp_path), RunOptions(), now=clock())
    assert result.record.outcome == "synced" and result.record.exit_code == 8
    assert any("a name that matches no activity type" in w for w in result.record.warnings)


def test_a_stage_typed_over_ours_is_a_logged_warning(book, tmp_path):
    import openpyxl

    cfg = config(tmp_path)
    run_once(str(book), cfg, RunOptions(), now=clock())
    wb = openpyxl.load_workbook(book)
    sheet = wb["Contacts"]
    stage = next(c.column for c in sheet[1] if c.value == "Stage")
    sheet.cell(2, stage, "Customer" if sheet.cell(2, stage).value != "Customer" else "Lead")
    wb.save(book)
    skip = RunOptions(skip_unchanged=True, fingerprint="values")
    result = run_once(str(book), cfg, skip, now=clock())
    assert result.record.outcome == "synced"
    assert [w for w in result.record.warnings if "typed into sheetfunnel's 'Stage'" in w]


def test_the_cli_says_synced_and_warns_when_the_state_cannot_be_saved(book, tmp_path):
    from click.testing import CliRunner

    from sheetfunnel.cli import cli

    state = tmp_path / "state"
    state.mkdir()
    (state / "runs").write_text("in the way")
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[watch]\nlog = "/dev/full"\nstate_dir = "{state}"\n')
    args = ["sync", str(book), "--config", str(cfg), "--as-of", str(DAY), "--no-backup"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert (
        f"Warning: synced, but the run state could not be saved in {state}: File exists; the "
        "next run will not skip and saves it again; cannot append to the run log /dev/full: "
        "No space left on device"
    ) in " ".join(result.output.split())
    assert f"Synced {book}" in result.output
