"""Score what the user points at without writing anything: `score` prints the result, and
`check-config --source` uses it to check a config against the real sheet (every tab, header
and activity name, with the messages a sync would give)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from . import engine
from .config import Config
from .errors import InputError
from .headers import with_tab_key
from .normalise import Notice
from .progress import SILENT, Progress
from .sources import read_source


def score_source(
    target: str | Path,
    config: Config,
    as_of: dt.date | None = None,
    *,
    progress: Progress = SILENT,
) -> engine.Results:
    """Read `target` (workbook, CSV or Google Sheet) as `config` says and score it; the
    notices of the reading (a CSV's dialect, no log file) come first. `progress` hears
    when reading and scoring begin."""
    read_notices: list[Notice] = []
    progress.step(f"Reading {target}")
    try:
        _, data, lookups = read_source(target, config, notices=read_notices)
    except InputError as ex:
        raise with_tab_key(ex, config) from ex
    progress.step(f"Scoring {len(data.contacts):,} contacts")
    results = engine.score(
        config,
        data.contacts,
        data.activities,
        as_of=as_of,
        lookups=lookups,
        serial_epoch=data.serial_epoch,
        source=str(target),
    )
    return dataclasses.replace(results, notices=(*read_notices, *results.notices))
