"""`sheetfunnel calibrate` end to end: exact lines, the files it leaves, --write keeping the
user's comments, activity logs with decay, and the message when the learn extra is missing."""

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import DATASETS, ROOT, contact
from PIL import Image

from sheetfunnel.calibrate import calibrate_source
from sheetfunnel.cli import cli
from sheetfunnel.config import load_config
from sheetfunnel.engine import score
from sheetfunnel.sources import read_source

MAVEN = DATASETS / "maven_crm" / "sales_pipeline.csv"
MAVEN_CONFIG = ROOT / "config" / "examples" / "maven_calibrate.toml"
AS_OF = "2024-06-30"

USER_CONFIG = textwrap.dedent(
    """\
    # Acme's scoring, tuned by hand in 2024.
    [source]
    date_order = "YMD"   # ISO dates

    [columns]
    stage_override = ""  # no manual stages

    [scoring]
    half_life_days = 60  # slower decay than the default

    [scoring.groups.content]
    cap = 20

    # What each activity is worth.
    [activity_types.email_open]
    points = 1
    cap = 5
    labels = ["email open"]

    [activity_types.webinar]
    points = 10
    cap = 20
    group = "content"
    labels = ["webinar"]

    [activity_types.demo_request]
    points = 30
    cap = 30
    direct = true
    labels = ["demo"]

    [activity_types.purchase]
    points = 0
    labels = ["purchase"]

    [fit]
    completeness_fields = ["company", "title"]

    [[fit.rules]]
    field = "title"
    contains = ["ceo", "vp", "head"]
    points = 15

    [[fit.rules]]
    field = "title"
    contains = ["intern"]
    points = -10

    [[fit.rules]]
    field = "company_size"
    min = 50
    points = 10

    [[fit.rules]]
    field = "sector"
    equals = ["software"]
    points = 10

    # The ladder we report on every Monday.
    [[stages]]
    name = "Lead"

    [[stages]]
    name = "MQL"
    min_score = 20

    [[stages]]
    name = "SQL"
    min_score = 40

    [[stages]]
    name = "Prospect"
    kind = "prospect"
    requires_any = ["demo_request"]

    [[stages]]
    name = "Customer"
    kind = "customer"
    requires_any = ["purchase"]

    [[exits]]
    name = "Lost"
    """
)


def run(*args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """800 contacts with an activity log; won deals lean on recent demos, webinars, seniority."""
    folder = tmp_path_factory.mktemp("history")
    rng = np.random.default_rng(11)
    titles = ["CEO", "VP Sales", "Head of IT", "Marketing Manager", "Analyst", "Intern"]
    sectors = ["software", "retail", "fintech", "health"]
    contacts, log = [], []
    end = pd.Timestamp(AS_OF)
    for i in range(800):
        email = f"c{i}@example.com"
        title = titles[rng.integers(len(titles))]
        sector = sectors[rng.integers(len(sectors))]
        size = int(rng.lognormal(4, 1.2))
        demo_age = rng.integers(1, 150) if rng.random() < 0.35 else None
        webinars = rng.poisson(0.6)
        opens = rng.poisson(3)
        for kind, times in (("email open", opens), ("webinar", webinars), ("demo", demo_age)):
            count = 1 if kind == "demo" and times is not None else (times or 0)
            for _ in range(int(count)):
                age = int(demo_age) if kind == "demo" else int(rng.integers(1, 150))
                log.append({"Email": email, "Activity": kind, "Date": end - pd.Timedelta(age, "D")})
        recent_demo = 0.0 if demo_age is None else 0.5 ** (demo_age / 60)
        logit = (
            -1.2
            + 3.0 * recent_demo
            + 0.5 * webinars
            + 0.8 * (title in titles[:3])
            - 1.0 * (title == "Intern")
            + 0.5 * (sector == "software")
        )
        won = rng.random() < 1 / (1 + np.exp(-logit))
        if won and i % 3 == 0:  # the sale itself is logged too: it must not be learned
            log.append({"Email": email, "Activity": "purchase", "Date": end})
        outcome = "Open" if i % 10 == 0 else ("Won" if won else "Lost")
        row = contact(
            email, Job_title=title, Sector=sector, Company_size=size, Created="2024-01-10"
        )
        contacts.append({**row, "Outcome": outcome})
    pd.DataFrame(contacts).to_csv(folder / "contacts.csv", index=False)
    frame = pd.DataFrame(log)
    frame["Date"] = frame["Date"].dt.strftime("%Y-%m-%d")
    frame.to_csv(folder / "Activities.csv", index=False)
    (folder / "sheetfunnel.toml").write_text(USER_CONFIG)
    return folder


def test_calibrate_writes_the_points_into_the_config_keeping_comments(history, tmp_path):
    config_file = tmp_path / "acme.toml"
    config_file.write_text(USER_CONFIG)
    config_file.chmod(0o664)  # a team's shared config keeps its mode (was turned 0600)
    out_dir = tmp_path / "report"
    result = run(
        "calibrate",
        history / "contacts.csv",
        "--config",
        config_file,
        "--outcome",
        "Outcome",
        "--positive",
        "Won",
        "--negative",
        "Lost",
        "--as-of",
        AS_OF,
        "--out-dir",
        out_dir,
        "--target",
        "SQL=0.6",
        "--write",
    )
    assert result.exit_code == 0, result.output
    lines = [line.rstrip() for line in result.output.splitlines()]
    assert "Left out 80 contacts without an outcome." in lines
    assert f"Updated the points and the stage thresholds in {config_file}" in lines
    assert config_file.stat().st_mode & 0o777 == 0o664
    assert (
        "Warning: activity type purchase makes a customer (a customer stage requires it): not "
        "learned, the hand-set points are kept"
    ) in lines
    assert f"Wrote the learned points and thresholds to {out_dir / 'scorecard.toml'}" in lines
    text = config_file.read_text()
    for comment in (
        "# Acme's scoring, tuned by hand in 2024.",
        'date_order = "YMD"   # ISO dates',
        'stage_override = ""  # no manual stages',
        "half_life_days = 60  # slower decay than the default",
        "# What each activity is worth.",
        "# The ladder we report on every Monday.",
    ):
        assert comment in text
    assert 'group = "content"' not in text  # a group cap would bend the learned points

    config = load_config(config_file)
    assert config.fit.completeness_bonus == 0
    assert config.activity_types["demo_request"].points > 5
    assert (
        config.activity_types["demo_request"].cap == config.activity_types["demo_request"].points
    )  # one demo counts, as the hand-set cap said
    assert config.activity_types["purchase"].points == 0  # never seen: kept
    assert [s.name for s in config.stages] == ["Lead", "MQL", "SQL", "Prospect", "Customer"]

    # the updated config scores the contacts (decay included) as calibrate measured them
    cal = calibrate_source(
        history / "contacts.csv",
        load_config(history / "sheetfunnel.toml"),
        outcome="Outcome",
        positive=["Won"],
        negative=["Lost"],
        targets={"MQL": 0.2, "SQL": 0.6, "Prospect": 0.5},
        as_of=AS_OF,
    )
    assert cal.config == config
    assert "MQL 14 (below base rate), SQL 28 (met)." in cal.snippet
    # the thresholds are written with the points; the demo the Prospect stage needs is kept
    assert [s.min_score for s in config.stages] == [None, 14, 28, None, None]
    # MQL's 20 % is under the 51 % base rate: a proposal between it and SQL's 60 % places it
    assert cal.thresholds["proposed"].tolist()[:2] == [0.55, 0.6]
    funnel = cal.funnel.set_index("stage")["after_rate"]
    assert funnel["Lead"] < funnel["MQL"] < funnel["SQL"] < funnel["Prospect"]
    assert config.stages[3].requires_any == ("demo_request",)
    assert cal.evaluation.auc["scorecard"] > cal.evaluation.auc["current"] > 0.6
    _, data, _ = read_source(history / "contacts.csv", config)
    results = score(config, data.contacts, data.activities, as_of=AS_OF)
    labelled = np.flatnonzero(~data.contacts["Outcome"].isin(["Open"]).to_numpy())
    assert np.array_equal(cal.labelled, labelled)
    assert np.array_equal(results.contacts["score"].to_numpy()[labelled], cal.scores)
    assert (out_dir / "scorecard.toml").read_text() == cal.snippet


def test_calibrate_on_maven_prints_the_report(tmp_path):
    out_dir = tmp_path / "maven"
    result = run(
        "calibrate",
        MAVEN,
        "--config",
        MAVEN_CONFIG,
        "--outcome",
        "deal_stage",
        "--positive",
        "Won",
        "--negative",
        "Lost",
        "--as-of",
        "2017-12-31",
        "--out-dir",
        out_dir,
    )
    assert result.exit_code == 0, result.output
    lines = [line.rstrip() for line in result.output.splitlines()]
    assert lines[0] == f"Calibrating on {MAVEN} with {MAVEN_CONFIG}"
    for line in (
        "Scorecard AUC 0.513 ± 0.010 (unrounded model 0.512), current config 0.497, "
        "gradient-boosting ceiling 0.496, over 5 stratified folds.",
        "Left out 2,089 contacts without an outcome.",
        f"Wrote the learned points and thresholds to {out_dir / 'scorecard.toml'}",
        f"Wrote the lift and calibration chart to {out_dir / 'calibration.png'}",
        f"Wrote the funnel before and after to {out_dir / 'funnel.csv'}",
    ):
        assert line in lines
    assert "Cross-validated AUC (5 stratified folds, 6,711 contacts, 4,238 positive)" in lines
    warning = "Warning: the scorecard's cross-validated AUC is 0.513: these fields barely tell"
    assert any(line.startswith(warning) for line in lines)
    assert (
        "Warning: [calibrate.targets] names stages the ladder does not have (SQL, Prospect): "
        "ignored"
    ) in lines
    for title in (
        "Lift and calibration by decile",
        "Top 10 factors",
        "Stage thresholds learned on out-of-fold scores",
        "Funnel of these contacts: current config -> learned config",
    ):
        assert any(line.startswith(title) for line in lines), title
    with Image.open(out_dir / "calibration.png") as png:
        assert png.format == "PNG" and png.size == (1320, 550)


def test_write_needs_a_config_file(tmp_path):
    (tmp_path / "contacts.csv").write_text("Email,Outcome\na@x.com,won\n")
    source = tmp_path / "contacts.csv"
    result = run("calibrate", source, "--outcome", "Outcome", "--positive", "won", "--write")
    assert result.exit_code == 2
    assert result.output.endswith(
        "Error: --write needs a config file to update: give --config FILE\n"
    )


@pytest.mark.parametrize(
    ("blocked", "package"), [("sklearn", "scikit-learn"), ("matplotlib", "matplotlib")]
)
def test_without_the_learn_extra_the_message_says_how_to_install_it(blocked, package, tmp_path):
    code = (
        f"import sys; sys.modules[{blocked!r}] = None\nfrom sheetfunnel.cli import main\nmain()\n"
    )
    argv = ["calibrate", str(MAVEN), "--config", str(MAVEN_CONFIG), "--outcome", "deal_stage"]
    argv += ["--positive", "Won", "--out-dir", str(tmp_path / "out")]
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.endswith(
        f"Error: calibrate needs {package}, which is not installed; install it with: "
        "pip install 'sheetfunnel[learn]'\n"
    )
    assert not (tmp_path / "out").exists()


def test_an_outcome_without_positives_is_explained(tmp_path):
    result = run(
        "calibrate",
        MAVEN,
        "--config",
        MAVEN_CONFIG,
        "--outcome",
        "deal_stage",
        "--positive",
        "Closed Won",
        "--out-dir",
        tmp_path,
    )
    assert result.exit_code == 4
    assert result.output.endswith(
        "Error: column 'deal_stage': no positive outcome among the contacts (values seen: "
        "'Won', 'Engaging', 'Lost', 'Prospecting'); check --positive/--negative\n"
    )


def test_an_excel_workbook_gives_what_its_csv_export_gives(history, tmp_path):
    book = tmp_path / "history.xlsx"
    with pd.ExcelWriter(book, engine="xlsxwriter") as writer:
        pd.read_csv(history / "contacts.csv", dtype=str).to_excel(
            writer, sheet_name="Contacts", index=False
        )
        pd.read_csv(history / "Activities.csv", dtype=str).to_excel(
            writer, sheet_name="Activities", index=False
        )
    config = load_config(history / "sheetfunnel.toml")
    kw = {"outcome": "Outcome", "positive": ["Won"], "negative": ["Lost"], "as_of": AS_OF}
    from_csv = calibrate_source(history / "contacts.csv", config, **kw)
    from_xlsx = calibrate_source(book, config, **kw)
    assert from_xlsx.snippet == from_csv.snippet
    assert np.array_equal(from_xlsx.scores, from_csv.scores)
