"""How long a write leaves the row order unchecked, measured from the emulator's log."""

from __future__ import annotations

from .server import Logged


def write_window(calls: list[Logged]) -> tuple[float, float] | None:
    """(exposed, remaining) seconds of a writing sync, from the emulator's log: `exposed` runs
    from the end of the row-order check to the end of the last values write (a sort landing
    there is caught by the verification read and repaired); `remaining` is how long the write
    went on after the verification read started (<= 0: the verification saw the final state)."""
    posts = [i for i, c in enumerate(calls) if c.method == "POST"]
    values = [i for i in posts if "values:" in calls[i].path]
    if not values:
        return None
    check = max(i for i in range(posts[0]) if calls[i].path.endswith("values:batchGet"))
    verify = min(
        (i for i in range(values[-1], len(calls)) if calls[i].path.endswith("values:batchGet")),
        default=None,
    )
    if verify is None:
        return None
    end = calls[values[-1]].at + calls[values[-1]].seconds
    exposed = end - (calls[check].at + calls[check].seconds)
    return exposed, end - calls[verify].at
