"""Cell values: how RAW/USER_ENTERED input is stored and how each render option reads it back."""

from __future__ import annotations

import ast
import datetime as dt
import operator
import re
import struct
from dataclasses import dataclass
from typing import Any

EPOCH = dt.datetime(1899, 12, 30)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_PERCENT = re.compile(r"^([+-]?(\d+\.?\d*|\.\d+))%$")


@dataclass(frozen=True, slots=True)
class Cell:
    """One stored cell (never mutated: replaced). `value` is the effective value
    (str, int/float, bool); `formula` the text typed when it was a formula; `pattern` the
    number format the API attached while parsing USER_ENTERED input (dates, percent)."""

    value: Any
    formula: str | None = None
    pattern: str | None = None
    kind: str | None = None  # "DATE", "PERCENT" or None


def number(x: float) -> int | float:
    """JSON numbers as the API writes them: integral values without a fraction."""
    if isinstance(x, bool):
        return x
    if isinstance(x, float) and x.is_integer() and abs(x) < 2**53:
        return int(x)
    return x


_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


def _arith(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _arith(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_arith(node.left), _arith(node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        v = _arith(node.operand)
        return -v if isinstance(node.op, ast.USub) else v
    raise ValueError("unsupported")


def evaluate(formula: str) -> Any:
    """Evaluate the arithmetic formulas the emulator supports (`=4/2`); others read `#ERROR!`."""
    try:
        return number(float(_arith(ast.parse(formula[1:].replace("^", "**"), mode="eval"))))
    except ZeroDivisionError:
        return "#DIV/0!"
    except (ValueError, SyntaxError, TypeError, OverflowError):
        return "#ERROR!"


def serial(d: dt.datetime) -> int | float:
    delta = d - EPOCH
    return number(delta.days + delta.seconds / 86400)


def from_raw(v: Any) -> Cell | None:
    """RAW input: stored verbatim (a string stays a string, even `=1+1` or `0123`)."""
    if v == "" or v is None:
        return None
    if isinstance(v, bool | int | float):
        return Cell(number(float(v)) if not isinstance(v, bool) else v)
    return Cell(str(v))


def from_user_entered(v: Any) -> Cell | None:
    """USER_ENTERED input: parsed as if typed in the UI (en_US locale)."""
    if v == "" or v is None:
        return None
    if isinstance(v, bool):
        return Cell(v)
    if isinstance(v, int | float):
        return Cell(number(float(v)))
    s = str(v)
    if s.startswith("'"):
        return Cell(s[1:])
    if s.startswith("=") and len(s) > 1:
        return Cell(evaluate(s), formula=s)
    t = s.strip()
    if t.upper() in ("TRUE", "FALSE"):
        return Cell(t.upper() == "TRUE")
    if _NUMBER.match(t):
        return Cell(number(float(t)))
    m = _PERCENT.match(t)
    if m:
        return Cell(number(float(m.group(1)) / 100), pattern="0%", kind="PERCENT")
    m = _ISO_DATE.match(t)
    if m:
        try:
            d = dt.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            return Cell(serial(d), pattern="yyyy-mm-dd", kind="DATE")
        except ValueError:
            pass
    m = _US_DATE.match(t)
    if m:
        try:
            d = dt.datetime(int(m.group(3)), int(m.group(1)), int(m.group(2)))
            return Cell(serial(d), pattern="M/d/yyyy", kind="DATE")
        except ValueError:
            pass
    return Cell(s)


def format_date(value: float, pattern: str) -> str:
    d = EPOCH + dt.timedelta(days=float(value))
    out = pattern
    for token, text in (
        ("yyyy", f"{d.year:04d}"),
        ("mm", f"{d.month:02d}"),
        ("dd", f"{d.day:02d}"),
        ("M", str(d.month)),
        ("d", str(d.day)),
    ):
        out = out.replace(token, text)
    return out


def format_number(x: Any) -> str:
    if isinstance(x, bool):
        return "TRUE" if x else "FALSE"
    if isinstance(x, int):
        return str(x)
    return format(x, ".15g")


def render(
    cell: Cell,
    value_option: str,
    date_option: str,
    fmt: dict[str, Any] | None = None,
) -> Any:
    """A cell as `values.get` returns it for the given render options."""
    kind, pattern = cell.kind, cell.pattern
    number_format = (fmt or {}).get("numberFormat")
    if number_format:
        kind, pattern = number_format.get("type"), number_format.get("pattern")
    v = cell.value
    if value_option == "FORMULA" and cell.formula is not None:
        return cell.formula
    is_date = kind in ("DATE", "DATE_TIME") and isinstance(v, int | float)
    if value_option in ("UNFORMATTED_VALUE", "FORMULA"):
        if is_date and date_option == "FORMATTED_STRING":
            return format_date(v, pattern or "yyyy-mm-dd")
        return v
    if isinstance(v, str):
        return v
    if is_date:
        return format_date(v, pattern or "yyyy-mm-dd")
    if kind == "PERCENT" and not isinstance(v, bool):
        return format_number(number(round(v * 100, 10))) + "%"
    return format_number(v)


def extended_value(cell: Cell) -> dict[str, Any]:
    """A cell as an ExtendedValue (grid data `effectiveValue`)."""
    v = cell.value
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int | float):
        return {"numberValue": v}
    return {"stringValue": v}


def from_extended(ev: dict[str, Any]) -> Cell | None:
    """`userEnteredValue` of updateCells/repeatCell -> stored cell."""
    if "formulaValue" in ev:
        return Cell(evaluate(ev["formulaValue"]), formula=ev["formulaValue"])
    if "numberValue" in ev:
        return Cell(number(float(ev["numberValue"])))
    if "boolValue" in ev:
        return Cell(bool(ev["boolValue"]))
    if "stringValue" in ev:
        return Cell(str(ev["stringValue"])) if ev["stringValue"] != "" else None
    return None


# --- colours: stored with 8-bit precision, written back as float32, zero channels omitted ---


def _float32_text(x: float) -> float:
    packed = struct.unpack("f", struct.pack("f", x))[0]
    for digits in range(1, 10):
        candidate = float(f"{packed:.{digits}g}")
        if struct.unpack("f", struct.pack("f", candidate))[0] == packed:
            return candidate
    return packed


def quantise_colour(colour: dict[str, Any]) -> dict[str, Any]:
    """{red: 0.5} -> {red: 0.49803922}; zero channels dropped (the API omits them)."""
    out: dict[str, Any] = {}
    for channel in ("red", "green", "blue", "alpha"):
        if channel not in colour:
            continue
        # Recorded: 0.5 reads back as 127/255, so the API truncates (not rounds) to 8 bits.
        level = int(float(colour[channel]) * 255 + 1e-6)
        if level == 0 and channel != "alpha":
            continue
        out[channel] = number(_float32_text(level / 255))
    return out


_COLOUR_PAIRS = (
    ("backgroundColor", "backgroundColorStyle"),
    ("foregroundColor", "foregroundColorStyle"),
    ("tabColor", "tabColorStyle"),
    ("color", "colorStyle"),
)


def normalise_format(fmt: dict[str, Any]) -> dict[str, Any]:
    """Store a format as the API echoes it: colours quantised, each colour mirrored in its
    `*Style.rgbColor` twin (and the reverse), recursively (textFormat.foregroundColor...)."""
    out: dict[str, Any] = {}
    for key, value in fmt.items():
        out[key] = normalise_format(value) if isinstance(value, dict) else value
    for plain, style in _COLOUR_PAIRS:
        if plain in fmt and isinstance(fmt[plain], dict):
            rgb = quantise_colour(fmt[plain])
            out[plain] = rgb
            if style not in fmt:
                out[style] = {"rgbColor": dict(rgb)}
        if style in fmt and isinstance(fmt[style], dict):
            if "rgbColor" in fmt[style]:
                rgb = quantise_colour(fmt[style]["rgbColor"])
                out[style] = {"rgbColor": rgb}
                out[plain] = dict(rgb)
            else:
                out[style] = dict(fmt[style])
    return out
