"""Formula error cells (#REF!, #DIV/0!, #N/A, Sheets' #ERROR!) in the input, on both
backends: never read as blank. In a key or date column they stop the run naming the cell (or
are skipped with a counted notice under on_bad_date = "warn"); elsewhere they count as
missing, with a notice.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .cells import formula_errors
from .config import Config
from .errors import InputError
from .notices import EXAMPLES, Notice, plural


def errors(
    config: Config,
    values: pd.Series,
    tab: str,
    source: str,
    notices: list[Notice],
    *,
    strict: str | None = None,
    bad: pd.Series | None = None,
) -> pd.Series:
    """The formula error cells (#REF!, #DIV/0!, #N/A...) of a column, reported.

    In a key or date column (`strict`: what happens to them under on_bad_date = "warn",
    "skipped": the row, or "left empty") they stop the run naming the cell; elsewhere they count as
    missing, with a notice. `bad`: those cells, when the caller has already found them.
    """
    if bad is None:
        bad = formula_errors(values)
    count = int(bad.sum())
    if not count:
        return bad
    column = str(values.name)
    shown = "; ".join(f"row {r}: {values[r]}" for r in values.index[bad][:EXAMPLES])
    more = "..." if count > EXAMPLES else ""
    text = (
        f"column {column!r} (tab {tab!r}): {plural(count, 'cell')} with a formula error "
        f"({shown}{more})"
    )
    if strict and config.source.on_bad_date == "error":
        raise InputError(
            text + '; fix the formulas, or set source.on_bad_date = "warn" to skip them.',
            file=source or None,
            sheet=tab,
            column=column,
            row=int(values.index[bad][0]),
        )
    skipped = plural(count, "row", verb="was") + " skipped"
    outcomes = {"skipped": skipped, "left empty": "left empty"}
    what = outcomes.get(strict or "", "counted as missing")
    notices.append(Notice("formula_errors", count, f"{text}: {what}"))
    return bad


def clear(values: pd.Series, bad: pd.Series) -> pd.Series:
    """`values` with the `bad` cells emptied."""
    return values.where(~bad, None) if bad.any() else values


def log_errors(
    config: Config,
    activities: pd.DataFrame,
    cols: Mapping[str, str],
    tab: str,
    source: str,
    notices: list[Notice],
    *,
    found: Mapping[str, pd.Series] | None = None,
) -> pd.DataFrame:
    """Activity rows without formula errors: an error naming the contact or dating the
    activity skips the row (or stops the run), elsewhere it counts as missing.

    `found`: the error cells of the fields (contact, type...) the caller has already found.
    The frame itself comes back when it has no formula error.
    """
    found = found or {}
    skip = pd.Series(False, index=activities.index)
    for field in ("contact", "date"):
        values = activities[cols[field]]
        bad = found.get(field)
        skip |= errors(config, values, tab, source, notices, strict="skipped", bad=bad)
    cleared = {}
    for field in ("type", "value"):
        if field in cols:
            values = activities[cols[field]]
            bad = errors(config, values, tab, source, notices, bad=found.get(field))
            if bad.any():
                cleared[cols[field]] = clear(activities[cols[field]], bad)
    if cleared:
        activities = activities.assign(**cleared)
    return activities[~skip] if skip.any() else activities
