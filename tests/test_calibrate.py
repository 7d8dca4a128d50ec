"""calibrate on real data: the bank campaign (AUC, rounding loss, the gradient-boosting
ceiling, engine agreement, the funnel after --write) and the Maven CRM (closed deals only),
plus the leakage guard, the snippet as a config and thresholds on a planted signal."""

import itertools
import tomllib

import numpy as np
import pandas as pd
import pytest
from helpers import DATASETS, ROOT

from sheetfunnel.calibrate import calibrate, calibrate_source
from sheetfunnel.calibrate.snippet import merge, write_into
from sheetfunnel.config import config_from_dict, load_config
from sheetfunnel.engine import score
from sheetfunnel.errors import ConfigError
from sheetfunnel.sources import read_source

BANK = DATASETS / "uci_bank_marketing" / "bank-additional-full.csv"
BANK_CONFIG = ROOT / "config" / "examples" / "bank_calibrate.toml"
MAVEN = DATASETS / "maven_crm" / "sales_pipeline.csv"
MAVEN_CONFIG = ROOT / "config" / "examples" / "maven_calibrate.toml"


@pytest.fixture(scope="module")
def bank():
    config = load_config(BANK_CONFIG)
    return calibrate_source(BANK, config, outcome="y", positive=["yes"], as_of="2010-11-30")


@pytest.fixture(scope="module")
def maven():
    config = load_config(MAVEN_CONFIG)
    return calibrate_source(
        MAVEN,
        config,
        outcome="deal_stage",
        positive=["Won"],
        negative=["Lost"],
        as_of="2017-12-31",
    )


def test_bank_scorecard_beats_the_reference_and_loses_little_to_rounding(bank):
    folds = bank.evaluation.folds
    # the real 5-fold stratified CV: every fold holds a fifth of the 4,640 subscribers
    assert len(folds) == 5
    assert folds["positives"].tolist() == [928] * 5
    assert folds["contacts"].sum() == 41188
    auc = bank.evaluation.auc
    print(
        f"bank: scorecard AUC {auc['scorecard']:.4f}, unrounded {auc['model']:.4f}, "
        f"hand-set config {auc['current']:.4f}"
    )
    assert auc["scorecard"] >= 0.78
    assert abs(auc["model"] - auc["scorecard"]) < 0.01
    # the learned points beat the hand-set ones they replace
    assert auc["current"] < auc["scorecard"] - 0.05
    assert (bank.contacts, bank.positives, bank.unlabelled) == (41188, 4640, 0)


def test_the_snippet_is_a_valid_config_and_the_engine_scores_as_the_scorecard(bank):
    user = tomllib.loads(BANK_CONFIG.read_text())
    learned = tomllib.loads(bank.snippet)
    config = config_from_dict(merge(user, learned), file="bank_calibrate.toml + snippet")
    assert config == bank.config
    rules = config.fit.rules
    assert len(rules) == len(learned["fit"]["rules"]) > 50
    assert all(float(r.points).is_integer() for r in rules)
    assert {r.field for r in rules} >= {"month", "euribor3m", "nr_employed", "pdays", "title"}
    assert config.activity_types["call"].points < 0  # more calls, less chance
    # numeric bins chain without gap or overlap: min <= value < max
    for field in ("age", "euribor3m", "cons_conf_idx", "nr_employed"):
        ranges = sorted(
            (
                c.rule.min if c.rule.min is not None else -np.inf,
                c.rule.max if c.rule.max is not None else np.inf,
            )
            for c in bank.scorecard.candidates
            if c.rule is not None and c.field == field and c.rule.kind() == "range"
        )
        assert ranges[0][0] == -np.inf and ranges[-1][1] == np.inf
        assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges)), field
    # what the engine computes with the learned config is what calibrate measured
    _, data, lookups = read_source(BANK, config)
    results = score(config, data.contacts, data.activities, as_of="2010-11-30", lookups=lookups)
    assert np.array_equal(results.contacts["score"].to_numpy(), bank.scores)


def test_bank_lift_calibration_thresholds_and_factors(bank):
    lift = bank.lift
    assert lift["decile"].tolist() == list(range(1, 11))
    assert lift["contacts"].sum() == 41188 and lift["positives"].sum() == 4640
    assert lift["captured"].iloc[-1] == pytest.approx(1.0)
    assert lift["lift"].iloc[0] > 4 and lift["lift"].iloc[-1] < 0.5
    # predicted rates (out of fold) within 2 points of the observed ones, decile by decile
    assert (lift["predicted"] - lift["observed"]).abs().max() < 0.02
    marks = bank.thresholds.set_index("stage")
    assert marks.index.tolist() == ["MQL", "SQL", "Prospect"]
    assert marks["status"].tolist() == ["met"] * 3
    assert marks["min_score"].is_monotonic_increasing and marks["min_score"].is_unique
    assert (marks["observed"] >= marks["target"]).all()
    top = bank.factors.head(10)
    assert len(top) == 10 and top["importance"].is_monotonic_decreasing
    assert bank.warnings == ()
    assert bank.field_auc["auc"].max() < 0.95


def test_bank_ceiling_and_spread_put_the_scorecard_in_context(bank):
    auc, spread = bank.evaluation.auc, bank.evaluation.spread
    print(f"bank: gradient-boosting ceiling {auc['ceiling']:.4f}, sd {spread['scorecard']:.4f}")
    # the readable integer scorecard gives up little to a boosted model on the same folds
    assert auc["scorecard"] < auc["ceiling"] < auc["scorecard"] + 0.03
    assert 0 < spread["scorecard"] < 0.02
    assert bank.evaluation.folds["ceiling"].notna().all()


def test_bank_funnel_after_write_rises_up_the_ladder(bank, tmp_path):
    """The hand-set thresholds (15/25/35) put 92 % in the floor stage; the learned ones,
    written with the points, give a funnel whose conversion rises rung by rung."""
    path = tmp_path / "bank.toml"
    path.write_text(BANK_CONFIG.read_text())
    path.chmod(0o664)
    write_into(path, bank.snippet)
    assert path.stat().st_mode & 0o777 == 0o664
    text = path.read_text()
    for comment in (
        "# --- hand-set profile points (as in bank_marketing.toml)",
        "# --- fields declared for calibrate (no points by hand)",
    ):
        assert text.count(comment) == 1, comment
    assert text.index("# --- fields declared") < text.index('field = "marital"')
    config = load_config(path)
    assert [s.min_score for s in config.stages[1:]] == bank.thresholds["min_score"].tolist()
    _, data, lookups = read_source(BANK, config)
    results = score(config, data.contacts, data.activities, as_of="2010-11-30", lookups=lookups)
    y = (data.contacts["y"] == "yes").to_numpy()
    ladder = [s.name for s in config.stages]
    stage = results.contacts["stage"]
    counts = stage.value_counts().reindex(ladder, fill_value=0)
    assert (counts > 0).sum() >= 3 and counts.max() <= 0.6 * len(stage)
    rates = [y[(stage == name).to_numpy()].mean() for name in ladder if counts[name]]
    assert rates == sorted(rates) and len(set(rates)) == len(rates)
    # out of fold too, and against the hand-set thresholds
    funnel = bank.funnel.set_index("stage").loc[ladder]
    print(funnel.to_string())
    assert funnel["after_rate"].is_monotonic_increasing
    assert funnel["before_share"].max() > 0.9 > 0.6 >= funnel["after_share"].max()
    assert not any("does not rise" in w for w in bank.warnings)


def test_thresholds_recover_planted_cut_points():
    """Four tiers of 1,000 contacts converting at 5, 25, 55 and 85 %: at or above tier B the
    conversion is 55 %, at or above C 70 %, D 85 %; targets between those must put the cuts
    exactly at the tiers, so the written config places each tier in its own stage."""
    rng = np.random.default_rng(3)
    tiers = np.repeat(["A", "B", "C", "D"], 1000)
    rate = pd.Series(tiers).map({"A": 0.05, "B": 0.25, "C": 0.55, "D": 0.85}).to_numpy()
    won = rng.random(len(tiers)) < rate
    contacts = pd.DataFrame(
        {
            "Id": [f"c{i}" for i in range(len(tiers))],
            "Tier": tiers,
            "Result": np.where(won, "won", "lost"),
        },
        dtype=object,
    )
    contacts.index = pd.RangeIndex(2, 2 + len(contacts))
    config = config_from_dict(
        {
            "source": {"activities_tab": ""},
            "columns": {
                "key": "Id",
                **dict.fromkeys(("name", "company", "title", "company_size", "sector"), ""),
                **dict.fromkeys(("country", "source", "owner", "created", "stage_override"), ""),
                "extra": {"tier": "Tier"},
            },
            "activity_types": {"call": {"points": 1}},
            "fit": {
                "completeness_fields": [],
                "rules": [
                    {"field": "tier", "equals": ["D"], "points": 5},
                ],
            },
            "stages": [
                {"name": "Lead"},
                {"name": "MQL", "min_score": 1},
                {"name": "SQL", "min_score": 2},
                {"name": "Prospect", "kind": "prospect", "min_score": 3},
            ],
            "exits": [],
            "summary": {"group_by": []},
            # 2 points double the odds: every fold gives a tier the same whole points
            "calibrate": {"pdo": 2, "targets": {"MQL": 0.5, "SQL": 0.65, "Prospect": 0.8}},
        }
    )
    cal = calibrate(config, contacts, outcome="Result", positive=["won"], as_of="2024-01-01")
    assert cal.thresholds["status"].tolist() == ["met"] * 3
    results = score(cal.config, contacts, as_of="2024-01-01")
    placed = pd.crosstab(results.contacts["stage"], tiers)
    assert placed.to_dict("index") == {
        "Lead": {"A": 1000, "B": 0, "C": 0, "D": 0},
        "MQL": {"A": 0, "B": 1000, "C": 0, "D": 0},
        "SQL": {"A": 0, "B": 0, "C": 1000, "D": 0},
        "Prospect": {"A": 0, "B": 0, "C": 0, "D": 1000},
    }


def test_maven_closed_deals_only(maven):
    assert (maven.contacts, maven.positives, maven.unlabelled) == (6711, 4238, 2089)
    auc = maven.evaluation.auc
    print(f"maven: scorecard AUC {auc['scorecard']:.4f}, hand-set config {auc['current']:.4f}")
    assert 0.5 < auc["scorecard"] < 0.6
    fields = {c.field for c in maven.scorecard.candidates}
    assert fields == {"product", "sector", "company_size", "owner", "region"}
    # the data barely separates won from lost, and the report says so
    assert maven.warnings == (
        f"the scorecard's cross-validated AUC is {auc['scorecard']:.3f}: these fields barely "
        "tell positives from negatives, so the learned points are mostly noise",
        "[calibrate.targets] names stages the ladder does not have (SQL, Prospect): ignored",
    )


def test_same_data_same_figures(maven):
    again = calibrate_source(
        MAVEN,
        load_config(MAVEN_CONFIG),
        outcome="deal_stage",
        positive=["won"],
        negative=[" LOST "],
        as_of="2017-12-31",
    )
    assert again.snippet == maven.snippet
    pd.testing.assert_frame_equal(again.evaluation.folds, maven.evaluation.folds)


def _bank_with(rule: dict, **calibrate) -> dict:
    data = tomllib.loads(BANK_CONFIG.read_text())
    data["columns"]["extra"]["call_length"] = "duration"
    data["fit"]["rules"].append(rule)
    data["calibrate"].update(calibrate)
    return data


def test_duration_is_refused_by_name():
    config = config_from_dict(
        _bank_with({"field": "call_length", "min": 300, "points": 10}), file="bank.toml"
    )
    with pytest.raises(ConfigError) as info:
        calibrate_source(BANK, config, outcome="y", positive=["yes"])
    assert str(info.value) == (
        "1 problem:\n"
        "  - fit.rules[18]: column 'duration' is known only after the outcome (it leaks the "
        "answer) and cannot be calibrated on; remove it from the config used for calibrate "
        "(see calibrate.exclude)"
    )


def test_the_outcome_and_excluded_columns_are_refused():
    data = _bank_with({"field": "subscribed", "equals": ["yes"], "points": 1}, exclude=["age"])
    data["columns"]["extra"]["subscribed"] = "y"
    with pytest.raises(ConfigError) as info:
        calibrate_source(BANK, config_from_dict(data), outcome="Y", positive=["yes"])
    assert [str(p) for p in info.value.problems] == [
        "fit.rules[2]: column 'age' is known only after the outcome (it leaks the answer) and "
        "cannot be calibrated on; remove it from the config used for calibrate (see "
        "calibrate.exclude)",
        "fit.rules[18]: column 'y' is the outcome being learned; a score built on it would only "
        "repeat the answer. Remove this rule for calibrate",
    ]


def test_a_field_that_alone_gives_the_answer_is_flagged():
    """A column filled in once the deal is closed, under a name no list knows."""
    rng = np.random.default_rng(5)
    won = rng.random(600) < 0.4
    reason = np.where(won, "signed", "price")
    reason[:6] = "other"  # not quite perfect
    contacts = pd.DataFrame(
        {
            "Id": [f"d{i}" for i in range(600)],
            "Region": rng.choice(["North", "South"], 600),
            "Reason": reason,
            "Country": "FR",
            "Result": np.where(won, "won", "lost"),
        },
        dtype=object,
    )
    contacts.index = pd.RangeIndex(2, 602)
    config = config_from_dict(
        {
            "source": {"activities_tab": ""},
            "columns": {
                "key": "Id",
                **dict.fromkeys(("name", "company", "title", "company_size", "sector"), ""),
                "country": "Country",
                **dict.fromkeys(("source", "owner", "created", "stage_override"), ""),
                "extra": {"region": "Region", "reason": "Reason"},
            },
            "activity_types": {"call": {"points": 1}},
            "fit": {
                "completeness_fields": [],
                "rules": [
                    {"field": "region", "equals": ["North"], "points": 5},
                    {"field": "reason", "equals": ["signed"], "points": 0},
                    {"field": "country", "equals": ["FR"], "points": 3},
                ],
            },
            "stages": [{"name": "Lead"}],
            "exits": [],
            "summary": {"group_by": []},
        }
    )
    cal = calibrate(config, contacts, outcome="Result", positive=["won"], as_of="2024-01-01")
    alone = cal.field_auc.set_index("field")["auc"]
    assert alone["reason"] > 0.95 > alone["region"]
    assert cal.warnings == (
        f"'reason' alone separates the outcomes (AUC {alone['reason']:.3f} > 0.95): check that "
        "it is known before the outcome, or it leaks the answer",
        "activity type call never happened to these contacts: the hand-set points are kept",
        "field country does not vary among these contacts: no points learned, the rules on them "
        "are dropped",
    )
    assert {r.field for r in cal.config.fit.rules} == {"region", "reason"}
    assert cal.config.activity_types["call"].points == 1
