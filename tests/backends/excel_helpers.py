"""Helpers shared by the Excel backend tests: workbook builders and a LibreOffice converter."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import uuid
from pathlib import Path

import xlsxwriter

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
CORPUS = SHARED / "fixtures" / "excel-corpus"


def make_contacts_xlsx(path: Path, rows: int = 5, *, date1904: bool = False) -> Path:
    """A small real workbook: Contacts (email, name, company, created, budget) + Activities."""
    wb = xlsxwriter.Workbook(str(path), {"date_1904": date1904})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet("Contacts")
    ws.write_row(0, 0, ["email", "name", "company", "created", "budget"])
    for i in range(rows):
        ws.write_string(i + 1, 0, f"user{i}@example.com")
        ws.write_string(i + 1, 1, f"User {i}")
        ws.write_string(i + 1, 2, "ACME" if i % 2 else "Globex")
        ws.write_datetime(i + 1, 3, dt.datetime(2024, 1, 1 + i % 28), date_fmt)
        ws.write_number(i + 1, 4, 1000 * i)
    act = wb.add_worksheet("Activities")
    act.write_row(0, 0, ["email", "type", "date"])
    for i in range(rows * 2):
        act.write_row(i + 1, 0, [f"user{i % rows}@example.com", "email_open"])
        act.write_datetime(i + 1, 2, dt.datetime(2024, 2, 1), date_fmt)
    wb.close()
    return path


def soffice_convert(src: Path, fmt: str, outdir: Path, filter_opts: str = "") -> Path:
    """Convert with LibreOffice headless, with a private profile so runs do not clash."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (soffice) is required for the consumer tests"
    profile = Path("/tmp") / f"sf-lo-{uuid.uuid4().hex}"
    target = fmt + (f":{filter_opts}" if filter_opts else "")
    try:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                target,
                "--outdir",
                str(outdir),
                str(src),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    out = outdir / (src.stem + "." + fmt.split(":")[0])
    assert out.exists(), f"soffice produced no {out}"
    return out
