"""The save's last step is a compare-and-swap: another program's save that lands at any step
between the read and the swap is never lost (issue 11, item 1)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from excel_helpers import build_plan, make_contacts_xlsx

from sheetfunnel.backends.excel import ExcelBackend, swap
from sheetfunnel.errors import BusyError

STEPS_BEFORE = ["built", "checked", "backup"]  # before the swap: the sync must give way
STEPS_AFTER = ["swapped", "proved"]  # after it: their save simply comes after ours


def in_place(path: Path, data: bytes) -> None:
    """A script rewriting the file in place (same inode), keeping no lock file."""
    with path.open("r+b") as fh:
        fh.write(data)
        fh.truncate()


def by_rename(path: Path, data: bytes) -> None:
    """A cloud-drive client: writes a temp file, then renames it over the workbook."""
    side = path.with_name("incoming.part")
    side.write_bytes(data)
    os.replace(side, path)


WRITERS = {"in-place": in_place, "rename": by_rename}


@pytest.fixture(params=["exchange", "link"])
def mode(request, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "link":  # a system or file system without RENAME_EXCHANGE
        monkeypatch.setattr(swap, "_renameat2", None)
    return request.param


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".sheetfunnel-" in p.name and p.is_file())


def their_version(tmp_path: Path) -> bytes:
    return make_contacts_xlsx(tmp_path / "theirs.xlsx", rows=7).read_bytes()


def save_at(monkeypatch: pytest.MonkeyPatch, step: str, action: Callable[[], None]) -> None:
    def hook(name: str) -> None:
        if name == step:
            action()

    monkeypatch.setattr(swap, "step_hook", hook)


@pytest.mark.parametrize("writer", sorted(WRITERS))
@pytest.mark.parametrize("step", STEPS_BEFORE)
def test_a_save_before_the_swap_wins_and_the_sync_exits_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, step: str, writer: str
) -> None:
    path = make_contacts_xlsx(tmp_path / "pipeline.xlsx")
    theirs = their_version(tmp_path)
    backend = ExcelBackend(path)
    data = backend.read("Contacts", 1, None, 1)
    save_at(monkeypatch, step, lambda: WRITERS[writer](path, theirs))
    with pytest.raises(BusyError, match="the workbook changed during the sync; nothing was"):
        backend.write(build_plan(data), data)
    assert path.read_bytes() == theirs
    assert leftovers(tmp_path) == []
    backups = tmp_path / ".sheetfunnel-backups"
    assert not backups.exists() or list(backups.iterdir()) == []


@pytest.mark.parametrize("writer", sorted(WRITERS))
@pytest.mark.parametrize("step", STEPS_AFTER)
def test_a_save_after_the_swap_comes_after_ours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, step: str, writer: str
) -> None:
    path = make_contacts_xlsx(tmp_path / "pipeline.xlsx")
    original, theirs = path.read_bytes(), their_version(tmp_path)
    backend = ExcelBackend(path)
    data = backend.read("Contacts", 1, None, 1)
    save_at(monkeypatch, step, lambda: WRITERS[writer](path, theirs))
    result = backend.write(build_plan(data), data)
    assert result.changed and path.read_bytes() == theirs
    assert result.backup is not None and Path(result.backup).read_bytes() == original
    assert leftovers(tmp_path) == []


def test_two_saves_around_the_swap_both_survive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One save in place before the swap, a second by rename right after it: the newest
    stays the workbook, the first is kept aside (never pruned), the sync exits busy."""
    path = make_contacts_xlsx(tmp_path / "pipeline.xlsx")
    first = their_version(tmp_path)
    second = make_contacts_xlsx(tmp_path / "second.xlsx", rows=9).read_bytes()
    backend = ExcelBackend(path)
    data = backend.read("Contacts", 1, None, 1)

    def hook(name: str) -> None:
        if name == "backup":
            in_place(path, first)
        elif name == "swapped":
            by_rename(path, second)

    monkeypatch.setattr(swap, "step_hook", hook)
    with pytest.raises(BusyError, match=r"a version saved meanwhile is kept as .*saved-during"):
        backend.write(build_plan(data), data)
    assert path.read_bytes() == second
    aside = list((tmp_path / ".sheetfunnel-backups").glob("pipeline.saved-during-sync.*.xlsx"))
    assert [p.read_bytes() for p in aside] == [first]
    assert leftovers(tmp_path) == []


def test_written_fingerprint_is_the_file_written(tmp_path: Path, mode: str) -> None:
    from sheetfunnel.runlog import file_fingerprint

    path = make_contacts_xlsx(tmp_path / "pipeline.xlsx")
    backend = ExcelBackend(path)
    data = backend.read("Contacts", 1, None, 1)
    result = backend.write(build_plan(data), data)
    assert result.written == file_fingerprint(path)


def test_a_workbook_rewritten_in_place_while_assembled_is_busy_not_corrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Raw members copied from a file another program is rewriting fail their CRC check:
    that is "changed during the sync" (exit 6, retry), not a corrupt workbook (exit 5)."""
    from sheetfunnel.backends.excel import zipcopy

    path = make_contacts_xlsx(tmp_path / "pipeline.xlsx", rows=300)
    theirs = make_contacts_xlsx(tmp_path / "theirs.xlsx", rows=400).read_bytes()
    backend = ExcelBackend(path)
    data = backend.read("Contacts", 1, None, 1)
    real_copy = zipcopy.ZipCopier.copy
    rewritten = []

    def copy(self, name):
        if not rewritten:
            in_place(path, theirs)
            rewritten.append(name)
        return real_copy(self, name)

    monkeypatch.setattr(zipcopy.ZipCopier, "copy", copy)
    with pytest.raises(BusyError, match="the workbook changed during the sync"):
        backend.write(build_plan(data), data)
    assert path.read_bytes() == theirs and leftovers(tmp_path) == []


def test_a_workbook_caught_half_written_while_planned_is_busy_not_corrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sheetfunnel.backends.excel import backend as backend_module

    path = make_contacts_xlsx(tmp_path / "pipeline.xlsx", rows=300)
    half = make_contacts_xlsx(tmp_path / "theirs.xlsx", rows=400).read_bytes()[:9000]
    backend = ExcelBackend(path)
    data = backend.read("Contacts", 1, None, 1)
    real_compute = backend_module.compute

    def compute(*args, **kwargs):
        in_place(path, half)
        return real_compute(*args, **kwargs)

    monkeypatch.setattr(backend_module, "compute", compute)
    with pytest.raises(BusyError, match="the workbook changed during the sync") as ei:
        backend.write(build_plan(data), data)
    assert ei.value.__cause__ is not None  # the read failure it stands for
    assert path.read_bytes() == half and leftovers(tmp_path) == []


def test_a_workbook_caught_half_written_while_read_is_busy_not_corrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sheetfunnel.backends.excel import reader
    from sheetfunnel.errors import SpreadsheetError

    path = make_contacts_xlsx(tmp_path / "pipeline.xlsx", rows=300)
    theirs = make_contacts_xlsx(tmp_path / "theirs.xlsx", rows=400).read_bytes()
    real = reader.fingerprint

    def fingerprint_then_someone_saves(p):
        token = real(p)
        in_place(path, theirs[: len(theirs) // 2])  # caught mid-write
        return token

    monkeypatch.setattr(reader, "fingerprint", fingerprint_then_someone_saves)
    with pytest.raises(BusyError, match="the workbook changed during the sync"):
        ExcelBackend(path).read("Contacts", 1, None, 1)
    monkeypatch.setattr(reader, "fingerprint", real)
    # the same half-written file, not moving: a damaged workbook (exit 5)
    with pytest.raises(SpreadsheetError):
        ExcelBackend(path).read("Contacts", 1, None, 1)


def test_a_crash_right_after_the_swap_never_loses_a_displaced_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed between the exchange and the proof while someone saved: the displaced file (a
    user's save) waits under a name the stale-temp cleanup never deletes; the next sync
    keeps it in the backups folder, under a name pruning never matches."""
    from sheetfunnel.backends.excel import safesave

    path = make_contacts_xlsx(tmp_path / "pipeline.xlsx")
    theirs = their_version(tmp_path)
    backend = ExcelBackend(path)
    data = backend.read("Contacts", 1, None, 1)

    def hook(name: str) -> None:
        if name == "backup":
            in_place(path, theirs)
        elif name == "swapped":
            raise KeyboardInterrupt  # as good as a kill -9 for what is left on disk

    monkeypatch.setattr(swap, "step_hook", hook)
    with pytest.raises(KeyboardInterrupt):
        backend.write(build_plan(data), data)
    monkeypatch.setattr(swap, "step_hook", None)
    (left,) = [p for p in tmp_path.iterdir() if p.name.endswith(".displaced")]
    assert left.read_bytes() == theirs
    monkeypatch.setattr(safesave, "DISPLACED_MIN_AGE", 0.0)
    again = ExcelBackend(path)
    fresh = again.read("Contacts", 1, None, 1)
    again.write(build_plan(fresh), fresh)  # its stale-temp cleanup finds the displaced file
    kept = list((tmp_path / ".sheetfunnel-backups").glob("pipeline.left-by-an-interrupted-*"))
    assert [k.read_bytes() for k in kept] == [theirs]
    assert leftovers(tmp_path) == []
