"""What the History tab tells over time: the transitions of a contact or a period, how long
contacts stay in each stage, and how many moved forward or back since the previous sync.

History rows are (Date, Contact, From, To, Score, Reason, Set by hand), oldest first, one per
stage change; the tab is bounded, so durations only see the changes it still holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .backends.base import EPOCH_1900, Backend, CellValue, Rows
from .cells import parse_dates
from .config import Config
from .errors import InputError
from .tabs import history_frame

#: Labels of the Summary rows this module reads back on the next sync.
AS_OF_LABEL = "As of"
PREVIOUS_LABEL = "Previous sync"


@dataclass(frozen=True)
class StageFlow:
    """Movement through the funnel, for the Summary tab.

    `days_in_stage`: per stage (config order), the median days a stay lasts and how many stays
    were measured: finished stays between consecutive History entries of a contact, plus every
    contact's current stay so far (from its Stage since). `forward`/`backward`: contacts whose
    stage rose or fell (ladder order; exits rank lowest) in History entries after `previous`
    (the as-of date of the last sync on an earlier day), up to the as-of date.
    """

    days_in_stage: pd.DataFrame
    forward: int
    backward: int
    previous: dt.date | None


def history_table(rows: Rows, config: Config, epoch: dt.date = EPOCH_1900) -> pd.DataFrame:
    """The History tab's rows as typed columns: date (datetime64), contact, from_stage,
    to_stage, score, reason, overridden; rows without a readable date are left out."""
    raw = history_frame(rows)
    dates, _ = parse_dates(
        raw["Date"].astype(object),
        order=config.source.date_order,
        timezone=config.source.timezone,
        epoch=epoch,
    )
    frame = pd.DataFrame(
        {
            "date": dates.dt.normalize(),
            "contact": raw["Contact"].map(_text),
            "from_stage": raw["From"].map(_text),
            "to_stage": raw["To"].map(_text),
            "score": pd.to_numeric(raw["Score"], errors="coerce"),
            "reason": raw["Reason"].map(_text),
            "overridden": raw["Set by hand"].map(_text).str.casefold().eq("yes"),
        }
    )
    return frame[frame["date"].notna() & frame["contact"].ne("")].reset_index(drop=True)


def _text(value: CellValue) -> str:
    return "" if value is None else str(value).strip()


#: Years a datetime64[ns] holds whole (1677-09-21 to 2262-04-11), bounds excluded.
_STAMP_YEARS = (1677, 2262)


def _day(value: CellValue, config: Config, epoch: dt.date) -> dt.date | None:
    """A date cell (date, serial or text) as a day, or None."""
    if value is None:
        return None
    # a date cell as calamine reads it, in the years a timestamp holds (the bulk parser,
    # which reads a typo such as 3024 as no date, costs 2.5 ms for one cell)
    if isinstance(value, dt.date) and _STAMP_YEARS[0] < value.year < _STAMP_YEARS[1]:
        if not isinstance(value, dt.datetime):
            return value
        if value.tzinfo is None:
            return value.date()
    parsed, _ = parse_dates(
        pd.Series([value], dtype=object),
        order=config.source.date_order,
        timezone=config.source.timezone,
        epoch=epoch,
    )
    stamp = parsed.iloc[0]
    return None if pd.isna(stamp) else stamp.date()


def previous_sync(
    summary_rows: Rows, as_of: dt.date, config: Config, epoch: dt.date = EPOCH_1900
) -> dt.date | None:
    """The as-of date of the last sync on a day before `as_of`, from the Summary tab it wrote.

    A rerun on the same day keeps the date the earlier run found, so the "moved since" counts
    of a rerun with unchanged input are the same (and the Summary is unchanged).
    """
    found: dict[str, dt.date | None] = {}
    for row in summary_rows:
        if len(row) >= 2 and row[0] in (AS_OF_LABEL, PREVIOUS_LABEL):
            found.setdefault(str(row[0]), _day(row[1], config, epoch))
    last = found.get(AS_OF_LABEL)
    if last is not None and last < as_of:
        return last
    return found.get(PREVIOUS_LABEL)


def stage_flow(
    config: Config,
    history: pd.DataFrame,
    current: pd.DataFrame,
    as_of: dt.date,
    previous: dt.date | None,
) -> StageFlow:
    """Time in stage and moves since the previous sync.

    `history`: as from `history_table` (after this sync's changes were added). `current`: one
    row per contact with columns key, stage and since (datetime64: its Stage since).
    """
    day = pd.Timestamp(as_of)
    stays = [_finished_stays(history)]
    now = current[["stage", "since"]].dropna()
    stays.append(
        pd.DataFrame(
            {
                "stage": now["stage"].astype(object).to_numpy(),
                "days": ((day - now["since"]).dt.days.clip(lower=0)).to_numpy("float64"),
            }
        )
    )
    every = pd.concat(stays, ignore_index=True)
    names = [s.name for s in config.all_stages()]
    grouped = every.groupby("stage")["days"]
    days = pd.DataFrame({"median_days": grouped.median(), "stays": grouped.size()}).reindex(names)
    days["stays"] = days["stays"].fillna(0).astype("int64")
    days.index.name = "stage"

    window = history["date"].le(day)
    if previous is not None:
        window &= history["date"].gt(pd.Timestamp(previous))
    else:
        window &= history["date"].eq(day)
    moves = history[window & history["from_stage"].ne("")]
    net = moves.groupby(moves["contact"].str.casefold(), sort=False).agg(
        first=("from_stage", "first"), last=("to_stage", "last")
    )
    rank = config.ladder_rank()
    step = net["last"].map(rank).astype("float64") - net["first"].map(rank).astype("float64")
    return StageFlow(
        days_in_stage=days,
        forward=int((step > 0).sum()),
        backward=int((step < 0).sum()),
        previous=previous,
    )


def _finished_stays(history: pd.DataFrame) -> pd.DataFrame:
    """Stays that ended: from one History entry of a contact to its next one."""
    if history.empty:
        return pd.DataFrame({"stage": [], "days": []})
    frame = history.assign(who=history["contact"].str.casefold(), order=np.arange(len(history)))
    frame = frame.sort_values(["who", "date", "order"], kind="stable")
    following = frame.groupby("who", sort=False)["date"].shift(-1)
    done = following.notna()
    return pd.DataFrame(
        {
            "stage": frame.loc[done, "to_stage"].to_numpy(object),
            "days": (following[done] - frame.loc[done, "date"]).dt.days.to_numpy("float64"),
        }
    )


def read_history(
    backend: Backend,
    config: Config,
    *,
    contact: str | None = None,
    since: dt.date | None = None,
) -> pd.DataFrame:
    """The stage changes in the History tab, oldest first, optionally of one contact (any
    case) and from a date on. Raises InputError when the spreadsheet has no History tab."""
    src, out = config.source, config.output
    data = backend.read(src.contacts_tab, src.header_row, key_header=config.columns.key or "")
    if "history" not in data.owned:
        raise InputError(
            f"{data.source or 'the spreadsheet'} has no History tab of sheetfunnel's yet: it "
            "is created by the first `sheetfunnel sync`.",
            file=data.source or None,
            sheet=out.history_tab,
        )
    table = history_table(data.owned["history"], config, data.serial_epoch)
    if contact:
        table = table[table["contact"].str.casefold().eq(contact.strip().casefold())]
    if since is not None:
        table = table[table["date"].ge(pd.Timestamp(since))]
    return table.reset_index(drop=True)
