"""The plans as good as the returned one: the optimal face, as an LP of its own.

Many allocations are equally good (docs/formulation.md, "Bands"). Bands range over them,
and they need them as an LP: :func:`policy_face` describes the face as changes to the
loaded LP (bounds, extra rows) with a basis of it, and :class:`FaceLp` loads that into a
``Highs`` of its own and ranges sums of columns over it, two warm re-solves each.

**Where the face comes from** (the one place to change when the objective changes):
today the LP has one objective, the policy (value of money, need and volatility penalties,
breach penalties). With ``give = 0`` its optimal face is exactly the feasible plans that
keep complementary slackness with the optimum's duals: every column with a non-zero
reduced cost stays at its bound and every row with a non-zero dual stays at its limit (any
optimal plan does both, and any plan that does both is optimal), "non-zero" meaning above
HiGHS's dual feasibility tolerance. With ``give > 0`` the face is the LP with one more row,
``objective >= optimum - give``. Once the objective is split into priority tiers solved
one after another, the face is the LP with every policy tier's bound row
(``measure >= optimum - give``) and without the stability tier's: :func:`policy_face` then
returns those rows as ``extra``, and nothing else here changes.

``hm.highs`` is never touched: the plan's rounding re-solves from its state, and asking for
bands must not change the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import highspy
import numpy as np
import scipy.sparse as sp

from fundopt.explain.basis_check import BasisCheck
from fundopt.explain.dense_rows import share_long_rows

if TYPE_CHECKING:
    from fundopt.solver.highs import HighsModel

#: HiGHS's dual feasibility tolerance (its default): a reduced cost or a row dual larger
#: than this, in value per model unit, is not zero.
DUAL_TOLERANCE = 1e-7

_BASIC = int(highspy.HighsBasisStatus.kBasic)
_LOWER = int(highspy.HighsBasisStatus.kLower)
#: Each basis status by its number: looked up, not made one by one (a face LP's basis of
#: about 30,000 statuses: 1 ms, against 27 ms building each enum from its number).
_STATUS = {int(s): s for s in highspy.HighsBasisStatus.__members__.values()}


@dataclass(frozen=True)
class LpPoint:
    """The LP's optimum as HiGHS left it after the solve (model units): read before
    rounding's re-solves move any bound."""

    col_value: np.ndarray
    col_dual: np.ndarray
    row_value: np.ndarray
    row_dual: np.ndarray
    col_status: np.ndarray  # HighsBasisStatus as int8 (empty: not read, see read)
    row_status: np.ndarray
    objective: float

    @classmethod
    def read(cls, h: highspy.Highs, *, basis: bool = True, columns: bool = True) -> LpPoint:
        """The point, duals and (unless ``basis=False``: empty) basis of ``h``'s solve;
        ``columns=False``: the rows' basis statuses only (ranging reads no column's, and
        HiGHS hands each status over as an object of its own: a 100k problem's 314,029
        columns take 0.14 s)."""
        sol = h.getSolution()
        statuses = h.getBasis() if basis else None
        return cls(
            col_value=np.asarray(sol.col_value, dtype=float),
            col_dual=np.asarray(sol.col_dual, dtype=float),
            row_value=np.asarray(sol.row_value, dtype=float),
            row_dual=np.asarray(sol.row_dual, dtype=float),
            col_status=_statuses(statuses.col_status if statuses and columns else []),
            row_status=_statuses(statuses.row_status if statuses else []),
            objective=float(h.getInfo().objective_function_value),
        )


def _statuses(values: list[highspy.HighsBasisStatus]) -> np.ndarray:
    return np.fromiter(map(int, values), dtype=np.int8, count=len(values))


@dataclass(frozen=True)
class Face:
    """An LP whose feasible plans are the ones within ``give`` pounds of value of the
    optimum: the loaded LP's columns and rows with these bounds, plus ``extra`` rows (over
    the LP's columns); and a basis of it (LP columns, LP rows, extra rows) from which the
    optimum is a feasible start."""

    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    extra: sp.csr_array
    extra_lower: np.ndarray
    extra_upper: np.ndarray
    col_status: np.ndarray
    row_status: np.ndarray
    give: float  # pounds of value


def policy_face(hm: HighsModel, point: LpPoint, give_pounds: float = 0.0) -> Face:
    """The optimal face of the policy objective (see the module's notes), or with
    ``give_pounds > 0`` the plans within that much value of the optimum."""
    n_rows, n_cols = len(hm.row_lower), len(hm.col_lower)
    if give_pounds > 0:  # one more row: objective >= optimum - give, its slack basic
        extra = sp.csr_array(hm.cost.reshape(1, -1))
        return Face(hm.col_lower, hm.col_upper, hm.row_lower, hm.row_upper, extra,
                    np.array([point.objective - give_pounds / hm.builder.scale]),
                    np.array([np.inf]), point.col_status,
                    np.append(point.row_status, _BASIC).astype(np.int8), give_pounds)
    # complementary slackness: such a column is nonbasic (at its bound), such a row too
    fixed = np.abs(point.col_dual) > DUAL_TOLERANCE
    col_lower = np.where(fixed, point.col_value, hm.col_lower)
    col_upper = np.where(fixed, point.col_value, hm.col_upper)
    tight = np.abs(point.row_dual) > DUAL_TOLERANCE
    at_lower = np.abs(point.row_value - hm.row_lower) <= np.abs(point.row_value - hm.row_upper)
    row_lower = np.where(tight & ~at_lower, hm.row_upper, hm.row_lower)
    row_upper = np.where(tight & at_lower, hm.row_lower, hm.row_upper)
    return Face(col_lower, col_upper, row_lower, row_upper, sp.csr_array((0, n_cols)),
                np.zeros(0), np.zeros(0), point.col_status, point.row_status[:n_rows], 0.0)


class FaceLp:
    """The face in a ``Highs`` of its own, ready to range sums of the LP's columns.

    Columns fixed on the face are taken out (their values move into the row limits), rows
    left with no entry are dropped, long rows share total columns
    (:mod:`fundopt.explain.dense_rows`); it starts from the optimum's basis and each end of
    a range is a primal simplex re-solve from the basis the last one ended on, unless that
    basis is already optimal for it (:mod:`fundopt.explain.basis_check`).
    """

    def __init__(self, hm: HighsModel, face: Face) -> None:
        from fundopt.solver.highs import new_highs, pass_lp

        A = sp.csr_array(sp.vstack([sp.csr_array(hm.matrix), face.extra], format="csr"))
        lower = np.concatenate([face.row_lower, face.extra_lower])
        upper = np.concatenate([face.row_upper, face.extra_upper])
        fixed = face.col_lower == face.col_upper
        self.fixed_value = np.where(fixed, face.col_lower, 0.0)
        shift = A @ self.fixed_value
        rows, kept = _what_holds(A, lower, upper, fixed, face, hm.col_of_x)
        shared = share_long_rows(sp.csr_array(A[rows][:, kept]))
        k = shared.added
        self.column = np.full(len(fixed), -1, dtype=np.int64)
        self.column[kept] = np.arange(len(kept))
        self.n_cols = len(kept) + k
        self.highs = h = new_highs()
        for key, value in FACE_OPTIONS.items():
            h.setOptionValue(key, value)  # type: ignore[arg-type]
        bounds = (np.concatenate([face.col_lower[kept], np.full(k, -np.inf)]),
                  np.concatenate([face.col_upper[kept], np.full(k, np.inf)]),
                  np.concatenate([(lower - shift)[rows], np.zeros(k)]),
                  np.concatenate([(upper - shift)[rows], np.zeros(k)]))
        pass_lp(h, sp.csc_array(shared.matrix), bounds[0], bounds[1], np.zeros(self.n_cols),
                bounds[2], bounds[3], maximise=False)
        status = np.concatenate([face.col_status[kept], np.full(k, _BASIC)])
        row_status = np.concatenate([face.row_status[rows], np.full(k, _LOWER)])
        self.warm = _set_basis(h, status, row_status)
        h.run()  # no objective yet: factorises the basis (no iterations when it was taken)
        self.check = BasisCheck(h, shared.matrix, *bounds)
        self.iterations = int(h.getInfo().simplex_iteration_count)
        self.re_solves = 0

    def least_and_most(self, columns: np.ndarray) -> tuple[float, float]:
        """The least and the most ``sum(x[columns])`` (LP column numbers) on the face, in
        model units; NaN where HiGHS does not reach an optimum."""
        const = float(self.fixed_value[columns].sum())
        free = self.column[columns]
        free = free[free >= 0].astype(np.int32)
        if not len(free):
            return const, const
        h = self.highs
        answered = self.check.answered(free)
        here = float(self.check.x[free].sum()) + const  # the sum at the current point
        ends = []
        for sign, done in zip((1.0, -1.0), answered, strict=True):
            if done:  # this basis is optimal for it already: HiGHS would stop at once
                ends.append(here)
                continue
            h.changeColsCost(len(free), free, np.full(len(free), sign))
            h.run()
            self.re_solves += 1
            self.iterations += int(h.getInfo().simplex_iteration_count)
            ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
            ends.append(sign * float(h.getInfo().objective_function_value) + const
                        if ok else np.nan)
            h.changeColsCost(len(free), free, np.zeros(len(free)))
            self.check.read()
        return ends[0], ends[1]


def _what_holds(A: sp.csr_array, lower: np.ndarray, upper: np.ndarray, fixed: np.ndarray,
                face: Face, col_of_x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows and columns the face LP keeps: the rows that hold a plan, and the columns
    not fixed that some kept row has, or that are allocations (what bands range).

    Left out: a row with no entry on a column left (it holds nothing that can move); a row
    free at both ends and basic (the later tiers' measures, defined by rows the policy's
    LP leaves free: on the reference model 6,135 of 9,387 rows); and a column that is then
    in no kept row and no allocation (the later tiers' own variables: 13,162 of 26,952).
    Such a column moves within its bounds and touches nothing a band sums: the face LP is
    the same set of plans, and HiGHS's fixed cost of each of the bands' re-solves, which
    grows with the LP's size, is about halved. Each such row takes one row and one basic
    out of the optimum's basis; where the columns left out are not all nonbasic, what is
    left would not be a basis, and only the rows with no entry are left out."""
    n_rows, n_cols = A.shape
    row_of_entry = np.repeat(np.arange(n_rows), np.diff(A.indptr))
    has_entry = np.zeros(n_rows, dtype=bool)
    has_entry[row_of_entry[~fixed[A.indices]]] = True
    free = ~np.isfinite(lower) & ~np.isfinite(upper) & (face.row_status == _BASIC)
    kept_row = has_entry & ~free
    in_kept_row = np.zeros(n_cols, dtype=bool)
    in_kept_row[A.indices[kept_row[row_of_entry]]] = True
    in_kept_row[col_of_x[col_of_x >= 0]] = True  # allocations stay: bands sum them
    left_out = ~fixed & ~in_kept_row
    if np.any(face.col_status[left_out] == _BASIC):
        return np.flatnonzero(has_entry), np.flatnonzero(~fixed)
    return np.flatnonzero(kept_row), np.flatnonzero(~fixed & in_kept_row)


#: How the face LP is solved: the optimum's basis is feasible for every band's objective,
#: so primal simplex, from it, without presolve (which would discard the basis).
FACE_OPTIONS: dict[str, object] = {
    "solver": "simplex",
    "simplex_strategy": 4,  # primal simplex
    "presolve": "off",
    "random_seed": 0,
    "output_flag": False,
}


def _set_basis(h: highspy.Highs, col_status: np.ndarray, row_status: np.ndarray) -> bool:
    """Give HiGHS the basis; False if it refuses it (the first range then starts cold)."""
    basis = highspy.HighsBasis()
    basis.col_status = [_STATUS[s] for s in col_status.tolist()]
    basis.row_status = [_STATUS[s] for s in row_status.tolist()]
    basis.valid = True
    return bool(h.setBasis(basis) == highspy.HighsStatus.kOk)
