"""Loading a config: TOML in, a validated `Config` out, or every problem at once.

Validation runs in two passes: pydantic checks the shape (unknown keys, types, allowed
values), then `checks.semantic_problems` checks what only the whole config can tell.
"""

from __future__ import annotations

import copy as copy_module
import difflib
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ValidationError

from ..errors import ConfigError, ConfigProblem
from .checks import semantic_problems
from .models import Config, _defaults


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
    data = _without_unmapped(with_defaults(data), data)
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
            problems += semantic_problems(rest)
        raise ConfigError(problems, file=file) from None
    problems = semantic_problems(config)
    if problems:
        raise ConfigError(problems, file=file)
    return config


def _without_unmapped(merged: dict[str, Any], user: Mapping[str, Any]) -> dict[str, Any]:
    """Drop the default fit rules, completeness fields and summary groupings whose field the
    user unmapped (`title = ""`): they were never the user's, so they are no error.

    Lists the user wrote themselves are kept whole, and checked."""
    columns = merged.get("columns")
    if not isinstance(columns, dict):
        return merged
    mapped = {f for f, h in columns.items() if f != "extra" and isinstance(h, str) and h}
    if isinstance(columns.get("extra"), dict):
        mapped |= set(columns["extra"])

    def given(section: str, key: str) -> bool:
        value = user.get(section)
        return isinstance(value, Mapping) and key in value

    out = dict(merged)
    fit = out.get("fit")
    if isinstance(fit, dict):
        fit = dict(fit)
        if not given("fit", "rules") and isinstance(fit.get("rules"), list):
            fit["rules"] = [r for r in fit["rules"] if r.get("field") in mapped]
        if not given("fit", "completeness_fields"):
            fit["completeness_fields"] = [
                f for f in fit.get("completeness_fields", []) if f in mapped
            ]
        out["fit"] = fit
    summary = out.get("summary")
    if isinstance(summary, dict) and not given("summary", "group_by"):
        out["summary"] = {**summary, "group_by": [f for f in summary["group_by"] if f in mapped]}
    return out


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
        model = _model_at(loc)
        allowed = list(model.model_fields) if model else []
        name = str(loc[-1]) if loc else ""
        if err["type"] == "extra_forbidden":
            near = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
            msg = f"unknown key; did you mean {near[0]!r}?" if near else "unknown key"
            if allowed:
                msg += f" Allowed keys here: {', '.join(allowed)}"
        elif err["type"] == "value_error":  # our own validators' messages quote the value
            msg = str(err["ctx"]["error"])
        else:
            msg = _plain(err)
            if "input" in err and err["type"] not in ("missing",):
                msg += f" (got {_shown(err['input'])})"
            if f"{name}s" in allowed and isinstance(err.get("input"), list | tuple):
                msg += f"; did you mean {name + 's'!r}, which takes a list?"
        problems.append(ConfigProblem(key, msg))
    return problems


#: pydantic's error types in the words of a TOML file.
_PLAIN = {
    "string_type": "must be a text in quotes",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": 'must be a list, e.g. ["a", "b"]',
    "tuple_type": 'must be a list, e.g. ["a", "b"]',
    "dict_type": "must be a table: a [section] or { key = value }",
    "model_type": "must be a table: a [section] or { key = value }",
    "model_attributes_type": "must be a table: a [section] or { key = value }",
    "missing": "is required",
}


def _plain(err: Any) -> str:
    """One pydantic error as a sentence about the TOML value, without pydantic's wording."""
    kind, ctx = err["type"], err.get("ctx", {})
    if kind in _PLAIN:
        return _PLAIN[kind]
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}"
    bounds = {
        "greater_than": "must be above {gt}",
        "greater_than_equal": "must be at least {ge}",
        "less_than": "must be below {lt}",
        "less_than_equal": "must be at most {le}",
        "string_too_short": "must have at least {min_length} characters",
        "string_too_long": "must have at most {max_length} characters",
    }
    if kind in bounds:
        shown = {k: f"{v:g}" if isinstance(v, int | float) else v for k, v in ctx.items()}
        return bounds[kind].format(**shown)
    return str(err["msg"])


def _shown(value: Any) -> str:
    """A value as the user wrote it in TOML (true, not True)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)
