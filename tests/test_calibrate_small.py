"""calibrate on too little history: exit codes and messages instead of made-up figures, folds
reduced, the scorecard held back unless forced; and the CLI's checks that come before any
learning (a stage that does not exist, a missing file, the config file's mode)."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import ROOT, contact

from sheetfunnel.cli import cli
from sheetfunnel.config import load_config

CONFIG = '[source]\nactivities_tab = ""\n\n[columns]\nstage_override = ""\n'
TOO_FEW = (
    "Error: too few outcomes to cross-validate: {pos} positive and {neg} negative contacts; "
    "calibrate needs at least 10 of each (5 positives and negatives in each of 2 folds)\n"
)


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def history(folder, rows: int, positives: int):
    """`rows` contacts, the first `positives` won; seniority and sector lean towards a win."""
    rng = np.random.default_rng(rows)
    table = []
    for i in range(rows):
        won = i < positives
        title = "CEO" if rng.random() < (0.7 if won else 0.3) else "Analyst"
        sector = rng.choice(["Software", "Retail"])
        row = contact(f"c{i}@example.com", Job_title=title, Sector=sector)
        table.append({**row, "Outcome": "won" if won else "lost"})
    source = folder / "contacts.csv"
    pd.DataFrame(table).to_csv(source, index=False)
    config = folder / "team.toml"
    config.write_text(CONFIG)
    return source, config


def calibrate(source, config, out_dir, *extra):
    return run(
        "calibrate", source, "--config", config, "--outcome", "Outcome", "--positive", "won",
        "--as-of", "2024-06-30", "--out-dir", out_dir, *extra,
    )  # fmt: skip


@pytest.mark.parametrize(("rows", "positives"), [(5, 2), (20, 2)])
def test_too_few_outcomes_exit_4_with_the_counts(tmp_path, rows, positives):
    source, config = history(tmp_path, rows, positives)
    result = calibrate(source, config, tmp_path / "out")
    assert result.exit_code == 4
    assert result.output.endswith(TOO_FEW.format(pos=positives, neg=rows - positives))
    assert "Warning" not in result.output  # no raw library warnings, no figures
    assert not (tmp_path / "out").exists()


def test_one_class_only_exits_4_naming_the_values_seen(tmp_path):
    source, config = history(tmp_path, 20, 0)
    result = calibrate(source, config, tmp_path / "out")
    assert result.exit_code == 4
    assert result.output.endswith(
        "Error: column 'Outcome': no positive outcome among the contacts (values seen: "
        "'lost'); check --positive/--negative\n"
    )


def test_small_history_reduces_the_folds_and_holds_the_scorecard_back(tmp_path):
    source, config = history(tmp_path, 60, 15)
    before = config.read_text()
    result = calibrate(source, config, tmp_path / "out", "--write")
    assert result.exit_code == 4
    lines = [line.rstrip() for line in result.output.splitlines()]
    assert "Warning: only 3 folds instead of 5: each fold needs enough positives and " in (
        result.output
    )
    assert any(
        line.startswith("Scorecard AUC ") and "over 3 stratified folds." in line for line in lines
    )
    assert result.output.endswith(
        "Error: 15 positive and 45 negative contacts are too few to trust the points (at least "
        "50 of each): the scorecard was not written (the report above is only indicative); "
        "--force writes it anyway\n"
    )
    for raw in ("UserWarning", "ConvergenceWarning", "RuntimeWarning", "nan"):
        assert raw not in result.output
    assert config.read_text() == before
    assert not (tmp_path / "out" / "scorecard.toml").exists()
    assert (tmp_path / "out" / "funnel.csv").exists()

    config.chmod(0o664)
    forced = calibrate(source, config, tmp_path / "out", "--write", "--force")
    assert forced.exit_code == 0, forced.output
    assert f"Updated the points and the stage thresholds in {config}" in forced.output
    assert (tmp_path / "out" / "scorecard.toml").exists()
    assert config.stat().st_mode & 0o777 == 0o664  # not turned into 0600
    assert config.read_text().startswith(CONFIG)
    ladder = load_config(config).stages
    assert ladder[1].min_score is not None and ladder[1].min_engagement is None


def test_a_target_for_a_stage_that_does_not_exist_is_a_usage_error(tmp_path):
    source, config = history(tmp_path, 20, 10)
    result = calibrate(source, config, tmp_path / "out", "--target", "Foo=0.5")
    assert result.exit_code == 2
    assert result.output.endswith(
        "Error: Invalid value for --target: 'Foo=0.5': no stage 'Foo' above the first rung of "
        "the ladder; the stages that take a target are MQL, SQL, Prospect, Customer\n"
    )
    assert not (tmp_path / "out").exists()


def test_a_missing_source_is_reported_before_the_learn_extra_is_loaded(tmp_path):
    """With scikit-learn and matplotlib unimportable, the missing file is still what is said:
    they load only once the source has been read."""
    code = (
        "import sys; sys.modules['sklearn'] = None; sys.modules['matplotlib'] = None\n"
        "from sheetfunnel.cli import main\nmain()\n"
    )
    missing = tmp_path / "nowhere.csv"
    argv = ["calibrate", str(missing), "--outcome", "Outcome", "--positive", "won"]
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 4, done.stderr
    assert "calibrate needs" not in done.stderr
    assert str(missing) in done.stderr.splitlines()[-1]
