"""From raw cells to typed frames: what a messy real sheet gets."""

import pandas as pd
import pytest
from helpers import contact, raw

from sheetfunnel.config import Config, config_from_dict
from sheetfunnel.errors import InputError
from sheetfunnel.normalise import prepare

AS_OF = pd.Timestamp("2024-06-30")


def run(contacts, activities=None, config=None, **kw):
    return prepare(
        config or Config(),
        raw(contacts),
        raw(activities) if activities else None,
        as_of=AS_OF,
        **kw,
    )


def kinds(prepared):
    return {n.kind: n.count for n in prepared.notices}


def test_blank_rows_are_skipped_and_rows_map_back_to_contacts():
    rows = [contact("a@x.com"), dict.fromkeys(contact("z")), contact("b@x.com")]
    p = run(rows)
    assert list(p.contacts["key"]) == ["a@x.com", "b@x.com"]
    assert p.row_contact.to_dict() == {2: 0, 4: 1}
    assert p.notices == ()


def test_emails_are_trimmed_and_lower_cased_and_duplicates_merged_and_reported():
    rows = [
        contact("ann@x.com", Company=None, Country="France"),
        contact("  ANN@X.com ", Company="Acme SA", Country="Spain"),
        contact("bob@x.com"),
    ]
    p = run(rows)
    assert list(p.contacts["key"]) == ["ann@x.com", "bob@x.com"]
    # first non-empty value wins, field by field
    assert p.contacts.loc[0, "company"] == "Acme SA"
    assert p.contacts.loc[0, "country"] == "France"
    assert p.row_contact.to_dict() == {2: 0, 3: 0, 4: 1}
    assert kinds(p) == {"duplicate_contacts": 1}
    assert str(p.notices[0]) == (
        "1 duplicate contact row was merged into the first row with the same 'Email' "
        "(e.g. ann@x.com)"
    )


def test_ids_keep_their_spelling_but_match_case_insensitively():
    config = config_from_dict({"columns": {"key": "Id"}, "activities": {"contact": "Id"}})
    rows = [dict(contact("x"), Id="OPP-7"), dict(contact("y"), Id=1001.0)]
    acts = [{"Id": "opp-7", "Activity": "call", "Date": "2024-06-01"}]
    p = run(rows, acts, config)
    assert list(p.contacts["key"]) == ["OPP-7", "1001"]
    assert list(p.activities["contact"]) == [0]


def test_rows_without_a_key_are_skipped_and_reported():
    p = run([contact("a@x.com"), contact(None, Name="Ghost")])
    assert kinds(p) == {"no_key": 1}
    assert str(p.notices[0]) == "1 row was skipped: no 'Email' (rows 3)"


def test_activities_for_unknown_contacts_and_unknown_types_are_counted_and_left_out():
    acts = [
        {"Email": "a@x.com", "Activity": "Demo request", "Date": "2024-06-01"},
        {"Email": "nobody@x.com", "Activity": "call", "Date": "2024-06-01"},
        {"Email": "nobody@x.com", "Activity": "call", "Date": "2024-06-02"},
        {"Email": "a@x.com", "Activity": "Tweeted", "Date": "2024-06-01"},
        {"Email": None, "Activity": None, "Date": None},
    ]
    p = run([contact("a@x.com")], acts)
    assert list(p.activities["type"]) == ["demo_request"]
    assert kinds(p) == {"unknown_contacts": 2, "unknown_activity_types": 1}
    messages = [str(n) for n in p.notices]
    assert messages[0] == (
        "2 activity rows naming a contact that is not in the contacts tab: left out "
        "(e.g. nobody@x.com)"
    )
    assert messages[1] == (
        "1 activity row of 2 (50%) has a name that matches no activity type, and was left out:\n"
        "  name         rows  closest types\n"
        "  'tweeted'       1  -\n"
        "Map each name to its type in the [activities] section of the config, e.g. labels = "
        '{ "tweeted" = "<activity type>" } (or run `sheetfunnel init` on the sheet to write them).'
    )
    assert not p.notices[1].severe  # half the log, not more


def test_unmatched_activity_names_are_a_table_with_the_closest_types():
    acts = [{"Email": "a@x.com", "Activity": "visite salon", "Date": "2024-06-01"}] * 9
    acts += [{"Email": "a@x.com", "Activity": "Demande de devis", "Date": "2024-06-01"}] * 8
    p = run([contact("a@x.com")], acts)
    assert len(p.activities) == 0
    (notice,) = p.notices
    assert notice.severe
    assert str(notice) == (
        "17 activity rows of 17 (100%) have a name that matches no activity type, and were "
        "left out:\n"
        "  name                  rows  closest types\n"
        "  'visite salon'           9  webinar\n"
        "  'demande de devis'       8  quote_request\n"
        "Map each name to its type in the [activities] section of the config, e.g. labels = "
        '{ "visite salon" = "webinar" } (or run `sheetfunnel init` on the sheet to write them).'
    )


def test_activities_labels_map_log_texts_without_restating_the_types():
    acts = [{"Email": "a@x.com", "Activity": "Demande-de-devis", "Date": "2024-06-01"}]
    config = config_from_dict({"activities": {"labels": {"demande de devis": "quote_request"}}})
    p = run([contact("a@x.com")], acts, config=config)
    assert list(p.activities["type"]) == ["quote_request"]
    assert p.notices == ()


def test_future_activities_are_ignored_with_a_warning():
    acts = [
        {"Email": "a@x.com", "Activity": "call", "Date": "2024-06-30 18:00"},
        {"Email": "a@x.com", "Activity": "call", "Date": "2024-07-01"},
    ]
    p = run([contact("a@x.com")], acts)
    assert len(p.activities) == 1
    assert str(p.notices[0]) == "1 activity dated after the as-of date 2024-06-30: ignored"


def test_a_missing_column_names_it_and_suggests_the_closest_header():
    rows = [{("E-mail" if k == "Email" else k): v for k, v in contact("a@x.com").items()}]
    rows[0]["Sectors"] = rows[0].pop("Sector")
    with pytest.raises(InputError) as info:
        run(rows, source="book.xlsx")
    message = str(info.value)
    assert message.startswith(
        "book.xlsx, tab 'Contacts': columns not found: 'Email' (columns.key), did you mean "
        "'E-mail'?; 'Sector' (columns.sector), did you mean 'Sectors'?. The header row has: "
        "'E-mail', 'Name',"
    )
    assert message.endswith(
        "Fix the header in the sheet, or set columns.key, columns.sector in the [columns] "
        "section of the config."
    )
    assert info.value.sheet == "Contacts"


def test_headers_match_ignoring_case_and_spaces():
    rows = [{k.upper() + " ": v for k, v in contact("a@x.com").items()}]
    assert len(run(rows).contacts) == 1


def test_an_unreadable_date_stops_the_run_naming_the_cell():
    acts = [
        {"Email": "a@x.com", "Activity": "call", "Date": "2024-06-01"},
        {"Email": "a@x.com", "Activity": "call", "Date": "soon"},
    ]
    with pytest.raises(InputError) as info:
        run([contact("a@x.com")], acts)
    assert str(info.value) == (
        "column 'Date' (tab 'Activities'): 1 cell is not a date (row 3: 'soon'). Dates are read "
        "as ISO (2024-03-15) or 15/03/2024 per source.date_order; fix the cells, or set "
        'source.on_bad_date = "warn" to skip them.'
    )
    assert (info.value.column, info.value.row) == ("Date", 3)


def test_unreadable_dates_can_be_warned_about_instead():
    config = config_from_dict({"source": {"on_bad_date": "warn"}})
    acts = [{"Email": "a@x.com", "Activity": "call", "Date": "soon"}]
    p = run([contact("a@x.com")], acts, config)
    assert kinds(p) == {"bad_dates": 1}
    assert p.activities["date"].isna().all()


def test_numbers_in_fit_fields_read_french_text_and_report_the_rest():
    config = config_from_dict({"source": {"decimal": ","}})
    rows = [
        contact("a@x.com", Company_size="1\u202f200"),
        contact("b@x.com", Company_size="51-200"),
    ]
    p = run(rows, config=config)
    assert p.contacts.loc[0, "company_size"] == 1200
    assert pd.isna(p.contacts.loc[1, "company_size"])
    assert kinds(p) == {"bad_numbers": 1}


def test_lookups_join_another_tab():
    config = config_from_dict(
        {
            "source": {"lookups": [{"tab": "Companies", "match": "Company", "key": "Name"}]},
            "columns": {"sector": "Industry"},
        }
    )
    rows = [contact("a@x.com", Company="ACME "), contact("b@x.com", Company="Other")]
    for row in rows:
        row.pop("Sector")
    companies = raw([{"Name": "acme", "Industry": "SaaS"}, {"Name": "acme", "Industry": "dup"}])
    p = run(rows, config=config, lookups={"Companies": companies})
    assert list(p.contacts["sector"].fillna("-")) == ["SaaS", "-"]


def test_a_formula_error_keying_a_lookup_row_stops_or_skips_it():
    settings = {
        "source": {"lookups": [{"tab": "Companies", "match": "Company", "key": "Name"}]},
        "columns": {"sector": "Industry"},
    }
    rows = [contact("a@x.com", Company="ACME")]
    rows[0].pop("Sector")
    companies = raw([{"Name": "#N/A", "Industry": "SaaS"}, {"Name": "acme", "Industry": "Retail"}])
    with pytest.raises(InputError, match=r"column 'Name' \(tab 'Companies'\): 1 cell with a"):
        run(rows, config=config_from_dict(settings), lookups={"Companies": companies})
    settings["source"]["on_bad_date"] = "warn"
    p = run(rows, config=config_from_dict(settings), lookups={"Companies": companies})
    assert list(p.contacts["sector"]) == ["Retail"] and kinds(p) == {"formula_errors": 1}


def test_activity_columns_become_activities():
    config = config_from_dict(
        {
            "source": {"activities_tab": ""},
            "activity_columns": [
                {"header": "Downloads", "type": "content_download"},
                {
                    "header": "Demo requested",
                    "type": "demo_request",
                    "kind": "flag",
                    "date_header": "Demo date",
                },
            ],
        }
    )
    rows = [
        contact("a@x.com", Downloads=3, **{"Demo requested": "yes", "Demo date": "2024-06-20"}),
        contact("b@x.com", Downloads="", **{"Demo requested": "no", "Demo date": None}),
    ]
    p = run(rows, config=config)
    acts = p.activities.sort_values("type").reset_index(drop=True)
    assert list(acts["type"].astype(str)) == ["content_download", "demo_request"]
    assert list(acts["count"]) == [3.0, 1.0]
    assert pd.isna(acts.loc[0, "date"])
    assert acts.loc[1, "date"] == pd.Timestamp("2024-06-20")


def test_the_value_column_weighs_types_that_count_per_value():
    config = config_from_dict(
        {
            "activities": {"value": "Pages"},
            "activity_types": {
                "page_visit": {"points": 1, "per_value": True, "labels": ["visit"]},
                "call": {"points": 10},
            },
            "stages": [{"name": "Lead"}],
            "exits": [],
        }
    )
    acts = [
        {"Email": "a@x.com", "Activity": "visit", "Date": "2024-06-01", "Pages": "4"},
        {"Email": "a@x.com", "Activity": "call", "Date": "2024-06-01", "Pages": "9"},
        {"Email": "a@x.com", "Activity": "visit", "Date": "2024-06-02", "Pages": None},
    ]
    p = run([contact("a@x.com")], acts, config)
    assert p.activities.sort_values("date")["count"].tolist() == [4.0, 1.0, 0.0]


def test_keys_lose_every_unicode_space_at_their_ends():
    from sheetfunnel import engine

    people = [
        contact("a@x.com\u00a0"),  # no-break space
        contact("\u200bb@x.com"),  # zero-width space, pasted from a web page
        contact("c@x.com\u202f\ufeff"),  # narrow no-break space and a BOM
        contact("\u3000d@x.com"),  # ideographic space
    ]
    acts = [
        {"Email": k, "Activity": "call", "Date": "2024-06-01"}
        for k in ("a@x.com", "b@x.com", "c@x.com", "d@x.com")
    ]
    res = engine.score(Config(), raw(people), raw(acts), as_of="2024-06-30")
    assert list(res.contacts["key"]) == ["a@x.com", "b@x.com", "c@x.com", "d@x.com"]
    assert (res.contacts["engagement"] > 0).all()  # every activity found its contact
    assert [n.kind for n in res.notices] == []


def test_malformed_email_keys_are_counted_with_examples():
    from sheetfunnel import engine

    people = [contact(k) for k in ("ok@x.com", "ann smith@x.com", "b@@x.com", "c@x", "d@x.com")]
    people += [contact("@x.com"), contact("id-42")]
    acts = [{"Email": "ok@x.com", "Activity": "call", "Date": "2024-06-01"}]
    res = engine.score(Config(), raw(people), raw(acts), as_of="2024-06-30")
    (notice,) = [n for n in res.notices if n.kind == "malformed_emails"]
    assert notice.count == 4
    assert notice.message == (
        "4 e-mail keys in 'Email' cannot be an e-mail address (row 3: 'ann smith@x.com', "
        "row 4: 'b@@x.com', row 5: 'c@x'...): kept as written; check them"
    )
