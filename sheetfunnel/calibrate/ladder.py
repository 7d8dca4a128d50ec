"""Stage thresholds on the learned scale, and the funnel before and after calibration.

Each score-based rung of the ladder gets the lowest out-of-fold score whose contacts at or
above it convert at the rung's target rate; the cuts then rise strictly up the ladder and
every stage keeps at least MIN_STAGE contacts (by score). A target the data cannot meet (at
or below the base rate, or reached by no MIN_STAGE contacts) is reported with a proposal the
data supports, and the proposal places the cut.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from ..config import Config, Stage
from ..scoring import Scores
from ..stages import assign_stages

#: Fewest contacts a stage keeps (by score) when its threshold is learned: fewer make its
#: conversion rate too noisy to act on.
MIN_STAGE = 30

THRESHOLD_COLUMNS = [
    "stage",
    "target",
    "status",
    "proposed",
    "cut",
    "min_score",
    "old",
    "contacts",
    "share",
    "observed",
    "also",
]


SCORE_CONDITIONS = ("min_score", "min_fit", "min_engagement")


def score_stages(config: Config) -> list[Stage]:
    """Rungs above the floor placed by a score threshold (they may have other conditions)."""
    return [
        s
        for s in config.stages[1:]
        if not s.manual and any(getattr(s, k) is not None for k in SCORE_CONDITIONS)
    ]


def score_conditions(stage: Stage) -> str:
    """The score thresholds of a stage on the old points' scale, e.g. "min_fit 25"."""
    return ", ".join(
        f"{k} {getattr(stage, k):g}" for k in SCORE_CONDITIONS if getattr(stage, k) is not None
    )


def other_conditions(stage: Stage) -> str:
    """The conditions of a stage that are not its score, as a person reads them."""
    parts = []
    if stage.requires_any:
        parts.append("any of " + ", ".join(stage.requires_any))
    if stage.requires_all:
        parts.append("all of " + ", ".join(stage.requires_all))
    if stage.active_within_days is not None:
        parts.append(f"active within {stage.active_within_days:g} days")
    return "; ".join(parts)


def proposals(
    rate_at: np.ndarray, n_at: np.ndarray, base: float, met: list[float | None]
) -> list[float]:
    """A target per stage that the data supports: a met target is kept; the others are evenly
    spaced between the met targets around them, or the base rate below and the rate of the
    best tenth of the contacts above (the highest scores holding a tenth, at least
    MIN_STAGE), rounded down to a whole percent. NaN when the best tenth converts no better
    than the rest.

    `rate_at`, `n_at`: per distinct score (rising), conversion and contacts at or above it.
    """
    enough = np.flatnonzero(n_at >= max(MIN_STAGE, n_at[0] // 10)) if len(n_at) else []
    best = float(rate_at[enough[-1]]) if len(enough) else base
    if best <= base:  # the scores do not rank: no target above the base rate is supported
        return [float("nan")] * len(met)
    anchors = [base, *met, best]
    out: list[float] = []
    lo = 0
    for k in range(1, len(anchors) - 1):
        if anchors[k] is not None:
            out.append(float(anchors[k]))
            lo = k
            continue
        hi = next(i for i in range(k + 1, len(anchors)) if anchors[i] is not None)
        step = anchors[lo] + (anchors[hi] - anchors[lo]) * (k - lo) / (hi - lo)
        out.append(float(np.floor(100 * step + 1e-9)) / 100)
    return out


def _ideal(values: np.ndarray, rate_at: np.ndarray, n_at: np.ndarray, target: float) -> int | None:
    """Index of the lowest distinct score whose contacts at or above convert at `target`."""
    ok = np.flatnonzero((rate_at >= target) & (n_at >= MIN_STAGE))
    return int(ok[0]) if len(ok) else None


def _place(below: np.ndarray, n: int, ideal: list[int]) -> list[int] | None:
    """Cuts (indices of distinct scores) at or above the ideal ones, strictly rising, each band
    (floor, every stage, top) holding MIN_STAGE contacts; None when impossible."""
    cuts: list[int] = []
    prev = 0
    for j in ideal:
        j = max(j, cuts[-1] + 1 if cuts else 0)
        while j < len(below) and below[j] - prev < MIN_STAGE:
            j += 1
        if j >= len(below):
            return None
        cuts.append(j)
        prev = int(below[j])
    if n - below[cuts[-1]] >= MIN_STAGE:
        return cuts
    # too few at the top: lower the cuts from the top down, then check the bottom again
    limit = n - MIN_STAGE
    for k in range(len(cuts) - 1, -1, -1):
        fits = np.flatnonzero(below <= limit)
        if not len(fits):
            return None
        cuts[k] = min(cuts[k], int(fits[-1]))
        limit = int(below[cuts[k]]) - MIN_STAGE
    bands = np.diff([0, *(below[c] for c in cuts), n])
    rising = all(a < b for a, b in itertools.pairwise(cuts))
    return cuts if rising and (bands >= MIN_STAGE).all() else None


def on_scale(cut_counts: list[int], final: np.ndarray) -> list[float]:
    """The final scorecard's scores that put as many contacts at or above them as each cut
    on out-of-fold scores does (the nearest count), strictly rising.

    Each fold's scorecard sets its own zero (its worst values score 0), so a cut read on
    out-of-fold scores is carried to the written scorecard by the share of contacts it
    passes, not by its number.
    """
    values, counts = np.unique(final, return_counts=True)
    at = counts[::-1].cumsum()[::-1]  # contacts at or above each distinct final score
    out: list[float] = []
    j_prev = -1
    for m in cut_counts:
        gap = np.abs(at - m) + np.where(np.arange(len(at)) <= j_prev, np.inf, 0)
        if not len(gap) or np.isinf(gap.min()):  # no higher score left: the stage is empty
            out.append(float(values[-1]) + 1 if len(values) else 0.0)
            j_prev = len(values)
            continue
        j = int(np.argmin(gap))
        out.append(float(values[j]))
        j_prev = j
    return out


def learn_thresholds(
    config: Config,
    score: np.ndarray,
    y: np.ndarray,
    targets: Mapping[str, float],
    final: np.ndarray | None = None,
) -> pd.DataFrame:
    """min_score per score-based stage, read on out-of-fold scores (see the module doc).

    `cut`: the threshold on out-of-fold scores; `min_score`: the same cut on the scale of
    `final` (the written scorecard's scores of the same contacts, see `on_scale`; the cut
    itself without `final`). `status`: met, below base rate, not reached, no target (a
    proposal used), unsupported (the data cannot hold one more stage: it is left empty), or
    not score-based (stages with a target but no score threshold: kept as they are), or not
    on the ladder (a `calibrate.targets` stage the config does not have).
    """
    n = len(y)
    base = float(y.mean())
    values, counts = np.unique(score, return_counts=True)
    below = np.r_[0, np.cumsum(counts)[:-1]]
    n_at = n - below
    per_value = np.bincount(np.searchsorted(values, score), weights=y, minlength=len(values))
    rate_at = per_value[::-1].cumsum()[::-1] / n_at
    rungs = score_stages(config)
    statuses = []
    for stage in rungs:
        target = targets.get(stage.name)
        if target is None:
            statuses.append("no target")
        elif target <= base:
            statuses.append("below base rate")
        elif _ideal(values, rate_at, n_at, target) is None:
            statuses.append("not reached")
        else:
            statuses.append("met")
    met = [targets[s.name] if st == "met" else None for s, st in zip(rungs, statuses, strict=True)]
    proposed = proposals(rate_at, n_at, base, met)
    rows = []
    ideal = []
    for stage, status, used in zip(rungs, statuses, proposed, strict=True):
        target = targets.get(stage.name)
        j = None if np.isnan(used) else _ideal(values, rate_at, n_at, used)
        ideal.append(0 if j is None else j)
        rows.append(
            {
                "stage": stage.name,
                "target": np.nan if target is None else target,
                "status": status,
                "proposed": used,
                "old": score_conditions(stage),
                "also": other_conditions(stage),
            }
        )
    cuts = None
    keep = len(rungs)
    while keep and cuts is None:
        cuts = _place(below, n, ideal[:keep])
        if cuts is None:
            keep -= 1
    cuts = cuts or []
    top = float(values[-1]) if len(values) else 0.0
    for k, row in enumerate(rows):
        if k < len(cuts):
            j = cuts[k]
            upper = n if k + 1 == len(cuts) else below[cuts[k + 1]]
            row.update(
                cut=float(values[j]),
                min_score=float(values[j]),
                contacts=int(upper - below[j]),
                share=(upper - below[j]) / n,
                observed=float(rate_at[j]),
            )
        else:
            row.update(
                status="unsupported",
                cut=top + 1,
                min_score=top + 1,
                contacts=0,
                share=0.0,
                observed=np.nan,
            )
    if final is not None and rows:
        top_final = float(np.max(final)) + 1 if len(final) else 0.0
        scaled = on_scale([int(n - below[j]) for j in cuts], final)
        for k, row in enumerate(rows):
            row["min_score"] = scaled[k] if k < len(cuts) else top_final
    for stage, target in targets.items():
        if stage not in {r["stage"] for r in rows}:
            rows.append(
                {
                    "stage": stage,
                    "target": target,
                    "status": "not score-based"
                    if stage in {s.name for s in config.stages}
                    else "not on the ladder",
                    "proposed": np.nan,
                    "cut": np.nan,
                    "min_score": np.nan,
                    "old": "",
                    "contacts": 0,
                    "share": np.nan,
                    "observed": np.nan,
                    "also": next(
                        (other_conditions(s) for s in config.stages if s.name == stage), ""
                    ),
                }
            )
    return pd.DataFrame(rows, columns=THRESHOLD_COLUMNS)


def with_cuts(config: Config, table: pd.DataFrame) -> Config:
    """`config` with each score-based stage's threshold on out-of-fold scores (`cut`): the
    ladder as it places contacts by their out-of-fold scores, for the funnel."""
    cuts = {r.stage: r.cut for r in table.itertuples() if not pd.isna(r.cut)}
    stages = tuple(
        s.model_copy(update={"min_score": cuts[s.name], "min_fit": None, "min_engagement": None})
        if s.name in cuts
        else s
        for s in config.stages
    )
    return config.model_copy(update={"stages": stages})


def placed(
    config: Config, contacts: pd.DataFrame, scores: Scores, as_of: pd.Timestamp, rows: np.ndarray
) -> np.ndarray:
    """The computed stage (no override) of the contacts at `rows`."""
    people = contacts.drop(columns=["stage_override"], errors="ignore")
    table, _ = assign_stages(config, people, scores, as_of)
    return table["computed_stage"].to_numpy(dtype=object)[rows]


def with_scores(scores: Scores, rows: np.ndarray, values: np.ndarray) -> Scores:
    """`scores` with the score of the contacts at `rows` replaced (by out-of-fold scores)."""
    table = scores.table.copy()
    column = table["score"].to_numpy(dtype="float64").copy()
    column[rows] = values
    table["score"] = column
    return replace(scores, table=table)


def funnel(config: Config, before: np.ndarray, after: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Per stage (ladder, then exits): contacts, share and conversion before and after."""
    names = [s.name for s in config.all_stages()]
    rows = []
    for name in names:
        row: dict[str, object] = {"stage": name, "ladder": name in [s.name for s in config.stages]}
        for label, stage in (("before", before), ("after", after)):
            hit = stage == name
            row[f"{label}_contacts"] = int(hit.sum())
            row[f"{label}_share"] = hit.mean() if len(hit) else 0.0
            row[f"{label}_rate"] = float(y[hit].mean()) if hit.any() else np.nan
        rows.append(row)
    return pd.DataFrame(rows)
