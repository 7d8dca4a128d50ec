"""Safe save: lock files, read-only, disk full, crashes at every step, backups."""

from __future__ import annotations

import errno
import hashlib
import os
import random
import re
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from excel_helpers import build_plan, make_contacts_xlsx

from sheetfunnel.backends.excel import ExcelBackend, safesave, swap, zipcopy
from sheetfunnel.backends.excel import backend as backend_module
from sheetfunnel.backends.excel import writer as writer_module
from sheetfunnel.errors import BusyError, SpreadsheetError


def prepared(path: Path):
    backend = ExcelBackend(path)
    data = backend.read("Contacts", 1, None, 1)
    return backend, build_plan(data), data


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".sheetfunnel-" in p.name and p.is_file())


def excel_owner_file(user: str) -> bytes:
    ansi = user.encode("cp1252")
    return (
        bytes([len(ansi)])
        + ansi.ljust(53, b" ")
        + struct.pack("<H", len(user))
        + (user.encode("utf-16-le") + b"\0\0")
    )


@pytest.mark.parametrize("lock_name", ["~$pipeline.xlsx", "~$peline.xlsx"])
def test_excel_owner_file_blocks_and_force_overrides(contacts_xlsx: Path, lock_name: str) -> None:
    (contacts_xlsx.parent / lock_name).write_bytes(excel_owner_file("Marie Curie"))
    before = contacts_xlsx.read_bytes()
    backend, plan, data = prepared(contacts_xlsx)
    with pytest.raises(
        BusyError, match=re.escape(f"open in Excel by Marie Curie (lock file {lock_name}")
    ):
        backend.write(plan, data)
    assert contacts_xlsx.read_bytes() == before
    forced = ExcelBackend(contacts_xlsx, force=True)
    assert forced.write(plan, data).changed


def test_libreoffice_lock_blocks(contacts_xlsx: Path) -> None:
    lock = contacts_xlsx.parent / ".~lock.pipeline.xlsx#"
    lock.write_text("Jean Dupont,laptop,jean,25.11.2026 10:00,file:///home/jean/.config;")
    backend, plan, data = prepared(contacts_xlsx)
    with pytest.raises(BusyError, match="open in LibreOffice by Jean Dupont") as ei:
        backend.write(plan, data)
    assert ei.value.file == str(contacts_xlsx)
    assert backend.write(plan, data, dry_run=True).changed  # a dry run only reads


def test_a_real_libreoffice_lock_without_a_full_name_names_user_and_host(
    contacts_xlsx: Path,
) -> None:
    """LibreOffice writes no full name when none is set: ',root,vm,date,profile;'."""
    lock = contacts_xlsx.parent / ".~lock.pipeline.xlsx#"
    lock.write_text(",root,vm,02.12.2026 04:18,file:///root/.config/libreoffice/4;")
    backend, plan, data = prepared(contacts_xlsx)
    with pytest.raises(
        BusyError,
        match=re.escape("open in LibreOffice by root on vm (lock file .~lock.pipeline.xlsx#)"),
    ):
        backend.write(plan, data)


def test_read_only_file_and_folder(contacts_xlsx: Path) -> None:
    before = contacts_xlsx.read_bytes()
    backend, plan, data = prepared(contacts_xlsx)
    contacts_xlsx.chmod(0o444)
    with pytest.raises(SpreadsheetError, match="read-only"):
        backend.write(plan, data)
    contacts_xlsx.chmod(0o644)
    folder = contacts_xlsx.parent
    folder.chmod(0o555)
    try:
        with pytest.raises(SpreadsheetError, match=r"folder of pipeline\.xlsx is read-only"):
            backend.write(plan, data)
    finally:
        folder.chmod(0o755)
    assert contacts_xlsx.read_bytes() == before and leftovers(folder) == []


def test_disk_full_leaves_nothing(contacts_xlsx: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = contacts_xlsx.read_bytes()
    backend, plan, data = prepared(contacts_xlsx)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(zipcopy.ZipCopier, "close", full)
    with pytest.raises(SpreadsheetError, match="the disk is full; nothing was changed") as ei:
        backend.write(plan, data)
    assert ei.value.file == str(contacts_xlsx)
    assert contacts_xlsx.read_bytes() == before
    assert leftovers(contacts_xlsx.parent) == []
    assert not (contacts_xlsx.parent / ".sheetfunnel-backups").exists()


FAULTS = [
    ("build", zipcopy.ZipCopier, "copy"),
    ("fsync", os, "fsync"),
    ("verify", backend_module, "package_problem"),
    ("fingerprint", safesave, "fingerprint"),
    ("backup", safesave, "_make_backup"),
    ("swap", swap, "_exchange"),
    ("replace", os, "replace"),
]


@pytest.mark.parametrize("exc", [OSError(errno.EIO, "I/O error"), RuntimeError("crash")])
@pytest.mark.parametrize(("step", "owner", "attr"), FAULTS)
def test_failure_at_each_step_leaves_original(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str, owner, attr: str, exc
) -> None:
    path = make_contacts_xlsx(tmp_path / "pipeline.xlsx")
    before = path.read_bytes()
    backend, plan, data = prepared(path)
    original = getattr(owner, attr)

    def failing(*args, **kwargs):
        raise exc  # (safesave.fingerprint is only the re-check right before replacing)

    monkeypatch.setattr(owner, attr, failing)
    if step == "replace":  # os.replace swaps only where names cannot be exchanged
        monkeypatch.setattr(swap, "_renameat2", None)
    with pytest.raises((SpreadsheetError, RuntimeError)):
        backend.write(plan, data)
    monkeypatch.setattr(owner, attr, original)
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []
    backups = tmp_path / ".sheetfunnel-backups"
    assert not backups.exists() or list(backups.iterdir()) == []


def test_changed_during_save_is_refused(contacts_xlsx: Path, monkeypatch: pytest.MonkeyPatch):
    backend, plan, data = prepared(contacts_xlsx)
    original_check = backend_module.package_problem

    def check_then_user_saves(tmp, outcome, names):
        problem = original_check(tmp, outcome, names)
        contacts_xlsx.write_bytes(contacts_xlsx.read_bytes())  # same bytes, new mtime
        os.utime(contacts_xlsx, ns=(0, time.time_ns() + 10**9))
        return problem

    monkeypatch.setattr(backend_module, "package_problem", check_then_user_saves)
    saved = contacts_xlsx.read_bytes()
    with pytest.raises(BusyError, match="the workbook changed during the sync; nothing was"):
        backend.write(plan, data)
    assert contacts_xlsx.read_bytes() == saved and leftovers(contacts_xlsx.parent) == []


def test_backups_kept_and_pruned(contacts_xlsx: Path) -> None:
    versions = []
    for round_ in range(7):
        backend = ExcelBackend(contacts_xlsx)
        data = backend.read("Contacts", 1, None, 1)
        plan = build_plan(data)
        cols = (plan.columns[0].__class__("score", "Score", "number", (float(round_),) * 5),)
        versions.append(contacts_xlsx.read_bytes())
        result = backend.write(build_plan(data, columns=cols), data)
        assert result.backup is not None
        assert Path(result.backup).read_bytes() == versions[-1]
    kept = sorted((contacts_xlsx.parent / ".sheetfunnel-backups").iterdir())
    assert len(kept) == safesave.BACKUPS_KEPT
    assert [k.read_bytes() for k in kept] == versions[-5:]
    assert (
        ExcelBackend(contacts_xlsx, backup=False)
        .write(
            build_plan(data, columns=(cols[0].__class__("why", "Why", "text", ("x",) * 5),)),
            ExcelBackend(contacts_xlsx).read("Contacts", 1, None, 1),
        )
        .backup
        is None
    )


CHILD = """
import sys
from pathlib import Path
sys.path[:0] = [{root!r}, {helpers!r}]
from excel_helpers import build_plan
from sheetfunnel.backends.excel import ExcelBackend
backend = ExcelBackend(Path({path!r}))
data = backend.read("Contacts", 1, None, 1)
print("READ", flush=True)
backend.write(build_plan(data), data)
print("DONE", flush=True)
"""


def test_sigkill_at_random_moments_never_damages(tmp_path: Path) -> None:
    root = str(Path(__file__).resolve().parents[2])
    helpers = str(Path(__file__).resolve().parent)
    source = make_contacts_xlsx(tmp_path / "source.xlsx", rows=5_000)
    original = source.read_bytes()
    # the complete result, for comparison
    done = tmp_path / "done" / "pipeline.xlsx"
    done.parent.mkdir()
    done.write_bytes(original)
    code = CHILD.format(root=root, helpers=helpers, path=str(done))
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    finished = hashlib.sha256(done.read_bytes()).hexdigest()
    rng = random.Random(7)
    outcomes = {"original": 0, "finished": 0}
    for i in range(8):
        folder = tmp_path / f"run{i}"
        folder.mkdir()
        path = folder / "pipeline.xlsx"
        path.write_bytes(original)
        code = CHILD.format(root=root, helpers=helpers, path=str(path))
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "READ"  # kill during the write phase
        time.sleep(rng.uniform(0.0, 0.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest == hashlib.sha256(original).hexdigest():
            outcomes["original"] += 1
        else:
            assert digest == finished, f"run {i}: workbook is neither the original nor the result"
            outcomes["finished"] += 1
        # the next sync removes a temp file the killed one left, and completes
        backend = ExcelBackend(path)
        data = backend.read("Contacts", 1, None, 1)
        backend.write(build_plan(data), data)
        assert leftovers(folder) == []
        assert hashlib.sha256(path.read_bytes()).hexdigest() == finished
    assert outcomes["original"] >= 1


def test_a_second_sync_of_the_same_file_is_refused(contacts_xlsx: Path) -> None:
    import fcntl

    backend, plan, data = prepared(contacts_xlsx)
    before = contacts_xlsx.read_bytes()
    with contacts_xlsx.open("rb") as other_sync:  # what a running sync holds
        fcntl.flock(other_sync.fileno(), fcntl.LOCK_EX)
        with pytest.raises(BusyError, match="another sheetfunnel sync is writing"):
            backend.write(plan, data)
    assert contacts_xlsx.read_bytes() == before and leftovers(contacts_xlsx.parent) == []
    assert backend.write(plan, data).changed


def test_a_sheet_calamine_cannot_read_back_is_never_saved(
    contacts_xlsx: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer bug that produced broken sheet XML is caught by the read-back, not saved."""
    before = contacts_xlsx.read_bytes()
    backend, plan, data = prepared(contacts_xlsx)
    real_compute = backend_module.compute

    def broken_compute(path, plan, data, **kwargs):
        outcome = real_compute(path, plan, data, **kwargs)
        sheet = outcome.parts[outcome.contacts_part]
        outcome.parts[outcome.contacts_part] = sheet.replace(b"</sheetData>", b"</sheetDat>")
        return outcome

    monkeypatch.setattr(backend_module, "compute", broken_compute)
    with pytest.raises(SpreadsheetError, match=r"failed its check .*calamine cannot read it"):
        backend.write(plan, data)
    assert contacts_xlsx.read_bytes() == before and leftovers(contacts_xlsx.parent) == []


def test_broken_sheet_xml_is_caught_by_the_early_read_back(
    contacts_xlsx: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sheet is read back as soon as it is built (beside the owned tabs and the
    assembly): broken XML from the row writer is caught there, and nothing is saved."""
    before = contacts_xlsx.read_bytes()
    backend, plan, data = prepared(contacts_xlsx)
    real_join = writer_module.join_sheet

    def broken_join(*args):
        return real_join(*args).replace(b"</sheetData>", b"</sheetDat>")

    monkeypatch.setattr(writer_module, "join_sheet", broken_join)
    with pytest.raises(SpreadsheetError, match=r"failed its check .*calamine cannot read it"):
        backend.write(plan, data)
    assert contacts_xlsx.read_bytes() == before and leftovers(contacts_xlsx.parent) == []


def test_symlinked_workbook_keeps_its_link_and_owner(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    real = make_contacts_xlsx(tmp_path / "real" / "pipeline.xlsx")
    owner = (1234, 1234) if os.geteuid() == 0 else (os.getuid(), os.getgid())
    os.chown(real, *owner)  # as root: a user's file synced by root keeps its owner
    link = tmp_path / "link.xlsx"
    link.symlink_to(real)
    backend, plan, data = prepared(link)
    result = backend.write(plan, data)
    assert result.changed and link.is_symlink() and link.resolve() == real
    assert (real.stat().st_uid, real.stat().st_gid) == owner
    assert leftovers(tmp_path / "real") == [] and leftovers(tmp_path) == []
    assert ExcelBackend(link).read("Contacts", 1, None, 1).contacts.columns[-1] == "Stage since"
