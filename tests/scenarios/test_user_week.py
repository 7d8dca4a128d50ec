"""Issue 10, "a user's week": every everyday edit between two syncs, one after another, on a
workbook edited in real LibreOffice and on a Google Sheet edited through the Sheets API
(local emulator). After each sync every contact row must carry exactly the engine's values,
History only the real stage changes, and no cell of the user's may have changed (oracle.py).

The week goes on after a failed step (each step's edits are applied to whatever the previous
sync left), so one run lists every step that fails, each with its row, key and column.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.scenarios.harness import UNKNOWN_ACTIVITY, Week, describe

Step = Callable[[Week], None]


def first_sync(week: Week) -> None:
    week.sync()


def a_contact_added_after_a_sync_cli(week: Week) -> None:
    """The regression of issue 10: `sheetfunnel sync` exited 1 with a TypeError."""
    new = week.add_contact()
    week.add_activity(new, "Demo request")
    week.sync(via="cli")


def a_contact_inserted_in_the_middle(week: Week) -> None:
    keys = week.keys()
    week.insert_contact(keys[len(keys) // 2])
    week.sync()


def sorted_by_our_score_descending(week: Week) -> None:
    week.sort_by(week.ours()["score"], descending=True)
    week.sync()


def sorted_by_name(week: Week) -> None:
    week.sort_by("Name", descending=False)
    week.sync()


def a_contact_deleted(week: Week) -> None:
    week.delete_contact(week.keys()[5])
    week.sync()


def a_user_column_inserted(week: Week) -> None:
    week.insert_user_column(before_header="Company")
    week.sync()


def a_user_column_between_ours(week: Week) -> None:
    week.insert_user_column(before_header=week.ours()["next_action"])
    week.sync()


def a_stage_typed_then_synced_from_the_command_line(week: Week) -> None:
    """README: the warning is on the terminal too."""
    keys = [k for k in week.single_keys() if week.stage_shown(k) != "SQL"]
    week.type_into_stage(keys[-1], "SQL")
    week.sync(via="cli")


def a_stage_typed_on_the_second_row_of_a_duplicate(week: Week) -> None:
    """The demo's duplicate contact (the same e-mail in another case) has two rows; a value
    typed into the second one's Stage cell must be reported like any other."""
    keys = week.contact_keys()
    folded = [k.strip().casefold() for k in keys]
    second = next(k for i, k in enumerate(keys) if folded.index(folded[i]) != i)
    week.type_into_stage(second, "Prospect" if week.stage_shown(second) != "Prospect" else "MQL")
    week.sync()


def a_stage_set_by_hand_in_the_override_column(week: Week) -> None:
    """The documented way: History records the change, set by hand; Why says so."""
    key = next(k for k in week.single_keys() if week.stage_shown(k) == "Lead")
    week.set_stage_by_hand(key, "Prospect")
    week.sync()


def a_user_column_named_like_ours(week: Week) -> None:
    """A CRM export's own "Stage": the user's; ours becomes "Stage (sheetfunnel)"."""
    week.insert_user_column(before_header="Company", header="Stage", value="Negotiation")
    week.sync()


def our_stage_column_moved_to_the_front(week: Week) -> None:
    week.move_column(week.ours()["stage"], before_header="Email")
    week.sync()


def a_user_column_moved_after_ours(week: Week) -> None:
    week.move_column("Phone", before_header=None)
    week.sync()


def a_user_column_deleted(week: Week) -> None:
    week.delete_user_column("Notes")
    week.sync()


def our_score_header_renamed(week: Week) -> None:
    week.rename_our_header("score", "Lead score")
    week.sync()


def our_next_action_header_emptied(week: Week) -> None:
    week.rename_our_header("next_action", "")
    week.sync()


def our_why_column_deleted(week: Week) -> None:
    week.delete_our_column("why")
    week.sync()


def our_stage_since_column_deleted(week: Week) -> None:
    week.delete_our_column("stage_since")
    week.sync()


def a_stage_typed_into_our_column(week: Week) -> None:
    """A stage name and a stray text, each over a Stage cell showing something else."""
    keys = [k for k in week.single_keys() if week.stage_shown(k) not in ("Customer", "Hot!!")]
    week.type_into_stage(keys[2], "Customer")
    week.type_into_stage(keys[7], "Hot!!")
    week.sync()


def new_activities_one_of_an_unknown_type(week: Week) -> None:
    keys = week.keys()
    week.add_activity(keys[0], "Quote request")
    week.add_activity(keys[1], "Meeting")
    week.add_activity(keys[3], UNKNOWN_ACTIVITY)
    week.sync()


def a_contact_added_at_the_bottom(week: Week) -> None:
    week.add_contact()
    week.sync()


def tabs_reordered(week: Week) -> None:
    week.reorder_tabs()
    week.sync()


def our_summary_tab_deleted(week: Week) -> None:
    week.delete_our_tab("summary")
    week.sync()


def our_history_tab_deleted(week: Week) -> None:
    week.delete_our_tab("history")
    week.sync()


def sorted_by_stage_descending(week: Week) -> None:
    week.sort_by(week.ours()["stage"], descending=True)
    week.sync()


def the_contacts_tab_emptied(week: Week) -> None:
    week.empty_contacts()
    week.sync()


def a_contact_added_to_the_empty_tab_cli(week: Week) -> None:
    new = week.add_contact()
    week.add_activity(new, "Meeting")
    week.sync(via="cli")


def a_second_sync_the_same_day_writes_nothing(week: Week) -> None:
    """README: a second sync with unchanged input writes nothing (a workbook keeps its bytes
    and its modification time)."""
    stamp = (week.file.read_bytes(), week.file.stat().st_mtime_ns) if week.file else None
    report = week.sync(next_day=False)
    assert report is not None
    assert not report.changed, (
        f"{week.editor.kind}: a second sync on {week.day} with no edit wrote again: "
        f"{report.write.details}"
    )
    if week.file is not None and stamp is not None:
        assert (week.file.read_bytes(), week.file.stat().st_mtime_ns) == stamp, (
            f"{week.editor.kind}: a second sync on {week.day} with no edit changed {week.file}"
        )


WEEK: tuple[Step, ...] = (
    first_sync,
    a_contact_added_after_a_sync_cli,
    a_contact_inserted_in_the_middle,
    sorted_by_our_score_descending,
    sorted_by_name,
    a_contact_deleted,
    a_user_column_inserted,
    a_user_column_between_ours,
    our_stage_column_moved_to_the_front,
    a_user_column_moved_after_ours,
    a_user_column_deleted,
    our_score_header_renamed,
    our_next_action_header_emptied,
    our_why_column_deleted,
    our_stage_since_column_deleted,
    a_stage_typed_into_our_column,
    a_stage_typed_then_synced_from_the_command_line,
    a_stage_typed_on_the_second_row_of_a_duplicate,
    a_stage_set_by_hand_in_the_override_column,
    a_user_column_named_like_ours,
    new_activities_one_of_an_unknown_type,
    a_contact_added_at_the_bottom,
    tabs_reordered,
    our_summary_tab_deleted,
    our_history_tab_deleted,
    sorted_by_stage_descending,
    the_contacts_tab_emptied,
    a_contact_added_to_the_empty_tab_cli,
    a_second_sync_the_same_day_writes_nothing,
)


@pytest.mark.parametrize("backend", ["excel", "excel-table", "sheets"])
def test_a_users_week(new_week: Callable[[str], Week], backend: str) -> None:
    week = new_week(backend)
    failures: list[str] = []
    for number, step in enumerate(WEEK, start=1):
        try:
            step(week)
        except Exception as ex:  # the week goes on: list every failing step at the end
            failures.append(f"step {number} {step.__name__}: {describe(ex)}")
    assert not failures, (
        f"{len(failures)} of {len(WEEK)} steps failed ({len(WEEK) - week.syncs} syncs did not "
        "complete):\n\n" + "\n\n".join(failures)
    )
    assert week.syncs == len(WEEK)
