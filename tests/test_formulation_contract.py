"""docs/formulation.md is the contract: rebuild the LP from that page alone (scipy's linprog,
no Pyomo, none of fundopt's formulation code) and reach fundopt's optimum."""

from __future__ import annotations

import math
from collections import defaultdict
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from builders import M, frame
from scipy.optimize import linprog

import fundopt as fo
from fundopt.problem.validation import rows


def _year(label: str) -> int:
    return int(label[:4])


def rebuild_objective(p: fo.FundingProblem) -> float:
    """The optimal objective of the LP exactly as docs/formulation.md states it."""
    horizon = list(p.horizon)
    t0 = p.baseline_year
    rec = {r["recipient"]: r for _, r in rows(p.recipients)}
    act = {a["activity"]: a for _, a in rows(p.activities)}

    def funded(r: str) -> list[str]:
        lo = _year(rec[r]["first_year"]) if rec[r]["first_year"] else -1
        hi = _year(rec[r]["last_year"]) if rec[r]["last_year"] else 9999
        return [t for t in horizon if lo <= _year(t) <= hi]

    def exists(r: str, t: str) -> bool:
        if t == t0:
            return not rec[r]["first_year"] or _year(rec[r]["first_year"]) <= _year(t0)
        return t in funded(r)

    def prev(t: str) -> str:
        i = horizon.index(t)
        return horizon[i - 1] if i else t0

    cols: list[tuple[Any, ...]] = []
    lb: list[float] = []
    ub: list[float | None] = []
    cost: list[float] = []  # maximised

    def var(key: tuple[Any, ...], upper: float | None = None, value: float = 0.0) -> int:
        cols.append(key)
        lb.append(0.0)
        ub.append(upper)
        cost.append(value)
        return len(cols) - 1

    # eligible lines and allocation variables
    lines = set()
    for r in rec:
        for a in act:
            for _, e in rows(p.eligibility):
                if (
                    (not e["recipient_kind"] or e["recipient_kind"] == rec[r]["kind"])
                    and (not e["recipient"] or e["recipient"] == r)
                    and (not e["activity"] or e["activity"] == a)
                    and (not e["threat"] or e["threat"] == act[a]["threat"])
                ):
                    lines.add((r, a, e["stream"]))
    x = {}
    for r, a, s in sorted(lines):
        for t in funded(r):
            x[(r, a, s, t)] = var(("x", r, a, s, t))
    B: dict[str, float] = defaultdict(float)
    for _, b in rows(p.baselines):
        B[b["recipient"]] += b["amount"]
    inc: dict[tuple[str, str], float] = defaultdict(float)
    for _, o in rows(p.other_income):
        inc[(o["recipient"], o["year"])] += o["amount"]

    A: list[dict[int, float]] = []
    lo: list[float] = []
    hi: list[float] = []

    def row(terms: dict[int, float], low: float, high: float, penalty: Any = None) -> None:
        terms = dict(terms)
        if penalty is not None:
            if low > -np.inf:
                terms[var(("breach",), value=-penalty)] = 1.0
            if high < np.inf:
                terms[var(("breach",), value=-penalty)] = -1.0
        A.append(terms)
        lo.append(low)
        hi.append(high)

    def X(r: str, t: str, k: float = 1.0) -> dict[int, float]:
        return {j: k for key, j in x.items() if key[0] == r and key[3] == t}

    def add(*ds: dict[int, float]) -> dict[int, float]:
        out: dict[int, float] = defaultdict(float)
        for d in ds:
            for j, c in d.items():
                out[j] += c
        return out

    # envelopes and carry-forward
    kappa = {s["stream"]: s["carry_forward_share"] or 0.0 for _, s in rows(p.streams)}
    env = {(e["stream"], e["year"]): e for _, e in rows(p.envelopes)}
    carry = {}
    for (s, t), e in env.items():
        if kappa[s] > 0 and t != horizon[-1]:
            carry[(s, t)] = var(("c", s, t), upper=kappa[s] * e["amount"])
    for (s, t), e in env.items():
        terms = {j: 1.0 for key, j in x.items() if key[2] == s and key[3] == t}
        if (s, t) in carry:
            terms[carry[(s, t)]] = 1.0
        if t != horizon[0] and (s, prev(t)) in carry:
            terms[carry[(s, prev(t))]] = -1.0
        row(terms, e["amount"] if e["must_spend"] else -np.inf, e["amount"])

    # floors and caps (a year row beats a blank-year row)
    def per_year(table: Any) -> dict[tuple[str, str], Any]:
        out = {}
        for _, q in rows(table):
            if q["year"] is None:
                for t in horizon:
                    out.setdefault((q["recipient"], t), q)
        for _, q in rows(table):
            if q["year"] is not None:
                out[(q["recipient"], q["year"])] = q
        return out

    for (r, t), q in per_year(p.limits).items():
        if t not in funded(r):
            continue
        for col, low in (("floor_amount", True), ("floor_ratio", True),
                         ("cap_amount", False), ("cap_ratio", False)):
            if q[col] is not None:
                v = q[col] * (B[r] if col.endswith("ratio") else 1.0)
                row(X(r, t), v if low else -np.inf, np.inf if low else v, q["penalty"])

    # commitments
    for _, c in rows(p.commitments):
        for t in horizon:
            if _year(c["first_year"]) <= _year(t) <= _year(c["last_year"]):
                terms = {j: 1.0 for key, j in x.items() if key[0] == c["recipient"]
                         and key[1] == c["activity"] and key[3] == t
                         and (c["stream"] is None or key[2] == c["stream"])}
                row(terms, c["amount"], np.inf, c["penalty"])

    # cliff edges and glide paths
    lim = {q["recipient"]: q for _, q in rows(p.cliff_edges)}
    tau = p.settings.terminal_fall_share if len(horizon) >= 2 else 1.0
    for r in rec:
        q = lim.get(r, lim.get(None))
        if q is None:
            continue
        fy = funded(r)
        # a baseline above zero: £0 or none has nothing to glide from (a baseline for a
        # recipient not existing in t0 is refused, FO-V32)
        if rec[r]["last_year"] and fy and fy[-1] != horizon[-1] and B[r] > 0:
            g = float(np.ceil(B[r] / (len(fy) + 1)))
            for k, t in enumerate(fy):
                if k == 0:
                    row(X(r, t), B[r] - g, np.inf)
                else:
                    row(add(X(r, t), X(r, fy[k - 1], -1.0)), -g, np.inf)
            row(X(r, fy[-1]), -np.inf, g)
            continue
        for t in fy:
            tp = prev(t)
            if not exists(r, tp):
                continue
            d = q["max_fall_rate"] * (tau if t == horizon[-1] else 1.0)
            for rate, low in ((1 - d, True), (1 + (q["max_rise_rate"] or 0), False)):
                if not low and q["max_rise_rate"] is None:
                    continue
                # F_t - rate * F_prev (>= or <=) 0, constants moved right
                terms = X(r, t) if tp == t0 else add(X(r, t), X(r, tp, -rate))
                rhs = rate * inc[(r, tp)] - inc[(r, t)] + (rate * B[r] if tp == t0 else 0.0)
                row(terms, rhs if low else -np.inf, np.inf if low else rhs, q["penalty"])

    # local priorities: shares of the whole budget W = X + I, what the PCC pays out
    # (streams with paid_by = r) counted as not kept local (and, on SOC lines, national)
    local: dict[str, set[str]] = defaultdict(set)
    for _, lp in rows(p.local_priorities):
        local[lp["recipient"]].add(lp["activity"])
    soc = {a for a in act if act[a]["threat"] != "local_policing"}
    payer = {s["stream"]: s["paid_by"] for _, s in rows(p.streams)}
    for (r, t), q in per_year(p.local_shares).items():
        if t not in funded(r):
            continue
        mine = {key: j for key, j in x.items() if key[0] == r and key[3] == t}
        paid = {key: j for key, j in x.items() if payer[key[2]] == r and key[3] == t}
        away = add({j: 1.0 for key, j in mine.items() if key[1] not in local[r]},
                {j: 1.0 for j in paid.values()})
        G = add({j: 1.0 for key, j in mine.items() if key[1] in soc - local[r]},
                {j: 1.0 for key, j in paid.items() if key[1] in soc})
        W = {j: 1.0 for j in mine.values()}
        income = inc[(r, t)]
        if q["min_local_share"] is not None:  # W - O >= s W
            lam = q["min_local_share"]
            row(add({j: 1 - lam for j in W}, {j: -c for j, c in away.items()}),
                -(1 - lam) * income, np.inf, q["penalty"])
        if q["min_local_amount"] is not None:  # W - O >= amount
            row(add(W, {j: -c for j, c in away.items()}), q["min_local_amount"] - income, np.inf,
                q["penalty"])
        if q["max_national_share"] is not None:  # G <= s W
            nu = q["max_national_share"]
            row(add(G, {j: -nu for j in W}), -np.inf, nu * income, q["penalty"])

    # national requirements
    for _, q in rows(p.requirements):
        terms = {j: 1.0 for key, j in x.items() if key[3] == q["year"]
                 and act[key[1]]["threat"] == q["threat"]
                 and (q["region"] is None or rec[key[0]]["region"] == q["region"])}
        row(terms, q["amount"], np.inf, q["penalty"])

    # shares
    for _, q in rows(p.share_targets):
        den = {key: j for key, j in x.items() if key[3] == q["year"]
               and (q["scope"] == "all" or key[1] in soc)}
        num = {j for key, j in den.items()
               if (q["strand"] is None or act[key[1]]["strand"] == q["strand"])
               and (q["threat"] is None or act[key[1]]["threat"] == q["threat"])}
        for col, low in (("min_share", True), ("max_share", False)):
            if q[col] is not None:
                terms = {j: (1.0 if j in num else 0.0) - q[col] for j in den.values()}
                row(terms, 0.0 if low else -np.inf, np.inf if low else 0.0, q["penalty"])

    # a re-plan's promises, tolerances and notice, and the price of moving an indicative
    # figure (an accounting row whose deviations cost replan_change_penalty a pound)
    notice = {(n["recipient"] or ""): n for _, n in rows(p.notice_periods)}
    psi = p.settings.replan_change_penalty
    for _, q in rows(p.previous_plan):
        r, t, amount = q["recipient"], q["year"], q["amount"]
        if q["status"] != "indicative":
            row(X(r, t), amount, amount, q["penalty"])
            continue
        tau = Fraction(0.05 if q["tolerance_share"] is None else q["tolerance_share"])
        row(X(r, t), math.ceil((1 - tau) * Fraction(amount)), np.inf, q["penalty"])
        row(X(r, t), -np.inf, math.floor((1 + tau) * Fraction(amount)), q["penalty"])
        n = notice.get(r) or notice.get("")
        if n is not None and horizon.index(t) < n["notice_years"]:
            cut = Fraction(n["max_cut_rate"])
            row(X(r, t), math.ceil((1 - cut) * Fraction(amount)), np.inf, n["penalty"])
        if psi > 0:
            terms = X(r, t)
            terms[var(("d+",), value=-psi)] = -1.0
            terms[var(("d-",), value=-psi)] = 1.0
            row(terms, amount, amount)

    # objective: value tranches
    groups: dict[tuple[str, str], list[tuple[int, Any, float]]] = defaultdict(list)
    for _, v in rows(p.value_tranches):
        groups[(v["recipient"] or "", v["activity"] or "")].append(
            (v["tranche"], v["width"], v["value"]))
    for (r, a) in sorted({(k[0], k[1]) for k in x}):
        tranches = next((sorted(groups[k]) for k in ((r, a), ("", a), (r, ""), ("", ""))
                         if k in groups), [(1, None, 1.0)])
        for t in funded(r):
            js = [j for key, j in x.items() if key[:2] == (r, a) and key[3] == t]
            if len(tranches) == 1 and tranches[0][1] is None:
                for j in js:
                    cost[j] += tranches[0][2]
                continue
            terms = {j: 1.0 for j in js}
            for _k, width, value in tranches:
                terms[var(("z",), upper=width, value=value)] = -1.0
            if tranches[-1][1] is not None:
                terms[var(("z",))] = -1.0
            row(terms, 0.0, 0.0)
    # need penalty
    eta, omega = p.settings.need_penalty, p.settings.volatility_penalty
    if eta > 0:
        for kind in {rec[r]["kind"] for r in rec}:
            for t in horizon:
                members = [r for r in rec if rec[r]["kind"] == kind
                           and rec[r]["need_weight"] is not None and t in funded(r)]
                W = sum(rec[r]["need_weight"] for r in members)
                if W <= 0:  # weights summing to 0: no target shares, no need rows
                    continue
                for r in members:
                    pi = rec[r]["need_weight"] / W
                    terms = add(X(r, t), *[X(o, t, -pi) for o in members])
                    terms[var(("n+",), value=-eta)] = -1.0
                    terms[var(("n-",), value=-eta)] = 1.0
                    row(terms, 0.0, 0.0)
    if omega > 0:
        for r in rec:
            for t in funded(r):
                tp = prev(t)
                if not exists(r, tp):
                    continue
                terms = X(r, t) if tp == t0 else add(X(r, t), X(r, tp, -1.0))
                rhs = inc[(r, tp)] - inc[(r, t)] + (B[r] if tp == t0 else 0.0)
                terms[var(("w+",), value=-omega)] = -1.0
                terms[var(("w-",), value=-omega)] = 1.0
                row(terms, rhs, rhs)

    # solve in £m for good scaling
    scale = 1e6
    n = len(cols)
    mat = np.zeros((len(A), n))
    for i, terms in enumerate(A):
        for j, c in terms.items():
            mat[i, j] = c
    lo_a = np.array(lo) / scale
    hi_a = np.array(hi) / scale
    eq = np.isfinite(lo_a) & np.isfinite(hi_a) & (lo_a == hi_a)
    ub_rows = np.isfinite(hi_a) & ~eq
    lb_rows = np.isfinite(lo_a) & ~eq
    A_ub = np.vstack([mat[ub_rows], -mat[lb_rows]])
    b_ub = np.concatenate([hi_a[ub_rows], -lo_a[lb_rows]])
    bounds = [(0.0, None if u is None else u / scale) for u in ub]
    res = linprog(-np.array(cost), A_ub=A_ub if len(A_ub) else None,
                  b_ub=b_ub if len(b_ub) else None, A_eq=mat[eq] if eq.any() else None,
                  b_eq=lo_a[eq] if eq.any() else None, bounds=bounds, method="highs")
    assert res.status == 0, res.message
    return float(-res.fun * scale)


ACTS = frame(activity=["lp", "prev", "purs", "cyber"],
             name=["Local", "Drugs prevent", "Drugs pursue", "Cyber pursue"],
             threat=["local_policing", "illegal_drugs", "illegal_drugs", "cyber_crime"],
             strand=[None, "prevent", "pursue", "pursue"])


def everything(**settings: float) -> fo.FundingProblem:
    """A problem that uses every family at once."""
    ids = ["a", "b", "c", "rocu"]
    years = ["2025-26", "2026-27", "2027-28", "2028-29"]
    h = years[1:]
    return fo.FundingProblem(
        recipients=frame(recipient=ids, name=ids,
                         kind=["force", "force", "force", "regional_unit"],
                         region=["north", "north", "south", "north"],
                         last_year=[None, None, "2027-28", None],
                         need_weight=[2.0, 1.0, 1.0, None]),
        years=frame(year=years, baseline=[True, False, False, False]),
        activities=ACTS,
        streams=frame(stream=["core", "rocu", "fund", "pcc_a"],
                      name=["Core", "ROCU", "Fund", "A's PCC to its unit"],
                      carry_forward_share=[None, 0.2, 0.5, None],
                      paid_by=[None, None, None, "a"]),
        envelopes=frame(stream=["core"] * 3 + ["rocu"] * 3 + ["fund"] * 3 + ["pcc_a"] * 3,
                        year=h * 4,
                        amount=[300 * M, 310 * M, 300 * M, 20 * M, 20 * M, 21 * M,
                                30 * M, 10 * M, 0.0, 40 * M, 40 * M, 40 * M],
                        must_spend=[None] * 3 + [True] * 3 + [None] * 6),
        eligibility=frame(stream=["core", "rocu", "fund", "pcc_a"],
                          recipient_kind=["force", "regional_unit", None, None],
                          recipient=[None, None, None, "rocu"],
                          activity=[None, None, "prev", None]),
        baselines=frame(recipient=ids, amount=[120 * M, 80 * M, 60 * M, 18 * M]),
        other_income=frame(recipient=["a", "a", "rocu", "rocu"],
                           year=["2025-26", "2026-27", "2025-26", "2026-27"],
                           source=["precept"] * 2 + ["PCC"] * 2, contributor=[None, None, "a", "a"],
                           amount=[50 * M, 45 * M, 10 * M, 3 * M]),
        limits=frame(recipient=["b", "a"], year=[None, "2027-28"], floor_ratio=[0.9, None],
                     cap_amount=[None, 160 * M], penalty=[None, 0.3]),
        commitments=frame(recipient=["a"], activity=["cyber"], first_year=["2026-27"],
                          last_year=["2028-29"], amount=[5 * M]),
        cliff_edges=frame(recipient=[None, "rocu"], max_fall_rate=[0.05, 0.1],
                          max_rise_rate=[None, 0.2]),
        local_priorities=frame(recipient=["a", "b"], activity=["lp", "lp"]),
        local_shares=frame(recipient=["a", "b"], min_local_share=[0.7, 0.6],
                           max_national_share=[0.25, None]),
        requirements=frame(threat=["cyber_crime"], year=["2027-28"], region=["north"],
                           amount=[12 * M]),
        share_targets=frame(strand=["prevent"] * 3, scope=["soc"] * 3, year=h,
                            min_share=[0.04, 0.06, 0.08]),
        value_tranches=frame(recipient=["a", "a", None], activity=[None, None, "prev"],
                             tranche=[1, 2, 1], width=[100 * M, None, 5 * M],
                             value=[1.2, 0.8, 1.5]),
        settings=fo.Settings(**settings),
    )


@pytest.mark.parametrize("settings", [
    {"need_penalty": 0.0, "volatility_penalty": 0.0},
    {},  # the documented defaults
    {"need_penalty": 0.2, "volatility_penalty": 0.1, "terminal_fall_share": 1.0},
])
def test_the_documented_lp_reaches_fundopts_optimum(settings: dict[str, float]) -> None:
    p = everything(**settings)
    plan = fo.solve(p)
    assert plan.objective == pytest.approx(rebuild_objective(p), rel=1e-8)
    assert fo.verify(p, plan).empty


@pytest.mark.parametrize("settings", [{}, {"replan_change_penalty": 0.0}])
def test_the_documented_lp_of_a_replan_reaches_fundopts_optimum(
        settings: dict[str, float]) -> None:
    # the plan of every family, its later years indicative (10%, then the default 5%),
    # re-planned with 3% less core grant in 2027-28, a soft promise, and notice of two years
    years = frame(year=["2025-26", "2026-27", "2027-28", "2028-29"],
                  baseline=[True, False, False, False],
                  status=[None, None, "indicative", "indicative"],
                  tolerance_share=[None, None, 0.1, None])
    first = everything(**settings).replace(years=years)
    before = fo.solve(first)
    figures = fo.PreviousPlan.from_plan(before).table
    figures.loc[(figures["recipient"] == "b") & (figures["year"] == "2026-27"), "penalty"] = 0.4
    env = first.envelopes.copy()
    less = (env["stream"] == "core") & (env["year"] == "2027-28")
    env.loc[less, "amount"] = float(env.loc[less, "amount"].iloc[0]) * 0.97
    p = first.replace(envelopes=env, previous_plan=figures,
                      notice_periods=frame(recipient=[None, "a"], max_cut_rate=[0.02, 0.01],
                                           notice_years=[2, 1], penalty=[None, 0.5]))
    plan = fo.solve(p)
    assert plan.objective == pytest.approx(rebuild_objective(p), rel=1e-8)
    assert fo.verify(p, plan).empty
