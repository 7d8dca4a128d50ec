"""Replay every recorded real Sheets/Drive exchange against a fresh emulator: same status, same
parsed JSON body.

Random ids are not guessed or masked: before an interaction whose recorded reply creates a
spreadsheet (Drive create) or a sheet (addSheet), the emulator is told to hand out the recorded
id next, so replies compare exactly. A spreadsheet the recording shows as 403 is registered as
existing but not shared. The only values substituted are Drive createdTime/modifiedTime
(wall-clock stamps), after checking the emulator's are RFC 3339 timestamps in the same fields.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.gsheets_emulator import Emulator

CASSETTES = Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures" / "gsheets-cassettes"
FILES = sorted(CASSETTES.glob("*.json")) + sorted((CASSETTES / "supplementary").glob("*.json"))
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SPREADSHEET = re.compile(r"/v4/spreadsheets/([^/:?]+)")


def _stamps(body: Any) -> Any:
    if isinstance(body, dict):
        out = {}
        for k, v in body.items():
            if k in ("createdTime", "modifiedTime"):
                assert isinstance(v, str) and STAMP.match(v), (k, v)
                out[k] = "<timestamp>"
            else:
                out[k] = _stamps(v)
        return out
    return body


def _prepare(emu: Emulator, interaction: dict[str, Any]) -> None:
    """Tell the emulator which ids the recorded reply shows (see module docstring)."""
    request, response = interaction["request"], interaction["response"]
    text = response["body"]["string"]
    status = response["status"]["code"]
    if status == 403:
        m = SPREADSHEET.search(request["uri"])
        if m and m.group(1) not in emu.spreadsheets:
            emu.add_private(m.group(1))
    if status != 200 or not text:
        return
    body = json.loads(text)
    if request["method"] == "POST" and "/drive/v3/files" in request["uri"]:
        emu.ids.queued["spreadsheet"].append(body["id"])
    for reply in body.get("replies", []) if isinstance(body, dict) else []:
        if "addSheet" in reply:
            emu.ids.queued["sheet"].append(reply["addSheet"]["properties"]["sheetId"])


def replay(path: Path) -> tuple[int, list[str]]:
    """Replay one cassette; returns (interactions, mismatch descriptions)."""
    interactions = json.loads(path.read_text())["interactions"]
    emu = Emulator().start()
    problems: list[str] = []
    try:
        session = requests.Session()
        for n, interaction in enumerate(interactions):
            _prepare(emu, interaction)
            request = interaction["request"]
            url = urlsplit(request["uri"])
            target = f"{emu.url}{url.path}" + (f"?{url.query}" if url.query else "")
            body = request["body"]
            got = session.request(
                request["method"],
                target,
                data=body.encode() if isinstance(body, str) else body,
                headers={"Authorization": "Bearer test-token", "Content-Type": "application/json"},
                timeout=10,
            )
            want_status = interaction["response"]["status"]["code"]
            want_text = interaction["response"]["body"]["string"]
            want = _stamps(json.loads(want_text)) if want_text else None
            have = _stamps(got.json()) if got.content else None
            if got.status_code != want_status or have != want:
                problems.append(
                    f"#{n} {request['method']} {request['uri']}\n"
                    f"  want {want_status} {json.dumps(want)[:600]}\n"
                    f"  got  {got.status_code} {json.dumps(have)[:600]}"
                )
    finally:
        emu.stop()
    return len(interactions), problems


def test_all_seventeen_cassettes_are_present() -> None:
    assert len(FILES) == 17


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_cassette_replays_exactly(path: Path) -> None:
    count, problems = replay(path)
    assert count > 0
    assert not problems, "\n".join(problems)
