"""Lead-versus-prospect metrics: what the Summary tab and `score` print.

Definitions (documented in the README):
- reached prospect: current stage kind is prospect, customer or lost (a lost deal was a
  prospect first); lead -> prospect = reached prospect / contacts not disqualified.
- prospect -> customer (win rate) = customers / (customers + lost): closed deals only.
- customer rate = customers / all contacts.
- days to prospect: from first touch (created date or first activity, whichever is earlier)
  to the first intent activity, over contacts that reached prospect.
- stale leads: lead-kind contacts whose last activity (or first touch, if none) is older than
  `summary.stale_after_days`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .config import Config

DAY = np.timedelta64(1, "D")
REACHED = ("prospect", "customer", "lost")


@dataclass(frozen=True)
class Summary:
    """Funnel metrics; every table is a DataFrame, every figure a plain number."""

    as_of: pd.Timestamp
    contacts: int
    stages: pd.DataFrame
    lead_vs_prospect: pd.DataFrame
    conversion: dict[str, float | None]
    by_group: dict[str, pd.DataFrame]
    stale_leads: int
    stale_after_days: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "as_of": self.as_of.isoformat(),
            "contacts": self.contacts,
            "stages": _records(self.stages),
            "lead_vs_prospect": {
                col: {k: _plain(v) for k, v in self.lead_vs_prospect[col].items()}
                for col in self.lead_vs_prospect.columns
            },
            "conversion": {k: _plain(v) for k, v in self.conversion.items()},
            "by_group": {k: _records(v.reset_index()) for k, v in self.by_group.items()},
            "stale_leads": self.stale_leads,
            "stale_after_days": self.stale_after_days,
        }


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else round(float(value), 4)
    if isinstance(value, float):
        return round(value, 4)
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _ratio(num: float, den: float) -> float | None:
    return float(num) / float(den) if den else None


def summarise(config: Config, results: pd.DataFrame, as_of: pd.Timestamp) -> Summary:
    """Compute the summary from the per-contact results (see `engine.Results.contacts`)."""
    n = len(results)
    kind = results["kind"]
    order = [s.name for s in config.all_stages()]
    counts = results["stage"].value_counts().reindex(order, fill_value=0)
    stages = pd.DataFrame(
        {
            "stage": order,
            "kind": [s.kind for s in config.all_stages()],
            "contacts": counts.to_numpy(),
            "share": counts.to_numpy() / n if n else 0.0,
        }
    )

    ref = np.datetime64(as_of.to_datetime64(), "ns")
    last = results["last_activity"].to_numpy(dtype="datetime64[ns]")
    idle = pd.Series((ref - last) / DAY, index=results.index)
    side = {}
    for label, k in (("leads", "lead"), ("prospects", "prospect")):
        part = results[kind == k]
        side[label] = {
            "contacts": len(part),
            "average fit": part["fit"].mean() if len(part) else None,
            "average engagement": part["engagement"].mean() if len(part) else None,
            "average score": part["score"].mean() if len(part) else None,
            "share with a direct interaction": part["direct"].mean() if len(part) else None,
            "median days since last activity": idle[kind == k].median() if len(part) else None,
        }
    lead_vs_prospect = pd.DataFrame(side)

    customers = int((kind == "customer").sum())
    lost = int((kind == "lost").sum())
    disqualified = int((kind == "disqualified").sum())
    reached = int(kind.isin(REACHED).sum())
    first_touch = results["first_touch"].to_numpy(dtype="datetime64[ns]")
    to_prospect = (results["prospect_since"].to_numpy(dtype="datetime64[ns]") - first_touch) / DAY
    to_prospect = to_prospect[~np.isnan(to_prospect)]
    conversion = {
        "lead_to_prospect": _ratio(reached, n - disqualified),
        "prospect_to_customer": _ratio(customers, customers + lost),
        "customer_rate": _ratio(customers, n),
        "median_days_to_prospect": float(np.median(to_prospect)) if len(to_prospect) else None,
    }

    stale_ref = np.where(np.isnat(last), first_touch, last)
    stale_age = (ref - stale_ref) / DAY
    stale = (kind == "lead").to_numpy(bool) & (stale_age > config.summary.stale_after_days)

    by_group = {f: _by_group(results, f) for f in config.summary.group_by if f in results}
    return Summary(
        as_of=as_of,
        contacts=n,
        stages=stages,
        lead_vs_prospect=lead_vs_prospect,
        conversion=conversion,
        by_group=by_group,
        stale_leads=int(stale.sum()),
        stale_after_days=config.summary.stale_after_days,
    )


def _by_group(results: pd.DataFrame, field: str) -> pd.DataFrame:
    """Leads, prospects, customers and conversion rates per value of `field`.

    Values that differ only in case or surrounding spaces ("Google", "google ") are one
    group, as scoring and calibrate match them; the group shows the first spelling met.
    """
    text = results[field].astype("string").str.strip()
    text = text.where(text != "")
    folded = text.str.casefold()
    first = text.groupby(folded, sort=False).first()
    key = folded.map(first).astype("string").fillna("(blank)")
    kind = results["kind"]
    frame = pd.DataFrame(
        {
            "contacts": 1,
            "leads": (kind == "lead").astype(int),
            "prospects": (kind == "prospect").astype(int),
            "customers": (kind == "customer").astype(int),
            "lost": (kind == "lost").astype(int),
            "reached": kind.isin(REACHED).astype(int),
            "qualified_pool": (kind != "disqualified").astype(int),
        }
    )
    grouped = frame.groupby(key.rename(field), sort=True).sum()
    closed = grouped["customers"] + grouped["lost"]
    grouped["lead_to_prospect"] = grouped["reached"] / grouped["qualified_pool"].where(
        grouped["qualified_pool"] > 0
    )
    grouped["win_rate"] = grouped["customers"] / closed.where(closed > 0)
    grouped = grouped.drop(columns=["reached", "qualified_pool"])
    return grouped.sort_values("contacts", ascending=False, kind="stable")
