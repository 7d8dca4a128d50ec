"""What the report says about a scorecard beyond its AUC: the factors that matter most, and
the warnings a user must read before trusting the points (leaks, unlearned parts, caps,
thresholds that could not follow their targets, a funnel whose conversion does not rise)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import Config
from .features import outcome_types
from .scorecard import Scorecard

#: A field that alone ranks the outcomes better than this is probably known only after it.
LEAK_AUC = 0.95
#: Below this cross-validated AUC the fields barely tell positives from negatives.
WEAK_AUC = 0.55


def warnings_for(
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


def factors(card: Scorecard, x: np.ndarray, y: np.ndarray) -> pd.DataFrame:
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


def ladder_warnings(
    thresholds: pd.DataFrame,
    funnel: pd.DataFrame,
    base: float,
    min_stage: int,
    *,
    chosen: bool = True,
) -> tuple[str, ...]:
    """Per stage, a target the data could not follow and what placed the cut instead; the
    targets the data supports; a learned funnel whose conversion does not rise. Targets for
    stages the ladder lacks are flagged when `chosen` (not the built-in defaults, which a
    config with its own ladder inherits without asking)."""
    out = []
    for row in thresholds.itertuples():
        proposal = (
            f"placed at min_score {row.min_score:g} (no target above the base rate is supported)"
            if pd.isna(row.proposed)
            else f"placed at the proposed {row.proposed:.0%} (min_score {row.min_score:g})"
        )
        if row.status == "below base rate":
            out.append(
                f"stage {row.stage}: target {row.target:.0%} is at or below the base rate "
                f"{base:.1%} (every contact converts that well): {proposal}"
            )
        elif row.status == "not reached":
            out.append(
                f"stage {row.stage}: no {min_stage} or more contacts convert at its target "
                f"{row.target:.0%}: {proposal}"
            )
        elif row.status == "no target":
            out.append(f"stage {row.stage}: no target conversion given: {proposal}")
        elif row.status == "unsupported":
            out.append(
                f"stage {row.stage}: these data cannot hold it with {min_stage} or more "
                f"contacts in it and in each stage below: min_score set above every score "
                f"({row.min_score:g}), so it stays empty; gather more history or drop the stage"
            )
    absent = thresholds.loc[thresholds["status"] == "not on the ladder", "stage"].tolist()
    if absent and chosen:
        out.append(
            f"[calibrate.targets] {'names stages' if len(absent) > 1 else 'names a stage'} "
            f"the ladder does not have ({', '.join(absent)}): ignored"
        )
    missed = thresholds["status"].isin(["below base rate", "not reached", "no target"])
    if missed.any() and thresholds.loc[missed, "proposed"].notna().all():
        supported = thresholds[thresholds["status"] != "not score-based"]
        pairs = " ".join(f"{r.stage}={r.proposed:.2f}" for r in supported.itertuples())
        out.append(f"targets these data support: {pairs} (set them with --target)")
    ladder = funnel[funnel["ladder"] & (funnel["after_contacts"] > 0)]
    rates = ladder["after_rate"].to_numpy()
    flat = [ladder["stage"].iloc[i] for i in range(1, len(ladder)) if not rates[i] > rates[i - 1]]
    if flat:
        out.append(
            "with the learned config the conversion does not rise up the ladder at "
            + ", ".join(flat)
            + ": the stages below convert as well or better"
        )
    return tuple(out)
