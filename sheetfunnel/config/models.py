"""The configuration as typed models: where the data is, how to score it, the stage ladder.

Every model forbids unknown keys and is immutable. The defaults of the big sections (activity
types, fit rules, stages, exits) come from the documented `default.toml` shipped with the
package, the one place defaults are written down.
"""

from __future__ import annotations

import functools
import re
import tomllib
from importlib.resources import files
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

HEX_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")

#: Built-in contact fields a config can map to the user's column headers.
CONTACT_FIELDS = (
    "key",
    "name",
    "company",
    "title",
    "company_size",
    "sector",
    "country",
    "source",
    "owner",
    "created",
    "stage_override",
)


class Model(BaseModel):
    """Base of every config model: immutable, unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class Lookup(Model):
    """Another tab (or, for CSV sources, a sibling CSV file) joined onto the contacts.

    Its columns become usable in `[columns]` like the contacts tab's own (e.g. a Companies tab
    holding sector and size, joined on the company name).
    """

    tab: str
    match: str = Field(description="header in the contacts tab holding the join value")
    key: str = Field(description="header in the lookup tab holding the same value")
    header_row: int = Field(1, ge=1)


class Source(Model):
    """Where the tables are and how to read their cells."""

    contacts_tab: str = "Contacts"
    header_row: int = Field(1, ge=1)
    activities_tab: str | None = "Activities"
    activities_header_row: int = Field(1, ge=1)
    #: Order of day, month and year in text dates such as 03/04/2024 (never guessed).
    date_order: Literal["DMY", "MDY", "YMD"] = "DMY"
    #: Decimal separator of text numbers such as "1 234,56" (never guessed).
    decimal: Literal[".", ","] = "."
    #: Zone of timestamps without one, and of the as-of date.
    timezone: str = "UTC"
    #: What to do with a date cell that cannot be read: stop, or warn and treat it as empty.
    on_bad_date: Literal["error", "warn"] = "error"
    #: CSV sources: "" = detect (",", ";", tab or "|"), else that character.
    csv_delimiter: str = Field("", max_length=1)
    #: CSV sources: "" = detect (UTF-8 with or without BOM, cp1252), else e.g. "cp1252".
    csv_encoding: str = ""
    lookups: tuple[Lookup, ...] = ()

    @field_validator("activities_tab", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("csv_encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        from ..csvsniff import check_encoding

        return check_encoding(value) if value else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as ex:
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as 'Europe/Paris' or 'UTC'"
            ) from ex
        return value


class Columns(Model):
    """The user's column header for each field sheetfunnel knows; "" = not in the sheet.

    Without a key column every row is a contact of its own (keyed by its row number), and
    duplicates cannot be found.
    """

    key: str | None = "Email"
    name: str | None = "Name"
    company: str | None = "Company"
    title: str | None = "Job title"
    company_size: str | None = "Company size"
    sector: str | None = "Sector"
    country: str | None = "Country"
    source: str | None = "Source"
    owner: str | None = "Owner"
    created: str | None = "Created"
    stage_override: str | None = "Stage override"
    #: Any other field a fit rule or the summary uses: field name -> header.
    extra: dict[str, str] = Field(default_factory=dict)

    @field_validator(*CONTACT_FIELDS, mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    def mapped(self) -> dict[str, str]:
        """Field name -> header, for every field that is mapped."""
        base = {f: getattr(self, f) for f in CONTACT_FIELDS if getattr(self, f)}
        return {**base, **self.extra}


class ActivityLog(Model):
    """Headers of the activity log tab: one row per thing a contact did."""

    contact: str = "Email"
    type: str = "Activity"
    date: str = "Date"
    value: str | None = None
    #: More texts of the log -> activity type id, on top of each type's `labels` (so a config
    #: can name its own texts without restating every activity type).
    labels: dict[str, str] = Field(default_factory=dict)

    def headers(self) -> tuple[str, ...]:
        """The log's columns the engine reads."""
        return tuple(h for h in (self.contact, self.type, self.date, self.value) if h)


class ActivityType(Model):
    """Points earned by one kind of activity."""

    points: float
    #: Texts in the log that mean this type (case-insensitive); the type's id always matches.
    labels: tuple[str, ...] = ()
    #: Most points this type can add (or remove) in total, after decay.
    cap: float | None = Field(None, gt=0)
    #: Direct interactions (call, meeting, demo, quote) are typical of prospects.
    direct: bool = False
    #: Whether the points fade with the half-life (an unsubscribe does not fade).
    decay: bool = True
    group: str | None = None
    #: Name used in the "why" text; defaults to the id with spaces.
    label: str | None = None
    #: Points per unit of the log's value column (e.g. pages viewed), instead of per row.
    per_value: bool = False


class ActivityColumn(Model):
    """Activities kept as a column of the contacts tab instead of a log."""

    header: str
    type: str
    #: count: the cell holds how many times; flag: yes/no, x, 1/0, true/false.
    kind: Literal["count", "flag"] = "count"
    #: Optional header of a column holding when it last happened (for decay and recency).
    date_header: str | None = None


class FitRule(Model):
    """Points for a profile field: equals one of, contains a keyword, in a range, or missing."""

    field: str
    points: float
    equals: tuple[str, ...] | None = None
    contains: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    missing: bool | None = None
    label: str | None = None
    group: str | None = None

    def kind(self) -> str:
        """Which test this rule makes; the semantic check ensures exactly one."""
        if self.equals is not None:
            return "equals"
        if self.contains is not None:
            return "contains"
        if self.min is not None or self.max is not None:
            return "range"
        return "missing"


class Fit(Model):
    """Profile scoring."""

    rules: tuple[FitRule, ...] = ()
    completeness_bonus: float = 0
    completeness_fields: tuple[str, ...] = ()
    max: float | None = Field(None, gt=0)


class Group(Model):
    """A cap shared by the rules and activity types that name this group."""

    cap: float = Field(gt=0)


class Scoring(Model):
    """Engagement decay and caps on the total."""

    half_life_days: float = Field(30, gt=0)
    max_engagement: float | None = Field(None, gt=0)
    max_total: float | None = Field(None, gt=0)
    groups: dict[str, Group] = Field(default_factory=dict)
    #: How many reasons the "why" text lists.
    reasons: int = Field(3, ge=1, le=10)


class Conditions(Model):
    """What a contact needs to be in a stage; every condition given must hold."""

    min_fit: float | None = None
    min_engagement: float | None = None
    min_score: float | None = None
    #: At least one of these activity types seen (e.g. a demo or quote request).
    requires_any: tuple[str, ...] = ()
    #: All of these activity types seen.
    requires_all: tuple[str, ...] = ()
    #: Last activity no older than this many days at the as-of date.
    active_within_days: float | None = Field(None, gt=0)

    def is_empty(self) -> bool:
        """True when nothing is required: such an exit is reached only by hand."""
        return all(getattr(self, f) in (None, ()) for f in Conditions.model_fields)


def _check_colour(value: str | None) -> str | None:
    if value is not None and not HEX_COLOUR.match(value):
        raise ValueError(f"{value!r} is not a colour; write it as #RRGGBB, e.g. #E2EFDA")
    return value


class Stage(Conditions):
    """One rung of the ladder, with its colour and next action."""

    name: str = Field(min_length=1)
    kind: Literal["lead", "prospect", "customer"] = "lead"
    colour: str = "#FFFFFF"
    font_colour: str | None = None
    next_action: str = ""
    #: Other texts meaning this stage in the override column (e.g. "won", "closed won").
    aliases: tuple[str, ...] = ()
    #: Reached only through the override column (a stage set by hand, e.g. from a CRM export).
    manual: bool = False

    _colours = field_validator("colour", "font_colour")(_check_colour)


class Exit(Conditions):
    """A way out of the funnel: reached by its conditions or by hand."""

    name: str = Field(min_length=1)
    kind: Literal["lost", "disqualified"] = "lost"
    colour: str = "#D9D9D9"
    font_colour: str | None = None
    next_action: str = ""
    aliases: tuple[str, ...] = ()

    _colours = field_validator("colour", "font_colour")(_check_colour)


class Summary(Model):
    """What the summary breaks down and flags."""

    group_by: tuple[str, ...] = ("source", "owner")
    stale_after_days: float = Field(30, gt=0)


class OutputColumns(Model):
    """Headers of the managed columns written into the contacts tab, and optional pinning."""

    score: str = "Score"
    fit: str = "Fit"
    engagement: str = "Engagement"
    stage: str = "Stage"
    stage_since: str = "Stage since"
    next_action: str = "Next action"
    why: str = "Why"
    #: Header -> column letter, to pin a managed column (e.g. {"Stage" = "K"}).
    letters: dict[str, str] = Field(default_factory=dict)

    @field_validator("letters")
    @classmethod
    def _letters(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [v for v in value.values() if not re.fullmatch(r"[A-Z]{1,3}", v)]
        if bad:
            raise ValueError(f"column letters must be A..XFD, got {bad}")
        return value


class Google(Model):
    """How to reach Google Sheets."""

    #: A service-account key or OAuth client-secret JSON file; "" = SHEETFUNNEL_CREDENTIALS or
    #: GOOGLE_APPLICATION_CREDENTIALS, else application-default credentials.
    credentials: str = ""
    #: Seconds before a request to Google is abandoned (then retried, a bounded number of times).
    timeout: float = Field(60, gt=0)
    #: Before reading the cells, ask Drive for the file's version (needs the extra scope
    #: drive.metadata.readonly): an unchanged `watch` tick then costs 1 small request.
    revision_check: bool = False


class Output(Model):
    """What a sync writes: managed columns and owned tabs."""

    columns: OutputColumns = OutputColumns()
    summary_tab: str = "Summary"
    history_tab: str = "History"
    #: Hidden tab remembering, per contact, the stage and Stage since date the last sync wrote
    #: (so a value typed into the Stage column is never taken for a stage change).
    state_tab: str = "sheetfunnel"
    #: Per company its contacts, scores, most advanced stage and owners; "" = no such tab.
    companies_tab: str = "Companies"
    #: The stage counts of each sync day (the Summary's funnel-over-time chart reads them).
    daily_tab: str = "Funnel by day"
    history_max_rows: int = Field(10_000, ge=10)
    #: Keep a backup copy of a workbook before replacing it.
    backup: bool = True


class Watch(Model):
    """Scheduled runs (`sheetfunnel watch`, and `sheetfunnel sync` from cron): the run log and
    the state that lets a run skip an input unchanged since the last one."""

    #: JSON-lines run log, one record per run; a relative path is beside the workbook (in the
    #: state folder for a Google Sheet); "" = no log.
    log: str = "sheetfunnel-runs.jsonl"
    #: Past this size the log moves to <log>.1 (one old log kept); 0 = never.
    log_max_bytes: int = Field(10_000_000, ge=0)
    #: Folder of run state and Google Sheets lock files; "" = $SHEETFUNNEL_STATE_DIR, else
    #: the user's state folder (~/.local/state/sheetfunnel).
    state_dir: str = ""


class Calibrate(Model):
    """How `sheetfunnel calibrate` learns points from won and lost history, and judges them."""

    #: Points that double the odds of a positive outcome (the scorecard's scale).
    pdo: float = Field(20, gt=0)
    #: Cross-validation folds (stratified) for the AUC, lift and calibration figures.
    folds: int = Field(5, ge=2, le=20)
    #: Seed of the fold split: the same data gives the same figures.
    seed: int = 42
    #: Quantile bins per numeric (range) field, before merging bins that are too small.
    bins: int = Field(10, ge=2, le=50)
    #: Merge adjacent numeric bins until the conversion only rises or only falls with the
    #: value: steadier points, but a U shape (young and old both buying) is lost.
    monotone: bool = False
    #: Smallest share of contacts a bin or a category keeps; rarer values are merged.
    min_share: float = Field(0.01, gt=0, lt=0.5)
    #: Inverse L2 regularisation strength of the logistic regression (smaller = stronger).
    strength: float = Field(1.0, gt=0)
    #: Fields or column headers known only after the outcome (on top of the built-in list,
    #: e.g. `duration`): a fit rule on one of them is refused.
    exclude: tuple[str, ...] = ()
    #: Stage name -> conversion rate wanted among contacts at or above its min_score.
    targets: dict[str, float] = Field(default_factory=dict)

    @field_validator("targets")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if not 0 < v < 1}
        if bad:
            raise ValueError(f"target conversion rates must be between 0 and 1, got {bad}")
        return value


@functools.cache
def _defaults() -> dict[str, Any]:
    """The documented default config shipped with the package: the one source of defaults."""
    return tomllib.loads(files("sheetfunnel").joinpath("default.toml").read_text("utf-8"))


def _default(section: str) -> Any:
    """A default factory giving one section of the default config (validated by the model)."""
    return lambda: _defaults()[section]


class Config(Model):
    """A whole sheetfunnel configuration; the defaults are the documented default config."""

    source: Source = Source()
    columns: Columns = Columns()
    activities: ActivityLog = ActivityLog()
    activity_types: dict[str, ActivityType] = Field(default_factory=_default("activity_types"))
    activity_columns: tuple[ActivityColumn, ...] = ()
    fit: Fit = Field(default_factory=_default("fit"))
    scoring: Scoring = Field(default_factory=_default("scoring"))
    stages: tuple[Stage, ...] = Field(default_factory=_default("stages"))
    exits: tuple[Exit, ...] = Field(default_factory=_default("exits"))
    summary: Summary = Summary()
    output: Output = Output()
    google: Google = Google()
    watch: Watch = Watch()
    calibrate: Calibrate = Field(default_factory=_default("calibrate"))

    def all_stages(self) -> tuple[Stage | Exit, ...]:
        """Ladder stages in order, then the exits."""
        return (*self.stages, *self.exits)

    def ladder_rank(self) -> dict[str, int]:
        """Stage name -> how far down the funnel it is; exits rank below the first rung."""
        rank = {s.name: i + 1 for i, s in enumerate(self.stages)}
        rank.update({e.name: 0 for e in self.exits})
        return rank
