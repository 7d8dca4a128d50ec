"""`sheetfunnel watch`: run a sync on a schedule (every N minutes, or a cron expression) until
told to stop. The clock and the stop event are parameters, so tests drive the loop with a
fake clock instead of sleeping; a stop (Ctrl-C, SIGTERM) lets the current run finish first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$", re.IGNORECASE)
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> dt.timedelta:
    """'30s', '15m', '1h', '1d' (a number and one unit) as a duration of at least 1 second.

    Raises ValueError with a message fit for the user.
    """
    match = _DURATION.match(text)
    if not match:
        raise ValueError(
            f"{text!r} is not a duration; write a number and a unit: 30s, 15m, 1h or 1d"
        )
    seconds = float(match.group(1)) * _UNIT[match.group(2).lower()]
    if seconds < 1:
        raise ValueError(f"{text!r} is too short; the shortest interval is 1s")
    return dt.timedelta(seconds=seconds)


class Schedule(Protocol):
    """When runs happen."""

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The first run time strictly after `moment` (aware datetimes)."""
        ...

    @property
    def runs_at_start(self) -> bool:
        """Whether the first run happens at once rather than at the first scheduled time."""
        ...


@dataclass(frozen=True)
class Every:
    """A run every `interval`, on a fixed grid from `anchor` (a run that overruns skips the
    ticks it missed instead of queueing them). Runs at once when started."""

    interval: dt.timedelta
    anchor: dt.datetime

    runs_at_start = True

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The next grid point after `moment`."""
        ticks = (moment - self.anchor) // self.interval + 1
        return self.anchor + max(ticks, 1) * self.interval


@dataclass(frozen=True)
class Cron:
    """Runs at the times a 5-field cron expression matches, in a time zone (cronsim does the
    matching, DST gaps and repeats included). The first run waits for the first match."""

    expression: str
    timezone: str = "UTC"

    runs_at_start = False

    def __post_init__(self) -> None:
        try:
            CronSim(self.expression, dt.datetime(2000, 1, 1, tzinfo=ZoneInfo(self.timezone)))
        except CronSimError as ex:
            raise ValueError(
                f"{self.expression!r} is not a cron expression ({ex}); write 5 fields: "
                'minute hour day-of-month month day-of-week, e.g. "*/15 8-19 * * 1-5"'
            ) from ex

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The first matching minute after `moment`."""
        local = moment.astimezone(ZoneInfo(self.timezone))
        return next(CronSim(self.expression, local))


class Clock(Protocol):
    """Time as the loop sees it."""

    def now(self) -> dt.datetime:
        """The current time, aware."""
        ...

    def sleep_until(self, moment: dt.datetime, stop: threading.Event) -> None:
        """Return at `moment`, or earlier once `stop` is set."""
        ...


class SystemClock:
    """The real clock. Sleeps in short steps and re-reads the time at each, so that a stop is
    seen within `step` seconds and a suspended laptop or a clock change does not skew runs.
    It polls `stop.is_set()` instead of `stop.wait()`: a signal handler may set the event
    while this thread would otherwise hold the event's lock."""

    def __init__(self, step: float = 0.25):
        self.step = step

    def now(self) -> dt.datetime:
        """The current time in UTC."""
        return dt.datetime.now(dt.UTC)

    def sleep_until(self, moment: dt.datetime, stop: threading.Event) -> None:
        """Sleep until `moment` or a stop."""
        while not stop.is_set():
            left = (moment - self.now()).total_seconds()
            if left <= 0:
                return
            time.sleep(min(left, self.step))


def watch(
    run: Callable[[dt.datetime], Any],
    schedule: Schedule,
    *,
    clock: Clock,
    stop: threading.Event,
    max_runs: int | None = None,
) -> int:
    """Call `run(scheduled time)` at every time of `schedule` until `stop` is set (or after
    `max_runs` runs). A run in progress is never interrupted; `run` must not raise for a
    failed sync (runner.run_once does not). Returns how many runs were made.
    """
    runs = 0
    due = clock.now() if schedule.runs_at_start else schedule.next_after(clock.now())
    while not stop.is_set() and (max_runs is None or runs < max_runs):
        clock.sleep_until(due, stop)
        if stop.is_set():
            break
        run(due)
        runs += 1
        due = schedule.next_after(max(clock.now(), due))
    return runs


#: After a second signal, how long the main thread has to stop by itself (KeyboardInterrupt)
#: before the process exits from the side thread.
SECOND_SIGNAL_GRACE = 0.5


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[threading.Event]:
    """While in the block, SIGINT (Ctrl-C) and SIGTERM set `stop` so that the current run
    finishes and the loop ends; a second signal interrupts at once (KeyboardInterrupt; the
    spreadsheet stays as it was, since a write is all-or-nothing). Main thread only.

    Two signals that arrive while the main thread is inside one C call (a calamine read, a
    hash) reach Python as one: a side thread counts them on the wakeup fd, and if the main
    thread has not stopped shortly after the second, ends the process (exit 130).
    """
    names = [signal.SIGINT, signal.SIGTERM]

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in names}
    left = threading.Event()
    counter = _SignalCounter(left, {int(s) for s in names})
    try:
        yield stop
    finally:
        left.set()
        counter.close()
        for sig, old in previous.items():
            signal.signal(sig, old)


class _SignalCounter(threading.Thread):
    """Counts SIGINT/SIGTERM deliveries through signal.set_wakeup_fd (one byte each, never
    merged) and stops the process at once on the second if the main thread cannot."""

    def __init__(self, left: threading.Event, numbers: set[int]):
        super().__init__(daemon=True, name="sheetfunnel-signals")
        self.left, self.numbers = left, numbers
        self.reader, self.writer = socket.socketpair()
        self.writer.setblocking(False)
        self.previous_fd = signal.set_wakeup_fd(self.writer.fileno(), warn_on_full_buffer=False)
        self.start()

    def run(self) -> None:
        seen = 0
        while not self.left.is_set():
            try:
                data = self.reader.recv(64)
            except OSError:
                return
            if not data:
                return
            seen += sum(1 for b in data if b in self.numbers)
            if seen >= 2:
                if self.left.wait(SECOND_SIGNAL_GRACE):
                    return
                os.write(2, b"Stopped at once (second signal); the spreadsheet is as it was.\n")
                os._exit(130)

    def close(self) -> None:
        signal.set_wakeup_fd(self.previous_fd)
        with contextlib.suppress(OSError):
            self.writer.close()
        with contextlib.suppress(OSError):
            self.reader.shutdown(socket.SHUT_RDWR)
        self.join(timeout=1)
        self.reader.close()
