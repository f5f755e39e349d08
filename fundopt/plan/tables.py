"""Turn a solved model into a Plan's tidy tables (allocations, totals, shadow prices, ...)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fundopt.formulation.builder import Family, Row, Sense
from fundopt.formulation.constraints.cliff_edges import cliff_edge_limits
from fundopt.formulation.index import ProblemIndex
from fundopt.formulation.terms import Terms
from fundopt.plan.plan import TIER_COLUMNS, Plan, PlanStatus, SolverInfo
from fundopt.problem import FundingProblem
from fundopt.problem.validation import rows

if TYPE_CHECKING:
    from fundopt.solver.highs import HighsModel
    from fundopt.solver.tiers import TierSolve

BIND_TOL = 1e-7  # model units (about 10p at £m scale)


def allocation_table(index: ProblemIndex, alloc: np.ndarray) -> pd.DataFrame:
    a = index.alloc
    nz = np.flatnonzero(alloc)
    out = a.iloc[nz].reset_index(drop=True).copy()
    out["amount"] = alloc[nz].astype(np.int64)
    return out[["recipient", "activity", "stream", "year", "amount"]]


def carry_table(carry: dict[tuple[str, str], int]) -> pd.DataFrame:
    items = sorted((s, t, v) for (s, t), v in carry.items() if v)
    return pd.DataFrame(items, columns=["stream", "year", "amount"]).astype({"amount": "int64"})


def assemble_plan(
    problem: FundingProblem,
    hm: HighsModel,
    col_value: np.ndarray,
    row_dual: np.ndarray,
    allocations: pd.DataFrame,
    carry_forward: pd.DataFrame,
    checks: pd.DataFrame,
    info: SolverInfo,
    status: PlanStatus,
    *,
    row_value: np.ndarray | None = None,
    objective: float | None = None,
) -> Plan:
    b = hm.builder
    index = b.index
    scale = b.scale
    col_of = np.concatenate([hm.col_of_x, hm.col_of_aux])
    terms = {name: _term_value(ts, col_of, col_value) * scale
             for name, ts in sorted(b.objective_terms.items())}
    if row_value is None:
        row_value = np.asarray(hm.highs.getSolution().row_value)
    if objective is None:
        objective = float(hm.highs.getInfo().objective_function_value)
    rows = b.rows
    kinds = RowKinds(rows)
    price, bound_rows = prices_and_binding(kinds, row_dual, row_value, hm.row_lower,
                                           hm.row_upper)
    user = kinds.user
    kept = np.flatnonzero(user)
    words = pd.DataFrame(
        [(r.info.family.value, r.info.rule, r.info.description, r.info.year,
          r.info.recipient, r.info.stream) for r in (rows[i] for i in kept.tolist())],
        columns=["family", "rule", "description", "year", "recipient", "stream"],
    )
    shadow_prices = words.assign(value=price[kept])
    bound = bound_rows[kept]
    binding = words.loc[bound].assign(shadow_price=price[kept][bound]).reset_index(drop=True)
    breaches = []
    # an accounting row's priced deviation (a re-plan's move from an indicative figure) is
    # part of the objective, not a broken rule: its own term, and not a breach
    measured = {r.info.rule for r in rows
                if r.info.family is Family.ACCOUNTING and r.penalty is not None}
    moved = 0.0
    for i, (kind, rule) in enumerate(b.aux_meaning):
        j = hm.col_of_aux[i]
        if kind == "breach" and j >= 0 and rule in measured:
            moved += float(hm.cost[j] * col_value[j]) * scale
        elif kind == "breach" and j >= 0 and col_value[j] * scale > 0.005:
            breaches.append(
                {"rule": rule, "amount": float(col_value[j] * scale), "penalty": float(-hm.cost[j])}
            )
    if measured:
        terms["breach_penalty"] = terms.get("breach_penalty", 0.0) - moved
        terms["replan_change"] = moved
    return Plan(
        problem=problem,
        status=status,
        objective=objective * scale,
        objective_terms=terms,
        allocations=allocations,
        totals=totals_table(problem, index, allocations),
        stream_use=stream_use_table(problem, index, allocations, carry_forward),
        carry_forward=carry_forward,
        shadow_prices=shadow_prices,
        binding=binding,
        breaches=pd.DataFrame(breaches, columns=["rule", "amount", "penalty"]),
        checks=checks,
        solver=info,
    )


class RowKinds:
    """Per row: is it a user's rule (not an accounting row), and the sign that turns its
    dual into the value of loosening it by £1; plus its family and rule id. A sweep makes
    it once for every scenario changed in place (same rows, same senses)."""

    def __init__(self, rows: Sequence[Row]) -> None:
        self.user = np.fromiter((r.info.family is not Family.ACCOUNTING for r in rows),
                                dtype=bool, count=len(rows))
        self.loosen = np.fromiter((-1.0 if r.sense is Sense.GE else 1.0 for r in rows),
                                  dtype=float, count=len(rows))
        self.family = np.array([r.info.family.value for r in rows], dtype=object)
        self.rule = np.array([r.info.rule for r in rows], dtype=object)

    def named(self, rules: Iterable[str]) -> np.ndarray:
        """Per row, whether it is a user's rule named in ``rules`` (looked up among the
        rules only, not every accounting row)."""
        wanted = set(rules)
        out = np.zeros(len(self.user), dtype=bool)
        user = np.flatnonzero(self.user)
        out[user] = np.fromiter((r in wanted for r in self.rule[user].tolist()), dtype=bool,
                                count=len(user))
        return out


def prices_and_binding(kinds: RowKinds, row_dual: np.ndarray, row_value: np.ndarray,
                       row_lower: np.ndarray, row_upper: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the shadow price (value of loosening the rule by £1: more room under a <=
    limit, a lower floor under a >= limit, a higher right-hand side for an equality) and
    whether it binds (at a finite bound, within ``BIND_TOL`` relative); accounting rows are
    never binding."""
    price = kinds.loosen * np.asarray(row_dual, dtype=float) + 0.0
    value = np.asarray(row_value, dtype=float)
    lo, hi = row_lower, row_upper
    with np.errstate(invalid="ignore"):  # inf - inf where a side is open: not binding
        at_lo = np.isfinite(lo) & (np.abs(value - lo) <= BIND_TOL * np.maximum(1.0, np.abs(lo)))
        at_hi = np.isfinite(hi) & (np.abs(value - hi) <= BIND_TOL * np.maximum(1.0, np.abs(hi)))
    return price, kinds.user & (at_lo | at_hi)


def _term_value(terms: Terms, col_of: np.ndarray, col_value: np.ndarray) -> float:
    """An objective term's value at the solution, in model units."""
    j = col_of[terms.vars]
    used = j >= 0
    return float(np.dot(terms.coefs[used], col_value[j[used]]))


def totals_table(
    problem: FundingProblem, index: ProblemIndex, allocations: pd.DataFrame
) -> pd.DataFrame:
    """Per recipient and year (baseline year included): allocation, income, total, change,
    cliff-edge limit and the headroom before it binds."""
    by = allocations.groupby(["recipient", "year"])["amount"].sum().to_dict()
    limits = cliff_edge_limits(problem.cliff_edges)
    tau = problem.settings.terminal_fall_share if len(index.horizon) >= 2 else 1.0
    out = []
    for r in sorted(index.recipient_rows):
        lim = (limits.get(r) or limits.get("") or (None, None))[1]
        prev_total = None
        for t in index.years_all:
            if not index.exists_in(r, t):
                prev_total = None
                continue
            if t == index.baseline_year:
                alloc = float(index.baseline.get(r, 0.0))
            else:
                alloc = float(by.get((r, t), 0))
            income = index.income.get((r, t), 0.0)
            total = alloc + income
            rate = fall = headroom = np.nan
            if prev_total is not None and t != index.baseline_year:
                rate = (total / prev_total - 1) if prev_total else np.nan
                if lim is not None:
                    fall = float(lim["max_fall_rate"]) * (tau if t == index.horizon[-1] else 1.0)
                    headroom = total - (1 - fall) * prev_total
            out.append(
                {
                    "recipient": r,
                    "kind": index.recipient_rows[r]["kind"],
                    "region": index.recipient_rows[r]["region"],
                    "year": t,
                    "allocation": alloc,
                    "other_income": income,
                    "total_funding": total,
                    "change_rate": rate,
                    "fall_limit_rate": fall,
                    "headroom": headroom,
                }
            )
            prev_total = total
    return pd.DataFrame(
        out,
        columns=[
            "recipient",
            "kind",
            "region",
            "year",
            "allocation",
            "other_income",
            "total_funding",
            "change_rate",
            "fall_limit_rate",
            "headroom",
        ],
    )


def stream_use_table(
    problem: FundingProblem,
    index: ProblemIndex,
    allocations: pd.DataFrame,
    carry_forward: pd.DataFrame,
) -> pd.DataFrame:
    spent = allocations.groupby(["stream", "year"])["amount"].sum().to_dict()
    carry: dict[tuple[str, str], float] = defaultdict(float)
    for _, c in rows(carry_forward):
        carry[(str(c["stream"]), str(c["year"]))] += float(c["amount"])
    out = []
    for _, e in rows(problem.envelopes):
        s, t = str(e["stream"]), str(e["year"])
        i = index.horizon.index(t)
        cin = carry[(s, index.horizon[i - 1])] if i > 0 else 0.0
        cout = carry[(s, t)]
        used = float(spent.get((s, t), 0))
        env = float(e["amount"])
        out.append(
            {
                "stream": s,
                "year": t,
                "envelope": env,
                "carry_in": cin,
                "spent": used,
                "carry_out": cout,
                "unspent": env + cin - used - cout,
            }
        )
    return pd.DataFrame(
        out, columns=["stream", "year", "envelope", "carry_in", "spent", "carry_out", "unspent"]
    )


def tier_table(hm: HighsModel, solved: TierSolve, achieved: Sequence[float]) -> pd.DataFrame:
    """What was optimised, tier by tier, in pounds of each tier's own measure: its optimum,
    what the plan ``achieved`` (measured on the whole-pound plan), the give allowed to later
    tiers and the give they used (the last tier gives nothing)."""
    scale = hm.builder.scale
    tiers = hm.builder.tiers
    out = []
    tiers = tiers[:len(solved.optima)]  # a relaxed plan's: tier 1 only
    for k, (tier, optimum, got, certificate) in enumerate(
            zip(tiers, solved.optima, achieved, solved.certificates, strict=True), start=1):
        sign = 1.0 if tier.maximised else -1.0
        best = sign * optimum * scale
        out.append({
            "tier": k,
            "goals": ", ".join(g.value if w == 1.0 else f"{g.value} x {w:g}"
                               for g, w in tier.weights.items()),
            "measure": tier.describe(),
            "sense": "maximised" if tier.maximised else "minimised",
            "optimum": best,
            "achieved": got,
            "give_allowed": np.nan if k == len(tiers) else tier.give,
            "give_used": max(0.0, sign * (best - got)),
            "certified": certificate.passed,
        })
    return pd.DataFrame(out, columns=TIER_COLUMNS)
