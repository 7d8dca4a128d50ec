"""A proposal as a short, commented `sheetfunnel.toml`: only what differs from the defaults."""

from __future__ import annotations

import json

from ..config import Config
from ..normalise import plural
from .propose import Proposal

COMMENT_AT = 34


def q(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def line(assignment: str, comment: str = "") -> str:
    """`key = value` with its comment aligned, as in the default config."""
    if not comment:
        return assignment
    return f"{assignment:<{COMMENT_AT - 1}} # {comment}"


def render(p: Proposal, defaults: Config, source: str) -> str:
    """The config text for `p`; it validates (tests check it) and needs no hand edit."""
    sheet = p.sheet
    out = [
        f"# sheetfunnel config for {source}, written by `sheetfunnel init`.",
        "# Only what differs from the built-in defaults is here; `sheetfunnel check-config",
        "# --source ...` checks it against the sheet. Every key: the default config",
        "# (config/sheetfunnel.toml in the project).",
        "",
        "[source]",
    ]
    src = defaults.source
    if sheet.kind != "csv" and sheet.contacts.name != src.contacts_tab:
        out.append(line(f"contacts_tab = {q(sheet.contacts.name)}"))
    if sheet.contacts.header_row != src.header_row:
        out.append(line(f"header_row = {sheet.contacts.header_row}", "a title sits above"))
    if sheet.log is None:
        out.append(line('activities_tab = ""', "no activity log found"))
    else:
        name = sheet.log.name.removesuffix(".csv") if sheet.kind == "csv" else sheet.log.name
        if name != src.activities_tab:
            out.append(line(f"activities_tab = {q(name)}", "the activity log"))
        if sheet.log.header_row != src.activities_header_row:
            out.append(line(f"activities_header_row = {sheet.log.header_row}"))
    if p.date_order:
        out.append(line(f'date_order = "{p.date_order}"', "text dates are month first"))
    out += ["", "[columns]"]
    columns = defaults.columns
    for field in type(columns).model_fields:
        if field == "extra":
            continue
        default = getattr(columns, field) or ""
        header = p.fields.get(field)
        if header is None:
            if field == "stage_override" and p.stage_like:
                out += _stage_offer(p)
            elif default:
                out.append(line(f'{field} = ""', f"no {default!r} column found"))
            continue
        if header.strip().casefold() != default.casefold():
            note = "a close spelling: check it" if field in p.fuzzy else ""
            out.append(line(f"{field} = {q(header)}", note))
    if sheet.log is not None:
        out += ["", "[activities]"]
        log = defaults.activities
        for name, header in p.log_columns.items():
            if header.strip().casefold() != getattr(log, name).casefold():
                out.append(line(f"{name} = {q(header)}"))
        out += _labels(p, defaults)
    for c in p.counters:
        out += ["", "[[activity_columns]]", line(f"header = {q(c.header)}")]
        out += [line(f"type = {q(c.type)}"), line(f"kind = {q(c.kind)}")]
    if p.clashes:
        out += ["", "[output.columns]", "# your sheet already has these headers: ours get another"]
        managed = defaults.output.columns.model_dump(exclude={"letters"})
        attrs = {header: name for name, header in managed.items()}
        for header in p.clashes:
            out.append(line(f"{attrs[header]} = {q(header + ' (sheetfunnel)')}"))
    return "\n".join(out) + "\n"


def _stage_offer(p: Proposal) -> list[str]:
    header = p.stage_like[0]
    return [
        line('stage_override = ""'),
        f"# {header!r} is your own stage column: sheetfunnel never writes into it. To let a",
        "# stage typed there (Lead, MQL, SQL, Prospect, Customer, Lost...) win over the",
        "# computed one, use this line instead of the one above:",
        f"# stage_override = {q(header)}",
    ]


def _labels(p: Proposal, defaults: Config) -> list[str]:
    mapped = [n for n in p.names if n.type and n.how != "default"]
    missing = [n for n in p.names if not n.type]
    if not mapped and not missing:
        return []
    out = ["", "# Activity names of your log -> activity types (the default types' own names"]
    out += ["# need no line)", "[activities.labels]"]
    for n in mapped:
        note = plural(n.rows, "row") + (", a close spelling: check it" if n.how == "fuzzy" else "")
        out.append(line(f"{q(n.text)} = {q(n.type or '')}", note))
    if missing:
        types = ", ".join(defaults.activity_types)
        out.append(f"# No type found for these; uncomment with one of: {types}")
        for n in missing:
            out.append(line(f'# {q(n.text)} = ""', plural(n.rows, "row")))
    return out
