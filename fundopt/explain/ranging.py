"""Ranging: over what range of a rule's limit its shadow price holds (docs/formulation.md,
"Ranging").

HiGHS's ``getRanging`` on the LP's optimal basis, read right after the solve (before
rounding's margin re-solves move any bound): for a rule met exactly (nonbasic), the limit
at which the basis must change on each side and the objective there. A rule with room to
spare (basic) keeps a shadow price of 0 until its limit reaches what the plan uses: its
loosening side is unlimited and its tightening side is its slack. Excel Solver's
Sensitivity Report calls these the allowable increase and decrease; they are in the limit's
own direction (an increase raises a floor and loosens a cap).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import highspy
import numpy as np
import pandas as pd

from fundopt.explain.diagnosis.rules import rule_locations
from fundopt.formulation.builder import Family, Sense

if TYPE_CHECKING:
    from fundopt.explain.face import LpPoint
    from fundopt.problem import FundingProblem
    from fundopt.solver.highs import HighsModel

#: The columns of ``plan.sensitivity``, with the names to show them by.
SENSITIVITY_COLUMNS: dict[str, str] = {
    "family": "Family",
    "rule": "Rule",
    "description": "Description",
    "year": "Year",
    "limit": "Limit (£)",
    "shadow_price": "Shadow price (per £1)",
    "allowable_increase": "Allowable increase (£)",
    "allowable_decrease": "Allowable decrease (£)",
    "objective_at_increase": "Objective at the increase",
    "objective_at_decrease": "Objective at the decrease",
    "sheet": "Sheet",
    "cell": "Cell",
}

_BASIC = int(highspy.HighsBasisStatus.kBasic)


def read_ranging(h: highspy.Highs) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(up value, up objective, down value, down objective) per row, model units, from
    HiGHS's ranging of the LP as solved; empty arrays if HiGHS cannot range it."""
    status, ranging = h.getRanging()
    if status != highspy.HighsStatus.kOk:
        empty = np.zeros(0)
        return empty, empty, empty, empty
    up, down = ranging.row_bound_up, ranging.row_bound_dn
    return (np.asarray(up.value_, dtype=float), np.asarray(up.objective_, dtype=float),
            np.asarray(down.value_, dtype=float), np.asarray(down.objective_, dtype=float))


def ranging_table(problem: FundingProblem, hm: HighsModel, point: LpPoint,
                  ranging: tuple[np.ndarray, ...], price: np.ndarray,
                  binding: np.ndarray) -> pd.DataFrame:
    """One row per envelope and per binding rule: its limit, shadow price (``price``, the
    plan's sign: the value of loosening it by £1) and the range over which that price
    holds, in pounds, with the objective (pounds of value) at each end where HiGHS gives
    it."""
    rows = hm.builder.rows
    scale = hm.builder.scale
    envelope = np.fromiter((r.info.family is Family.ENVELOPE for r in rows), dtype=bool,
                           count=len(rows))
    chosen = np.flatnonzero(envelope | binding)
    up_v, up_obj, dn_v, dn_obj = ranging
    out = []
    for i in chosen.tolist():
        row = rows[i]
        limit = hm.row_upper[i] if row.sense is Sense.LE else hm.row_lower[i]
        if not len(up_v):  # HiGHS could not range this LP
            ends: Sequence[float] = (np.nan, np.nan, np.nan, np.nan)
        elif point.row_status[i] != _BASIC:
            ends = ((up_v[i] - limit) * scale, (limit - dn_v[i]) * scale,
                    up_obj[i] * scale, dn_obj[i] * scale)
        else:
            ends = _spare(row.sense, limit, point.row_value[i], point.objective, scale)
        locations = rule_locations(problem.origin, row.info.rule, row.info.sources)
        first = next((loc for loc in locations if loc.sheet), None)
        out.append((row.info.family.value, row.info.rule, row.info.description, row.info.year,
                    limit * scale, float(price[i]), *_finite(ends),
                    first.sheet if first else "", first.cell if first else ""))
    return pd.DataFrame(out, columns=list(SENSITIVITY_COLUMNS))


def _spare(sense: Sense, limit: float, value: float, objective: float, scale: float
           ) -> tuple[float, float, float, float]:
    """A rule with room to spare: unlimited on its loosening side, its slack on the other
    (an equality with a basic slack is degenerate: nothing either way), the objective
    unchanged over the range."""
    slack = abs(limit - value) * scale
    obj = objective * scale
    if sense is Sense.LE:
        return np.inf, slack, np.nan, obj
    if sense is Sense.GE:
        return slack, np.inf, obj, np.nan
    return 0.0, 0.0, obj, obj


def _finite(ends: Sequence[float]) -> tuple[float, ...]:
    """Infinite ranges stay infinite; an objective HiGHS gives as infinite (no end) is
    NaN: there is none to give."""
    inc, dec, obj_up, obj_dn = ends
    return (float(inc), float(dec),
            float(obj_up) if np.isfinite(obj_up) and np.isfinite(inc) else np.nan,
            float(obj_dn) if np.isfinite(obj_dn) and np.isfinite(dec) else np.nan)


def empty_sensitivity() -> pd.DataFrame:
    """``plan.sensitivity`` when ranging was not asked for."""
    return pd.DataFrame({c: pd.Series(dtype="float64" if c in _NUMBERS else "object")
                         for c in SENSITIVITY_COLUMNS})


_NUMBERS = ("limit", "shadow_price", "allowable_increase", "allowable_decrease",
            "objective_at_increase", "objective_at_decrease")
