"""Round a plan to whole pounds without breaking any rule.

1. Carry-forwards are rounded to the nearest pound within their limit.
2. In each stream-year the allocations are rounded by largest remainder, so they add up
   to the nearest whole pound of what the LP spends from that stream (ties broken by the
   canonical column order, so the result is deterministic).
3. Every rule is re-checked exactly (:func:`fundopt.verify.check_rules`). If one breaks
   (a binding rule with a fractional right-hand side, typically), a small integer
   programme repairs it: each fractional amount goes to its floor or ceiling, each
   stream-year's spend to the floor or ceiling of the LP's, every LP row holds, and the
   total distance from the LP's amounts is least.
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
        k = int(math.floor(f.sum() + 0.5 + SNAP))
        if k <= 0:
            continue
        order = sorted(range(len(c)), key=lambda i: (-f[i], c[i]))[:k]
        out[c[order]] += 1
    return out


def _repair(hm: HighsModel, col_value: np.ndarray, carry_cols: dict[tuple[str, str], int]
            ) -> tuple[np.ndarray, dict[tuple[str, str], int]]:
    scale = hm.builder.scale
    n = len(col_value)
    v = col_value * scale  # pounds
    is_int = np.zeros(n, dtype=bool)
    xcols = hm.col_of_x[hm.col_of_x >= 0]
    is_int[xcols] = True
    is_int[list(carry_cols.values())] = True
    fl = np.where(is_int, np.floor(np.maximum(v, 0) + SNAP), 0.0)
    frac = np.where(is_int, np.maximum(v, 0) - fl, 0.0)
    binary = is_int & (frac > SNAP)
    cont = ~is_int
    free = binary | cont
    base = np.where(is_int, fl, v)  # the point the MIP moves from
    A = sp.csc_array(hm.matrix)
    shift = A @ base  # in pounds, since A maps pounds*scale... see below
    # rows are in model units: A @ (pounds / scale) in [lower, upper]  =>  A @ pounds in
    # [lower * scale, upper * scale]
    lo = np.where(np.isfinite(hm.row_lower), hm.row_lower * scale - shift, -INF)
    hi = np.where(np.isfinite(hm.row_upper), hm.row_upper * scale - shift, INF)
    keep = np.flatnonzero(free)
    sub = A[:, keep].tocsr()
    col_lo = np.where(binary, 0.0, hm.col_lower * scale - v)[keep]
    col_hi = np.where(binary, 1.0, hm.col_upper * scale - v)[keep]
    col_lo = np.where(np.isfinite(col_lo), col_lo, -INF)
    col_hi = np.where(np.isfinite(col_hi), col_hi, INF)
    # distance for rounding up a fractional amount; breaches may not grow
    cost = np.where(binary, 1.0 - 2.0 * frac, 0.0)[keep]
    breach = np.zeros(n, dtype=bool)
    for i, (kind, _rule) in enumerate(hm.builder.aux_meaning):
        j = hm.col_of_aux[i]
        if kind == "breach" and j >= 0:
            breach[j] = True
    cost = np.where(breach[keep], 1000.0, cost)
    # each stream-year spends the floor or ceiling of what the LP spends
    extra_rows, extra_lo, extra_hi = [], [], []
    pos = {int(j): k for k, j in enumerate(keep)}
    for cols in hm.builder.index.by_stream_year.values():
        js = [int(hm.col_of_x[c]) for c in cols if hm.col_of_x[c] >= 0]
        spent = float(np.maximum(v[js], 0).sum())
        fixed = float(fl[js].sum())
        members = [pos[j] for j in js if binary[j]]
        if not members:
            continue
        extra_rows.append(members)
        extra_lo.append(math.floor(spent + SNAP) - fixed)
        extra_hi.append(math.ceil(spent - SNAP) - fixed)
    rows_A = [sub]
    if extra_rows:
        data = [1.0] * sum(len(r) for r in extra_rows)
        ri = [i for i, r in enumerate(extra_rows) for _ in r]
        ci = [c for r in extra_rows for c in r]
        rows_A.append(sp.csr_array((data, (ri, ci)), shape=(len(extra_rows), len(keep))))
    M = sp.vstack(rows_A).tocsc()
    r_lo = np.concatenate([lo, np.array(extra_lo, dtype=float)])
    r_hi = np.concatenate([hi, np.array(extra_hi, dtype=float)])
    # rows with no free column are constants: already checked by the exact re-check
    lp = highspy.HighsLp()
    lp.num_col_ = len(keep)
    lp.num_row_ = M.shape[0]
    lp.col_cost_ = cost
    lp.col_lower_ = col_lo
    lp.col_upper_ = col_hi
    lp.row_lower_ = r_lo
    lp.row_upper_ = r_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = M.indptr.astype(np.int32)
    lp.a_matrix_.index_ = M.indices.astype(np.int32)
    lp.a_matrix_.value_ = M.data.astype(float)
    lp.a_matrix_.num_col_ = len(keep)
    lp.a_matrix_.num_row_ = M.shape[0]
    lp.integrality_ = [
        highspy.HighsVarType.kInteger if binary[j] else highspy.HighsVarType.kContinuous for j in keep
    ]
    h = new_highs()
    for k, val in {"output_flag": False, "mip_rel_gap": 1e-3, "time_limit": 120.0,
                   "random_seed": 0, "mip_feasibility_tolerance": 1e-7}.items():
        h.setOptionValue(k, val)
    h.passModel(lp)
    h.run()
    if h.getModelStatus() not in (highspy.HighsModelStatus.kOptimal,) and h.getInfo().primal_solution_status != 2:
        raise SolverError(
            "could not round the plan to whole pounds without breaking a rule "
            f"(HiGHS: {h.modelStatusToString(h.getModelStatus())})", code="FO-R04")
    u = np.asarray(h.getSolution().col_value)
    full = fl.copy()
    full[keep] = np.where(binary[keep], fl[keep] + np.round(u), 0.0)
    alloc = np.zeros(hm.n_alloc, dtype=np.int64)
    ok = hm.col_of_x >= 0
    alloc[ok] = full[hm.col_of_x[ok]].astype(np.int64)
    carry = {key: int(full[j]) for key, j in carry_cols.items()}
    return alloc, carry
