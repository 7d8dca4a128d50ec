"""`sheetfunnel init SOURCE`: from a user's own sheet to a config that syncs it, no hand edit.

It reads the header rows and the activity names (`reading`), maps them to sheetfunnel's
fields and activity types (`propose`, with the vocabulary of `mapping`), and writes a short,
commented `sheetfunnel.toml` beside the source holding only what differs from the defaults
(`render`). The CLI prints `summary_lines`: what was mapped, what was not, what to run next.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..config import config_from_dict, load_config
from ..errors import InputError
from ..normalise import plural
from .propose import Proposal, propose
from .reading import Sheet, read_sheet
from .render import render

__all__ = ["InitResult", "Proposal", "Sheet", "init_config", "summary_lines"]


@dataclass(frozen=True)
class InitResult:
    """What init wrote (or, with `dry_run`, would write) and why."""

    source: str
    config_path: Path
    text: str
    proposal: Proposal
    written: bool
    next_commands: tuple[str, ...]


def config_path_for(source: str, kind: str) -> Path:
    """Beside a file; in the current folder for a Google Sheet."""
    return (
        Path("sheetfunnel.toml") if kind == "gsheets" else Path(source).parent / "sheetfunnel.toml"
    )


def init_config(source: str, *, force: bool = False, dry_run: bool = False) -> InitResult:
    """Read `source`, propose a config and write it beside the source (not over an existing
    one unless `force`; not at all with `dry_run`)."""
    defaults = load_config()
    sheet = read_sheet(str(source))
    proposal = propose(sheet, defaults)
    if "key" not in proposal.fields and sheet.log is not None:
        headers = ", ".join(repr(str(h)) for h in sheet.contacts.frame.columns[:30])
        raise InputError(
            f"{source}, tab {sheet.contacts.name!r}: no column looks like an e-mail or an id "
            f"to match the activity log on (headers: {headers}); rename that column Email, or "
            'write columns.key = "<its header>" in a sheetfunnel.toml',
            file=str(source),
            sheet=sheet.contacts.name,
        )
    path = config_path_for(str(source), sheet.kind)
    text = render(proposal, defaults, Path(source).name if sheet.kind != "gsheets" else source)
    config_from_dict(tomllib.loads(text), file=path)  # never write a config that fails
    if path.exists() and not force and not dry_run:
        raise InputError(
            f"{path} already exists; pass --force to replace it, or --dry-run to print the "
            "config init would write",
            file=str(path),
        )
    if not dry_run:
        path.write_text(text, encoding="utf-8")
    config = f" --config {path}" if sheet.kind == "gsheets" else ""
    if sheet.kind == "csv":
        commands = (f"sheetfunnel score {source} --out results.xlsx",)
    else:
        commands = (
            f"sheetfunnel sync {source}{config}",
            f"sheetfunnel watch {source}{config} --every 15m",
        )
    return InitResult(str(source), path, text, proposal, not dry_run, commands)


def _share(part: int, whole: int, noun: str) -> str:
    """ "12 of 14 headers (86%)"."""
    return f"{part} of {whole} {noun} ({part / whole:.0%})" if whole else f"no {noun}"


def summary_lines(result: InitResult) -> list[str]:
    """What init read, mapped and could not map, and the next commands, as lines to print."""
    p = result.proposal
    sheet = p.sheet
    where = "" if sheet.kind == "csv" else f" in tab {sheet.contacts.name!r}"
    lines = [f"Read {result.source}: contacts{where}, headers on row {sheet.contacts.header_row}"]
    if sheet.log is not None:
        lines[0] += f"; activity log in {sheet.log.name!r} ({len(sheet.log.frame):,} rows)"
    else:
        lines[0] += "; no activity log"
    mapped, total = p.headers()
    lines.append(f"Mapped {_share(mapped, total, 'headers')}:")
    for field, header in p.fields.items():
        lines.append(f"  {header!r} -> {field}" + (" (close spelling)" if field in p.fuzzy else ""))
    for name, header in p.log_columns.items():
        lines.append(f"  {header!r} -> activities.{name}")
    for c in p.counters:
        lines.append(f"  {c.header!r} -> {c.type} ({c.kind} column)")
    for header in p.stage_like:
        lines.append(
            f"  {header!r}: your own stage column, left as it is; offered (commented) as "
            "columns.stage_override"
        )
    for header in p.clashes:
        lines.append(f"  {header!r}: yours; sheetfunnel writes {header + ' (sheetfunnel)'!r}")
    if p.unmapped:
        lines.append("Not used: " + ", ".join(repr(h) for h in p.unmapped))
    if p.names:
        done, count = p.activity_names()
        rows = sum(n.rows for n in p.names)
        rows_done = sum(n.rows for n in p.names if n.type)
        lines.append(
            f"Mapped {_share(done, count, 'activity names')}, {rows_done / rows:.0%} of the "
            "log's rows:"
        )
        for n in p.names:
            target = n.type or "no type found: pick one under [activities.labels]"
            lines.append(f"  {n.text!r} -> {target} ({plural(n.rows, 'row')})")
    verb = "Wrote" if result.written else "Would write (dry run)"
    lines.append(f"{verb} {result.config_path}")
    lines.append("Next: " + "   then: ".join(result.next_commands))
    return lines
