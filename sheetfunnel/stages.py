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
    return out, notices


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
