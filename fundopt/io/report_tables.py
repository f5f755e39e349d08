"""The tables of the results workbook, built from a Plan with pandas only (no openpyxl).

Money stays in pounds here; the sheet writer converts to the template's unit.
"""

from __future__ import annotations

import pandas as pd

from fundopt.plan import Plan
from fundopt.problem.schema import SOC_THREATS, ShareScope

LIMIT_FAMILIES = frozenset({"cliff_edge", "rise_limit", "floor", "cap"})
_SOC = frozenset(t.value for t in SOC_THREATS)


def _allocations_with_tags(plan: Plan) -> pd.DataFrame:
    p = plan.problem
    a = plan.allocations.copy()
    kinds = dict(zip(p.recipients["recipient"], p.recipients["kind"], strict=True))
    regions = dict(zip(p.recipients["recipient"], p.recipients["region"], strict=True))
    names = dict(zip(p.recipients["recipient"], p.recipients["name"], strict=True))
    threats = dict(zip(p.activities["activity"], p.activities["threat"], strict=True))
    strands = dict(zip(p.activities["activity"], p.activities["strand"], strict=True))
    a["recipient_name"] = a["recipient"].map(names)
    a["kind"] = a["recipient"].map(kinds)
    a["region"] = a["recipient"].map(regions)
    a["threat"] = a["activity"].map(threats)
    a["strand"] = a["activity"].map(strands)
    return a


def allocations_table(plan: Plan) -> pd.DataFrame:
    """Tidy allocations with the recipient's name and kind and the activity's tags."""
    a = _allocations_with_tags(plan)
    cols = ["recipient", "recipient_name", "kind", "region", "activity", "threat", "strand",
            "stream", "year", "amount"]
    return a[cols].sort_values(["recipient", "activity", "stream", "year"]).reset_index(drop=True)


def totals_by_kind(plan: Plan) -> pd.DataFrame:
    """Allocation per planned year (rows) and recipient kind (columns), with a total column."""
    a = _allocations_with_tags(plan)
    years = list(plan.problem.horizon)
    kinds = sorted(set(plan.problem.recipients["kind"]))
    table = a.pivot_table(index="year", columns="kind", values="amount", aggfunc="sum",
                          fill_value=0)
    table = table.reindex(index=years, columns=kinds, fill_value=0).astype("int64")
    table["total"] = table.sum(axis=1)
    table.columns.name = None
    return table.reset_index()


def recipients_by_year(plan: Plan) -> tuple[pd.DataFrame, set[tuple[str, str]]]:
    """One row per recipient: total funding, % change and headroom per year (baseline first).

    Also returns the (recipient, year) pairs where a floor, cap or cliff-edge limit binds.
    """
    t = plan.totals
    years = list(dict.fromkeys(t["year"]))
    names = dict(zip(plan.problem.recipients["recipient"], plan.problem.recipients["name"],
                     strict=True))
    out: dict[str, list[object]] = {"recipient": [], "name": [], "kind": []}
    for y in years:
        for part in ("total", "change", "headroom"):
            out[f"{part} {y}"] = []
    for r, grp in t.groupby("recipient", sort=True):
        out["recipient"].append(r)
        out["name"].append(names.get(str(r), ""))
        out["kind"].append(grp["kind"].iloc[0])
        by_year = {row["year"]: row for row in grp.to_dict("records")}
        for y in years:
            row = by_year.get(y)
            out[f"total {y}"].append(None if row is None else row["total_funding"])
            out[f"change {y}"].append(None if row is None else row["change_rate"])
            out[f"headroom {y}"].append(None if row is None else row["headroom"])
    binding: set[tuple[str, str]] = set()
    b = plan.binding
    if {"family", "recipient", "year"} <= set(b.columns):
        for fam, r, y in b[["family", "recipient", "year"]].itertuples(index=False, name=None):
            if str(fam) in LIMIT_FAMILIES and r and y:
                binding.add((str(r), str(y)))
    return pd.DataFrame(out), binding


def by_tag(plan: Plan, tag: str) -> pd.DataFrame:
    """Funding per planned year (columns) by strand or threat (rows)."""
    a = _allocations_with_tags(plan)
    a[tag] = a[tag].fillna("(none)")
    years = list(plan.problem.horizon)
    table = a.pivot_table(index=tag, columns="year", values="amount", aggfunc="sum",
                          fill_value=0).reindex(columns=years, fill_value=0).astype("int64")
    table.columns.name = None
    return table.reset_index()


def share_targets(plan: Plan) -> pd.DataFrame:
    """Each share target with the share achieved."""
    a = _allocations_with_tags(plan)
    out = []
    for row in plan.problem.share_targets.to_dict("records"):
        year = a[a["year"] == row["year"]]
        den = year if row["scope"] == ShareScope.ALL else year[year["threat"].isin(_SOC)]
        num = den
        if row["strand"] is not None:
            num = num[num["strand"] == row["strand"]]
        if row["threat"] is not None:
            num = num[num["threat"] == row["threat"]]
        total = float(den["amount"].sum())
        share = float(num["amount"].sum()) / total if total else None
        met = share is not None and (row["min_share"] is None or share >= row["min_share"] - 1e-9)
        met = met and (row["max_share"] is None or share <= row["max_share"] + 1e-9)
        out.append({"strand": row["strand"], "threat": row["threat"], "scope": row["scope"],
                    "year": row["year"], "min_share": row["min_share"],
                    "max_share": row["max_share"], "funding": float(num["amount"].sum()),
                    "share": share, "met": bool(met)})
    cols = ["strand", "threat", "scope", "year", "min_share", "max_share", "funding", "share",
            "met"]
    return pd.DataFrame(out, columns=cols)


def requirements(plan: Plan) -> pd.DataFrame:
    """Each national requirement with the funding the plan gives the threat."""
    a = _allocations_with_tags(plan)
    out = []
    for row in plan.problem.requirements.to_dict("records"):
        sel = a[(a["year"] == row["year"]) & (a["threat"] == row["threat"])]
        if row["region"] is not None:
            sel = sel[sel["region"] == row["region"]]
        funded = float(sel["amount"].sum())
        out.append({"threat": row["threat"], "year": row["year"], "region": row["region"],
                    "required": row["amount"], "funded": funded,
                    "met": funded >= float(row["amount"]) - 0.005})
    return pd.DataFrame(out, columns=["threat", "year", "region", "required", "funded", "met"])
