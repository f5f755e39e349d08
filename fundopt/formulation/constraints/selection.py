"""Which row of a rule table applies to a recipient in a year (a year row beats a blank one)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from fundopt.problem.validation import rows


def rows_by_recipient_year(
    table: pd.DataFrame, years: tuple[str, ...]
) -> dict[tuple[str, str], tuple[int, dict[str, Any]]]:
    """(recipient, year) -> (position, row); a row with a blank year covers every year
    that has no row of its own."""
    out: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
    for pos, r in rows(table):
        if r["year"] is None:
            for y in years:
                out.setdefault((str(r["recipient"]), y), (pos, r))
    for pos, r in rows(table):
        if r["year"] is not None:
            out[(str(r["recipient"]), str(r["year"]))] = (pos, r)
    return out
