"""Field masks (`fields=sheets(properties(title)),spreadsheetId`, `gridProperties/rowCount`)."""

from __future__ import annotations

import copy
from typing import Any

#: A parsed mask: name -> sub-mask; an empty dict means "this field whole".
Mask = dict[str, "Mask"]


def parse(text: str) -> Mask:
    """Parse a FieldMask; both `a.b` and `a/b` separate nested names, `a(b,c)` groups."""
    text = text.replace("/", ".").replace(" ", "")
    mask: Mask = {}
    pos = _parse_list(text, 0, mask)
    if pos != len(text):
        raise ValueError(text)
    return mask


def _parse_list(text: str, pos: int, into: Mask) -> int:
    while pos < len(text):
        node = into
        while True:
            start = pos
            while pos < len(text) and text[pos] not in ".,()":
                pos += 1
            name = text[start:pos]
            if not name:
                raise ValueError(text)
            node = node.setdefault(name, {})
            if pos < len(text) and text[pos] == ".":
                pos += 1
                continue
            break
        if pos < len(text) and text[pos] == "(":
            pos = _parse_list(text, pos + 1, node)
            if pos >= len(text) or text[pos] != ")":
                raise ValueError(text)
            pos += 1
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        return pos
    return pos


def apply(value: Any, mask: Mask | None) -> Any:
    """Keep only masked fields; messages that are present stay, even if left empty."""
    if mask is None or not mask or "*" in mask:
        return value
    if isinstance(value, list):
        return [apply(v, mask) for v in value]
    if not isinstance(value, dict):
        return value
    return {k: apply(value[k], sub) for k, sub in mask.items() if k in value}


def wants(mask: Mask | None, *path: str) -> bool:
    """Does the mask ask for anything at or under `path`? (None: no mask, everything.)"""
    node = mask
    for name in path:
        if node is None or not node or "*" in node:
            return True
        if name not in node:
            return False
        node = node[name]
    return True


def sub(mask: Mask | None, *path: str) -> Mask | None:
    node = mask
    for name in path:
        if node is None or not node or "*" in node:
            return None
        node = node.get(name)
        if node is None:
            return {}
    return node or None


def update(target: dict[str, Any], source: dict[str, Any], mask: Mask) -> None:
    """Set the masked fields of `target` from `source` (a field absent in `source` is cleared)."""
    if "*" in mask:
        target.clear()
        target.update(copy.deepcopy(source))
        return
    for name, child in mask.items():
        if not child:
            if name in source:
                target[name] = copy.deepcopy(source[name])
            else:
                target.pop(name, None)
            continue
        inner_source = source.get(name)
        if not isinstance(inner_source, dict):
            inner_source = {}
        inner = target.setdefault(name, {})
        if not isinstance(inner, dict):
            inner = target[name] = {}
        update(inner, inner_source, child)
        if not inner:
            del target[name]
