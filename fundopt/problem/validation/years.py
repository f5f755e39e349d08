"""The *Years* table: one baseline year, then consecutive fiscal years."""

from __future__ import annotations

import itertools

import pandas as pd

from fundopt.problem.schema import YearStatus
from fundopt.problem.validation.cells import year_start
from fundopt.problem.validation.issues import Checker


def check_years(ck: Checker, t: dict[str, pd.DataFrame]) -> None:
    """Check the years and make the baseline column plain booleans (blank = FALSE)."""
    years = t["years"]
    labels = [y for y in years["year"] if y is not None]
    flags = [bool(b) for b in years["baseline"].fillna(False)]
    base = [pos for pos, f in enumerate(flags) if f]
    if len(labels) and len(base) != 1:
        ck.add(
            "years",
            None,
            "baseline",
            "exactly one year must be marked as the baseline (TRUE)",
            found=f"{len(base)} marked",
            code="FO-V22",
            hint="mark the year before the first planned year",
        )
    ordered = sorted(labels, key=year_start)
    for a, b in itertools.pairwise(ordered):
        if year_start(b) != year_start(a) + 1:
            pos = list(years["year"]).index(b)
            ck.add(
                "years",
                pos,
                "year",
                f"years jump from {a} to {b}",
                found=b,
                code="FO-S06",
                hint="list every year, one per row",
            )
    if len(base) == 1 and ordered and years["year"].iloc[base[0]] != ordered[0]:
        ck.add(
            "years",
            base[0],
            "baseline",
            "the baseline must be the earliest year",
            found=years["year"].iloc[base[0]],
            code="FO-V22",
        )
    if len(ordered) < 2 and len(labels):
        ck.add(
            "years",
            None,
            "year",
            "the horizon needs at least one year after the baseline",
            code="FO-V22",
        )
    t["years"]["baseline"] = [bool(b) for b in flags] if len(flags) else []
    _check_status(ck, t["years"])


def _check_status(ck: Checker, years: pd.DataFrame) -> None:
    """Blank status means confirmed; no confirmed horizon year may follow an indicative one
    (a settlement confirms years in order)."""
    status = [YearStatus.CONFIRMED.value if s is None else str(s) for s in years["status"]]
    years["status"] = pd.Series(status, index=years.index, dtype=object)
    horizon = sorted(
        ((pos, str(y)) for pos, (y, b) in enumerate(zip(years["year"], years["baseline"],
                                                        strict=True)) if y is not None and not b),
        key=lambda item: year_start(item[1]))
    seen_indicative = ""
    for pos, label in horizon:
        if status[pos] == YearStatus.INDICATIVE.value:
            seen_indicative = seen_indicative or label
        elif seen_indicative:
            ck.add(
                "years",
                pos,
                "status",
                f"{label} is confirmed but comes after the indicative year {seen_indicative}",
                found=status[pos],
                code="FO-V22",
                hint="mark every year after the first indicative one as indicative",
            )
