"""`sheetfunnel calibrate`: learn the points from the team's own won and lost history.

A regularised logistic regression on the fields and activity types the config declares,
turned into an integer scorecard (PDO points double the odds), judged by stratified
cross-validation against the current hand-set points. Needs the `learn` extra
(scikit-learn, matplotlib), imported only when used.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .. import scoring
from ..backends.base import EPOCH_1900
from ..config import Config
from ..engine import as_of_timestamp, sheet_config
from ..normalise import Notice, prepare
from ..sources import read_source
from .evaluate import Evaluation, cross_validate, deciles, field_auc
from .features import check_leakage, design, feature_data, outcome_labels
from .findings import factors, ladder_warnings, warnings_for
from .ladder import MIN_STAGE, funnel, learn_thresholds, placed, with_cuts, with_scores
from .scorecard import MissingExtraError, Scorecard, fit_scorecard, require
from .snippet import apply, snippet

__all__ = ["MIN_WRITE", "Calibration", "MissingExtraError", "calibrate", "calibrate_source"]

TOP_FACTORS = 10
#: Below this many positives, or negatives, the points are too noisy to replace a config's:
#: the report is shown, but the scorecard is written only when forced.
MIN_WRITE = 50


@dataclass(frozen=True)
class Calibration:
    """What calibrate learned and measured.

    `lift`: per decile of out-of-fold score, contacts, positives, observed and predicted rate,
    lift, share of positives captured. `factors`: the scorecard lines, most important first
    (|points| x spread of the feature). `thresholds`: the learned min_score per stage, read on
    out-of-fold scores (see `ladder.learn_thresholds`). `funnel`: per stage, contacts, share
    and conversion with the current config and with the learned one (out-of-fold scores).
    `snippet`: the learned `[fit]`, `[activity_types]` and `[[stages]]` as TOML; `config`: the
    input config with them, as the engine will use it. `labelled`: the positions (in the
    engine's contact order) of the contacts learned from; `scores`: their learned integer
    scores, equal to what the engine computes with `config`. `too_small`: why the scorecard
    should not be written (too few positives or negatives), "" when it may be.
    """

    contacts: int
    positives: int
    unlabelled: int
    scorecard: Scorecard
    evaluation: Evaluation
    lift: pd.DataFrame
    factors: pd.DataFrame
    thresholds: pd.DataFrame
    funnel: pd.DataFrame
    field_auc: pd.DataFrame
    warnings: tuple[str, ...]
    notices: tuple[Notice, ...]
    snippet: str
    config: Config
    labelled: np.ndarray
    scores: np.ndarray
    as_of: pd.Timestamp
    too_small: str = ""


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
    (stage -> conversion rate) override `calibrate.targets`. The libraries' own warnings
    are not let through: what matters of them becomes a line of `warnings`. Runs on one
    BLAS/OpenMP thread.
    """
    require("sklearn")
    limits = require("threadpoolctl")
    check_leakage(config, outcome)
    # one BLAS/OpenMP thread: the matrices are small, and on a busy shared machine threads
    # waiting on each other cost more than they bring (bench_calibrate.py: 50 s -> 38 s)
    with warnings.catch_warnings(record=True) as caught, limits.threadpool_limits(1):
        warnings.simplefilter("always")
        cal = _calibrate(
            config,
            contacts,
            activities,
            outcome=outcome,
            positive=positive,
            negative=negative,
            targets=targets,
            as_of=as_of,
            lookups=lookups,
            serial_epoch=serial_epoch,
            source=source,
        )
    if any("converge" in str(w.message).lower() for w in caught):
        extra = (
            "the logistic regression did not fully converge on some folds: the points may "
            "move a little; a smaller calibrate.strength steadies them",
        )
        cal = replace(cal, warnings=cal.warnings + extra)
    return cal


def _calibrate(
    config: Config,
    contacts: pd.DataFrame,
    activities: pd.DataFrame | None,
    *,
    outcome: str,
    positive: Sequence[str],
    negative: Sequence[str],
    targets: Mapping[str, float] | None,
    as_of: dt.date | dt.datetime | str | None,
    lookups: Mapping[str, pd.DataFrame] | None,
    serial_epoch: dt.date,
    source: str,
) -> Calibration:
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
    # thresholds on out-of-fold scores: the conversion a new contact at that score will show
    marks = learn_thresholds(config, evaluation.score, data.y, wanted, final=scores)
    alone = field_auc(data, x, [line.candidate.field for line in card.lines])
    auc, spread = evaluation.auc, evaluation.spread
    folds = len(evaluation.folds)
    header = [
        f"Learned by `sheetfunnel calibrate` from {len(data.y):,} contacts "
        f"({int(data.y.sum()):,} positive) as of {ts:%Y-%m-%d}.",
        f"{settings.pdo:g} points double the odds. {folds}-fold cross-validated AUC: "
        f"this scorecard {auc['scorecard']:.3f} (+/- {spread['scorecard']:.3f}), the points it "
        f"replaces {auc['current']:.3f}, a gradient-boosted model {auc['ceiling']:.3f}.",
    ]
    learned = {r.stage: r.min_score for r in marks.itertuples() if not pd.isna(r.min_score)}
    if learned:
        header.append(
            "Stage min_score learned on out-of-fold scores (lowest score whose contacts at or "
            "above convert at the target, each stage keeping at least "
            f"{MIN_STAGE} contacts): "
            + ", ".join(
                f"{r.stage} {r.min_score:g} ({r.status})"
                for r in marks.itertuples()
                if r.stage in learned
            )
            + "."
        )
    text = snippet(config, card, header, learned)
    new_config = apply(config, text)
    # the funnel as the learned config places these contacts, on their out-of-fold scores
    after_scores = scoring.score(new_config, prepared.contacts, prepared.activities, ts)
    after_scores = with_scores(after_scores, data.labelled, evaluation.score)
    table = funnel(
        config,
        placed(config, prepared.contacts, current, ts, data.labelled),
        placed(with_cuts(new_config, marks), prepared.contacts, after_scores, ts, data.labelled),
        data.y,
    )
    text = snippet(config, card, [*header, _funnel_line(table)], learned)
    found = warnings_for(config, card, alone, auc["scorecard"])
    if folds < evaluation.requested:
        found = (
            f"only {folds} folds instead of {evaluation.requested}: each fold needs "
            "enough positives and negatives to measure an AUC",
            *found,
        )
    chosen = wanted != Config().calibrate.targets
    found += ladder_warnings(marks, table, float(data.y.mean()), MIN_STAGE, chosen=chosen)
    positives = int(data.y.sum())
    negatives = len(data.y) - positives
    too_small = ""
    if min(positives, negatives) < MIN_WRITE:
        too_small = (
            f"{positives:,} positive and {negatives:,} negative contacts are too few to "
            f"trust the points (at least {MIN_WRITE} of each)"
        )
    return Calibration(
        contacts=len(data.y),
        positives=positives,
        unlabelled=int(labels.isna().sum()),
        scorecard=card,
        evaluation=evaluation,
        lift=lift,
        factors=factors(card, x, data.y),
        thresholds=marks,
        funnel=table,
        field_auc=alone,
        warnings=found,
        notices=prepared.notices,
        snippet=text,
        config=new_config,
        labelled=data.labelled,
        scores=scores,
        as_of=ts,
        too_small=too_small,
    )


def _funnel_line(table: pd.DataFrame) -> str:
    """The before/after funnel as one comment line of the snippet."""

    def part(count: int, share: float, rate: float) -> str:
        converts = "-" if pd.isna(rate) else f"{rate:.1%}"
        return f"{count:,} ({share:.1%}, converting {converts})"

    stages = [
        f"{r.stage} {part(r.before_contacts, r.before_share, r.before_rate)} -> "
        f"{part(r.after_contacts, r.after_share, r.after_rate)}"
        for r in table.itertuples()
    ]
    return (
        "Funnel of these contacts, current config -> learned (out of fold): "
        + "; ".join(stages)
        + "."
    )


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

    The source is read first (a missing file is reported at once), then the whole `learn`
    extra is checked (charts need matplotlib) before the long part.
    """
    _, data, lookups = read_source(path, config)
    require("sklearn")
    require("matplotlib")
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
