"""A ceiling for context: a gradient-boosted model on the same fields and folds.

scikit-learn's HistGradientBoosting sees the raw values the scorecard learns from (category
codes, numbers, keyword and missing-value hits, decayed activity counts) and may combine them
any way it likes. Its AUC is roughly the best these fields allow; the gap to the integer
scorecard is what readability costs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..scoring import _rule_match
from .features import FeatureData
from .scorecard import require

#: HistGradientBoosting takes at most this many categories per feature; rarer ones are pooled.
MAX_CATEGORIES = 250
#: Boosting rounds: enough to level off on the bank data, few enough to stay fast.
ROUNDS = 100


@dataclass(frozen=True)
class RawFeatures:
    """The fields as a boosted model takes them: a float matrix and which columns are categories."""

    x: np.ndarray
    categorical: np.ndarray


def raw_features(data: FeatureData, skip_types: set[str]) -> RawFeatures:
    """One column per category or numeric field, per keyword rule, per activity type."""
    columns: list[np.ndarray] = []
    categorical: list[bool] = []
    for fd in data.fields.values():
        empty = len(fd.uniques) - 1
        if fd.kind == "category" and empty == 0:
            continue  # only blanks: nothing to learn
        if fd.kind == "category":
            counts = np.bincount(fd.codes, minlength=len(fd.uniques))[:empty]
            rank = np.empty(empty, dtype="float64")
            rank[np.argsort(-counts, kind="stable")] = np.arange(empty)
            rank = np.minimum(rank, MAX_CATEGORIES - 1)
            column = np.where(fd.codes == empty, np.nan, rank[np.minimum(fd.codes, empty - 1)])
            columns.append(column)
            categorical.append(True)
        elif fd.kind == "range":
            numbers = pd.to_numeric(fd.uniques, errors="coerce").to_numpy(dtype="float64")
            columns.append(numbers[fd.codes])
            categorical.append(False)
        else:
            for rule in fd.rules:
                hit, _ = _rule_match(rule, fd.uniques)
                columns.append(np.asarray(hit, dtype="float64")[fd.codes])
                categorical.append(False)
    for j, type_id in enumerate(data.types):
        if type_id not in skip_types:
            columns.append(data.activity[:, j].astype("float64"))
            categorical.append(False)
    if not columns:
        return RawFeatures(np.zeros((len(data.y), 1)), np.zeros(1, dtype=bool))
    return RawFeatures(np.column_stack(columns), np.array(categorical, dtype=bool))


def ceiling_scores(
    raw: RawFeatures, y: np.ndarray, train: np.ndarray, test: np.ndarray, *, seed: int
) -> np.ndarray:
    """Learn the boosted model on `train`, return its predicted rate on `test`.

    On one thread: on a shared 2-core machine OpenMP's threads wait on each other (measured
    12 s a fold on the bank data under load, 0.8 s on one thread).
    """
    ensemble = require("sklearn.ensemble")
    limits = require("threadpoolctl")
    model = ensemble.HistGradientBoostingClassifier(
        max_iter=ROUNDS,
        categorical_features=raw.categorical if raw.categorical.any() else None,
        early_stopping=False,
        random_state=seed,
    )
    with limits.threadpool_limits(1, user_api="openmp"):
        model.fit(raw.x[train], y[train])
        return model.predict_proba(raw.x[test])[:, 1]
