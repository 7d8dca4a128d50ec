"""The swap that ends a save, as a compare-and-swap: the new workbook replaces the file only
if the file it displaces is the very one that was read (same inode, size, mtime, content).

Another program's save (a script, a cloud-drive client: they keep no Office lock file) that
lands between the last check and the swap would otherwise be displaced and lost. On Linux the
two names are exchanged atomically (renameat2 RENAME_EXCHANGE) and the displaced file is
proved afterwards; elsewhere the current file is held by a hard link and proved before
`os.replace`.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import errno
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sheetfunnel.errors import BusyError
from sheetfunnel.ownership import adopt

CHANGED = "the workbook changed during the sync; nothing was written"


@dataclass(frozen=True)
class Fingerprint:
    """What the workbook file was when it was read; compared again right before replacing,
    and once more on the file the swap displaced (same inode, size, mtime and content)."""

    size: int
    mtime_ns: int
    sha256: str
    inode: int = 0
    device: int = 0

    def as_text(self) -> str:
        """The run log's form of a file fingerprint (runlog.file_fingerprint)."""
        return f"file:{self.size}:{self.mtime_ns}:{self.sha256}"


def fingerprint(path: Path) -> Fingerprint:
    """Size, modification time, content hash and identity (inode) of `path`."""
    with path.open("rb") as fh:
        return fd_fingerprint(fh)


def fd_fingerprint(fh: BinaryIO) -> Fingerprint:
    """The fingerprint of an open file (read from its start)."""
    digest = hashlib.sha256()
    fh.seek(0)
    st = os.fstat(fh.fileno())
    while chunk := fh.read(1 << 20):
        digest.update(chunk)
    return Fingerprint(st.st_size, st.st_mtime_ns, digest.hexdigest(), st.st_ino, st.st_dev)


#: Test hook: called with the name of each step of the save ("built", "checked", "backup",
#: "swapped", "proved", "done"), so a test can act as a concurrent writer exactly there.
step_hook: Callable[[str], None] | None = None


def step(name: str) -> None:
    """Call the test hook, if any, at a named step of the save."""
    if step_hook is not None:
        step_hook(name)


AT_FDCWD = -100
RENAME_EXCHANGE = 2  # linux/fs.h


def _load_renameat2() -> Callable[..., int] | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):  # not Linux, or a libc older than glibc 2.28
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_renameat2 = _load_renameat2()


def _exchange(a: Path, b: Path) -> bool:
    """Swap the names `a` and `b` in one atomic step (Linux renameat2 RENAME_EXCHANGE).

    False when this system or file system cannot (then nothing moved).
    """
    if _renameat2 is None:
        return False
    if _renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _is(path: Path, expected: Fingerprint) -> bool:
    """Whether `path` is the very file of `expected`: same inode, size, mtime and content
    (and still so once hashed: a write during the hash is seen)."""
    try:
        return fingerprint(path) == expected and _stat_is(path, expected)
    except OSError:
        return False


def _stat_is(path: Path, expected: Fingerprint) -> bool:
    """The cheap half of `_is`: same inode, size and mtime."""
    try:
        st = path.stat()
    except OSError:
        return False
    seen = (st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns)
    return seen == (expected.inode, expected.device, expected.size, expected.mtime_ns)


def _same_inode(path: Path, fp: Fingerprint) -> bool:
    try:
        st = path.stat()
    except OSError:
        return False
    return (st.st_ino, st.st_dev) == (fp.inode, fp.device)


def compare_and_swap(
    path: Path, tmp: Path, expected: Fingerprint, written: Fingerprint, aside: Path
) -> Path | None:
    """Put `tmp` at `path` only if what it displaces is the file that was read.

    The names are exchanged atomically, then the displaced file (now at `tmp`) is proved to
    be the one read. If another program saved in between, the swap is undone: its file goes
    back to `path`, ours is deleted, and BusyError says so; nothing is lost. Returns the
    displaced file's temporary name (to delete), or None.
    """
    # The displaced file gets a name the stale-temp cleanup never deletes: if this process
    # dies before proving it, the next sync keeps it aside instead (it may be a user's save).
    swap = displaced_name(tmp)
    tmp.rename(swap)
    try:
        exchanged = _exchange(swap, path)
    except BaseException:
        swap.rename(tmp)
        raise
    if not exchanged:
        swap.rename(tmp)
        return _link_and_replace(path, tmp, expected, written, aside)
    step("swapped")
    if _is(swap, expected):
        step("proved")
        return swap
    # Someone saved after the check: undo. `path` is normally still our file; if yet another
    # save replaced it meanwhile, the newest stays and the displaced save is kept aside.
    if _same_inode(path, written):
        _exchange(swap, path)
    if _same_inode(swap, written):
        swap.unlink()
        raise BusyError(CHANGED, file=str(path))
    kept = keep_aside(path, swap, aside)
    raise BusyError(f"{CHANGED} (a version saved meanwhile is kept as {kept})", file=str(path))


def displaced_name(tmp: Path) -> Path:
    """Where the file a swap displaces waits for its proof (not a "*.tmp": never deleted)."""
    return tmp.with_name(tmp.name[: -len(".tmp")] + DISPLACED)


DISPLACED = ".displaced"


def _link_and_replace(
    path: Path, tmp: Path, expected: Fingerprint, written: Fingerprint, aside: Path
) -> Path | None:
    """The swap where names cannot be exchanged: hold the current file by a second name,
    check it is the one read (inode, size, mtime), replace, then prove its content. A save
    by rename between the link and the replace (microseconds) is the one case not seen."""
    hold = displaced_name(tmp)
    try:
        os.link(path, hold)
    except OSError:  # a file system without hard links: check, then replace
        if not _stat_is(path, expected):
            raise BusyError(CHANGED, file=str(path)) from None
        os.replace(tmp, path)  # noqa: PTH105
        return None
    try:
        if not _stat_is(hold, expected):
            raise BusyError(CHANGED, file=str(path))
        os.replace(tmp, path)  # noqa: PTH105 - the documented atomic primitive
    except BaseException:
        hold.unlink()
        raise
    step("swapped")
    if _is(hold, expected):
        step("proved")
        return hold
    # written in place around the replace: their version goes back, unless a newer save
    # already replaced ours, in which case theirs is kept aside
    if _same_inode(path, written):
        os.replace(hold, path)  # noqa: PTH105
        raise BusyError(CHANGED, file=str(path))
    kept = keep_aside(path, hold, aside)
    raise BusyError(f"{CHANGED} (a version saved meanwhile is kept as {kept})", file=str(path))


def keep_aside(path: Path, displaced: Path, folder: Path, why: str = "saved-during-sync") -> Path:
    """Move a version saved by someone else during the sync into `folder` (the backups),
    under a name pruning never matches."""
    if not folder.is_dir():
        folder.mkdir(exist_ok=True)
        adopt(folder, path, folder=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    target = folder / f"{path.stem}.{why}.{stamp}{path.suffix}"
    os.replace(displaced, target)  # noqa: PTH105
    return target
