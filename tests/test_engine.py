"""The notebook API: typed DataFrames straight from pandas work like raw cells."""

import pandas as pd
from helpers import contact

from sheetfunnel import engine
from sheetfunnel.config import Config


def test_score_accepts_typed_frames_from_pandas():
    rows = [
        contact("a@x.com", Created=pd.Timestamp("2024-01-10")),
        contact("b@x.com", Created=pd.Timestamp("2024-02-10")),
    ]
    contacts = pd.DataFrame(rows)
    contacts["Company size"] = contacts["Company size"].astype("int64")
    contacts["Created"] = pd.to_datetime(contacts["Created"])
    activities = pd.DataFrame(
        {
            "Email": ["a@x.com", "b@x.com"],
            "Activity": ["meeting", "visit"],
            "Date": pd.to_datetime(["2024-06-01 10:00", "2024-06-02 00:00"]),
        }
    )
    r = engine.score(Config(), contacts, activities, as_of="2024-06-30")
    assert list(r.contacts["key"]) == ["a@x.com", "b@x.com"]
    assert r.contacts.loc[0, "engagement"] > r.contacts.loc[1, "engagement"] > 0
    assert r.row_contact.tolist() == [0, 1]
    assert r.summary.contacts == 2
    assert r.as_of == pd.Timestamp("2024-06-30")


def test_an_activity_name_of_only_spaces_is_a_blank_name() -> None:
    import datetime as dt

    people = pd.DataFrame({"Email": ["a@x.com", "b@x.com"], "Name": ["A", "B"]})
    log = pd.DataFrame(
        {
            "Email": ["a@x.com", "b@x.com", "a@x.com"],
            "Activity": ["   ", "demo request", "email open"],
            "Date": [dt.datetime(2024, 5, 1)] * 3,
        }
    )
    results = engine.score(Config(), people, log, as_of=dt.date(2024, 6, 1))
    table = next(n for n in results.notices if "matches no activity type" in n.message)
    assert table.count == 1 and "blank" in table.message
