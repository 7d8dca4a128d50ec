"""Results to new files (.csv, .json, .xlsx) that sheetfunnel creates itself.

An export never overwrites a file sheetfunnel did not write: a workbook it made carries a
custom document property, a JSON export a "generator" key, a CSV export our exact header. The
file is built beside its target and moved into place, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
from lxml import etree

from . import __version__
from .backends.excel.markers import read_markers
from .backends.excel.package import Package, parse_xml
from .backends.textlimit import ELLIPSIS, EXCEL_MAX_TEXT
from .engine import RESULT_COLUMNS, Results
from .errors import InputError, SpreadsheetError
from .ownership import keep_owner, new_file_mode

GENERATOR = "sheetfunnel"
FORMATS = (".csv", ".json", ".xlsx")
#: Working columns of the results that exports leave out.
_INTERNAL = {
    "row",
    "rank",
    "kind",
    "direct",
    "prospect_since",
    "evidence_since",
    "stage_override",
}


def contacts_table(results: Results) -> pd.DataFrame:
    """The per-contact results as exported: key fields first, dates as ISO dates."""
    table = results.contacts
    extra = [c for c in table.columns if c not in RESULT_COLUMNS and c not in _INTERNAL]
    out = table[[c for c in RESULT_COLUMNS if c in table] + extra].copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d").astype(object).where(out[col].notna())
    return out


def check_target(path: Path, *, source: Path | None = None, force: bool = False) -> None:
    """Refuse an export target that would cost the user a file: the source being scored or a
    workbook sheetfunnel syncs (even with `force`), or another file it did not write."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(
            f"{path}: cannot export to {suffix or 'a file without extension'}; "
            f"use one of {', '.join(FORMATS)}",
            file=str(path),
        )
    if source is not None and _same_file(path, Path(source)):
        raise InputError(
            f"--out {path} is the file being scored: sheetfunnel never writes over its source, "
            f"even with --force. To write the results into the workbook, run `sheetfunnel sync "
            f"{source}`; to save them, give --out another file name.",
            file=str(path),
        )
    if path.exists() and _synced_workbook(path):
        raise InputError(
            f"{path} is a workbook sheetfunnel syncs: --out never replaces it, even with "
            f"--force. Run `sheetfunnel sync {path}` to update it, or give --out another file "
            "name.",
            file=str(path),
        )
    if path.exists() and not force and not _is_ours(path):
        raise InputError(
            f"{path} exists and was not written by sheetfunnel; choose another file name, or "
            "pass --force to replace it",
            file=str(path),
        )


def write_results(
    results: Results,
    path: Path,
    *,
    force: bool = False,
    source: Path | None = None,
    decimal: str = ".",
    notes: list[str] | None = None,
) -> Path:
    """Write the results to `path` (format from its suffix) and return it; `source` is the
    file scored, which is never overwritten (see `check_target`). `notes` receives what the
    user should know (texts cut to fit an Excel cell).

    `decimal = ","` writes a CSV as Excel reads it in a comma-decimal locale (French...):
    `;` between cells, decimal commas, a UTF-8 BOM."""
    path = Path(path)
    suffix = path.suffix.lower()
    check_target(path, source=source, force=force)
    cut = _Cutter()
    writers = {".csv": _write_csv, ".json": _write_json, ".xlsx": cut.write_xlsx}
    if suffix == ".csv" and decimal == ",":
        writers[".csv"] = _write_csv_comma
    with _atomic(path) as tmp:
        writers[suffix](results, tmp)
    if cut.count and notes is not None:
        count = cut.count
        notes.append(
            f"{count} text{'s' if count != 1 else ''} longer than an Excel cell holds "
            f"({EXCEL_MAX_TEXT:,} characters) cut, ending in '{ELLIPSIS}'"
        )
    return path


class _Cutter:
    """Cuts texts longer than an Excel cell holds, counting them, for one xlsx export."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str) and len(value) > EXCEL_MAX_TEXT:
            self.count += 1
            return value[: EXCEL_MAX_TEXT - len(ELLIPSIS)] + ELLIPSIS
        return value

    def write_xlsx(self, results: Results, path: Path) -> None:
        _write_xlsx(results, path, self)


def to_json(results: Results) -> dict[str, Any]:
    """Plain JSON-ready data: contacts, companies, summary, notices."""
    contacts = contacts_table(results)
    companies = results.companies
    return {
        "generator": GENERATOR,
        "version": __version__,
        "as_of": results.as_of.isoformat(),
        "notices": [n.message for n in results.notices],
        "summary": results.summary.to_dict(),
        "contacts": json.loads(contacts.to_json(orient="records", force_ascii=False)),
        "companies": json.loads(companies.to_json(orient="records", force_ascii=False)),
    }


def _write_csv(results: Results, path: Path) -> None:
    csv_safe(contacts_table(results)).to_csv(path, index=False, encoding="utf-8")


#: What makes a spreadsheet app read a CSV cell as a formula (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every text cell that starts like a formula prefixed with a single quote
    (OWASP's advice), so a value copied from a user's cell never runs when the CSV is opened
    in Excel or LibreOffice. Numbers stay numbers."""
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if values.dtype != object and not pd.api.types.is_string_dtype(values):
            continue
        text = values.map(lambda v: isinstance(v, str), na_action="ignore")
        text = text.astype(object).fillna(False).astype(bool)
        risky = text & values.where(text, "").astype(str).str.startswith(FORMULA_START)
        if risky.any():
            out[col] = values.astype(object).where(
                ~risky, "'" + values.where(risky, "").astype(str)
            )
    return out


def _write_csv_comma(results: Results, path: Path) -> None:
    contacts_table(results).to_csv(path, index=False, sep=";", decimal=",", encoding="utf-8-sig")


def _write_json(results: Results, path: Path) -> None:
    path.write_text(json.dumps(to_json(results), indent=2, ensure_ascii=False), "utf-8")


def _write_xlsx(results: Results, path: Path, fit: Any = lambda v: v) -> None:
    contacts = contacts_table(results)
    summary = results.summary
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "nan_inf_to_errors": True})
    book.set_custom_property(GENERATOR, __version__)
    bold = book.add_format({"bold": True})
    percent = book.add_format({"num_format": "0.0%"})
    _frame_sheet(book, "Contacts", contacts, bold, fit)
    _frame_sheet(book, "Companies", results.companies, bold, fit)
    sheet = book.add_worksheet("Summary")
    sheet.write_row(0, 0, ["as of", summary.as_of.strftime("%Y-%m-%d")], bold)
    row = 2
    row = _block(sheet, row, summary.stages, bold, percent, ["share"])
    side = summary.lead_vs_prospect.reset_index(names="metric")
    row = _block(sheet, row, side, bold, percent, [])
    conv = pd.DataFrame(
        {"metric": list(summary.conversion), "value": list(summary.conversion.values())}
    )
    row = _block(sheet, row, conv, bold, percent, [])
    for table in summary.by_group.values():
        row = _block(
            sheet, row, table.reset_index(), bold, percent, ["lead_to_prospect", "win_rate"], fit
        )
    sheet.write_row(row, 0, ["stale leads", summary.stale_leads], bold)
    sheet.set_column(0, 0, 32)
    book.close()


def _frame_sheet(book: Any, name: str, frame: pd.DataFrame, bold: Any, fit: Any) -> None:
    sheet = book.add_worksheet(name)
    sheet.write_row(0, 0, [str(c) for c in frame.columns], bold)
    for j, col in enumerate(frame.columns):
        values = frame[col].astype(object).where(frame[col].notna(), None).tolist()
        sheet.write_column(1, j, [fit(v) for v in values])
    sheet.freeze_panes(1, 0)
    if len(frame.columns):
        sheet.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)


def _block(
    sheet: Any,
    row: int,
    frame: pd.DataFrame,
    bold: Any,
    percent: Any,
    pct: list[str],
    fit: Any = lambda v: v,
) -> int:
    sheet.write_row(row, 0, [str(c) for c in frame.columns], bold)
    for i, record in enumerate(frame.itertuples(index=False), start=row + 1):
        for j, value in enumerate(record):
            if value is None or (isinstance(value, float) and pd.isna(value)):
                continue
            fmt = percent if frame.columns[j] in pct else None
            sheet.write(i, j, fit(value.item() if hasattr(value, "item") else value), fmt)
    return row + len(frame) + 2


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return a.samefile(b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def _synced_workbook(path: Path) -> bool:
    """Whether `path` is a workbook holding sheetfunnel's ownership markers (a synced one)."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return False
    try:
        with zipfile.ZipFile(path) as zf:
            pkg = Package(zf)
            part = pkg.workbook_part()
            data = pkg.read(part) if part else None
            markers = read_markers(parse_xml(data)) if data else None
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError):
        return False
    return markers is not None and bool(markers.columns or markers.tabs or markers.stale)


def _is_ours(path: Path) -> bool:
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            with zipfile.ZipFile(path) as zf:
                custom = zf.read("docProps/custom.xml").decode("utf-8", "replace")
            return f'name="{GENERATOR}"' in custom
        if suffix == ".json":
            return json.loads(path.read_text("utf-8")).get("generator") == GENERATOR
        if suffix == ".csv":
            with path.open(encoding="utf-8-sig") as fh:
                header = fh.readline().strip()
            cells = header.replace(";", ",").split(",")
            return cells[0] == "key" and {"score", "stage", "why"} <= set(cells)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, AttributeError):
        return False
    return False


@contextlib.contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    """A temp path beside `path`, moved onto it only if the block succeeds."""
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    except OSError as ex:
        raise SpreadsheetError(f"{path}: cannot write in {path.parent}: {ex.strerror}") from ex
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if path.exists():  # a new version of our earlier export keeps its mode and owner
            keep_owner(tmp, path.stat())
        else:  # mkstemp makes 0600: an export is an ordinary new file
            new_file_mode(tmp)
        tmp.replace(path)
    except OSError as ex:
        raise SpreadsheetError(f"{path}: cannot write the export: {ex.strerror or ex}") from ex
    finally:
        tmp.unlink(missing_ok=True)
