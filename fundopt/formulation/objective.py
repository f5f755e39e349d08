r"""The objective: value of funding, less penalties. Maximised.

.. math::

    \max\ \underbrace{\sum_{r,a,t}\sum_k v_{r,a,k}\, z_{r,a,t,k}}_{\text{value}}
    - \underbrace{\eta \sum_{r,t} (n^+_{r,t} + n^-_{r,t})}_{\text{need penalty}}
    - \underbrace{\omega \sum_{r,t} (w^+_{r,t} + w^-_{r,t})}_{\text{volatility penalty}}
    - \underbrace{\sum_{\text{soft rules } j} p_j \sigma_j}_{\text{breach penalty}}

*Value* (sheet *Objective weights*): a line's yearly funding
:math:`Y_{r,a,t} = \sum_s x_{r,a,s,t} = \sum_k z_{r,a,t,k}`, :math:`0 \le z_k \le w_k`,
with values :math:`v_1 \ge v_2 \ge \dots` (concave piecewise-linear: diminishing returns).
The most specific rows apply: recipient and activity, then activity, then recipient, then
the blank-blank default; with no rows at all every pound is worth 1. A last tranche with a
width is followed by an unlimited tranche worth 0.

*Need penalty* (setting ``need_penalty`` :math:`\eta`, default 0.05 per £): for each kind
and year, :math:`X_{r,t} - \pi_{r,t}\sum_{r' \in kind} X_{r',t} = n^+ - n^-` where
:math:`\pi_{r,t}` is the recipient's ``need_weight`` over the weights of its kind funded that
year. Recipients without a weight are left out.

*Volatility penalty* (setting ``volatility_penalty`` :math:`\omega`, default 0.02 per £):
:math:`F_{r,t} - F_{r,t-1} = w^+ - w^-` for every funded year whose previous year the
recipient existed in (baseline to first year included).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np

from fundopt.formulation.builder import Family, IncomeRhs, LpBuilder, RowInfo, Sense
from fundopt.formulation.terms import Terms
from fundopt.problem.schema import Goal
from fundopt.problem.validation import rows

if TYPE_CHECKING:
    from fundopt.formulation.index import ProblemIndex

Tranche = tuple[float | None, float]  # (width in £ per year or None, value per £)


def tranche_table(table: Any) -> dict[tuple[str, str], list[Tranche]]:
    """(recipient or '', activity or '') -> tranches in order."""
    groups: dict[tuple[str, str], list[tuple[int, Tranche]]] = defaultdict(list)
    for _, r in rows(table):
        key = (r["recipient"] or "", r["activity"] or "")
        width = None if r["width"] is None else float(r["width"])
        groups[key].append((int(r["tranche"]), (width, float(r["value"]))))
    out = {}
    for key, items in groups.items():
        tranches = [t for _, t in sorted(items)]
        if tranches[-1][0] is not None:
            tranches.append((None, 0.0))
        out[key] = tranches
    return out


def line_tranches(groups: dict[tuple[str, str], list[Tranche]], r: str, a: str) -> list[Tranche]:
    for key in ((r, a), ("", a), (r, ""), ("", "")):
        if key in groups:
            return groups[key]
    return [(None, 1.0)]


def tranche_kinds(index: ProblemIndex, recipient: np.ndarray, activity: np.ndarray
                  ) -> tuple[np.ndarray, list[list[Tranche]]]:
    """Groups of columns by their recipient and activity codes: each group's tranches, as
    its number among the distinct tranche lists, and those lists (each line's looked up
    once)."""
    codes = index.codes
    groups = tranche_table(index.problem.value_tranches)
    r_names, a_names = codes.names["recipient"], codes.names["activity"]
    n_a = len(a_names)
    lines, line_of_group = np.unique(recipient * n_a + activity, return_inverse=True)
    kinds: dict[int, int] = {}
    tables: list[list[Tranche]] = []
    kind_of_line = np.empty(len(lines), dtype=np.int64)
    for i, lk in enumerate(lines.tolist()):
        tranches = line_tranches(groups, r_names[lk // n_a], a_names[lk % n_a])
        k = kinds.get(id(tranches))
        if k is None:
            k = kinds[id(tranches)] = len(tables)
            tables.append(tranches)
        kind_of_line[i] = k
    return kind_of_line[line_of_group], tables


def add_objective(b: LpBuilder) -> None:
    """The measures of the goals value, need and volatility (those some tier optimises;
    value always), then the Pyomo objectives (:meth:`LpBuilder.finish`). Stability's
    measure is recorded by :func:`fundopt.formulation.constraints.stability.add_stability`."""
    with b.defining(Goal.VALUE):
        _add_value(b)
    with b.defining(Goal.NEED):
        _add_need_penalty(b)
    with b.defining(Goal.VOLATILITY):
        _add_volatility_penalty(b)


def _add_value(b: LpBuilder) -> None:
    """Value of every line-year, in (recipient, activity, year) order: a line with one
    tranche adds its columns to the objective at that value; otherwise one variable per
    tranche and a row tying them to the line's funding. Worked out in NumPy (a million
    allocation columns make half a million line-years), with the same variables, rows and
    terms, in the same order, as adding them one line-year at a time."""
    idx = b.index
    codes = idx.codes
    if not b.n_alloc:
        return
    order, starts = codes.runs("recipient", "activity", "year")  # columns by line-year
    sizes = np.diff(np.append(starts, len(order)))
    first = order[starts]  # a column of each line-year
    g_r, g_a = codes.code["recipient"][first], codes.code["activity"][first]
    g_y = codes.code["year"][first]
    r_names, a_names = codes.names["recipient"], codes.names["activity"]
    g_kind, tables = tranche_kinds(idx, g_r, g_a)
    n_tr = np.array([len(t) for t in tables], dtype=np.int64)[g_kind]
    multi = n_tr > 1
    # one-tranche line-years: their columns, worth that tranche's value
    entry_group = np.repeat(np.arange(len(starts)), sizes)
    single_entry = ~multi[entry_group]
    value0 = np.array([t[0][1] for t in tables])
    t_vars = [order[single_entry]]
    t_coef = [value0[g_kind[entry_group[single_entry]]]]
    t_group = [entry_group[single_entry]]
    t_sub = [np.arange(len(order))[single_entry]]
    m_groups = np.flatnonzero(multi)
    if len(m_groups):
        k_m = n_tr[m_groups]
        tranche_of = np.arange(k_m.sum()) - np.repeat(np.cumsum(k_m) - k_m, k_m)
        z_group = np.repeat(m_groups, k_m)
        width = np.array([w if w is not None else np.inf for t in tables for w, _ in t])
        value = np.array([v for t in tables for _, v in t])
        offset = np.concatenate([[0], np.cumsum([len(t) for t in tables])])
        where = offset[g_kind[z_group]] + tranche_of
        rules = [f"tranches[{r_names[r]},{a_names[a]},{codes.names['year'][y]}]"
                 for r, a, y in zip(g_r[m_groups].tolist(), g_a[m_groups].tolist(),
                                    g_y[m_groups].tolist(), strict=True)]
        z = b.aux_block("tranche", np.repeat(np.array(rules, dtype=object), k_m).tolist(),
                        width[where])
        worth = value[where] != 0.0
        t_vars.append(z[worth])
        t_coef.append(value[where][worth])
        t_group.append(z_group[worth])
        t_sub.append(tranche_of[worth])
        # rows: the line-year's columns (1), then its tranche variables (-1)
        in_m = multi[entry_group]
        e_group = np.concatenate([entry_group[in_m], z_group])
        e_sub = np.concatenate([np.arange(len(order))[in_m], len(order) + tranche_of])
        e_var = np.concatenate([order[in_m], z])
        e_val = np.concatenate([np.ones(int(in_m.sum())), -np.ones(len(z))])
        sort = np.lexsort((e_sub, e_group))
        ptr = np.concatenate([[0], np.cumsum(sizes[m_groups] + k_m)])
        years = codes.names["year"]
        infos = [
            RowInfo(Family.ACCOUNTING, rule, f"Value tranches of {r_names[r]}'s "
                    f"'{a_names[a]}' in {years[y]}", year=years[y], recipient=r_names[r])
            for rule, r, a, y in zip(rules, g_r[m_groups].tolist(), g_a[m_groups].tolist(),
                                     g_y[m_groups].tolist(), strict=True)
        ]
    vars_ = np.concatenate(t_vars)
    coef = np.concatenate(t_coef)
    sort_t = np.lexsort((np.concatenate(t_sub), np.concatenate(t_group)))
    b.measure("value", Terms(vars_[sort_t], coef[sort_t]))
    if len(m_groups):
        b.rows_block(ptr, e_var[sort], e_val[sort], Sense.EQ, infos)


def _add_need_penalty(b: LpBuilder) -> None:
    """Pounds away from needs-based shares. Each kind's allocation in a year is an
    auxiliary total (one row), and each recipient's distance is measured against its share
    of that total, so the rows grow with the number of recipients, not its square (400
    recipients summed into each of 400 rows made 160,000 nonzeros a year)."""
    idx = b.index
    if Goal.NEED not in b.goals:
        return
    weights = {
        rid: float(r["need_weight"])  # type: ignore[arg-type]
        for rid, r in idx.recipient_rows.items()
        if r["need_weight"] is not None
    }
    kinds: dict[str, list[str]] = defaultdict(list)
    for rid in sorted(weights):
        kinds[str(idx.recipient_rows[rid]["kind"])].append(rid)
    for kind, members in sorted(kinds.items()):
        for t in idx.horizon:
            active = [r for r in members if t in idx.funded_years(r)]
            total_w = sum(weights[r] for r in active)
            if total_w <= 0:
                continue
            total = b.aux("need_total", f"need_total[{kind},{t}]")
            b.row(
                Terms.join([*(b.total(r, t) for r in active), [(total, -1.0)]]),
                Sense.EQ,
                0.0,
                RowInfo(Family.ACCOUNTING, f"need_total[{kind},{t}]",
                        f"Allocation to every {kind} with a need weight in {t}", year=t),
            )
            for r in active:
                share = weights[r] / total_w
                rule = f"need[{r},{t}]"
                over, under = b.aux("need_over", rule), b.aux("need_under", rule)
                b.measure("need", [(over, 1.0), (under, 1.0)])
                b.row(
                    Terms.join([b.total(r, t), [(total, -share), (over, -1.0), (under, 1.0)]]),
                    Sense.EQ,
                    0.0,
                    RowInfo(
                        Family.ACCOUNTING,
                        rule,
                        f"Distance of {r} from its needs-based share ({kind}) in {t}",
                        year=t,
                        recipient=r,
                    ),
                )


def _add_volatility_penalty(b: LpBuilder) -> None:
    idx = b.index
    if Goal.VOLATILITY not in b.goals:
        return
    for r in sorted(idx.recipient_rows):
        for t in idx.funded_years(r):
            prev = idx.previous(t)
            if not idx.exists_in(r, prev):
                continue
            rule = f"volatility[{r},{t}]"
            terms = b.total(r, t)
            first = prev == idx.baseline_year
            rhs = IncomeRhs(_change_rhs, (float(first), idx.baseline.get(r, 0.0)),
                            ((r, prev), (r, t)))
            if not first:
                terms += b.total(r, prev, -1.0)
            up, down = b.aux("rise", rule), b.aux("fall", rule)
            b.measure("volatility", [(up, 1.0), (down, 1.0)])
            b.row(
                Terms.join((terms, [(up, -1.0), (down, 1.0)])),
                Sense.EQ,
                rhs.pounds(idx.income),
                RowInfo(
                    Family.ACCOUNTING,
                    rule,
                    f"Change in {r}'s total funding into {t}",
                    year=t,
                    recipient=r,
                ),
                rhs_income=rhs,
            )


def _change_rhs(first: float, base: float, income_prev: float, income_t: float) -> float:
    """A volatility row's known part: the change in other income into the year, less the
    baseline from the baseline year."""
    rhs = income_prev - income_t
    if first:
        rhs += base
    return rhs
