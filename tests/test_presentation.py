"""Column widths fitted to their content (presentation.width_for)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sheetfunnel.presentation import DEFAULT_MAX, MAX_WIDTH, width_for

CELL = st.one_of(
    st.none(),
    st.text(max_size=120),
    st.integers(-(10**6), 10**9),
    st.floats(allow_infinity=False),
    st.booleans(),
)


@given(
    values=st.lists(CELL, max_size=30).map(tuple),
    kind=st.sampled_from(["text", "number"]),
    field=st.sampled_from(["why", "next_action", "score"]),
    header=st.text(min_size=1, max_size=20),
)
def test_the_width_is_the_longest_cell_as_text_or_the_header(
    values: tuple, kind: str, field: str, header: str
) -> None:
    shown = [v for v in values if v is not None and not (isinstance(v, float) and v != v)]
    longest = max((len(str(v)) for v in shown), default=0)
    wanted = max(len(header) + 3, longest + 2, 8)
    assert width_for(field, header, values, kind) == float(
        min(wanted, MAX_WIDTH.get(field, DEFAULT_MAX))
    )


def test_a_date_column_is_as_wide_as_a_date() -> None:
    assert width_for("stage_since", "Stage since", (None,), "date") == 14.0
