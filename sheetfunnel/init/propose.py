"""What `init` proposes for a sheet: which header is which field, which column is a counter
of activities, what each activity name of the log is, and what it could not place."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from ..cells import parse_flags, parse_numbers, to_text
from ..config import Config, load_config
from ..mapping import (
    COUNTER_HEADERS,
    FIELD_HEADERS,
    LOG_HEADERS,
    STAGE_HEADERS,
    TYPE_NAMES,
    first_match,
    fold,
    match_one,
)
from ..normalise import type_lookup
from .reading import Sheet

#: The text of a day/month/year date, to tell 31/12 from 12/31.
_DATE = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})\b")
#: Headers meaning an e-mail or an id, when no header names the key outright.
_KEYISH = re.compile(r"\b(e ?mail|courriel|id|identifiant)\b")


@dataclass(frozen=True)
class Counter:
    """A column of the contacts tab counting (or flagging) one activity type."""

    header: str
    type: str
    kind: str  # "count" or "flag"


@dataclass(frozen=True)
class Name:
    """One activity name of the log: its rows, the type it maps to (None: not found), and
    how: "default" (the default labels know it), "exact" or "fuzzy" (from our vocabulary)."""

    text: str
    rows: int
    type: str | None
    how: str


@dataclass
class Proposal:
    """Everything `init` found; `render` turns it into a config."""

    sheet: Sheet
    fields: dict[str, str] = field(default_factory=dict)
    fuzzy: set[str] = field(default_factory=set)
    stage_like: list[str] = field(default_factory=list)
    counters: list[Counter] = field(default_factory=list)
    log_columns: dict[str, str] = field(default_factory=dict)
    names: list[Name] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    clashes: list[str] = field(default_factory=list)
    date_order: str | None = None

    def headers(self) -> tuple[int, int]:
        """(headers given a meaning, headers read) over the contacts tab and the log."""
        total = len(self.sheet.contacts.frame.columns)
        if self.sheet.log is not None:
            total += len(self.sheet.log.frame.columns)
        return total - len(self.unmapped), total

    def activity_names(self) -> tuple[int, int]:
        """(activity names mapped to a type, distinct names in the log)."""
        return sum(1 for n in self.names if n.type), len(self.names)


def propose(sheet: Sheet, defaults: Config | None = None) -> Proposal:
    """Map the headers and activity names of `sheet` to sheetfunnel's fields and types."""
    defaults = defaults or load_config()
    out = Proposal(sheet)
    headers = [str(c) for c in sheet.contacts.frame.columns]
    taken: set[str] = set()
    for header in headers:
        folded = fold(header)
        if folded in STAGE_HEADERS and folded != "stage override":
            out.stage_like.append(header)
            taken.add(header)
    managed = defaults.output.columns
    ours = [managed.score, managed.fit, managed.engagement, managed.stage, managed.stage_since]
    ours += [managed.next_action, managed.why]
    present = [h for h in ours if h.casefold() in {x.strip().casefold() for x in headers}]
    # all of them: a sync already wrote them (ours); some: the user's own, ours go beside
    out.clashes = present if len(present) < len(ours) else []
    taken |= {x for x in headers if x.strip().casefold() in {h.casefold() for h in ours}}
    if any(fold(h) == "stage override" for h in headers):
        header = next(h for h in headers if fold(h) == "stage override")
        out.fields["stage_override"] = header
        taken.add(header)
    for name, words in FIELD_HEADERS.items():
        header = first_match(headers, words, taken)
        if header is not None:
            out.fields[name] = header
            taken.add(header)
    for header in headers:
        if header not in taken and (hit := match_one(header, COUNTER_HEADERS, fuzzy=False)):
            out.counters.append(Counter(header, hit[0], _kind(sheet.contacts.frame[header])))
            taken.add(header)
    for header in headers:  # close spellings, only where one field fits
        if header in taken:
            continue
        free = {f: w for f, w in FIELD_HEADERS.items() if f not in out.fields}
        hit = match_one(header, free)
        if hit is not None:
            out.fields[hit[0]] = header
            out.fuzzy.add(hit[0])
            taken.add(header)
        elif hit := match_one(header, COUNTER_HEADERS):
            out.counters.append(Counter(header, hit[0], _kind(sheet.contacts.frame[header])))
            taken.add(header)
    if "key" not in out.fields:
        keyish = [h for h in headers if h not in taken and _KEYISH.search(fold(h))]
        if keyish:
            out.fields["key"] = keyish[0]
            out.fuzzy.add("key")
            taken.add(keyish[0])
    out.unmapped = [h for h in headers if h not in taken and h not in out.stage_like]
    out.unmapped = [h for h in out.unmapped if h.strip().casefold() not in map(str.casefold, ours)]
    if sheet.log is not None:
        _propose_log(out, defaults)
    out.date_order = _date_order(out)
    return out


def _kind(values: pd.Series) -> str:
    """ "flag" for yes/no cells, else "count"."""
    _numbers, bad_numbers = parse_numbers(values, decimal=".")
    if not bad_numbers.any():
        return "count"
    _, bad_flags = parse_flags(values)
    return "count" if bad_flags.any() else "flag"


def _propose_log(out: Proposal, defaults: Config) -> None:
    log = out.sheet.log
    assert log is not None
    headers = [str(c) for c in log.frame.columns]
    taken: set[str] = set()
    key = out.fields.get("key")
    if key is not None and key in headers:
        out.log_columns["contact"] = key
        taken.add(key)
    for name, words in LOG_HEADERS.items():
        if name in out.log_columns:
            continue
        header = first_match(headers, words, taken)
        if header is None:
            free = {n: w for n, w in LOG_HEADERS.items() if n not in out.log_columns}
            fits = [
                h for h in headers if h not in taken and (match_one(h, free) or ("",))[0] == name
            ]
            header = fits[0] if fits else None
        if header is not None:
            out.log_columns[name] = header
            taken.add(header)
    out.unmapped += [h for h in headers if h not in taken]
    if "type" not in out.log_columns:
        return
    known = type_lookup(defaults)
    known_folded = {fold(k): v for k, v in known.items()}
    text = to_text(log.frame[out.log_columns["type"]]).str.strip()
    counts = text.dropna().groupby(text.dropna().str.casefold()).agg(["size", "first"])
    for folded_text, row in counts.sort_values("size", ascending=False).iterrows():
        shown, rows = str(row["first"]), int(row["size"])
        hit_type = known.get(str(folded_text)) or known_folded.get(fold(shown))
        if hit_type:
            out.names.append(Name(shown, rows, hit_type, "default"))
        elif hit := match_one(shown, TYPE_NAMES):
            out.names.append(Name(shown, rows, hit[0], "exact" if hit[1] else "fuzzy"))
        else:
            out.names.append(Name(shown, rows, None, ""))


def _date_order(out: Proposal) -> str | None:
    """ "MDY" when text dates only make sense month first (12/31/2025); None keeps DMY."""
    columns = []
    if "created" in out.fields:
        columns.append(out.sheet.contacts.frame[out.fields["created"]])
    if out.sheet.log is not None and "date" in out.log_columns:
        columns.append(out.sheet.log.frame[out.log_columns["date"]])
    day_first = month_first = False
    for values in columns:
        for cell in values.dropna().astype(str).head(2000):
            m = _DATE.match(cell)
            if m:
                day_first |= int(m[1]) > 12
                month_first |= int(m[2]) > 12
    return "MDY" if month_first and not day_first else None
