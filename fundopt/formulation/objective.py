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
from typing import Any

from fundopt.formulation.builder import Family, LpBuilder, RowInfo, Sense, Term
from fundopt.validation import rows

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


def add_objective(b: LpBuilder) -> None:
    _add_value(b)
    _add_need_penalty(b)
    _add_volatility_penalty(b)
    b.finish()


def _add_value(b: LpBuilder) -> None:
    idx = b.index
    groups = tranche_table(idx.problem.value_tranches)
    of_line: dict[tuple[str, str], list[Tranche]] = {}  # a line's tranches, looked up once
    for (r, a, t), cols in sorted(idx.by_line_year.items()):
        tranches = of_line.get((r, a))
        if tranches is None:
            tranches = of_line[(r, a)] = line_tranches(groups, r, a)
        if len(tranches) == 1:
            b.value("value", b.alloc_terms(cols, tranches[0][1]))
            continue
        rule = f"tranches[{r},{a},{t}]"
        terms: list[Term] = b.alloc_terms(cols)
        for width, value in tranches:
            z = b.aux("tranche", rule, upper_pounds=width)
            terms.append((z, -1.0))
            if value:
                b.value("value", [(z, value)])
        b.row(
            terms,
            Sense.EQ,
            0.0,
            RowInfo(
                Family.ACCOUNTING,
                rule,
                f"Value tranches of {r}'s '{a}' in {t}",
                year=t,
                recipient=r,
            ),
        )


def _add_need_penalty(b: LpBuilder) -> None:
    idx = b.index
    eta = idx.problem.settings.need_penalty
    if eta <= 0:
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
            for r in active:
                share = weights[r] / total_w
                rule = f"need[{r},{t}]"
                terms: list[Term] = b.total(r, t)
                for other in active:
                    terms += b.total(other, t, -share)
                over, under = b.aux("need_over", rule), b.aux("need_under", rule)
                b.value("need_penalty", [(over, -eta), (under, -eta)])
                b.row(
                    [*terms, (over, -1.0), (under, 1.0)],
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
    omega = idx.problem.settings.volatility_penalty
    if omega <= 0:
        return
    for r in sorted(idx.recipient_rows):
        for t in idx.funded_years(r):
            prev = idx.previous(t)
            if not idx.exists_in(r, prev):
                continue
            rule = f"volatility[{r},{t}]"
            terms: list[Term] = b.total(r, t)
            rhs = idx.income.get((r, prev), 0.0) - idx.income.get((r, t), 0.0)
            if prev == idx.baseline_year:
                rhs += idx.baseline.get(r, 0.0)
            else:
                terms += b.total(r, prev, -1.0)
            up, down = b.aux("rise", rule), b.aux("fall", rule)
            b.value("volatility_penalty", [(up, -omega), (down, -omega)])
            b.row(
                [*terms, (up, -1.0), (down, 1.0)],
                Sense.EQ,
                rhs,
                RowInfo(
                    Family.ACCOUNTING,
                    rule,
                    f"Change in {r}'s total funding into {t}",
                    year=t,
                    recipient=r,
                ),
            )
