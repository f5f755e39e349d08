"""Index sets of the LP, derived once from the problem's tables (no Pyomo here).

The allocation variables are sparse: x[r, a, s, t] exists only where stream s may fund
recipient r's activity a (a row of the eligibility table matches) and r is funded in
year t (between its first and last funded years). Everything is in canonical order.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from fundopt.problem import FundingProblem
from fundopt.schema import Threat
from fundopt.validation import rows, year_start

MAX_SCALE = 1e6  # £m: the unit the performance notes found well scaled and precise


def scale_for(largest: float) -> float:
    """The money scale (pounds per model unit) for a problem whose largest amount is
    ``largest`` pounds: a power of ten putting it near 100-1000 units, at most £1m."""
    top = max(largest, 1.0)
    return float(min(MAX_SCALE, 10 ** max(0, int(np.floor(np.log10(top))) - 2)))


@dataclass(frozen=True)
class ProblemIndex:
    """Sets and lookups shared by the constraint families and by reporting."""

    problem: FundingProblem
    alloc: pd.DataFrame = field(init=False)  # recipient, activity, stream, year; position = column

    def __post_init__(self) -> None:
        object.__setattr__(self, "alloc", _allocation_index(self.problem))

    # -- years -------------------------------------------------------------------------
    @cached_property
    def horizon(self) -> tuple[str, ...]:
        return self.problem.horizon

    @cached_property
    def baseline_year(self) -> str:
        return self.problem.baseline_year

    def previous(self, year: str) -> str:
        """The year before ``year`` (the baseline year for the first horizon year)."""
        return self.years_all[self.years_all.index(year) - 1]

    @cached_property
    def years_all(self) -> tuple[str, ...]:
        return (self.baseline_year, *self.horizon)

    # -- recipients and activities ------------------------------------------------------
    @cached_property
    def recipient_rows(self) -> dict[str, dict[str, object]]:
        return {str(r["recipient"]): r for _, r in rows(self.problem.recipients)}

    @cached_property
    def activity_threat(self) -> dict[str, str]:
        a = self.problem.activities
        return dict(zip(a["activity"], a["threat"], strict=True))

    @cached_property
    def activity_strand(self) -> dict[str, str | None]:
        a = self.problem.activities
        return dict(zip(a["activity"], a["strand"], strict=True))

    def funded_years(self, recipient: str) -> tuple[str, ...]:
        """Horizon years in which the recipient may be funded."""
        return self._funded[recipient]

    @cached_property
    def _funded(self) -> dict[str, tuple[str, ...]]:
        out = {}
        for rid, r in self.recipient_rows.items():
            first = year_start(str(r["first_year"])) if r["first_year"] else -1
            last = year_start(str(r["last_year"])) if r["last_year"] else 10_000
            out[rid] = tuple(y for y in self.horizon if first <= year_start(y) <= last)
        return out

    def exists_in(self, recipient: str, year: str) -> bool:
        """Whether the recipient exists in ``year`` (the baseline year included)."""
        if year == self.baseline_year:
            r = self.recipient_rows[recipient]
            return not r["first_year"] or year_start(str(r["first_year"])) <= year_start(year)
        return year in self.funded_years(recipient)

    # -- money ----------------------------------------------------------------------------
    @cached_property
    def baseline(self) -> dict[str, float]:
        """Baseline allocation (£) per recipient; recipients without a baseline are absent."""
        b = self.problem.baselines
        return {str(k): float(v) for k, v in b.groupby("recipient")["amount"].sum().items()}

    @cached_property
    def income(self) -> dict[tuple[str, str], float]:
        """Other income (£) per (recipient, year), baseline year included."""
        o = self.problem.other_income
        if not len(o):
            return {}
        g = o.groupby(["recipient", "year"])["amount"].sum()
        return {(str(k[0]), str(k[1])): float(v) for k, v in g.items()}  # type: ignore[index]

    @cached_property
    def money_scale(self) -> float:
        """Pounds per model unit: a power of ten that puts the largest amount near 100-1000,
        but never more than £1m, so HiGHS's tolerance (1e-7 units) stays below 10p."""
        p = self.problem
        top = float(np.max(np.asarray(p.envelopes["amount"], dtype=float))) \
            if len(p.envelopes) else 0.0
        return scale_for(max(top, self.largest_other_amount))

    @cached_property
    def largest_other_amount(self) -> float:
        """The largest baseline or other income (£): with the envelopes, it sets the scale."""
        return max(max(self.baseline.values(), default=0.0),
                   max(self.income.values(), default=0.0))

    def with_envelopes(self, envelopes: pd.DataFrame) -> ProblemIndex:
        """This index for the same problem with other envelope amounts (same rows, same
        order): every set and lookup is shared; only the money scale, the one derived
        value that reads envelopes, is worked out again. The problem's tables are not
        validated again: callers check the amounts (see :mod:`fundopt.sweep`)."""
        problem = copy.copy(self.problem)  # no __post_init__: shares the other tables
        object.__setattr__(problem, "envelopes", envelopes)
        out = copy.copy(self)  # shares every cached value computed so far
        object.__setattr__(out, "problem", problem)
        out.__dict__.pop("money_scale", None)
        return out

    # -- groups of allocation columns -----------------------------------------------------
    @cached_property
    def activity_of(self) -> list[str]:
        """The activity of each allocation column (a plain list: fast to index)."""
        return [str(v) for v in self.alloc["activity"].tolist()]

    @cached_property
    def stream_of(self) -> list[str]:
        """The stream of each allocation column."""
        return [str(v) for v in self.alloc["stream"].tolist()]

    @cached_property
    def by_recipient_year(self) -> dict[tuple[str, str], list[int]]:
        return _group(self.alloc, ["recipient", "year"])

    @cached_property
    def by_stream_year(self) -> dict[tuple[str, str], list[int]]:
        return _group(self.alloc, ["stream", "year"])

    @cached_property
    def by_line_year(self) -> dict[tuple[str, str, str], list[int]]:
        return _group(self.alloc, ["recipient", "activity", "year"])

    @cached_property
    def by_line_stream_year(self) -> dict[tuple[str, str, str, str], int]:
        a = self.alloc
        keys = zip(
            *(a[c].tolist() for c in ("recipient", "activity", "stream", "year")), strict=True
        )
        return {k: i for i, k in enumerate(keys)}

    @cached_property
    def recipients_in_region(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for rid, r in self.recipient_rows.items():
            if r["region"]:
                out[str(r["region"])].add(rid)
        return out

    def is_soc(self, activity: str) -> bool:
        return self.activity_threat[activity] != Threat.LOCAL_POLICING.value


def _group(df: pd.DataFrame, cols: list[str]) -> dict[Any, list[int]]:
    out: dict[Any, list[int]] = defaultdict(list)
    for i, key in enumerate(zip(*(df[c].tolist() for c in cols), strict=True)):
        out[key].append(i)
    return dict(out)


def _allocation_index(problem: FundingProblem) -> pd.DataFrame:
    rec = problem.recipients
    act = problem.activities
    pairs = rec[["recipient", "kind"]].merge(act[["activity", "threat"]], how="cross")
    frames = []
    for _, e in rows(problem.eligibility):
        m = pd.Series(True, index=pairs.index)
        if e["recipient_kind"]:
            m &= pairs["kind"] == e["recipient_kind"]
        if e["recipient"]:
            m &= pairs["recipient"] == e["recipient"]
        if e["activity"]:
            m &= pairs["activity"] == e["activity"]
        if e["threat"]:
            m &= pairs["threat"] == e["threat"]
        sel = pairs.loc[m, ["recipient", "activity"]].copy()
        sel["stream"] = e["stream"]
        frames.append(sel)
    if not frames:
        return pd.DataFrame(columns=["recipient", "activity", "stream", "year"])
    lines = pd.concat(frames).drop_duplicates()
    horizon = problem.horizon
    first = {str(r["recipient"]): r["first_year"] for _, r in rows(rec)}
    last = {str(r["recipient"]): r["last_year"] for _, r in rows(rec)}
    starts = [(year_start(y), y) for y in horizon]
    funded = {r: [y for start, y in starts
                  if (year_start(str(first[r])) if first[r] else -1) <= start
                  <= (year_start(str(last[r])) if last[r] else 10_000)] for r in first}
    out = [(r, a, s, y) for r, a, s in lines.itertuples(index=False, name=None)
           for y in funded[r]]
    out.sort()
    return pd.DataFrame(out, columns=["recipient", "activity", "stream", "year"])
