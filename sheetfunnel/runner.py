"""One run, as `sheetfunnel sync` and each tick of `sheetfunnel watch` do it: take the
target's lock, skip the work when the input is unchanged since the last run, sync, and append
one record to the run log. Errors are returned, not raised, so a schedule can carry on.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import pandas as pd

from .backends.base import Backend
from .config import Config
from .errors import MOSTLY_UNMATCHED_EXIT, BusyError, SheetfunnelError
from .locking import default_state_dir, run_lock, target_id
from .owned import stage_edits
from .progress import SILENT, Progress
from .runlog import (
    Outcome,
    RunRecord,
    Stamp,
    StateStore,
    append_record,
    config_fingerprint,
    file_fingerprint,
    values_fingerprint,
)
from .sources import EXCEL, is_google_sheet, open_backend
from .sync import Inputs, SyncReport, read_inputs, sync


@dataclass(frozen=True)
class RunOptions:
    """How to run: what `sheetfunnel sync` and `sheetfunnel watch` options ask for.

    `skip_unchanged`: do nothing when the input, the as-of date and the config are the same
    as at the last completed run. `wait`: seconds to wait for another run's lock (0: refuse at
    once). `fingerprint`: "file" hashes a workbook file (no read needed to skip), "values"
    hashes the cells read (Google Sheets, CSV); "auto" picks by target.
    """

    command: str = "sync"
    dry_run: bool = False
    rebuild: bool = False
    skip_unchanged: bool = False
    wait: float = 0
    force: bool = False
    backup: bool | None = None
    fingerprint: Literal["auto", "file", "values"] = "auto"


@dataclass(frozen=True)
class RunResult:
    """A run's record, its sync report (None when skipped or failed) and the error, if any.
    `log_problem` says why the record could not be appended to the run log, or the run
    state saved (warnings: the run itself succeeded)."""

    record: RunRecord
    report: SyncReport | None = None
    error: BaseException | None = None
    log_problem: str | None = None


def state_dir(config: Config) -> Path:
    """The folder of run state and Google Sheets locks (config watch.state_dir or default)."""
    if config.watch.state_dir:
        return Path(config.watch.state_dir).expanduser()
    return default_state_dir()


def run_log_path(target: str, config: Config) -> Path | None:
    """Where the run log of `target` goes: watch.log, relative to the workbook's folder (the
    state folder for a Google Sheet); None when the log is off."""
    if not config.watch.log:
        return None
    path = Path(config.watch.log).expanduser()
    if path.is_absolute():
        return path
    if is_google_sheet(target):
        return state_dir(config) / path
    return Path(target).expanduser().resolve().parent / path


def utc_now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def run_once(
    target: str,
    config: Config,
    options: RunOptions = RunOptions(),
    *,
    as_of: dt.date | None = None,
    now: Callable[[], dt.datetime] = utc_now,
    on_wait: Callable[[Path, float], None] | None = None,
    opener: Callable[..., Backend] = open_backend,
    progress: Progress = SILENT,
) -> RunResult:
    """Run one sync of `target` under its lock and log it; never raises a SheetfunnelError
    or another Exception (they come back in the result and the record).

    `as_of` defaults to the day of `now()` in the config's time zone. `opener` opens the
    backend (sources.open_backend; tests pass another to reach an emulator). `progress`
    hears when the long steps (read, score, write) begin.
    """
    start = now()
    clock = time.perf_counter()
    day = as_of or start.astimezone(ZoneInfo(config.source.timezone)).date()
    base = RunRecord(
        start=start.astimezone(dt.UTC).isoformat(timespec="milliseconds"),
        duration_s=0.0,
        command=options.command,
        target=str(target),
        as_of=day.isoformat(),
        outcome="error",
    )
    result: RunResult
    path = Path(target).expanduser()
    # A workbook that is not there needs no lock (and gets no lock file): the backend says
    # what is missing.
    missing = not is_google_sheet(target) and not path.exists()
    try:
        if missing:
            lock: contextlib.AbstractContextManager = contextlib.nullcontext()
        else:
            lock = run_lock(target, state_dir(config), wait=options.wait, on_wait=on_wait)
        with lock:
            result = _locked_run(target, config, options, day, base, opener, start, progress)
    except BusyError as ex:
        result = RunResult(replace(base, outcome="busy", error=str(ex), exit_code=6), error=ex)
    except SheetfunnelError as ex:
        result = RunResult(replace(base, error=str(ex), exit_code=ex.exit_code), error=ex)
    except Exception as ex:
        text = f"{type(ex).__name__}: {ex}"
        result = RunResult(replace(base, error=text, exit_code=1), error=ex)
    except BaseException as ex:  # Ctrl-C or exit mid-run: say so in the log, then go on out
        record = replace(base, error=f"interrupted ({type(ex).__name__})", exit_code=130)
        _log(target, config, replace(record, duration_s=_since(clock)))
        raise
    record = replace(result.record, duration_s=_since(clock))
    problems = [result.log_problem, _log(target, config, record)]
    return replace(result, record=record, log_problem="; ".join(filter(None, problems)) or None)


def _since(clock: float) -> float:
    return round(time.perf_counter() - clock, 3)


def _log(target: str, config: Config, record: RunRecord) -> str | None:
    """Append to the run log; a problem is returned (a failed log must not fail the sync)."""
    path = run_log_path(target, config)
    if path is None:
        return None
    beside = not Path(config.watch.log).expanduser().is_absolute() and not is_google_sheet(target)
    if beside and not Path(target).expanduser().resolve().parent.is_dir():
        return None  # no folder to log beside: the run's error says the workbook is missing
    try:
        like = Path(target).expanduser().resolve() if beside else None
        append_record(path, record, max_bytes=config.watch.log_max_bytes, like=like)
    except OSError as ex:
        return f"cannot append to the run log {path}: {ex.strerror or ex}"
    return None


def _locked_run(
    target: str,
    config: Config,
    options: RunOptions,
    day: dt.date,
    base: RunRecord,
    opener: Callable[..., Backend],
    start: dt.datetime,
    progress: Progress = SILENT,
) -> RunResult:
    store = StateStore(state_dir(config))
    who = target_id(target)
    mode = options.fingerprint
    path = Path(target).expanduser()
    if mode == "auto":
        workbook = not is_google_sheet(target) and path.suffix.lower() in EXCEL
        mode = "file" if workbook and path.is_file() else "values"
    backend = opener(target, config, backup=options.backup, force=options.force)
    may_skip = options.skip_unchanged and not options.dry_run and not options.rebuild
    revision = _revision(backend, config) if may_skip and mode == "values" else None
    if revision and _same_revision(store, who, revision, day, config):
        return RunResult(replace(base, outcome="unchanged"))  # not a cell read
    read: list[Inputs] = []  # handed over by pop(): sync holds the only reference
    if mode == "file":
        seen = file_fingerprint(path)
    else:
        progress.step(f"Reading {target}")
        read.append(read_inputs(backend, config))
        seen = inputs_fingerprint(read[0], config)
    stamp = Stamp(input=seen, as_of=day.isoformat(), config=config_fingerprint(config))
    if may_skip and store.get(who) == stamp:
        if revision:  # taken before the cells were read: any later edit changes it
            _save_stamp(store, who, stamp, start, revision=revision)
        return RunResult(replace(base, outcome="unchanged"))
    report = sync(
        backend,
        config,
        as_of=day,
        dry_run=options.dry_run,
        rebuild=options.rebuild,
        target=str(target),
        inputs=read.pop() if read else None,
        progress=progress,
    )
    outcome: Outcome
    if report.dry_run:
        outcome = "dry-run"
    elif report.changed:
        outcome = "synced"
        if mode == "file":  # the input is now the bytes this run wrote, not whatever the file
            # holds a moment later (an edit in that gap must not be recorded as synced)
            stamp = replace(stamp, input=report.write.written or "")
    else:
        outcome = "nothing-changed"
    # after a write the revision is ours, not one the cells were read at: none is kept
    kept = revision if revision and not report.changed else ""
    problem = None if report.dry_run else _save_stamp(store, who, stamp, start, revision=kept)
    stages = report.results.summary.stages
    record = replace(
        base,
        outcome=outcome,
        contacts=len(report.results.contacts),
        stages={str(s): int(n) for s, n in zip(stages["stage"], stages["contacts"], strict=True)},
        stage_changes=len(report.changes),
        promotions=report.promotions,
        demotions=report.demotions,
        cells_written=report.write.cells_written,
        history_dropped=report.history_dropped,
        warnings=tuple(n.message for n in report.notices if n.kind in WARNINGS or n.severe),
        exit_code=MOSTLY_UNMATCHED_EXIT if any(n.severe for n in report.notices) else 0,
    )
    return RunResult(record, report=report, log_problem=problem)


def _save_stamp(
    store: StateStore, who: str, stamp: Stamp, when: dt.datetime, *, revision: str = ""
) -> str | None:
    """Save the run's stamp. The spreadsheet is already written (the job is done), so a
    failure (a full or read-only state folder) is a warning, and the next run, finding no
    stamp, does the work again and saves it."""
    try:
        store.put(who, stamp, when=when, revision=revision)
    except OSError as ex:
        with contextlib.suppress(OSError):
            store.forget(who)
        return (
            f"synced, but the run state could not be saved in {store.folder}: "
            f"{ex.strerror or ex}; the next run will not skip and saves it again"
        )
    return None


def _revision(backend: Backend, config: Config) -> str | None:
    """The Google Sheet's Drive revision when `google.revision_check` asks for it."""
    if not config.google.revision_check or not hasattr(backend, "client"):
        return None
    from .backends.gsheets.revision import sheet_revision

    return sheet_revision(backend.client, getattr(backend, "key", ""))


def _same_revision(
    store: StateStore, who: str, revision: str, day: dt.date, config: Config
) -> bool:
    """Whether the last completed run read this very revision, on this day, with this config."""
    last = store.get(who)
    return (
        last is not None
        and store.revision(who) == revision
        and (last.as_of, last.config) == (day.isoformat(), config_fingerprint(config))
    )


#: Notices that need a person, so scheduled runs log and show them.
WARNINGS = frozenset({"typed_stage", "unknown_override", "name_clash", "write"})


def inputs_fingerprint(inputs: Inputs, config: Config) -> str:
    """A hash of the input cells: the contacts without the columns marked ours (which the
    sync itself writes), the activity log, the lookup tabs, and the values typed over our
    Stage cells (so a hand edit is never skipped as "unchanged")."""
    contacts = inputs.data.contacts
    ours = set(inputs.data.ownership.columns.values())
    keep = [c for c in contacts.columns if c not in ours]
    frames: dict[str, pd.DataFrame | None] = {
        "contacts": contacts[keep],
        "activities": inputs.data.activities,
        "typed": stage_edits(config, inputs.data),
    }
    frames.update({f"lookup:{tab}": frame for tab, frame in inputs.lookups.items()})
    return values_fingerprint(frames)
