"""Files sheetfunnel creates beside a workbook belong to the workbook's owner.

A sync run by root (cron, a service) must not leave a root-owned lock file, run log or
backups folder that then locks the workbook's owner out of their own sync. Each such file
takes the workbook's owner and group, and a mode derived from the workbook's (the umask
still applies); a file sheetfunnel rewrites keeps the mode and owner it had.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from pathlib import Path

_umask_lock = threading.Lock()


def current_umask() -> int:
    """The process umask (read by setting and restoring it)."""
    with _umask_lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def derived_mode(like_mode: int, *, folder: bool = False) -> int:
    """The mode of a side file of a file with `like_mode`: its read/write bits less the
    umask, always readable and writable by the owner; a folder also gets x where it has r."""
    mode = (stat.S_IMODE(like_mode) & 0o666 & ~current_umask()) | 0o600
    if folder:
        mode |= (mode & 0o444) >> 2
    return mode


def adopt(path: Path, like: Path, *, folder: bool = False) -> None:
    """Give the just-created `path` the owner, group and derived mode of `like`.

    Best effort: only root may give a file away, and a missing `like` changes nothing.
    """
    try:
        st = like.stat()
    except OSError:
        return
    with contextlib.suppress(OSError):
        path.chmod(derived_mode(st.st_mode, folder=folder))
    chown(path, st.st_uid, st.st_gid)


def keep_owner(path: Path, like: os.stat_result) -> None:
    """Give `path` (a new version about to replace a file) the mode and owner `like` had."""
    with contextlib.suppress(OSError):
        path.chmod(stat.S_IMODE(like.st_mode))
    chown(path, like.st_uid, like.st_gid)


def new_file_mode(path: Path) -> None:
    """Give a new file made by mkstemp (0600) the mode an ordinary new file gets (0666 less
    the umask)."""
    with contextlib.suppress(OSError):
        path.chmod(0o666 & ~current_umask())


def chown(path: Path, uid: int, gid: int) -> None:
    """Change `path`'s owner and group when they differ and the system allows it."""
    if not hasattr(os, "chown"):
        return
    with contextlib.suppress(OSError):
        st = path.stat()
        if (st.st_uid, st.st_gid) != (uid, gid):
            os.chown(path, uid, gid)
