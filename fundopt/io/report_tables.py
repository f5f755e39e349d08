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


def recipients_by_year(plan: Plan) -> pd.DataFrame:
    """One row per recipient: total funding per year (baseline first) and its change on
    the year before."""
    return _wide(plan, (("total", "total_funding"), ("change", "change_rate")))


def headroom_by_year(plan: Plan) -> pd.DataFrame:
    """One row per recipient with a cliff-edge limit: its limit on a year's fall and the
    pounds its total could still fall, per planned year, before the limit binds."""
    t = plan.totals.dropna(subset=["headroom"])
    if not len(t):
        return pd.DataFrame()
    wide = _wide(plan, (("headroom", "headroom"),), t)
    limits = t.groupby("recipient")["fall_limit_rate"].max()
    wide.insert(3, "fall_limit_rate", wide["recipient"].map(limits))
    return wide


def _wide(plan: Plan, parts: tuple[tuple[str, str], ...],
          totals: pd.DataFrame | None = None) -> pd.DataFrame:
    t = plan.totals if totals is None else totals
    years = list(dict.fromkeys(t["year"]))
    names = dict(zip(plan.problem.recipients["recipient"], plan.problem.recipients["name"],
                     strict=True))
    kinds = t.groupby("recipient", sort=True)["kind"].first()
    out = pd.DataFrame({"recipient": kinds.index, "name": [names.get(str(r), "") for r in
                                                            kinds.index],
                        "kind": kinds.to_numpy()})
    for label, column in parts:
        table = t.pivot_table(index="recipient", columns="year", values=column, aggfunc="first",
                              dropna=False)
        for y in years:
            if label == "change" and y == plan.problem.baseline_year:
                continue
            values = table[y] if y in table.columns else pd.Series(dtype=float)
            out[f"{label} {y}"] = out["recipient"].map(values).to_numpy()
    return out


def limit_cells(plan: Plan, frame: pd.DataFrame, part: str) -> list[tuple[int, str]]:
    """(row, column) of the ``part <year>`` cells of ``frame`` where a floor, cap or
    cliff-edge limit binds on that recipient and year."""
    b = plan.binding
    if not {"family", "recipient", "year"} <= set(b.columns):
        return []
    bound = {(str(r), str(y)) for f, r, y in b[["family", "recipient", "year"]].itertuples(
        index=False, name=None) if str(f) in LIMIT_FAMILIES and r and y}
    row_of = {str(r): i for i, r in enumerate(frame["recipient"])}
    return [(row_of[r], f"{part} {y}") for r, y in sorted(bound)
            if r in row_of and f"{part} {y}" in frame.columns]


def strands_and_threats(plan: Plan) -> pd.DataFrame:
    """Funding per planned year (columns) by 4P strand, then by threat (rows)."""
    parts = []
    for tag in ("strand", "threat"):
        table = by_tag(plan, tag).rename(columns={tag: "name"})
        table.insert(0, "group", tag)
        parts.append(table)
    out = pd.concat(parts, ignore_index=True)
    out["name"] = out["name"].astype(str).str.replace("_", " ")
    return out


def by_tag(plan: Plan, tag: str) -> pd.DataFrame:
    """Funding per planned year (columns) by strand or threat (rows)."""
    a = _allocations_with_tags(plan)
    a[tag] = a[tag].fillna("(none)")
    years = list(plan.problem.horizon)
    table = a.pivot_table(index=tag, columns="year", values="amount", aggfunc="sum",
                          fill_value=0).reindex(columns=years, fill_value=0).astype("int64")
    table.columns.name = None
    table = table.reset_index()
    return table.rename(columns={y: f"amount {y}" for y in years})


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
