"""The benchmark LP as a modeller would write it in Pyomo: indexed sets, rule-based
constraints, APPSI's HiGHS interface (what ``SolverFactory('appsi_highs')`` wraps).
No GC pause, no matrix hand-off."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

import pyomo.environ as pyo
from pyomo.contrib.appsi.solvers import Highs

from benchmarks.alternatives.data import LpData, prepare
from fundopt import FundingProblem


def build(problem: FundingProblem) -> tuple[pyo.ConcreteModel, LpData]:
    d = prepare(problem)
    k = d.scale
    a = d.alloc
    m = pyo.ConcreteModel()
    keys = list(a[["recipient", "activity", "stream", "year"]].itertuples(index=False, name=None))
    m.ALLOC = pyo.Set(initialize=keys, dimen=4, ordered=True)
    m.x = pyo.Var(m.ALLOC, domain=pyo.NonNegativeReals)
    recipients = sorted(a["recipient"].unique())
    m.R = pyo.Set(initialize=recipients)
    m.T = pyo.Set(initialize=d.years, ordered=True)

    by_rt: dict[tuple[str, str], list[Any]] = defaultdict(list)
    by_st: dict[tuple[str, str], list[Any]] = defaultdict(list)
    by_rat: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    by_t: dict[str, list[Any]] = defaultdict(list)
    for key in keys:
        r, act, s, t = key
        by_t[t].append(key)
        by_rt[(r, t)].append(key)
        by_st[(s, t)].append(key)
        by_rat[(r, act, t)].append(key)
    threat = dict(zip(a["activity"], a["threat"], strict=False))
    strand = dict(zip(a["activity"], a["strand"], strict=False))

    def X(r: str, t: str) -> Any:
        return sum(m.x[key] for key in by_rt[(r, t)])

    # envelopes with carry-forward
    env = {(str(e.stream), str(e.year)): e for e in d.envelopes.itertuples(index=False)}
    last = d.years[-1]
    carry_keys = [(s, t) for (s, t) in sorted(env) if d.carry_share[s] > 0 and t != last]
    m.CARRY = pyo.Set(initialize=carry_keys, dimen=2)
    m.carry = pyo.Var(
        m.CARRY,
        domain=pyo.NonNegativeReals,
        bounds=lambda m, s, t: (0, d.carry_share[s] * float(env[(s, t)].amount) / k),
    )

    def envelope_rule(m: Any, s: str, t: str) -> Any:
        lhs = sum(m.x[key] for key in by_st[(s, t)])
        if (s, t) in m.CARRY:
            lhs += m.carry[s, t]
        i = d.years.index(t)
        if i > 0 and (s, d.years[i - 1]) in m.CARRY:
            lhs -= m.carry[s, d.years[i - 1]]
        rhs = float(env[(s, t)].amount) / k
        return lhs == rhs if env[(s, t)].must_spend else lhs <= rhs

    m.envelope = pyo.Constraint(sorted(env), rule=envelope_rule)

    # cliff edges, rise limits and the volatility penalty's change variables
    def limits(r: str) -> tuple[float, float | None, float | None]:
        return d.cliff.get(r) or d.cliff[""]

    def prev_total(r: str, t: str) -> tuple[Any, float]:
        """(allocation expression or 0, income) of the year before t."""
        i = d.years.index(t)
        if i == 0:
            return 0, d.baseline.get(r, 0.0) / k + d.income.get((r, d.baseline_year), 0.0) / k
        return X(r, d.years[i - 1]), d.income.get((r, d.years[i - 1]), 0.0) / k

    m.breach = pyo.VarList(domain=pyo.NonNegativeReals)
    penalties: list[tuple[Any, float]] = []

    def soft(expr_ge: Any, penalty: float | None) -> Any:
        """For a >= 0 style row: add a penalised slack when the rule is soft."""
        if penalty is None:
            return expr_ge
        v = m.breach.add()
        penalties.append((v, penalty))
        return expr_ge + v

    def cliff_rule(m: Any, r: str, t: str) -> Any:
        fall, _rise, pen = limits(r)
        dd = fall * (d.tau if t == last else 1.0)
        px, pi = prev_total(r, t)
        return soft(X(r, t) + d.income.get((r, t), 0.0) / k - (1 - dd) * (px + pi), pen) >= 0

    m.cliff_edge = pyo.Constraint(m.R, m.T, rule=cliff_rule)

    def rise_rule(m: Any, r: str, t: str) -> Any:
        _fall, rise, pen = limits(r)
        if rise is None:
            return pyo.Constraint.Skip
        px, pi = prev_total(r, t)
        return soft((1 + rise) * (px + pi) - X(r, t) - d.income.get((r, t), 0.0) / k, pen) >= 0

    m.rise_limit = pyo.Constraint(m.R, m.T, rule=rise_rule)

    m.up = pyo.Var(m.R, m.T, domain=pyo.NonNegativeReals)
    m.down = pyo.Var(m.R, m.T, domain=pyo.NonNegativeReals)

    def volatility_rule(m: Any, r: str, t: str) -> Any:
        px, pi = prev_total(r, t)
        change = X(r, t) + d.income.get((r, t), 0.0) / k - px - pi
        return change == m.up[r, t] - m.down[r, t]

    m.volatility = pyo.Constraint(m.R, m.T, rule=volatility_rule)

    # need penalty: each kind's total in each year (an auxiliary variable, so a need row has
    # a recipient's lines and one total, not every line of its kind), then each recipient's
    # distance from its need_weight share of that total
    kinds = sorted(d.need_shares)
    m.KT = pyo.Set(initialize=[(g, t) for g in kinds for t in d.years], dimen=2)
    m.kind_total = pyo.Var(m.KT, domain=pyo.NonNegativeReals)

    def kind_total_rule(m: Any, g: str, t: str) -> Any:
        lines = [key for r in sorted(d.need_shares[g]) for key in by_rt[(r, t)]]
        return m.kind_total[g, t] == sum(m.x[key] for key in lines)

    m.kind_total_def = pyo.Constraint(m.KT, rule=kind_total_rule)
    m.NEED = pyo.Set(
        initialize=[(g, r, t) for g in kinds for r in sorted(d.need_shares[g]) for t in d.years],
        dimen=3,
    )
    m.need_over = pyo.Var(m.NEED, domain=pyo.NonNegativeReals)
    m.need_under = pyo.Var(m.NEED, domain=pyo.NonNegativeReals)

    def need_rule(m: Any, g: str, r: str, t: str) -> Any:
        target = d.need_shares[g][r] * m.kind_total[g, t]
        return X(r, t) - target == m.need_over[g, r, t] - m.need_under[g, r, t]

    m.need = pyo.Constraint(m.NEED, rule=need_rule)

    # local priorities
    shares = {str(s.recipient): s for s in d.local_shares.itertuples(index=False)}
    m.LS = pyo.Set(initialize=[(r, t) for r in sorted(shares) for t in d.years], dimen=2)

    def local_rule(m: Any, r: str, t: str) -> Any:
        s = shares[r].min_local_share
        if s is None or s != s:
            return pyo.Constraint.Skip
        loc = [key for key in by_rt[(r, t)] if key[1] in d.local.get(r, set())]
        other = [key for key in by_rt[(r, t)] if key[1] not in d.local.get(r, set())]
        # shares of the whole budget: allocation plus other income (no stream here is paid
        # by a PCC, so nothing is paid out)
        income = d.income.get((r, t), 0.0) / k
        expr = ((1 - s) * sum(m.x[q] for q in loc) - s * sum(m.x[q] for q in other)
                + (1 - s) * income)
        return soft(expr, _pen(shares[r].penalty)) >= 0

    m.local_share = pyo.Constraint(m.LS, rule=local_rule)

    def national_rule(m: Any, r: str, t: str) -> Any:
        s = shares[r].max_national_share
        if s is None or s != s:
            return pyo.Constraint.Skip
        nat = [
            q
            for q in by_rt[(r, t)]
            if q[1] not in d.local.get(r, set()) and threat[q[1]] != "local_policing"
        ]
        nat_set = set(nat)
        rest = [q for q in by_rt[(r, t)] if q not in nat_set]
        income = d.income.get((r, t), 0.0) / k
        expr = s * sum(m.x[q] for q in rest) - (1 - s) * sum(m.x[q] for q in nat) + s * income
        return soft(expr, _pen(shares[r].penalty)) >= 0

    m.national_share = pyo.Constraint(m.LS, rule=national_rule)

    # national requirements
    req = list(d.requirements.itertuples(index=False))

    def requirement_rule(m: Any, i: int) -> Any:
        q = req[i]
        assert q.region is None or q.region != q.region
        got = sum(m.x[key] for key in by_t[q.year] if threat[key[1]] == q.threat)
        return soft(got - float(q.amount) / k, _pen(q.penalty)) >= 0

    m.requirement = pyo.Constraint(range(len(req)), rule=requirement_rule)

    # share targets
    targets = list(d.share_targets.itertuples(index=False))

    def in_scope(g: Any, key: tuple[str, str, str, str]) -> bool:
        return key[3] == g.year and (g.scope != "soc" or threat[key[1]] != "local_policing")

    def in_num(g: Any, key: tuple[str, str, str, str]) -> bool:
        return (g.strand is None or g.strand != g.strand or strand[key[1]] == g.strand) and (
            g.threat is None or g.threat != g.threat or threat[key[1]] == g.threat
        )

    def share_rule(m: Any, i: int, bound: str) -> Any:
        g = targets[i]
        share = getattr(g, bound)
        if share is None or share != share:
            return pyo.Constraint.Skip
        den = [key for key in by_t[g.year] if in_scope(g, key)]
        num = sum(m.x[key] for key in den if in_num(g, key))
        other = sum(m.x[key] for key in den if not in_num(g, key))
        expr = (1 - share) * num - share * other
        if bound == "max_share":
            expr = -expr
        return soft(expr, _pen(g.penalty)) >= 0

    m.share_target = pyo.Constraint(
        range(len(targets)), ["min_share", "max_share"], rule=share_rule
    )

    # value tranches: the objective's concave piecewise-linear value of each line
    lines_with_tranches = [key for key in sorted(by_rat) if len(d.tranches[key[1]]) > 1]
    m.TR = pyo.Set(
        initialize=[
            (*key, j) for key in lines_with_tranches for j in range(len(d.tranches[key[1]]))
        ],
        dimen=4,
    )

    def tranche_bounds(m: Any, r: str, act: str, t: str, j: int) -> tuple[float, float | None]:
        width = d.tranches[act][j][0]
        return (0, None if width is None else width / k)

    m.z = pyo.Var(m.TR, domain=pyo.NonNegativeReals, bounds=tranche_bounds)
    m.LT = pyo.Set(initialize=lines_with_tranches, dimen=3)

    def tranche_rule(m: Any, r: str, act: str, t: str) -> Any:
        n = len(d.tranches[act])
        return sum(m.x[q] for q in by_rat[(r, act, t)]) == sum(m.z[r, act, t, j] for j in range(n))

    m.tranche = pyo.Constraint(m.LT, rule=tranche_rule)

    def objective_rule(m: Any) -> Any:
        value = sum(
            d.tranches[key[1]][0][1] * m.x[key] for key in m.ALLOC if len(d.tranches[key[1]]) == 1
        )
        value += sum(d.tranches[q[1]][q[3]][1] * m.z[q] for q in m.TR)
        value -= d.omega * sum(m.up[r, t] + m.down[r, t] for r in m.R for t in m.T)
        value -= d.eta * sum(m.need_over[q] + m.need_under[q] for q in m.NEED)
        value -= sum(p * v for v, p in penalties)
        return value

    m.objective = pyo.Objective(rule=objective_rule, sense=pyo.maximize)
    return m, d


def _pen(v: Any) -> float | None:
    return None if v is None or v != v else float(v)


def solve(problem: FundingProblem, options: dict[str, object]) -> dict[str, float]:
    """Build, hand off, solve and read back the solution; phase seconds and objective (£)."""
    t0 = time.perf_counter()
    m, d = build(problem)
    t1 = time.perf_counter()
    opt = Highs()
    opt.highs_options = dict(options)
    opt.config.load_solution = False
    opt.set_instance(m)
    t2 = time.perf_counter()
    res = opt.solve(m)
    t3 = time.perf_counter()
    res.solution_loader.load_vars()
    values = [v.value for v in m.x.values()]
    t4 = time.perf_counter()
    assert len(values) == len(m.x)
    return {
        "build": t1 - t0,
        "handoff": t2 - t1,
        "solve": t3 - t2,
        "extract": t4 - t3,
        "objective": float(res.best_feasible_objective) * d.scale,
    }
