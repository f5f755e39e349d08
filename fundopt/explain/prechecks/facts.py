"""What the checks look up, read once from the problem's tables: who is funded when, which
streams may fund each line, baselines, other income, envelopes, carry-forward shares and
the hard rules (limits, ring-fences, commitments), each with the table row it comes from
so a conflict can name its cells."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from fundopt.explain.diagnosis import Location, locate
from fundopt.problem import FundingProblem, Origin
from fundopt.problem.validation import rows, year_start

Chosen = tuple[int, dict[str, Any]]  # (position, row) of the rule row that applies
Total = tuple[float, list[int]]  # (pounds, positions of the rows summed)
Commitments = dict[str | None, tuple[float, int]]  # stream or None -> (amount, position)


@dataclass(frozen=True)
class Facts:
    """The problem's lookups the checks share (every mapping is keyed by ids as text)."""

    problem: FundingProblem
    horizon: tuple[str, ...]
    base_year: str
    recipients: Mapping[str, dict[str, Any]]
    threat: Mapping[str, str]  # activity -> threat
    strand: Mapping[str, str]  # activity -> strand
    line_streams: Mapping[tuple[str, str], frozenset[str]]  # (recipient, activity) -> streams
    lines_of: Mapping[str, list[str]]  # recipient -> activities some stream may fund
    baseline: Mapping[str, Total]
    income: Mapping[tuple[str, str], Total]  # (recipient, year) -> other income
    envelopes: Mapping[tuple[str, str], tuple[int, float]]  # (stream, year) -> (pos, amount)
    carry_share: Mapping[str, tuple[int, float]]  # stream -> (pos, carry-forward share)
    limits: Mapping[tuple[str, str], Chosen]  # hard floors and caps per (recipient, year)
    local_shares: Mapping[tuple[str, str], Chosen]  # hard ring-fences per (recipient, year)
    local_priorities: Mapping[str, frozenset[str]]  # recipient -> its local priorities
    commitments: Mapping[tuple[str, str, str], Commitments]  # (recipient, activity, year)

    @classmethod
    def of(cls, problem: FundingProblem) -> Facts:
        horizon = problem.horizon
        line_streams = _line_streams(problem)
        acts = problem.activities
        return cls(
            problem=problem, horizon=horizon, base_year=problem.baseline_year,
            recipients={str(r["recipient"]): r for _, r in rows(problem.recipients)},
            threat=dict(zip(acts["activity"], acts["threat"], strict=True)),
            strand=dict(zip(acts["activity"], acts["strand"], strict=True)),
            line_streams=line_streams, lines_of=_lines_of(line_streams),
            baseline=_totals(problem.baselines, ("recipient",)),
            income=_totals(problem.other_income, ("recipient", "year")),
            envelopes={(str(e["stream"]), str(e["year"])): (pos, float(e["amount"]))
                       for pos, e in rows(problem.envelopes)},
            carry_share={str(s["stream"]): (pos, float(s["carry_forward_share"] or 0.0))
                         for pos, s in rows(problem.streams)},
            limits=_hard(_by_recipient_year(problem.limits, horizon)),
            local_shares=_hard(_by_recipient_year(problem.local_shares, horizon)),
            local_priorities=_local_priorities(problem),
            commitments=_hard_commitments(problem, horizon),
        )

    @property
    def origin(self) -> Origin:
        return self.problem.origin

    def loc(self, table: str, pos: int | None, column: str) -> Location:
        return locate(self.origin, table, pos, column)

    def funded(self, r: str, t: str) -> bool:
        """Whether recipient r may be funded in year t of the horizon."""
        rec = self.recipients[r]
        lo = year_start(str(rec["first_year"])) if rec["first_year"] else -1
        hi = year_start(str(rec["last_year"])) if rec["last_year"] else 10_000
        return t in self.horizon and lo <= year_start(t) <= hi

    def exists(self, r: str, t: str) -> bool:
        """Whether r exists in year t (the baseline year included)."""
        if t == self.base_year:
            first = self.recipients[r]["first_year"]
            return not first or year_start(str(first)) <= year_start(t)
        return self.funded(r, t)

    def previous(self, t: str) -> str:
        years = (self.base_year, *self.horizon)
        return years[years.index(t) - 1]

    def streams(self, r: str, t: str) -> frozenset[str]:
        """The streams that may fund any line of r in t."""
        if not self.funded(r, t):
            return frozenset()
        return frozenset().union(*(self.line_streams[(r, a)] for a in self.lines_of.get(r, [])))


def _line_streams(problem: FundingProblem) -> dict[tuple[str, str], frozenset[str]]:
    """(recipient, activity) -> the streams that may fund it (eligibility)."""
    rec, act = problem.recipients, problem.activities
    pairs = rec[["recipient", "kind"]].merge(act[["activity", "threat"]], how="cross")
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    for _, e in rows(problem.eligibility):
        m = pd.Series(True, index=pairs.index)
        for column, key in (("recipient_kind", "kind"), ("recipient", "recipient"),
                            ("activity", "activity"), ("threat", "threat")):
            if e[column]:
                m &= pairs[key] == e[column]
        for r, a in pairs.loc[m, ["recipient", "activity"]].itertuples(index=False):
            out[(str(r), str(a))].add(str(e["stream"]))
    return {k: frozenset(v) for k, v in out.items()}


def _lines_of(line_streams: Mapping[tuple[str, str], frozenset[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for r, a in sorted(line_streams):
        out[r].append(a)
    return dict(out)


def _totals(table: pd.DataFrame, key: tuple[str, ...]) -> dict[Any, Total]:
    """Amounts summed by ``key`` (one column: its text; more: a tuple), with their rows."""
    out: dict[Any, Total] = {}
    for pos, row in rows(table):
        k = tuple(str(row[c]) for c in key) if len(key) > 1 else str(row[key[0]])
        total, where = out.get(k, (0.0, []))
        out[k] = (total + float(row["amount"]), [*where, pos])
    return out


def _by_recipient_year(table: pd.DataFrame, horizon: tuple[str, ...]
                       ) -> dict[tuple[str, str], Chosen]:
    """The row that applies to each (recipient, year): one for its year, else the first
    with no year."""
    out: dict[tuple[str, str], Chosen] = {}
    for pos, r in rows(table):
        if r["year"] is None:
            for y in horizon:
                out.setdefault((str(r["recipient"]), y), (pos, r))
    for pos, r in rows(table):
        if r["year"] is not None:
            out[(str(r["recipient"]), str(r["year"]))] = (pos, r)
    return out


def _hard(chosen: dict[tuple[str, str], Chosen]) -> dict[tuple[str, str], Chosen]:
    # a rule with a penalty can always give way, so it never makes a conflict certain
    return {k: v for k, v in chosen.items() if v[1]["penalty"] is None}


def _local_priorities(problem: FundingProblem) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for _, lp in rows(problem.local_priorities):
        out[str(lp["recipient"])].add(str(lp["activity"]))
    return {r: frozenset(a) for r, a in out.items()}


def _hard_commitments(problem: FundingProblem, horizon: tuple[str, ...]
                      ) -> dict[tuple[str, str, str], Commitments]:
    """(recipient, activity, year) -> {stream or None: (largest hard amount, position)}."""
    out: dict[tuple[str, str, str], Commitments] = defaultdict(dict)
    for pos, c in rows(problem.commitments):
        if c["penalty"] is not None:
            continue
        lo, hi = year_start(str(c["first_year"])), year_start(str(c["last_year"]))
        for t in horizon:
            if lo <= year_start(t) <= hi:
                key = (str(c["recipient"]), str(c["activity"]), t)
                s = None if c["stream"] is None else str(c["stream"])
                if float(c["amount"]) > out[key].get(s, (-1.0, 0))[0]:
                    out[key][s] = (float(c["amount"]), pos)
    return dict(out)
