"""Index sets of the LP, derived once from the problem's tables (no Pyomo here).

The allocation variables are sparse: x[r, a, s, t] exists only where stream s may fund
recipient r's activity a (a row of the eligibility table matches) and r is funded in
year t (between its first and last funded years). Everything is in canonical order.
"""

from __future__ import annotations

import copy
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from fundopt.problem import FundingProblem
from fundopt.problem.schema import Threat
from fundopt.problem.validation import rows, year_start

MAX_SCALE = 1e6  # £m: the unit the performance notes found well scaled and precise


#: the cached values of ProblemIndex worked out from a table's numbers (with_problem)
_DERIVED = {"envelopes": ("money_scale",),
            "other_income": ("income", "largest_other_amount", "money_scale")}


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
    #: the same columns as codes: each column's rank among its sorted distinct values
    codes: Codes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        codes = _allocation_codes(self.problem)
        object.__setattr__(self, "codes", codes)
        object.__setattr__(self, "alloc", codes.frame())

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

    def with_problem(self, problem: FundingProblem, table: str = "envelopes") -> ProblemIndex:
        """This index for ``problem``, which differs from this index's only in one column
        of ``table`` (:meth:`FundingProblem.with_cells`: envelope or other income amounts,
        a share target, a cliff-edge rate): every set and lookup is shared; only the
        values derived from that table are worked out again (the money scale from amounts;
        other income)."""
        out = copy.copy(self)  # shares every cached value computed so far
        object.__setattr__(out, "problem", problem)
        for name in _DERIVED.get(table, ()):
            out.__dict__.pop(name, None)
        return out

    # -- groups of allocation columns -----------------------------------------------------
    @cached_property
    def activity_of(self) -> list[str]:
        """The activity of each allocation column (a plain list: fast to index)."""
        return self.codes.values("activity")

    @cached_property
    def stream_of(self) -> list[str]:
        """The stream of each allocation column."""
        return self.codes.values("stream")

    @cached_property
    def columns_of_recipient_year(self) -> dict[tuple[str, str], np.ndarray]:
        return self.codes.group("recipient", "year")

    @cached_property
    def columns_of_stream_year(self) -> dict[tuple[str, str], np.ndarray]:
        return self.codes.group("stream", "year")

    @cached_property
    def by_recipient_year(self) -> dict[tuple[str, str], list[int]]:
        """As :attr:`columns_of_recipient_year`, each group a list."""
        return {k: v.tolist() for k, v in self.columns_of_recipient_year.items()}

    @cached_property
    def by_stream_year(self) -> dict[tuple[str, str], list[int]]:
        """As :attr:`columns_of_stream_year`, each group a list."""
        return {k: v.tolist() for k, v in self.columns_of_stream_year.items()}

    @cached_property
    def by_line_year(self) -> dict[tuple[str, str, str], list[int]]:
        return {k: v.tolist() for k, v in self.codes.group("recipient", "activity",
                                                           "year").items()}

    @cached_property
    def by_line_stream_year(self) -> dict[tuple[str, str, str, str], int]:
        keys = zip(*(self.codes.values(c) for c in COLUMNS), strict=True)
        return {k: i for i, k in enumerate(keys)}

    @cached_property
    def name_draws(self) -> np.ndarray:
        """Per allocation column, a number in [0, 1) drawn from its names (recipient,
        activity, stream): the same column gets the same number in any problem, whatever
        the order of its rows, and in every year (the stability goal's tie-break: a line
        that several streams may pay for keeps the same one from year to year). Worked out
        once per index: a plan's measures and a sweep's scenarios read it again."""
        codes = self.codes
        names = zip(*(codes.values(c) for c in ("recipient", "activity", "stream")),
                    strict=True)
        return np.array([int.from_bytes(hashlib.sha256("|".join(n).encode()).digest()[:6],
                                        "big") for n in names], dtype=float) / float(2 ** 48)

    @cached_property
    def recipients_in_region(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for rid, r in self.recipient_rows.items():
            if r["region"]:
                out[str(r["region"])].add(rid)
        return out

    def column_mask(self, column: str, values: Iterable[object]) -> np.ndarray:
        """One bool per allocation column: whether its ``column`` (recipient, activity,
        stream or year) is one of ``values``."""
        wanted = set(values)
        hit = np.array([v in wanted for v in self.codes.names[column]], dtype=bool)
        return hit[self.codes.code[column]] if len(hit) else np.zeros(len(self.alloc), bool)

    def activities_where(self, threat: object = None, strand: object = None, *,
                         soc: bool = False) -> list[str]:
        """The activities with that threat and strand (None: any), only SOC ones if asked."""
        return [a for a in self.activity_threat
                if (threat is None or self.activity_threat[a] == threat)
                and (strand is None or self.activity_strand[a] == strand)
                and (not soc or self.is_soc(a))]

    def is_soc(self, activity: str) -> bool:
        return self.activity_threat[activity] != Threat.LOCAL_POLICING.value


COLUMNS = ("recipient", "activity", "stream", "year")


@dataclass(frozen=True)
class Codes:
    """The allocation columns as integer codes: ``code[name][i]`` is the rank of column
    ``i``'s value among ``names[name]``, that column's distinct values in sorted order (so
    sorting by codes is sorting by the strings)."""

    code: dict[str, np.ndarray]
    names: dict[str, list[str]]

    def values(self, name: str) -> list[str]:
        """The column's values, one per allocation column, as a plain list."""
        labels = np.array(self.names[name], dtype=object)
        return labels[self.code[name]].tolist()

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({c: self.values(c) for c in COLUMNS}, columns=list(COLUMNS))

    def key(self, *columns: str) -> np.ndarray:
        """One integer per allocation column, ordered as the tuple of those columns' values."""
        out = np.zeros(len(self.code[COLUMNS[0]]), dtype=np.int64)
        for c in columns:
            out = out * max(1, len(self.names[c])) + self.code[c]
        return out

    def runs(self, *columns: str) -> tuple[np.ndarray, np.ndarray]:
        """(order, starts): the allocation columns sorted by the values of ``columns``
        (in column order where those are equal), and where each run of equal values
        starts in ``order``."""
        key = self.key(*columns)
        order = np.argsort(key, kind="stable")
        sk = key[order]
        starts = np.flatnonzero(np.concatenate([[True], sk[1:] != sk[:-1]])) if len(sk) \
            else np.zeros(0, dtype=np.int64)
        return order, starts

    def group(self, *columns: str) -> dict[Any, np.ndarray]:
        """(values of ``columns``) -> the allocation columns with them, in column order;
        groups in the order of their first column."""
        order, starts = self.runs(*columns)
        if not len(order):
            return {}
        ends = np.append(starts[1:], len(order)).tolist()
        firsts = order[starts]
        by_first = np.argsort(firsts, kind="stable")
        labels = [np.array(self.names[c], dtype=object)[self.code[c][firsts]].tolist()
                  for c in columns]
        keys = list(zip(*labels, strict=True)) if len(columns) > 1 else labels[0]
        starts_l = starts.tolist()
        return {keys[g]: order[starts_l[g]:ends[g]] for g in by_first.tolist()}


def _ranks(values: list[str]) -> tuple[dict[str, int], list[str]]:
    names = sorted(set(values))
    return {v: i for i, v in enumerate(names)}, names


def _allocation_codes(problem: FundingProblem) -> Codes:
    """The allocation columns: every (recipient, activity, stream) line some eligibility row
    allows, in every year the recipient is funded, sorted by those four values."""
    rec = problem.recipients
    act = problem.activities
    r_id = [str(v) for v in rec["recipient"].tolist()]
    r_kind = np.array(rec["kind"].tolist(), dtype=object)
    a_id = [str(v) for v in act["activity"].tolist()]
    a_threat = np.array(act["threat"].tolist(), dtype=object)
    elig = rows(problem.eligibility)
    r_rank, r_names = _ranks(r_id)
    a_rank, a_names = _ranks(a_id)
    s_rank, s_names = _ranks([str(e["stream"]) for _, e in elig])
    y_rank, y_names = _ranks(list(problem.horizon))
    r_code = np.array([r_rank[r] for r in r_id], dtype=np.int64)
    a_code = np.array([a_rank[a] for a in a_id], dtype=np.int64)
    r_arr, a_arr = np.array(r_id, dtype=object), np.array(a_id, dtype=object)
    n_a, n_s = len(a_names), max(1, len(s_names))
    # an eligibility row picks the recipients and the activities that match it: a rectangle
    keys = []
    for _, e in elig:
        mr = np.ones(len(r_id), dtype=bool)
        if e["recipient_kind"]:
            mr &= r_kind == e["recipient_kind"]
        if e["recipient"]:
            mr &= r_arr == e["recipient"]
        ma = np.ones(len(a_id), dtype=bool)
        if e["activity"]:
            ma &= a_arr == e["activity"]
        if e["threat"]:
            ma &= a_threat == e["threat"]
        rs, acts = r_code[mr], a_code[ma]
        line = (np.repeat(rs, len(acts)) * n_a + np.tile(acts, len(rs))) * n_s
        keys.append(line + s_rank[str(e["stream"])])
    lines = np.unique(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.int64)
    line_s, line_ra = lines % n_s, lines // n_s
    line_r, line_a = line_ra // n_a, line_ra % n_a
    # funded years per recipient (by code), years in sorted order
    funded = np.zeros((len(r_names), len(y_names)), dtype=bool)
    for _, r in rows(rec):
        first = year_start(str(r["first_year"])) if r["first_year"] else -1
        last = year_start(str(r["last_year"])) if r["last_year"] else 10_000
        for y, j in y_rank.items():
            funded[r_rank[str(r["recipient"])], j] = first <= year_start(y) <= last
    li, yi = np.nonzero(funded[line_r])  # row-major: by line, then year
    return Codes(
        code={"recipient": line_r[li], "activity": line_a[li], "stream": line_s[li],
              "year": yi.astype(np.int64)},
        names={"recipient": r_names, "activity": a_names, "stream": s_names, "year": y_names},
    )
