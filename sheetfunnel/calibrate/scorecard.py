"""A regularised logistic regression on the candidate lines, turned into integer points.

Points are the model's log-odds weights times PDO / ln 2, rounded: a contact `pdo` points
above another has twice its odds of a positive outcome. The score of a contact is computed
the engine's way (fit points summed, engagement rounded half up), so the figures here are the
figures the engine's scores will show.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from ..config import Config
from ..errors import SheetfunnelError
from ..scoring import round_half_up
from .features import Candidate, FeatureData, candidates, design

#: Above this many columns the regression uses lbfgs instead of Newton steps.
NEWTON_MAX_COLUMNS = 300


class MissingExtraError(SheetfunnelError):
    """An optional dependency of this command is not installed."""

    exit_code = 2


def require(module: str) -> ModuleType:
    """Import an optional dependency of the `learn` extra, or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as ex:
        package = {"sklearn": "scikit-learn"}.get(module.split(".")[0], module.split(".")[0])
        raise MissingExtraError(
            f"calibrate needs {package}, which is not installed; install it with: "
            "pip install 'sheetfunnel[learn]'"
        ) from ex


@dataclass(frozen=True)
class Line:
    """One scorecard line: a candidate, its log-odds weight per unit and its integer points."""

    candidate: Candidate
    weight: float
    points: int


@dataclass(frozen=True)
class Scorecard:
    """Integer points per line, and how a score maps back to a probability.

    `intercept`, `lines[i].weight`: the unrounded model (log-odds). `a`, `b`: a logistic fit
    of the outcome on the integer score (P = 1 / (1 + exp(-(a + b * score)))), used for the
    predicted rates of the calibration table.
    """

    lines: tuple[Line, ...]
    intercept: float
    pdo: float
    a: float
    b: float

    @property
    def candidates(self) -> tuple[Candidate, ...]:
        return tuple(line.candidate for line in self.lines)

    def logit(self, x: np.ndarray) -> np.ndarray:
        """The unrounded model's log-odds for a design matrix of these lines."""
        return self.intercept + x @ np.array([line.weight for line in self.lines])

    def score(self, x: np.ndarray) -> np.ndarray:
        """Integer score as the engine computes it: fit points + rounded engagement points."""
        points = np.array([line.points for line in self.lines], dtype="float64")
        is_rule = np.array([line.candidate.rule is not None for line in self.lines], dtype=bool)
        if not len(self.lines):
            return np.zeros(len(x))
        fit = x[:, is_rule] @ points[is_rule]
        engagement = round_half_up(x[:, ~is_rule] @ points[~is_rule])
        return fit + engagement

    def probability(self, scores: np.ndarray) -> np.ndarray:
        """Predicted rate of a positive outcome at each integer score."""
        return 1 / (1 + np.exp(-(self.a + self.b * np.asarray(scores, dtype="float64"))))


def factor(pdo: float) -> float:
    """Points per unit of log-odds: `pdo` points double the odds."""
    return pdo / math.log(2)


def _floor_at_zero(cands: tuple[Candidate, ...], points: np.ndarray) -> np.ndarray:
    """Shift the lines of each category or numeric field so that its worst value scores 0.

    A contact matches exactly one of them, so the shift adds the same to every contact's
    score: the ranking is unchanged, and scores read from 0 up instead of around 0.
    """
    out = points.copy()
    fields: dict[str, list[int]] = {}
    for j, c in enumerate(cands):
        if c.exclusive:
            fields.setdefault(c.field, []).append(j)
    for cols in fields.values():
        # without its reference line some contacts match none of them: no uniform shift
        if any(cands[j].reference for j in cols):
            out[cols] -= out[cols].min()
    return out


def fit_scorecard(config: Config, data: FeatureData, rows: np.ndarray) -> Scorecard:
    """Learn a scorecard on `rows` (positions in `data`): candidates, weights, points."""
    linear = require("sklearn.linear_model")
    cands = candidates(config, data, rows)
    x = design(data, cands, rows)
    keep = np.ptp(x, axis=0) > 0 if len(cands) else np.zeros(0, dtype=bool)
    cands = tuple(c for c, k in zip(cands, keep, strict=True) if k)
    x = x[:, keep]
    y = data.y[rows]
    settings = config.calibrate
    free = np.array([not c.reference for c in cands], dtype=bool)
    if not free.any():
        rate = min(max(y.mean(), 1e-6), 1 - 1e-6)
        return Scorecard((), math.log(rate / (1 - rate)), settings.pdo, 0.0, 0.0)
    # Newton steps on a few hundred columns converge in a handful of passes (measured 2x
    # faster than lbfgs on the bank data); past that their p^2 cost loses to lbfgs.
    solver = "newton-cholesky" if free.sum() <= NEWTON_MAX_COLUMNS else "lbfgs"
    model = linear.LogisticRegression(C=settings.strength, max_iter=2000, solver=solver)
    model.fit(x[:, free], y)
    weights = np.zeros(len(cands))
    weights[free] = model.coef_[0]
    points = round_half_up(weights * factor(settings.pdo)).astype("int64")
    points = _floor_at_zero(cands, points)
    lines = tuple(Line(c, float(w), int(p)) for c, w, p in zip(cands, weights, points, strict=True))
    card = Scorecard(lines, float(model.intercept_[0]), settings.pdo, 0.0, 0.0)
    scores = card.score(x)
    if np.ptp(scores) == 0:
        rate = min(max(y.mean(), 1e-6), 1 - 1e-6)
        return Scorecard(lines, card.intercept, settings.pdo, math.log(rate / (1 - rate)), 0.0)
    link = linear.LogisticRegression(C=1e6, max_iter=1000, solver="newton-cholesky")
    link.fit(scores.reshape(-1, 1), y)
    return Scorecard(
        lines, card.intercept, settings.pdo, float(link.intercept_[0]), float(link.coef_[0, 0])
    )
