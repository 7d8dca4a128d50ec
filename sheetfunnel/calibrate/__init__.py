"""`sheetfunnel calibrate`: learn the points from the team's own won and lost history.

A regularised logistic regression on the fields and activity types the config declares,
turned into an integer scorecard (PDO points double the odds), judged by stratified
cross-validation against the current hand-set points. Needs the `learn` extra
(scikit-learn, matplotlib), imported only when used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import scoring
from ..backends.base import EPOCH_1900
from ..config import Config
from ..engine import as_of_timestamp, sheet_config
from ..normalise import Notice, prepare
from ..sources import read_source
from .evaluate import Evaluation, cross_validate, deciles, field_auc, thresholds
from .features import check_leakage, design, feature_data, outcome_labels, outcome_types
from .scorecard import MissingExtraError, Scorecard, fit_scorecard, require
from .snippet import apply, snippet

__all__ = ["Calibration", "MissingExtraError", "calibrate", "calibrate_source"]

#: A field that alone ranks the outcomes better than this is probably known only after it.
LEAK_AUC = 0.95
#: Below this cross-validated AUC the fields barely tell positives from negatives.
WEAK_AUC = 0.55
TOP_FACTORS = 10


@dataclass(frozen=True)
class Calibration:
    """What calibrate learned and measured.

    `lift`: per decile of out-of-fold score, contacts, positives, observed and predicted rate,
    lift, share of positives captured. `factors`: the scorecard lines, most important first
    (|points| x spread of the feature). `thresholds`: recommended min_score per stage, read
    on the learned scorecard's scores of these contacts (the scale the engine will show).
    `snippet`: the learned `[fit]` and `[activity_types]` as TOML; `config`: the input config
    with them, as the engine will use it. `labelled`: the positions (in the engine's contact
    order) of the contacts learned from; `scores`: their learned integer scores, equal to what
    the engine computes with `config`.
    """

    contacts: int
    positives: int
    unlabelled: int
    scorecard: Scorecard
    evaluation: Evaluation
    lift: pd.DataFrame
    factors: pd.DataFrame
    thresholds: pd.DataFrame
    field_auc: pd.DataFrame
    warnings: tuple[str, ...]
    notices: tuple[Notice, ...]
    snippet: str
    config: Config
    labelled: np.ndarray
    scores: np.ndarray
    as_of: pd.Timestamp


def calibrate(
    config: Config,
    contacts: pd.DataFrame,
    activities: pd.DataFrame | None = None,
    *,
    outcome: str,
    positive: Sequence[str],
    negative: Sequence[str] = (),
    targets: Mapping[str, float] | None = None,
    as_of: dt.date | dt.datetime | str | None = None,
    lookups: Mapping[str, pd.DataFrame] | None = None,
    serial_epoch: dt.date = EPOCH_1900,
    source: str = "",
) -> Calibration:
    """Learn a scorecard from the contacts whose `outcome` column is known, and judge it.

    Raw tables in, as for `engine.score`. Contacts whose outcome is blank (or, when
    `negative` is given, neither a positive nor a negative value) are left out. `targets`
    (stage -> conversion rate) override `calibrate.targets`.
    """
    require("sklearn")
    check_leakage(config, outcome)
    ts = as_of_timestamp(config, as_of)
    config, _ = sheet_config(config, contacts, lookups)
    prepared = prepare(
        config,
        contacts,
        activities,
        as_of=ts,
        lookups=lookups,
        serial_epoch=serial_epoch,
        source=source,
    )
    labels = outcome_labels(config, contacts, prepared, outcome, positive, negative, source=source)
    data = feature_data(config, prepared, labels, ts)
    current = scoring.score(config, prepared.contacts, prepared.activities, ts)
    current_score = current.table["score"].to_numpy()[data.labelled]

    evaluation = cross_validate(config, data, current_score)
    every = np.arange(len(data.y))
    card = fit_scorecard(config, data, every)
    x = design(data, card.candidates, every)
    scores = card.score(x)
    settings = config.calibrate
    lift = deciles(evaluation.score, data.y, evaluation.probability, seed=settings.seed)
    wanted = dict(settings.targets if targets is None else targets)
    stages = [s.name for s in config.stages]
    # on the final scores: the scale the engine will show (lift and calibration are out of fold)
    recommended = thresholds(scores, data.y, wanted, stages)
    alone = field_auc(data, x, [line.candidate.field for line in card.lines])
    auc = evaluation.auc
    warnings = _warnings(config, card, alone, auc["scorecard"])
    header = [
        f"Learned by `sheetfunnel calibrate` from {len(data.y):,} contacts "
        f"({int(data.y.sum()):,} positive) as of {ts:%Y-%m-%d}.",
        f"{settings.pdo:g} points double the odds. {settings.folds}-fold cross-validated AUC: "
        f"this scorecard {auc['scorecard']:.3f}, the points it replaces {auc['current']:.3f}.",
    ]
    marks = [
        f"{row.stage} {row.min_score:g} ({row.target:.0%})"
        for row in recommended.itertuples()
        if not pd.isna(row.min_score)
    ]
    if marks:
        header.append(
            "Recommended [[stages]] min_score (lowest score whose contacts at or above it "
            f"convert at the target): {', '.join(marks)}."
        )
    text = snippet(config, card, header)
    return Calibration(
        contacts=len(data.y),
        positives=int(data.y.sum()),
        unlabelled=int(labels.isna().sum()),
        scorecard=card,
        evaluation=evaluation,
        lift=lift,
        factors=_factors(card, x, data.y),
        thresholds=recommended,
        field_auc=alone,
        warnings=warnings,
        notices=prepared.notices,
        snippet=text,
        config=apply(config, text),
        labelled=data.labelled,
        scores=scores,
        as_of=ts,
    )


def _warnings(
    config: Config, card: Scorecard, alone: pd.DataFrame, scorecard_auc: float
) -> tuple[str, ...]:
    """What the user must know before trusting the points: leaks, unlearned parts, caps."""
    warnings = tuple(
        f"{row.field!r} alone separates the outcomes (AUC {row.auc:.3f} > {LEAK_AUC}): check "
        "that it is known before the outcome, or it leaks the answer"
        for row in alone.itertuples()
        if row.auc > LEAK_AUC
    )
    learned = {line.candidate.field for line in card.lines}
    outcome_like = [t for t in config.activity_types if t in outcome_types(config)]
    if outcome_like:
        many = len(outcome_like) > 1
        warnings += (
            f"activity {'types' if many else 'type'} {', '.join(outcome_like)} "
            f"{'make' if many else 'makes'} a customer (a customer stage requires "
            f"{'them' if many else 'it'}): not learned, the hand-set points are kept",
        )
    unseen = [t for t in config.activity_types if t not in learned and t not in outcome_like]
    if unseen:
        warnings += (
            f"activity {'types' if len(unseen) > 1 else 'type'} {', '.join(unseen)} never "
            "happened to these contacts: the hand-set points are kept",
        )
    flat = [f for f in dict.fromkeys(r.field for r in config.fit.rules) if f not in learned]
    if flat:
        warnings += (
            f"{'fields' if len(flat) > 1 else 'field'} {', '.join(flat)} "
            f"{'do' if len(flat) > 1 else 'does'} not vary among these contacts: no points "
            "learned, the rules on them are dropped",
        )
    for key in ("max_engagement", "max_total"):
        if getattr(config.scoring, key) is not None:
            warnings += (
                f"scoring.{key} = {getattr(config.scoring, key):g} caps the learned scores; "
                "remove it from the config, or the engine ranks contacts differently than "
                "measured here",
            )
    if scorecard_auc < WEAK_AUC:
        warnings += (
            f"the scorecard's cross-validated AUC is {scorecard_auc:.3f}: these fields barely "
            "tell positives from negatives, so the learned points are mostly noise",
        )
    return warnings


def _factors(card: Scorecard, x: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Scorecard lines by importance: how far a line moves its contacts from the field's
    average points (`effect`), times how many contacts it sets apart (x std of the feature)."""
    points = np.array([line.points for line in card.lines], dtype="float64")
    fields = [line.candidate.field for line in card.lines]
    contribution = x * points
    rows = []
    for j, line in enumerate(card.lines):
        c = line.candidate
        column = x[:, j]
        hit = column > 0
        name = c.name
        if c.activity:
            name += " (each" + (f", up to {c.count_cap:g})" if c.count_cap else ")")
            effect = points[j]
        else:
            same = [
                i
                for i, f in enumerate(fields)
                if f == c.field and card.lines[i].candidate.exclusive
            ]
            mean = contribution[:, same].sum(axis=1).mean() if c.exclusive else 0.0
            effect = points[j] - mean
        rows.append(
            {
                "factor": name,
                "points": line.points,
                "effect": effect,
                "share": hit.mean(),
                "observed": y[hit].mean() if hit.any() else np.nan,
                "importance": abs(effect) * column.std(),
            }
        )
    frame = pd.DataFrame(
        rows, columns=["factor", "points", "effect", "share", "observed", "importance"]
    )
    return frame.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def calibrate_source(
    path: str | Path,
    config: Config,
    *,
    outcome: str,
    positive: Sequence[str],
    negative: Sequence[str] = (),
    targets: Mapping[str, float] | None = None,
    as_of: dt.date | dt.datetime | str | None = None,
) -> Calibration:
    """`calibrate` on a .xlsx/.xlsm/.csv file read as `sheetfunnel score` reads it.

    Checks the whole `learn` extra first (charts need matplotlib), before the long part.
    """
    require("sklearn")
    require("matplotlib")
    _, data, lookups = read_source(path, config)
    return calibrate(
        config,
        data.contacts,
        data.activities,
        outcome=outcome,
        positive=positive,
        negative=negative,
        targets=targets,
        as_of=as_of,
        lookups=lookups,
        serial_epoch=data.serial_epoch,
        source=str(path),
    )
