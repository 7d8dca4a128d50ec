"""From raw cells to typed frames: one row per contact, one row per activity.

What a real sheet holds and how it is handled: blank rows are skipped; a configured header
that is missing stops the run (with a "did you mean"); duplicate contacts are merged (first
non-empty value wins) and reported; activity rows for unknown contacts, activity types with no
points and future-dated activities are counted, reported and left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .backends.base import EPOCH_1900
from .cells import (
    casefold,
    coded_formula_errors,
    distinct_keys,
    factorize,
    malformed_emails,
    parse_dates,
    parse_flags,
    parse_numbers,
    positions,
    to_key,
    to_text,
)
from .config import Config
from .errors import InputError
from .formulaerrors import clear, errors, log_errors
from .headers import resolve_headers
from .mapping import fold
from .notices import EXAMPLES, Notice, plural

__all__ = ["Notice", "Prepared", "plural", "prepare", "resolve_headers", "type_lookup"]

#: Text fields kept as text; everything else a rule compares by range is read as a number.
DATE_FIELDS = ("created",)


@dataclass(frozen=True)
class Prepared:
    """Typed inputs of the scoring.

    contacts: one row per contact (index 0..n-1): `key`, every mapped field (text, numbers for
    range-rule fields, `created` as a timestamp), `row` (first sheet row).
    row_contact: sheet row (the raw frame's index) -> contact index, for every contact row.
    activities: `contact` (int), `type` (categorical of activity type ids), `date`
    (timestamp, NaT for counter columns without a date), `count` (float weight).
    """

    contacts: pd.DataFrame
    row_contact: pd.Series
    activities: pd.DataFrame
    notices: tuple[Notice, ...]


def prepare(
    config: Config,
    contacts: pd.DataFrame,
    activities: pd.DataFrame | None = None,
    *,
    as_of: pd.Timestamp,
    lookups: Mapping[str, pd.DataFrame] | None = None,
    serial_epoch: dt.date = EPOCH_1900,
    source: str = "",
) -> Prepared:
    """Type and clean the raw tables; see `Prepared` for what comes out."""
    notices: list[Notice] = []
    raw = _join_lookups(config, contacts, lookups or {}, source, notices)
    contact_frame, row_contact, folded = _prepare_contacts(
        config, raw, serial_epoch, source, notices
    )
    acts = [_log_activities(config, activities, folded, serial_epoch, source, notices)]
    acts += _column_activities(config, raw, row_contact, serial_epoch, source, notices)
    frames = [a for a in acts if a is not None and len(a)]
    if frames:
        log = pd.concat(frames, ignore_index=True)
    else:
        log = pd.DataFrame(
            {"contact": np.array([], dtype="int64"), "type": [], "date": [], "count": []}
        )
    log["date"] = log["date"].astype("datetime64[ns]")
    if not isinstance(log["type"].dtype, pd.CategoricalDtype):  # only when there was no row
        log["type"] = pd.Categorical(log["type"], categories=list(config.activity_types))
    log["count"] = log["count"].astype("float64")
    future = log["date"] > _end_of_day(as_of)
    if future.any():
        notices.append(
            Notice(
                "future_activities",
                int(future.sum()),
                f"{plural(int(future.sum()), 'activity', 'activities')} dated after the as-of date "
                f"{as_of:%Y-%m-%d}: ignored",
            )
        )
        log = log[~future].reset_index(drop=True)
    return Prepared(contact_frame, row_contact, log, tuple(notices))


def _end_of_day(as_of: pd.Timestamp) -> pd.Timestamp:
    if as_of == as_of.normalize():
        return as_of + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return as_of


def _join_lookups(
    config: Config,
    contacts: pd.DataFrame,
    lookups: Mapping[str, pd.DataFrame],
    source: str,
    notices: list[Notice],
) -> pd.DataFrame:
    out = contacts
    for i, lk in enumerate(config.source.lookups):
        if lk.tab not in lookups:
            raise InputError(
                f"lookup tab {lk.tab!r} was not read (tabs read: {', '.join(lookups) or 'none'})",
                file=source or None,
                sheet=lk.tab,
            )
        table = lookups[lk.tab]
        at = f"source.lookups[{i}]"
        match = resolve_headers(
            out.columns,
            {"match": lk.match},
            tab=config.source.contacts_tab,
            source=source,
            keys={"match": f"{at}.match"},
        )
        key = resolve_headers(
            table.columns,
            {"key": lk.key},
            tab=lk.tab,
            source=source,
            keys={"key": f"{at}.key"},
            header_key=f"{at}.header_row",
        )
        table = table[~errors(config, table[key["key"]], lk.tab, source, notices, strict="skipped")]
        table = table.assign(_lk=to_key(table[key["key"]]))
        table = table.dropna(subset=["_lk"]).drop_duplicates("_lk")
        extra = [c for c in table.columns if c not in out.columns and c != "_lk"]
        index = pd.Index(table["_lk"])
        pos = index.get_indexer(to_key(out[match["match"]]))
        joined = table[extra].to_numpy(dtype=object)
        values = np.full((len(out), len(extra)), None, dtype=object)
        hit = pos >= 0
        values[hit] = joined[pos[hit]]
        out = out.assign(**{c: values[:, i] for i, c in enumerate(extra)})
    return out


def _numeric_fields(config: Config) -> set[str]:
    fields = {r.field for r in config.fit.rules if r.kind() == "range"}
    return fields | ({"company_size"} if config.columns.company_size else set())


def _prepare_contacts(
    config: Config, raw: pd.DataFrame, epoch: dt.date, source: str, notices: list[Notice]
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """The contacts (duplicates merged), sheet row -> contact, and each contact's case-folded
    key, which activity rows are matched on (folded once: 11 ms on 100,000 keys)."""
    tab = config.source.contacts_tab
    extra = {f: f"columns.extra.{f}" for f in config.columns.extra}
    cols = resolve_headers(
        raw.columns, config.columns.mapped(), tab=tab, source=source, keys=extra, frame=raw
    )
    raw = raw[~_blank_rows(raw)]
    if "key" in cols:
        raw = raw[~errors(config, raw[cols["key"]], tab, source, notices, strict="skipped")]

    if "key" in cols:
        key = to_text(raw[cols["key"]])
        emails = key.str.contains("@", regex=False).fillna(False).astype(bool)
        key = key.where(~emails, key.str.lower())
    else:  # no key column: every row is a contact of its own
        key = pd.Series("row " + raw.index.astype(str), index=raw.index, dtype="string")
    nokey = key.isna()
    if nokey.any():
        rows = ", ".join(str(r) for r in raw.index[nokey][:EXAMPLES])
        notices.append(
            Notice(
                "no_key",
                int(nokey.sum()),
                f"{plural(int(nokey.sum()), 'row', verb='was')} skipped: no {config.columns.key!r} "
                f"(rows {rows}{'...' if nokey.sum() > EXAMPLES else ''})",
            )
        )
    raw, key = raw[~nokey], key[~nokey]
    if "key" in cols:
        _report_malformed(key, config.columns.key, notices)

    typed: dict[str, pd.Series] = {"key": key}
    numeric = _numeric_fields(config)
    for field, column in cols.items():
        if field == "key":
            continue
        values = raw[column]
        strict = "left empty" if field in DATE_FIELDS else None
        values = clear(values, errors(config, values, tab, source, notices, strict=strict))
        if field in DATE_FIELDS:
            typed[field] = _dates(config, values, epoch, source, tab, column, notices)
        elif field in numeric:
            number, bad = parse_numbers(values, decimal=config.source.decimal)
            if bad.any():
                notices.append(_bad_notice("bad_numbers", bad, values, column, "numbers"))
            typed[field] = number
        else:
            typed[field] = to_text(values)
    typed["row"] = pd.Series(raw.index, index=raw.index)
    frame = pd.DataFrame(typed)

    codes, uniques = pd.factorize(casefold(frame["key"]))
    frame["_contact"] = codes
    dups = len(frame) - len(uniques)
    if dups:
        repeated = frame.loc[frame["_contact"].duplicated(), "key"].unique()[:EXAMPLES]
        repeated = [str(r) for r in repeated]
        notices.append(
            Notice(
                "duplicate_contacts",
                dups,
                f"{plural(dups, 'duplicate contact row', verb='was')} merged into the first "
                f"row with the same {config.columns.key!r} (e.g. {', '.join(repeated)})",
            )
        )
    merged = frame.groupby("_contact", sort=True).first()
    merged.index.name = None
    row_contact = pd.Series(codes, index=raw.index, name="contact")
    return merged.reset_index(drop=True), row_contact, pd.Series(uniques)


def _blank_rows(raw: pd.DataFrame) -> pd.Series:
    """Rows without a filled cell, column by column: a column filled everywhere (the key
    column, often the first) ends the scan."""
    blank = np.ones(len(raw), dtype=bool)
    for j in range(raw.shape[1]):
        if not blank.any():
            break
        blank &= raw.iloc[:, j].isna().to_numpy()
    return pd.Series(blank, index=raw.index)


def _report_malformed(keys: pd.Series, header: str, notices: list[Notice]) -> None:
    bad = malformed_emails(keys)
    if bad.any():
        count = int(bad.sum())
        shown = ", ".join(f"row {r}: {keys[r]!r}" for r in keys.index[bad][:EXAMPLES])
        notices.append(
            Notice(
                "malformed_emails",
                count,
                f"{plural(count, 'e-mail key')} in {header!r} cannot be an e-mail address "
                f"({shown}{'...' if count > EXAMPLES else ''}): kept as written; check them",
            )
        )


def _dates(
    config: Config,
    values: pd.Series,
    epoch: dt.date,
    source: str,
    tab: str,
    column: str,
    notices: list[Notice],
) -> pd.Series:
    dates, bad = parse_dates(
        values, order=config.source.date_order, timezone=config.source.timezone, epoch=epoch
    )
    if bad.any():
        examples = "; ".join(f"row {r}: {values[r]!r}" for r in values.index[bad][:EXAMPLES])
        text = (
            f"column {column!r} (tab {tab!r}): "
            f"{plural(int(bad.sum()), 'cell', verb='is')} not a date ({examples}). "
            f"Dates are read as ISO (2024-03-15) or "
            f"{_order_example(config.source.date_order)} per source.date_order"
        )
        if config.source.on_bad_date == "error":
            raise InputError(
                text + '; fix the cells, or set source.on_bad_date = "warn" to skip them.',
                file=source or None,
                sheet=tab,
                column=column,
                row=int(values.index[bad][0]),
            )
        notices.append(Notice("bad_dates", int(bad.sum()), text + "; they were left empty"))
    return dates


def _order_example(order: str) -> str:
    return {"DMY": "15/03/2024", "MDY": "03/15/2024", "YMD": "2024/03/15"}[order]


def _bad_notice(kind: str, bad: pd.Series, values: pd.Series, column: str, what: str) -> Notice:
    examples = ", ".join(repr(values[r]) for r in values.index[bad][:EXAMPLES])
    return Notice(
        kind,
        int(bad.sum()),
        f"column {column!r}: {plural(int(bad.sum()), 'cell', verb='is')} not {what} "
        f"(e.g. {examples}); "
        "counted as missing",
    )


def type_lookup(config: Config) -> dict[str, str]:
    """Case-folded text seen in an activity log -> activity type id."""
    lookup: dict[str, str] = {}
    for type_id, at in config.activity_types.items():
        for text in (type_id, type_id.replace("_", " "), at.label or "", *at.labels):
            if text:
                lookup.setdefault(text.strip().casefold(), type_id)
    for text, type_id in config.activities.labels.items():
        lookup.setdefault(text.strip().casefold(), type_id)
    return lookup


def _log_activities(
    config: Config,
    activities: pd.DataFrame | None,
    folded: pd.Series,
    epoch: dt.date,
    source: str,
    notices: list[Notice],
) -> pd.DataFrame | None:
    if activities is None:
        return None
    tab = config.source.activities_tab or "activities"
    log_cfg = config.activities
    wanted = {"contact": log_cfg.contact, "type": log_cfg.type, "date": log_cfg.date}
    if log_cfg.value:
        wanted["value"] = log_cfg.value
    cols = resolve_headers(
        activities.columns,
        wanted,
        tab=tab,
        source=source,
        keys={f: f"activities.{f}" for f in wanted},
        header_key="source.activities_header_row",
        frame=activities,
    )
    # A million rows name a few thousand contacts and a dozen types: work on distinct values,
    # formula errors included.
    key_codes, key_cells = factorize(activities[cols["contact"]])
    type_codes, type_cells = factorize(activities[cols["type"]])
    coded = {
        "contact": coded_formula_errors(activities[cols["contact"]], key_codes, key_cells),
        "type": coded_formula_errors(activities[cols["type"]], type_codes, type_cells),
    }
    checked = log_errors(config, activities, cols, tab, source, notices, found=coded)
    if checked is not activities:  # rows skipped or cells cleared: code what is left
        activities = checked
        key_codes, key_cells = factorize(activities[cols["contact"]])
        type_codes, type_cells = factorize(activities[cols["type"]])
    # blank rows (no contact, no type, nothing else in our columns) are skipped silently
    maybe = np.flatnonzero((key_codes < 0) & (type_codes < 0))
    others = [c for f, c in cols.items() if f not in ("contact", "type")]
    empty = maybe[~activities.iloc[maybe][others].notna().any(axis=1).to_numpy()]
    if len(empty):
        rows = np.ones(len(activities), dtype=bool)
        rows[empty] = False
        activities, key_codes, type_codes = activities[rows], key_codes[rows], type_codes[rows]

    keys = distinct_keys(pd.Series(key_cells, dtype=object)).astype("string")
    found = positions(keys, folded)
    contact = np.append(found, -1)[key_codes]
    unknown = contact < 0
    if unknown.any():
        examples = list(keys[found < 0].dropna()[:EXAMPLES])
        notices.append(
            Notice(
                "unknown_contacts",
                int(unknown.sum()),
                f"{plural(int(unknown.sum()), 'activity row')} naming a contact that is not in "
                f"the contacts tab: left out (e.g. {', '.join(examples) or 'blank'})",
            )
        )

    labels = to_text(pd.Series(type_cells, dtype=object)).str.casefold()
    lookup = type_lookup(config)
    order = {t: i for i, t in enumerate(config.activity_types)}
    folded = {fold(k): v for k, v in lookup.items()}
    mapped = [
        order.get(lookup.get(t) or folded.get(fold(t)), -1) if isinstance(t, str) else -1
        for t in labels
    ]
    type_code = np.array([*mapped, -1])[type_codes]  # a blank cell (code -1) picks the last -1
    untyped = type_code < 0
    dropped = untyped & ~unknown
    if dropped.any():
        codes, counts = np.unique(type_codes[dropped], return_counts=True)
        # a name of only spaces is blank (NA once stripped), shown as such
        names = [None if c < 0 or pd.isna(labels[c]) else labels[c] for c in codes]
        from .unmatched import unmatched_notice

        notices.append(unmatched_notice(config, names, counts, int((~unknown).sum())))
    keep = ~unknown & ~untyped
    dates = _dates(
        config, activities[cols["date"]][keep], epoch, source, tab, cols["date"], notices
    )
    weight = np.ones(int(keep.sum()))
    per_value = np.array([t.per_value for t in config.activity_types.values()], dtype=bool)
    if "value" in cols and per_value.any():
        cells = activities[cols["value"]][keep]
        value, bad = parse_numbers(cells, decimal=config.source.decimal)
        if bad.any():
            notices.append(_bad_notice("bad_values", bad, cells, cols["value"], "numbers"))
        uses = per_value[type_code[keep]]
        weight = np.where(uses, value.fillna(0).clip(lower=0).to_numpy(), weight)
    return pd.DataFrame(
        {
            "contact": contact[keep],
            "type": pd.Categorical.from_codes(type_code[keep], list(config.activity_types)),
            "date": dates.to_numpy(),
            "count": weight,
        }
    )


def _column_activities(
    config: Config,
    raw: pd.DataFrame,
    row_contact: pd.Series,
    epoch: dt.date,
    source: str,
    notices: list[Notice],
) -> list[pd.DataFrame]:
    out = []
    tab = config.source.contacts_tab
    types = list(config.activity_types)
    # a duplicated contact counts its first row only, like every other merged field
    first = row_contact[~row_contact.duplicated()]
    rows = raw.loc[first.index]
    row_contact = first
    for i, col in enumerate(config.activity_columns):
        wanted = {"count": col.header} | ({"date": col.date_header} if col.date_header else {})
        keys = {
            "count": f"activity_columns[{i}].header",
            "date": f"activity_columns[{i}].date_header",
        }
        cols = resolve_headers(raw.columns, wanted, tab=tab, source=source, keys=keys)
        values = rows[cols["count"]]
        values = clear(values, errors(config, values, tab, source, notices))
        if col.kind == "flag":
            flags, bad = parse_flags(values)
            count = flags.astype("float64")
        else:
            count, bad = parse_numbers(values, decimal=config.source.decimal)
            count = count.fillna(0).clip(lower=0)
        if bad.any():
            notices.append(_bad_notice("bad_counts", bad, values, cols["count"], col.kind + "s"))
        if "date" in cols:
            cells = rows[cols["date"]]
            skip = errors(config, cells, tab, source, notices, strict="skipped")
            count = count.where(~skip, 0)
            dates = _dates(config, clear(cells, skip), epoch, source, tab, cols["date"], notices)
        else:
            dates = pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ns]")
        has = count > 0
        out.append(
            pd.DataFrame(
                {
                    "contact": row_contact[has].to_numpy(),
                    "type": pd.Categorical([col.type] * int(has.sum()), categories=types),
                    "date": dates[has].to_numpy(),
                    "count": count[has].to_numpy(),
                }
            )
        )
    return out
