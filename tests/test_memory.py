"""The collector pause and the heap hand-back around the big steps."""

from __future__ import annotations

import gc

import pytest

from sheetfunnel import memory
from sheetfunnel.memory import give_back, paused_gc


def test_paused_gc_restores_the_collector_even_on_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), paused_gc():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_nested_pause_leaves_the_outer_one_paused() -> None:
    with paused_gc():
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_already_off_stays_off() -> None:
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_give_back_reaches_glibc_malloc_trim_on_this_platform() -> None:
    """On the Debian machines the project runs on, the hand-back is live, not a no-op."""
    assert memory._trim() is not None
    give_back()
