"""Across tables: every id, year and region a row names exists where it should.

An id in one table and not another is an error, never silently dropped: a misspelt
recipient would otherwise lose its money without a word.
"""

from __future__ import annotations

import pandas as pd

from fundopt.problem.schema import TABLES, Column, ColumnKind, RecipientKind
from fundopt.problem.validation.cells import year_start
from fundopt.problem.validation.issues import Checker
from fundopt.problem.validation.tables import rows

_YEAR_COLUMNS = {"year", "first_year", "last_year"}


def check_references(ck: Checker, t: dict[str, pd.DataFrame]) -> None:
    ids = {
        "recipients": set(t["recipients"]["recipient"].dropna()),
        "activities": set(t["activities"]["activity"].dropna()),
        "streams": set(t["streams"]["stream"].dropna()),
    }
    years = [y for y in t["years"]["year"] if y is not None]
    base = [y for y, b in zip(t["years"]["year"], t["years"]["baseline"], strict=True) if b]
    horizon = set(years) - set(base)
    # a column at a time, table by table, so issues read in the workbook's order
    for spec in TABLES:
        df = t[spec.name]
        for col in spec.columns:
            if col.kind is ColumnKind.REF:
                _check_ids(ck, spec.name, col, df, ids[col.ref])
            if col.kind is ColumnKind.YEAR and spec.name != "years" and col.name in _YEAR_COLUMNS:
                # other income is read in the baseline year too, for the first cliff edge
                allowed = set(years) if spec.name == "other_income" else horizon
                _check_in_horizon(ck, spec.name, col, df, allowed, bool(years))
    _check_recipients(ck, t["recipients"])
    _check_regions(ck, t)
    _check_envelopes_cover_horizon(ck, t["envelopes"], ids["streams"], horizon)


def _check_ids(ck: Checker, table: str, col: Column, df: pd.DataFrame, known: set[str]) -> None:
    for pos, v in enumerate(df[col.name]):
        if v is not None and v not in known:
            ck.add(
                table,
                pos,
                col.name,
                f"unknown {col.ref[:-1]} '{v}'",
                found=v,
                code="FO-V18",
                hint=f"add it to the {col.ref} table or fix the spelling",
            )


def _check_in_horizon(
    ck: Checker, table: str, col: Column, df: pd.DataFrame, allowed: set[str], any_years: bool
) -> None:
    for pos, v in enumerate(df[col.name]):
        if v is not None and any_years and v not in allowed:
            ck.add(
                table,
                pos,
                col.name,
                f"year {v} is not in the horizon",
                found=v,
                code="FO-V19",
                hint=f"use one of {', '.join(sorted(allowed))}",
            )


def _check_recipients(ck: Checker, rec: pd.DataFrame) -> None:
    for pos, row in rows(rec):
        if (
            row["kind"] in (RecipientKind.FORCE, RecipientKind.REGIONAL_UNIT)
            and row["region"] is None
        ):
            ck.add(
                "recipients",
                int(pos),
                "region",
                f"{row['kind']} '{row['recipient']}' has no region",
                code="FO-V21",
                hint="forces and regional units need a region",
            )
        fy, ly = row["first_year"], row["last_year"]
        if fy and ly and year_start(fy) > year_start(ly):
            ck.add(
                "recipients",
                int(pos),
                "last_year",
                "last funded year is before the first",
                found=ly,
                code="FO-V23",
            )


def _check_regions(ck: Checker, t: dict[str, pd.DataFrame]) -> None:
    regions = set(t["recipients"]["region"].dropna())
    for pos, v in enumerate(t["requirements"]["region"]):
        if v is not None and v not in regions:
            ck.add(
                "requirements",
                pos,
                "region",
                f"unknown region '{v}'",
                found=v,
                code="FO-V18",
                hint=f"regions are: {', '.join(sorted(regions))}",
            )


def _check_envelopes_cover_horizon(
    ck: Checker, env: pd.DataFrame, streams: set[str], horizon: set[str]
) -> None:
    """A stream with no envelope row in a year would silently have no money then."""
    have = set(zip(env["stream"], env["year"], strict=True))
    for s in sorted(streams):
        for y in sorted(horizon):
            if (s, y) not in have:
                ck.add(
                    "envelopes",
                    None,
                    "amount",
                    f"stream '{s}' has no envelope for {y}",
                    code="FO-V24",
                    hint="add a row (0 if the stream has no money that year)",
                )
