"""The benchmark LP in linopy: labelled dense dimensions (recipient, activity, stream, year)
with an eligibility mask, vectorised constraints, ``Model.solve('highs')``."""

from __future__ import annotations

import time
import warnings
from typing import Any

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from benchmarks.alternatives.data import LpData, prepare
from fundopt import FundingProblem

# Masked (ineligible) slots contribute nothing to a sum: linopy's legacy semantics, which
# this model relies on; it warns that a future default may differ.
warnings.filterwarnings("ignore", message=".*absent slots.*")
warnings.filterwarnings("ignore", message="Coordinates across variables not equal")


def build(problem: FundingProblem) -> tuple[linopy.Model, LpData]:
    d = prepare(problem)
    k = d.scale
    a = d.alloc
    R = pd.Index(sorted(a["recipient"].unique()), name="recipient")
    A = pd.Index(sorted(a["activity"].unique()), name="activity")
    S = pd.Index(sorted(a["stream"].unique()), name="stream")
    T = pd.Index(d.years, name="year")
    lines = a[["activity", "stream"]].drop_duplicates()
    eligible = xr.DataArray(
        pd.crosstab(lines["activity"], lines["stream"]).reindex(index=A, columns=S).fillna(0) > 0,
        dims=["activity", "stream"],
    )
    act = problem.activities.set_index("activity").reindex(A)
    threat = xr.DataArray(act["threat"].to_numpy(), coords=[A])
    strand = xr.DataArray(act["strand"].fillna("").to_numpy(), coords=[A])

    m = linopy.Model()
    mask = eligible.expand_dims(recipient=R, year=T).transpose(
        "recipient", "activity", "stream", "year"
    )
    x = m.add_variables(lower=0, coords=[R, A, S, T], name="x", mask=mask)
    X = x.sum(["activity", "stream"])  # (recipient, year)

    # envelopes and carry-forward
    env = d.envelopes.set_index(["stream", "year"])["amount"].astype(float)
    E = xr.DataArray(env.unstack("year").reindex(index=S, columns=T).to_numpy() / k, coords=[S, T])
    share = xr.DataArray([d.carry_share[s] for s in S], coords=[S])
    carry_ok = (share > 0) & (xr.DataArray(np.arange(len(T)), coords=[T]) < len(T) - 1)
    carry = m.add_variables(lower=0, upper=share * E, name="carry", mask=carry_ok)
    m.add_constraints(
        x.sum(["recipient", "activity"]) + carry - carry.shift(year=1) <= E, name="envelope"
    )

    # totals before each year: allocation of the previous year plus known amounts
    income = xr.DataArray(
        np.array([[d.income.get((r, t), 0.0) / k for t in T] for r in R]), coords=[R, T]
    )
    base = np.array(
        [d.baseline.get(r, 0.0) / k + d.income.get((r, d.baseline_year), 0.0) / k for r in R]
    )
    prev_known = income.shift(year=1)
    prev_known[:, 0] = base
    X_prev = X.shift(year=1)
    lim = [d.cliff.get(r) or d.cliff[""] for r in R]
    fall = xr.DataArray([f for f, _, _ in lim], coords=[R])
    rise = xr.DataArray([np.nan if u is None else u for _, u, _ in lim], coords=[R])
    assert all(p is None for _, _, p in lim)
    last = xr.DataArray([d.tau if t == T[-1] else 1.0 for t in T], coords=[T])
    dd = fall * last
    m.add_constraints(X - (1 - dd) * X_prev >= (1 - dd) * prev_known - income, name="cliff_edge")
    m.add_constraints(
        X - (1 + rise) * X_prev <= (1 + rise) * prev_known - income,
        name="rise_limit",
        mask=rise.notnull(),
    )
    up = m.add_variables(lower=0, coords=[R, T], name="up")
    down = m.add_variables(lower=0, coords=[R, T], name="down")
    m.add_constraints(X - X_prev - up + down == prev_known - income, name="volatility")

    # need penalty: each kind's total in each year (an auxiliary variable: a need row then
    # holds a recipient's lines and one total, not every line of its kind), and each
    # recipient's distance from its need_weight share of that total
    need = None
    if d.need_shares:
        weighted = [(g, r_, w) for g, shares in sorted(d.need_shares.items())
                    for r_, w in sorted(shares.items())]
        RN = pd.Index([r_ for _, r_, _ in weighted], name="recipient")
        G = pd.Index(sorted(d.need_shares), name="kind")
        kind_of = xr.DataArray([g for g, _, _ in weighted], coords=[RN], name="kind")
        share_of = xr.DataArray([w for _, _, w in weighted], coords=[RN])
        XN = X.sel(recipient=RN)
        total = m.add_variables(lower=0, coords=[G, T], name="kind_total")
        m.add_constraints(total - XN.groupby(kind_of).sum() == 0, name="kind_total_def")
        over = m.add_variables(lower=0, coords=[RN, T], name="need_over")
        under = m.add_variables(lower=0, coords=[RN, T], name="need_under")
        their_total = total.sel(kind=kind_of)  # (recipient, year): the total of its kind
        m.add_constraints(XN - share_of * their_total - over + under == 0, name="need")
        need = over.sum() + under.sum()

    # local priorities
    ls = d.local_shares.set_index("recipient").reindex(R)
    assert ls["penalty"].isna().all() and ls["year"].isna().all()
    is_local = xr.DataArray(
        np.array([[a_ in d.local.get(r, set()) for a_ in A] for r in R]), coords=[R, A]
    )
    national = ~is_local & (threat != "local_policing")
    s_loc = xr.DataArray(ls["min_local_share"].astype(float).to_numpy(), coords=[R])
    s_nat = xr.DataArray(ls["max_national_share"].astype(float).to_numpy(), coords=[R])
    # shares of the whole budget: allocation plus other income (no stream is PCC-paid here)
    coef = xr.where(is_local, 1 - s_loc, -s_loc)
    m.add_constraints(
        (x * coef).sum(["activity", "stream"]) >= -(1 - s_loc) * income, name="local_share",
        mask=s_loc.notnull()
    )
    coef = xr.where(national, 1 - s_nat, -s_nat)
    m.add_constraints(
        (x * coef).sum(["activity", "stream"]) <= s_nat * income, name="national_share",
        mask=s_nat.notnull()
    )

    # national requirements (one row each)
    for i, q in enumerate(d.requirements.itertuples(index=False)):
        assert q.region is None or q.region != q.region
        assert q.penalty is None or q.penalty != q.penalty
        got = (x.sel(year=q.year) * (threat == q.threat)).sum()
        m.add_constraints(got >= float(q.amount) / k, name=f"requirement{i}")

    # share targets (soft: a penalised breach each)
    penalties: list[tuple[Any, float]] = []
    for i, g in enumerate(d.share_targets.itertuples(index=False)):
        in_scope = (threat != "local_policing") if g.scope == "soc" else xr.ones_like(threat, bool)
        num = in_scope.copy()
        if isinstance(g.strand, str):
            num = num & (strand == g.strand)
        if isinstance(g.threat, str):
            num = num & (threat == g.threat)
        xs = x.sel(year=g.year)
        for bound in ("min_share", "max_share"):
            v = getattr(g, bound)
            if v is None or v != v:
                continue
            c = xr.where(num, 1 - v, xr.where(in_scope, -v, 0.0))
            lhs = (xs * c).sum()
            if g.penalty is None or g.penalty != g.penalty:
                breach = None
            else:
                breach = m.add_variables(lower=0, name=f"breach{i}{bound}")
                penalties.append((breach, float(g.penalty)))
            if bound == "min_share":
                m.add_constraints(
                    lhs + breach >= 0 if breach is not None else lhs >= 0, name=f"share{i}{bound}"
                )
            else:
                m.add_constraints(
                    lhs - breach <= 0 if breach is not None else lhs <= 0, name=f"share{i}{bound}"
                )

    # value: tranches for some activities, a flat value for the rest
    tr_acts = pd.Index([a_ for a_ in A if len(d.tranches[a_]) > 1], name="activity")
    flat = [a_ for a_ in A if len(d.tranches[a_]) == 1]
    value_flat = xr.DataArray(
        [d.tranches[a_][0][1] for a_ in flat], coords=[pd.Index(flat, name="activity")]
    )
    objective = (x.sel(activity=flat) * value_flat).sum()
    if len(tr_acts):
        n = max(len(d.tranches[a_]) for a_ in tr_acts)
        J = pd.Index(range(n), name="tranche")
        width = np.full((len(tr_acts), n), np.inf)
        val = np.zeros((len(tr_acts), n))
        present = np.zeros((len(tr_acts), n), dtype=bool)
        for i, a_ in enumerate(tr_acts):
            for j, (w, v) in enumerate(d.tranches[a_]):
                width[i, j] = np.inf if w is None else w / k
                val[i, j] = v
                present[i, j] = True
        W = xr.DataArray(width, coords=[tr_acts, J])
        z = m.add_variables(
            lower=0,
            upper=W.expand_dims(recipient=R, year=T),
            name="z",
            mask=xr.DataArray(present, coords=[tr_acts, J]).expand_dims(recipient=R, year=T),
        )
        m.add_constraints(
            x.sel(activity=tr_acts).sum("stream") - z.sum("tranche") == 0, name="tranche"
        )
        objective = objective + (z * xr.DataArray(val, coords=[tr_acts, J])).sum()
    objective = objective - d.omega * (up.sum() + down.sum())
    if need is not None:
        objective = objective - d.eta * need
    for var, p in penalties:
        objective = objective - p * var
    m.add_objective(objective, sense="max")
    return m, d


def solve(problem: FundingProblem, options: dict[str, object]) -> dict[str, float]:
    """Build, then ``Model.solve`` (hand-off, solve and read-back in one call)."""
    t0 = time.perf_counter()
    m, d = build(problem)
    t1 = time.perf_counter()
    status, condition = m.solve(solver_name="highs", io_api="direct", **options)
    t2 = time.perf_counter()
    assert status == "ok", (status, condition)
    values = m.solution["x"]
    assert values.size
    return {
        "build": t1 - t0,
        "handoff": float("nan"),
        "solve": t2 - t1,  # includes hand-off and reading the solution back
        "extract": 0.0,
        "objective": float(m.objective.value) * d.scale,
    }
