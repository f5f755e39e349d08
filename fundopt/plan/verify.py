"""Re-check every rule on a plan, independently of Pyomo and HiGHS, in exact arithmetic.

This is a second implementation of the rules, written from the problem's tables and
docs/formulation.md, not from the LP code, so a bug in one is caught by the other. Amounts
are whole pounds; rates are the exact binary values of the inputs (``fractions.Fraction``).
A rule passes when it holds to within one penny (the tolerance covers rates such as 3.71%
whose products are not whole pence). Soft (negotiable) rules are checked too; a breach of
one is reported with ``soft=True`` and does not fail the plan.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from fundopt._support import money
from fundopt.problem import FundingProblem
from fundopt.problem.validation import rows, year_start

if TYPE_CHECKING:
    from fundopt.plan.plan import Plan

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

    # -- the allocations themselves: one check per row, built column-wise
    a = _allocation_frame(allocations)
    x_rows = _check_allocations(p, recs, threat, a, funded)
    # exact sums: whole pounds add up as Python integers, anything else as Fractions
    x = _sum_by(a, ["recipient", "activity", "stream", "year"])
    by_ry = defaultdict(Fraction, _sum_by(a, ["recipient", "year"]))
    by_st = defaultdict(Fraction, _sum_by(a, ["stream", "year"]))

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
    _check_local(ck, p, horizon, a, threat, funded)

    # -- national requirements
    a_threat = a["activity"].map(threat).to_numpy(dtype=object)
    a_strand = a["activity"].map(strand).to_numpy(dtype=object)
    a_year = a["year"].to_numpy(dtype=object)
    a_recipient = a["recipient"].to_numpy(dtype=object)
    for _, q in rows(p.requirements):
        mask = (a_year == q["year"]) & (a_threat == q["threat"])
        if q["region"] is not None:
            members = [r for r, rec in recs.items() if rec["region"] == q["region"]]
            mask &= np.isin(a_recipient, members)
        ck.add(
            "requirement",
            f"requirement[{q['threat']},{q['region'] or '*'},{q['year']}]",
            _exact_sum(a, mask),
            ">=",
            F(q["amount"]),
            year=str(q["year"]),
            soft=q["penalty"] is not None,
            detail=f"national requirement for {q['threat']} in {q['year']}",
        )

    # -- strand and threat shares
    for _, g in rows(p.share_targets):
        den_mask = a_year == g["year"]
        if g["scope"] == "soc":
            den_mask &= a_threat != "local_policing"
        num_mask = den_mask.copy()
        if g["strand"] is not None:
            num_mask &= a_strand == g["strand"]
        if g["threat"] is not None:
            num_mask &= a_threat == g["threat"]
        den, num = _exact_sum(a, den_mask), _exact_sum(a, num_mask)
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
    rules = pd.DataFrame(ck.out, columns=CHECK_COLUMNS)
    if not len(x_rows):
        return rules
    if not len(rules):
        return x_rows.reset_index(drop=True)
    return pd.concat([x_rows, rules], ignore_index=True)


def _allocation_frame(allocations: pd.DataFrame) -> pd.DataFrame:
    """The allocations with string keys and an exact ``amount``: int64 when every amount
    is a whole number of pounds (the usual case), else Python Fractions."""
    a = pd.DataFrame(
        {
            c: allocations[c].astype(str).to_numpy(dtype=object)
            for c in ("recipient", "activity", "stream", "year")
        }
    )
    raw = allocations["amount"].to_numpy()
    if raw.dtype.kind in "iu":
        a["amount"] = raw.astype(np.int64)
        return a
    exact = [F(v) for v in raw]
    if all(v.denominator == 1 and abs(v) < 2**62 for v in exact):
        a["amount"] = np.array([int(v) for v in exact], dtype=np.int64)
    else:
        a["amount"] = pd.Series(exact, dtype=object)
    return a


def _sum_by(a: pd.DataFrame, keys: list[str]) -> dict[Any, Fraction]:
    if not len(a):
        return {}
    g = a.groupby(keys, sort=False)["amount"].sum()
    return {k: F(int(v)) if isinstance(v, np.integer | int) else F(v) for k, v in g.items()}


def _exact_sum(a: pd.DataFrame, mask: np.ndarray) -> Fraction:
    v = a["amount"].to_numpy()[mask]
    if v.dtype.kind == "i":
        return Fraction(int(v.sum(dtype=np.int64)))
    return sum((F(x) for x in v), Fraction(0))


def _check_allocations(
    p: FundingProblem, recs: dict[str, Any], threat: dict[str, str], a: pd.DataFrame, funded: Any
) -> pd.DataFrame:
    """One whole-pounds check per allocation row, followed (where it fails) by an
    eligibility check, in the allocations' order."""
    n = len(a)
    if not n:
        return pd.DataFrame(columns=CHECK_COLUMNS)
    amount = a["amount"].to_numpy()
    if amount.dtype.kind == "i":
        whole = amount >= 0
        value = amount.astype(float)
    else:
        whole = np.array([v.denominator == 1 and v >= 0 for v in amount], dtype=bool)
        value = np.array([float(v) for v in amount], dtype=float)
    keys = [a[c].to_numpy(dtype=object) for c in ("recipient", "activity", "stream", "year")]
    names = [",".join(k) for k in zip(*keys, strict=True)]
    # a whole, non-negative amount passes; a negative one also reads "breached by"
    if amount.dtype.kind == "i":
        negative = amount < 0
    else:
        negative = np.array([v < -PENNY for v in amount], dtype=bool)
    detail = [
        (
            "allocation is a non-negative whole number of pounds"
            if ok
            else f"allocation {v} is not a non-negative whole number of pounds"
        )
        + (f": breached by {money(-v)}" if neg else "")
        for ok, v, neg in zip(whole, value.tolist(), negative, strict=True)
    ]
    whole_rows = pd.DataFrame(
        {
            "family": "allocation",
            "rule": [f"whole_pounds[{k}]" for k in names],
            "year": keys[3],
            "recipient": keys[0],
            "lhs": value,
            "sense": ">=",
            "rhs": 0.0,
            "slack": value,
            "soft": False,
            "passed": whole,
            "detail": detail,
        }
    )
    eligible = _eligible_mask(p, recs, threat, a) & np.array(
        [funded(r, t) for r, t in zip(keys[0], keys[3], strict=True)], dtype=bool
    )
    whole_rows["order"] = np.arange(n) * 2
    bad = np.flatnonzero(~eligible)
    if not len(bad):
        return whole_rows.drop(columns="order")
    slack = -value[bad]  # rhs - lhs for a "<=" check
    if amount.dtype.kind != "i":
        passed = np.array([-amount[i] >= -PENNY for i in bad], dtype=bool)
    else:
        passed = amount[bad] <= 0
    detail = [
        f"stream '{keys[2][i]}' may not fund {keys[0][i]}'s '{keys[1][i]}' in {keys[3][i]}"
        for i in bad
    ]
    detail = [
        d if ok else f"{d}: breached by {money(float(-s))}"
        for d, ok, s in zip(detail, passed, slack, strict=True)
    ]
    elig_rows = pd.DataFrame(
        {
            "family": "eligibility",
            "rule": [f"eligible[{names[i]}]" for i in bad],
            "year": keys[3][bad],
            "recipient": keys[0][bad],
            "lhs": value[bad],
            "sense": "<=",
            "rhs": 0.0,
            "slack": slack,
            "soft": False,
            "passed": passed,
            "detail": detail,
            "order": bad * 2 + 1,
        }
    )
    out = pd.concat([whole_rows, elig_rows], ignore_index=True).sort_values("order", kind="stable")
    return out.drop(columns="order").reset_index(drop=True)


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
            # the step is a whole number of pounds (rounded up) so whole pounds can follow it
            step = Fraction(math.ceil(baseline[r] / (len(my_years) + 1)))
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
    a: pd.DataFrame,
    threat: dict[str, str],
    funded: Any,
) -> None:
    local: dict[str, set[str]] = defaultdict(set)
    for _, lp in rows(p.local_priorities):
        local[str(lp["recipient"])].add(str(lp["activity"]))
    chosen = _by_recipient_year(p.local_shares, horizon)
    if not chosen:
        return
    pairs = {(r, act) for r, acts in local.items() for act in acts}
    is_local = np.array(
        [(r, act) in pairs for r, act in zip(a["recipient"], a["activity"], strict=True)],
        dtype=bool,
    )
    is_nat = ~is_local & (a["activity"].map(threat).to_numpy(dtype=object) != "local_policing")
    amount = a["amount"].to_numpy()
    zero: Any = np.zeros(1, dtype=amount.dtype) if amount.dtype.kind == "i" else Fraction(0)
    parts = pd.DataFrame(
        {
            "recipient": a["recipient"],
            "year": a["year"],
            "total": amount,
            "local": np.where(is_local, amount, zero),
            "national": np.where(is_nat, amount, zero),
        }
    )
    grouped = parts.groupby(["recipient", "year"], sort=False).sum() if len(parts) else parts
    sums = {
        (r, t): (F(_plain(total)), F(_plain(loc)), F(_plain(nat)))
        for (r, t), total, loc, nat in zip(
            grouped.index, grouped["total"], grouped["local"], grouped["national"], strict=True
        )
    }
    nothing = (Fraction(0), Fraction(0), Fraction(0))
    for (r, t), row in chosen.items():
        if not funded(r, t):
            continue
        total, loc, nat = sums.get((r, t), nothing)
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


def _plain(v: Any) -> Any:
    return int(v) if isinstance(v, np.integer) else v


def _eligible_mask(
    p: FundingProblem, recs: dict[str, Any], threat: dict[str, str], a: pd.DataFrame
) -> np.ndarray:
    """Whether some eligibility row allows each allocation row's (recipient, activity, stream)."""
    if not len(a):
        return np.zeros(0, dtype=bool)
    lines = a[["recipient", "activity", "stream"]].drop_duplicates()
    table = rows(p.eligibility)
    ok = np.array(
        [
            _eligible(p, recs, threat, r, act, s, table=table)
            for r, act, s in lines.itertuples(index=False, name=None)
        ],
        dtype=bool,
    )
    allowed = {
        key for key, good in zip(lines.itertuples(index=False, name=None), ok, strict=True) if good
    }
    return np.array(
        [key in allowed for key in zip(a["recipient"], a["activity"], a["stream"], strict=True)],
        dtype=bool,
    )


def _eligible(
    p: FundingProblem,
    recs: dict[str, Any],
    threat: dict[str, str],
    r: str,
    a: str,
    s: str,
    table: list[tuple[int, dict[str, Any]]] | None = None,
) -> bool:
    for _, e in table if table is not None else rows(p.eligibility):
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
