"""What each run did (one JSON line per run) and what its input was (a fingerprint), so that
a scheduled run whose input has not changed since the last one can skip the work.

A fingerprint covers everything a run's result depends on: the input (a workbook file's size,
mtime and SHA-256, or a hash of the values read for other sources), the as-of date (decay and
recency change with the day even when the sheet does not), the config and sheetfunnel's version.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from . import __version__
from .config import Config
from .ownership import adopt

Outcome = Literal["synced", "unchanged", "nothing-changed", "busy", "error", "dry-run"]
OUTCOMES: tuple[str, ...] = ("synced", "unchanged", "nothing-changed", "busy", "error", "dry-run")


@dataclass(frozen=True)
class RunRecord:
    """One run, as appended to the run log. Counts are None when the run did not get that far
    (unchanged input, busy, error)."""

    start: str  # ISO 8601, UTC
    duration_s: float
    command: str  # "sync" or "watch"
    target: str
    as_of: str  # YYYY-MM-DD
    outcome: Outcome
    contacts: int | None = None
    stages: dict[str, int] | None = None
    stage_changes: int | None = None
    promotions: int | None = None
    demotions: int | None = None
    cells_written: int | None = None
    history_dropped: int | None = None
    #: What a person should look at: values typed over our cells, overrides naming no stage,
    #: our names clashing with the user's.
    warnings: tuple[str, ...] = ()
    error: str | None = None
    exit_code: int = 0

    def to_json(self) -> str:
        """One line of the run log."""
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))


def append_record(
    path: Path, record: RunRecord, *, max_bytes: int = 0, like: Path | None = None
) -> None:
    """Append `record` as one line; past `max_bytes` the log first moves to `<log>.1`.

    One write of one line in append mode: lines from concurrent runs never interleave.
    `like`: the workbook the log sits beside; a log (and folders) created take its owner.
    """
    if like is not None:
        _make_folders(path.parent, like)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    if max_bytes > 0:
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_size >= max_bytes:
                os.replace(path, path.with_name(path.name + ".1"))  # noqa: PTH105
    line = (record.to_json() + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        if _torn(path):  # a full disk cut the last record short: start on a fresh line
            line = b"\n" + line
        os.write(fd, line)
    finally:
        os.close(fd)
    if new and like is not None:
        adopt(path, like)


def _make_folders(folder: Path, like: Path) -> None:
    """Create `folder` and its missing parents, each taking `like`'s owner."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for made in reversed(missing):
        made.mkdir(exist_ok=True)
        adopt(made, like, folder=True)


def _torn(path: Path) -> bool:
    """Whether the log's last line lacks its newline (a write cut short)."""
    try:
        with path.open("rb") as fh:
            if fh.seek(0, os.SEEK_END) == 0:
                return False
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) != b"\n"
    except OSError:
        return False


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a run log, oldest first; a torn last line is skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    for line in text.splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            yield json.loads(line)


# --------------------------------------------------------------------------- fingerprints


def file_fingerprint(path: Path) -> str:
    """Size, modification time (ns) and SHA-256 of a file, as one string."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        st = os.fstat(fh.fileno())
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return f"file:{st.st_size}:{st.st_mtime_ns}:{digest.hexdigest()}"


def values_fingerprint(frames: Mapping[str, pd.DataFrame | None]) -> str:
    """A hash of the cells of some tables (headers, row numbers and values), by name."""
    digest = hashlib.sha256()
    for name in sorted(frames):
        frame = frames[name]
        digest.update(f"\x00table:{name}\x00".encode())
        if frame is None:
            continue
        digest.update(json.dumps([str(c) for c in frame.columns]).encode())
        digest.update(pd.util.hash_pandas_object(frame.index).to_numpy().tobytes())
        for column in range(frame.shape[1]):
            # Per column, over its distinct cells (factorised): 2x faster than hashing every
            # cell as text. A date and its ISO text hash alike; they read the same anyway.
            cells = frame.iloc[:, column].astype(object)
            hashed = pd.util.hash_pandas_object(cells, index=False, categorize=True)
            digest.update(hashed.to_numpy().tobytes())
    return "values:" + digest.hexdigest()


def config_fingerprint(config: Config) -> str:
    """A hash of the whole validated config and of sheetfunnel's version."""
    text = __version__ + "\x00" + config.model_dump_json()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Stamp:
    """What a run's result depends on; equal stamps give equal results."""

    input: str
    as_of: str
    config: str


class StateStore:
    """The stamp of the last completed run of each target, one small JSON file per target."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def _file(self, target_id: str) -> Path:
        name = hashlib.sha256(target_id.encode("utf-8")).hexdigest()[:24]
        return self.folder / "runs" / f"{name}.json"

    def get(self, target_id: str) -> Stamp | None:
        """The last stamp saved for the target, or None (never run, or unreadable state)."""
        try:
            data = json.loads(self._file(target_id).read_text(encoding="utf-8"))
            return Stamp(**data["stamp"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, target_id: str, stamp: Stamp, *, when: dt.datetime, revision: str = "") -> None:
        """Save the stamp of a completed run (atomically: a crash keeps the previous one),
        and the spreadsheet revision its cells were read at, when known."""
        file = self._file(target_id)
        file.parent.mkdir(parents=True, exist_ok=True)
        body = {"target": target_id, "saved": when.isoformat(), "stamp": asdict(stamp)}
        if revision:
            body["revision"] = revision
        tmp = file.with_suffix(f".{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(body, indent=1), encoding="utf-8")
            os.replace(tmp, file)  # noqa: PTH105
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()  # a full disk leaves no half-written state behind
            raise

    def revision(self, target_id: str) -> str:
        """The revision saved with the last stamp ("" when none)."""
        try:
            data = json.loads(self._file(target_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return ""
        value = data.get("revision", "") if isinstance(data, dict) else ""
        return value if isinstance(value, str) else ""

    def forget(self, target_id: str) -> None:
        """Drop the target's stamp: its next run does the whole work."""
        with contextlib.suppress(FileNotFoundError):
            self._file(target_id).unlink()
