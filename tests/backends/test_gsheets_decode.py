"""JSON in and out of the Sheets API: orjson, with json for what orjson refuses."""

from __future__ import annotations

import json

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from sheetfunnel.backends.gsheets import decode

#: What a values answer or body holds: texts, numbers (some past 64 bits), booleans, nulls.
CELLS = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**25), 10**25)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=5)
    ),
    max_leaves=30,
)


def _as_sheets_holds(value: object) -> object:
    """`value` with each integer past 64 bits as the double a cell would hold."""
    if isinstance(value, bool) or not isinstance(value, int | list | dict):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**64 else float(value)
    if isinstance(value, list):
        return [_as_sheets_holds(v) for v in value]
    return {k: _as_sheets_holds(v) for k, v in value.items()}


@given(CELLS)
def test_answers_decode_as_json_would_numbers_as_a_cell_holds_them(value: object) -> None:
    raw = json.dumps(value).encode()
    assert decode.loads(raw) == _as_sheets_holds(json.loads(raw))


@given(CELLS)
def test_bodies_encode_to_what_json_reads_back(value: object) -> None:
    assert json.loads(decode.dumps(value)) == value


def test_an_integer_past_64_bits_is_sent_exactly_and_read_as_a_double() -> None:
    big = 123456789012345678901234567890
    assert decode.loads(b'{"values": [[%d]]}' % big) == {"values": [[float(big)]]}
    assert decode.dumps([[big, "x"]]) == b'[[%d,"x"]]' % big


@pytest.mark.parametrize("raw", [b'{"values": [[1, 2]', b"", b"<html>502</html>"])
def test_a_cut_or_garbled_answer_is_a_requests_error_retried_as_such(raw: bytes) -> None:
    with pytest.raises(requests.exceptions.JSONDecodeError):
        decode.loads(raw)
