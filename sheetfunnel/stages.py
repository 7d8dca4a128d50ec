"""Where each contact stands on the funnel, and why it is there.

The ladder is read bottom-up: a contact is in the highest rung whose conditions all hold (the
first rung is the floor). An exit (Disqualified, Lost) whose conditions hold takes precedence
over the ladder, except for customers. A stage typed by hand in the override column wins over
all of it and is flagged as an override.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import Conditions, Config
from .normalise import Notice
from .scoring import DAY, Scores

KINDS = ("lead", "prospect", "customer", "lost", "disqualified")


def conditions_mask(cond: Conditions, scores: Scores, as_of: pd.Timestamp) -> np.ndarray:
    """Contacts meeting every condition given in `cond`."""
    table = scores.table
    mask = np.ones(len(table), dtype=bool)
    for attr, column in (
        ("min_fit", "fit"),
        ("min_engagement", "engagement"),
        ("min_score", "score"),
    ):
        threshold = getattr(cond, attr)
        if threshold is not None:
            mask &= table[column].to_numpy() >= threshold
    seen = scores.counts > 0
    index = {t: i for i, t in enumerate(scores.types)}
    if cond.requires_any:
        mask &= seen[:, [index[t] for t in cond.requires_any]].any(axis=1)
    if cond.requires_all:
        mask &= seen[:, [index[t] for t in cond.requires_all]].all(axis=1)
    if cond.active_within_days is not None:
        last = table["last_activity"].to_numpy(dtype="datetime64[ns]")
        age = (np.datetime64(as_of.to_datetime64(), "ns") - last) / DAY
        mask &= ~np.isnat(last) & (age <= cond.active_within_days)
    return mask


def assign_stages(
    config: Config, contacts: pd.DataFrame, scores: Scores, as_of: pd.Timestamp
) -> tuple[pd.DataFrame, list[Notice]]:
    """Stage, kind, override flag, next action and prospect date for every contact."""
    n = len(contacts)
    names = [s.name for s in config.stages]
    level = np.zeros(n, dtype="int64")
    for i, stage in enumerate(config.stages[1:], start=1):
        if not stage.manual:
            level[conditions_mask(stage, scores, as_of)] = i
    computed = np.array(names, dtype=object)[level]
    customer = np.array([s.kind == "customer" for s in config.stages])[level]
    for exit_ in reversed(config.exits):  # the first listed exit wins: apply it last
        if exit_.is_empty():
            continue
        hit = conditions_mask(exit_, scores, as_of) & ~customer
        computed[hit] = exit_.name

    stage = pd.Series(computed, index=contacts.index, dtype="string")
    notices: list[Notice] = []
    overridden = pd.Series(False, index=contacts.index)
    if "stage_override" in contacts:
        wanted = contacts["stage_override"].astype("string").str.strip().str.casefold()
        aliases = {}
        for s in config.all_stages():
            for text in (s.name, *s.aliases):
                aliases.setdefault(text.strip().casefold(), s.name)
        mapped = wanted.map(aliases).astype("string")
        unknown = wanted.notna() & mapped.isna()
        if unknown.any():
            examples = ", ".join(
                repr(v) for v in contacts.loc[unknown, "stage_override"].unique()[:3]
            )
            notices.append(
                Notice(
                    "unknown_override",
                    int(unknown.sum()),
                    f"{int(unknown.sum())} stage overrides name no stage (e.g. {examples}) and "
                    f"were ignored; stages are: {', '.join(s.name for s in config.all_stages())}",
                )
            )
        overridden = mapped.notna().astype(bool)
        stage = stage.where(~overridden, mapped)

    info = {s.name: s for s in config.all_stages()}
    out = pd.DataFrame(
        {
            "stage": stage,
            "computed_stage": pd.Series(computed, index=contacts.index, dtype="string"),
            "overridden": overridden.to_numpy(),
            "kind": stage.map({k: v.kind for k, v in info.items()}).astype("string"),
            "next_action": stage.map({k: v.next_action for k, v in info.items()}).astype("string"),
            "rank": stage.map(config.ladder_rank()).astype("int64"),
        },
        index=contacts.index,
    )
    out["prospect_since"] = _prospect_since(config, scores, out["kind"])
    out["evidence_since"] = evidence_since(config, contacts, scores, out["stage"], as_of)
    return out, notices


def out_empty(n: int) -> np.ndarray:
    """n empty dates."""
    return np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")


def evidence_since(
    config: Config,
    contacts: pd.DataFrame,
    scores: Scores,
    stage: pd.Series,
    as_of: pd.Timestamp,
) -> np.ndarray:
    """The day the evidence for each contact's stage appeared (the Stage since of a contact
    sheetfunnel meets for the first time, instead of the sync date):

    - a stage requiring activity types (requires_any / requires_all): the first activity that
      satisfied it (the earliest of any, the latest first occurrence of all), e.g. the first
      purchase for a Customer: the close;
    - the first rung (the floor): the created date, else the first activity;
    - a stage reached by thresholds alone (min_engagement...): the latest activity, the last
      day its score is known to have met them;
    - no evidence in the data (a stage set by hand, no dated activity): the as-of date.
    Never later than the as-of date.
    """
    n = len(stage)
    nat = np.datetime64("NaT", "ns")
    index = {t: i for i, t in enumerate(scores.types)}
    seen = scores.first_seen.astype("datetime64[ns]")
    last = scores.table["last_activity"].to_numpy(dtype="datetime64[ns]")
    created = (
        contacts["created"].to_numpy(dtype="datetime64[ns]")
        if "created" in contacts
        else np.full(n, nat)
    )
    first_any = (
        pd.DataFrame(seen).min(axis=1).to_numpy("datetime64[ns]")
        if n and seen.shape[1]
        else out_empty(n)
    )
    floor = np.where(np.isnat(created), first_any, created)
    out = out_empty(n)
    names = stage.to_numpy(dtype=object)
    for rank, s in enumerate(config.all_stages()):
        mask = names == s.name
        if not mask.any():
            continue
        parts = []
        if s.requires_any:
            cols = seen[mask][:, [index[t] for t in s.requires_any]]
            parts.append(pd.DataFrame(cols).min(axis=1).to_numpy("datetime64[ns]"))
        if s.requires_all:
            cols = seen[mask][:, [index[t] for t in s.requires_all]]
            frame = pd.DataFrame(cols)
            parts.append(frame.max(axis=1, skipna=False).to_numpy("datetime64[ns]"))
        if parts:
            date = parts[0] if len(parts) == 1 else np.maximum(parts[0], parts[1])
        elif rank == 0:
            date = floor[mask]
        else:
            date = last[mask]
        out[mask] = date
    today = np.datetime64(as_of.normalize().to_datetime64(), "ns")
    out = np.where(np.isnat(out) | (out > today), today, out)
    return pd.Series(out).dt.normalize().to_numpy("datetime64[ns]")


def _prospect_since(config: Config, scores: Scores, kind: pd.Series) -> np.ndarray:
    """When a contact became a prospect: its first intent activity (demo, quote, meeting).

    The intent types are those the first prospect rung requires. A contact placed there by
    hand without such an activity has no date.
    """
    n = len(kind)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    rung = next((s for s in config.stages if s.kind == "prospect"), None)
    if rung is None:
        return out
    intent = [scores.types.index(t) for t in (*rung.requires_any, *rung.requires_all)]
    if not intent:
        return out
    earliest = pd.DataFrame(scores.first_seen[:, intent]).min(axis=1)
    earliest = earliest.to_numpy(dtype="datetime64[ns]")
    reached = kind.isin(["prospect", "customer", "lost"]).to_numpy(bool)
    out[reached] = earliest[reached]
    return out
