"""The one function that scores a contacts table and an activity log: `score`.

It is the library's front door for notebooks and the CLI alike: DataFrames in, `Results` out,
no spreadsheet involved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from . import rollup, scoring, stages, summary
from .backends.base import EPOCH_1900
from .config import Config
from .normalise import Notice, prepare
from .usable import fit_to_sheet

#: Columns of `Results.contacts`, in the order exports show them.
RESULT_COLUMNS = (
    "key",
    "name",
    "company",
    "title",
    "source",
    "owner",
    "fit",
    "engagement",
    "score",
    "stage",
    "overridden",
    "computed_stage",
    "next_action",
    "first_touch",
    "last_activity",
    "why",
)


@dataclass(frozen=True)
class Results:
    """What scoring produces.

    contacts: one row per contact (duplicates merged): the mapped fields, fit, engagement,
    score, stage, overridden, computed_stage, kind, next_action, first_touch, last_activity,
    prospect_since, direct, why, row (first sheet row).
    row_contact: sheet row -> position in `contacts`, for writing results back row by row.
    companies: the per-company roll-up. summary: the funnel metrics.
    notices: what was skipped, merged or ignored in the data, for the user to read.
    """

    contacts: pd.DataFrame
    row_contact: pd.Series
    companies: pd.DataFrame
    summary: summary.Summary
    notices: tuple[Notice, ...]
    as_of: pd.Timestamp


def as_of_timestamp(config: Config, as_of: dt.date | dt.datetime | str | None) -> pd.Timestamp:
    """The reference moment, naive in the config's zone; a date means that day at midnight."""
    zone = ZoneInfo(config.source.timezone)
    if as_of is None:
        return pd.Timestamp(dt.datetime.now(zone).date())
    ts = pd.Timestamp(as_of)
    if ts.tzinfo is not None:
        ts = ts.tz_convert(zone).tz_localize(None)
    return ts


def sheet_config(
    config: Config, contacts: pd.DataFrame, lookups: Mapping[str, pd.DataFrame] | None
) -> tuple[Config, Notice | None]:
    """The config without the fields neither the contacts tab nor a lookup tab has."""
    headers = [*contacts.columns]
    for frame in (lookups or {}).values():
        headers += list(frame.columns)
    return fit_to_sheet(config, headers)


def score(
    config: Config,
    contacts: pd.DataFrame,
    activities: pd.DataFrame | None = None,
    *,
    as_of: dt.date | dt.datetime | str | None = None,
    lookups: Mapping[str, pd.DataFrame] | None = None,
    serial_epoch: dt.date = EPOCH_1900,
    source: str = "",
) -> Results:
    """Score and stage every contact and summarise the funnel.

    `contacts` and `activities` are raw tables whose columns are the sheet's headers (as
    `pandas.read_excel`/`read_csv` give them, or as a backend reads them); `lookups` are extra
    tabs joined per `source.lookups`. `as_of` defaults to today in the config's time zone.
    """
    ts = as_of_timestamp(config, as_of)
    config, unused = sheet_config(config, contacts, lookups)
    prepared = prepare(
        config,
        contacts,
        activities,
        as_of=ts,
        lookups=lookups,
        serial_epoch=serial_epoch,
        source=source,
    )
    people = prepared.contacts
    scores = scoring.score(config, people, prepared.activities, ts)
    placed, notices = stages.assign_stages(config, people, scores, ts)
    table = pd.concat([people, scores.table, placed], axis=1)
    created = table["created"] if "created" in table else pd.Series(pd.NaT, index=table.index)
    table["first_touch"] = np.fmin(
        created.to_numpy(dtype="datetime64[ns]"),
        table["first_activity"].to_numpy(dtype="datetime64[ns]"),
    )
    table = table.drop(columns=["first_activity"])
    first = [c for c in RESULT_COLUMNS if c in table]
    table = table[first + [c for c in table.columns if c not in first]]
    return Results(
        contacts=table,
        row_contact=prepared.row_contact,
        companies=rollup.companies(config, table),
        summary=summary.summarise(config, table, ts),
        notices=(unused,) * (unused is not None) + prepared.notices + tuple(notices),
        as_of=ts,
    )
