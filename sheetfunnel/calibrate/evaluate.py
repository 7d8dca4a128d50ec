"""How good a scoring is: cross-validated AUC, lift and calibration by decile, thresholds.

Every figure is measured out of fold: each contact is scored by a scorecard learned without it
(stratified folds, fixed seed), so the report does not flatter the scorecard. The current
config's score is ranked on the same test folds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import Config
from .features import FeatureData, design
from .scorecard import fit_scorecard, require

#: Fewer contacts than this at or above a threshold make its conversion rate too noisy.
MIN_ABOVE = 30


@dataclass(frozen=True)
class Evaluation:
    """Cross-validated figures, with the out-of-fold integer scores and predicted rates.

    `folds`: per fold, the AUC of the integer scorecard, of its unrounded model and of the
    current config's score on the same test contacts.
    """

    folds: pd.DataFrame
    score: np.ndarray
    probability: np.ndarray

    @property
    def auc(self) -> pd.Series:
        """Mean AUC over the folds: scorecard, model, current."""
        return self.folds[["scorecard", "model", "current"]].mean()


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve: the chance a positive outranks a negative (ties count half)."""
    metrics = require("sklearn.metrics")
    return float(metrics.roc_auc_score(y, score))


def cross_validate(config: Config, data: FeatureData, current: np.ndarray) -> Evaluation:
    """Stratified k-fold: learn on k-1 folds, score the held-out one, for every fold."""
    selection = require("sklearn.model_selection")
    settings = config.calibrate
    splitter = selection.StratifiedKFold(settings.folds, shuffle=True, random_state=settings.seed)
    n = len(data.y)
    oof_score = np.zeros(n)
    oof_prob = np.zeros(n)
    rows = []
    for fold, (train, test) in enumerate(splitter.split(np.zeros(n), data.y), start=1):
        card = fit_scorecard(config, data, train)
        x = design(data, card.candidates, test)
        scores = card.score(x)
        oof_score[test] = scores
        oof_prob[test] = card.probability(scores)
        y = data.y[test]
        rows.append(
            {
                "fold": fold,
                "contacts": len(test),
                "positives": int(y.sum()),
                "scorecard": auc(y, scores),
                "model": auc(y, card.logit(x)),
                "current": auc(y, current[test]),
            }
        )
    return Evaluation(pd.DataFrame(rows), oof_score, oof_prob)


def deciles(
    score: np.ndarray, y: np.ndarray, probability: np.ndarray, *, seed: int = 0
) -> pd.DataFrame:
    """Lift and calibration per tenth of the contacts, best scores first (decile 1).

    Equal scores are split between deciles in a seeded random order, never in sheet order
    (a sheet sorted by date would otherwise leak its order into the deciles).
    """
    n = len(y)
    tie_break = np.random.default_rng(seed).permutation(n)
    order = np.lexsort((tie_break, -score))
    decile = np.empty(n, dtype="int64")
    decile[order] = np.arange(n) * 10 // n + 1
    frame = pd.DataFrame({"decile": decile, "score": score, "y": y, "p": probability})
    out = frame.groupby("decile").agg(
        contacts=("y", "size"),
        positives=("y", "sum"),
        min_score=("score", "min"),
        max_score=("score", "max"),
        observed=("y", "mean"),
        predicted=("p", "mean"),
    )
    out["lift"] = out["observed"] / y.mean()
    out["captured"] = out["positives"].cumsum() / y.sum()
    return out.reset_index()


def thresholds(
    score: np.ndarray, y: np.ndarray, targets: Mapping[str, float], stages: list[str]
) -> pd.DataFrame:
    """The min_score to recommend per stage: the lowest score whose bucket at-or-above
    converts at the stage's target rate or better (with at least MIN_ABOVE contacts).

    A target at or below the overall rate gives the lowest score (everyone qualifies); one no
    bucket reaches gives no threshold. Stages are listed in ladder order when they are in it.
    """
    order = np.argsort(-score, kind="stable")
    s, hits = score[order], y[order]
    cum_n = np.arange(1, len(s) + 1)
    cum_rate = np.cumsum(hits) / cum_n
    # only the last position of each distinct score is a bucket boundary
    last = np.r_[s[1:] != s[:-1], True]
    given = list(targets)
    ranked = sorted(
        given, key=lambda t: stages.index(t) if t in stages else len(stages) + given.index(t)
    )
    rows = []
    for stage in ranked:
        target = targets[stage]
        ok = np.flatnonzero(last & (cum_rate >= target) & (cum_n >= MIN_ABOVE))
        if len(ok):
            i = ok[-1]
            rows.append(
                {
                    "stage": stage,
                    "in_config": stage in stages,
                    "target": target,
                    "min_score": float(s[i]),
                    "contacts": int(cum_n[i]),
                    "share": cum_n[i] / len(s),
                    "observed": float(cum_rate[i]),
                }
            )
        else:
            rows.append(
                {
                    "stage": stage,
                    "in_config": stage in stages,
                    "target": target,
                    "min_score": np.nan,
                    "contacts": 0,
                    "share": 0.0,
                    "observed": np.nan,
                }
            )
    return pd.DataFrame(
        rows, columns=["stage", "in_config", "target", "min_score", "contacts", "share", "observed"]
    )


def field_auc(data: FeatureData, x: np.ndarray, fields: list[str]) -> pd.DataFrame:
    """AUC of each field alone: its own lines' pattern ranked by its observed rate.

    A field near 1.0 on its own is usually known only after the outcome (a leak).
    """
    rows = []
    for field in dict.fromkeys(fields):
        cols = [i for i, f in enumerate(fields) if f == field]
        part = x[:, cols]
        if part.shape[1] == 1 and not np.isin(part, (0, 1)).all():
            value = part[:, 0]  # an activity count: its own order
        else:
            # one number per row pattern (a random projection of 0/1 rows: no collisions in
            # practice) sorts 10x faster than np.unique(axis=0) on the rows themselves
            key = part @ np.random.default_rng(0).random(part.shape[1])
            _, pattern = np.unique(key, return_inverse=True)
            rate = np.bincount(pattern, weights=data.y) / np.bincount(pattern)
            value = rate[pattern.ravel()]
        a = auc(data.y, value)
        rows.append({"field": field, "auc": max(a, 1 - a)})
    return pd.DataFrame(rows, columns=["field", "auc"])
