"""Today's method as the Police Grant Report applies it, component by component.

The report's per-force table (section 46 of the Police Act 1996) has these columns:
Police Main Grant, ex-DCLG Formula Funding, Legacy Council Tax Grants, National and
International Capital City Grants, Welsh Top-Up Grant and (from 2026-27) Precept Grant.
Since 2013-14 the needs formula has been "overlaid with a floor" set at the average change,
so every force gets the same change ``f`` on its formula funding (4.022% in 2026-27). The
rules, as published (Police Grant Report 2022-23, para 1.5; Welsh Government settlement
statements):

- Police Main Grant and Formula Funding: last year's allocation times ``1 + f``, each
  rounded to the pound (the report's own rounding: its tables are in whole pounds). A
  source that prints only their sum (``core``) gets the same rule on the sum.
- Legacy Council Tax Grants: held flat in cash.
- Capital City grant and Precept Grant: set by ministerial decision, not by the floor;
  they are taken as given for the year (or held flat when not given).
- Wales: the floor applies to a Welsh force's core funding including the Welsh
  Government's revenue support grant and NNDR (held flat), so the Home Office's Welsh
  top-up pays the floor on that money too: ``top_up' = (1+f)(top_up + wg) - wg``.

:func:`settle` applies the rules; :func:`mismatches` sets the result beside a published
table, so dropping the report's table into ``fundopt/datasets/data/pgr_2026_27.csv`` is
all it takes to test the reproduction on every force (``tests/test_comparator.py``).
"""

from __future__ import annotations

import math

import pandas as pd

#: The components of the report's table, in its order.
COMPONENTS: tuple[str, ...] = ("police_main_grant", "formula_funding",
                               "legacy_council_tax_grants", "capital_city_grant",
                               "welsh_top_up", "precept_grant")
#: Components that rise by the floor; ``core`` is their sum where only the sum is known.
FLOORED: tuple[str, ...] = ("police_main_grant", "formula_funding", "core")
FLAT: tuple[str, ...] = ("legacy_council_tax_grants",)
GIVEN: tuple[str, ...] = ("capital_city_grant", "precept_grant")


def _number(v: object) -> float | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    x = float(v)  # type: ignore[arg-type]
    return None if math.isnan(x) else x


def settle(previous: pd.DataFrame, floor_rate: float, *,
           given: pd.DataFrame | None = None,
           welsh_government: pd.Series | None = None) -> pd.DataFrame:
    """One year of today's method from last year's components (pounds, indexed by
    recipient; columns any of :data:`COMPONENTS` and ``core``; blank = not known).

    ``given``: this year's Capital City and Precept Grant where published (else held
    flat). ``welsh_government``: each Welsh force's Welsh Government funding (flat), so
    its top-up carries the floor on that money too. Returns the same columns plus
    ``total``, in whole pounds; a component unknown last year stays unknown."""
    out = pd.DataFrame(index=previous.index)
    wg = welsh_government if welsh_government is not None else pd.Series(dtype=float)
    for col in previous.columns:
        if col not in (*COMPONENTS, "core"):
            continue
        last = previous[col].map(_number)
        if col in FLOORED:
            new = last.map(lambda v: None if v is None else float(round(v * (1 + floor_rate))))
        elif col == "welsh_top_up":
            w = wg.reindex(previous.index).fillna(0.0).astype(float)
            new = pd.Series([None if v is None else float(round((1 + floor_rate) * (v + g) - g))
                             for v, g in zip(last, w, strict=True)], index=previous.index)
        elif col in GIVEN and given is not None and col in given.columns:
            this = given[col].reindex(previous.index).map(_number)
            new = this.where(this.notna(), last)
        else:  # held flat
            new = last
        out[col] = new
    parts = [c for c in out.columns if c != "core" or "police_main_grant" not in out.columns]
    known = out[parts].notna().any(axis=1)
    out["total"] = out[parts].astype(float).fillna(0.0).sum(axis=1).where(known)
    return out


def uniform_rate(previous: pd.DataFrame, current: pd.DataFrame) -> float:
    """The floor exactly, from two complete tables: the change in the sum of Police Main
    Grant and Formula Funding over every force (the published % is this, rounded)."""
    def core(t: pd.DataFrame) -> float:
        cols = [c for c in ("police_main_grant", "formula_funding") if c in t.columns]
        return float(t[cols].map(_number).astype(float).sum().sum())
    return core(current) / core(previous) - 1


def mismatches(computed: pd.DataFrame, published: pd.DataFrame,
               tolerance: float = 1.0) -> pd.DataFrame:
    """Every (recipient, component) where the published table has a figure and today's
    method differs from it by more than ``tolerance`` pounds (the report rounds each
    component to the pound). Columns: recipient, component, published, computed,
    difference."""
    rows = []
    for col in (*COMPONENTS, "core", "total"):
        if col not in published.columns or col not in computed.columns:
            continue
        for r, v in published[col].map(_number).items():
            if v is None or r not in computed.index:
                continue
            c = _number(computed.at[r, col])
            if c is None or abs(c - v) > tolerance:
                rows.append({"recipient": r, "component": col, "published": v,
                             "computed": c, "difference": None if c is None else c - v})
    return pd.DataFrame(rows, columns=["recipient", "component", "published", "computed",
                                       "difference"])


def published_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a report table (``recipient`` plus components) with at least one
    figure, indexed by recipient."""
    t = table.set_index("recipient")
    cols = [c for c in (*COMPONENTS, "core", "total") if c in t.columns]
    known = t[cols].map(_number).notna().any(axis=1)
    return t.loc[known, cols]


__all__ = ["COMPONENTS", "mismatches", "published_rows", "settle", "uniform_rate"]
