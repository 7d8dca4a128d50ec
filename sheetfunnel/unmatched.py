"""The table of activity names a log uses that match no activity type: each with its rows and
the closest types, and the config line that maps them."""

from __future__ import annotations

import numpy as np

from .config import Config
from .mapping import closest_types
from .normalise import Notice, plural


def unmatched_notice(
    config: Config, names: list[str | None], counts: np.ndarray, rows: int
) -> Notice:
    """A table of the log's activity names that match no type: rows, closest types, fix."""
    total = int(counts.sum())
    order = np.argsort(-counts, kind="stable")
    width = max(len(repr(n)) if n else 5 for n in names)
    lines = [
        f"{plural(total, 'activity row')} of {rows:,} ({total / max(rows, 1):.0%}) "
        f"{'has' if total == 1 else 'have'} a name that matches no activity type, and "
        f"{'was' if total == 1 else 'were'} left out:",
        f"  {'name':<{width}}  {'rows':>6}  closest types",
    ]
    example = None
    for i in order[:15]:
        name = names[i]
        near = closest_types(name, config) if name else []
        if name and near and example is None:
            example = (name, near[0])
        shown = repr(name) if name else "blank"
        lines.append(f"  {shown:<{width}}  {int(counts[i]):>6,}  {', '.join(near) or '-'}")
    if len(order) > 15:
        lines.append(
            f"  … and {len(order) - 15:,} more names (`sheetfunnel init` on the sheet, with "
            "--dry-run, lists and maps them all)"
        )
    first = next((n for n in names if n), "the name")
    name, type_id = example or (first, "<activity type>")
    lines.append(
        "Map each name to its type in the [activities] section of the config, e.g. labels = "
        f"{{ {_toml_key(name)} = {_toml_key(type_id)} }} (or run `sheetfunnel init` on the sheet "
        "to write them)."
    )
    severe = total * 2 > rows
    return Notice("unknown_activity_types", total, "\n".join(lines), severe=severe and rows > 0)


def _toml_key(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
