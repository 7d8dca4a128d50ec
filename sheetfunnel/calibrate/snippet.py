"""The learned points as config: a TOML snippet, merged over a config, or written into one.

The snippet holds `[fit]` (the learned rules, no completeness bonus, a `max` the rules cannot
reach so it never clips), every `[activity_types.*]` of the config (activity types are
replaced whole when a config gives them, so the ones the data never showed are kept as they
were) and the whole `[[stages]]` ladder with the learned `min_score`s (stages are replaced
whole too). Written in place, only those keys change; the user's comments stay, and the file
keeps its permissions and owner.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import Comment

from ..config import Config, FitRule, config_from_dict
from ..errors import ConfigError, ConfigProblem
from ..ownership import keep_owner
from .scorecard import Scorecard


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _rule(rule: FitRule, points: int) -> dict[str, Any]:
    out: dict[str, Any] = {"field": rule.field}
    if rule.equals is not None:
        out["equals"] = list(rule.equals)
    elif rule.contains is not None:
        out["contains"] = list(rule.contains)
    elif rule.min is not None or rule.max is not None:
        if rule.min is not None:
            out["min"] = _number(rule.min)
        if rule.max is not None:
            out["max"] = _number(rule.max)
    else:
        out["missing"] = bool(rule.missing)
    out["points"] = points
    if rule.label:
        out["label"] = rule.label
    return out


def scoring_sections(
    config: Config, card: Scorecard, thresholds: Mapping[str, float] | None = None
) -> dict[str, Any]:
    """`fit`, `activity_types` and (with `thresholds`) `stages` as plain data, ready for TOML."""
    lines = [line for line in card.lines if line.candidate.rule is not None]
    rules = [_rule(line.candidate.rule, line.points) for line in lines if line.points != 0]
    # a contact matches one line of an exclusive field, any number of the other lines
    best: dict[str, int] = {}
    reachable = 0
    for line in lines:
        if line.candidate.exclusive:
            best[line.candidate.field] = max(best.get(line.candidate.field, 0), line.points)
        else:
            reachable += max(line.points, 0)
    reachable += sum(best.values())
    learned = {line.candidate.activity: line for line in card.lines if line.candidate.activity}
    types: dict[str, Any] = {}
    for type_id, at in config.activity_types.items():
        data = at.model_dump(exclude_defaults=True, mode="json")
        line = learned.get(type_id)
        if line is not None:
            data.pop("group", None)
            data.pop("cap", None)
            data["points"] = line.points
            cap = line.candidate.count_cap
            if cap is not None and line.points:
                data["cap"] = _number(round(abs(line.points) * cap, 6))
        for key in ("points", "cap"):
            if key in data:
                data[key] = _number(data[key])
        types[type_id] = {k: data[k] for k in ("points", *[k for k in data if k != "points"])}
    fit = {"completeness_bonus": 0, "max": max(1, reachable), "rules": rules}
    out: dict[str, Any] = {"fit": fit, "activity_types": types}
    if thresholds:
        stages = []
        for stage in config.stages:
            data = stage.model_dump(exclude_defaults=True, mode="json")
            if stage.name in thresholds:
                # the learned total replaces thresholds on the old points' fit or engagement
                data.pop("min_fit", None)
                data.pop("min_engagement", None)
                data["min_score"] = _number(thresholds[stage.name])
            stages.append({"name": stage.name, **{k: v for k, v in data.items() if k != "name"}})
        out["stages"] = stages
    return out


def snippet(
    config: Config,
    card: Scorecard,
    header: list[str],
    thresholds: Mapping[str, float] | None = None,
) -> str:
    """The learned scoring sections as TOML, with `header` lines as comments on top."""
    doc = tomlkit.document()
    for line in header:
        for part in textwrap.wrap(line, width=96):
            doc.add(tomlkit.comment(part))
    sections = scoring_sections(config, card, thresholds)
    fit = tomlkit.table()
    fit["completeness_bonus"] = 0
    fit["max"] = sections["fit"]["max"]
    fit.comment("no completeness bonus; a max the learned rules cannot reach")
    rules = tomlkit.aot()
    for rule in sections["fit"]["rules"]:
        rules.append(tomlkit.item(rule))
    fit["rules"] = rules
    doc["fit"] = fit
    types = tomlkit.table(is_super_table=True)
    for type_id, data in sections["activity_types"].items():
        types[type_id] = tomlkit.item(data)
    doc["activity_types"] = types
    if "stages" in sections:
        ladder = tomlkit.aot()
        for stage in sections["stages"]:
            ladder.append(tomlkit.item(stage))
        doc["stages"] = ladder
    return tomlkit.dumps(doc)


def merge(user: Mapping[str, Any], learned: Mapping[str, Any]) -> dict[str, Any]:
    """A user's config data with the learned sections: fit keys replaced, types and stages
    replaced whole."""
    out = dict(user)
    fit = dict(out.get("fit") or {})
    fit.update(learned.get("fit", {}))
    out["fit"] = fit
    for key in ("activity_types", "stages"):
        if key in learned:
            out[key] = learned[key]
    return out


def apply(config: Config, text: str) -> Config:
    """`config` with a snippet's sections: the config the engine will score with."""
    return config_from_dict(merge(config.model_dump(), tomllib.loads(text)))


def _trailing_comments(table: Any) -> list[tuple[Any, Any]]:
    """The comments and blank lines that end a table (they belong to what follows it)."""
    body = table.value.body
    i = len(body)
    while i and body[i - 1][0] is None:
        i -= 1
    return body[i:]


def _set(table: Any, key: str, value: Any) -> None:
    """Set a key; a new one goes above the comments that end the table (they introduce
    what follows), not below them."""
    if key in table:
        if table[key] != value:  # an unchanged value keeps its comment
            table[key] = value
        return
    body = table.value.body
    trailing = _trailing_comments(table)
    if trailing:
        del body[len(body) - len(trailing) :]
    table.add(key, value)
    body.extend(trailing)


def _keep_rule_comments(old: Any, rules: Any) -> None:
    """Keep the comments between the user's rules (e.g. "# --- fields declared for
    calibrate"): each goes above the first learned rule on the field it stood above (or on
    the next field that still has rules). tomlkit stores a comment above a rule at the end of
    the rule before it."""
    fields = [table.get("field") for table in old]
    new_fields = [table.get("field") for table in rules]
    for i in range(1, len(old)):
        notes = _trailing_comments(old[i - 1])
        if not any(isinstance(item, Comment) for _, item in notes):
            continue
        target = next((new_fields.index(f) for f in fields[i:] if f in new_fields), None)
        if target:  # above the first rule it already is: the comment ends [fit]
            first = next(k for k, (_, item) in enumerate(notes) if isinstance(item, Comment))
            rules[target - 1].value.body.extend(notes[first:])


def _set_stages(doc: Any, stages: Any) -> None:
    """Set each learned stage's min_score in the user's [[stages]] (matched by name); a config
    that uses the default ladder gets the whole learned ladder."""
    if not stages:
        return
    if "stages" not in doc:
        doc["stages"] = stages
        return
    learned = {stage["name"]: stage for stage in stages}
    for table in doc["stages"]:
        new = learned.get(table.get("name"))
        if new is not None and "min_score" in new:
            _set(table, "min_score", new["min_score"])
            for key in ("min_fit", "min_engagement"):
                if key in table:
                    del table[key]


def write_into(path: Path, text: str) -> Config:
    """Update the scoring sections of the config file at `path` in place, keeping comments.

    The new file is checked as a whole config before it replaces the old one (atomically).
    """
    path = Path(path)
    try:
        doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    except (OSError, tomlkit.exceptions.TOMLKitError) as ex:
        raise ConfigError([ConfigProblem("", f"cannot update the file: {ex}")], file=path) from ex
    learned = tomlkit.parse(text)
    if "fit" not in doc:
        doc["fit"] = learned["fit"]
    else:
        fit = doc["fit"]
        rules = learned["fit"]["rules"]
        old = fit.get("rules")
        if isinstance(old, tomlkit.items.AoT) and len(old) and len(rules):
            _keep_rule_comments(old, rules)
            # tomlkit keeps the comment above the next section inside the last rule: move it
            for key, item in _trailing_comments(old[-1]):
                rules[-1].value.body.append((key, item))
        if "rules" in fit:
            del fit["rules"]  # the comment above the rules now ends [fit]: keys go above it
        for key in ("completeness_bonus", "max"):
            _set(fit, key, learned["fit"][key])
        fit["rules"] = rules
    new_types = learned.get("activity_types", {})
    if "activity_types" not in doc:
        if new_types:
            doc["activity_types"] = new_types
    else:
        types = doc["activity_types"]
        for type_id, data in new_types.items():
            if type_id not in types:
                types[type_id] = data
                continue
            table = types[type_id]
            for key in ("points", "cap", "group"):
                if key in data:
                    _set(table, key, data[key])
                elif key in table and key != "points":
                    del table[key]
    _set_stages(doc, learned.get("stages"))
    out = tomlkit.dumps(doc)
    config = config_from_dict(tomllib.loads(out), file=path)
    before = path.stat()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(out)
        keep_owner(Path(tmp), before)  # mkstemp made it 0600: the config keeps its mode
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return config
