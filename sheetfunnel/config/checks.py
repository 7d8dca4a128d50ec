"""What only the whole config can tell: references between sections, overlapping ranges,
ladder rules. Each problem names its key path and what is allowed."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from pathlib import PurePath

from ..errors import ConfigProblem
from .models import Config, FitRule


def semantic_problems(config: Config) -> list[ConfigProblem]:
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
    for text, name in config.activities.labels.items():
        if name not in types:
            add(
                ConfigProblem(
                    f"activities.labels.{text!r}",
                    f"activity type {name!r} has no points in [activity_types] "
                    f"(defined: {known_types})",
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
    tabs = {
        "summary_tab": config.output.summary_tab,
        "history_tab": config.output.history_tab,
        "state_tab": config.output.state_tab,
        "companies_tab": config.output.companies_tab,
        "daily_tab": config.output.daily_tab,
    }
    seen: dict[str, str] = {}
    for key, name in tabs.items():
        if key == "companies_tab" and not name.strip():
            continue  # "" = no Companies tab
        other = seen.setdefault(name.strip().casefold(), key)
        if other != key:
            add(ConfigProblem(f"output.{key}", f"must differ from output.{other} ({name!r})"))
    problems += _owned_tab_problems(config) + _path_problems(config)
    return problems


_BAD_TAB_CHARS = re.compile(r"[\\/?*\[\]:]")


def _owned_tab_problems(config: Config) -> list[ConfigProblem]:
    """The tabs sync writes must be names Excel can hold, and not the tabs it reads."""
    problems = []
    tabs = (config.source.contacts_tab, config.source.activities_tab)
    inputs = {t.casefold() for t in tabs if t}
    for key in ("summary_tab", "history_tab", "state_tab"):
        name = getattr(config.output, key)
        if not name or len(name) > 31 or _BAD_TAB_CHARS.search(name) or name[0] == "'":
            problems.append(
                ConfigProblem(
                    f"output.{key}",
                    f"{name!r} cannot be an Excel tab name: 1 to 31 characters, none of "
                    "\\ / ? * [ ] : and not starting with an apostrophe",
                )
            )
        elif name.casefold() in inputs:
            problems.append(
                ConfigProblem(
                    f"output.{key}", f"{name!r} is a tab sheetfunnel reads: name another tab"
                )
            )
    return problems


def _path_problems(config: Config) -> list[ConfigProblem]:
    """A relative run log stays inside the workbook's folder (or the state folder)."""
    log = PurePath(config.watch.log)
    if config.watch.log and not log.is_absolute() and ".." in log.parts:
        return [
            ConfigProblem(
                "watch.log",
                f"{config.watch.log!r} leaves the workbook's folder; a relative log path must "
                "stay inside it (give an absolute path to log elsewhere)",
            )
        ]
    return []


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
