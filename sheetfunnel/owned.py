"""What a sync owns in the spreadsheet, and how it stays clear of what the user owns.

The backend reports what the spreadsheet's markers say is ours (`Ownership`); this module
decides the names our columns and tabs get (never one of the user's), refuses ambiguous
headers, and reads the hidden state tab: per contact, the stage and Stage since date the last
sync wrote, so a value typed into our Stage column is told apart from a real stage change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .backends.base import MANAGED_FIELDS, CellValue, OwnedTab, Rows, SheetData
from .cells import parse_dates, to_text
from .config import Config
from .errors import InputError
from .normalise import Notice

#: Appended to one of our names that a column or tab of the user's already bears.
CLASH_SUFFIX = "sheetfunnel"
STATE_HEADER: tuple[str, ...] = ("Contact", "Stage", "Stage since")
#: Excel's limit on a tab name.
MAX_TAB_NAME = 31
EXAMPLES = 5


@dataclass(frozen=True)
class Names:
    """The header of each managed column and the title of each owned tab, for this sheet.

    `columns`: field -> header; `tabs`: role -> title; `notices`: each clash with a name of
    the user's, saying where ours went and which config key renames it.
    """

    columns: dict[str, str]
    tabs: dict[str, str]
    notices: tuple[Notice, ...] = ()


def configured_headers(config: Config) -> dict[str, str]:
    """Managed field -> the header the config gives it."""
    out = config.output.columns
    return {field: getattr(out, field) for field in MANAGED_FIELDS}


def configured_tabs(config: Config) -> dict[str, str]:
    """Owned tab role -> the title the config gives it (no Companies tab when it is "")."""
    out = config.output
    tabs = {"summary": out.summary_tab, "history": out.history_tab, "state": out.state_tab}
    if out.companies_tab.strip():
        tabs["companies"] = out.companies_tab
    tabs["daily"] = out.daily_tab
    return tabs


def _free(wanted: str, taken: set[str], limit: int | None = None) -> str:
    """`wanted`, or "<wanted> (sheetfunnel)", "<wanted> (sheetfunnel 2)"... not in `taken`."""
    n = 1
    name = wanted
    while name.strip().casefold() in taken:
        tag = f" ({CLASH_SUFFIX})" if n == 1 else f" ({CLASH_SUFFIX} {n})"
        base = wanted if limit is None else wanted[: limit - len(tag)]
        name = base + tag
        n += 1
    return name


def header_text(name: str, repeated: Mapping[str, tuple[str, ...]]) -> str:
    """The header cell's text behind a frame column name ("City (2)" -> "City" when "City"
    is a repeated header)."""
    base, sep, tail = name.strip().rpartition(" (")
    if sep and tail.endswith(")") and tail[:-1].isdigit() and base in repeated:
        return base
    return name.strip()


def resolve_names(config: Config, data: SheetData) -> Names:
    """Our names, clear of the user's: a user column or tab bearing one is left alone and
    ours is placed beside it under "<name> (sheetfunnel)"."""
    ours = set(data.ownership.columns.values())
    repeated = data.duplicates.get(config.source.contacts_tab, {})
    user_headers = {
        header_text(str(c), repeated).casefold() for c in data.contacts.columns if c not in ours
    }
    notices: list[Notice] = []
    columns: dict[str, str] = {}
    for field, wanted in configured_headers(config).items():
        header = _free(wanted, user_headers | {h.casefold() for h in columns.values()})
        columns[field] = header
        if header != wanted:
            notices.append(
                Notice(
                    "name_clash",
                    1,
                    f"the column {wanted!r} in tab {config.source.contacts_tab!r} is yours and "
                    f"stays as it is; sheetfunnel's {field.replace('_', ' ')} goes in "
                    f"{header!r} (to name it otherwise, set output.columns.{field})",
                )
            )
    mine = set(data.ownership.tabs.values())
    user_tabs = {t.strip().casefold() for t in data.tabs if t not in mine}
    user_tabs.add(config.source.contacts_tab.strip().casefold())
    tabs: dict[str, str] = {}
    for role, wanted in configured_tabs(config).items():
        title = _free(wanted, user_tabs | {t.casefold() for t in tabs.values()}, MAX_TAB_NAME)
        tabs[role] = title
        if title != wanted:
            notices.append(
                Notice(
                    "name_clash",
                    1,
                    f"the tab {wanted!r} is yours and stays as it is; sheetfunnel's {role} tab "
                    f"is {title!r} (to name it otherwise, set output.{role}_tab)",
                )
            )
    return Names(columns, tabs, tuple(notices))


def used_headers(config: Config) -> dict[str, dict[str, str]]:
    """Tab -> header -> the config key that names it, for every header a sync reads."""
    src = config.source
    contacts = {h: f"columns.{f}" for f, h in config.columns.mapped().items()}
    for i, col in enumerate(config.activity_columns):
        contacts[col.header] = f"activity_columns[{i}].header"
        if col.date_header:
            contacts[col.date_header] = f"activity_columns[{i}].date_header"
    for i, lookup in enumerate(src.lookups):
        contacts[lookup.match] = f"source.lookups[{i}].match"
    out = {src.contacts_tab: contacts}
    if src.activities_tab:
        log = config.activities
        headers = {log.contact: "activities.contact", log.type: "activities.type"}
        headers[log.date] = "activities.date"
        if log.value:
            headers[log.value] = "activities.value"
        out.setdefault(src.activities_tab, {}).update(headers)
    return out


def check_duplicates(config: Config, data: SheetData) -> None:
    """Refuse a header the config uses when the header row holds it more than once: the run
    could not tell which column is meant (the second is "<header> (2)" to the config)."""
    frames = {config.source.contacts_tab: data.contacts}
    if config.source.activities_tab and data.activities is not None:
        frames.setdefault(config.source.activities_tab, data.activities)
    problems = []
    for tab, headers in used_headers(config).items():
        repeated = {
            h.strip().casefold(): (h, cols) for h, cols in data.duplicates.get(tab, {}).items()
        }
        columns = frames[tab].columns if tab in frames else pd.Index([])
        for header, key in headers.items():
            folded = header.strip().casefold()
            variants = [str(c) for c in columns if str(c).strip().casefold() == folded]
            if folded in repeated:
                text, letters = repeated[folded]
                where = f"{len(letters)} columns headed {text!r} ({', '.join(letters)})"
            elif len(variants) > 1:
                where = "columns headed " + " and ".join(repr(v) for v in variants)
            else:
                continue
            problems.append(
                f"tab {tab!r} has {where}, and {key} = {header!r} could mean any of them. "
                f'Rename all but one in the sheet, or set {key} = "{header} (2)" for the '
                "second one"
            )
    if problems:
        raise InputError("; ".join(problems) + ".", file=data.source or None)


def _key(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.casefold()


@dataclass(frozen=True)
class Previous:
    """What the last sync wrote, per contact (aligned with `results.contacts`).

    `stage`/`since`: NA for a contact the last sync did not know. `first_sync`: nothing was
    ever written. `typed`: contacts whose Stage cell holds a value other than the one the last
    sync wrote (typed by hand), as (key, typed value) pairs.
    """

    stage: pd.Series
    since: pd.Series
    first_sync: bool
    typed: tuple[tuple[str, str], ...] = ()


def state_frame(rows: Rows, config: Config, data: SheetData) -> pd.DataFrame:
    """The state tab's rows as a frame: key (folded), stage, since (datetime64)."""
    body = [tuple(r) + (None,) * (3 - len(r)) for r in rows[1:]] if rows else []
    frame = pd.DataFrame([r[:3] for r in body], columns=["key", "stage", "since"], dtype=object)
    since, _ = parse_dates(
        frame["since"],
        order=config.source.date_order,
        timezone=config.source.timezone,
        epoch=data.serial_epoch,
    )
    out = pd.DataFrame(
        {
            "key": _key(to_text(frame["key"])),
            "stage": to_text(frame["stage"]),
            "since": pd.to_datetime(since).astype("datetime64[ns]"),
        }
    )
    return out.dropna(subset=["key"]).drop_duplicates("key", keep="last")


def previous(
    config: Config, data: SheetData, contacts: pd.DataFrame, row_contact: pd.Series
) -> Previous:
    """What the last sync wrote for each contact of `contacts` (the engine's).

    From the state tab when it exists; otherwise (a state tab the user deleted) from the
    Stage and Stage since columns marked ours; with neither, this is a first sync.
    """
    index = contacts.index
    stage = pd.Series(pd.NA, index=index, dtype="string")
    since = pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    marked = data.ownership.columns
    first_row = row_contact[~row_contact.duplicated()]
    shown = pd.Series(pd.NA, index=index, dtype="string")
    if "stage" in marked and marked["stage"] in data.contacts.columns:
        cells = data.contacts.loc[first_row.index, marked["stage"]]
        shown.iloc[first_row.to_numpy()] = to_text(cells).to_numpy()
    state = data.owned.get("state")
    if state:
        table = state_frame(state, config, data).set_index("key")
        who = _key(contacts["key"])
        # reindex keeps the column's dtype even with no contacts (map would give float64)
        stage = pd.Series(table["stage"].reindex(who.to_numpy()).to_numpy(), index=index)
        stage = stage.astype("string")
        since = pd.Series(table["since"].reindex(who.to_numpy()).to_numpy(), index=index)
        typed = _typed(data, contacts, row_contact, stage)
        return Previous(stage, since, first_sync=False, typed=typed)
    if "stage" not in marked:
        return Previous(stage, since, first_sync=True)
    stage = shown.str.strip().replace("", pd.NA)
    if "stage_since" in marked and marked["stage_since"] in data.contacts.columns:
        cells = data.contacts.loc[first_row.index, marked["stage_since"]]
        dates, _ = parse_dates(
            cells,
            order=config.source.date_order,
            timezone=config.source.timezone,
            epoch=data.serial_epoch,
        )
        since.iloc[first_row.to_numpy()] = pd.to_datetime(dates).to_numpy("datetime64[ns]")
    return Previous(stage, since, first_sync=False)


def _typed(
    data: SheetData, contacts: pd.DataFrame, row_contact: pd.Series, wrote: pd.Series
) -> tuple[tuple[str, str], ...]:
    """(key, value) for every row, a duplicate contact's later rows included, whose Stage
    cell holds something other than what the last sync wrote for its contact."""
    column = data.ownership.columns.get("stage")
    if column not in data.contacts.columns or row_contact.empty:
        return ()
    shown = to_text(data.contacts.loc[row_contact.index, column]).str.strip()
    positions = row_contact.to_numpy()
    expected = pd.Series(wrote.fillna("").to_numpy()[positions], index=row_contact.index)
    differs = (shown.notna() & shown.ne(expected)).fillna(False).astype(bool)
    keys = contacts["key"].to_numpy()[positions[differs.to_numpy()]]
    return tuple(dict.fromkeys((str(k), str(v)) for k, v in zip(keys, shown[differs], strict=True)))


def stage_edits(config: Config, data: SheetData) -> pd.DataFrame:
    """Rows whose Stage cell (in the column marked ours) differs from the stage the state tab
    says the last sync wrote for that row's key: key and the value shown. Engine-free, for
    the unchanged-input check of scheduled runs."""
    empty = pd.DataFrame({"key": pd.Series(dtype="string"), "shown": pd.Series(dtype="string")})
    column = data.ownership.columns.get("stage")
    key_header = config.columns.key
    state = data.owned.get("state")
    if not state or column not in data.contacts.columns or not key_header:
        return empty
    folded = {str(c).strip().casefold(): c for c in data.contacts.columns}
    key_col = folded.get(key_header.strip().casefold())
    if key_col is None:
        return empty
    wrote = state_frame(state, config, data).set_index("key")["stage"]
    keys = _key(to_text(data.contacts[key_col]))
    shown = to_text(data.contacts[column]).str.strip()
    expected = keys.map(wrote).astype("string").fillna("")
    differs = (shown.notna() & shown.ne(expected)).fillna(False).astype(bool)
    out = pd.DataFrame({"key": keys[differs], "shown": shown[differs]})
    return out.reset_index(drop=True)


def typed_notice(config: Config, typed: tuple[tuple[str, str], ...], header: str) -> Notice | None:
    """The warning for values typed into our Stage column (they are replaced)."""
    if not typed:
        return None
    examples = ", ".join(f"{k}: {v!r}" for k, v in typed[:EXAMPLES])
    more = f" and {len(typed) - EXAMPLES} more" if len(typed) > EXAMPLES else ""
    override = config.columns.stage_override
    how = (
        f"type the stage in your {override!r} column instead (columns.stage_override)"
        if override
        else "name a column of yours for it in the config (columns.stage_override) and type "
        "the stage there"
    )
    return Notice(
        "typed_stage",
        len(typed),
        f"{len(typed)} value{'s' if len(typed) > 1 else ''} typed into sheetfunnel's {header!r} "
        f"column {'were' if len(typed) > 1 else 'was'} replaced by the computed stage "
        f"({examples}{more}); to set a stage by hand, {how}",
    )


def state_tab(
    name: str, existing: Rows, keys: pd.Series, stages: pd.Series, since: pd.Series
) -> OwnedTab:
    """The hidden state tab: every contact's stage and Stage since as written now.

    Contacts keep the row they had (new ones are appended), so an unchanged pipeline rewrites
    nothing and a changed one rewrites only its own rows.
    """
    first_cells = [r[0] if r else None for r in existing[1:]] if existing else []
    written = pd.Series([None if v is None else str(v) for v in first_cells], dtype="string")
    row_of = pd.Series(np.arange(len(written), dtype="float64"), index=written.str.strip())
    row_of.index = row_of.index.str.casefold()
    row_of = row_of[row_of.index.notna() & ~row_of.index.duplicated()]  # a key's first row
    position = _key(keys).map(row_of).astype("float64").fillna(float("inf"))
    rank = pd.Series(range(len(keys)), index=keys.index, dtype="float64")
    frame = pd.DataFrame({"pos": position.to_numpy(), "n": rank.to_numpy()})
    sequence = frame.sort_values(["pos", "n"], kind="stable").index.to_numpy()
    # days as datetime.date (NaT as None) by numpy in one pass, not by pandas' .dt.date
    days = pd.to_datetime(since).to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    # reordered as whole columns, then zipped: indexing object arrays cell by cell cost
    # 0.1 s on 100k contacts
    body: list[tuple[CellValue, ...]] = list(
        zip(
            keys.astype(object).to_numpy()[sequence].tolist(),
            stages.astype(object).to_numpy()[sequence].tolist(),
            days.astype(object)[sequence].tolist(),
            strict=True,
        )
    )
    return OwnedTab(
        role="state",
        name=name,
        rows=(STATE_HEADER, *body),
        date_columns=(2,),
        hidden=True,
    )
