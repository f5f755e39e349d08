"""Every check on a problem's tables, collecting all problems before anything is raised.

:func:`validate_problem` coerces each table to its schema (see :mod:`fundopt.problem.schema`),
checks values, ids across tables, years and the rule tables' consistency, and returns
the cleaned tables in canonical (sorted) order with every problem found.

The checks run as the stages of :func:`validate_problem` (issues are reported in that
order): each cell by its column's kind (``cells``) within its table (``tables``), the
settings (``settings``), each table's key (``keys``), the years (``years``), ids and years
across tables (``references``), and each rule sheet's own consistency (``rules``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from fundopt.errors import Issue
from fundopt.problem.schema import TABLES
from fundopt.problem.validation.cells import MAX_MONEY, YEAR_RE, is_blank, year_start
from fundopt.problem.validation.issues import Checker
from fundopt.problem.validation.keys import check_keys, check_near_duplicate_ids
from fundopt.problem.validation.promises import check_promises
from fundopt.problem.validation.references import check_references
from fundopt.problem.validation.rules import check_rules
from fundopt.problem.validation.settings import check_settings
from fundopt.problem.validation.tables import canonical, coerce_tables, rows
from fundopt.problem.validation.years import check_years


def validate_problem(
    raw_tables: Mapping[str, pd.DataFrame], settings: Any
) -> tuple[dict[str, pd.DataFrame], list[Issue]]:
    """Coerce and check every table; return (clean tables in canonical order, issues)."""
    ck = Checker()
    t = coerce_tables(ck, raw_tables)
    check_settings(ck, settings)
    check_keys(ck, t)
    check_near_duplicate_ids(ck, t)
    check_years(ck, t)  # before references, which read its baseline flags as booleans
    check_references(ck, t)
    check_rules(ck, t)
    check_promises(ck, t)
    clean = {spec.name: canonical(spec, t[spec.name]) for spec in TABLES}
    return clean, ck.issues


__all__ = ["MAX_MONEY", "YEAR_RE", "is_blank", "rows", "validate_problem", "year_start"]
