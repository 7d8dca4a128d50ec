"""The scheduling examples under scripts/ work: their schedules parse, every sheetfunnel
command line in them is accepted by the CLI, and the crontab's line really runs a sync and
treats a workbook open in Excel (exit 6) as "retry at the next run"."""

import datetime as dt
import re
import shlex
import subprocess
import sys

import pytest
import yaml
from cronsim import CronSim
from helpers import ROOT
from run_helpers import DAY, cli_env, copy_book, table

from sheetfunnel.cli import cli
from sheetfunnel.demo import create_demo
from sheetfunnel.runlog import read_records

SCRIPTS = ROOT / "scripts"
CRONTAB = SCRIPTS / "cron" / "sheetfunnel.crontab"


def sheetfunnel_args(command: str) -> list[list[str]]:
    """The arguments of every `sheetfunnel ...` call in a shell command line."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    tokens = list(lexer)
    calls = []
    for i, token in enumerate(tokens):
        if token == "sheetfunnel":
            args = []
            for t in tokens[i + 1 :]:
                if t in (";", "&&", "||", "|"):
                    break
                args.append(t)
            calls.append(args)
    return calls


def accepted(args: list[str]) -> None:
    """The CLI parses these arguments (options exist, values are valid)."""
    name, *rest = args
    command = cli.commands[name]
    with command.make_context(name, rest) as ctx:
        assert ctx.params


def cron_lines():
    for line in CRONTAB.read_text().splitlines():
        if line.strip() and not line.startswith("#") and not re.match(r"^[A-Z_]+=", line):
            fields = line.split(None, 5)
            yield " ".join(fields[:5]), fields[5]


def test_crontab_schedules_and_commands_are_valid():
    lines = list(cron_lines())
    assert len(lines) == 2
    start = dt.datetime(2026, 11, 27, 19, 50, tzinfo=dt.UTC)  # a Friday evening
    for schedule, command in lines:
        assert next(CronSim(schedule, start)) > start
        (args,) = sheetfunnel_args(command)
        accepted(args)
        assert args[0] == "sync" and "-q" in args
    assert next(CronSim(lines[0][0], start)).strftime("%a %H:%M") == "Mon 08:00"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return create_demo(tmp_path_factory.mktemp("demo"), contacts=60, end=DAY).workbook


def test_the_crontab_line_syncs_and_lets_a_busy_workbook_pass(pristine, tmp_path):
    book = copy_book(pristine, tmp_path)
    _, command = next(cron_lines())
    command = command.replace("cd /srv/sales", f"cd {shlex.quote(str(tmp_path))}")
    command = command.replace(
        "sheetfunnel sync", f"{shlex.quote(sys.executable)} -m sheetfunnel sync"
    )
    env = cli_env(tmp_path / "state")

    def cron_runs():
        return subprocess.run(
            ["sh", "-c", command], env=env, capture_output=True, text=True, timeout=120
        )

    owner = tmp_path / "~$pipeline.xlsx"
    owner.write_bytes(b"\x05Marie" + b"\x00" * 60)
    busy = cron_runs()
    assert busy.returncode == 0 and "is open in Excel by Marie" in busy.stderr
    owner.unlink()
    done = cron_runs()
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    skipped = cron_runs()
    assert skipped.returncode == 0
    log = [r["outcome"] for r in read_records(tmp_path / "sheetfunnel-runs.jsonl")]
    assert log == ["busy", "synced", "unchanged"]
    assert table(book, "Summary")
    broken = tmp_path / "pipeline.xlsx"
    broken.write_bytes(b"not a workbook")
    failed = cron_runs()
    assert failed.returncode == 5 and "is not an Excel workbook" in failed.stderr


def unit(name: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in (SCRIPTS / "systemd" / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_systemd_units_run_a_valid_sync_and_tolerate_busy():
    service = unit("sheetfunnel-sync.service")
    (exec_start,) = service["ExecStart"]
    (args,) = sheetfunnel_args(exec_start)
    accepted(args)
    assert service["Type"] == ["oneshot"] and service["SuccessExitStatus"] == ["6"]
    timer = unit("sheetfunnel-sync.timer")
    assert timer["Unit"] == ["sheetfunnel-sync.service"]
    assert timer["OnCalendar"] == ["Mon..Fri *-*-* 08..19:00/15", "*-*-* 06:30"]


def test_ci_workflow_passes_the_secret_as_a_temp_file():
    flow = yaml.safe_load((SCRIPTS / "ci" / "scheduled-sync.yml").read_text())
    triggers = flow[True]  # YAML 1.1 reads the key `on` as true
    (schedule,) = triggers["schedule"]
    next(CronSim(schedule["cron"], dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))
    steps = {s.get("name", s.get("uses")): s for s in flow["jobs"]["sync"]["steps"]}
    key_step = steps["Write the service-account key to a temporary file"]
    assert key_step["env"] == {"SERVICE_ACCOUNT": "${{ secrets.SHEETFUNNEL_SERVICE_ACCOUNT }}"}
    assert "umask 077" in key_step["run"]
    assert 'echo "SHEETFUNNEL_CREDENTIALS=$key" >> "$GITHUB_ENV"' in key_step["run"]
    assert "secrets." not in steps["Sync"]["run"]  # the key never appears on a command line
    (args,) = sheetfunnel_args(steps["Sync"]["run"].replace('"$SHEET"', "sheet.xlsx"))
    accepted(args)
    assert steps["Remove the key"]["if"] == "always()"
