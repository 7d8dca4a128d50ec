"""The vocabulary `init` maps with: headers of English and French sheets and of the common CRM
exports, activity names, case, accents and punctuation ignored, fuzzy only when unambiguous."""

import pytest

from sheetfunnel.config import load_config
from sheetfunnel.mapping import (
    COUNTER_HEADERS,
    FIELD_HEADERS,
    TYPE_NAMES,
    closest_types,
    first_match,
    fold,
    match_one,
)

CRM_HEADERS = {
    # HubSpot
    "Email": "key",
    "Company Name": "company",
    "Job Title": "title",
    "Number of Employees": "company_size",
    "Contact owner": "owner",
    "Create Date": "created",
    "Original Source": "source",
    "Country/Region": "country",
    "Industry": "sector",
    # Salesforce
    "Account Name": "company",
    "Lead Source": "source",
    "Lead Owner": "owner",
    "Mailing Country": "country",
    "Created Date": "created",
    "Title": "title",
    # Pipedrive
    "Person - Email - Work": "key",
    "Person - Name": "name",
    "Organization - Name": "company",
    "Person - Owner": "owner",
    # Zoho
    "No. of Employees": "company_size",
    "Created Time": "created",
    "Full Name": "name",
    # French
    "Adresse e-mail": "key",
    "Société": "company",
    "Fonction": "title",
    "Effectif": "company_size",
    "Secteur d'activité": "sector",
    "Date de création": "created",
    "Propriétaire": "owner",
}


@pytest.mark.parametrize(("header", "field"), CRM_HEADERS.items())
def test_crm_and_french_headers(header, field):
    assert match_one(header, FIELD_HEADERS) == (field, True)


def test_fold_ignores_case_accents_and_punctuation():
    assert fold("  Adresse E-MAIL ") == "adresse e mail" == fold("adresse_e.mail")
    assert fold("Société") == "societe"


def test_fuzzy_only_when_one_field_fits():
    assert match_one("Job titel", FIELD_HEADERS) == ("title", False)
    assert match_one("Companny", FIELD_HEADERS) == ("company", False)
    assert match_one("Notes", FIELD_HEADERS) is None
    assert match_one("Phone Number", FIELD_HEADERS) is None


def test_the_header_as_written_wins_over_a_crm_variant():
    headers = ["Person - Email - Work", "Email"]
    assert first_match(headers, FIELD_HEADERS["key"]) == "Email"


@pytest.mark.parametrize(
    ("name", "type_id"),
    [
        ("Demande de devis", "quote_request"),
        ("ouverture email", "email_open"),
        ("Webinaire", "webinar"),
        ("Demande de démo", "demo_request"),
        ("RDV", "meeting"),
        ("Désabonnement", "unsubscribe"),
        ("Quote requested", "quote_request"),
    ],
)
def test_activity_names(name, type_id):
    assert match_one(name, TYPE_NAMES)[0] == type_id
    assert closest_types(name, load_config()) == [type_id]


@pytest.mark.parametrize(
    ("header", "type_id"),
    [
        ("Number of Form Submissions", "form_submit"),
        ("Marketing emails opened", "email_open"),
        ("Demo requested", "demo_request"),
        ("Number of Pageviews", "page_visit"),
    ],
)
def test_counter_columns(header, type_id):
    assert match_one(header, COUNTER_HEADERS, fuzzy=False) == (type_id, True)
