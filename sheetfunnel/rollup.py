"""Per-company view: teams sell to companies, not only to people."""

from __future__ import annotations

import pandas as pd

from .config import Config


def companies(config: Config, results: pd.DataFrame) -> pd.DataFrame:
    """One row per company: contacts, best and total score, most advanced stage, per-stage counts.

    Companies are matched case-insensitively; the name shown is the first spelling met.
    Contacts without a company are left out.
    """
    order = [s.name for s in config.all_stages()]
    columns = ["company", "contacts", "best_score", "total_score", "top_stage", *order]
    if "company" not in results:
        return pd.DataFrame(columns=columns)
    named = results[results["company"].notna()]
    if named.empty:
        return pd.DataFrame(columns=columns)
    key = named["company"].str.strip().str.casefold()
    grouped = named.groupby(key, sort=False)
    out = pd.DataFrame(
        {
            "company": grouped["company"].first(),
            "contacts": grouped.size(),
            "best_score": grouped["score"].max(),
            "total_score": grouped["score"].sum(),
        }
    )
    best = named.loc[named.assign(_k=key).groupby("_k")["rank"].idxmax()]
    out["top_stage"] = pd.Series(best["stage"].to_numpy(), index=key[best.index].to_numpy())
    per_stage = pd.crosstab(key, named["stage"]).reindex(columns=order, fill_value=0)
    out = out.join(per_stage)
    out = out.sort_values(["best_score", "total_score"], ascending=False, kind="stable")
    return out.reset_index(drop=True)[columns]
