"""Finding the configured headers in a tab, and saying how to fix the config when one is not
there: the key that names it, or the command-line option it came from."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from .config import Config
from .errors import InputError, MissingColumnsError


def resolve_headers(
    columns: pd.Index,
    wanted: Mapping[str, str],
    *,
    tab: str,
    source: str = "",
    keys: Mapping[str, str] | None = None,
    header_key: str = "source.header_row",
    frame: pd.DataFrame | None = None,
) -> dict[str, str]:
    """Field -> actual column label; headers match ignoring case and surrounding spaces.

    Raises one MissingColumnsError naming every missing header, each with a "did you mean"
    hint and the config key (`keys`: field -> key path such as "activities.type", or a
    command-line option such as "--outcome"; default "columns.<field>") that names it.
    `frame`: the tab's rows, to spot headers sitting a few rows lower (a title above them).
    """
    folded = {str(c).strip().casefold(): c for c in columns}
    found: dict[str, str] = {}
    missing = []
    names: dict[str, str] = {}
    for field, header in wanted.items():
        actual = folded.get(header.strip().casefold())
        if actual is None:
            name = (keys or {}).get(field, f"columns.{field}")
            names[header] = name
            hint = difflib.get_close_matches(header, [str(c) for c in columns], n=1, cutoff=0.6)
            missing.append(
                f"{header!r} ({name})" + (f", did you mean {hint[0]!r}?" if hint else "")
            )
        else:
            found[field] = actual
    if missing:
        where = f"{source}, tab {tab!r}" if source else f"tab {tab!r}"
        if source.lower().endswith(".csv"):  # a CSV's other tabs are files beside it
            other = header_key != "source.header_row"
            name = tab if tab.lower().endswith(".csv") else f"{tab}.csv"
            where = str(Path(source).with_name(name)) if other else source
        have = ", ".join(repr(str(c)) for c in columns[:30]) or "nothing"
        raise MissingColumnsError(
            f"{where}: column{'s' if len(missing) > 1 else ''} not found: "
            + "; ".join(missing)
            + f". The header row has: {have}. "
            + (
                _lower_header_row(frame, names, header_key)
                or f"Fix the header in the sheet, or {fix_keys(names.values())}."
            ),
            headers=list(names),
            header_key=header_key,
            file=source or None,
            sheet=tab,
        )
    return found


def fix_keys(keys: Iterable[str]) -> str:
    """ "set activities.type in the [activities] section of the config", or "give the right
    header to --outcome": where the value that did not match came from."""
    options = sorted({k for k in keys if k.startswith("-")})
    by_section: dict[str, list[str]] = {}
    for key in keys:
        if not key.startswith("-"):
            section = key.split(".")[0].split("[")[0]
            by_section.setdefault(section, [])
            if key not in by_section[section]:
                by_section[section].append(key)
    parts = [
        f"set {', '.join(ks)} in the [{section}] section of the config"
        for section, ks in by_section.items()
    ]
    parts += [f"give the right header to {o}" for o in options]
    return "; or ".join(parts)


def _lower_header_row(frame: pd.DataFrame | None, names: Mapping[str, str], key: str) -> str:
    """ "The headers seem to be on row 3: set source.header_row = 3 ..." when a missing
    header appears in one of the first rows below the configured header row."""
    if frame is None or frame.empty:
        return ""
    wanted = {h.strip().casefold() for h in names}
    for row in frame.index[:10]:
        cells = {str(v).strip().casefold() for v in frame.loc[row].tolist() if v is not None}
        if cells & wanted:
            section = key.split(".")[0]
            return (
                f"The headers seem to be on row {row}: set {key} = {row} in the [{section}] "
                "section of the config."
            )
    return ""


def with_tab_key(error: BaseException, config: Config) -> BaseException:
    """A backend's "tab not found" with the config key that named the tab added; any other
    error as it is. (Backends know tabs, not the config.)"""
    if not isinstance(error, InputError) or isinstance(error, MissingColumnsError):
        return error
    if (
        not error.sheet
        or error.column
        or not ("not found" in str(error) or "not exist" in str(error))
    ):
        return error
    src = config.source
    keys = {src.contacts_tab: "source.contacts_tab"}
    if src.activities_tab:
        keys.setdefault(src.activities_tab, "source.activities_tab")
    for i, lookup in enumerate(src.lookups):
        keys.setdefault(lookup.tab, f"source.lookups[{i}].tab")
    key = keys.get(error.sheet)
    if key is None or key in str(error):
        return error
    text = str(error).rstrip(". ")
    hint = f"; set {key} in the [source] section of the config"
    if key == "source.activities_tab":
        hint += ' (or "" for no log)'
    out = InputError(text + hint, file=error.file, sheet=error.sheet)
    out.__cause__ = error
    return out
