"""Saving a user's only copy safely: lock files, fingerprint, temp file, backup, atomic swap."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import re
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sheetfunnel.errors import BusyError, SheetfunnelError, SpreadsheetError
from sheetfunnel.ownership import adopt, keep_owner

from .swap import (
    CHANGED,
    DISPLACED,
    Fingerprint,
    compare_and_swap,
    fd_fingerprint,
    fingerprint,
    keep_aside,
    step,
)

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


def _excel_owner(data: bytes) -> str:
    """User name in an Excel owner file (~$name.xlsx): a length byte + ANSI, or UTF-16 at 54."""
    if len(data) >= 57:
        n = int.from_bytes(data[54:56], "little")
        if 0 < n <= 64 and len(data) >= 56 + 2 * n:
            return data[56 : 56 + 2 * n].decode("utf-16-le", "replace").strip()
    if data:
        return data[1 : 1 + data[0]].decode("cp1252", "replace").strip()
    return ""


def _libreoffice_owner(data: bytes) -> str:
    """Who holds a LibreOffice lock file: 'Full name,user,host,date,profile;' (commas
    escaped; LibreOffice's LockFileCommon field order).

    A real lock often has no full name (",root,vm,02.12.2026 04:18,...;"): then the user and
    host, as "root on vm".
    """
    text = data.decode("utf-8", "replace").split(";", 1)[0]
    fields = [f.replace("\\,", ",").strip() for f in re.split(r"(?<!\\),", text)]
    name, user, host = [*fields, "", "", ""][:3]
    if name:
        return name
    return f"{user} on {host}" if user and host else user


def lock_files(path: Path) -> list[Path]:
    """The lock files Excel and LibreOffice create beside `path` while it is open."""
    name = path.name
    names = ["~$" + name, "~$" + name[2:], ".~lock." + name + "#"]
    return [path.parent / n for n in dict.fromkeys(names) if (path.parent / n).is_file()]


def check_not_open(path: Path, *, force: bool) -> None:
    """BusyError if Excel or LibreOffice holds the workbook (unless `force`)."""
    if force:
        return
    for lock in lock_files(path):
        try:
            data = lock.read_bytes()[:4096]
        except OSError:
            data = b""
        office = "LibreOffice" if lock.name.startswith(".~lock.") else "Excel"
        who = _libreoffice_owner(data) if office == "LibreOffice" else _excel_owner(data)
        by = f" by {who}" if who else ""
        raise BusyError(
            f"{path.name} is open in {office}{by} (lock file {lock.name}); nothing was written. "
            "Close it and retry, or use --force if that lock file is left over from a crash.",
            file=str(path),
        )


def _temp_prefix(path: Path) -> str:
    return f".{path.name}.sheetfunnel-"


#: Held while a temp file is created and locked, and while stale ones are looked for: a
#: read-back check of this process may create one while the save clears the leftovers.
_CREATING = threading.Lock()


def _locked_temp(path: Path) -> tuple[Path, BinaryIO]:
    """A new temp file beside `path`, open and locked, so that no clean-up takes it for a
    left-over (created under `_CREATING`: a clean-up never sees it unlocked)."""
    with _CREATING:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=_temp_prefix(path), suffix=".tmp")
        try:
            fh = os.fdopen(fd, "w+b")
            if fcntl is not None:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        except BaseException:
            Path(name).unlink()
            raise
    return Path(name), fh


@contextlib.contextmanager
def scratch_file(path: Path) -> Iterator[tuple[Path, BinaryIO]]:
    """A locked temp file beside `path`, removed on exit (or, after a crash, by the next
    sync's `remove_stale_temps`, since no live process holds its lock any more)."""
    scratch, fh = _locked_temp(path)
    try:
        with fh:
            yield scratch, fh
    finally:
        with contextlib.suppress(OSError):
            scratch.unlink()


#: Seconds since a displaced file was renamed before a later sync treats it as left over.
DISPLACED_MIN_AGE = 60.0


def remove_stale_temps(path: Path) -> None:
    """Delete temp files a killed sync left beside `path` (no live process holds them)."""
    with _CREATING:
        _remove_stale_temps(path)


def _remove_stale_temps(path: Path) -> None:
    for tmp in path.parent.glob(glob_escape(_temp_prefix(path)) + "*.tmp"):
        try:
            with tmp.open("rb+") as fh:
                if fcntl is not None:
                    try:
                        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except OSError:
                        continue  # a live sync is writing it
                elif time.time() - tmp.stat().st_mtime < 3600:
                    continue
            tmp.unlink()
        except OSError:
            continue
    # a file a killed sync displaced before proving it may be someone's save: kept, not deleted
    for left in path.parent.glob(glob_escape(_temp_prefix(path)) + "*" + DISPLACED):
        with contextlib.suppress(OSError):
            if time.time() - left.stat().st_ctime >= DISPLACED_MIN_AGE:  # not a live sync's
                keep_aside(path, left, backup_folder(path), "left-by-an-interrupted-sync")


def glob_escape(text: str) -> str:
    """`text` with glob metacharacters escaped."""
    return re.sub(r"([*?\[])", r"[\1]", text)


BACKUP_DIR = ".sheetfunnel-backups"
BACKUPS_KEPT = 5


def _make_backup(path: Path) -> Path:
    """Keep the current version as .sheetfunnel-backups/<stem>.<UTC time><suffix>."""
    folder = backup_folder(path)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    target = folder / f"{path.stem}.{stamp}{path.suffix}"
    try:
        os.link(path, target)  # the old inode becomes the backup: no copy of a 40 MB file
    except OSError:
        shutil.copy2(path, target)
        keep_owner(target, path.stat())
    return target


def backup_folder(path: Path) -> Path:
    """The backups folder beside `path`, created with the workbook's owner if missing."""
    folder = path.parent / BACKUP_DIR
    if not folder.is_dir():
        folder.mkdir(exist_ok=True)
        adopt(folder, path, folder=True)
    return folder


def _prune_backups(path: Path) -> None:
    folder = path.parent / BACKUP_DIR
    pattern = re.compile(re.escape(path.stem) + r"\.\d{8}T\d{12}" + re.escape(path.suffix) + "$")
    mine = sorted(p for p in folder.iterdir() if pattern.fullmatch(p.name))
    for old in mine[:-BACKUPS_KEPT]:
        with contextlib.suppress(OSError):
            old.unlink()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open a folder; NTFS journals the rename
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _os_error(path: Path, ex: OSError) -> SpreadsheetError:
    if ex.errno == errno.ENOSPC:
        what = "the disk is full"
    elif ex.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        what = "no permission to write in its folder"
    else:
        what = ex.strerror or str(ex)
    return SpreadsheetError(
        f"cannot save {path.name}: {what}; nothing was changed (the workbook is as it was).",
        file=str(path),
    )


def check_writable(path: Path) -> None:
    """SpreadsheetError if the file or its folder is marked read-only."""
    st = path.stat()
    if not st.st_mode & stat.S_IWUSR:
        raise SpreadsheetError(
            f"{path.name} is read-only; nothing was written. Make it writable to sync it.",
            file=str(path),
        )
    folder = path.parent
    if not folder.stat().st_mode & stat.S_IWUSR or not os.access(folder, os.W_OK):
        raise SpreadsheetError(
            f"the folder of {path.name} is read-only; sheetfunnel saves through a temporary "
            "file beside the workbook, so it needs to write there.",
            file=str(path),
        )


def atomic_replace(
    path: Path,
    build: Callable[[BinaryIO], None],
    verify: Callable[[Path], None],
    *,
    expected: Fingerprint,
    backup: bool,
    force: bool,
) -> Saved:
    """Build the new workbook beside `path`, check it, then swap it in atomically.

    A crash at any step leaves `path` byte-identical; a leftover temp file is removed by the
    next sync. Returns the backup kept (if any) and the fingerprint of the bytes written.
    """
    check_not_open(path, force=force)
    if path.is_symlink():  # replace the file the link points to, and keep the link
        path = path.resolve()
        check_not_open(path, force=force)
    check_writable(path)
    remove_stale_temps(path)
    with _sync_lock(path):
        return _replace(path, build, verify, expected=expected, backup=backup, force=force)


@contextlib.contextmanager
def _sync_lock(path: Path) -> Iterator[None]:
    """Exclude a second sheetfunnel sync of the same file (advisory lock on the workbook)."""
    if fcntl is None:
        yield
        return
    with path.open("rb") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as ex:
            raise BusyError(
                f"another sheetfunnel sync is writing {path.name} right now; nothing was "
                "written. Retry when it has finished.",
                file=str(path),
            ) from ex
        yield


@dataclass(frozen=True)
class Saved:
    """What a save did: the backup kept (if any) and the fingerprint of the bytes written."""

    backup: Path | None
    written: Fingerprint


def _replace(
    path: Path,
    build: Callable[[BinaryIO], None],
    verify: Callable[[Path], None],
    *,
    expected: Fingerprint,
    backup: bool,
    force: bool,
) -> Saved:
    tmp: Path | None = None
    kept: Path | None = None
    swapped = False
    try:
        tmp, fh = _locked_temp(path)
        with fh:
            build(fh)
            fh.flush()
            verify(tmp)  # reads through the page cache: no need to wait for the fsync
            os.fsync(fh.fileno())
            keep_owner(tmp, path.stat())  # only root may give a file away
            written = fd_fingerprint(fh)  # chmod/chown/rename leave size and mtime alone
            step("built")
            if fingerprint(path) != expected:
                raise BusyError(CHANGED, file=str(path))
            check_not_open(path, force=force)
            step("checked")
            if backup:
                kept = _make_backup(path)
            step("backup")
            try:
                displaced = compare_and_swap(path, tmp, expected, written, path.parent / BACKUP_DIR)
            except PermissionError as ex:
                raise BusyError(
                    f"{path.name} is open in another program (Windows refused to replace it); "
                    "nothing was written. Close it and retry.",
                    file=str(path),
                ) from ex
            tmp, swapped = None, True
            if displaced is not None:
                with contextlib.suppress(OSError):
                    displaced.unlink()  # the version read: the backup (a hard link) keeps it
            step("done")
        _fsync_dir(path.parent)
        if kept is not None:
            _prune_backups(path)
        return Saved(kept, written)
    except OSError as ex:
        if kept is not None:
            with contextlib.suppress(OSError):
                kept.unlink()
        raise _os_error(path, ex) from ex
    except BaseException:
        if kept is not None and not swapped:
            with contextlib.suppress(OSError):
                kept.unlink()
        raise
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()


def file_state(path: Path) -> tuple[int, int, int, int] | None:
    """Identity, size and modification time of `path` (None when it is gone)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns


def state_of(token: Fingerprint) -> tuple[int, int, int, int]:
    """`file_state` as it was when `token` was taken."""
    return token.inode, token.device, token.size, token.mtime_ns


@contextlib.contextmanager
def changed_means_busy(
    path: Path, before: tuple[int, int, int, int] | None, *, reading: bool = True
) -> Iterator[None]:
    """A failure to read or rewrite a file that moved meanwhile (another program saving it
    in place: "Bad CRC-32", "incomplete deflate stream") is "changed during the sync",
    BusyError (retry), not a corrupt workbook. Writing, only failures to read the file
    count (a plan that does not fit the data is not the file's doing)."""
    try:
        yield
    except BusyError:
        raise
    except Exception as ex:
        ours = isinstance(ex, SheetfunnelError) and not isinstance(ex, SpreadsheetError)
        if (reading or not ours) and before is not None and file_state(path) != before:
            raise BusyError(CHANGED, file=str(path)) from ex
        raise
