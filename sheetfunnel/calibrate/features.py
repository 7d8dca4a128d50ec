"""What the calibration learns from: the outcome per contact, and one candidate scorecard line
per field value, numeric bin or activity type the config declares.

Each candidate is an ordinary config item without points (a `FitRule`, or an activity type
with a count cap), and its feature column is computed with the engine's own rule matching,
so the learned scorecard, written into a config, scores exactly as the engine will.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..config import Config, FitRule
from ..errors import ConfigError, ConfigProblem, InputError
from ..normalise import Prepared, resolve_headers
from ..scoring import _rule_match, decay_factor

#: Columns known only after the outcome, refused whatever the config says (`calibrate.exclude`
#: adds to them). `duration` is the bank campaign's call length: it leaks the answer.
LEAKY = ("duration", "call_duration", "close_date", "close_value")


@dataclass(frozen=True)
class Candidate:
    """One line a scorecard may give points to: a fit rule, or an activity type.

    `count_cap`: for an activity type, the number of (decayed) occurrences after which it earns
    nothing more (the type's cap divided by its points), None for no cap.
    """

    name: str
    field: str
    rule: FitRule | None = None
    activity: str | None = None
    count_cap: float | None = None
    #: The value or bin the others are measured against: no weight of its own, and with the
    #: field's other lines it is shifted so that the field's worst line scores 0.
    reference: bool = False
    #: The lines of a category or numeric field exclude each other (one value per contact).
    exclusive: bool = False


@dataclass(frozen=True)
class FieldData:
    """One fit field's distinct values (the engine's way: test those, then spread)."""

    kind: str  # category | range | keywords | missing
    codes: np.ndarray  # per contact; len(uniques) - 1 is the empty slot
    uniques: pd.Series
    rules: tuple[FitRule, ...] = ()  # the user's rules on a keywords/missing field


@dataclass(frozen=True)
class FeatureData:
    """Everything computed once per calibration: fields, activity matrix, outcome.

    `labelled`: contact indices with a known outcome; `y`: their outcome (1 = positive).
    `activity`: labelled contacts x `types`, decayed occurrences per activity type.
    """

    fields: dict[str, FieldData]
    types: tuple[str, ...]
    activity: np.ndarray
    labelled: np.ndarray
    y: np.ndarray


def outcome_labels(
    config: Config,
    raw: pd.DataFrame,
    prepared: Prepared,
    column: str,
    positive: Sequence[str],
    negative: Sequence[str] = (),
    *,
    source: str = "",
) -> pd.Series:
    """Outcome per contact: 1.0 positive, 0.0 negative, NaN unlabelled (left out).

    Without `negative`, a non-blank value that is not a positive one is negative; with it,
    values that are neither (open deals) are unlabelled. Values match ignoring case and spaces.
    """
    header = resolve_headers(
        raw.columns,
        {"outcome": column},
        tab=config.source.contacts_tab,
        source=source,
        keys={"outcome": "--outcome"},
    )["outcome"]
    text = raw[header].map(lambda v: str(v).strip().casefold(), na_action="ignore")
    text = text.where(text != "")
    pos = {p.strip().casefold() for p in positive}
    neg = {n.strip().casefold() for n in negative}
    value = pd.Series(np.nan, index=raw.index)
    value[text.isin(pos)] = 1.0
    value[text.notna() & ~text.isin(pos) & (text.isin(neg) if neg else True)] = 0.0
    by_row = value.reindex(prepared.row_contact.index)
    per_contact = by_row.groupby(prepared.row_contact.to_numpy()).first()
    out = per_contact.reindex(range(len(prepared.contacts)))
    if not (out == 1).any() or not (out == 0).any():
        seen = ", ".join(repr(v) for v in raw[header].dropna().astype(str).unique()[:8])
        want = "positive" if not (out == 1).any() else "negative"
        raise InputError(
            f"column {header!r}: no {want} outcome among the contacts (values seen: "
            f"{seen or 'none'}); check --positive/--negative",
            file=source or None,
            column=header,
        )
    return out


def outcome_types(config: Config) -> set[str]:
    """Activity types that make a customer (a purchase): they are the outcome, not a sign."""
    return {
        t
        for stage in config.stages
        if stage.kind == "customer"
        for t in (*stage.requires_any, *stage.requires_all)
    }


def check_leakage(config: Config, outcome: str) -> None:
    """Refuse fit rules on a field known only after the outcome, or on the outcome itself."""
    banned = {b.strip().casefold() for b in (*LEAKY, *config.calibrate.exclude)}
    mapped = config.columns.mapped()
    problems = []
    seen: set[str] = set()
    used = [
        (f"fit.rules[{i}]", r.field, mapped.get(r.field, ""))
        for i, r in enumerate(config.fit.rules)
    ]
    used += [
        (f"activity_columns[{i}]", c.type, c.header) for i, c in enumerate(config.activity_columns)
    ]
    for key, field, header in used:
        names = {field.casefold(), header.strip().casefold()}
        if header.strip().casefold() == outcome.strip().casefold() and field not in seen:
            seen.add(field)
            problems.append(
                ConfigProblem(
                    key,
                    f"column {header!r} is the outcome being learned; a score built on it "
                    "would only repeat the answer. Remove this rule for calibrate",
                )
            )
        elif names & banned and field not in seen:
            seen.add(field)
            problems.append(
                ConfigProblem(
                    key,
                    f"column {header or field!r} is known only after the outcome (it leaks "
                    "the answer) and cannot be calibrated on; remove it from the config used "
                    "for calibrate (see calibrate.exclude)",
                )
            )
    if problems:
        raise ConfigError(problems)


def feature_data(
    config: Config, prepared: Prepared, outcome: pd.Series, as_of: pd.Timestamp
) -> FeatureData:
    """The per-field distinct values and the decayed activity counts of labelled contacts."""
    labelled = np.flatnonzero(outcome.notna().to_numpy())
    contacts = prepared.contacts.iloc[labelled].reset_index(drop=True)
    by_field: dict[str, list[FitRule]] = {}
    for rule in config.fit.rules:
        by_field.setdefault(rule.field, []).append(rule)
    fields = {}
    for field, rules in by_field.items():
        kinds = {r.kind() for r in rules}
        kind = next(k for k in ("range", "equals", "contains", "missing") if k in kinds)
        kind = {"equals": "category", "contains": "keywords"}.get(kind, kind)
        values = contacts[field] if field in contacts else pd.Series([None] * len(contacts))
        if kind == "category":
            values = values.astype("string").str.strip().str.casefold()
            values = values.where(values != "")
        codes, uniques = pd.factorize(values)
        codes = np.where(codes < 0, len(uniques), codes)
        uniques = pd.Series([*uniques, None], dtype=values.dtype)
        own = tuple(r for r in rules if r.kind() in ("contains", "missing"))
        fields[field] = FieldData(kind, codes, uniques, own)
    types = tuple(config.activity_types)
    acts = prepared.activities
    position = np.full(len(prepared.contacts), -1)
    position[labelled] = np.arange(len(labelled))
    where = position[acts["contact"].to_numpy(dtype="int64")]
    code = acts["type"].cat.codes.to_numpy(dtype="int64")
    dates = acts["date"].to_numpy(dtype="datetime64[ns]")
    decays = np.array([config.activity_types[t].decay for t in types], dtype=bool)
    age = (np.datetime64(as_of.to_datetime64(), "ns") - dates) / np.timedelta64(1, "D")
    weight = np.where(
        decays[code] & ~np.isnat(dates), decay_factor(age, config.scoring.half_life_days), 1.0
    )
    keep = where >= 0
    k = len(types)
    cell = where[keep] * k + code[keep]
    counts = np.bincount(
        cell, weights=(acts["count"].to_numpy() * weight)[keep], minlength=len(labelled) * k
    ).reshape(len(labelled), k)
    y = outcome.to_numpy()[labelled].astype("int64")
    return FeatureData(fields, types, counts, labelled, y)


def _share_ok(counts: np.ndarray, total: int, min_share: float) -> np.ndarray:
    return counts >= max(min_share * total, 1)


def candidates(config: Config, data: FeatureData, rows: np.ndarray) -> tuple[Candidate, ...]:
    """The lines a scorecard learned on `rows` (positions in `data`) may give points to.

    Categories: one equals rule per value (rare ones pooled), the most common left at 0 as the
    reference. Numbers: quantile bins as non-overlapping min <= value < max rules, small bins
    merged, the largest bin the reference. Keywords: the user's contains rules. Missing values
    get a rule of their own. Activity types: the decayed count, capped as the config caps it.
    """
    settings = config.calibrate
    out: list[Candidate] = []
    n = len(rows)
    for field, fd in data.fields.items():
        codes = fd.codes[rows]
        empty = len(fd.uniques) - 1
        n_missing = int((codes == empty).sum())
        if fd.kind in ("category", "range"):
            if fd.kind == "category":
                lines = _category(field, fd, codes, settings.min_share)
            else:
                y = data.y[rows] if settings.monotone else None
                lines = _bins(field, fd, codes, settings.bins, settings.min_share, y)
            out += [replace(c, exclusive=True) for c in lines]
        else:
            for rule in fd.rules:
                if rule.kind() == "contains":
                    words = ", ".join(rule.contains or ())
                    name = rule.label or f"{field} contains {words}"
                    out.append(Candidate(name, field, rule.model_copy(update={"group": None})))
        if n_missing and n_missing < n:
            label = f"no {field.replace('_', ' ')}"
            rule = FitRule(field=field, points=0, missing=True)
            out.append(Candidate(label, field, rule, exclusive=fd.kind in ("category", "range")))
    outcome = outcome_types(config)
    for j, type_id in enumerate(data.types):
        column = data.activity[rows, j]
        if np.ptp(column) == 0 or type_id in outcome:
            continue
        at = config.activity_types[type_id]
        cap = at.cap / abs(at.points) if at.cap is not None and at.points else None
        label = at.label or type_id.replace("_", " ")
        out.append(Candidate(label, type_id, activity=type_id, count_cap=cap))
    return tuple(out)


def _category(field: str, fd: FieldData, codes: np.ndarray, min_share: float) -> list[Candidate]:
    empty = len(fd.uniques) - 1
    counts = np.bincount(codes, minlength=len(fd.uniques))[:empty]
    seen = np.flatnonzero(counts)
    if len(seen) < 2:
        return []
    common = seen[_share_ok(counts[seen], len(codes), min_share)]
    rare = np.setdiff1d(seen, common)
    if len(rare) == 1:  # one rare value is its own line, not "other"
        common, rare = seen, rare[:0]
    reference = seen[np.argmax(counts[seen])]
    out = []
    for c in common:
        value = str(fd.uniques[c])
        rule = FitRule(field=field, points=0, equals=(value,))
        out.append(Candidate(f"{field} = {value}", field, rule, reference=c == reference))
    if len(rare):
        values = tuple(sorted(str(fd.uniques[c]) for c in rare))
        rule = FitRule(field=field, points=0, equals=values, label=f"{field} other")
        out.append(Candidate(f"{field} other ({len(values)} rare values)", field, rule))
    return out


def _bins(
    field: str,
    fd: FieldData,
    codes: np.ndarray,
    bins: int,
    min_share: float,
    y: np.ndarray | None = None,
) -> list[Candidate]:
    numbers = pd.to_numeric(fd.uniques, errors="coerce").to_numpy(dtype="float64")
    values = numbers[codes]
    known = ~np.isnan(values)
    values = values[known]
    if len(np.unique(values)) < 2:
        return []
    # edges are data values, so a bin is [edge, next edge): min <= value < max
    edges = np.unique(np.quantile(values, np.arange(1, bins) / bins, method="higher"))
    edges = edges[edges > values.min()]
    edges = list(edges)
    while edges:
        sizes = np.diff(np.searchsorted(np.sort(values), [-np.inf, *edges, np.inf], side="left"))
        small = np.flatnonzero(~_share_ok(sizes, len(codes), min_share))
        if not len(small):
            break
        i = int(small[np.argmin(sizes[small])])
        # merge the small bin with its smaller neighbour: drop the edge between them
        left = sizes[i - 1] if i > 0 else np.inf
        right = sizes[i + 1] if i + 1 < len(sizes) else np.inf
        edges.pop(i - 1 if left <= right else i)
    if y is not None:
        edges = _monotone(values, y[known], edges)
    sizes = np.diff(np.searchsorted(np.sort(values), [-np.inf, *edges, np.inf], side="left"))
    bounds = [None, *(float(e) for e in edges), None]
    reference = int(np.argmax(sizes))
    out = []
    for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        rule = FitRule(field=field, points=0, min=lo, max=hi)
        out.append(Candidate(range_name(field, lo, hi), field, rule, reference=i == reference))
    return out


def _monotone(values: np.ndarray, y: np.ndarray, edges: list[float]) -> list[float]:
    """Merge adjacent bins (pool adjacent violators) until the positive rate only rises, or
    only falls, from bin to bin: the direction of the value's overall correlation."""
    edges = list(edges)
    direction = 1.0 if np.corrcoef(values, y)[0, 1] >= 0 else -1.0
    while edges:
        which = np.searchsorted(edges, values, side="right")
        count = np.bincount(which, minlength=len(edges) + 1)
        rate = np.bincount(which, weights=y, minlength=len(edges) + 1) / count
        steps = np.diff(rate) * direction
        if (steps >= 0).all():
            break
        edges.pop(int(np.argmin(steps)))  # the worst violation: merge those two bins
    return edges


def range_name(field: str, lo: float | None, hi: float | None) -> str:
    """ "age 30 to 39.5", "age under 25", "age 60 or more": a bin as a person reads it."""
    if lo is None:
        return f"{field} under {hi:g}"
    if hi is None:
        return f"{field} {lo:g} or more"
    return f"{field} {lo:g} to <{hi:g}"


def design(data: FeatureData, cands: Sequence[Candidate], rows: np.ndarray) -> np.ndarray:
    """Feature matrix (rows x candidates): rule matches as 0/1, capped decayed counts."""
    out = np.zeros((len(rows), len(cands)))
    for j, cand in enumerate(cands):
        if cand.rule is not None:
            fd = data.fields[cand.field]
            hit, _ = _rule_match(cand.rule, fd.uniques)
            out[:, j] = hit[fd.codes[rows]]
        else:
            k = data.types.index(cand.activity or "")
            column = data.activity[rows, k]
            out[:, j] = column if cand.count_cap is None else np.minimum(column, cand.count_cap)
    return out
