"""Re-check every rule on a plan, independently of Pyomo and HiGHS, in exact arithmetic.

This is a second implementation of the rules, written from the problem's tables and
docs/formulation.md, not from the LP code, so a bug in one is caught by the other. Amounts
are whole pounds; rates are the exact binary values of the inputs (``fractions.Fraction``).
A rule passes when it holds to within one penny (the tolerance covers rates such as 3.71%
whose products are not whole pence). Soft (negotiable) rules are checked too; a breach of
one is reported with ``soft=True`` and does not fail the plan.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import pandas as pd

from fundopt.formatting import money
from fundopt.problem import FundingProblem
from fundopt.validation import rows, year_start

if TYPE_CHECKING:
    from fundopt.plan import Plan

PENNY = Fraction(1, 100)
CHECK_COLUMNS = [
    "family",
    "rule",
    "year",
    "recipient",
    "lhs",
    "sense",
    "rhs",
    "slack",
    "soft",
    "passed",
    "detail",
]


def F(v: Any) -> Fraction:
    return Fraction(v) if not isinstance(v, Fraction) else v


def verify(problem: FundingProblem, plan: Plan) -> pd.DataFrame:
    """The hard rules the plan breaks (an empty table for a good plan)."""
    checks = check_rules(problem, plan.allocations, plan.carry_forward)
    return checks[~checks["passed"]].reset_index(drop=True)


class _Checks:
    def __init__(self) -> None:
        self.out: list[dict[str, Any]] = []

    def add(
        self,
        family: str,
        rule: str,
        lhs: Fraction,
        sense: str,
        rhs: Fraction,
        *,
        year: str = "",
        recipient: str = "",
        soft: bool = False,
        detail: str = "",
    ) -> None:
        slack = lhs - rhs if sense == ">=" else rhs - lhs if sense == "<=" else -abs(lhs - rhs)
        ok = slack >= -PENNY
        self.out.append(
            {
                "family": family,
                "rule": rule,
                "year": year,
                "recipient": recipient,
                "lhs": float(lhs),
                "sense": sense,
                "rhs": float(rhs),
                "slack": float(slack),
                "soft": soft,
                "passed": bool(ok or soft),
                "detail": detail if ok else f"{detail}: breached by {money(float(-slack))}",
            }
        )


def check_rules(
    problem: FundingProblem, allocations: pd.DataFrame, carry_forward: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every rule of the problem checked on the allocations (and carry-forwards)."""
    ck = _Checks()
    p = problem
    horizon = p.horizon
    base_year = p.baseline_year
    recs = {str(r["recipient"]): r for _, r in rows(p.recipients)}
    threat = dict(zip(p.activities["activity"], p.activities["threat"], strict=True))
    strand = dict(zip(p.activities["activity"], p.activities["strand"], strict=True))

    def funded(r: str, t: str) -> bool:
        rec = recs[r]
        lo = year_start(rec["first_year"]) if rec["first_year"] else -1
        hi = year_start(rec["last_year"]) if rec["last_year"] else 10_000
        return lo <= year_start(t) <= hi and t in horizon

    # -- the allocations themselves
    x: dict[tuple[str, str, str, str], Fraction] = {}
    for _, arow in rows(allocations):
        key = (
            str(arow["recipient"]),
            str(arow["activity"]),
            str(arow["stream"]),
            str(arow["year"]),
        )
        amount = F(arow["amount"])
        x[key] = x.get(key, Fraction(0)) + amount
        ok_int = amount.denominator == 1 and amount >= 0
        ck.add(
            "allocation",
            f"whole_pounds[{','.join(key)}]",
            amount,
            ">=",
            Fraction(0),
            year=key[3],
            recipient=key[0],
            detail="allocation is a non-negative whole number of pounds"
            if ok_int
            else f"allocation {float(amount)} is not a non-negative whole number of pounds",
        )
        if not ok_int:
            ck.out[-1]["passed"] = False
        elig = _eligible(p, recs, threat, *key[:3]) and funded(key[0], key[3])
        if not elig:
            ck.add(
                "eligibility",
                f"eligible[{','.join(key)}]",
                amount,
                "<=",
                Fraction(0),
                year=key[3],
                recipient=key[0],
                detail=f"stream '{key[2]}' may not fund {key[0]}'s '{key[1]}' in {key[3]}",
            )
    by_ry: dict[tuple[str, str], Fraction] = defaultdict(Fraction)
    by_st: dict[tuple[str, str], Fraction] = defaultdict(Fraction)
    by_ray: dict[tuple[str, str, str], Fraction] = defaultdict(Fraction)
    for (r, a, s, t), v in x.items():
        by_ry[(r, t)] += v
        by_st[(s, t)] += v
        by_ray[(r, a, t)] += v

    baseline: dict[str, Fraction] = defaultdict(Fraction)
    for _, b in rows(p.baselines):
        baseline[str(b["recipient"])] += F(b["amount"])
    income: dict[tuple[str, str], Fraction] = defaultdict(Fraction)
    for _, o in rows(p.other_income):
        income[(str(o["recipient"]), str(o["year"]))] += F(o["amount"])

    def alloc(r: str, t: str) -> Fraction:
        return baseline[r] if t == base_year else by_ry[(r, t)]

    # -- envelopes
    carry: dict[tuple[str, str], Fraction] = defaultdict(Fraction)
    if carry_forward is not None:
        for _, c in rows(carry_forward):
            carry[(str(c["stream"]), str(c["year"]))] += F(c["amount"])
    share = {str(s["stream"]): F(s["carry_forward_share"] or 0) for _, s in rows(p.streams)}
    for _, e in rows(p.envelopes):
        s, t = str(e["stream"]), str(e["year"])
        prev = _prev(horizon, t)
        cin = carry[(s, prev)] if prev else Fraction(0)
        cout = carry[(s, t)]
        lhs = by_st[(s, t)] + cout - cin
        ck.add(
            "envelope",
            f"envelope[{s},{t}]",
            lhs,
            "==" if e["must_spend"] else "<=",
            F(e["amount"]),
            year=t,
            detail=f"stream '{s}' spends within its envelope in {t}",
        )
        ck.add(
            "carry",
            f"carry[{s},{t}]",
            cout,
            "<=",
            share[s] * F(e["amount"]) if t != horizon[-1] else Fraction(0),
            year=t,
            detail=f"carry-forward of '{s}' out of {t} within its allowed share",
        )

    # -- floors and caps
    for (r, t), lim in _by_recipient_year(p.limits, horizon).items():
        if not funded(r, t):
            continue
        soft = lim["penalty"] is not None
        for col, fam, sense, scale in (
            ("floor_amount", "floor", ">=", None),
            ("floor_ratio", "floor", ">=", baseline[r]),
            ("cap_amount", "cap", "<=", None),
            ("cap_ratio", "cap", "<=", baseline[r]),
        ):
            if lim[col] is not None:
                rhs = F(lim[col]) * (scale if scale is not None else 1)
                ck.add(
                    fam,
                    f"{fam}_{col.split('_')[1]}[{r},{t}]",
                    by_ry[(r, t)],
                    sense,
                    rhs,
                    year=t,
                    recipient=r,
                    soft=soft,
                    detail=f"{fam} of {r} in {t}",
                )

    # -- commitments
    by_line: dict[tuple[str, str, str], list[tuple[str, Fraction]]] = defaultdict(list)
    for (xr, xa, xs, xt), v in x.items():
        by_line[(xr, xa, xt)].append((xs, v))
    for _, c in rows(p.commitments):
        cr, ca, cs = str(c["recipient"]), str(c["activity"]), c["stream"]
        for t in horizon:
            if year_start(c["first_year"]) <= year_start(t) <= year_start(c["last_year"]):
                got = sum(
                    (v for xs, v in by_line[(cr, ca, t)] if cs is None or xs == cs), Fraction(0)
                )
                ck.add(
                    "commitment",
                    f"commitment[{cr},{ca},{cs or '*'},{t}]",
                    got,
                    ">=",
                    F(c["amount"]),
                    year=t,
                    recipient=cr,
                    soft=c["penalty"] is not None,
                    detail=f"commitment to {cr}'s '{ca}' in {t}",
                )

    _check_cliff_edges(ck, p, recs, horizon, base_year, alloc, income, baseline, funded)
    _check_local(ck, p, horizon, x, threat, funded)

    # -- national requirements
    for _, q in rows(p.requirements):
        members = (
            None
            if q["region"] is None
            else {r for r, rec in recs.items() if rec["region"] == q["region"]}
        )
        got = sum(
            (
                v
                for (r, a, _s, t), v in x.items()
                if t == q["year"] and threat[a] == q["threat"] and (members is None or r in members)
            ),
            Fraction(0),
        )
        ck.add(
            "requirement",
            f"requirement[{q['threat']},{q['region'] or '*'},{q['year']}]",
            got,
            ">=",
            F(q["amount"]),
            year=str(q["year"]),
            soft=q["penalty"] is not None,
            detail=f"national requirement for {q['threat']} in {q['year']}",
        )

    # -- strand and threat shares
    for _, g in rows(p.share_targets):
        den = num = Fraction(0)
        for (_xr, xa, _xs, xt), v in x.items():
            if xt != g["year"] or (g["scope"] == "soc" and threat[xa] == "local_policing"):
                continue
            den += v
            if (g["strand"] is None or strand[xa] == g["strand"]) and (
                g["threat"] is None or threat[xa] == g["threat"]
            ):
                num += v
        tkey = f"{g['strand'] or '*'},{g['threat'] or '*'},{g['scope']},{g['year']}"
        for col, sense in (("min_share", ">="), ("max_share", "<=")):
            if g[col] is not None:
                ck.add(
                    "share_target",
                    f"share_{col[:3]}[{tkey}]",
                    num,
                    sense,
                    F(g[col]) * den,
                    year=str(g["year"]),
                    soft=g["penalty"] is not None,
                    detail=f"share target {tkey}",
                )
    return pd.DataFrame(ck.out, columns=CHECK_COLUMNS)


def _check_cliff_edges(
    ck: _Checks,
    p: FundingProblem,
    recs: dict[str, Any],
    horizon: tuple[str, ...],
    base_year: str,
    alloc: Any,
    income: dict[tuple[str, str], Fraction],
    baseline: dict[str, Fraction],
    funded: Any,
) -> None:
    limits = {
        ("" if c["recipient"] is None else str(c["recipient"])): c for _, c in rows(p.cliff_edges)
    }
    if not limits:
        return
    years = (base_year, *horizon)
    tau = F(p.settings.terminal_fall_share) if len(horizon) >= 2 else Fraction(1)

    def exists(r: str, t: str) -> bool:
        if t == base_year:
            first = recs[r]["first_year"]
            return not first or year_start(first) <= year_start(t)
        return bool(funded(r, t))

    for r in sorted(recs):
        lim = limits.get(r, limits.get(""))
        if lim is None:
            continue
        my_years = [t for t in horizon if funded(r, t)]
        closing = recs[r]["last_year"] and my_years and my_years[-1] != horizon[-1]
        if closing and r in baseline and exists(r, base_year):
            step = baseline[r] / (len(my_years) + 1)
            prev = base_year
            for t in my_years:
                ck.add(
                    "glide_path",
                    f"glide_path[{r},{t}]",
                    alloc(r, t),
                    ">=",
                    alloc(r, prev) - step,
                    year=t,
                    recipient=r,
                    detail=f"{r}'s glide path to closure, {prev} to {t}",
                )
                prev = t
            ck.add(
                "glide_path",
                f"glide_path_end[{r}]",
                alloc(r, my_years[-1]),
                "<=",
                step,
                year=my_years[-1],
                recipient=r,
                detail=f"{r}'s last step to closure",
            )
            continue
        soft = lim["penalty"] is not None
        for t in my_years:
            prev = years[years.index(t) - 1]
            if not exists(r, prev):
                continue
            f_t = alloc(r, t) + income[(r, t)]
            f_prev = alloc(r, prev) + income[(r, prev)]
            d = F(lim["max_fall_rate"]) * (tau if t == horizon[-1] else 1)
            ck.add(
                "cliff_edge",
                f"cliff_edge[{r},{t}]",
                f_t,
                ">=",
                (1 - d) * f_prev,
                year=t,
                recipient=r,
                soft=soft,
                detail=f"{r}'s total funding falls at most {float(d):.4%} from {prev} to {t}",
            )
            if lim["max_rise_rate"] is not None:
                u = F(lim["max_rise_rate"])
                ck.add(
                    "rise_limit",
                    f"rise_limit[{r},{t}]",
                    f_t,
                    "<=",
                    (1 + u) * f_prev,
                    year=t,
                    recipient=r,
                    soft=soft,
                    detail=f"{r}'s total funding rises at most {float(u):.4%} from {prev} to {t}",
                )


def _check_local(
    ck: _Checks,
    p: FundingProblem,
    horizon: tuple[str, ...],
    x: dict[tuple[str, str, str, str], Fraction],
    threat: dict[str, str],
    funded: Any,
) -> None:
    local: dict[str, set[str]] = defaultdict(set)
    for _, lp in rows(p.local_priorities):
        local[str(lp["recipient"])].add(str(lp["activity"]))
    for (r, t), row in _by_recipient_year(p.local_shares, horizon).items():
        if not funded(r, t):
            continue
        total = loc = nat = Fraction(0)
        for (rr, a, _s, tt), v in x.items():
            if rr == r and tt == t:
                total += v
                if a in local[r]:
                    loc += v
                elif threat[a] != "local_policing":
                    nat += v
        soft = row["penalty"] is not None
        if row["min_local_share"] is not None:
            ck.add(
                "local_share",
                f"local_share[{r},{t}]",
                loc,
                ">=",
                F(row["min_local_share"]) * total,
                year=t,
                recipient=r,
                soft=soft,
                detail=f"{r}'s local-priority share in {t}",
            )
        if row["min_local_amount"] is not None:
            ck.add(
                "local_share",
                f"local_amount[{r},{t}]",
                loc,
                ">=",
                F(row["min_local_amount"]),
                year=t,
                recipient=r,
                soft=soft,
                detail=f"{r}'s local-priority amount in {t}",
            )
        if row["max_national_share"] is not None:
            ck.add(
                "national_share",
                f"national_share[{r},{t}]",
                nat,
                "<=",
                F(row["max_national_share"]) * total,
                year=t,
                recipient=r,
                soft=soft,
                detail=f"{r}'s national ring-fence in {t}",
            )


def _eligible(
    p: FundingProblem, recs: dict[str, Any], threat: dict[str, str], r: str, a: str, s: str
) -> bool:
    for _, e in rows(p.eligibility):
        if e["stream"] != s:
            continue
        if e["recipient_kind"] and recs[r]["kind"] != e["recipient_kind"]:
            continue
        if e["recipient"] and e["recipient"] != r:
            continue
        if e["activity"] and e["activity"] != a:
            continue
        if e["threat"] and threat[a] != e["threat"]:
            continue
        return True
    return False


def _prev(horizon: tuple[str, ...], t: str) -> str:
    i = horizon.index(t)
    return horizon[i - 1] if i > 0 else ""


def _by_recipient_year(table: pd.DataFrame, horizon: Iterable[str]) -> dict[tuple[str, str], Any]:
    out: dict[tuple[str, str], Any] = {}
    years = tuple(horizon)
    for _, r in rows(table):
        if r["year"] is None:
            for y in years:
                out.setdefault((str(r["recipient"]), y), r)
    for _, r in rows(table):
        if r["year"] is not None:
            out[(str(r["recipient"]), str(r["year"]))] = r
    return out
