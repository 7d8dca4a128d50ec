"""Issue 10, the property: any sequence of everyday edits, with syncs between them, keeps the
invariants of oracle.py (every row = the engine's values for its contact, History = the real
stage changes, no cell of the user's changed), on both backends.

hypothesis draws two to six edits (each with an integer that picks its arguments: which
contact, which column, which tab; see `Week.random_edit`) and after each edit whether to sync
now; the last edit is always followed by a sync. Runs are derandomized (the same examples on
every run and in CI). Shrinking is off: one Excel example costs seconds of LibreOffice work,
and the failure message already lists every edit and sync of the failing example in order.

Budget (2 shared cores): a sync costs about 0.7 s and its check about 0.5 s on either
backend (two engine runs dominate), a LibreOffice edit (load, edit, store as xlsx) 0.2-0.6 s.
With the counts below the whole tests/scenarios directory needs about 170 s of CPU and runs
in about 3 minutes on 2 cores (longer on a machine busy with other test runs).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.scenarios.harness import Week, describe

#: Examples per backend (a Sheets example is somewhat cheaper: no LibreOffice round trip).
EXAMPLES = {"excel": 6, "sheets": 10}
MAX_EDITS = 6

#: (edit, the integer that picks its arguments, sync right after it?)
EDIT = st.tuples(st.sampled_from(Week.EDITS), st.integers(0, 999), st.booleans())
EDITS = st.lists(EDIT, min_size=2, max_size=MAX_EDITS)


def run(week: Week, edits: list[tuple[str, int, bool]]) -> None:
    """First sync, then the drawn edits, syncing where drawn and after the last one; then
    a second sync the same day, which must write nothing (a sync is idempotent)."""
    week.sync()
    for i, (name, pick, sync_now) in enumerate(edits):
        week.random_edit(name, pick)
        if sync_now or i == len(edits) - 1:
            week.sync()
    again = week.sync(next_day=False)
    assert again is not None and not again.changed, (
        f"a second sync on {week.day} with no edit in between wrote again: "
        f"{again.write.details if again else None}"
    )


def _settings(kind: str) -> settings:
    return settings(
        max_examples=EXAMPLES[kind],
        deadline=None,
        derandomize=True,
        database=None,
        phases=(Phase.explicit, Phase.generate),
        # `new_week` is session-scoped; the only function-scoped fixture is tests/conftest's
        # autouse state folder, which every example may share.
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def _check(new_week: Callable[[str], Week], kind: str, edits: list[tuple[str, int, bool]]):
    week = new_week(kind)
    try:
        run(week, edits)
    except Exception as ex:
        steps = "\n  ".join(week.steps)
        raise AssertionError(
            f"{kind}: after these edits and syncs:\n  {steps}\n{describe(ex)}"
        ) from ex


@pytest.mark.parametrize("kind", ["excel"])
@_settings("excel")
@given(edits=EDITS)
def test_random_edits_on_a_workbook(
    new_week: Callable[[str], Week], kind: str, edits: list[tuple[str, int, bool]]
) -> None:
    _check(new_week, kind, edits)


@pytest.mark.parametrize("kind", ["sheets"])
@_settings("sheets")
@given(edits=EDITS)
def test_random_edits_on_a_google_sheet(
    new_week: Callable[[str], Week], kind: str, edits: list[tuple[str, int, bool]]
) -> None:
    _check(new_week, kind, edits)
