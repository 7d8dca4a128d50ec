"""Sheets as new users bring them, for the `init` tests: a French pipeline, a HubSpot-style
contact export, a sheet with a title above its headers, `;` and Latin-1 CSV files.

In each, the first contacts asked for a quote or a demo and the last ones only opened
e-mails; everyone else has the same profile, so the ranking shows the activities were read.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter

DAY = dt.date(2026, 6, 30)
HOT = ("ana@acme.fr", "bruno@acme.fr")  # asked for a quote / a demo
COLD = ("chloe@acme.fr", "david@acme.fr")  # only opened e-mails
PEOPLE = (*HOT, *COLD, "emma@acme.fr", "felix@acme.fr")


def write_book(path: Path, tabs: dict[str, list[list[object]]]) -> Path:
    """A plain workbook: each tab's rows as given (None = empty cell), dates as dates."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    date = book.add_format({"num_format": "dd/mm/yyyy"})
    for name, rows in tabs.items():
        sheet = book.add_worksheet(name)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, dt.date):
                    sheet.write_datetime(i, j, dt.datetime.combine(value, dt.time()), date)
                else:
                    sheet.write(i, j, value)
    book.close()
    return path


def _ago(days: int) -> dt.date:
    return DAY - dt.timedelta(days=days)


def french_log() -> list[list[object]]:
    """Journal rows: French activity names, quote and demo requests for the hot ones."""
    rows: list[list[object]] = [["E-mail", "Action", "Date"]]
    rows += [[HOT[0], "Demande de devis", _ago(5)], [HOT[1], "Demande de démo", _ago(8)]]
    rows += [[HOT[0], "Appel téléphonique", _ago(4)], [HOT[1], "Webinaire", _ago(30)]]
    for who in PEOPLE:
        rows += [[who, "Ouverture email", _ago(d)] for d in (3, 10, 20)]
    rows += [[COLD[0], "Clic email", _ago(6)], ["emma@acme.fr", "Visite salon", _ago(12)]]
    rows += [["felix@acme.fr", "Téléchargement livre blanc", _ago(15)]]
    return rows


def french_pipeline(folder: Path) -> Path:
    """Contacts + Journal tabs, French headers and activity names, the user's own Statut."""
    header = ["Adresse e-mail", "Nom", "Société", "Fonction", "Effectif", "Secteur", "Pays"]
    header += ["Origine", "Commercial", "Date de création", "Statut", "Téléphone"]
    rows: list[list[object]] = [header]
    for i, who in enumerate(PEOPLE):
        rows.append(
            [who, who.split("@")[0].title(), "Acme", "Directeur commercial", 120, "Logiciel",
             "France", "Salon", "Julie", _ago(90), "En cours", f"01 23 45 67 0{i}"]
        )  # fmt: skip
    return write_book(folder / "pipeline.xlsx", {"Contacts": rows, "Journal": french_log()})


def hubspot_export(folder: Path) -> Path:
    """One tab, HubSpot's headers, its own Lifecycle Stage, activities as counters."""
    header = ["Record ID", "First Name", "Last Name", "Email", "Company Name", "Job Title"]
    header += ["Number of Employees", "Industry", "Country/Region", "Contact owner"]
    header += ["Create Date", "Original Source", "Lifecycle Stage"]
    header += ["Number of Form Submissions", "Marketing emails opened", "Demo requested"]
    header += ["Quote requested", "Phone Number"]
    rows: list[list[object]] = [header]
    for i, who in enumerate(PEOPLE):
        forms = 1 if who in HOT else 0
        demo = "Yes" if who == HOT[1] else "No"
        quote = "Yes" if who == HOT[0] else "No"
        rows.append(
            [1000 + i, who.split("@")[0].title(), "Martin", who, "Acme", "VP Sales", 120,
             "Software", "France", "Julie Petit", "2026-03-01 10:00", "Organic Search",
             "Lead", forms, 4, demo, quote, "+33 1 23 45 67 89"]
        )  # fmt: skip
    return write_book(folder / "hubspot-contacts.xlsx", {"All contacts": rows})


def titled_sheet(folder: Path) -> Path:
    """A title and a blank row above the headers, English headers, an Activities log."""
    header = ["Email", "Full name", "Company", "Title", "Employees", "Lead source", "Owner"]
    rows: list[list[object]] = [["Sales pipeline - export of June 2026"], [], header]
    for who in PEOPLE:
        rows.append([who, who.split("@")[0].title(), "Acme", "Head of Sales", 120, "Web", "Ann"])
    log = [["Email", "Activity type", "Date"]]
    for who in PEOPLE:
        log += [[who, "Email opened", _ago(d)] for d in (2, 9)]
    log += [[HOT[0], "Quote requested", _ago(3)], [HOT[1], "Demo requested", _ago(3)]]
    return write_book(folder / "pipeline.xlsx", {"Pipeline": rows, "Activities": log})


def _csv(rows: list[list[object]], sep: str) -> str:
    def text(v: object) -> str:
        return v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else str(v)

    return "".join(sep.join(text(v) for v in row) + "\r\n" for row in rows)


def semicolon_csv(folder: Path) -> Path:
    """contacts.csv and journal.csv as French Excel saves them: `;`, UTF-8 with a BOM."""
    header = ["E-mail", "Nom", "Entreprise", "Poste", "Effectif", "Pays"]
    rows: list[list[object]] = [header]
    rows += [
        [w, w.split("@")[0].title(), "Acme", "Directrice achats", "1 200", "France"] for w in PEOPLE
    ]
    (folder / "contacts.csv").write_bytes(_csv(rows, ";").encode("utf-8-sig"))
    (folder / "journal.csv").write_bytes(_csv(french_log(), ";").encode("utf-8-sig"))
    return folder / "contacts.csv"


def latin1_csv(folder: Path) -> Path:
    """A contacts-only export in cp1252 (accents in headers and cells), counters as columns."""
    header = ["Courriel", "Prénom Nom", "Société", "Fonction", "Secteur d'activité"]
    header += ["Nombre de formulaires", "Emails ouverts", "Demande de démo", "Demande de devis"]
    rows: list[list[object]] = [header]
    for who in PEOPLE:
        demo = "oui" if who == HOT[1] else "non"
        quote = "oui" if who == HOT[0] else "non"
        rows.append(
            [who, "Hélène Müller", "Crème & Cie", "Responsable", "Édition", 0, 3, demo, quote]
        )
    (folder / "export.csv").write_bytes(_csv(rows, ",").encode("cp1252"))
    return folder / "export.csv"
