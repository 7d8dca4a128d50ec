"""Per-company view: teams sell to companies, not only to people."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import Config


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
