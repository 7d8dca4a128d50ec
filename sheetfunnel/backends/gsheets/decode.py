"""Big API answers decoded, and big request bodies built, without the cyclic garbage
collector walking the heap meanwhile.

A values read of 10,000 contacts and 100,000 activities is ~10 MB of JSON: ~120,000 row
lists, alive until they are turned into columns. Allocated with the collector on, they are
promoted and set off full collections, each walking every object the process holds (0.15 to
0.4 s apiece in the Sheets benchmark, two or three per sync). JSON values and the lists and
dicts built from them hold no reference cycles: refcounting frees them all, so pausing the
collector while they are built loses nothing.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import requests

from sheetfunnel.memory import paused_gc


def loads(raw: bytes) -> Any:
    """A response body decoded as `requests.Response.json()` would (its error included: a
    cut or garbled body is a RequestException, retried like a dropped connection).

    orjson decodes the 10 MB values read of 10k contacts in half json's time. A number
    written past 64 bits decodes as a float: a Sheets cell holds a double, as Excel's do (and
    calamine reads those as floats too).
    """
    try:
        with paused_gc():
            return orjson.loads(raw)
    except json.JSONDecodeError as ex:  # orjson's error is a json.JSONDecodeError
        raise requests.exceptions.JSONDecodeError(ex.msg, ex.doc, ex.pos) from ex


def dumps(value: Any) -> bytes:
    """Compact JSON of request values (orjson: 5x json's speed). Cells reach here through
    `model.to_json`, which sends NaN and infinities as "" (orjson would send null)."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:  # an integer past 64 bits
        return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()
