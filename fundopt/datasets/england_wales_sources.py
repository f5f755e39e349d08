"""The reference model's *Sources* sheet: every figure, its document, where in it, and
whether it is published, derived or estimated.

Rows: the scalar figures of :mod:`fundopt.datasets.england_wales_figures`; the 2025-26
Police Grant Report row of every force; every per-force figure of ``data/figures.csv``;
each force's 2026-27 core grant (today's method on those) and 2026-27 precept. Amounts that
follow from a stated split rule (a unit's budget, a PCC's contribution, a Welsh force's
share of the Welsh Government's money) are not listed one by one: the rule's own row says
how they are made, and the input sheets hold the amounts.
"""

from __future__ import annotations

import pandas as pd

from fundopt.datasets import england_wales_figures as fig
from fundopt.datasets import england_wales_money as money

COLUMNS = ["category", "item", "year", "value", "unit", "status", "source", "locator", "url",
           "note"]
TABLE_URL = ("https://www.gov.uk/government/publications/police-grants-in-england-and-"
             "wales-2026-to-2027")


def _row(category: str, item: str, year: str, value: object, unit: str, status: str,
         ref: str, locator: str = "", note: str = "", url: str = "") -> dict[str, object]:
    r = fig.REFS[ref]
    return {"category": category, "item": item, "year": year, "value": value, "unit": unit,
            "status": status, "source": r.title, "locator": locator, "url": url or r.url,
            "note": note}


def _scalars() -> list[dict[str, object]]:
    out = [_row("settlement", "HC 1638 per-force table (not in our sources)", "2026-27", None,
                "", "published", "hc1638", "tables of section 3 (attachment)",
                "Only paras 1.1-1.3 of the report are in our sources; the per-force table is "
                f"published on gov.uk ({TABLE_URL}). Dropping it into fundopt/datasets/data/"
                "pgr_2026_27.csv makes tests/test_comparator.py check today's method on "
                "every force, to the pound.")]
    for f in fig.V.values():
        value: object = None if f.unit in ("", "text") else f.value
        out.append(_row(f.category.value, f.item, "", value, f.unit, f.status.value, f.ref,
                        f.locator, f.note, f.url))
    return out


def _report_rows() -> list[dict[str, object]]:
    t = fig.table("pgr_2025_26")
    return [_row("force_grant", f"Overall Total: {r['name']}", "2025-26", float(r["total"]),
                 "£", "published", "pgr_2025", f"row '{r['name']}'",
                 "SECONDARY SOURCE: a hand transcription of the published table; the 43 rows "
                 "sum to £9,806,553,487 against its stated £9,806,553,489")
            for r in t.to_dict("records")]


def _figure_rows() -> list[dict[str, object]]:
    out = []
    for r in fig.table("figures").to_dict("records"):
        out.append({"category": "force_figure", "item": f"{r['item']}: {r['recipient']}",
                    "year": r["year"], "value": float(r["value"]), "unit": "£",
                    "status": r["status"], "source": r["source_title"],
                    "locator": r["locator"], "url": r["url"], "note": r["note"]})
    return out


def _derived_rows() -> list[dict[str, object]]:
    fm = money.force_money()
    names = money.forces()["name"].to_dict()
    legacy = money.lctg()
    welsh = set(money.forces().index[money.forces()["type"] == "Welsh"])
    out = []
    for f, core in fm["core_grant"].items():
        if f in legacy.index:
            note = "(2025-26 Overall Total - Legacy Council Tax Grants) x 1.04022"
        elif f in welsh:
            note = "2025-26 row (Police Main Grant and Welsh top-up) x 1.04022"
        else:
            note = ("APPROXIMATE: 2025-26 Overall Total x 1.04022. The force's Legacy Council "
                    "Tax Grants (held flat) are not in our sources, so they are not taken out "
                    "first; this overstates the core grant by LCTG x 4.022%")
        out.append(_row("force_grant", f"2026-27 core grant: {names[f]}", "2026-27",
                        float(core), "£", "derived", "wg_2026", "para 4 (4.022%)", note))
    pre = money.precept()
    for f, r in pre.loc[pre["status"] == "derived"].iterrows():  # published: force_figure
        out.append(_row("precept", f"2026-27 precept: {names[f]}", "2026-27",
                        float(r["precept"]), "£", "derived", "wg_2026_prov",
                        "its force_figure rows", str(r["basis"])))
    rest = sorted(names[f] for f in pre.index[pre["status"] == "estimated"])
    out.append(_row("precept", "2026-27 precept of the other forces", "2026-27",
                    float(pre.loc[pre["status"] == "estimated", "precept"].sum()), "£",
                    "estimated", "fundopt", "",
                    f"{len(rest)} forces, by the rule 'precept_rest': {', '.join(rest)}"))
    out.append(_row("force_grant", "Legacy Council Tax Grants not separated", "", None, "",
                    "estimated", "fundopt", "",
                    f"{len(fm) - len(legacy) - len(welsh)} English forces: their LCTG is not in "
                    "our sources, so their core grant line includes it and today's method "
                    "applies the floor to it; published LCTG for "
                    f"{', '.join(sorted(legacy.index))}"))
    return out


def sources_frame() -> pd.DataFrame:
    rows = _scalars() + _report_rows() + _figure_rows() + _derived_rows()
    return pd.DataFrame(rows, columns=COLUMNS)


def estimated_count() -> int:
    """How many figures of the Sources sheet are estimates (the README states it)."""
    return int((sources_frame()["status"] == "estimated").sum())


__all__ = ["COLUMNS", "estimated_count", "sources_frame"]
