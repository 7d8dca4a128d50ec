"""Runs never overlap: a second sync of the same target, in another process, refuses with a
clear busy message (exit 6) or waits for the lock, and the workbook is never half-written."""

import subprocess

import pytest
from helpers import ROOT
from run_helpers import DAY, cli_command, cli_env, copy_book, table

from sheetfunnel.demo import create_demo
from sheetfunnel.errors import BusyError
from sheetfunnel.locking import lock_path, run_lock, target_id
from sheetfunnel.runlog import read_records

SHEET = "https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789/edit#gid=0"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return create_demo(tmp_path_factory.mktemp("demo"), contacts=120, end=DAY).workbook


@pytest.fixture
def book(pristine, tmp_path):
    return copy_book(pristine, tmp_path)


def test_lock_files_sit_beside_the_workbook_or_in_the_state_folder(tmp_path):
    book = tmp_path / "Q3 pipeline.xlsx"
    assert lock_path(book, tmp_path / "s") == tmp_path / ".Q3 pipeline.xlsx.sheetfunnel.lock"
    key = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    assert lock_path(SHEET, tmp_path / "s") == tmp_path / "s" / "locks" / f"{key}.lock"
    assert lock_path(key, tmp_path / "s") == lock_path(SHEET, tmp_path / "s")
    assert target_id(SHEET) == target_id(key) == f"gsheet:{key}"


def test_a_held_lock_refuses_a_second_holder_until_released(tmp_path):
    book = tmp_path / "a.xlsx"
    with run_lock(book, tmp_path):
        second = run_lock(book, tmp_path)
        with pytest.raises(BusyError, match="another sheetfunnel run is syncing") as caught:
            second.__enter__()
        assert caught.value.exit_code == 6
    with run_lock(book, tmp_path):  # released: free again
        pass


def test_a_second_process_refuses_while_a_run_holds_the_workbook(book, tmp_path):
    before = book.read_bytes()
    with run_lock(book, tmp_path / "state"):
        done = subprocess.run(
            [*cli_command("sync", book, "--as-of", DAY, "--no-backup")],
            cwd=ROOT,
            env=cli_env(tmp_path / "state"),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 6, done.stderr
    lock = book.parent / ".pipeline.xlsx.sheetfunnel.lock"
    assert f"Error: another sheetfunnel run is syncing {book} (lock file {lock})" in " ".join(
        done.stderr.split()
    )
    assert book.read_bytes() == before
    (record,) = read_records(book.parent / "sheetfunnel-runs.jsonl")
    assert record["outcome"] == "busy" and record["exit_code"] == 6


def test_a_second_process_with_wait_runs_once_the_first_is_done(book, tmp_path):
    before = book.read_bytes()
    lock = run_lock(book, tmp_path / "state")
    lock.__enter__()
    try:
        proc = subprocess.Popen(
            [*cli_command("sync", book, "--as-of", DAY, "--no-backup", "--wait", 60)],
            cwd=ROOT,
            env=cli_env(tmp_path / "state"),
            stderr=subprocess.PIPE,
            text=True,
        )
        first = proc.stderr.readline()  # printed once it found the lock taken
        assert "Another sheetfunnel run holds" in first and "waiting up to 60 s" in first
        assert book.read_bytes() == before  # still waiting: nothing written
    finally:
        lock.__exit__(None, None, None)
    rest = proc.communicate(timeout=60)[1]
    assert proc.returncode == 0, rest
    assert f"Synced {book}: 120 contacts" in rest
    assert {r["Stage"] for r in table(book, "Contacts")} >= {"Lead", "Prospect"}


def test_two_simultaneous_syncs_take_turns(book, tmp_path):
    procs = [
        subprocess.Popen(
            [*cli_command("sync", book, "--as-of", DAY, "--no-backup", "--wait", 60, "-q")],
            cwd=ROOT,
            env=cli_env(tmp_path / "state"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=90) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert outputs == [("", ""), ("", "")]  # -q: nothing to say when all went well
    records = list(read_records(book.parent / "sheetfunnel-runs.jsonl"))
    # the second one read the workbook the first one wrote: nothing left to change
    assert sorted(r["outcome"] for r in records) == ["nothing-changed", "synced"]
    assert len(table(book, "Contacts")) == 121 and table(book, "History") == []
