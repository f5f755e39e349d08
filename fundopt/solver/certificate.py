"""An optimality certificate for the LP behind a plan, worked out by fundopt itself.

``verify`` proves a plan keeps every rule; this proves it is the best plan the rules allow.
HiGHS says "optimal", and has open reports of saying so wrongly after exactly the warm
starts a sweep and rounding use (a hot start after ``changeRowsBounds`` giving the wrong
objective, HiGHS issue 3294; ``setBasis`` then Optimal at a worse objective, issue 3194).
So fundopt takes HiGHS's primal values ``x`` and row duals ``y`` and, from the LP's own
matrix ``A``, bounds and costs ``c`` (the arrays fundopt built and handed over, not what
HiGHS reports back), recomputes

- the row activities ``A x`` and how far any row or bound is missed (primal feasibility);
- the reduced costs ``d = c - A^T y``, and whether every dual has the sign its bound allows
  (dual feasibility: for this maximisation, ``y_i > 0`` only on a row with an upper limit,
  ``y_i < 0`` only with a lower one; the same for ``d_j`` and column bounds);
- the dual bound ``sum_i (y_i^+ U_i - y_i^- L_i) + sum_j (d_j^+ u_j - d_j^- l_j)``: no plan
  that keeps the rules can be worth more (weak duality), whatever HiGHS did;
- the duality gap, dual bound minus the objective of ``x``, and complementary slackness
  (each dual times its row's or column's distance from the bound it prices).

A point that is feasible with a gap of (almost) nothing is optimal: the certificate
passes. All figures are in pounds (value in pounds for the objective and gap). The
whole-pound plan's own objective is then worked out from the same matrix, so the cost of
rounding is stated against the dual bound: the plan is within that many pounds of value
of the best any plan could do. docs/formulation.md, "Optimality certificate", states the
tolerances.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from fundopt.errors import SolverError

if TYPE_CHECKING:
    from fundopt.solver.highs import HighsModel

#: Largest miss of a row or bound, in model units (HiGHS works to 1e-7 on its own
#: scaled LP; unscaled, a hundredth of a penny to a few pence at fundopt's money scales).
PRIMAL_TOLERANCE = 1e-6
#: Largest wrongly signed dual or reduced cost, in value per pound.
DUAL_TOLERANCE = 1e-6
#: Largest duality gap, as a share of the objective's size (at least one model unit): a
#: billionth, £55 on the reference model's £54.6bn of value, where its gap is £0.00001
#: (floating-point noise in sums of that size is about £0.00001).
GAP_TOLERANCE = 1e-9


@dataclass(frozen=True)
class LpPoint:
    """What HiGHS reports of a solved LP: column values and row duals (model units)."""

    col_value: np.ndarray
    row_dual: np.ndarray


@dataclass(frozen=True)
class Certificate:
    """The evidence that the LP behind a plan was solved to optimality, in pounds.

    Attributes:
        passed: the point keeps every row and bound, every dual has its allowed sign, and
            the duality gap is within tolerance: no plan can be worth more.
        objective: the LP's objective at HiGHS's point (pounds of value).
        dual_bound: the most any plan keeping the rules can be worth, from HiGHS's duals.
        duality_gap: ``dual_bound - objective``.
        primal_infeasibility: the most (pounds) by which any row or bound is missed.
        dual_infeasibility: the largest wrongly signed dual or reduced cost (value per £).
        complementarity: the largest single dual times its distance from its bound
            (pounds of value).
        whole_pound_objective: the whole-pound plan's objective (pounds of value); NaN
            when there is no whole-pound plan (a sweep's LP-only scenarios).
        rounding_cost: ``dual_bound - whole_pound_objective``: how far, at most, the
            whole-pound plan is from the best any plan could do.
        resolved_cold: the first certificate failed, so the LP was loaded afresh from
            fundopt's own arrays and solved from scratch; this is the second one (for a
            plan: so was some priority tier's).
        detail: what failed, or a one-line summary when it passed.
        lp: which LP it certifies, in words (a plan's is its last priority tier's: the
            one whose answer is the plan); its objective, bound and gap are in that LP's
            own measure.
    """

    passed: bool
    objective: float
    dual_bound: float
    duality_gap: float
    primal_infeasibility: float
    dual_infeasibility: float
    complementarity: float
    whole_pound_objective: float = float("nan")
    rounding_cost: float = float("nan")
    resolved_cold: bool = False
    detail: str = ""
    lp: str = ""

    def summary(self) -> str:
        """One line for the Checks sheet and the command line."""
        state = "passed" if self.passed else "FAILED"
        of = f" for {self.lp}" if self.lp else ""
        text = (f"optimality certificate {state}{of}: duality gap £{_pounds(self.duality_gap)} "
                f"on an objective of £{self.objective:,.0f}, rows and bounds kept to "
                f"£{_pounds(self.primal_infeasibility)}")
        if np.isfinite(self.rounding_cost):
            text += f"; whole pounds cost £{_pounds(self.rounding_cost)} against the LP bound"
        if self.resolved_cold:
            text += "; HiGHS's first answer failed the certificate and was re-solved cold"
        return text if self.passed else f"{text} ({self.detail})"


def _pounds(value: float) -> str:
    return f"{value if abs(value) >= 0.005 else 0.0:,.2f}"  # no "-0.00"


def read_point(hm: HighsModel) -> LpPoint:
    """HiGHS's solution of the loaded LP."""
    sol = hm.highs.getSolution()
    return LpPoint(np.asarray(sol.col_value, dtype=float), np.asarray(sol.row_dual, dtype=float))


def certify(hm: HighsModel, point: LpPoint, *, resolved_cold: bool = False) -> Certificate:
    """The certificate of ``point`` for the LP fundopt built (``hm``'s own arrays)."""
    A = sp.csc_array(hm.matrix)
    x, y = point.col_value, point.row_dual
    if x.shape != (A.shape[1],) or y.shape != (A.shape[0],) or not (
            np.isfinite(x).all() and np.isfinite(y).all()):
        return Certificate(False, *(float("nan"),) * 6, resolved_cold=resolved_cold,
                           detail="HiGHS returned no complete solution")
    c, lo, up = hm.cost, hm.col_lower, hm.col_upper
    row_lo, row_up = hm.row_lower, hm.row_upper
    activity = A @ x
    reduced = c - A.T @ y
    primal = max(_miss(row_lo, activity, row_up), _miss(lo, x, up))
    dual = max(_wrong_sign(y, row_lo, row_up), _wrong_sign(reduced, lo, up))
    bound_terms = np.concatenate([_priced(y, row_lo, row_up), _priced(reduced, lo, up)])
    slack_terms = np.concatenate([_complementarity(y, row_lo, activity, row_up),
                                  _complementarity(reduced, lo, x, up)])
    objective = float(c @ x)
    bound = float(bound_terms.sum())
    gap = bound - objective
    scale = hm.builder.scale
    failed = []
    if primal > PRIMAL_TOLERANCE:
        failed.append(f"a row or bound is missed by £{primal * scale:,.2f}")
    if dual > DUAL_TOLERANCE:
        failed.append(f"a dual has the wrong sign by {dual:.2g} per pound")
    if abs(gap) > GAP_TOLERANCE * max(1.0, abs(objective)):
        failed.append(f"the duality gap is £{gap * scale:,.2f}")
    return Certificate(
        passed=not failed,
        objective=objective * scale,
        dual_bound=bound * scale,
        duality_gap=gap * scale,
        primal_infeasibility=primal * scale,
        dual_infeasibility=dual,
        complementarity=float(slack_terms.max(initial=0.0)) * scale,
        resolved_cold=resolved_cold,
        detail="; ".join(failed) or "the point is feasible and no plan can be worth more",
    )


def certified(hm: HighsModel) -> tuple[Certificate, LpPoint]:
    """The certificate of the solved ``hm``, and the point it certifies.

    If HiGHS's answer fails it, the LP is loaded again from fundopt's own arrays (so a
    stale bound or coefficient left by an in-place change is gone too) and solved from
    scratch with the pinned options; if that answer fails as well, :class:`SolverError`
    (FO-L14): no plan is returned from an answer that cannot be shown to be the best."""
    point = read_point(hm)
    certificate = certify(hm, point)
    if certificate.passed:
        return certificate, point
    first = certificate.detail
    solve_cold(hm)
    point = read_point(hm)
    certificate = certify(hm, point, resolved_cold=True)
    if not certificate.passed:
        raise SolverError(
            f"HiGHS reported the best plan, but fundopt's optimality certificate failed "
            f"({first}), and again after solving from scratch ({certificate.detail}), so no "
            "plan is returned; write the problem out with fundopt.write_mps and report it",
            code="FO-L14",
        )
    return certificate, point


def solve_cold(hm: HighsModel) -> None:
    """Load the LP afresh from ``hm``'s arrays into its ``Highs`` and solve it from scratch
    (no basis, no solution kept), with the options it was loaded with."""
    import highspy

    from fundopt.solver.highs import pass_lp, run_highs
    from fundopt.solver.run import MS

    h = hm.highs
    h.clearModel()
    for name, value in hm.options.items():
        h.setOptionValue(name, value)  # type: ignore[arg-type]
    status = pass_lp(h, sp.csc_array(hm.matrix), hm.col_lower, hm.col_upper, hm.cost,
                     hm.row_lower, hm.row_upper)
    if status != highspy.HighsStatus.kOk or run_highs(h) != MS.kOptimal:
        raise SolverError(
            "HiGHS's answer failed fundopt's optimality certificate, and solving again from "
            f"scratch ended '{h.modelStatusToString(h.getModelStatus())}', so no plan is "
            "returned; write the problem out with fundopt.write_mps and report it",
            code="FO-L14",
        )


def with_whole_pounds(certificate: Certificate, hm: HighsModel, alloc: np.ndarray,
                      carry: dict[tuple[str, str], int]) -> Certificate:
    """``certificate`` with the whole-pound plan's objective and the cost of rounding.

    The allocations and carry-forwards are fixed at their whole pounds; every other column
    (value tranches, need and volatility deviations, breaches) then takes its best value
    in the rows that still have one free, a small LP of those columns alone. Rows with no
    free column are the rules the exact check already holds the plan to."""
    from dataclasses import replace

    value = whole_pound_objective(hm, alloc, carry)
    return replace(certificate, whole_pound_objective=value,
                   rounding_cost=certificate.dual_bound - value)


def whole_pound_objective(hm: HighsModel, alloc: np.ndarray,
                          carry: dict[tuple[str, str], int]) -> float:
    """The objective (pounds of value) of a whole-pound plan; NaN if it cannot be had."""
    import highspy

    from fundopt.solver.highs import new_highs, pass_lp

    scale = hm.builder.scale
    A = sp.csc_array(hm.matrix)
    n_cols = A.shape[1]
    fixed = np.zeros(n_cols, dtype=bool)
    values = np.zeros(n_cols)
    cols = hm.col_of_x
    kept = cols >= 0
    fixed[cols[kept]] = True
    values[cols[kept]] = np.asarray(alloc, dtype=float)[kept] / scale
    for key, v in hm.builder.carry.items():
        j = int(hm.col_of_aux[v - hm.n_alloc])
        if j >= 0:
            fixed[j] = True
            values[j] = carry.get(key, 0) / scale
    known = float(hm.cost[fixed] @ values[fixed])
    free = np.flatnonzero(~fixed)
    if not len(free):
        return known * scale
    sub = A[:, free]
    rows = np.flatnonzero(np.diff(sp.csr_array(sub).indptr) > 0)
    shift = (A[:, fixed] @ values[fixed])[rows]
    sub = sp.csc_array(sub[rows, :])
    row_lower, row_upper = hm.row_lower[rows] - shift, hm.row_upper[rows] - shift
    col_lower, col_upper, cost = hm.col_lower[free], hm.col_upper[free], hm.cost[free]
    total = known
    for r, c in _pieces(sub, WHOLE_POUND_PIECE_COLUMNS):
        h = new_highs()
        h.setOptionValue("presolve", "on")
        status = pass_lp(h, sp.csc_array(sub[r][:, c]), col_lower[c], col_upper[c], cost[c],
                         row_lower[r], row_upper[r])
        if status != highspy.HighsStatus.kOk:
            return float("nan")
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return float("nan")
        total += float(h.getInfo().objective_function_value)
    return total * scale


#: The whole-pound objective's LP is solved in pieces of about this many columns, each a
#: union of its independent parts (with every allocation fixed it falls apart into a
#: line's change, a recipient-year's mix, ...; its optimum is the sum of theirs). In one
#: piece, at 400 recipients (584,050 columns) it took 0.55 GB inside HiGHS, the peak of
#: the whole solve; the reference model's (about 7,000 columns) is one piece.
WHOLE_POUND_PIECE_COLUMNS = 100_000


def _pieces(matrix: sp.csc_array, columns: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``matrix``'s rows and columns cut into pieces no row or column links to another's,
    each of at most ``columns`` columns unless one independent part alone is larger: each
    piece's (rows, columns). One piece, the whole, if it is no larger."""
    n_rows, n_cols = matrix.shape
    if n_cols <= columns:
        return [(np.arange(n_rows), np.arange(n_cols))]
    from scipy.sparse.csgraph import connected_components

    coo = sp.coo_array(matrix)
    size = n_rows + n_cols
    graph = sp.coo_array((np.ones(coo.nnz), (coo.row, n_rows + coo.col)), shape=(size, size))
    _, label = connected_components(graph, directed=False)
    col_label = label[n_rows:]
    part_columns = np.bincount(col_label, minlength=label.max() + 1)
    # parts in the order connected_components numbers them, gathered into pieces
    piece_of_part = np.cumsum(part_columns) // max(columns, 1)
    piece = piece_of_part[label]
    row_piece, col_piece = piece[:n_rows], piece[n_rows:]
    return [(np.flatnonzero(row_piece == k), np.flatnonzero(col_piece == k))
            for k in np.unique(col_piece)]


def _miss(lower: np.ndarray, value: np.ndarray, upper: np.ndarray) -> float:
    below = np.where(np.isfinite(lower), lower - value, 0.0)
    above = np.where(np.isfinite(upper), value - upper, 0.0)
    return float(max(below.max(initial=0.0), above.max(initial=0.0), 0.0))


def _wrong_sign(dual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """The largest dual priced against a bound that is not there (maximisation: a positive
    dual prices the upper limit, a negative one the lower)."""
    up = np.where(np.isinf(upper), np.maximum(dual, 0.0), 0.0)
    down = np.where(np.isinf(lower), np.maximum(-dual, 0.0), 0.0)
    return float(max(up.max(initial=0.0), down.max(initial=0.0)))


def _priced(dual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Each dual times the bound it prices (a missing bound prices nothing: that is a dual
    infeasibility, reported on its own)."""
    pos, neg = np.maximum(dual, 0.0), np.maximum(-dual, 0.0)
    return (np.where(np.isfinite(upper), pos * np.where(np.isfinite(upper), upper, 0.0), 0.0)
            - np.where(np.isfinite(lower), neg * np.where(np.isfinite(lower), lower, 0.0), 0.0))


def _complementarity(dual: np.ndarray, lower: np.ndarray, value: np.ndarray,
                     upper: np.ndarray) -> np.ndarray:
    """Each dual times its distance from the bound it prices (zero at an optimum)."""
    pos, neg = np.maximum(dual, 0.0), np.maximum(-dual, 0.0)
    to_upper = np.where(np.isfinite(upper), upper - value, 0.0)
    to_lower = np.where(np.isfinite(lower), value - lower, 0.0)
    return np.abs(pos * to_upper) + np.abs(neg * to_lower)
