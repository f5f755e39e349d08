"""Whether the basis HiGHS holds already answers one end of a band, so that end needs no
re-solve.

A band's end is the optimum of "minimise (or maximise) a sum of columns" over the face.
The basis the face LP holds is primal feasible; it is optimal for that objective when its
reduced costs have the right signs: with ``y`` solving ``B^T y = c_B`` (HiGHS's own
factorisation, ``getBasisTransposeSolve``) and ``d = c - A^T y``, every nonbasic column that
could rise has ``d >= 0`` and every one that could fall ``d <= 0`` (maximising: the other
way), and likewise each nonbasic row with its dual ``y``, to HiGHS's dual tolerance. HiGHS
would then stop at once with that basis; the end is the sum at the current point. On the
reference model about half the band ends (most of the narrow bands) are answered so, which
halves the bands' time: HiGHS's fixed cost of a re-solve, even one with nothing to do, is
what bands spend their time on.
"""

from __future__ import annotations

import highspy
import numpy as np
import scipy.sparse as sp

#: HiGHS's dual feasibility tolerance (its default), per unit of the objective's columns.
TOLERANCE = 1e-7


class BasisCheck:
    """The face LP's current basis and point, read from ``h`` after each re-solve."""

    def __init__(self, h: highspy.Highs, matrix: sp.csr_array, col_lower: np.ndarray,
                 col_upper: np.ndarray, row_lower: np.ndarray, row_upper: np.ndarray) -> None:
        self.h = h
        self.matrix = matrix
        self.bounds = (col_lower, col_upper, row_lower, row_upper)
        self.n_cols = matrix.shape[1]
        self.read()

    def read(self) -> None:
        """The basis and point HiGHS holds now (call after every re-solve)."""
        status, basic = self.h.getBasicVariables()  # type: ignore[attr-defined]
        self.ok = status == highspy.HighsStatus.kOk
        basic = np.asarray(basic, dtype=np.int64)
        self.basic = basic
        x = np.asarray(self.h.getSolution().col_value, dtype=float)
        self.x = x if len(x) == self.n_cols else np.zeros(self.n_cols)
        col_lo, col_hi, row_lo, row_hi = self.bounds
        nonbasic_col = np.ones(self.n_cols, dtype=bool)
        nonbasic_col[basic[basic >= 0]] = False
        nonbasic_row = np.ones(len(row_lo), dtype=bool)
        nonbasic_row[-1 - basic[basic < 0]] = False
        self.col_rise, self.col_fall = _moves(nonbasic_col, self.x, col_lo, col_hi)
        self.row_rise, self.row_fall = _moves(nonbasic_row, self.matrix @ self.x, row_lo,
                                              row_hi)

    def answered(self, columns: np.ndarray) -> tuple[bool, bool]:
        """Whether the basis is optimal for minimising, and for maximising, the sum of
        ``columns`` (face LP column numbers)."""
        if not self.ok:
            return False, False
        cost = np.zeros(self.n_cols)
        cost[columns] = 1.0
        cost_basic = np.where(self.basic >= 0, cost[np.maximum(self.basic, 0)], 0.0)
        status, y = self.h.getBasisTransposeSolve(cost_basic)  # type: ignore[attr-defined]
        if status != highspy.HighsStatus.kOk:
            return False, False
        y = np.asarray(y, dtype=float)
        d = cost - self.matrix.T @ y
        t = TOLERANCE
        lowest = (d[self.col_rise] >= -t).all() and (d[self.col_fall] <= t).all() \
            and (y[self.row_rise] >= -t).all() and (y[self.row_fall] <= t).all()
        highest = (d[self.col_rise] <= t).all() and (d[self.col_fall] >= -t).all() \
            and (y[self.row_rise] <= t).all() and (y[self.row_fall] >= -t).all()
        return bool(lowest), bool(highest)


def _moves(nonbasic: np.ndarray, value: np.ndarray, lower: np.ndarray, upper: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """Of the nonbasic variables (columns or rows), those that could rise (at their lower
    bound, below their upper) and those that could fall (at their upper, above their
    lower); a free one could do both, a fixed one neither."""
    with np.errstate(invalid="ignore"):
        at_lower = np.isfinite(lower) & (np.abs(value - lower) <= np.abs(value - upper))
        at_upper = np.isfinite(upper) & ~at_lower
    free = ~np.isfinite(lower) & ~np.isfinite(upper)
    fixed = lower == upper
    rise = nonbasic & ~fixed & (at_lower | free)
    fall = nonbasic & ~fixed & (at_upper | free)
    return rise, fall
