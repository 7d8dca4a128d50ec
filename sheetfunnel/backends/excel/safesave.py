"""Saving a user's only copy safely: lock files, fingerprint, temp file, backup, atomic swap."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Fingerprint:
    """What the workbook file was when it was read; compared again right before replacing."""

    size: int
    mtime_ns: int
    sha256: str


def fingerprint(path: Path) -> Fingerprint:
    """Size, modification time and content hash of `path`."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        st = os.fstat(fh.fileno())
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return Fingerprint(st.st_size, st.st_mtime_ns, digest.hexdigest())
