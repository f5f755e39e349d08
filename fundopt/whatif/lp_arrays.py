"""An LP as the arrays HiGHS holds, in its column order: what a sweep compares with the
loaded model, and the least it changes to load another scenario's LP in its place."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from fundopt.formulation.builder import LpBuilder
from fundopt.solver.highs import HighsModel


@dataclass(frozen=True)
class ColumnArrays:
    """An LP in HiGHS's column order: what is compared and changed in place."""

    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    cost: np.ndarray
    matrix: sp.csc_array


def recorded_arrays(rec: LpBuilder, col_of_var: np.ndarray) -> ColumnArrays | None:
    """The recorded LP laid out like the compiled base, or None if it uses other variables
    (a variable the base has no column for, or one the base uses that this LP does not)."""
    a = rec.arrays()
    if len(col_of_var) != rec.n_vars or not np.array_equal(a.used, col_of_var >= 0):
        return None
    matrix, col_lower, col_upper, cost = a.in_columns()
    return ColumnArrays(a.row_lower, a.row_upper, col_lower, col_upper, cost, matrix)


def compiled_arrays(hm: HighsModel) -> ColumnArrays:
    """The arrays of a compiled model, in the same layout as a recording's."""
    matrix = sp.csc_array(hm.matrix).copy()
    matrix.sort_indices()
    return ColumnArrays(np.asarray(hm.row_lower, dtype=float),
                        np.asarray(hm.row_upper, dtype=float),
                        np.asarray(hm.col_lower, dtype=float),
                        np.asarray(hm.col_upper, dtype=float),
                        np.asarray(hm.cost, dtype=float), matrix)


def same_shape(a: ColumnArrays, b: ColumnArrays) -> bool:
    """The same rows, the same columns in each row, the same finite row limits: one can be
    loaded in place of the other by changing numbers only."""
    return (a.matrix.shape == b.matrix.shape and np.array_equal(a.matrix.indptr, b.matrix.indptr)
            and np.array_equal(a.matrix.indices, b.matrix.indices)
            and np.array_equal(np.isfinite(a.row_lower), np.isfinite(b.row_lower))
            and np.array_equal(np.isfinite(a.row_upper), np.isfinite(b.row_upper)))


def equal(a: ColumnArrays, b: ColumnArrays) -> bool:
    return same_shape(a, b) and all(
        np.array_equal(getattr(a, f), getattr(b, f))
        for f in ("row_lower", "row_upper", "col_lower", "col_upper", "cost")
    ) and np.array_equal(a.matrix.data, b.matrix.data)


def with_row_bounds(lower: np.ndarray, upper: np.ndarray, rows: np.ndarray,
                    bound: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Copies of the row bounds with each of ``rows`` at ``bound`` (model units) on each
    side it is limited on: both sides of an equality, the one of an inequality."""
    lower, upper = lower.copy(), upper.copy()
    lower[rows] = np.where(np.isfinite(lower[rows]), bound, lower[rows])
    upper[rows] = np.where(np.isfinite(upper[rows]), bound, upper[rows])
    return lower, upper


def load_changes(h: Any, old: ColumnArrays, new: ColumnArrays) -> None:
    """Change the loaded LP from ``old`` to ``new`` (same shape): only what differs.

    Coefficients go one ``changeCoeff`` at a time (about 1.3 us each: 0.17 s for the
    126,000 a default cliff-edge rate changes at 100k). Loading the LP whole is faster
    (0.03 s) but not the same: HiGHS, loaded afresh or cleared and loaded again, then took
    longer to re-solve from the base's basis (0.8-0.9 s a scenario against 0.5 s, December
    2026), and, cleared and loaded again, ended on other optimal vertices than when
    changed in place, so a scenario's rules and prices depended on the scenario before.

    ``h`` is a ``highspy.Highs`` (typed loosely: its stubs lack the ``change*`` methods)."""
    rows = np.flatnonzero((old.row_lower != new.row_lower) | (old.row_upper != new.row_upper))
    if len(rows):
        h.changeRowsBounds(len(rows), rows.astype(np.int32), new.row_lower[rows],
                           new.row_upper[rows])
    # the same array object is the same numbers: skip comparing it (the base's matrix and
    # costs, shared by every envelope scenario, are a million numbers at 100k variables)
    cols = np.flatnonzero((old.col_lower != new.col_lower) | (old.col_upper != new.col_upper))
    if len(cols):
        h.changeColsBounds(len(cols), cols.astype(np.int32), new.col_lower[cols],
                           new.col_upper[cols])
    none = np.zeros(0, dtype=np.int64)
    costs = np.flatnonzero(old.cost != new.cost) if old.cost is not new.cost else none
    if len(costs):
        h.changeColsCost(len(costs), costs.astype(np.int32), new.cost[costs])
    changed = np.flatnonzero(old.matrix.data != new.matrix.data) \
        if old.matrix is not new.matrix else none
    if len(changed):
        m = new.matrix
        cols = np.searchsorted(m.indptr, changed, side="right") - 1
        for row, col, value in zip(m.indices[changed].tolist(), cols.tolist(),
                                   m.data[changed].tolist(), strict=True):
            h.changeCoeff(row, col, value)


def view(hm: HighsModel, rec: LpBuilder, arrays: ColumnArrays) -> HighsModel:
    """The base model's HiGHS object, described by the scenario's rows and numbers."""
    return replace(hm, builder=rec, row_lower=arrays.row_lower, row_upper=arrays.row_upper,
                   col_lower=arrays.col_lower, col_upper=arrays.col_upper, cost=arrays.cost,
                   matrix=arrays.matrix)
