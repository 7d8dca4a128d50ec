"""Bounded retries for Google Sheets calls (gspread's own back-off retries forever)."""

from __future__ import annotations

import datetime as dt
import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import requests
from gspread.exceptions import APIError

T = TypeVar("T")

RETRIABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Truncated exponential back-off with jitter: wait min(cap, base * 2**n) + jitter.

    `sleep` and `jitter` are injectable so tests neither sleep nor depend on chance.
    """

    attempts: int = 6
    base: float = 1.0
    cap: float = 32.0
    #: The longest Retry-After honoured (a longer one is cut to this).
    max_retry_after: float = 120.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    jitter: Callable[[], float] = field(default=random.random, compare=False)

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (0-based)."""
        return min(self.cap, self.base * 2**retry) + self.jitter()


class Exhausted(Exception):
    """The last failure after every attempt was spent (or a failure not worth retrying)."""

    def __init__(self, error: BaseException, attempts: int, waited: float):
        super().__init__(str(error))
        self.error, self.attempts, self.waited = error, attempts, waited


def status_of(ex: APIError) -> int:
    """The HTTP status: gspread reports -1 when the error body is not JSON (a proxy's HTML
    502 page, say), so fall back to the response itself."""
    response = getattr(ex, "response", None)
    if (ex.code is None or ex.code < 100) and response is not None:
        return int(response.status_code)
    return int(ex.code)


def retry_after(ex: BaseException) -> float | None:
    """Seconds a 429/503 answer's Retry-After header asks to wait (a number of seconds or
    an HTTP date), or None."""
    response = getattr(ex, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return (when - dt.datetime.now(dt.UTC)).total_seconds()


def retriable(ex: BaseException) -> bool:
    if isinstance(ex, APIError):
        return status_of(ex) in RETRIABLE_STATUS
    return isinstance(ex, requests.exceptions.Timeout | requests.exceptions.ConnectionError)


def call(policy: RetryPolicy, fn: Callable[[], T], *, idempotent: bool = True) -> T:
    """Run `fn`, retrying 429/5xx answers (and, when `idempotent`, timeouts and dropped
    connections: a request that timed out may have been applied)."""
    waited = 0.0
    for attempt in range(policy.attempts):
        try:
            return fn()
        except (APIError, requests.exceptions.RequestException) as ex:
            no_answer = not isinstance(ex, APIError)
            if not retriable(ex) or (no_answer and not idempotent):
                raise Exhausted(ex, attempt + 1, waited) from ex
            if attempt + 1 == policy.attempts:
                raise Exhausted(ex, attempt + 1, waited) from ex
            pause = policy.delay(attempt)
            asked = retry_after(ex)
            if asked is not None:  # the server said how long: wait that, within the cap
                pause = min(max(asked, 0.0), policy.max_retry_after)
            waited += pause
            policy.sleep(pause)
    raise AssertionError("unreachable")
