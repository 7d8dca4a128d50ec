"""The configuration as typed models: where the data is, how to score it, the stage ladder.

Loaded from TOML (tomllib) and validated in two passes: pydantic checks the shape (unknown
keys, types, allowed values), then `_semantic_problems` checks what only the whole config can
tell (a stage needing an activity type that earns no points, overlapping ranges, ...). Every
problem is reported at once, each with its key path and what is allowed.
"""

from __future__ import annotations

import copy as copy_module
import functools
import itertools
import re
import tomllib
from collections.abc import Iterable, Mapping
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError, ConfigProblem

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
    csv_delimiter: str = Field(",", min_length=1, max_length=1)
    lookups: tuple[Lookup, ...] = ()

    @field_validator("activities_tab", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

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


class Output(Model):
    """What a sync writes: managed columns and owned tabs."""

    columns: OutputColumns = OutputColumns()
    summary_tab: str = "Summary"
    history_tab: str = "History"
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


# --------------------------------------------------------------------------- loading


def load_config(path: Path | str | None = None) -> Config:
    """Read and validate a TOML config; `None` gives the documented default config."""
    if path is None:
        return config_from_dict({})
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as ex:
        raise ConfigError([ConfigProblem("", "file not found")], file=path) from ex
    except (OSError, UnicodeDecodeError) as ex:
        raise ConfigError([ConfigProblem("", f"cannot read the file: {ex}")], file=path) from ex
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as ex:
        raise ConfigError([ConfigProblem("", f"not valid TOML: {ex}")], file=path) from ex
    return config_from_dict(data, file=path)


#: Sections whose keys a user config overrides one by one; the others are replaced whole.
SETTINGS = (
    "source",
    "columns",
    "activities",
    "fit",
    "scoring",
    "summary",
    "output",
    "google",
    "watch",
    "calibrate",
)


def with_defaults(data: Mapping[str, Any]) -> dict[str, Any]:
    """The user's config over the documented default: a setting left out keeps its default.

    Settings sections merge key by key (`[scoring] half_life_days = 45` keeps the default
    groups); collections (`activity_types`, `activity_columns`, `stages`, `exits`) given by
    the user replace the default ones whole.
    """
    merged = dict(_defaults())
    for section, value in data.items():
        default = merged.get(section)
        if section in SETTINGS and isinstance(value, dict) and isinstance(default, dict):
            merged[section] = {**default, **value}
        else:
            merged[section] = value
    return merged


def config_from_dict(data: Mapping[str, Any], *, file: Path | str | None = None) -> Config:
    """Validate a user config given as plain data (parsed TOML) over the default config.

    Raises ConfigError listing every problem.
    """
    data = with_defaults(data)
    try:
        config = Config.model_validate(data)
    except ValidationError as ex:
        problems = _shape_problems(ex)
        # Check the rest too, so that one run lists everything: drop the bad keys (their
        # defaults apply) and look at what remains, if that much is valid.
        lenient = _without(data, [tuple(e["loc"]) for e in ex.errors()])
        try:
            rest = Config.model_validate(lenient)
        except ValidationError:
            rest = None
        if rest is not None:
            problems += _semantic_problems(rest)
        raise ConfigError(problems, file=file) from None
    problems = _semantic_problems(config)
    if problems:
        raise ConfigError(problems, file=file)
    return config


def _without(data: Any, locs: list[tuple[int | str, ...]]) -> Any:
    """A deep copy of `data` without the keys at `locs` (list items are kept)."""
    copy = copy_module.deepcopy(data)
    for loc in locs:
        node, *path, last = (copy, *loc)
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                break
        else:
            if isinstance(node, dict):
                node.pop(last, None)
    return copy


def _key_path(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The config model class that holds the key at `loc` (for listing allowed keys)."""
    model: Any = Config
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part) if isinstance(model, type) else None
        if field is None:
            # inside a dict such as activity_types.<id>: the value type is the model
            continue
        model = _inner_model(field.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    """The BaseModel inside `X`, `X | None`, `tuple[X, ...]` or `dict[str, X]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    origin = getattr(annotation, "__origin__", None)
    if origin is Annotated:
        return _inner_model(annotation.__origin__)
    return None


def _shape_problems(ex: ValidationError) -> list[ConfigProblem]:
    problems = []
    for err in ex.errors(include_url=False):
        loc = tuple(err["loc"])
        # pydantic puts the failing type of a union in the loc; users never wrote it
        loc = tuple(p for p in loc if not (isinstance(p, str) and "[" in p))
        key = _key_path(loc)
        if err["type"] == "extra_forbidden":
            model = _model_at(loc)
            allowed = ", ".join(model.model_fields) if model else ""
            msg = f"unknown key; allowed keys here: {allowed}" if allowed else "unknown key"
        elif err["type"] == "value_error":  # our own validators' messages quote the value
            msg = str(err["ctx"]["error"])
        else:
            msg = err["msg"]
            if "input" in err and err["type"] not in ("missing",):
                msg += f" (got {err['input']!r})"
        problems.append(ConfigProblem(key, msg))
    return problems


def _semantic_problems(config: Config) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    add = problems.append
    types = config.activity_types
    known_types = ", ".join(types) or "(none defined)"
    groups = config.scoring.groups
    fields = set(config.columns.mapped())
    all_fields = ", ".join(sorted(fields))

    for name, at in types.items():
        if at.group is not None and at.group not in groups:
            add(
                ConfigProblem(
                    f"activity_types.{name}.group",
                    f"group {at.group!r} is not defined in [scoring.groups] "
                    f"(defined: {', '.join(groups) or 'none'})",
                )
            )
    for i, col in enumerate(config.activity_columns):
        if col.type not in types:
            add(
                ConfigProblem(
                    f"activity_columns[{i}].type",
                    f"activity type {col.type!r} has no points in [activity_types] "
                    f"(defined: {known_types})",
                )
            )

    for i, rule in enumerate(config.fit.rules):
        key = f"fit.rules[{i}]"
        tests = [
            rule.equals is not None,
            rule.contains is not None,
            rule.min is not None or rule.max is not None,
            rule.missing is not None,
        ]
        if sum(tests) != 1:
            add(
                ConfigProblem(
                    key, "give exactly one test: equals, contains, min/max (a range) or missing"
                )
            )
        if rule.field not in fields:
            add(
                ConfigProblem(
                    f"{key}.field",
                    f"field {rule.field!r} is not mapped in [columns] (mapped: {all_fields}; "
                    "add other fields under [columns.extra])",
                )
            )
        if rule.min is not None and rule.max is not None and rule.min >= rule.max:
            add(ConfigProblem(key, f"min ({rule.min:g}) must be below max ({rule.max:g})"))
        if rule.group is not None and rule.group not in groups:
            add(
                ConfigProblem(
                    f"{key}.group",
                    f"group {rule.group!r} is not defined in [scoring.groups] "
                    f"(defined: {', '.join(groups) or 'none'})",
                )
            )
    problems += _overlapping_ranges(config.fit.rules)
    for i, f in enumerate(config.fit.completeness_fields):
        if f not in fields:
            add(
                ConfigProblem(
                    f"fit.completeness_fields[{i}]",
                    f"field {f!r} is not mapped in [columns] (mapped: {all_fields})",
                )
            )

    if not config.stages:
        add(ConfigProblem("stages", "give at least one stage (the first is the floor)"))
    seen: dict[str, str] = {}
    for section, items in (("stages", config.stages), ("exits", config.exits)):
        for i, stage in enumerate(items):
            key = f"{section}[{i}]"
            for text in (stage.name, *stage.aliases):
                folded = text.strip().casefold()
                if folded in seen:
                    add(
                        ConfigProblem(
                            key, f"{text!r} already names or aliases stage {seen[folded]!r}"
                        )
                    )
                seen.setdefault(folded, stage.name)
            if (
                section == "stages"
                and i > 0
                and stage.is_empty()
                and not getattr(stage, "manual", False)
            ):
                add(
                    ConfigProblem(
                        key,
                        f"stage {stage.name!r} has no conditions, so every contact would reach "
                        "it; give it conditions (min_fit, min_engagement, min_score, "
                        "requires_any, requires_all, active_within_days) or set manual = true",
                    )
                )
            for attr in ("requires_any", "requires_all"):
                for t in getattr(stage, attr):
                    if t not in types:
                        add(
                            ConfigProblem(
                                f"{key}.{attr}",
                                f"activity type {t!r} is never given points in "
                                f"[activity_types] (defined: {known_types})",
                            )
                        )
    for i, f in enumerate(config.summary.group_by):
        if f not in fields:
            add(
                ConfigProblem(
                    f"summary.group_by[{i}]",
                    f"field {f!r} is not mapped in [columns] (mapped: {all_fields})",
                )
            )
    if config.source.activities_tab and not config.columns.key:
        add(
            ConfigProblem(
                "columns.key",
                "an activity log (source.activities_tab) needs a contact key column to match "
                'its rows; set columns.key, or set source.activities_tab = ""',
            )
        )
    out = config.output.columns
    headers = [out.score, out.fit, out.engagement, out.stage, out.stage_since, out.next_action]
    headers.append(out.why)
    if len({h.casefold() for h in headers}) != len(headers):
        add(ConfigProblem("output.columns", "managed column headers must be distinct"))
    user_headers = {h.casefold() for h in config.columns.mapped().values()}
    for h in headers:
        if h.casefold() in user_headers:
            add(
                ConfigProblem(
                    "output.columns",
                    f"managed column {h!r} is also mapped as an input column in [columns]",
                )
            )
    for header in out.letters:
        if header not in headers:
            add(
                ConfigProblem(
                    "output.columns.letters",
                    f"{header!r} is not a managed column (managed: {', '.join(headers)})",
                )
            )
    if config.output.summary_tab.casefold() == config.output.history_tab.casefold():
        add(ConfigProblem("output", "summary_tab and history_tab must differ"))
    return problems


def _overlapping_ranges(rules: Iterable[FitRule]) -> list[ConfigProblem]:
    """Range rules on one field must not overlap: a value would score twice."""
    by_field: dict[str, list[tuple[int, float, float]]] = {}
    for i, rule in enumerate(rules):
        if rule.equals is None and rule.contains is None and rule.missing is None:
            if rule.min is None and rule.max is None:
                continue
            lo = rule.min if rule.min is not None else float("-inf")
            hi = rule.max if rule.max is not None else float("inf")
            by_field.setdefault(rule.field, []).append((i, lo, hi))
    problems = []
    for field, ranges in by_field.items():
        ranges.sort(key=lambda r: r[1])
        for (i, _lo1, hi1), (j, lo2, _hi2) in itertools.pairwise(ranges):
            if lo2 < hi1:
                problems.append(
                    ConfigProblem(
                        f"fit.rules[{j}]",
                        f"range on {field!r} overlaps fit.rules[{i}] (ranges are min <= value < "
                        "max; make one start where the other ends)",
                    )
                )
    return problems
