"""Fit a config to the sheet it reads: a field whose header the sheet lacks is not used.

A new user's sheet rarely has all eleven default headers. Rather than stopping on each one,
the fields the sheet does not have are dropped, and with them the fit rules, completeness
fields and summary groupings that need them; one notice lists them. Only the contact key
(and, for a log, its contact, type and date columns) is required: without it nothing can be
matched, so that one still stops the run (in `normalise.resolve_headers`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from .config import CONTACT_FIELDS, Config
from .normalise import Notice


def fit_to_sheet(config: Config, headers: Iterable[object]) -> tuple[Config, Notice | None]:
    """`config` without the fields whose header is not among `headers` (any case), and a
    notice naming them and what went with them; the config itself when nothing is missing."""
    present = [str(h) for h in headers]
    folded = {h.strip().casefold() for h in present}
    columns = config.columns
    missing = {
        field: header
        for field, header in columns.mapped().items()
        if field != "key" and header.strip().casefold() not in folded
    }
    if not missing:
        return config, None
    base = {f: None for f in CONTACT_FIELDS if f in missing}
    extra = {f: h for f, h in columns.extra.items() if f not in missing}
    fit = config.fit
    rules = tuple(r for r in fit.rules if r.field not in missing)
    complete = tuple(f for f in fit.completeness_fields if f not in missing)
    group_by = tuple(f for f in config.summary.group_by if f not in missing)
    trimmed = config.model_copy(
        update={
            "columns": columns.model_copy(update={**base, "extra": extra}),
            "fit": fit.model_copy(update={"rules": rules, "completeness_fields": complete}),
            "summary": config.summary.model_copy(update={"group_by": group_by}),
        }
    )
    names = []
    for field, header in missing.items():
        hint = difflib.get_close_matches(header, present, n=1, cutoff=0.75)
        names.append(f"{field} ({header!r}" + (f", did you mean {hint[0]!r}?)" if hint else ")"))
    went = []
    if len(rules) < len(fit.rules):
        went.append(_count(len(fit.rules) - len(rules), "fit rule"))
    if len(complete) < len(fit.completeness_fields):
        went.append(_count(len(fit.completeness_fields) - len(complete), "completeness field"))
    if len(group_by) < len(config.summary.group_by):
        dropped = [f for f in config.summary.group_by if f in missing]
        went.append("the summary by " + " and ".join(dropped))
    example = next(iter(missing))
    message = (
        f"not in the sheet, so not used: {', '.join(names)}"
        + (f"; with them go {', '.join(went)}" if went else "")
        + f". If the sheet has one under another header, map it in [columns] "
        f'(e.g. columns.{example} = "Your header").'
    )
    return trimmed, Notice("unused_fields", len(missing), message)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"
