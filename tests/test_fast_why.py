"""The Why texts and activity spans built with numpy give what the pandas routes gave."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetfunnel import scoring
from sheetfunnel.config import Config, config_from_dict

AS_OF = pd.Timestamp("2024-06-30")
TITLES = ["VP Sales", "CEO", "Head of IT", "Intern", "Student", "Analyst", None]
SECTORS = ["Software", "SaaS", "Retail", None]
COUNTRIES = ["France", "Germany", "USA", None]
TYPES = list(Config().activity_types)


def why_by_series(
    config,
    contacts,
    fit_reasons,
    bonus: np.ndarray,
    types: tuple[str, ...],
    points: np.ndarray,
    counts: np.ndarray,
    last_seen: np.ndarray,
    as_of: pd.Timestamp,
) -> pd.Series:
    """`scoring._why`'s texts as they were built, with string Series and a setitem per
    rank (the ranking before them is `scoring._ranked_reasons`, unchanged)."""
    n = len(contacts)
    ranked = scoring._ranked_reasons(config, fit_reasons, bonus, points)
    if ranked is None:
        return pd.Series("", index=contacts.index, dtype="string")
    texts, contact, pts, text_id, act_type, rank = ranked  # the ranking both share

    text = pd.Series(texts[np.maximum(text_id, 0)], dtype="string")
    is_act = act_type >= 0
    if is_act.any():
        r, c = contact[is_act], act_type[is_act]
        labels = np.array(
            [config.activity_types[t].label or t.replace("_", " ") for t in types], dtype=object
        )
        age = (np.datetime64(as_of.to_datetime64(), "ns") - last_seen[r, c]) / scoring.DAY
        age = pd.Series(np.floor(np.clip(age, 0, None))).astype("Int64")
        age_text = (age.astype("string") + "d ago").fillna("")
        times = pd.Series(counts[r, c]).round().astype("int64")
        many = times > 1
        label = pd.Series(labels[c], dtype="string")
        label = label.where(~many, label + " x" + times.astype("string"))
        joiner = pd.Series(" ", index=label.index, dtype="string").where(~many, ", last ")
        age_text = (joiner + age_text).where(age_text != "", "")
        text[is_act] = (label + age_text).to_numpy()
    sign = pd.Series(np.where(pts > 0, "+", ""), dtype="string")
    # points last: a Why text starting with "+" or "-" is a formula to Excel opening a CSV
    text = text + " (" + sign + pd.Series(pts.astype("int64")).astype("string") + ")"

    out = pd.Series("", index=range(n), dtype="string")
    for k in range(config.scoring.reasons):
        at = rank == k
        part = pd.Series(text.to_numpy()[at], index=contact[at], dtype="string")
        out[part.index] = part if k == 0 else out[part.index] + "; " + part
    out.index = contacts.index
    return out


def contacts_frames(n: int) -> st.SearchStrategy[pd.DataFrame]:
    """Prepared contacts: the fields the default fit rules read, blanks among them."""
    return st.fixed_dictionaries(
        {
            "name": st.lists(st.sampled_from(["Ann", None]), min_size=n, max_size=n),
            "company": st.lists(st.sampled_from(["Acme", None]), min_size=n, max_size=n),
            "title": st.lists(st.sampled_from(TITLES), min_size=n, max_size=n),
            "company_size": st.lists(
                st.one_of(st.none(), st.floats(0, 20_000)), min_size=n, max_size=n
            ),
            "sector": st.lists(st.sampled_from(SECTORS), min_size=n, max_size=n),
            "country": st.lists(st.sampled_from(COUNTRIES), min_size=n, max_size=n),
        }
    ).map(
        lambda d: pd.DataFrame(
            {
                **{k: pd.Series(v, dtype="string") for k, v in d.items() if k != "company_size"},
                "company_size": pd.Series(d["company_size"], dtype="float64"),
            }
        )
    )


def activity_frames(n: int) -> st.SearchStrategy[pd.DataFrame]:
    """Prepared activities: repeats, fractional counts, undated counters, future and old dates."""
    row = st.tuples(
        st.integers(0, n - 1),
        st.sampled_from(TYPES),
        st.one_of(st.none(), st.integers(-400, 2)),
        st.sampled_from([1.0, 1.0, 2.0, 0.4, 1.5, 2.5, 7.0]),
    )
    return st.lists(row, max_size=40).map(
        lambda rows: pd.DataFrame(
            {
                "contact": np.array([r[0] for r in rows], dtype="int64"),
                "type": pd.Categorical([r[1] for r in rows], categories=TYPES),
                "date": pd.Series(
                    [None if r[2] is None else AS_OF + pd.Timedelta(days=r[2]) for r in rows],
                    dtype="datetime64[ns]",
                ),
                "count": np.array([r[3] for r in rows], dtype="float64"),
            }
        )
    )


inputs = st.integers(1, 12).flatmap(lambda n: st.tuples(contacts_frames(n), activity_frames(n)))


@settings(max_examples=200, deadline=None)
@given(inputs, st.integers(1, 5), st.sampled_from([0, 5]))
def test_why_texts_are_those_the_string_series_built(frames, reasons, bonus):
    contacts, activities = frames
    config = config_from_dict(
        {"scoring": {"reasons": reasons}, "fit": {"completeness_bonus": bonus}}
    )
    built = {}
    fast = scoring._why

    def both(*args):
        built["series"] = why_by_series(*args)
        return fast(*args)

    scoring._why = both
    try:
        out = scoring.score(config, contacts, activities, AS_OF)
    finally:
        scoring._why = fast
    pd.testing.assert_series_equal(out.table["why"], built["series"], check_names=False)


@settings(max_examples=200, deadline=None)
@given(inputs)
def test_first_and_last_seen_are_the_grouped_min_and_max(frames):
    contacts, activities = frames
    config = Config()
    _, _, first_seen, last_seen = scoring._engagement(config, activities, len(contacts), AS_OF)
    n, k = len(contacts), len(TYPES)
    cell = activities["contact"].to_numpy() * k + activities["type"].cat.codes.to_numpy()
    dates = activities["date"].to_numpy()
    dated = ~np.isnat(dates)
    expected = pd.Series(dates[dated]).groupby(cell[dated]).agg(["min", "max"])
    for seen, how in ((first_seen, "min"), (last_seen, "max")):
        want = np.full(n * k, np.datetime64("NaT"), dtype="datetime64[ns]")
        want[expected.index.to_numpy()] = expected[how].to_numpy()
        np.testing.assert_array_equal(seen.reshape(-1), want)


@settings(max_examples=100, deadline=None)
@given(inputs)
def test_spans_are_the_frame_min_and_max(frames):
    contacts, activities = frames
    _, _, first_seen, last_seen = scoring._engagement(Config(), activities, len(contacts), AS_OF)
    for seen, last in ((first_seen, False), (last_seen, True)):
        frame = pd.DataFrame(seen)
        want = (frame.max(axis=1) if last else frame.min(axis=1)).to_numpy(dtype="datetime64[ns]")
        np.testing.assert_array_equal(scoring._span(seen, last=last), want)
