"""One run at a time per spreadsheet: a file lock every sync and scheduled run takes.

A workbook's lock sits beside it (`.pipeline.xlsx.sheetfunnel.lock`), so two machines sharing
the folder see it too; a Google Sheet's lock is a file named after its key in the state folder.
The lock is an OS lock (flock/LockFileEx through filelock): it disappears when the process
dies, so a killed sync never leaves a stale lock behind. The empty file itself stays.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import BusyError, SpreadsheetError
from .ownership import adopt
from .sources import is_google_sheet

_KEY_IN_URL = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)")


def default_state_dir() -> Path:
    """Where sheetfunnel keeps per-target state: $SHEETFUNNEL_STATE_DIR, else the user's
    state folder ($XDG_STATE_HOME/sheetfunnel, ~/.local/state/sheetfunnel, %LOCALAPPDATA%)."""
    if env := os.environ.get("SHEETFUNNEL_STATE_DIR"):
        return Path(env)
    if sys.platform == "win32" and (local := os.environ.get("LOCALAPPDATA")):
        return Path(local) / "sheetfunnel"
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "sheetfunnel"


def sheet_key(target: str) -> str:
    """The spreadsheet key of a Google Sheets URL or bare key."""
    match = _KEY_IN_URL.search(target)
    return match.group(1) if match else target.strip()


def target_id(target: str | Path) -> str:
    """A stable identity for a target: the sheet key, or the workbook's absolute path."""
    text = str(target)
    if is_google_sheet(text):
        return "gsheet:" + sheet_key(text)
    return str(Path(text).expanduser().resolve())


def lock_path(target: str | Path, state_dir: Path) -> Path:
    """The lock file of `target`: beside a workbook, or in `state_dir`/locks for a Sheet."""
    text = str(target)
    if is_google_sheet(text):
        return state_dir / "locks" / f"{sheet_key(text)}.lock"
    path = Path(text).expanduser().resolve()
    return path.parent / f".{path.name}.sheetfunnel.lock"


@contextlib.contextmanager
def run_lock(
    target: str | Path,
    state_dir: Path,
    *,
    wait: float = 0,
    on_wait: Callable[[Path, float], None] | None = None,
) -> Iterator[Path]:
    """Hold the lock of `target` for the duration of the block.

    Another holder makes this wait up to `wait` seconds (0: not at all), calling `on_wait`
    once first, then raise BusyError. Yields the lock file's path.
    """
    path = lock_path(target, state_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as ex:
        raise SpreadsheetError(
            f"cannot create the folder of the lock file {path}: {ex.strerror or ex}",
            file=str(target),
        ) from ex
    lock = FileLock(path, timeout=0)
    try:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if wait <= 0:
                raise
            if on_wait is not None:
                on_wait(path, wait)
            lock.acquire(timeout=wait)
    except Timeout as ex:
        waited = f" after waiting {wait:g} s" if wait > 0 else ""
        raise BusyError(
            f"another sheetfunnel run is syncing {target} (lock file {path}){waited}; nothing "
            "was written. Retry later, or pass --wait SECONDS to wait for it.",
            file=str(target),
        ) from ex
    except OSError as ex:
        raise SpreadsheetError(
            f"cannot create the lock file {path}: {ex.strerror or ex}; sheetfunnel needs to "
            "write beside the workbook (or in its state folder for a Google Sheet).",
            file=str(target),
        ) from ex
    if not is_google_sheet(str(target)):
        adopt(path, Path(str(target)).expanduser().resolve())  # root's run: not root's file
    try:
        yield path
    finally:
        lock.release()
