"""Fit (profile) and engagement (behaviour, decayed) scores, and the reasons behind them.

Everything is computed on whole columns: fit rules are masks, engagement is one bincount per
(contact, activity type) pair. Only the few reasons each contact shows are turned into text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .config import Config, FitRule

DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class Scores:
    """Per-contact scores (index = contact index) and the per-type activity matrices.

    `points`, `counts`: contacts x activity types (capped points after decay; occurrences).
    `first_seen`, `last_seen`: contacts x types, the first and last date each type happened
    (NaT if never, or only in counter columns without a date).
    """

    table: pd.DataFrame
    types: tuple[str, ...]
    points: np.ndarray
    counts: np.ndarray
    first_seen: np.ndarray
    last_seen: np.ndarray


def round_half_up(values: np.ndarray | pd.Series) -> np.ndarray:
    """Scores are shown as whole numbers; thresholds compare against what the sheet shows."""
    return np.floor(np.asarray(values, dtype="float64") + 0.5)


def score(
    config: Config, contacts: pd.DataFrame, activities: pd.DataFrame, as_of: pd.Timestamp
) -> Scores:
    """Fit, engagement and total per contact, with the top reasons as text ("why")."""
    n = len(contacts)
    fit_parts, fit_reasons = _fit(config, contacts)
    fit = _cap_groups(config, fit_parts, [r.group for r in config.fit.rules])
    fit = fit.sum(axis=1) if fit.size else np.zeros(n)
    bonus = _completeness(config, contacts)
    fit = fit + bonus
    if config.fit.max is not None:
        fit = np.minimum(fit, config.fit.max)

    types = tuple(config.activity_types)
    points, counts, first_seen, last_seen = _engagement(config, activities, n, as_of)
    first, last = _span(first_seen), _span(last_seen, last=True)
    engagement = points.sum(axis=1) if len(types) else np.zeros(n)
    if config.scoring.max_engagement is not None:
        engagement = np.minimum(engagement, config.scoring.max_engagement)

    fit_r, eng_r = round_half_up(fit), round_half_up(engagement)
    total = fit_r + eng_r
    if config.scoring.max_total is not None:
        total = np.minimum(total, config.scoring.max_total)

    direct = np.array([config.activity_types[t].direct for t in types], dtype=bool)
    table = pd.DataFrame(
        {
            "fit": fit_r,
            "engagement": eng_r,
            "score": total,
            "first_activity": first,
            "last_activity": last,
            "direct": (counts[:, direct] > 0).any(axis=1) if direct.any() else np.zeros(n, bool),
        },
        index=contacts.index,
    )
    table["why"] = _why(
        config, contacts, fit_reasons, bonus, types, points, counts, last_seen, as_of
    )
    return Scores(table, types, points, counts, first_seen, last_seen)


# --------------------------------------------------------------------------- fit


def _rule_match(rule: FitRule, values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Mask of contacts the rule applies to, and the value shown in the reason."""
    kind = rule.kind()
    if kind == "equals":
        wanted = {v.strip().casefold() for v in rule.equals or ()}
        text = values.astype("string").str.casefold()
        return text.isin(wanted).fillna(False).to_numpy(bool), values.astype("string")
    if kind == "contains":
        words = "|".join(re.escape(w.strip()) for w in rule.contains or ())
        pattern = rf"(?i)\b({words})\b"
        found = values.astype("string").str.extract(pattern, expand=False)
        return found.notna().to_numpy(bool), found
    if kind == "range":
        lo = rule.min if rule.min is not None else -np.inf
        hi = rule.max if rule.max is not None else np.inf
        numbers = pd.to_numeric(values, errors="coerce")
        mask = ((numbers >= lo) & (numbers < hi)).fillna(False).to_numpy(bool)
        return mask, numbers.map("{:g}".format, na_action="ignore")
    mask = values.isna().to_numpy(bool) == bool(rule.missing)
    return mask, pd.Series(pd.NA, index=values.index, dtype="string")


@dataclass(frozen=True)
class _Reasons:
    """Fit reasons before any text is built: rule r gave `points` to `rows`, whose reason
    reads `texts[which]` (texts are per distinct field value, so only a few are built)."""

    points: float
    rows: np.ndarray
    texts: np.ndarray
    which: np.ndarray


def _fit(config: Config, contacts: pd.DataFrame) -> tuple[np.ndarray, list[_Reasons]]:
    n = len(contacts)
    parts = np.zeros((n, len(config.fit.rules)))
    reasons = []
    distinct: dict[str, tuple[np.ndarray, pd.Series]] = {}
    for j, rule in enumerate(config.fit.rules):
        if rule.field not in distinct:
            # a field holds few distinct values (titles, sectors): test those, then spread
            values = contacts[rule.field] if rule.field in contacts else pd.Series([None] * n)
            codes, uniques = pd.factorize(values)
            codes = np.where(codes < 0, len(uniques), codes)  # the last slot is "empty"
            distinct[rule.field] = (codes, pd.Series([*uniques, None], dtype=values.dtype))
        codes, uniques = distinct[rule.field]
        hit, shown = _rule_match(rule, uniques)
        mask = hit[codes]
        parts[mask, j] = rule.points
        if not mask.any() or rule.points == 0:
            continue
        rows = np.flatnonzero(mask)
        field = rule.field.replace("_", " ")
        if rule.label or rule.kind() == "missing":
            texts = np.array([rule.label or f"no {field}"], dtype=object)
            which = np.zeros(len(rows), dtype="int64")
        else:
            texts = (field + " " + shown.astype("string")).to_numpy(dtype=object)
            which = codes[rows]
        reasons.append(_Reasons(rule.points, rows, texts, which))
    return parts, reasons


def _cap_groups(config: Config, parts: np.ndarray, groups: list[str | None]) -> np.ndarray:
    """Clip the summed points of each group of columns to the group's cap."""
    if not parts.size:
        return parts
    out = parts.copy()
    for name, group in config.scoring.groups.items():
        cols = [i for i, g in enumerate(groups) if g == name]
        if not cols:
            continue
        total = out[:, cols].sum(axis=1)
        scale = np.where(total > group.cap, group.cap / np.where(total == 0, 1, total), 1.0)
        out[:, cols] *= scale[:, None]
    return out


def _completeness(config: Config, contacts: pd.DataFrame) -> np.ndarray:
    fields = config.fit.completeness_fields
    if not fields or not config.fit.completeness_bonus:
        return np.zeros(len(contacts))
    filled = np.column_stack([contacts[f].notna().to_numpy() for f in fields])
    return config.fit.completeness_bonus * filled.mean(axis=1)


# --------------------------------------------------------------------------- engagement


def decay_factor(age_days: np.ndarray, half_life_days: float) -> np.ndarray:
    """Weight of an activity `age_days` old: 1 today, 0.5 at one half-life, 0.25 at two."""
    return np.power(0.5, np.clip(age_days, 0, None) / half_life_days)


def _engagement(
    config: Config, activities: pd.DataFrame, n: int, as_of: pd.Timestamp
) -> tuple[np.ndarray, ...]:
    types = list(config.activity_types.values())
    k = len(types)
    contact = activities["contact"].to_numpy(dtype="int64")
    code = activities["type"].cat.codes.to_numpy(dtype="int64")
    dates = activities["date"].to_numpy(dtype="datetime64[ns]")
    count = activities["count"].to_numpy(dtype="float64")

    base = np.array([t.points for t in types], dtype="float64")
    decays = np.array([t.decay for t in types], dtype=bool)
    age = (np.datetime64(as_of.to_datetime64(), "ns") - dates) / DAY
    weight = np.where(
        decays[code] & ~np.isnat(dates), decay_factor(age, config.scoring.half_life_days), 1.0
    )
    cell = contact * k + code
    raw = np.bincount(cell, weights=base[code] * count * weight, minlength=n * k).reshape(n, k)
    counts = np.bincount(cell, weights=count, minlength=n * k).reshape(n, k)

    caps = np.array([t.cap if t.cap is not None else np.inf for t in types])
    points = np.clip(raw, -caps, caps)
    points = _cap_groups(config, points, [t.group for t in types])

    first_seen, last_seen = _seen(cell, dates, n * k)
    return points, counts, first_seen.reshape(n, k), last_seen.reshape(n, k)


def _seen(cell: np.ndarray, dates: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last date per cell (NaT if none), by unbuffered min/max on the int64 view:
    7 ms for a million activities, where grouping them took 80."""
    dated = ~np.isnat(dates)
    cell, stamps = cell[dated], dates[dated].view("int64")
    first = np.full(size, np.iinfo(np.int64).max)
    last = np.full(size, np.iinfo(np.int64).min)  # NaT's own value
    np.minimum.at(first, cell, stamps)
    np.maximum.at(last, cell, stamps)
    first[np.bincount(cell, minlength=size) == 0] = np.iinfo(np.int64).min
    return first.view("datetime64[ns]"), last.view("datetime64[ns]")


def _span(dates: np.ndarray, *, last: bool = False) -> np.ndarray:
    """Earliest (or latest) date per row of a contacts x types date matrix, NaT if none."""
    if not dates.shape[1]:
        return np.full(dates.shape[0], np.datetime64("NaT"), dtype="datetime64[ns]")
    return (np.fmax if last else np.fmin).reduce(dates, axis=1)  # fmin/fmax pass over NaT


# --------------------------------------------------------------------------- why


def _ranked_reasons(
    config: Config, fit_reasons: list[_Reasons], bonus: np.ndarray, points: np.ndarray
) -> tuple[np.ndarray, ...] | None:
    """Each contact's top reasons as numbers, before any text: (the fit texts, then per
    reason its contact, rounded points, fit text index (-1 for an activity), activity type
    (-1 for a fit reason) and rank within its contact), by contact then |points|; None
    when no contact has a reason worth showing."""
    act_rows, act_cols = np.nonzero(np.abs(points) >= 0.5)
    with_bonus = np.flatnonzero(np.abs(bonus) >= 0.5)
    # every candidate reason: contact, points, text (index into `texts`, -1 for an activity)
    texts = np.concatenate([r.texts for r in fit_reasons] + [np.array(["complete profile"])])
    offsets = np.cumsum([0] + [len(r.texts) for r in fit_reasons])
    contact = np.concatenate([r.rows for r in fit_reasons] + [act_rows, with_bonus])
    pts = np.concatenate(
        [np.full(len(r.rows), r.points) for r in fit_reasons]
        + [points[act_rows, act_cols], bonus[with_bonus]]
    )
    text_id = np.concatenate(
        [r.which + offsets[i] for i, r in enumerate(fit_reasons)]
        + [np.full(len(act_rows), -1), np.full(len(with_bonus), offsets[-1])]
    ).astype("int64")
    act_type = np.concatenate(
        [
            np.full(len(contact) - len(act_rows) - len(with_bonus), -1),
            act_cols,
            np.full(len(with_bonus), -1),
        ]
    ).astype("int64")
    pts = round_half_up(pts)
    shown = pts != 0
    contact, pts, text_id, act_type = contact[shown], pts[shown], text_id[shown], act_type[shown]
    if not len(contact):
        return None
    order = np.lexsort((-np.abs(pts), contact))  # stable: ties keep the rules' order
    contact, pts, text_id, act_type = contact[order], pts[order], text_id[order], act_type[order]
    starts = np.flatnonzero(np.r_[True, contact[1:] != contact[:-1]])
    rank = np.arange(len(contact)) - np.repeat(starts, np.diff(np.r_[starts, len(contact)]))
    top = rank < config.scoring.reasons
    contact, pts, text_id, act_type, rank = (
        a[top] for a in (contact, pts, text_id, act_type, rank)
    )
    return texts, contact, pts, text_id, act_type, rank


def _why(
    config: Config,
    contacts: pd.DataFrame,
    fit_reasons: list[_Reasons],
    bonus: np.ndarray,
    types: tuple[str, ...],
    points: np.ndarray,
    counts: np.ndarray,
    last_seen: np.ndarray,
    as_of: pd.Timestamp,
) -> pd.Series:
    """ "demo request 3d ago (+30); title VP (+15); unsubscribe 40d ago (-10)": the top reasons.

    Reasons are ranked as numbers first; text is built only for the few each contact shows.
    """
    n = len(contacts)
    ranked = _ranked_reasons(config, fit_reasons, bonus, points)
    if ranked is None:
        return pd.Series("", index=contacts.index, dtype="string")
    texts, contact, pts, text_id, act_type, rank = ranked

    # Texts are built in object arrays, each piece formatted once per distinct number, and
    # joined per contact by one reduceat: 4 times faster than string Series and a setitem per
    # rank on 100,000 contacts. pd.NA (a reason shown as <NA>) propagates as it did there.
    text = texts.astype(object)[np.maximum(text_id, 0)]
    is_act = act_type >= 0
    if is_act.any():
        r, c = contact[is_act], act_type[is_act]
        text[is_act] = _activity_texts(config, types, counts[r, c], last_seen[r, c], c, as_of)
    # points last: a Why text starting with "+" or "-" is a formula to Excel opening a CSV;
    # the "; " before the contact's next reason comes with them
    codes, distinct = pd.factorize(pts.astype("int64"))
    closing = [f" ({'+' if p > 0 else ''}{p})" for p in distinct.tolist()]
    last = np.r_[rank[1:] == 0, True]
    text += np.where(last, _pick(closing, codes), _pick([c + "; " for c in closing], codes))
    firsts = np.flatnonzero(rank == 0)
    out = np.full(n, "", dtype=object)
    out[contact[firsts]] = np.add.reduceat(text, firsts)
    return pd.Series(out, index=contacts.index, dtype="string")


def _activity_texts(
    config: Config,
    types: tuple[str, ...],
    counts: np.ndarray,
    last_seen: np.ndarray,
    type_code: np.ndarray,
    as_of: pd.Timestamp,
) -> np.ndarray:
    """ "demo request 3d ago", "email open x12, last 2d ago": one activity reason each."""
    labels = np.array(
        [config.activity_types[t].label or t.replace("_", " ") for t in types], dtype=object
    )
    text = labels[type_code]
    times = np.round(counts).astype("int64")
    many = times > 1
    text[many] += _formatted(times[many], " x{}")
    age = np.floor(np.clip((np.datetime64(as_of.to_datetime64(), "ns") - last_seen) / DAY, 0, None))
    dated = ~np.isnan(age)
    ago = _formatted(age[dated].astype("int64"), "{}d ago")
    text[dated] += np.where(many[dated], ", last ", " ").astype(object) + ago
    return text


def _formatted(numbers: np.ndarray, fmt: str) -> np.ndarray:
    """`fmt` of each whole number as an object array, formatted once per distinct number."""
    codes, distinct = pd.factorize(numbers)
    return _pick([fmt.format(v) for v in distinct.tolist()], codes)


def _pick(texts: list[str], codes: np.ndarray) -> np.ndarray:
    """texts[codes] as an object array."""
    return np.array(texts, dtype=object)[codes]
