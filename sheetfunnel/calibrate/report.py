"""The calibration as a person reads it: rich tables (printed by the CLI), a PNG of lift and
calibration, and the files a run leaves behind (snippet, chart, funnel and thresholds as CSV,
config written in place)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from rich.table import Table

from ..errors import InputError
from . import Calibration
from .ladder import MIN_STAGE
from .scorecard import require
from .snippet import write_into

SNIPPET = "scorecard.toml"
CHART = "calibration.png"
FUNNEL = "funnel.csv"
THRESHOLDS = "thresholds.csv"


def _pct(value: float) -> str:
    return "-" if pd.isna(value) else f"{value:.1%}"


def _auc(value: float) -> str:
    """An AUC, or "n/a" for a fold where it is not defined (one class only)."""
    return "n/a" if pd.isna(value) else f"{value:.3f}"


def tables(cal: Calibration, top: int = 10) -> Iterator[Table]:
    """Accuracy (per fold and overall), lift and calibration, top factors, thresholds."""
    ev = cal.evaluation
    acc = Table(
        title=f"Cross-validated AUC ({len(ev.folds)} stratified folds, {cal.contacts:,} "
        f"contacts, {cal.positives:,} positive)",
        title_justify="left",
    )
    columns = ("scorecard", "model", "current", "ceiling")
    heads = ("scorecard", "unrounded model", "current config", "gradient boosting")
    for col in ("fold", "contacts", "positive", *heads):
        acc.add_column(col, justify="left" if col == "fold" else "right")
    for row in ev.folds.itertuples():
        acc.add_row(
            str(row.fold),
            f"{row.contacts:,}",
            f"{row.positives:,}",
            *(_auc(getattr(row, c)) for c in columns),
        )
    auc, spread = ev.auc, ev.spread
    acc.add_row(
        "mean",
        f"{cal.contacts:,}",
        f"{cal.positives:,}",
        *(_auc(auc[c]) for c in columns),
        style="bold",
    )
    acc.add_row("spread (sd)", "", "", *(_auc(spread[c]) for c in columns))
    yield acc

    lift = Table(
        title="Lift and calibration by decile of score (out of fold)", title_justify="left"
    )
    for col in ("decile", "score", "contacts", "positive", "observed", "predicted", "lift"):
        lift.add_column(col, justify="right")
    lift.add_column("captured", justify="right")
    for row in cal.lift.itertuples():
        lift.add_row(
            str(row.decile),
            f"{row.min_score:g}..{row.max_score:g}",
            f"{row.contacts:,}",
            f"{row.positives:,}",
            _pct(row.observed),
            _pct(row.predicted),
            f"{row.lift:.2f}",
            _pct(row.captured),
        )
    yield lift

    factors = Table(
        title=f"Top {top} factors ({cal.scorecard.pdo:g} points double the odds)",
        title_justify="left",
    )
    for col in ("factor", "points", "vs field average", "contacts", "observed rate"):
        factors.add_column(col, justify="left" if col == "factor" else "right")
    for row in cal.factors.head(top).itertuples():
        factors.add_row(
            row.factor, f"{row.points:d}", f"{row.effect:+.0f}", _pct(row.share), _pct(row.observed)
        )
    yield factors

    yield from ladder_tables(cal)


def ladder_tables(cal: Calibration) -> Iterator[Table]:
    """The learned stage thresholds, and the funnel with the current and the learned config."""
    marks = Table(
        title=f"Stage thresholds learned on out-of-fold scores (each stage keeps at least "
        f"{MIN_STAGE} contacts)",
        title_justify="left",
    )
    for col in ("stage", "target", "how", "min_score", "in the stage", "at or above converts"):
        marks.add_column(col, justify="left" if col in ("stage", "how") else "right")
    marks.add_column("also needs (kept)")
    for row in cal.thresholds.itertuples():
        if pd.isna(row.min_score):
            score = "-"
        else:
            old = f"{row.old} -> " if row.old else ""
            score = f"{old}{row.min_score:g}"
        how = row.status
        if row.status in ("below base rate", "not reached", "no target") and not pd.isna(
            row.proposed
        ):
            how += f", proposed {row.proposed:.0%} used"
        marks.add_row(
            row.stage,
            _pct(row.target),
            how,
            score,
            f"{row.contacts:,} ({_pct(row.share)})",
            _pct(row.observed),
            row.also or "-",
        )
    yield marks

    funnel = Table(
        title="Funnel of these contacts: current config -> learned config (out-of-fold scores)",
        title_justify="left",
    )
    funnel.add_column("stage")
    for col in ("now", "share", "converts", "learned", "share ", "converts "):
        funnel.add_column(col, justify="right")
    for row in cal.funnel.itertuples():
        funnel.add_row(
            row.stage,
            f"{row.before_contacts:,}",
            _pct(row.before_share),
            _pct(row.before_rate),
            f"{row.after_contacts:,}",
            _pct(row.after_share),
            _pct(row.after_rate),
        )
    yield funnel


@dataclass(frozen=True)
class Written:
    """The files a calibration run wrote."""

    chart: Path
    funnel: Path
    thresholds: Path
    snippet: Path | None
    config: Path | None
    #: Why the scorecard was not written (too few outcomes, not forced); "" when it was.
    refused: str = ""


def save(
    cal: Calibration, out_dir: Path, *, write_config: Path | None = None, force: bool = False
) -> Written:
    """Write the report (chart, funnel, thresholds) into `out_dir`, and the scorecard (snippet,
    and the points into `write_config`) unless the data are too few and `force` is not set."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as ex:
        raise InputError(f"{out_dir}: cannot create the folder: {ex}", file=str(out_dir)) from ex
    with warnings.catch_warnings():  # layout notes on tiny data: not the user's concern
        warnings.simplefilter("ignore")
        chart = write_chart(cal, out_dir / CHART)
    funnel = out_dir / FUNNEL
    cal.funnel.drop(columns=["ladder"]).to_csv(funnel, index=False, float_format="%.4f")
    thresholds = out_dir / THRESHOLDS
    cal.thresholds.to_csv(thresholds, index=False, float_format="%.4f")
    if cal.too_small and not force:
        refused = (
            f"{cal.too_small}: the scorecard was not written (the report above is only "
            "indicative); --force writes it anyway"
        )
        return Written(chart, funnel, thresholds, None, None, refused)
    snippet_path = out_dir / SNIPPET
    snippet_path.write_text(cal.snippet, encoding="utf-8")
    if write_config is not None:
        write_into(write_config, cal.snippet)
    return Written(chart, funnel, thresholds, snippet_path, write_config)


def write_chart(cal: Calibration, path: Path) -> Path:
    """Lift per decile and predicted-versus-observed rate per decile, side by side (PNG)."""
    matplotlib = require("matplotlib")
    matplotlib.use("Agg")
    pyplot = require("matplotlib.pyplot")
    lift = cal.lift
    auc = cal.evaluation.auc
    fig, (left, right) = pyplot.subplots(1, 2, figsize=(12, 5), dpi=110)
    try:
        left.bar(lift["decile"], lift["lift"], color="#4472C4")
        left.axhline(1, color="#7F7F7F", linestyle="--", linewidth=1, label="no model (lift 1)")
        for d, v in zip(lift["decile"], lift["lift"], strict=True):
            left.annotate(f"{v:.2f}", (d, v), ha="center", va="bottom", fontsize=9)
        left.set_ylim(0, max(lift["lift"].max(), 1) * 1.25)  # room for the legend
        left.set_xticks(lift["decile"])
        left.set_xlabel("decile of score (1 = highest scores)")
        left.set_ylabel("conversion / overall conversion")
        left.set_title("Lift by decile")
        left.legend(loc="upper right")

        top = max(lift["observed"].max(), lift["predicted"].max()) * 1.1
        right.plot(
            [0, top],
            [0, top],
            color="#7F7F7F",
            linestyle="--",
            linewidth=1,
            label="perfect calibration",
        )
        right.plot(
            lift["predicted"], lift["observed"], marker="o", color="#ED7D31", label="deciles"
        )
        for row in lift.itertuples():
            right.annotate(
                str(row.decile),
                (row.predicted, row.observed),
                textcoords="offset points",
                xytext=(5, -10),
                fontsize=8,
            )
        right.set_xlim(0, top)
        right.set_ylim(0, top)
        right.set_xlabel("predicted conversion")
        right.set_ylabel("observed conversion")
        right.set_title("Calibration by decile")
        right.legend(loc="upper left")
        fig.suptitle(
            f"Scorecard AUC {auc['scorecard']:.3f} (current config {auc['current']:.3f}, "
            f"gradient boosting {auc['ceiling']:.3f}), "
            f"{cal.contacts:,} contacts, {cal.positives:,} positive, out of fold"
        )
        fig.tight_layout()
        fig.savefig(path)
    finally:
        pyplot.close(fig)
    return path
