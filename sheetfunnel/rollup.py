"""Per-company view: teams sell to companies, not only to people."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .backends.base import OwnedTab
from .config import Config
from .layout import COUNT, WHOLE, Layout


def companies(config: Config, results: pd.DataFrame) -> pd.DataFrame:
    """One row per company: contacts, best and total score, most advanced stage, per-stage counts.

    Companies are matched ignoring case and surrounding spaces; the name shown is the first
    spelling met. Contacts without a company are left out.
    """
    order = [s.name for s in config.all_stages()]
    columns = ["company", "contacts", "best_score", "total_score", "top_stage", *order]
    if "company" not in results or results["company"].isna().all():
        return pd.DataFrame(columns=columns)
    named = results[results["company"].notna()]
    codes, _ = pd.factorize(named["company"].str.strip().str.casefold())
    k = codes.max() + 1
    stage_code = pd.Categorical(named["stage"], categories=order).codes
    per_stage = np.bincount(codes * len(order) + stage_code, minlength=k * len(order))
    per_stage = per_stage.reshape(k, len(order))
    score = named["score"].to_numpy(dtype="float64")
    best = np.full(k, -np.inf)
    np.maximum.at(best, codes, score)
    # the most advanced stage: highest ladder rank, then the order stages are listed in
    rank = named["rank"].to_numpy() * (len(order) + 1) + (len(order) - stage_code)
    top = np.full(k, -1)
    np.maximum.at(top, codes, rank)
    top_stage = np.array(order, dtype=object)[len(order) - top % (len(order) + 1)]
    first = np.unique(codes, return_index=True)[1]
    out = pd.DataFrame(
        {
            "company": named["company"].to_numpy()[first],
            "contacts": np.bincount(codes, minlength=k),
            "best_score": best,
            "total_score": np.bincount(codes, weights=score, minlength=k),
            "top_stage": top_stage,
        }
    )
    out[order] = per_stage
    out = out.sort_values(["best_score", "total_score"], ascending=False, kind="stable")
    return out.reset_index(drop=True)[columns]


def owners(results: pd.DataFrame) -> pd.Series:
    """Per folded company name, its contacts' owners (distinct, sorted, comma-joined)."""
    if "owner" not in results or "company" not in results:
        return pd.Series(dtype="string")
    named = results[results["company"].notna() & results["owner"].notna()]
    who = named["owner"].astype("string").str.strip()
    key = named["company"].astype("string").str.strip().str.casefold()
    frame = pd.DataFrame({"key": key, "owner": who})
    pairs = frame[frame["owner"].ne("")].drop_duplicates()
    joined: dict[str, list[str]] = {}
    for company, owner in zip(pairs["key"], pairs["owner"], strict=True):
        joined.setdefault(company, []).append(owner)
    # a plain loop: a groupby calling a Python lambda per company cost 70 ms on 3,000 of them
    return pd.Series(
        {company: ", ".join(sorted(names)) for company, names in joined.items()}, dtype="string"
    )


def companies_tab(
    name: str, table: pd.DataFrame, results: pd.DataFrame, config: Config
) -> OwnedTab:
    """The Companies tab: per company its contacts, best and total score, most advanced
    stage (coloured like the Stage column), contacts per stage and owner(s), best first."""
    stages = [s.name for s in config.all_stages()]
    header = ("Company", "Contacts", "Best score", "Total score", "Most advanced stage", *stages)
    header += ("Owners",)
    who = owners(results).to_dict()
    out = Layout()
    out.heading(*header, text_columns=(0, 4, len(header) - 1))
    codes = (None, COUNT, WHOLE, COUNT, None, *(COUNT for _ in stages))
    names = [str(c).strip() for c in table["company"].tolist()]
    out.block(
        [
            names,
            table["contacts"].to_numpy(),
            table["best_score"].to_numpy(),
            table["total_score"].to_numpy(),
            table["top_stage"].tolist(),
            *(table[s].to_numpy() for s in stages),
            [who.get(n.casefold()) for n in names],
        ],
        formats=codes,
    )
    longest = max((len(str(r[0])) for r in out.rows[1:]), default=10)
    owner_len = max((len(str(r[-1])) for r in out.rows[1:] if r and r[-1]), default=8)
    widths = (
        float(min(max(longest + 2, 12), 40)),
        10.0,
        11.0,
        11.0,
        20.0,
        *(max(9.0, len(s) + 3.0) for s in stages),
        float(min(max(owner_len + 2, 10), 40)),
    )
    return out.tab(
        "companies",
        name,
        widths=widths,
        frozen_rows=1,
        frozen_columns=1,
        stage_columns=(4,),
    )
