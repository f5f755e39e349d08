"""Round a plan to whole pounds without breaking any rule.

1. Carry-forwards are rounded to the nearest pound within their limit.
2. In each stream-year the allocations are rounded by largest remainder, so they add up
   to the nearest whole pound of what the LP spends from that stream (ties broken by the
   canonical column order, so the result is deterministic).
3. Every rule is re-checked exactly (:func:`fundopt.verify.check_rules`). If one breaks
   (a binding rule with a fractional right-hand side, typically), a small integer
   programme repairs it: every LP row holds, every amount stays within £100 of the LP's,
   and the total distance from the LP's amounts is least.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import highspy
import numpy as np
import scipy.sparse as sp

from fundopt.errors import SolverError
from fundopt.formulation.compile import INF, HighsModel, new_highs

SNAP = 1e-6  # pounds: closer than this to a whole pound counts as whole
REACH = 100  # pounds the repair may move an amount beyond its floor or ceiling


def round_plan(
    hm: HighsModel,
    col_value: np.ndarray,
    passes: Callable[[np.ndarray, dict[tuple[str, str], int]], bool],
) -> tuple[np.ndarray, dict[tuple[str, str], int], str]:
    """Whole-pound allocations (per allocation variable) and carry-forwards.

    ``passes(alloc, carry)`` re-checks the hard rules exactly. Returns the method used.
    """
    scale = hm.builder.scale
    x = np.maximum(col_value[hm.col_of_x] * scale, 0.0) if hm.n_alloc else np.zeros(0)
    carry_cols = {key: int(hm.col_of_aux[_aux_pos(v)]) for key, v in hm.builder.carry.items()}
    carry = {}
    for key, j in carry_cols.items():
        raw = max(col_value[j] * scale, 0.0)
        cap = hm.col_upper[j] * scale
        carry[key] = min(math.floor(raw + 0.5), math.floor(cap + SNAP))
    alloc = _largest_remainder(hm, x)
    if passes(alloc, carry):
        return alloc, carry, "largest remainder per stream-year"
    alloc, carry = _repair(hm, col_value, carry_cols)
    if not passes(alloc, carry):
        raise SolverError(
            "could not round the plan to whole pounds without breaking a rule; the rules are "
            "too tight for whole pounds (check rates and amounts with fractions of a pound)",
            code="FO-R04",
        )
    return alloc, carry, "integer repair of largest-remainder rounding"


def _aux_pos(v: object) -> int:
    return int(v.index()) - 1  # type: ignore[attr-defined]


def _largest_remainder(hm: HighsModel, x: np.ndarray) -> np.ndarray:
    fl = np.floor(x + SNAP)
    frac = np.where(x - fl > SNAP, x - fl, 0.0)
    out = fl.astype(np.int64)
    for cols in hm.builder.index.by_stream_year.values():
        c = np.asarray(cols)
        f = frac[c]
        k = math.floor(f.sum() + 0.5 + SNAP)
        if k <= 0:
            continue
        order = np.lexsort((c, -f))[:k]  # largest fraction first, ties by column
        out[c[order]] += 1
    return out


def _repair(
    hm: HighsModel, col_value: np.ndarray, carry_cols: dict[tuple[str, str], int]
) -> tuple[np.ndarray, dict[tuple[str, str], int]]:
    """Integer programme: whole-pound amounts nearest the LP's that keep every LP row.

    Each positive amount x (floor f_, fraction q) becomes f_ + u + w - d with u in {0, 1}
    (cost 1 - 2q: the change in distance from x), w, d in 0..REACH (cost 1 a pound): the
    total distance from the LP's amounts, which is convex, is minimised exactly. Amounts
    the LP set to zero stay zero; the objective's own variables (tranches, penalties)
    follow freely, except that no soft rule's breach may grow.
    """
    scale = hm.builder.scale
    n = len(col_value)
    v = col_value * scale  # pounds
    is_int = np.zeros(n, dtype=bool)
    is_int[hm.col_of_x[hm.col_of_x >= 0]] = True
    is_int[list(carry_cols.values())] = True
    pos_v = np.maximum(v, 0)
    fl = np.where(is_int, np.floor(pos_v + SNAP), 0.0)
    frac = np.where(is_int, pos_v - fl, 0.0)
    frac = np.where(frac > SNAP, frac, 0.0)
    movable = np.flatnonzero(is_int & (pos_v > SNAP))
    cont = np.flatnonzero(~is_int)
    base = np.where(is_int, fl, v)  # the point the integer programme moves from
    A = sp.csc_array(hm.matrix)
    shift = A @ base
    # rows in model units: A @ (pounds / scale) in [lower, upper]  =>  A @ pounds in
    # [lower * scale, upper * scale]
    lo = np.where(np.isfinite(hm.row_lower), hm.row_lower * scale - shift, -INF)
    hi = np.where(np.isfinite(hm.row_upper), hm.row_upper * scale - shift, INF)
    Am = A[:, movable]
    Ac = A[:, cont]
    k = len(movable)
    M = sp.hstack([Am, Am, -Am, Ac])
    # a movable amount with an upper bound of its own (a carry limit) keeps it, in pounds
    ub = hm.col_upper[movable] * scale
    capped = np.flatnonzero(np.isfinite(ub))
    if len(capped):
        eye = sp.csr_array(
            (np.ones(len(capped)), (np.arange(len(capped)), capped)), shape=(len(capped), k)
        )
        zeros = sp.csr_array((len(capped), len(cont)))
        M = sp.vstack([M, sp.hstack([eye, eye, -eye, zeros])])
        lo = np.concatenate([lo, np.full(len(capped), -INF)])
        hi = np.concatenate([hi, np.floor(ub[capped] + SNAP) - fl[movable][capped]])
    M = M.tocsc()
    breach = np.zeros(n, dtype=bool)
    for i, (kind, _rule) in enumerate(hm.builder.aux_meaning):
        j = hm.col_of_aux[i]
        if kind == "breach" and j >= 0:
            breach[j] = True
    cost = np.concatenate(
        [1.0 - 2.0 * frac[movable], np.ones(k), np.ones(k), np.where(breach[cont], 1000.0, 0.0)]
    )
    c_lo = hm.col_lower[cont] * scale - v[cont]
    c_hi = hm.col_upper[cont] * scale - v[cont]
    col_lo = np.concatenate([np.zeros(3 * k), np.where(np.isfinite(c_lo), c_lo, -INF)])
    col_hi = np.concatenate(
        [
            np.ones(k),
            np.full(k, REACH - 1.0),
            np.minimum(REACH, fl[movable]),
            np.where(np.isfinite(c_hi), c_hi, INF),
        ]
    )
    lp = highspy.HighsLp()
    lp.num_col_ = M.shape[1]
    lp.num_row_ = M.shape[0]
    lp.col_cost_ = cost
    lp.col_lower_ = col_lo
    lp.col_upper_ = col_hi
    lp.row_lower_ = lo
    lp.row_upper_ = hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = M.indptr.astype(np.int32)
    lp.a_matrix_.index_ = M.indices.astype(np.int32)
    lp.a_matrix_.value_ = M.data.astype(float)
    lp.a_matrix_.num_col_ = M.shape[1]
    lp.a_matrix_.num_row_ = M.shape[0]
    integer, real = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
    lp.integrality_ = [integer] * (3 * k) + [real] * len(cont)
    h = new_highs()
    for key, val in {
        "mip_rel_gap": 1e-4,
        "time_limit": 120.0,
        "random_seed": 0,
        "mip_feasibility_tolerance": 1e-7,
    }.items():
        h.setOptionValue(key, val)
    h.passModel(lp)
    h.run()
    if (
        h.getModelStatus() != highspy.HighsModelStatus.kOptimal
        and h.getInfo().primal_solution_status != 2
    ):
        raise SolverError(
            "could not round the plan to whole pounds without breaking a rule "
            f"(HiGHS: {h.modelStatusToString(h.getModelStatus())})",
            code="FO-R04",
        )
    sol = np.round(np.asarray(h.getSolution().col_value)[: 3 * k])
    full = fl.copy()
    full[movable] = fl[movable] + sol[:k] + sol[k : 2 * k] - sol[2 * k :]
    alloc = np.zeros(hm.n_alloc, dtype=np.int64)
    ok = hm.col_of_x >= 0
    alloc[ok] = full[hm.col_of_x[ok]].astype(np.int64)
    carry = {key: int(full[j]) for key, j in carry_cols.items()}
    return alloc, carry
