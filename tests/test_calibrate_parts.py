"""The parts of calibrate on small hand-made data: bins, stage thresholds, folds, deciles,
writing a config that leaves the scoring sections to the defaults."""

import itertools
import tomllib

import numpy as np
import pandas as pd
import pytest

from sheetfunnel.calibrate.evaluate import MIN_PER_FOLD, auc, deciles, fold_count
from sheetfunnel.calibrate.features import Candidate, FieldData, _bins, _monotone, range_name
from sheetfunnel.calibrate.ladder import MIN_STAGE, learn_thresholds, on_scale
from sheetfunnel.calibrate.scorecard import _floor_at_zero
from sheetfunnel.calibrate.snippet import write_into
from sheetfunnel.config import FitRule, load_config
from sheetfunnel.errors import InputError


def _field(values) -> tuple[FieldData, np.ndarray]:
    codes, uniques = pd.factorize(pd.Series(values, dtype="float64"))
    codes = np.where(codes < 0, len(uniques), codes)
    return FieldData("range", codes, pd.Series([*uniques, None], dtype="float64")), codes


def test_bins_are_contiguous_ranges_with_the_largest_as_reference():
    values = np.r_[np.arange(100), [np.nan] * 5, [999] * 300]
    fd, codes = _field(values)
    lines = _bins("pdays", fd, codes, bins=10, min_share=0.05)
    bounds = [(c.rule.min, c.rule.max) for c in lines]
    assert bounds[0][0] is None and bounds[-1][1] is None
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
    # 999 (three quarters of the rows) is a bin of its own, and the reference
    assert bounds[-1] == (999.0, None)
    assert [c.reference for c in lines] == [False] * (len(lines) - 1) + [True]
    # every bin holds at least min_share of the rows
    counts = [((values >= (lo or -np.inf)) & (values < (hi or np.inf))).sum() for lo, hi in bounds]
    assert min(counts) >= 0.05 * len(values)
    assert [c.name for c in lines][-1] == "pdays 999 or more"
    assert range_name("age", 30, 40) == "age 30 to <40"
    assert range_name("age", None, 25) == "age under 25"


def test_monotone_merges_pool_the_bins_that_break_the_trend():
    values = np.repeat(np.arange(4.0), 100)
    # rates 0.1, 0.3, 0.2, 0.5: bins 1 and 2 break the rise and are pooled
    y = np.concatenate([np.arange(100) < r for r in (10, 30, 20, 50)]).astype(float)
    assert _monotone(values, y, [1.0, 2.0, 3.0]) == [1.0, 3.0]
    falling = 1 - y
    assert _monotone(values, falling, [1.0, 2.0, 3.0]) == [1.0, 3.0]


def _ladder():
    """100 contacts at each score 0..4, converting at score / 5: at or above a score s the
    conversion is 0.4, 0.5, 0.6, 0.7, 0.8 for s = 0..4."""
    score = np.repeat(np.arange(5.0), 100)
    y = np.concatenate([np.arange(100) < 20 * s for s in range(5)]).astype(np.int64)
    return score, y


def test_thresholds_are_the_lowest_score_whose_contacts_above_reach_the_target():
    score, y = _ladder()
    # the default ladder: MQL, SQL and Prospect are placed by fit and engagement thresholds
    config = load_config()
    table = learn_thresholds(config, score, y, {"SQL": 0.6, "MQL": 0.5, "Prospect": 0.8})
    assert table["stage"].tolist() == ["MQL", "SQL", "Prospect"]
    assert table["status"].tolist() == ["met"] * 3
    assert table["min_score"].tolist() == [1.0, 2.0, 4.0]
    assert table["contacts"].tolist() == [100, 200, 100]  # in the stage, by score
    assert table["observed"].tolist() == pytest.approx([0.5, 0.6, 0.8])
    assert table["old"].tolist() == [
        "min_engagement 20",
        "min_fit 25, min_engagement 20",
        "min_fit 20",
    ]
    # the other conditions are kept, and shown
    assert table["also"].iloc[2] == (
        "any of demo_request, quote_request, meeting; active within 120 days"
    )


def test_targets_below_the_base_rate_get_distinct_thresholds_from_proposals():
    """Both targets under the 40 % base rate used to give the same threshold (everyone)."""
    score, y = _ladder()
    table = learn_thresholds(load_config(), score, y, {"MQL": 0.2, "SQL": 0.35})
    assert table["status"].tolist() == ["below base rate", "below base rate", "no target"]
    # evenly spaced from the base rate (0.4) to the best tenth's rate (0.8)
    assert table["proposed"].tolist() == [0.5, 0.6, 0.7]
    assert table["min_score"].tolist() == [1.0, 2.0, 3.0]
    assert table["min_score"].is_monotonic_increasing and table["contacts"].min() >= MIN_STAGE


def test_a_stage_the_data_cannot_hold_is_reported_not_silently_emptied():
    # 10 contacts at each score 0..6, converting at score / 10 (base rate 30 %)
    score = np.repeat(np.arange(7.0), 10)
    y = (np.tile(np.arange(10), 7) < score).astype(np.int64)
    table = learn_thresholds(load_config(), score, y, {"MQL": 0.5, "SQL": 0.6})
    # 70 contacts hold the floor and one stage of 30 or more (15 of 30 at 4..6 convert)
    assert table["status"].tolist() == ["met", "unsupported", "unsupported"]
    assert table["min_score"].tolist() == [4.0, 7.0, 7.0]  # above every score: empty
    assert table["contacts"].tolist() == [30, 0, 0]


def test_cuts_are_carried_to_the_final_scale_by_the_share_they_pass():
    final = np.repeat([0.0, 5.0, 9.0, 13.0], 100)
    # 300, 200 and 100 contacts at or above the cuts on out-of-fold scores
    assert on_scale([300, 200, 100], final) == [5.0, 9.0, 13.0]
    assert on_scale([290, 280], final) == [5.0, 9.0]  # strictly rising, nearest count
    assert on_scale([100, 90], final) == [13.0, 14.0]  # no higher score left: empty


def test_folds_are_reduced_to_keep_both_outcomes_in_each_and_refused_below_two():
    y = np.r_[np.ones(12), np.zeros(100)]
    assert fold_count(5, y) == 12 // MIN_PER_FOLD == 2
    assert fold_count(5, np.r_[np.ones(40), np.zeros(40)]) == 5
    with pytest.raises(InputError) as info:
        fold_count(5, np.r_[np.ones(2), np.zeros(18)])
    assert str(info.value) == (
        "too few outcomes to cross-validate: 2 positive and 18 negative contacts; calibrate "
        "needs at least 10 of each (5 positives and negatives in each of 2 folds)"
    )
    # a fold with one outcome only has no AUC: NaN, not a made-up 0.5
    assert np.isnan(auc(np.zeros(5), np.arange(5.0)))


def test_deciles_split_ties_at_random_not_in_sheet_order():
    score = np.zeros(1000)
    y = (np.arange(1000) < 100).astype(np.int64)  # the first rows all converted
    table = deciles(score, y, np.full(1000, 0.1), seed=1)
    assert table["contacts"].tolist() == [100] * 10
    # in sheet order decile 1 would hold every positive; split at random it holds about 10 %
    assert table["positives"].max() < 25
    assert table["captured"].iloc[-1] == pytest.approx(1.0)
    assert table["predicted"].tolist() == pytest.approx([0.1] * 10)


def test_write_into_a_config_that_keeps_the_default_scoring(tmp_path):
    path = tmp_path / "team.toml"
    path.write_text('# only our headers\n[columns]\nkey = "E-mail"  # the CRM export\n')
    snippet = (
        '[fit]\ncompleteness_bonus = 0\nmax = 30\n\n[[fit.rules]]\nfield = "sector"\n'
        'equals = ["software"]\npoints = 30\n\n'
        + "".join(
            f"[activity_types.{t}]\npoints = {p}\n\n"
            for t, p in load_config().activity_types.items()
            for p in [int(p.points)]
        )
    )
    config = write_into(path, snippet)
    text = path.read_text()
    assert text.startswith('# only our headers\n[columns]\nkey = "E-mail"  # the CRM export\n')
    assert config.columns.key == "E-mail"
    assert [(r.field, r.points) for r in config.fit.rules] == [("sector", 30)]
    assert config.activity_types["meeting"].points == 20
    assert tomllib.loads(text)["fit"]["max"] == 30
    assert load_config(path) == config


def test_write_into_puts_new_keys_above_the_comment_that_opens_the_rules(tmp_path):
    path = tmp_path / "team.toml"
    path.write_text(
        '[source]\nactivities_tab = ""\n\n[activity_types]\n\n[fit]\n'
        "completeness_fields = []\n\n# Our rules, reviewed every quarter.\n"
        '[[fit.rules]]\nfield = "sector"\nequals = ["x"]\npoints = 1\n\n'
        '# The ladder.\n[[stages]]\nname = "Lead"\n\n[[exits]]\nname = "Lost"\n'
    )
    snippet = (
        '[fit]\ncompleteness_bonus = 0\nmax = 30\n\n[[fit.rules]]\nfield = "sector"\n'
        'equals = ["software"]\npoints = 30\n'
    )
    write_into(path, snippet)
    assert path.read_text() == (
        '[source]\nactivities_tab = ""\n\n[activity_types]\n\n[fit]\n'
        "completeness_fields = []\ncompleteness_bonus = 0\nmax = 30\n\n"
        "# Our rules, reviewed every quarter.\n\n"  # tomlkit puts a blank line above tables
        '[[fit.rules]]\nfield = "sector"\nequals = ["software"]\npoints = 30\n\n'
        '# The ladder.\n[[stages]]\nname = "Lead"\n\n[[exits]]\nname = "Lost"\n'
    )


def test_only_a_field_whose_lines_cover_everyone_is_shifted_to_start_at_zero():
    def line(field, reference=False, **test):
        return Candidate(
            field,
            field,
            FitRule(field=field, points=0, **test),
            None,
            None,
            reference=reference,
            exclusive=True,
        )

    cands = (
        line("sector", reference=True, equals=("retail",)),
        line("sector", equals=("software",)),
        line("sector", missing=True),
        line("region", missing=True),  # one value and blanks: no reference line
    )
    points = np.array([0, 12, -7, -5])
    assert _floor_at_zero(cands, points).tolist() == [7, 19, 0, -5]
