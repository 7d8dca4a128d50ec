"""The schedule loop on a fake clock: when runs fire (interval and cron), unchanged input
skipped, a busy workbook retried at the next tick, failures logged while the watch goes on,
and a stop (SIGTERM, Ctrl-C) that lets the current sync finish."""

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from helpers import ROOT
from run_helpers import DAY, MORNING, FakeClock, cli_command, cli_env, config, copy_book, table

from sheetfunnel.backends.excel import ExcelBackend
from sheetfunnel.cli import cli
from sheetfunnel.demo import create_demo
from sheetfunnel.runlog import read_records
from sheetfunnel.runner import RunOptions, run_once
from sheetfunnel.watch import Cron, Every, SystemClock, parse_duration, stop_on_signals, watch

PARIS = ZoneInfo("Europe/Paris")
HOUR = dt.timedelta(hours=1)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return create_demo(tmp_path_factory.mktemp("demo"), contacts=120, end=DAY).workbook


@pytest.fixture
def book(pristine, tmp_path):
    return copy_book(pristine, tmp_path)


def outcomes(book):
    return [r["outcome"] for r in read_records(book.parent / "sheetfunnel-runs.jsonl")]


# --------------------------------------------------------------------------- schedules


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("15m", 900), ("1h", 3600), ("1d", 86400), ("1.5h", 5400), (" 2M ", 120)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["15", "15x", "m", "1h30m", "-5m", "", "0.5s"])
def test_bad_durations_say_how_to_write_one(text):
    with pytest.raises(ValueError, match=r"not a duration; write a number and a unit|too short"):
        parse_duration(text)


def test_every_fires_at_once_then_on_a_fixed_grid_skipping_missed_ticks():
    clock = FakeClock(MORNING)
    fired = []

    def run(due):
        fired.append(due)
        if len(fired) == 2:
            clock.advance(minutes=40)  # this run overran two 15-minute ticks

    watch(
        run,
        Every(dt.timedelta(minutes=15), MORNING),
        clock=clock,
        stop=threading.Event(),
        max_runs=4,
    )
    assert [t.strftime("%H:%M") for t in fired] == ["09:00", "09:15", "10:00", "10:15"]
    assert clock.sleeps == fired  # the loop slept until each run time, never in between


def test_cron_next_fire_times_in_the_config_time_zone():
    friday_evening = dt.datetime(2026, 11, 27, 19, 40, tzinfo=PARIS)
    clock = FakeClock(friday_evening)
    fired = []
    watch(
        fired.append,
        Cron("*/15 8-19 * * 1-5", "Europe/Paris"),
        clock=clock,
        stop=threading.Event(),
        max_runs=4,
    )
    assert [t.astimezone(PARIS).strftime("%a %H:%M") for t in fired] == [
        "Fri 19:45",
        "Mon 08:00",
        "Mon 08:15",
        "Mon 08:30",
    ]
    # across the spring DST change (02:00 -> 03:00 local) a 02:30 job runs at most once a day
    clock = FakeClock(dt.datetime(2026, 3, 28, 12, 0, tzinfo=PARIS))
    fired = []
    watch(
        fired.append,
        Cron("30 2 * * *", "Europe/Paris"),
        clock=clock,
        stop=threading.Event(),
        max_runs=2,
    )
    days = [t.astimezone(PARIS).date() for t in fired]
    assert days[0] < days[1] and len(set(days)) == 2


@pytest.mark.parametrize("expr", ["*/15 8-19 * *", "61 * * * *", "every monday", ""])
def test_bad_cron_expressions_are_refused(expr):
    with pytest.raises(ValueError, match="is not a cron expression"):
        Cron(expr)


def test_a_stop_while_waiting_ends_the_loop_without_another_run():
    stop = threading.Event()
    clock = FakeClock(MORNING)
    fired = []

    def run(due):
        fired.append(due)
        stop.set()

    assert watch(run, Every(HOUR, MORNING), clock=clock, stop=stop) == 1
    assert fired == [MORNING]


def test_system_clock_sleeps_until_the_time_or_a_stop():
    clock, stop = SystemClock(step=0.01), threading.Event()
    start = clock.now()
    clock.sleep_until(start - HOUR, stop)  # the past: no wait
    stop.set()
    clock.sleep_until(start + HOUR, stop)  # stopped: returns at once
    assert clock.now() - start < dt.timedelta(seconds=5)


# --------------------------------------------------------------------------- runs on a schedule


def scheduled(book, cfg, clock, **kw):
    options = RunOptions(command="watch", skip_unchanged=True, **kw)
    return lambda due: run_once(str(book), cfg, options, now=clock.now)


def test_unchanged_input_is_skipped_and_a_new_day_runs_again(book, tmp_path):
    clock = FakeClock(MORNING)
    cfg = config(tmp_path)
    watch(
        scheduled(book, cfg, clock),
        Every(dt.timedelta(hours=6), MORNING),
        clock=clock,
        stop=threading.Event(),
        max_runs=4,
    )
    records = list(read_records(book.parent / "sheetfunnel-runs.jsonl"))
    assert [(r["start"][:16], r["as_of"], r["outcome"]) for r in records] == [
        ("2026-06-30T09:00", "2026-06-30", "synced"),
        ("2026-06-30T15:00", "2026-06-30", "unchanged"),
        ("2026-06-30T21:00", "2026-06-30", "unchanged"),
        ("2026-07-01T03:00", "2026-07-01", records[3]["outcome"]),  # a new as-of date
    ]
    assert records[3]["outcome"] in ("synced", "nothing-changed")
    assert records[3]["contacts"] == 120


def owner_file(book):
    """Excel's owner file while `book` is open: a length byte, the user name, padding."""
    path = book.parent / ("~$" + book.name)
    name = b"Marie Curie"
    path.write_bytes(bytes([len(name)]) + name + b"\x00" * (54 - len(name) - 1) + b"\x00\x00")
    return path


def test_a_workbook_open_in_excel_is_logged_busy_and_retried_at_the_next_tick(book, tmp_path):
    clock = FakeClock(MORNING)
    cfg = config(tmp_path)
    lock = owner_file(book)
    before = book.read_bytes()
    sync_once = scheduled(book, cfg, clock)
    results = []

    def run(due):
        results.append(sync_once(due))
        if len(results) == 1:
            assert book.read_bytes() == before  # refused: untouched
            lock.unlink()  # Marie closes the workbook

    watch(
        run,
        Every(dt.timedelta(minutes=15), MORNING),
        clock=clock,
        stop=threading.Event(),
        max_runs=3,
    )
    busy = results[0].record
    assert busy.outcome == "busy" and busy.exit_code == 6
    assert busy.error.startswith(
        "pipeline.xlsx is open in Excel by Marie Curie (lock file ~$pipeline.xlsx)"
    )
    assert [r.record.outcome for r in results] == ["busy", "synced", "unchanged"]
    assert [r.record.start[11:16] for r in results] == ["09:00", "09:15", "09:30"]
    assert outcomes(book) == ["busy", "synced", "unchanged"]
    assert table(book, "Summary")


def test_other_failures_are_logged_and_the_watch_goes_on(book, tmp_path):
    clock = FakeClock(MORNING)
    cfg = config(tmp_path)
    good = book.read_bytes()
    book.write_bytes(b"this is not a workbook")
    sync_once = scheduled(book, cfg, clock)
    results = []

    def run(due):
        results.append(sync_once(due))
        book.write_bytes(good)  # fixed by the next tick

    watch(run, Every(HOUR, MORNING), clock=clock, stop=threading.Event(), max_runs=2)
    failed = results[0].record
    assert (failed.outcome, failed.exit_code) == ("error", 5)
    assert "pipeline.xlsx is not an Excel workbook" in failed.error
    assert results[1].record.outcome == "synced"


class SignalingBackend(ExcelBackend):
    """A real Excel backend that gets signals in the middle of a sync, like a user would."""

    signals = 1

    def read(self, *args, **kwargs):
        for _ in range(self.signals):
            os.kill(os.getpid(), signal.SIGTERM)
        return super().read(*args, **kwargs)


def test_sigterm_during_a_sync_lets_it_finish_then_stops(book, tmp_path):
    clock = FakeClock(MORNING)
    cfg = config(tmp_path)
    before = signal.getsignal(signal.SIGTERM)
    results = []

    def run(due):
        results.append(
            run_once(
                str(book),
                cfg,
                RunOptions(command="watch"),
                now=clock.now,
                opener=lambda t, c, **kw: SignalingBackend(t, backup=False),
            )
        )

    with stop_on_signals(threading.Event()) as stop:
        runs = watch(run, Every(HOUR, MORNING), clock=clock, stop=stop)
    assert runs == 1 and stop.is_set()
    assert results[0].record.outcome == "synced"  # the sync in progress went to its end
    assert table(book, "Summary") and outcomes(book) == ["synced"]
    assert signal.getsignal(signal.SIGTERM) is before  # handlers restored


def test_a_second_signal_interrupts_at_once_and_the_workbook_stays_whole(book, tmp_path):
    clock = FakeClock(MORNING)
    cfg = config(tmp_path)
    pristine_bytes = book.read_bytes()

    class Twice(SignalingBackend):
        signals = 2

    def run(due):
        run_once(
            str(book),
            cfg,
            RunOptions(command="watch"),
            now=clock.now,
            opener=lambda t, c, **kw: Twice(t, backup=False),
        )

    with pytest.raises(KeyboardInterrupt), stop_on_signals(threading.Event()) as stop:
        watch(run, Every(HOUR, MORNING), clock=clock, stop=stop)
    assert book.read_bytes() == pristine_bytes
    (record,) = read_records(book.parent / "sheetfunnel-runs.jsonl")
    assert (record["outcome"], record["exit_code"]) == ("error", 130)
    assert record["error"] == "interrupted (KeyboardInterrupt)"


def test_sigterm_stops_a_real_watch_process_cleanly(book, tmp_path):
    log = book.parent / "sheetfunnel-runs.jsonl"
    proc = subprocess.Popen(
        cli_command("watch", book, "--every", "1s", "--no-backup"),
        cwd=ROOT,
        env=cli_env(tmp_path / "state"),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(list(read_records(log))) < 2 and proc.poll() is None:
            assert time.monotonic() < deadline, "the watch never ran twice"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        err = proc.communicate(timeout=60)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    lines = err.strip().splitlines()
    assert lines[0].startswith(f"Watching {book} every 1s; Ctrl-C or SIGTERM stops")
    assert lines[-1].startswith("Stopped after ")
    runs = int(lines[-1].split()[2])
    records = list(read_records(log))
    assert len(records) == runs >= 2
    assert records[0]["outcome"] == "synced"
    assert {r["outcome"] for r in records[1:]} == {"unchanged"}
    assert len(table(book, "Contacts")) == 121  # whole and readable


# --------------------------------------------------------------------------- the command


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_watch_needs_exactly_one_schedule(book):
    for args in ([], ["--every", "1h", "--cron", "* * * * *"]):
        result = invoke("watch", book, *args)
        assert result.exit_code == 2
        assert "give either --every (e.g. --every 15m) or --cron EXPR" in result.output


def test_watch_refuses_bad_schedules_and_bad_config_at_start(book, tmp_path):
    result = invoke("watch", book, "--every", "15x")
    assert result.exit_code == 2
    assert "'15x' is not a duration; write a number and a unit: 30s, 15m, 1h or 1d" in (
        result.output
    )
    result = invoke("watch", book, "--cron", "*/15 8-19 * *")
    assert result.exit_code == 2 and "is not a cron expression" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text("[watch]\nlog_max_bytes = -1\n")
    result = invoke("watch", book, "--every", "1h", "--config", bad)
    assert result.exit_code == 3
    assert "watch.log_max_bytes" in result.output
    assert not (book.parent / "sheetfunnel-runs.jsonl").exists()


def test_watch_prints_a_line_per_run_and_quiet_prints_only_errors(book, tmp_path):
    result = invoke("watch", book, "--every", "1h", "--max-runs", "1", "--no-backup")
    assert result.exit_code == 0, result.output
    assert "synced: " in result.output and "120 contacts, 0 stage changes" in result.output
    assert result.output.strip().endswith("Stopped after 1 run.")
    quiet = invoke("watch", book, "--every", "1h", "--max-runs", "1", "-q")
    assert (quiet.exit_code, quiet.output) == (0, "")
    assert outcomes(book) == ["synced", "unchanged"]
    gone = tmp_path / "gone.xlsx"
    failed = invoke("watch", gone, "--every", "1h", "--max-runs", "1", "-q")
    assert failed.exit_code == 0  # a failed run does not end the schedule
    assert f"error: {gone}: workbook not found: {gone}" in " ".join(failed.output.split())


SECOND_SIGNAL_CHILD = """
import hashlib, sys, threading
sys.path.insert(0, {root!r})
from sheetfunnel.watch import stop_on_signals
with stop_on_signals(threading.Event()):
    print("READY", flush=True)
    hashlib.pbkdf2_hmac("sha256", b"x", b"salt", 8_000_000)  # ~10 s in one C call, like a read
    print("FINISHED", flush=True)
"""


def test_two_signals_during_one_long_c_call_still_stop_at_once(tmp_path):
    """Two SIGTERMs 50 ms apart while the main thread is inside one C call merge into one
    Python handler call; the second must still stop the process at once (issue 11, item 10)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", SECOND_SIGNAL_CHILD.format(root=str(ROOT))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "READY"
        time.sleep(0.2)  # inside the C call by now
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.05)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130 and "FINISHED" not in out
    assert err == "Stopped at once (second signal); the spreadsheet is as it was.\n"
    assert took < 2.0, f"the second signal took {took:.1f} s to stop the process"
