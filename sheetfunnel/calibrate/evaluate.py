"""How good a scoring is: cross-validated AUC (with its spread and a gradient-boosting
ceiling), lift and calibration by decile.

Every figure is measured out of fold: each contact is scored by a scorecard learned without it
(stratified folds, fixed seed), so the report does not flatter the scorecard. The current
config's score and the ceiling model are ranked on the same test folds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import Config
from ..errors import InputError
from .ceiling import ceiling_scores, raw_features
from .features import FeatureData, design, outcome_types
from .scorecard import fit_scorecard, require

#: Each test fold holds at least this many positives and as many negatives: with fewer, a
#: fold's AUC swings on one or two contacts (and with none it is not defined at all).
MIN_PER_FOLD = 5


@dataclass(frozen=True)
class Evaluation:
    """Cross-validated figures, with the out-of-fold integer scores and predicted rates.

    `folds`: per fold, the AUC of the integer scorecard, of its unrounded model, of the
    current config's score and of a gradient-boosted model (`ceiling`) on the same test
    contacts. `requested`: the folds the config asked for (more than `folds` holds when the
    data had too few positives or negatives for them).
    """

    folds: pd.DataFrame
    score: np.ndarray
    probability: np.ndarray
    requested: int

    @property
    def auc(self) -> pd.Series:
        """Mean AUC over the folds where it is defined: scorecard, model, current, ceiling."""
        return self.folds[["scorecard", "model", "current", "ceiling"]].mean()

    @property
    def spread(self) -> pd.Series:
        """Standard deviation of the AUC across the folds where it is defined."""
        return self.folds[["scorecard", "model", "current", "ceiling"]].std(ddof=0)


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve: the chance a positive outranks a negative (ties count half).

    NaN when `y` holds one class only: the AUC is not defined there, it is not 0.5.
    """
    if len(np.unique(y)) < 2:
        return float("nan")
    metrics = require("sklearn.metrics")
    return float(metrics.roc_auc_score(y, score))


def fold_count(wanted: int, y: np.ndarray) -> int:
    """The folds to use: `wanted`, fewer when a fold would hold under MIN_PER_FOLD positives or
    negatives; an InputError when even 2 folds cannot (the figures would be made up)."""
    positives = int(y.sum())
    negatives = len(y) - positives
    folds = min(wanted, positives // MIN_PER_FOLD, negatives // MIN_PER_FOLD)
    if folds < 2:
        need = 2 * MIN_PER_FOLD
        raise InputError(
            f"too few outcomes to cross-validate: {positives:,} positive and {negatives:,} "
            f"negative contacts; calibrate needs at least {need} of each ({MIN_PER_FOLD} "
            "positives and negatives in each of 2 folds)"
        )
    return folds


def cross_validate(config: Config, data: FeatureData, current: np.ndarray) -> Evaluation:
    """Stratified k-fold: learn on k-1 folds, score the held-out one, for every fold."""
    selection = require("sklearn.model_selection")
    settings = config.calibrate
    folds = fold_count(settings.folds, data.y)
    splitter = selection.StratifiedKFold(folds, shuffle=True, random_state=settings.seed)
    n = len(data.y)
    oof_score = np.zeros(n)
    oof_prob = np.zeros(n)
    raw = raw_features(data, outcome_types(config))
    rows = []
    for fold, (train, test) in enumerate(splitter.split(np.zeros(n), data.y), start=1):
        card = fit_scorecard(config, data, train)
        x = design(data, card.candidates, test)
        scores = card.score(x)
        oof_score[test] = scores
        oof_prob[test] = card.probability(scores)
        y = data.y[test]
        ceiling = ceiling_scores(raw, data.y, train, test, seed=settings.seed)
        rows.append(
            {
                "fold": fold,
                "contacts": len(test),
                "positives": int(y.sum()),
                "scorecard": auc(y, scores),
                "model": auc(y, card.logit(x)),
                "current": auc(y, current[test]),
                "ceiling": auc(y, ceiling),
            }
        )
    return Evaluation(pd.DataFrame(rows), oof_score, oof_prob, settings.folds)


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
