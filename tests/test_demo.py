"""The demo data: reproducible, sized and shaped like the issue asks."""

import datetime as dt

from sheetfunnel.demo import generate

END = dt.date(2026, 6, 30)


def test_same_seed_same_data_and_another_seed_other_data():
    a_contacts, a_acts = generate(7, 500, END)
    b_contacts, b_acts = generate(7, 500, END)
    assert a_contacts.equals(b_contacts) and a_acts.equals(b_acts)
    assert not generate(8, 500, END)[1].equals(a_acts)


def test_shape_of_the_demo():
    contacts, acts = generate(7, 500, END)
    assert 500 <= len(contacts) <= 510
    assert 4000 <= len(acts) <= 6500
    assert acts["Activity"].nunique() >= 10
    assert {"Unsubscribe", "Bounce", "Demo request", "Quote request", "Meeting", "Call"} <= set(
        acts["Activity"]
    )
    assert acts["Date"].min() >= END - dt.timedelta(days=183)
    assert acts["Date"].max() <= END
    assert contacts["Source"].nunique() >= 5 and contacts["Owner"].nunique() >= 3
