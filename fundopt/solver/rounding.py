"""Round a plan to whole pounds without breaking any rule.

1. Carry-forwards are rounded to the nearest pound within their limit.
2. In each stream-year the allocations are rounded by largest remainder, so they add up
   to the nearest whole pound of what the LP spends from that stream, never above what the
   envelope allows (ties broken by the canonical column order, so the result is
   deterministic). A hard rule that sums allocations to an exact whole-pound total (a
   re-plan's confirmed figure) that this misses is then brought back to it by moving a
   pound's rounding between lines of one stream-year, along a chain of such rules where
   needed (:func:`_balanced`).
3. Every rule is re-checked exactly (:func:`fundopt.plan.verify.check_rules`). If some break (a
   binding rule with a fractional right-hand side, typically), HiGHS re-solves from its
   basis with each broken rule tightened by the most whole-pound rounding can move it (the
   sum of its coefficients' sizes, in pounds), and step 2 runs on that point; rounding it
   cannot break those rules again. Up to four rounds, adding any newly broken rules. The
   plan keeps the first solve's objective, duals and binding rules: the margins cost
   pounds, not the optimum.
4. If that fails (rules that hold only exactly, say), a small integer programme repairs
   the rounding: every LP row holds and every amount stays within £100 of the LP's; it
   takes the first such plan HiGHS finds (a deterministic stop), with the total distance
   from the LP's amounts as its objective.
5. A relaxed plan only (``elastic``): if no whole-pound plan keeps every rule the
   relaxation kept (its plan sits on several limits at once, each with a fraction of a
   pound, and whole pounds cannot meet them all), the largest-remainder plan is kept and
   the negotiable rules (a penalty on sheet *Negotiability*) it breaks may break, each by
   what it misses (pence, as rounding moves each amount by under £1), the cheapest
   (by penalty) where the objective's own columns leave a choice; each such break is
   allowed (``allow``) and listed with the others.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from fundopt.errors import SolverError
from fundopt.formulation.builder import Family, Row
from fundopt.solver.highs import INF, HighsModel, new_highs, pass_lp

SNAP = 1e-6  # pounds: closer than this to a whole pound counts as whole
REACH = 100  # pounds the repair may move an amount beyond its floor or ceiling
HALF_PENNY = 0.005
MAX_RESOLVES = 10  # re-solves with rounding margins before the integer repair
CHAIN_SEARCH_LINES = 200_000  # lines one search for a chain of moves may look at


def round_plan(
    hm: HighsModel,
    col_value: np.ndarray,
    failures: Callable[[np.ndarray, dict[tuple[str, str], int]], set[str]],
    room: np.ndarray | None = None,
    *,
    elastic: np.ndarray | None = None,
    allow: Callable[[Mapping[str, float]], None] | None = None,
) -> tuple[np.ndarray, dict[tuple[str, str], int], str]:
    """Whole-pound allocations (per allocation variable) and carry-forwards.

    ``failures(alloc, carry)`` re-checks the hard rules exactly and returns the ids of
    those that fail (empty: all hold). ``room`` (model units, per row) is how far rounding
    may take a row past its limit: a relaxed plan's broken rules get their rounding reach
    (:func:`reach_of_rows`) there, and ``failures`` allows it, so they need no margin.
    ``elastic`` (a relaxed plan's: per row, the cost of a pound of its breach, 0 where it
    may not break) and ``allow`` (told each rule broken and by how many whole pounds, so
    that ``failures`` allows it) are step 5 of the module's. Returns the method used.
    """
    room = np.zeros(len(hm.row_lower)) if room is None else room
    carry_cols = _carry_columns(hm)
    sums = _whole_sums(hm)  # the rows rounding keeps at their totals (_balanced)
    first = alloc, carry = _round_point(hm, col_value, carry_cols, sums)
    # the exact check is only worth its time if the rows, in floating point, look kept;
    # if they do not, the rules they break are where the margins start (the exact check
    # of the next rounding adds any it finds besides)
    bad: set[str] | None = None  # not checked yet
    missed = _broken_rows(hm, col_value, alloc, carry, carry_cols, room)
    if not len(missed):
        bad = failures(alloc, carry)
        if not bad:
            return alloc, carry, "largest remainder per stream-year"
    # first, every near-binding hard rule at once (one re-solve usually settles it)
    near = _near_binding(hm, col_value, carry_cols, room)
    point = _tightened_point(hm, col_value, carry_cols, near) if near else None
    if point is not None:
        alloc, carry = _round_point(hm, point, carry_cols, sums)
        bad = failures(alloc, carry)
        if not bad:
            return alloc, carry, (
                f"largest remainder after a re-solve with rounding margins on {len(near)} rules"
            )
    elif bad is None:
        bad = {hm.builder.rows[i].info.rule for i in missed.tolist()}
    # else only the rules rounding broke, adding those that newly break, round by round
    row_of = {r.info.rule: i for i, r in enumerate(hm.builder.rows)}
    tight: set[int] = set()
    for _ in range(MAX_RESOLVES):
        new = {row_of[rule] for rule in bad if rule in row_of and not room[row_of[rule]]} - tight
        if not new:
            break
        tight |= new
        point = _tightened_point(hm, col_value, carry_cols, sorted(tight))
        if point is None:
            break
        alloc, carry = _round_point(hm, point, carry_cols, sums)
        bad = failures(alloc, carry)
        if not bad:
            return alloc, carry, (
                f"largest remainder after a re-solve with rounding margins on {len(tight)} rules"
            )
    # a priority tier's row sums nearly every allocation: with it the integer programme can
    # take minutes to find a first plan (a re-plan's promises on the reference model: over
    # 120 s; without it 0.3 s). Rounding moves each amount by under REACH pounds, which
    # rarely costs a tier its give, so the repair first leaves those rows out; the exact
    # check below holds them, and only if one is broken is the repair run with them.
    may_break = elastic is not None and allow is not None and bool(np.any(elastic > 0))
    try:
        alloc, carry = _repair(hm, col_value, carry_cols, room, with_tier_rows=False)
        if failures(alloc, carry) and any(_is_tier_row(r) for r in hm.builder.rows):
            alloc, carry = _repair(hm, col_value, carry_cols, room)
        if not failures(alloc, carry):
            return alloc, carry, "integer repair of largest-remainder rounding"
    except SolverError:
        if not may_break:
            raise
    if may_break and elastic is not None and allow is not None:
        alloc, carry, broken = _repair_breaking(hm, col_value, carry_cols, room, elastic,
                                                first)
        allow(broken)
        if not failures(alloc, carry):
            return alloc, carry, (
                f"largest remainder, breaking {len(broken)} more negotiable rule(s) by "
                "what whole pounds miss")
    if failures(alloc, carry):
        raise SolverError(
            "could not round the plan to whole pounds without breaking a rule; the rules are "
            "too tight for whole pounds (check rates and amounts with fractions of a pound)",
            code="FO-R04",
        )
    return alloc, carry, "integer repair of largest-remainder rounding"


def _broken_rows(
    hm: HighsModel, col_value: np.ndarray, alloc: np.ndarray,
    carry: dict[tuple[str, str], int], carry_cols: dict[tuple[str, str], int],
    room: np.ndarray,
) -> np.ndarray:
    """The hard rules' rows the whole-pound point misses by clearly more than the penny
    the exact check allows (a floating-point look, used only to skip that check)."""
    from fundopt.formulation.builder import Family

    scale = hm.builder.scale
    point = col_value.copy()
    ok = hm.col_of_x >= 0
    point[hm.col_of_x[ok]] = alloc[ok] / scale
    for key, j in carry_cols.items():
        point[j] = carry[key] / scale
    value = _matrix(hm) @ point
    hard = np.array([r.penalty is None and r.info.family is not Family.ACCOUNTING
                     for r in hm.builder.rows], dtype=bool)
    miss = (np.maximum(hm.row_lower - value, value - hm.row_upper) - room) * scale
    return np.flatnonzero(hard & (miss > 0.02))


def _round_point(
    hm: HighsModel, point: np.ndarray, carry_cols: dict[tuple[str, str], int],
    sums: dict[int, tuple[np.ndarray, int]],
) -> tuple[np.ndarray, dict[tuple[str, str], int]]:
    scale = hm.builder.scale
    x = np.maximum(point[hm.col_of_x] * scale, 0.0) if hm.n_alloc else np.zeros(0)
    carry = {}
    for key, j in carry_cols.items():
        raw = max(point[j] * scale, 0.0)
        carry[key] = min(math.floor(raw + 0.5), math.floor(hm.col_upper[j] * scale + SNAP))
    return _balanced(hm, sums, x, _largest_remainder(hm, x, carry)), carry


def _balanced(hm: HighsModel, sums: dict[int, tuple[np.ndarray, int]], x: np.ndarray,
              out: np.ndarray) -> np.ndarray:
    """``out`` (whole-pound allocations, rounded from ``x`` per stream-year) with each hard
    rule that sums allocations to an exact whole-pound total (a re-plan's confirmed figure:
    a recipient's total in a year) brought back to it where rounding missed. A pound's
    rounding moves between two lines of one stream-year (one rounded down instead of up,
    the other up instead of down), so the stream-year's sum is unchanged and every amount
    stays within £1 of the LP's; a chain of such moves through other rules' lines (each
    gaining and losing a pound) is found by breadth-first search, as in a flow's augmenting
    path. (Largest remainder per stream-year takes no account of recipients' totals, and
    an equality no rounding margin can keep: on a generated 10k problem's re-plan 8 such
    rules broke, and the integer repair that mended them took 129 s at 1M.) Lines in two
    such rules are left alone; the exact check judges the result. Deterministic: rules,
    stream-years and lines in a fixed order."""
    if not sums:
        return out
    miss = {i: int(out[v].sum()) - total for i, (v, total) in sums.items()}
    if not any(miss.values()):
        return out
    out = out.copy()
    owner = np.full(len(x), -1, dtype=np.int64)  # the rule a line is in; -2: in two
    for i, (v, _) in sums.items():
        owner[v] = np.where(owner[v] == -1, i, -2)
    group = np.full(len(x), -1, dtype=np.int64)
    for g, cols in enumerate(hm.builder.index.by_stream_year.values()):
        group[np.asarray(cols, dtype=np.int64)] = g
    usable = (owner != -2) & (group >= 0)
    # the lines that may take a pound off their rule (sign 1: rounded up now, may round
    # down; smallest fraction first) or put one on (-1: rounded down with a fraction, may
    # round up; largest first); a line once moved is used
    key = {1: x - np.floor(x + SNAP), -1: np.floor(x + SNAP) - x}
    movable = {1: usable & (out > x + SNAP), -1: usable & (out < x - SNAP)}
    by_group = {s: _by_group(np.flatnonzero(movable[s]), group, key[s]) for s in (1, -1)}
    used = np.zeros(len(x), dtype=bool)

    def lines(rule: int, sign: int) -> list[int]:
        v = sums[rule][0]
        v = v[movable[sign][v] & ~used[v]]
        return v[np.lexsort((v, key[sign][v]))].tolist()

    for sign in (1, -1):  # rules over their total, then those under it
        for rule in sorted(i for i in miss if miss[i] * sign > 0):
            while miss[rule] * sign > 0:
                path = _chain(rule, sign, miss, owner, group, by_group[-sign], used, lines)
                if path is None:
                    break
                for j, m in path:  # j rounds down, m rounds up
                    out[j] -= 1
                    out[m] += 1
                    used[j] = used[m] = True
                    for line, step in ((j, -1), (m, 1)):
                        if owner[line] >= 0:
                            miss[int(owner[line])] += step
    return out


def _by_group(cols: np.ndarray, group: np.ndarray, key: np.ndarray) -> dict[int, list[int]]:
    order = cols[np.lexsort((cols, key[cols], group[cols]))]
    out: dict[int, list[int]] = {}
    for j in order.tolist():
        out.setdefault(int(group[j]), []).append(j)
    return out


def _chain(rule: int, sign: int, miss: dict[int, int], owner: np.ndarray, group: np.ndarray,
           partners: dict[int, list[int]], used: np.ndarray,
           lines: Callable[[int, int], list[int]]) -> list[tuple[int, int]] | None:
    """The moves (line down, line up) that take a pound off ``rule`` (``sign`` 1) or put
    one on (-1): one of its ``lines`` against a line of ``partners`` (per stream-year, those
    moving the other way), ending at a line in no such rule or at a rule missing the other
    way; each rule between gains and loses one. None if there is none within
    :data:`CHAIN_SEARCH_LINES` lines looked at (the integer repair then mends it)."""
    parent: dict[int, tuple[int, tuple[int, int]] | None] = {rule: None}
    queue = [rule]
    budget = CHAIN_SEARCH_LINES
    while queue:
        a = queue.pop(0)
        for j in lines(a, sign):
            for m in partners.get(int(group[j]), []):
                budget -= 1
                if budget < 0:
                    return None
                if used[m]:
                    continue
                b = int(owner[m])
                step = (j, m) if sign > 0 else (m, j)
                if b == -1 or miss.get(b, 0) * sign < 0:
                    path = [step]
                    while (back := parent[a]) is not None:
                        a, move = back
                        path.append(move)
                    return path
                if b not in parent:
                    parent[b] = (a, step)
                    queue.append(b)
    return None


def _whole_sums(hm: HighsModel) -> dict[int, tuple[np.ndarray, int]]:
    """Hard equality rows whose entries are all 1 on allocation columns and whose total is
    a whole number of pounds: row -> (its allocation variables, sorted; the total)."""
    scale = hm.builder.scale
    lo, hi = hm.row_lower, hm.row_upper
    A = _matrix(hm)
    n_rows = len(lo)
    var_of_col = np.full(A.shape[1], -1, dtype=np.int64)
    ok = hm.col_of_x >= 0
    var_of_col[hm.col_of_x[ok]] = np.flatnonzero(ok)
    entry_var = var_of_col[np.repeat(np.arange(A.shape[1]), np.diff(A.indptr))]
    size = np.bincount(A.indices, minlength=n_rows)
    total = np.where(np.isfinite(lo), lo, 0.0) * scale
    # every entry of the row 1, on an allocation column
    bad = np.bincount(A.indices, weights=(A.data != 1.0) | (entry_var < 0), minlength=n_rows)
    keep = ((lo == hi) & np.isfinite(lo) & (size > 0) & (bad == 0)
            & (np.abs(total - np.round(total)) <= SNAP))
    keep[len(hm.builder.rows):] = False
    keep[[i for i in np.flatnonzero(keep).tolist()
          if hm.builder.rows[i].penalty is not None]] = False
    if not keep.any():
        return {}
    # the entries of those rows, by row and then variable (the columns' order)
    on = keep[A.indices]
    row, var = A.indices[on], entry_var[on]
    order = np.lexsort((var, row))
    row, var = row[order], var[order]
    starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
    return {i: (v, round(float(total[i])))
            for i, v in zip(row[starts].tolist(), np.split(var, starts[1:]), strict=True)}


def _largest_remainder(
    hm: HighsModel, x: np.ndarray, carry: dict[tuple[str, str], int]
) -> np.ndarray:
    fl = np.floor(x + SNAP)
    frac = np.where(x - fl > SNAP, x - fl, 0.0)
    out = fl.astype(np.int64)
    room = _envelope_room(hm, carry)
    for key, cols in hm.builder.index.by_stream_year.items():
        c = np.asarray(cols)
        f = frac[c]
        k = math.floor(f.sum() + 0.5 + SNAP)
        if key in room:  # never above what the envelope (with carries) allows
            low, high = room[key]
            spent = int(out[c].sum())
            k = min(k, high - spent) if low is None else low - spent
        k = max(0, min(k, int(np.count_nonzero(f))))
        if k <= 0:
            continue
        order = np.lexsort((c, -f))[:k]  # largest fraction first, ties by column
        out[c[order]] += 1
    return out


def _envelope_room(
    hm: HighsModel, carry: dict[tuple[str, str], int]
) -> dict[tuple[str, str], tuple[int | None, int]]:
    """(stream, year) -> (exact spend if must-spend else None, most it may spend), whole
    pounds, given the rounded carries."""
    from fundopt.formulation.builder import Family

    scale = hm.builder.scale
    horizon = hm.builder.index.horizon
    out: dict[tuple[str, str], tuple[int | None, int]] = {}
    for i, row in enumerate(hm.builder.rows):
        if row.info.family is not Family.ENVELOPE:
            continue
        s, t = row.info.stream, row.info.year
        k = horizon.index(t)
        shift = carry.get((s, horizon[k - 1]), 0) if k > 0 else 0
        shift -= carry.get((s, t), 0)
        upper = hm.row_upper[i] * scale + shift
        exact = hm.row_lower[i] == hm.row_upper[i]
        out[(s, t)] = (round(upper) if exact else None, math.floor(upper + SNAP))
    return out


def _near_binding(
    hm: HighsModel, col_value: np.ndarray, carry_cols: dict[tuple[str, str], int],
    room: np.ndarray,
) -> list[int]:
    """Hard inequality rules within rounding's reach of their limit, but for those with
    room past it. Glide paths are left out: their steps are whole pounds, so they round
    exactly, and they hold only exactly."""
    from fundopt.formulation.builder import Family

    skip = (Family.ACCOUNTING, Family.ENVELOPE, Family.GLIDE_PATH)
    hard = np.array([r.penalty is None and r.info.family not in skip for r in hm.builder.rows],
                    dtype=bool)
    if not hard.any():
        return []
    A = _matrix(hm)
    reach = _reach(hm, A, carry_cols)
    value = A @ col_value
    lo, hi = hm.row_lower, hm.row_upper
    ineq = lo != hi
    near = hard & ineq & (room == 0) & (
        (np.isfinite(lo) & (value - lo < reach)) | (np.isfinite(hi) & (hi - value < reach))
    )
    return [int(i) for i in np.flatnonzero(near)]


def _matrix(hm: HighsModel) -> sp.csc_array:
    """The LP's matrix as HighsModel holds it, in compressed columns. Rounding reads it
    as it is: a copy in compressed rows would cost as much memory again (62 MB on a
    400-recipient problem, held through its re-solves, when memory peaks)."""
    return hm.matrix


def _reach(
    hm: HighsModel, A: sp.csc_array, carry_cols: dict[tuple[str, str], int],
) -> np.ndarray:
    """Per row of ``A``, in model units, the most whole-pound rounding can move it."""
    moving = np.zeros(A.shape[1])
    moving[hm.col_of_x[hm.col_of_x >= 0]] = 1.0
    moving[list(carry_cols.values())] = 1.0
    # each allocation and carry moves by under £1 = 1/scale model units; the extra 2e-7
    # units covers HiGHS's own feasibility tolerance (1e-7)
    return (abs(A) @ moving) / hm.builder.scale + 2e-7


def reach_of_rows(hm: HighsModel, rows: np.ndarray) -> np.ndarray:
    """Per row (model units), the most whole-pound rounding can move it."""
    return _reach(hm, _matrix(hm)[np.asarray(rows, dtype=np.int64), :], _carry_columns(hm))


def _carry_columns(hm: HighsModel) -> dict[tuple[str, str], int]:
    """(stream, year) -> the LP column of its carry-forward."""
    return {key: int(hm.col_of_aux[v - hm.n_alloc]) for key, v in hm.builder.carry.items()}


def _tightened_point(
    hm: HighsModel, col_value: np.ndarray, carry_cols: dict[tuple[str, str], int],
    rows: list[int],
) -> np.ndarray | None:
    """The LP re-solved (from its basis) with each of ``rows`` tightened by the most
    whole-pound rounding can move it, or None if that LP is not optimal. The model's own
    bounds are restored after."""
    h = hm.highs
    idx = np.asarray(rows, dtype=np.int64)
    reach = _reach(hm, _matrix(hm)[idx, :], carry_cols)
    lo, hi = hm.row_lower[idx], hm.row_upper[idx]
    equal = lo == hi
    new_lo = np.where(np.isfinite(lo) & ~equal, lo + reach, lo)
    new_hi = np.where(np.isfinite(hi) & ~equal, hi - reach, hi)
    if np.any(new_lo > new_hi):
        return None
    # the bounds HiGHS holds go back after (a priority tier's row is held tighter in the
    # LP than ``hm`` describes it: fundopt.solver.tiers.TierSolve.rounding)
    _, _, held_lo, held_hi, _ = h.getRows(len(idx), idx.astype(np.int32))
    held_lo, held_hi = np.asarray(held_lo), np.asarray(held_hi)
    # a row held at the bound it binds on (an earlier tier's optimal face,
    # fundopt.solver.tiers.Face) stays held, at the tightened bound
    pinned = (held_lo == held_hi) & ~equal
    on_lo = pinned & (held_lo == lo)
    on_hi = pinned & ~on_lo
    new_lo, new_hi = np.maximum(new_lo, held_lo), np.minimum(new_hi, held_hi)
    new_hi[on_lo] = new_lo[on_lo]
    new_lo[on_hi] = new_hi[on_hi]
    h.changeRowsBounds(len(idx), idx.astype(np.int32), new_lo, new_hi)  # type: ignore[attr-defined]
    try:
        point = _optimum(h)
        if point is None:
            point = _with_tiers_widened(hm, idx)
    finally:
        h.changeRowsBounds(  # type: ignore[attr-defined]
            len(idx), idx.astype(np.int32), held_lo, held_hi)
    return point


def _optimum(h: highspy.Highs) -> np.ndarray | None:
    h.run()
    ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return np.asarray(h.getSolution().col_value) if ok else None


def _with_tiers_widened(hm: HighsModel, tightened: np.ndarray) -> np.ndarray | None:
    """The re-solve again with each priority tier's row (but those being tightened) at the
    bound ``hm`` gives it, the whole give and rounding's reach, instead of the LP's half
    give: the margins cost some of an earlier tier's measure, which a give of nothing (or
    less than the margins cost) cannot pay. None if there is no such row, or no optimum."""
    tiers = np.array([i for i, row in enumerate(hm.builder.rows)
                      if row.info.rule.startswith("tier[") and i not in set(tightened.tolist())],
                     dtype=np.int32)
    if not len(tiers):
        return None
    h = hm.highs
    _, _, held_lo, held_hi, _ = h.getRows(len(tiers), tiers)
    h.changeRowsBounds(len(tiers), tiers, hm.row_lower[tiers], hm.row_upper[tiers])  # type: ignore[attr-defined]
    try:
        return _optimum(h)
    finally:
        h.changeRowsBounds(len(tiers), tiers, np.asarray(held_lo), np.asarray(held_hi))  # type: ignore[attr-defined]


def _is_tier_row(row: Row) -> bool:
    """Whether ``row`` keeps a priority tier within its give (fundopt.solver.tiers)."""
    return row.info.family is Family.ACCOUNTING and row.info.rule.startswith("tier[")


def _repair_breaking(
    hm: HighsModel, col_value: np.ndarray, carry_cols: dict[tuple[str, str], int],
    room: np.ndarray, elastic: np.ndarray,
    first: tuple[np.ndarray, dict[tuple[str, str], int]],
) -> tuple[np.ndarray, dict[tuple[str, str], int], dict[str, float]]:
    """The largest-remainder plan of the LP's point (``first``), its whole pounds held,
    with each row that has an ``elastic`` cost allowed to miss its limit at that cost a pound: an LP
    over the objective's own columns (which follow the whole pounds) and the misses (an
    integer programme that could also move amounts took minutes on the reference model's
    deep cuts, and its first plan would depend on a time limit). Returns the plan and,
    per rule broken, the whole pounds (rounded up) it is broken by."""
    start = _repair_start(hm, col_value, carry_cols)
    matrix, lo, hi = _repair_rows(hm, start, room)
    cost, col_lo, col_hi = _repair_columns(hm, start)
    k = len(start.movable)
    # the whole pounds of largest remainder, as the columns u, w, d of each movable amount
    alloc, carry = first
    full = start.floor.copy()
    ok = hm.col_of_x >= 0
    full[hm.col_of_x[ok]] = alloc[ok]
    for key, j in carry_cols.items():
        full[j] = carry[key]
    delta = full[start.movable] - start.floor[start.movable]
    fixed = np.concatenate([np.clip(delta, 0, 1), np.maximum(delta - 1, 0),
                            np.maximum(-delta, 0)])
    col_lo[:3 * k], col_hi[:3 * k] = fixed, fixed
    n_rows = len(hm.row_lower)
    which = np.flatnonzero(elastic[:n_rows] > 0)
    below = which[np.isfinite(lo[which])]  # the body may fall short of its lower limit
    above = which[np.isfinite(hi[which])]  # ... or exceed its upper limit
    m = matrix.shape[0]
    slack = sp.hstack([
        sp.csc_array((np.ones(len(below)), (below, np.arange(len(below)))),
                     shape=(m, len(below))),
        sp.csc_array((-np.ones(len(above)), (above, np.arange(len(above)))),
                     shape=(m, len(above))),
    ])
    n_slack = len(below) + len(above)
    sol = _first_whole_plan(
        sp.hstack([matrix, slack]).tocsc(),
        np.concatenate([col_lo, np.zeros(n_slack)]),
        np.concatenate([col_hi, np.full(n_slack, INF)]),
        np.concatenate([cost, elastic[np.concatenate([below, above])]]),
        lo, hi, 0, whole=3 * k)
    alloc, carry = _whole(hm, start, carry_cols, sol[:3 * k])
    missed = sol[matrix.shape[1]:]
    broken: dict[str, float] = {}
    for i, amount in zip(np.concatenate([below, above]).tolist(), missed.tolist(), strict=True):
        if amount > HALF_PENNY:
            rule = hm.builder.rows[i].info.rule
            broken[rule] = broken.get(rule, 0.0) + float(math.ceil(amount - 1e-9))
    return alloc, carry, broken


def _repair(
    hm: HighsModel, col_value: np.ndarray, carry_cols: dict[tuple[str, str], int],
    room: np.ndarray, *, with_tier_rows: bool = True,
) -> tuple[np.ndarray, dict[tuple[str, str], int]]:
    """Integer programme: whole-pound amounts near the LP's that keep every LP row.

    Each positive amount x (floor f_, fraction q) becomes f_ + u + w - d with u in {0, 1}
    (cost 1 - 2q: the change in distance from x), w, d in 0..REACH (cost 1 a pound): the
    objective is the total distance from the LP's amounts, but the first plan HiGHS finds
    is taken (see the module's step 4). Amounts the LP set to zero stay zero; the
    objective's own variables (tranches, penalties) follow freely, except that no soft
    rule's breach may grow.
    """
    start = _repair_start(hm, col_value, carry_cols)
    matrix, lo, hi = _repair_rows(hm, start, room)
    if not with_tier_rows:
        tier = np.flatnonzero([_is_tier_row(r) for r in hm.builder.rows])
        lo[tier], hi[tier] = -INF, INF
    cost, col_lo, col_hi = _repair_columns(hm, start)
    k = len(start.movable)
    sol = _first_whole_plan(matrix, col_lo, col_hi, cost, lo, hi, 3 * k)
    return _whole(hm, start, carry_cols, sol)


def _whole(hm: HighsModel, start: _RepairStart, carry_cols: dict[tuple[str, str], int],
           sol: np.ndarray) -> tuple[np.ndarray, dict[tuple[str, str], int]]:
    """The allocations and carry-forwards of the integer programme's columns u, w, d."""
    k = len(start.movable)
    full = start.floor.copy()
    full[start.movable] = start.floor[start.movable] + sol[:k] + sol[k : 2 * k] - sol[2 * k :]
    alloc = np.zeros(hm.n_alloc, dtype=np.int64)
    ok = hm.col_of_x >= 0
    alloc[ok] = full[hm.col_of_x[ok]].astype(np.int64)
    carry = {key: int(full[j]) for key, j in carry_cols.items()}
    return alloc, carry


@dataclass(frozen=True)
class _RepairStart:
    """The LP's point in pounds, and where the integer programme starts from it: each
    whole-pound amount (allocation or carry) at its floor, the rest as the LP has them."""

    pounds: np.ndarray  # every column, in pounds
    floor: np.ndarray  # whole-pound columns: the floor; others 0
    fraction: np.ndarray  # whole-pound columns: the fraction above the floor, if not noise
    movable: np.ndarray  # whole-pound columns the LP made positive
    cont: np.ndarray  # the objective's own variables: continuous
    point: np.ndarray  # the floors, and the LP's values of the rest


def _repair_start(
    hm: HighsModel, col_value: np.ndarray, carry_cols: dict[tuple[str, str], int]
) -> _RepairStart:
    v = col_value * hm.builder.scale
    is_int = np.zeros(len(col_value), dtype=bool)
    is_int[hm.col_of_x[hm.col_of_x >= 0]] = True
    is_int[list(carry_cols.values())] = True
    pos_v = np.maximum(v, 0)
    fl = np.where(is_int, np.floor(pos_v + SNAP), 0.0)
    frac = np.where(is_int, pos_v - fl, 0.0)
    frac = np.where(frac > SNAP, frac, 0.0)
    return _RepairStart(
        pounds=v, floor=fl, fraction=frac, movable=np.flatnonzero(is_int & (pos_v > SNAP)),
        cont=np.flatnonzero(~is_int), point=np.where(is_int, fl, v),
    )


def _repair_rows(
    hm: HighsModel, start: _RepairStart, room: np.ndarray
) -> tuple[sp.csc_array, np.ndarray, np.ndarray]:
    """The integer programme's rows: every LP row in pounds, relative to the start (columns
    u, w, d of the movable amounts, then the continuous ones), and a movable amount's own
    upper bound (a carry limit) kept as a row."""
    scale = hm.builder.scale
    movable, cont, fl = start.movable, start.cont, start.floor
    A = sp.csc_array(hm.matrix)
    shift = A @ start.point
    # rows in model units: A @ (pounds / scale) in [lower, upper]  =>  A @ pounds in
    # [lower * scale, upper * scale]
    # each row may miss its limit by half a penny (the exact check allows a penny): a share
    # whose least and most are equal (12% exactly) is otherwise out of reach of whole pounds
    lo = np.where(np.isfinite(hm.row_lower),
                  (hm.row_lower - room) * scale - shift - HALF_PENNY, -INF)
    hi = np.where(np.isfinite(hm.row_upper),
                  (hm.row_upper + room) * scale - shift + HALF_PENNY, INF)
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
    return M.tocsc(), lo, hi


def _repair_columns(
    hm: HighsModel, start: _RepairStart
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cost, lower, upper) of the columns u, w, d of the movable amounts, then of the
    continuous ones: their own bounds, relative to the LP's values; a soft rule's breach
    costs enough that it never grows to make room."""
    scale = hm.builder.scale
    movable, cont, fl, v = start.movable, start.cont, start.floor, start.pounds
    k = len(movable)
    breach = np.zeros(len(v), dtype=bool)
    for i, (kind, _rule) in enumerate(hm.builder.aux_meaning):
        j = hm.col_of_aux[i]
        if kind == "breach" and j >= 0:
            breach[j] = True
    cost = np.concatenate(
        [1.0 - 2.0 * start.fraction[movable], np.ones(k), np.ones(k),
         np.where(breach[cont], 1000.0, 0.0)]
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
    return cost, col_lo, col_hi


def _first_whole_plan(
    matrix: sp.csc_array, col_lo: np.ndarray, col_hi: np.ndarray, cost: np.ndarray,
    lo: np.ndarray, hi: np.ndarray, n_integer: int, whole: int | None = None,
) -> np.ndarray:
    """The integer columns (the first ``n_integer``) of the first feasible plan HiGHS finds
    for the integer programme, as whole numbers; with ``whole``, every column, the first
    ``whole`` of them rounded."""
    h = new_highs()
    for key, val in {
        # the first whole-pound plan HiGHS finds (each amount within REACH of the LP's), not
        # the nearest: proving the nearest can take minutes (the reference model with a 12%
        # prevent share exactly: 5% gap after 30 s), and stopping at a time limit would make
        # the plan depend on the machine's speed. This stop is deterministic.
        "mip_max_improving_sols": 1,
        "mip_rel_gap": 1e-4,
        "time_limit": 120.0,  # a safeguard only: no plan is taken from a run stopped by it
        "random_seed": 0,
        "mip_feasibility_tolerance": 1e-7,
    }.items():
        h.setOptionValue(key, val)
    integer = int(highspy.HighsVarType.kInteger)
    pass_lp(h, matrix, col_lo, col_hi, cost, lo, hi, maximise=False,
            integrality=np.repeat([integer, 0], [n_integer, matrix.shape[1] - n_integer]))
    h.run()
    ms = highspy.HighsModelStatus
    status = h.getModelStatus()
    if status not in (ms.kOptimal, ms.kSolutionLimit) or h.getInfo().primal_solution_status != 2:
        raise SolverError(
            "could not round the plan to whole pounds without breaking a rule "
            f"(HiGHS: {h.modelStatusToString(status)})",
            code="FO-R04",
        )
    value = np.asarray(h.getSolution().col_value)
    if whole is None:
        return np.round(value[:n_integer])
    return np.concatenate([np.round(value[:whole]), value[whole:]])
