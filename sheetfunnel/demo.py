"""A realistic, reproducible sample workbook: contacts, six months of activity, and its config.

Contacts have a hidden "interest" that drives what they do, so the funnel that comes out looks
like a real one: many leads, fewer MQLs and SQLs, a handful of prospects and customers. The
data carries the mess real sheets have (blank cells, case and spacing in emails, a duplicate,
French titles, unsubscribes, bounces, stages set by hand).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xlsxwriter

from .errors import InputError
from .progress import SILENT, Progress

if TYPE_CHECKING:
    from .sync import SyncReport

SOURCES = (
    "Website",
    "LinkedIn Ads",
    "Google Ads",
    "Webinar",
    "Referral",
    "Trade show",
    "Newsletter",
)
OWNERS = ("Alice Martin", "Bruno Keller", "Chloé Dubois", "David Osei", "Emma Rossi")
SECTORS = (
    "Software",
    "SaaS",
    "Retail",
    "Manufacturing",
    "Fintech",
    "Healthcare",
    "Education",
    "Logistics",
)
COUNTRIES = (
    "France",
    "Belgium",
    "Switzerland",
    "Canada",
    "Germany",
    "Spain",
    "United Kingdom",
    "USA",
)
TITLES = (
    "CEO",
    "CTO",
    "VP Sales",
    "VP Marketing",
    "Head of Growth",
    "Directeur commercial",
    "Directrice marketing",
    "Marketing Manager",
    "Sales Manager",
    "Responsable achats",
    "Team Lead",
    "Account Executive",
    "Marketing Assistant",
    "Analyst",
    "Developer",
    "Stagiaire",
    "Intern",
    "Consultant",
    "Office Manager",
    "Chief Revenue Officer",
)
FIRST = (
    "Anna",
    "Louis",
    "Sofia",
    "Hugo",
    "Lea",
    "Noah",
    "Ines",
    "Jules",
    "Mila",
    "Adam",
    "Zoe",
    "Tom",
    "Jade",
    "Lucas",
    "Eva",
    "Paul",
    "Nina",
    "Max",
    "Lina",
    "Theo",
)
LAST = (
    "Bernard",
    "Petit",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefebvre",
    "Garcia",
    "Roux",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Mercier",
)
SYLLABLES = (
    "nova",
    "tek",
    "lum",
    "ora",
    "byte",
    "flux",
    "vert",
    "axi",
    "qui",
    "zen",
    "sol",
    "data",
)
SUFFIXES = ("", " SA", " SAS", " GmbH", " Ltd", " Inc", " Group", " Labs")

# (log label, weight) for the background noise every contact makes, by interest level.
INDIRECT = (
    ("Email open", 0.42),
    ("Email click", 0.14),
    ("Page visit", 0.26),
    ("Content download", 0.08),
    ("Webinar", 0.04),
    ("Form submit", 0.06),
)


@dataclass(frozen=True)
class Demo:
    """Paths of what `create_demo` wrote, and the as-of date its data ends on."""

    workbook: Path
    config: Path
    as_of: dt.date


def generate(
    seed: int = 7, contacts: int = 500, end: dt.date | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two demo tables (contacts, activities) as they would sit in a sheet."""
    rng = np.random.default_rng(seed)
    end = end or dt.date.today()
    start = end - dt.timedelta(days=182)
    n = contacts
    companies = np.array(
        [
            (rng.choice(SYLLABLES) + rng.choice(SYLLABLES)).capitalize() + rng.choice(SUFFIXES)
            for _ in range(max(n // 3, 1))
        ]
    )
    company_idx = rng.integers(0, len(companies), n)
    size_by_company = np.round(np.exp(rng.normal(4.5, 1.6, len(companies)))).astype(int) + 1
    sector_by_company = rng.choice(SECTORS, len(companies))
    first, last = rng.choice(FIRST, n), rng.choice(LAST, n)
    emails = [
        f"{f}.{sn}{i}@{companies[c].split()[0].lower()}.com".lower()
        for i, (f, sn, c) in enumerate(zip(first, last, company_idx, strict=True))
    ]
    created = [start + dt.timedelta(days=int(d)) for d in rng.integers(0, 150, n)]
    interest = rng.beta(1.2, 4.0, n)

    frame = pd.DataFrame(
        {
            "Email": emails,
            "Name": [f"{f} {sn}" for f, sn in zip(first, last, strict=True)],
            "Company": companies[company_idx],
            "Job title": rng.choice(TITLES, n),
            "Company size": size_by_company[company_idx],
            "Sector": sector_by_company[company_idx],
            "Country": rng.choice(COUNTRIES, n, p=[0.35, 0.1, 0.08, 0.12, 0.1, 0.08, 0.09, 0.08]),
            "Source": rng.choice(SOURCES, n),
            "Owner": rng.choice(OWNERS, n),
            "Created": created,
            "Stage override": None,
        }
    ).astype(object)
    # The mess of a real sheet.
    for col, share in (
        ("Job title", 0.06),
        ("Company size", 0.08),
        ("Sector", 0.05),
        ("Country", 0.04),
    ):
        frame.loc[rng.random(n) < share, col] = None
    frame.loc[rng.random(n) < 0.03, "Email"] = frame["Email"].str.upper() + " "
    hot = np.argsort(-interest)
    frame.loc[hot[:6], "Stage override"] = "Customer"
    frame.loc[hot[40:44], "Stage override"] = "Lost"

    rows = []
    for i in range(n):
        born = created[i]
        days = (end - born).days
        k = rng.poisson(3 + 30 * interest[i])
        labels = rng.choice([x for x, _ in INDIRECT], k, p=[w for _, w in INDIRECT])
        when = rng.integers(0, max(days, 1), k)
        rows += [
            (emails[i], lab, born + dt.timedelta(days=int(d)))
            for lab, d in zip(labels, when, strict=True)
        ]
        if interest[i] > 0.35:
            for lab, p in (
                ("Call", 0.7),
                ("Meeting", 0.5),
                ("Demo request", 0.45),
                ("Quote request", 0.25),
            ):
                if rng.random() < p * interest[i]:
                    rows.append(
                        (
                            emails[i],
                            lab,
                            end - dt.timedelta(days=int(rng.integers(0, min(60, days + 1)))),
                        )
                    )
        if i in hot[:6]:
            rows.append((emails[i], "Purchase", end - dt.timedelta(days=int(rng.integers(0, 20)))))
        if rng.random() < 0.04:
            rows.append(
                (
                    emails[i],
                    "Unsubscribe",
                    born + dt.timedelta(days=int(rng.integers(0, max(days, 1)))),
                )
            )
        if rng.random() < 0.015:
            rows.append((emails[i], "Bounce", born + dt.timedelta(days=1)))
    acts = pd.DataFrame(rows, columns=["Email", "Activity", "Date"])
    acts = (
        acts.sample(frac=1, random_state=seed)
        .sort_values("Date", kind="stable")
        .reset_index(drop=True)
    )
    dup = frame.iloc[[3]].copy()
    dup["Email"] = str(dup["Email"].iloc[0]).title()
    frame = pd.concat([frame, dup], ignore_index=True)
    return frame, acts


def write_workbook(path: Path, contacts: pd.DataFrame, activities: pd.DataFrame) -> None:
    """Write the demo tables as a plain workbook (Contacts, Activities), dates as dates."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    bold = book.add_format({"bold": True})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, frame in (("Contacts", contacts), ("Activities", activities)):
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, list(frame.columns), bold)
        for j, col in enumerate(frame.columns):
            for i, value in enumerate(frame[col].tolist(), start=1):
                if value is None or (isinstance(value, float) and np.isnan(value)):
                    continue
                if isinstance(value, dt.date):
                    sheet.write_datetime(i, j, dt.datetime.combine(value, dt.time()), date)
                else:
                    sheet.write(i, j, value.item() if hasattr(value, "item") else value)
        sheet.freeze_panes(1, 0)
        for j, col in enumerate(frame.columns):  # wide enough for an e-mail, not more than 40
            longest = int(frame[col].astype(str).str.len().max()) if len(frame) else 0
            sheet.set_column(j, j, min(max(len(str(col)), longest) + 2, 40))
    book.close()


def create_demo(
    folder: Path,
    *,
    seed: int = 7,
    contacts: int = 500,
    end: dt.date | None = None,
    force: bool = False,
    progress: Progress = SILENT,
) -> Demo:
    """Write `demo.xlsx` and its `sheetfunnel.toml` into `folder`."""
    folder = Path(folder)
    workbook, config = folder / "demo.xlsx", folder / "sheetfunnel.toml"
    existing = [p for p in (workbook, config) if p.exists()]
    if existing and not force:
        raise InputError(
            f"{existing[0]} already exists; pass --force to replace the demo files, or choose "
            "another folder",
            file=str(existing[0]),
        )
    end = end or dt.date.today()
    folder.mkdir(parents=True, exist_ok=True)
    progress.step(f"Making {contacts:,} sample contacts and their activity")
    people, acts = generate(seed, contacts, end)
    progress.step(f"Writing the sample workbook {workbook}")
    write_workbook(workbook, people, acts)
    config.write_text(files("sheetfunnel").joinpath("default.toml").read_text("utf-8"), "utf-8")
    return Demo(workbook, config, end)


def run_demo(
    folder: Path,
    *,
    seed: int = 7,
    contacts: int = 500,
    end: dt.date | None = None,
    force: bool = False,
    progress: Progress = SILENT,
) -> tuple[Demo, SyncReport]:
    """Create the demo and sync it: the workbook then shows what a sync writes (managed
    columns, stage colours, Summary and History tabs), as the user's own sheet will."""
    from .config import load_config
    from .runner import RunOptions, run_once

    made = create_demo(
        folder, seed=seed, contacts=contacts, end=end, force=force, progress=progress
    )
    options = RunOptions(command="demo", backup=False)
    result = run_once(
        str(made.workbook), load_config(made.config), options, as_of=made.as_of, progress=progress
    )
    if result.error is not None:
        raise result.error
    assert result.report is not None  # a first run is never skipped as unchanged
    return made, result.report
