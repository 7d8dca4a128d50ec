"""Side files of a workbook synced by root belong to the workbook's owner (issue 11, item 5):
the lock file, run log, backups folder and backups take its owner, group and a mode derived
from its own, so the owner's next sync is not locked out."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import traceback
from pathlib import Path

import pytest
from run_helpers import DAY, MORNING, copy_book

from sheetfunnel.demo import create_demo
from sheetfunnel.ownership import derived_mode
from sheetfunnel.runner import RunOptions, run_once

OTHER = 1234  # the workbook's owner when the test runs as root


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def shared_folder():
    """A folder another uid can reach (pytest's own tmp is root-only)."""
    folder = Path(tempfile.mkdtemp(prefix="sf-owner-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def owner_of_test_files() -> tuple[int, int]:
    """Another uid and gid as root; unprivileged, our own (the test still checks modes)."""
    return (OTHER, OTHER) if os.geteuid() == 0 else (os.getuid(), os.getgid())


def as_user(uid: int, gid: int, action) -> int:
    """Run `action()` in a child process with `uid`'s identity; its exit status."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            if os.geteuid() == 0:  # unprivileged, the test already runs as the owner
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)
            code = action()
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def test_side_files_of_roots_sync_belong_to_the_workbooks_owner(
    shared_folder: Path, umask_022, tmp_path: Path
) -> None:
    from sheetfunnel.config import Config

    uid, gid = owner_of_test_files()
    book_dir = shared_folder / "team"
    book_dir.mkdir()
    demo = create_demo(tmp_path / "demo", contacts=60, end=DAY).workbook
    book = copy_book(demo, book_dir)
    book.chmod(0o660)
    state = shared_folder / "state"
    state.mkdir()
    for path in (book_dir, book, state):
        os.chown(path, uid, gid)
    base = Config()
    cfg = base.model_copy(update={"watch": base.watch.model_copy(update={"state_dir": str(state)})})
    result = run_once(str(book), cfg, RunOptions(), now=lambda: MORNING)
    assert result.error is None and result.record.outcome == "synced"
    lock = book_dir / ".pipeline.xlsx.sheetfunnel.lock"
    log = book_dir / "sheetfunnel-runs.jsonl"
    backups = book_dir / ".sheetfunnel-backups"
    (backup,) = backups.iterdir()
    for path, mode in [(lock, 0o640), (log, 0o640), (backups, 0o750), (backup, 0o660)]:
        st = path.stat()
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (uid, gid, mode), path
    assert stat.S_IMODE(book.stat().st_mode) == 0o660 and book.stat().st_uid == uid

    own_state = shared_folder / "owner-state"  # the owner's own state folder
    own_state.mkdir()
    os.chown(own_state, uid, gid)
    own = cfg.model_copy(
        update={"watch": cfg.watch.model_copy(update={"state_dir": str(own_state)})}
    )

    def owners_own_sync() -> int:
        again = run_once(str(book), own, RunOptions(rebuild=True), now=lambda: MORNING)
        return 0 if again.error is None and again.log_problem is None else 3

    assert as_user(uid, gid, owners_own_sync) == 0


def test_derived_modes_respect_the_umask() -> None:
    old = os.umask(0o027)
    try:
        assert derived_mode(0o664) == 0o640
        assert derived_mode(0o664, folder=True) == 0o750
        assert derived_mode(0o444) == 0o640  # the owner can always write its own log
    finally:
        os.umask(old)
