"""What every rule check reads: the problem's tables as dicts and the plan's exact sums.

Amounts are exact. A plan's allocations are whole pounds (int64) in the usual case, and
then add up as integers; anything else is kept as Python ``Fraction``\\ s, never floats.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from fundopt.plan.verify.checks import F
from fundopt.problem import FundingProblem
from fundopt.problem.validation import rows, year_start


@dataclass(frozen=True)
class PlanFacts:
    """A problem and a plan's allocations, indexed for the checks.

    ``a`` is the allocations with string keys and an exact ``amount``; ``row_*`` are its
    columns (threat and strand looked up) as object arrays, for masks. The sums are
    ``defaultdict``\\ s: a line, year or recipient with no allocation sums to zero.
    """

    problem: FundingProblem
    horizon: tuple[str, ...]
    base_year: str
    recs: dict[str, dict[str, Any]]
    threat: dict[str, str]
    strand: dict[str, str]
    a: pd.DataFrame
    row_threat: np.ndarray
    row_strand: np.ndarray
    row_year: np.ndarray
    row_recipient: np.ndarray
    x: dict[tuple[str, str, str, str], Fraction]  # (recipient, activity, stream, year)
    by_ry: defaultdict[tuple[str, str], Fraction]  # (recipient, year)
    by_st: defaultdict[tuple[str, str], Fraction]  # (stream, year)
    baseline: defaultdict[str, Fraction]
    income: defaultdict[tuple[str, str], Fraction]  # other income, (recipient, year)
    carry_forward: pd.DataFrame | None

    def funded(self, r: str, t: str) -> bool:
        """Whether recipient ``r`` may be funded in horizon year ``t``."""
        rec = self.recs[r]
        lo = year_start(rec["first_year"]) if rec["first_year"] else -1
        hi = year_start(rec["last_year"]) if rec["last_year"] else 10_000
        return lo <= year_start(t) <= hi and t in self.horizon

    def alloc(self, r: str, t: str) -> Fraction:
        """``r``'s allocation in year ``t``: its baseline in the baseline year."""
        return self.baseline[r] if t == self.base_year else self.by_ry[(r, t)]


def plan_facts(
    p: FundingProblem, allocations: pd.DataFrame, carry_forward: pd.DataFrame | None
) -> PlanFacts:
    recs = {str(r["recipient"]): r for _, r in rows(p.recipients)}
    threat = dict(zip(p.activities["activity"], p.activities["threat"], strict=True))
    strand = dict(zip(p.activities["activity"], p.activities["strand"], strict=True))
    a = allocation_frame(allocations)
    baseline: defaultdict[str, Fraction] = defaultdict(Fraction)
    for _, b in rows(p.baselines):
        baseline[str(b["recipient"])] += F(b["amount"])
    income: defaultdict[tuple[str, str], Fraction] = defaultdict(Fraction)
    for _, o in rows(p.other_income):
        income[(str(o["recipient"]), str(o["year"]))] += F(o["amount"])
    return PlanFacts(
        problem=p,
        horizon=p.horizon,
        base_year=p.baseline_year,
        recs=recs,
        threat=threat,
        strand=strand,
        a=a,
        row_threat=a["activity"].map(threat).to_numpy(dtype=object),
        row_strand=a["activity"].map(strand).to_numpy(dtype=object),
        row_year=a["year"].to_numpy(dtype=object),
        row_recipient=a["recipient"].to_numpy(dtype=object),
        x=sum_by(a, ["recipient", "activity", "stream", "year"]),
        by_ry=defaultdict(Fraction, sum_by(a, ["recipient", "year"])),
        by_st=defaultdict(Fraction, sum_by(a, ["stream", "year"])),
        baseline=baseline,
        income=income,
        carry_forward=carry_forward,
    )


def allocation_frame(allocations: pd.DataFrame) -> pd.DataFrame:
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


def sum_by(a: pd.DataFrame, keys: list[str]) -> dict[Any, Fraction]:
    if not len(a):
        return {}
    g = a.groupby(keys, sort=False)["amount"].sum()
    return {k: F(int(v)) if isinstance(v, np.integer | int) else F(v) for k, v in g.items()}


def exact_sum(a: pd.DataFrame, mask: np.ndarray) -> Fraction:
    v = a["amount"].to_numpy()[mask]
    if v.dtype.kind == "i":
        return Fraction(int(v.sum(dtype=np.int64)))
    return sum((F(x) for x in v), Fraction(0))


def by_recipient_year(table: pd.DataFrame, horizon: Iterable[str]) -> dict[tuple[str, str], Any]:
    """The row that applies to each (recipient, year): its own, else its blank-year row."""
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
