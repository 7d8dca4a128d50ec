"""One sync: read the spreadsheet, score, work out what changed, write it back.

The backend does the reading and writing; this module turns the engine's results into a
complete `WritePlan` (managed columns for every sheet row, the Summary, History and state
tabs) and the list of stage changes since the last sync, against what the last sync wrote
(`owned.previous`). Which columns and tabs are ours is the backend's markers' word; their
names are chosen clear of the user's (`owned.resolve_names`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from . import engine, owned, presentation
from .backends.base import (
    Backend,
    CellValue,
    ManagedColumn,
    SheetData,
    StageColour,
    WritePlan,
    WriteResult,
)
from .config import Config
from .daily import daily_tab, trend_chart
from .history import history_table, previous_sync, stage_flow
from .normalise import Notice
from .owned import Names, Previous
from .progress import SILENT, Progress
from .rollup import companies_tab
from .tabs import history_tab, summary_tab


@dataclass(frozen=True)
class SyncReport:
    """What a sync found and did. `changes`: one row per stage change (see `stage_changes`)."""

    target: str
    dry_run: bool
    results: engine.Results
    changes: pd.DataFrame
    promotions: int
    demotions: int
    history_dropped: int
    write: WriteResult
    #: What the sheet itself told: clashes with the user's names, values typed into our cells.
    sheet_notices: tuple[Notice, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether the spreadsheet was (or, in a dry run, would be) written."""
        return self.write.changed

    @property
    def notices(self) -> tuple[Notice, ...]:
        """What the data, the sheet and the write had that the user should know about."""
        written = tuple(Notice("write", 1, note) for note in self.write.notes)
        return self.results.notices + self.sheet_notices + written


def _find(columns: pd.Index, header: str) -> str | None:
    folded = {str(c).strip().casefold(): c for c in columns}
    return folded.get(header.strip().casefold())


@dataclass(frozen=True)
class Inputs:
    """What a sync reads: the tabs (`SheetData`) and the lookup tabs the config joins."""

    data: SheetData
    lookups: Mapping[str, pd.DataFrame]


def read_inputs(backend: Backend, config: Config) -> Inputs:
    """Read everything a sync of `config` needs, once."""
    src = config.source
    data = backend.read(
        src.contacts_tab,
        src.header_row,
        src.activities_tab,
        src.activities_header_row,
        key_header=config.columns.key or "",
        log_headers=config.activities.headers(),
    )
    lookups = {lk.tab: backend.read_tab(lk.tab, lk.header_row) for lk in src.lookups}
    return Inputs(data, lookups)


def sync(
    backend: Backend,
    config: Config,
    *,
    as_of: dt.date | None = None,
    dry_run: bool = False,
    rebuild: bool = False,
    target: str = "",
    inputs: Inputs | None = None,
    progress: Progress = SILENT,
) -> SyncReport:
    """Score the spreadsheet behind `backend` and write the results back into it.

    `rebuild` is the clean re-score after the rules changed: History records only the stages
    that really changed (against the stages the sheet shows), a contact whose stage holds
    keeps its Stage since date (or gets back the date of its last History entry into that
    stage when the cell was cleared), a changed stage starts on the as-of date. `inputs`:
    what `read_inputs` already read from this backend (the sync then reads nothing).
    `progress` hears when reading, scoring and writing begin. A caller passing `inputs`
    should keep no reference to them, so that the activity log is freed once scored.
    """
    out = config.output
    if inputs is None:
        progress.step(f"Reading {target or 'the spreadsheet'}")
        inputs = read_inputs(backend, config)
    data, lookups = inputs.data, inputs.lookups
    del inputs  # the raw log is let go once scored (see below): nothing else may hold it
    owned.check_duplicates(config, data)
    names = owned.resolve_names(config, data)
    ours = [c for c in data.ownership.columns.values() if c in data.contacts.columns]
    taken = {h.strip().casefold() for h in names.columns.values()}
    override = presentation.override_column(config, data, taken)
    progress.step(f"Scoring {len(data.contacts):,} contacts")
    results = engine.score(
        presentation.engine_config(config, override),
        presentation.engine_contacts(data.contacts, ours, override, config),
        data.activities,
        as_of=as_of,
        lookups=lookups,
        serial_epoch=data.serial_epoch,
        source=target or data.source,
    )
    # the raw activity log (a 1M-row object frame, ~300 MB) is not needed past scoring
    data = replace(data, activities=None)
    people = results.contacts
    before = owned.previous(config, data, people, results.row_contact)
    history_rows = data.owned.get("history", ())
    old = history_table(history_rows, config, data.serial_epoch)
    since, changes = stage_changes(config, results, before, rebuild=rebuild, history=old)
    rank = config.ladder_rank()
    had = changes["from_stage"].ne("")
    to_rank = changes.loc[had, "to_stage"].map(rank).astype("float64")
    moves = to_rank - changes.loc[had, "from_stage"].map(rank).astype("float64")
    history, dropped = history_tab(
        names.tabs["history"], history_rows, changes, out.history_max_rows
    )
    as_of_day = results.as_of.date()
    flow = stage_flow(
        config,
        history_table(history.rows, config, data.serial_epoch),
        pd.DataFrame({"key": people["key"], "stage": people["stage"], "since": since}),
        as_of_day,
        previous_sync(data.owned.get("summary", ()), as_of_day, config, data.serial_epoch),
    )
    daily = daily_tab(
        names.tabs["daily"],
        data.owned.get("daily", ()),
        results.summary.stages,
        as_of_day,
        config,
        data.serial_epoch,
    )
    trend = trend_chart(daily, config)
    summary = summary_tab(names.tabs["summary"], results.summary, flow, config, trend=trend)
    state = owned.state_tab(
        names.tabs["state"], data.owned.get("state", ()), people["key"], people["stage"], since
    )
    tabs = [summary, history, daily, state]
    if "companies" in names.tabs:
        tabs.insert(1, companies_tab(names.tabs["companies"], results.companies, people, config))
    typed = owned.typed_notice(config, before.typed, names.columns["stage"])
    plan = build_plan(config, data, results, since, names, tabs=tuple(tabs))
    if override.column is not None:
        plan = replace(plan, columns=(*plan.columns, override.column))
    progress.step(f"{'Checking' if dry_run else 'Writing'} {target or data.source}")
    written = backend.write(plan, data, dry_run=dry_run)
    return SyncReport(
        target=target or data.source,
        dry_run=dry_run,
        results=results,
        changes=changes,
        promotions=int((moves > 0).sum()),
        demotions=int((moves < 0).sum()),
        history_dropped=dropped,
        write=written,
        sheet_notices=names.notices + ((typed,) if typed else ()),
    )


def stage_changes(
    config: Config,
    results: engine.Results,
    before: Previous,
    *,
    rebuild: bool = False,
    history: pd.DataFrame | None = None,
) -> tuple[pd.Series, pd.DataFrame]:
    """The Stage since date of every contact, and the stage changes since the last sync.

    `before` is what the last sync wrote (`owned.previous`), never what the user typed over
    it. A contact keeps its Stage since date while its stage holds; a changed stage starts
    today; a contact met for the first time (all of them on a first sync) gets the day the
    evidence for its stage appeared (`stages.evidence_since`). On the first sync nothing is a
    change. A contact new since the last sync is
    recorded as entering the funnel (from = ""). With `rebuild`, an empty Stage since of a
    stage that holds is taken back from the contact's last entry into it in `history` (a
    frame from `history.history_table`).
    """
    people = results.contacts
    today = results.as_of.normalize()
    stage_before = before.stage
    same = stage_before.eq(people["stage"]).fillna(False).to_numpy(bool)
    kept = before.since.where(same)
    if rebuild and history is not None and not history.empty:
        last = history.assign(who=history["contact"].str.casefold()).drop_duplicates(
            "who", keep="last"
        )
        last = last.set_index("who")
        who = people["key"].astype("string").str.casefold()
        entered = who.map(last["date"])
        into = who.map(last["to_stage"]).astype("string")
        usable = into.eq(people["stage"]).fillna(False).to_numpy(bool) & same
        kept = kept.where(kept.notna() | ~usable, entered.astype("datetime64[ns]"))
    if "evidence_since" in people:
        fresh = stage_before.isna().to_numpy(bool)
        evidence = pd.Series(people["evidence_since"].to_numpy("datetime64[ns]"), index=kept.index)
        kept = kept.where(kept.notna() | ~fresh, evidence)
    since = kept.fillna(today)
    if before.first_sync:
        moved = np.zeros(len(people), dtype=bool)
    else:
        moved = ~same
    changes = pd.DataFrame(
        {
            "date": today.date(),
            "contact": people["key"][moved].astype(object).to_numpy(),
            "from_stage": stage_before[moved].fillna("").astype(object).to_numpy(),
            "to_stage": people["stage"][moved].astype(object).to_numpy(),
            "score": people["score"][moved].to_numpy(),
            "reason": people["why"][moved].astype(object).to_numpy(),
            "overridden": people["overridden"][moved].to_numpy(bool),
        }
    )
    return since, changes


def _cells(values: pd.Series, kind: str) -> pd.Series:
    """Plain Python cell values: whole numbers as int, dates as date, text as str, else None."""
    if kind == "number":
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
        whole = numbers.dropna().mod(1).eq(0).all()
        typed = numbers.astype("Int64") if whole else numbers
        out = typed.astype(object)
    elif kind == "date":
        out = pd.to_datetime(values).dt.date.astype(object)
    else:
        out = values.astype("string").astype(object)
    return out.where(values.notna(), None)


def why_cells(config: Config, people: pd.DataFrame) -> pd.Series:
    """The Why text as the sheet shows it: a stage set by hand says so (and what was computed),
    an override naming no stage says it was ignored, so the sheet itself tells."""
    why = people["why"]
    tail = ("; " + why).where(why.ne(""), "")
    why = why.where(
        ~people["overridden"],
        "Stage set by hand (computed: " + people["computed_stage"] + ")" + tail,
    )
    if "stage_override" in people:
        typed = people["stage_override"].astype("string").str.strip()
        ignored = typed.notna() & typed.ne("") & ~people["overridden"].astype(bool)
        if ignored.any():
            stages = ", ".join(s.name for s in config.all_stages())
            note = "Override " + typed.map(repr) + f" is not a stage (ignored; stages: {stages})"
            rest = ("; " + people["why"]).where(people["why"].ne(""), "")
            why = why.where(~ignored, note + rest)
    return why


def build_plan(
    config: Config,
    data: SheetData,
    results: engine.Results,
    since: pd.Series,
    names: Names | None = None,
    *,
    tabs: tuple = (),
) -> WritePlan:
    """Every managed cell for every row of the contacts block, plus the owned tabs.

    `names`: our headers and tab titles (`owned.resolve_names`), default the configured ones.
    """
    headers = names.columns if names else owned.configured_headers(config)
    configured = owned.configured_headers(config)
    letters = config.output.columns.letters
    src = config.source
    if data.contacts.empty:
        last = src.header_row
    else:
        last = int(data.contacts.index.max())
    rows = pd.RangeIndex(src.header_row + 1, last + 1)
    contact = results.row_contact.reindex(rows)
    has = contact.notna().to_numpy()
    pos = contact.fillna(0).astype("int64").to_numpy()
    people = results.contacts

    def spread(values: pd.Series, kind: str) -> tuple[CellValue, ...]:
        """One value per sheet row, as plain Python cells (None where no contact)."""
        return tuple(_cells(pd.Series(values).reset_index(drop=True), kind)[pos].where(has, None))

    values = {
        "score": (people["score"], "number"),
        "fit": (people["fit"], "number"),
        "engagement": (people["engagement"], "number"),
        "stage": (people["stage"], "text"),
        "stage_since": (since, "date"),
        "next_action": (people["next_action"], "text"),
        "why": (why_cells(config, people), "text"),
    }
    columns = tuple(
        presentation.present(
            ManagedColumn(
                field=field,
                header=headers[field],
                kind=kind,  # type: ignore[arg-type]
                values=spread(series, kind),
                letter=letters.get(configured[field]),
            )
        )
        for field, (series, kind) in values.items()
    )
    key_col = _find(data.contacts.columns, config.columns.key) if config.columns.key else None
    keys: tuple[CellValue, ...] = (
        tuple(data.contacts[key_col].reindex(rows).astype(object).where(lambda s: s.notna(), None))
        if key_col is not None
        else (None,) * len(rows)
    )
    colours = tuple(
        StageColour(stage=s.name, fill=s.colour, font=s.font_colour) for s in config.all_stages()
    )
    return WritePlan(
        sheet=src.contacts_tab,
        header_row=src.header_row,
        key_header=key_col or "",
        keys=keys,
        columns=columns,
        stage_header=headers["stage"],
        stage_colours=colours,
        tabs=tabs,
    )
