"""Closed-form checks: common conflicts between rules, with the exact shortfall.

:func:`fundopt.solve` runs them once HiGHS reports the LP infeasible (a feasible problem
never pays for them) and raises what they find instead of an IIS; they need no solver.

Each check compares a *least* amount the rules force (a sum of lower bounds that hold in
every plan) with a *most* amount the rules allow (an upper bound that holds in every plan);
when the least exceeds the most, no plan exists, and the gap is the exact shortfall in
pounds. Only hard rules count (a rule with a penalty can always give way). The checks:

- **P01 no stream can fund it**: a floor, commitment or cliff-edge limit needs money for
  a recipient (or line) that no stream may fund that year;
- **P02 envelope**: floors, commitments and cliff-edge minimums of the recipients only
  some streams can fund, against those streams' envelopes plus the most they can carry in;
- **P03 cap**: a recipient's floor, commitments or cliff-edge minimum above its cap;
- **P04 share target**: a share that eligibility cannot reach (no stream may fund its
  numerator, or nothing outside it) while other rules force funding into its base;
- **P05 requirement**: a national or regional requirement above the most its recipients
  can be given, under their national ring-fences (``max_national_share``), caps and
  streams.

The cliff-edge minimum compounds: with a fall limit :math:`d` the least total funding is
:math:`(1-d)^k` times the baseline-year total after :math:`k` years (never below other
income), so an ending stream can make it unreachable. Pure pandas; no solver.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from fundopt._support import money, percent
from fundopt.explain.diagnosis import (
    TOLERANCE_POUNDS,
    Conflict,
    Diagnosis,
    Location,
    RuleRef,
    infeasible,
    locate,
)
from fundopt.problem import FundingProblem
from fundopt.problem.schema import ShareScope, Threat
from fundopt.problem.validation import rows, year_start

LOCAL = Threat.LOCAL_POLICING.value
_Chosen = tuple[int, dict[str, Any]]  # (position, row) of the rule row that applies


def find_conflicts(problem: FundingProblem) -> Diagnosis | None:
    """The conflicts the checks find (each certain), or None."""
    found = _Checks(problem).run()
    return Diagnosis(tuple(found)) if found else None


def raise_conflicts(problem: FundingProblem) -> None:
    """Raise :class:`~fundopt.InfeasibleError` (with the diagnosis) if a check finds a conflict."""
    found = find_conflicts(problem)
    if found is not None:
        raise infeasible(found)


@dataclass
class _Need:
    """A least amount the rules force, and the rules (and figures) behind it."""

    pounds: float = 0.0
    refs: list[RuleRef] = field(default_factory=list)
    words: list[str] = field(default_factory=list)

    def add(self, other: _Need) -> None:
        self.pounds += other.pounds
        self.refs += [r for r in other.refs if r not in self.refs]
        self.words += [w for w in other.words if w not in self.words]


def _words(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _dedupe(refs: list[RuleRef]) -> tuple[RuleRef, ...]:
    out: list[RuleRef] = []
    for r in refs:
        if r not in out:
            out.append(r)
    return tuple(out)


class _Checks:
    def __init__(self, problem: FundingProblem) -> None:
        self.p = problem
        self.origin = problem.origin
        self.horizon = problem.horizon
        self.base_year = problem.baseline_year
        self.recs = {str(r["recipient"]): r for _, r in rows(problem.recipients)}
        self.threat = dict(zip(problem.activities["activity"], problem.activities["threat"],
                               strict=True))
        self.strand = dict(zip(problem.activities["activity"], problem.activities["strand"],
                               strict=True))
        self.conflicts: list[Conflict] = []

    # -- facts ---------------------------------------------------------------------------------
    def loc(self, table: str, pos: int | None, column: str) -> Location:
        return locate(self.origin, table, pos, column)

    def funded(self, r: str, t: str) -> bool:
        rec = self.recs[r]
        lo = year_start(str(rec["first_year"])) if rec["first_year"] else -1
        hi = year_start(str(rec["last_year"])) if rec["last_year"] else 10_000
        return t in self.horizon and lo <= year_start(t) <= hi

    def exists(self, r: str, t: str) -> bool:
        if t == self.base_year:
            first = self.recs[r]["first_year"]
            return not first or year_start(str(first)) <= year_start(t)
        return self.funded(r, t)

    def previous(self, t: str) -> str:
        years = (self.base_year, *self.horizon)
        return years[years.index(t) - 1]

    @cached_property
    def line_streams(self) -> dict[tuple[str, str], frozenset[str]]:
        """(recipient, activity) -> the streams that may fund it (eligibility)."""
        rec, act = self.p.recipients, self.p.activities
        pairs = rec[["recipient", "kind"]].merge(act[["activity", "threat"]], how="cross")
        out: dict[tuple[str, str], set[str]] = defaultdict(set)
        for _, e in rows(self.p.eligibility):
            m = pd.Series(True, index=pairs.index)
            for column, key in (("recipient_kind", "kind"), ("recipient", "recipient"),
                                ("activity", "activity"), ("threat", "threat")):
                if e[column]:
                    m &= pairs[key] == e[column]
            for r, a in pairs.loc[m, ["recipient", "activity"]].itertuples(index=False):
                out[(str(r), str(a))].add(str(e["stream"]))
        return {k: frozenset(v) for k, v in out.items()}

    @cached_property
    def lines_of(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for r, a in sorted(self.line_streams):
            out[r].append(a)
        return out

    def streams(self, r: str, t: str) -> frozenset[str]:
        if not self.funded(r, t):
            return frozenset()
        return frozenset().union(*(self.line_streams[(r, a)] for a in self.lines_of.get(r, [])))

    @cached_property
    def baseline(self) -> dict[str, tuple[float, list[int]]]:
        out: dict[str, tuple[float, list[int]]] = {}
        for pos, b in rows(self.p.baselines):
            total, where = out.get(str(b["recipient"]), (0.0, []))
            out[str(b["recipient"])] = (total + float(b["amount"]), [*where, pos])
        return out

    @cached_property
    def income(self) -> dict[tuple[str, str], tuple[float, list[int]]]:
        out: dict[tuple[str, str], tuple[float, list[int]]] = {}
        for pos, o in rows(self.p.other_income):
            key = (str(o["recipient"]), str(o["year"]))
            total, where = out.get(key, (0.0, []))
            out[key] = (total + float(o["amount"]), [*where, pos])
        return out

    @cached_property
    def envelopes(self) -> dict[tuple[str, str], tuple[int, float]]:
        return {(str(e["stream"]), str(e["year"])): (pos, float(e["amount"]))
                for pos, e in rows(self.p.envelopes)}

    @cached_property
    def carry_share(self) -> dict[str, tuple[int, float]]:
        return {str(s["stream"]): (pos, float(s["carry_forward_share"] or 0.0))
                for pos, s in rows(self.p.streams)}

    def by_recipient_year(self, table: pd.DataFrame) -> dict[tuple[str, str], _Chosen]:
        out: dict[tuple[str, str], _Chosen] = {}
        for pos, r in rows(table):
            if r["year"] is None:
                for y in self.horizon:
                    out.setdefault((str(r["recipient"]), y), (pos, r))
        for pos, r in rows(table):
            if r["year"] is not None:
                out[(str(r["recipient"]), str(r["year"]))] = (pos, r)
        return out

    @cached_property
    def limits(self) -> dict[tuple[str, str], _Chosen]:
        return {k: v for k, v in self.by_recipient_year(self.p.limits).items()
                if v[1]["penalty"] is None}

    @cached_property
    def local_shares(self) -> dict[tuple[str, str], _Chosen]:
        return {k: v for k, v in self.by_recipient_year(self.p.local_shares).items()
                if v[1]["penalty"] is None}

    @cached_property
    def local_priorities(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for _, lp in rows(self.p.local_priorities):
            out[str(lp["recipient"])].add(str(lp["activity"]))
        return out

    # -- money the streams have ---------------------------------------------------------------
    def capacity(self, streams: frozenset[str], t: str) -> tuple[float, list[RuleRef], bool]:
        """The most streams can spend in year t: envelopes plus the most carried in."""
        total, refs, carried = 0.0, [], False
        prev = self.previous(t)
        for s in sorted(streams):
            pos, amount = self.envelopes.get((s, t), (None, float("inf")))
            total += amount
            refs.append(RuleRef(f"envelope[{s},{t}]", "envelope",
                                f"Envelope: stream '{s}' has {money(amount)} in {t}", year=t,
                                stream=s, locations=(self.loc("envelopes", pos, "amount"),)))
            share_pos, share = self.carry_share.get(s, (None, 0.0))
            if share > 0 and prev != self.base_year and (s, prev) in self.envelopes:
                prev_pos, prev_amount = self.envelopes[(s, prev)]
                total += share * prev_amount
                carried = True
                refs.append(RuleRef(
                    f"carry[{s},{prev}]", "carry",
                    f"Carry-forward: stream '{s}' may carry at most {percent(share)} of its "
                    f"{prev} envelope ({money(share * prev_amount)}) into {t}", year=prev,
                    stream=s, locations=(self.loc("streams", share_pos, "carry_forward_share"),
                                         self.loc("envelopes", prev_pos, "amount"))))
        return total, refs, carried

    # -- least amounts the rules force ------------------------------------------------------
    @cached_property
    def commitments(self) -> dict[tuple[str, str, str], dict[str | None, tuple[float, int]]]:
        """(recipient, activity, year) -> {stream or None: (largest hard amount, position)}."""
        out: dict[tuple[str, str, str], dict[str | None, tuple[float, int]]] = defaultdict(dict)
        for pos, c in rows(self.p.commitments):
            if c["penalty"] is not None:
                continue
            lo, hi = year_start(str(c["first_year"])), year_start(str(c["last_year"]))
            for t in self.horizon:
                if lo <= year_start(t) <= hi:
                    key = (str(c["recipient"]), str(c["activity"]), t)
                    s = None if c["stream"] is None else str(c["stream"])
                    if float(c["amount"]) > out[key].get(s, (-1.0, 0))[0]:
                        out[key][s] = (float(c["amount"]), pos)
        return out

    def commitment_ref(self, r: str, a: str, s: str | None, t: str, amount: float, pos: int
                       ) -> RuleRef:
        via = f" from stream '{s}'" if s else ""
        return RuleRef(f"commitment[{r},{a},{s or '*'},{t}]", "commitment",
                       f"Commitment: {r} gets at least {money(amount)} for '{a}'{via} in {t}",
                       year=t, recipient=r, stream=s or "",
                       locations=(self.loc("commitments", pos, "amount"),))

    def line_need(self, r: str, a: str, t: str, within: frozenset[str] | None = None) -> _Need:
        """What hard commitments force onto line (r, a) in t; with ``within``, only the
        part that must come from those streams."""
        got = self.commitments.get((r, a, t), {})
        streams = self.line_streams.get((r, a), frozenset()) if self.funded(r, t) else frozenset()
        named = _Need()
        for s, (amount, pos) in sorted(got.items(), key=lambda kv: kv[0] or ""):
            if s is not None and (within is None or s in within):
                ref = self.commitment_ref(r, a, s, t, amount, pos)
                named.add(_Need(amount, [ref], ["commitments"]))
        whole = within is None or streams <= within
        if None in got and whole and got[None][0] > named.pounds:
            amount, pos = got[None]
            return _Need(amount, [self.commitment_ref(r, a, None, t, amount, pos)], ["commitments"])
        return named

    def floor(self, r: str, t: str) -> _Need:
        chosen = self.limits.get((r, t))
        if chosen is None or not self.funded(r, t):
            return _Need()
        pos, row = chosen
        best = _Need()
        base, base_pos = self.baseline.get(r, (0.0, []))
        for column, amount in (("floor_amount", row["floor_amount"]),
                               ("floor_ratio", None if row["floor_ratio"] is None
                                else float(row["floor_ratio"]) * base)):
            if amount is None or float(amount) <= best.pounds:
                continue
            where = [self.loc("limits", pos, column)]
            if column == "floor_ratio":
                where += [self.loc("baselines", b, "amount") for b in base_pos]
            best = _Need(float(amount), [RuleRef(
                f"{column}[{r},{t}]", "floor",
                f"Floor: {r} gets at least {money(float(amount))} in {t}",
                year=t, recipient=r, locations=tuple(where))], ["floors"])
        return best

    @cached_property
    def cliff_minimum(self) -> dict[tuple[str, str], _Need]:
        """Least allocation the hard cliff-edge limits (or glide paths) force, compounding."""
        out: dict[tuple[str, str], _Need] = {}
        limits = {("" if c["recipient"] is None else str(c["recipient"])): (pos, c)
                  for pos, c in rows(self.p.cliff_edges)}
        if not limits:
            return out
        last = self.horizon[-1]
        tau = self.p.settings.terminal_fall_share if len(self.horizon) >= 2 else 1.0
        for r in sorted(self.recs):
            pos, lim = limits.get(r) or limits.get("") or (None, None)
            if lim is None or pos is None:
                continue
            funded = [t for t in self.horizon if self.funded(r, t)]
            base, base_pos = self.baseline.get(r, (0.0, []))
            base_ref = RuleRef(f"baseline[{r}]", "baseline",
                               f"Baseline: {r} had {money(base)} in {self.base_year}",
                               recipient=r, year=self.base_year,
                               locations=tuple(self.loc("baselines", b, "amount")
                                               for b in base_pos))
            closing = bool(self.recs[r]["last_year"]) and funded and funded[-1] != last
            if closing and r in self.baseline and self.exists(r, self.base_year):
                step = base / (len(funded) + 1)
                rec_pos = int(self.p.recipients.index[self.p.recipients["recipient"] == r][0])
                refs = [base_ref]
                for k, t in enumerate(funded, start=1):
                    refs = [*refs, RuleRef(
                        f"glide_path[{r},{t}]", "glide_path",
                        f"Glide path: {r} closes after {funded[-1]}; its allocation may fall at "
                        f"most {money(step)} a year", year=t, recipient=r,
                        locations=(self.loc("recipients", rec_pos, "last_year"),))]
                    out[(r, t)] = _Need(max(0.0, base - k * step), refs, ["glide paths"])
                continue
            if lim["penalty"] is not None:
                continue
            least: dict[str, tuple[float, list[RuleRef]]] = {}  # least total funding
            for t in funded:
                prev = self.previous(t)
                income, income_pos = self.income.get((r, t), (0.0, []))
                income_refs = [RuleRef(
                    f"other_income[{r},{t}]", "other_income",
                    f"Other income: {r} has {money(income)} in {t}", year=t, recipient=r,
                    locations=tuple(self.loc("other_income", i, "amount") for i in income_pos),
                )] if income else []
                if not self.exists(r, prev):
                    least[t] = (income, income_refs)
                    continue
                if prev == self.base_year:
                    prev_income, prev_pos = self.income.get((r, prev), (0.0, []))
                    refs = [base_ref] + ([RuleRef(
                        f"other_income[{r},{prev}]", "other_income",
                        f"Other income: {r} has {money(prev_income)} in {prev}", year=prev,
                        recipient=r, locations=tuple(self.loc("other_income", i, "amount")
                                                     for i in prev_pos))] if prev_income else [])
                    before = (base + prev_income, refs)
                else:
                    before = least[prev]
                d = float(lim["max_fall_rate"]) * (tau if t == last else 1.0)
                note = " (final-year limit)" if t == last and tau != 1.0 else ""
                ref = RuleRef(f"cliff_edge[{r},{t}]", "cliff_edge",
                              f"Cliff edge: {r}'s total funding may fall at most {percent(d)} from "
                              f"{prev} to {t}{note}", year=t, recipient=r,
                              locations=(self.loc("cliff_edges", pos, "max_fall_rate"),))
                floor_total = (1 - d) * before[0]
                if floor_total > income:
                    least[t] = (floor_total, [*before[1], ref])
                    out[(r, t)] = _Need(floor_total - income, [*before[1], ref, *income_refs],
                                        ["cliff-edge limits"])
                else:
                    least[t] = (income, income_refs)
        return out

    def least(self, r: str, t: str) -> _Need:
        """The largest of the floor, the commitments and the cliff-edge minimum of r in t."""
        commitments = _Need()
        for a in self.lines_of.get(r, []):
            commitments.add(self.line_need(r, a, t))
        best = _Need()
        for need in (self.floor(r, t), commitments, self.cliff_minimum.get((r, t), _Need())):
            if need.pounds > best.pounds:
                best = need
        return best

    # -- the checks -------------------------------------------------------------------------
    def run(self) -> list[Conflict]:
        self.check_unfundable()
        self.check_envelopes()
        self.check_caps()
        self.check_shares()
        self.check_requirements()
        return self.conflicts

    def conflict(self, code: str, summary: str, refs: list[RuleRef], shortfall: float,
                 suggestion: str) -> None:
        self.conflicts.append(
            Conflict("check", code, summary, _dedupe(refs), shortfall, suggestion))

    def check_unfundable(self) -> None:
        for (r, a, t), got in sorted(self.commitments.items(), key=lambda kv: kv[0]):
            streams = self.line_streams.get((r, a), frozenset())
            if not self.funded(r, t):
                streams = frozenset()
            for s, (amount, pos) in sorted(got.items(), key=lambda kv: kv[0] or ""):
                if (s is None and streams) or (s is not None and s in streams):
                    continue
                via = f" from stream '{s}'" if s else ""
                self.conflict(
                    "FO-P01", f"in {t}, the commitment of {money(amount)} to {r}'s '{a}'{via} "
                    f"cannot be met: no stream may fund {r}'s '{a}'{via} that year: short by "
                    f"{money(amount)}", [self.commitment_ref(r, a, s, t, amount, pos)], amount,
                    f"let a stream fund it (sheet 'Eligibility'; {r}'s funded years on sheet "
                    "'Recipients'), or remove the commitment")
        for r in sorted(self.recs):
            for t in self.horizon:
                if not self.funded(r, t) or self.streams(r, t):
                    continue
                need = self.least(r, t)
                if need.pounds > TOLERANCE_POUNDS:
                    self.conflict(
                        "FO-P01", f"in {t}, {r}'s {_words(need.words)} need at least "
                        f"{money(need.pounds)} but no stream may fund {r}: short by "
                        f"{money(need.pounds)}", need.refs, need.pounds,
                        f"let a stream fund {r} (sheet 'Eligibility'), or change the rules")

    def check_envelopes(self) -> None:
        all_streams = sorted(self.carry_share)
        for t in self.horizon:
            needs = {r: self.least(r, t) for r in sorted(self.recs) if self.funded(r, t)}
            sets = {frozenset({s}) for s in all_streams}
            sets |= {self.streams(r, t) for r, n in needs.items() if n.pounds > TOLERANCE_POUNDS}
            found: list[frozenset[str]] = []
            for group in sorted((g for g in sets if g), key=lambda g: (len(g), sorted(g))):
                if any(f <= group for f in found):
                    continue
                total = _Need()
                for r, need in needs.items():
                    if need.pounds > TOLERANCE_POUNDS and self.streams(r, t) <= group:
                        total.add(need)
                    elif self.streams(r, t):
                        for a in self.lines_of.get(r, []):
                            total.add(self.line_need(r, a, t, within=group))
                cap, cap_refs, carried = self.capacity(group, t)
                if total.pounds <= cap + TOLERANCE_POUNDS:
                    continue
                found.append(group)
                short = total.pounds - cap
                names = _words([f"'{s}'" for s in sorted(group)])
                only = f"only stream {names} can fund" if len(group) == 1 else \
                    f"only streams {names} can fund"
                has = "its envelope is" if len(group) == 1 else "their envelopes total"
                carry = " with the most it can carry in" if carried else ""
                self.conflict(
                    "FO-P02", f"in {t}, {_words(total.words)} of recipients {only} total "
                    f"{money(total.pounds)} but {has} {money(cap)}{carry}: short by "
                    f"{money(short)}", total.refs + cap_refs, short,
                    f"add {money(short)} to the envelope{'s' if len(group) > 1 else ''} in {t}, "
                    f"or let these {_words(total.words)} give way by {money(short)} in all")

    def cap(self, r: str, t: str) -> tuple[float, list[RuleRef]]:
        chosen = self.limits.get((r, t))
        if chosen is None:
            return float("inf"), []
        pos, row = chosen
        base, base_pos = self.baseline.get(r, (0.0, []))
        best: tuple[float, list[RuleRef]] = (float("inf"), [])
        for column, amount in (("cap_amount", row["cap_amount"]),
                               ("cap_ratio", None if row["cap_ratio"] is None
                                else float(row["cap_ratio"]) * base)):
            if amount is None or float(amount) >= best[0]:
                continue
            where = [self.loc("limits", pos, column)]
            if column == "cap_ratio":
                where += [self.loc("baselines", b, "amount") for b in base_pos]
            best = (float(amount), [RuleRef(
                f"{column}[{r},{t}]", "cap", f"Cap: {r} gets at most {money(float(amount))} in {t}",
                year=t, recipient=r, locations=tuple(where))])
        return best

    def check_caps(self) -> None:
        for r in sorted(self.recs):
            for t in self.horizon:
                if not self.funded(r, t):
                    continue
                cap, refs = self.cap(r, t)
                need = self.least(r, t)
                if need.pounds > cap + TOLERANCE_POUNDS:
                    short = need.pounds - cap
                    self.conflict(
                        "FO-P03", f"in {t}, {r}'s {_words(need.words)} need at least "
                        f"{money(need.pounds)} but its cap is {money(cap)}: over by {money(short)}",
                        need.refs + refs, short,
                        f"raise {r}'s cap in {t} or lower its {_words(need.words)} by "
                        f"{money(short)}")

    def forced(self, t: str, wanted: Any) -> _Need:
        """Least funding in year t on the activities ``wanted(activity)`` accepts."""
        total = _Need()
        for r in sorted(self.recs):
            if not self.funded(r, t):
                continue
            lines = self.lines_of.get(r, [])
            if lines and all(wanted(a) for a in lines):
                total.add(self.least(r, t))
            else:
                for a in lines:
                    if wanted(a):
                        total.add(self.line_need(r, a, t))
        by_requirement = _Need()
        for pos, q in rows(self.p.requirements):
            acts = [a for a, th in self.threat.items() if th == q["threat"]]
            if (q["year"] != t or q["region"] is not None or q["penalty"] is not None
                    or not acts or not all(wanted(a) for a in acts)):
                continue
            by_requirement.add(_Need(float(q["amount"]), [self.requirement_ref(pos, q)],
                                     ["national requirements"]))
        return by_requirement if by_requirement.pounds > total.pounds else total

    def requirement_ref(self, pos: int, q: dict[str, Any]) -> RuleRef:
        where = "nationally" if q["region"] is None else f"in region {q['region']}"
        return RuleRef(f"requirement[{q['threat']},{q['region'] or '*'},{q['year']}]",
                       "requirement", f"National requirement: at least {money(float(q['amount']))} "
                       f"on {q['threat']} {where} in {q['year']}", year=str(q["year"]),
                       locations=(self.loc("requirements", pos, "amount"),))

    def check_shares(self) -> None:
        for pos, g in rows(self.p.share_targets):
            if g["penalty"] is not None:
                continue
            t = str(g["year"])
            soc = g["scope"] == ShareScope.SOC.value

            def in_scope(a: str, soc: bool = soc) -> bool:
                return not soc or self.threat[a] != LOCAL

            def in_numerator(a: str, g: dict[str, Any] = g) -> bool:
                return ((g["strand"] is None or self.strand[a] == g["strand"])
                        and (g["threat"] is None or self.threat[a] == g["threat"]))

            possible = [(r, a) for (r, a), s in self.line_streams.items()
                        if s and self.funded(r, t) and in_scope(a)]
            what = " ".join(str(v) for v in (g["strand"], g["threat"]) if v is not None) or "all"
            of = "SOC funding" if soc else "all funding"
            for column, word in (("min_share", "at least"), ("max_share", "at most")):
                share = g[column]
                if share is None:
                    continue
                share = float(share)
                key = f"{g['strand'] or '*'},{g['threat'] or '*'},{g['scope']},{t}"
                ref = RuleRef(f"share_{column[:3]}[{key}]", "share_target",
                              f"Share target: {what} gets {word} {percent(share)} of {of} in {t}",
                              year=t, locations=(self.loc("share_targets", pos, column),))
                reachable = any(in_numerator(a) for _, a in possible)
                if column == "min_share" and share > 0 and not reachable:
                    base = self.forced(t, in_scope)
                    short = share * base.pounds
                    missing = f"{what} activities"
                elif column == "max_share" and share < 1 and not any(
                        not in_numerator(a) for _, a in possible):
                    base = self.forced(t, lambda a, f=in_numerator, s=in_scope: f(a) and s(a))
                    short = (1 - share) * base.pounds
                    missing = f"any {'SOC ' if soc else ''}activity other than {what}"
                else:
                    continue
                if short <= TOLERANCE_POUNDS:
                    continue
                self.conflict(
                    "FO-P04", f"in {t}, the share target '{what} gets {word} {percent(share)} of "
                    f"{of}' cannot be met: no stream may fund {missing} that year, yet "
                    f"{_words(base.words)} force {money(base.pounds)} of {of}: short by "
                    f"{money(short)}", [ref, *base.refs], short,
                    f"let a stream fund {missing} in {t} (sheet 'Eligibility'), or remove the "
                    "target")

    def check_requirements(self) -> None:
        regions: dict[str, list[str]] = defaultdict(list)
        for r, rec in self.recs.items():
            if rec["region"]:
                regions[str(rec["region"])].append(r)
        for pos, q in rows(self.p.requirements):
            if q["penalty"] is not None:
                continue
            t, threat, amount = str(q["year"]), str(q["threat"]), float(q["amount"])
            members = sorted(self.recs if q["region"] is None else regions[str(q["region"])])
            total = 0.0
            refs: list[RuleRef] = []
            all_streams: set[str] = set()
            for r in members:
                if not self.funded(r, t):
                    continue
                lines = [a for a in self.lines_of.get(r, []) if self.threat[a] == threat]
                streams = frozenset().union(*(self.line_streams[(r, a)] for a in lines))
                if not streams:
                    continue
                all_streams |= streams
                cap, cap_refs = self.cap(r, t)
                ring = self.local_shares.get((r, t))
                national = threat != LOCAL and not (set(lines) & self.local_priorities[r])
                if ring is not None and ring[1]["max_national_share"] is not None and national:
                    share = float(ring[1]["max_national_share"])
                    money_in, money_refs, _ = self.capacity(self.streams(r, t), t)
                    most, most_refs = (cap, cap_refs) if cap <= money_in else (money_in, money_refs)
                    total += share * most
                    refs += [RuleRef(
                        f"national_share[{r},{t}]", "national_share",
                        f"National ring-fence: at most {percent(share)} of {r}'s allocation goes "
                        f"to national priorities in {t}", year=t, recipient=r,
                        locations=(self.loc("local_shares", ring[0], "max_national_share"),)),
                        *most_refs]
                else:
                    money_in, money_refs, _ = self.capacity(streams, t)
                    most, most_refs = (cap, cap_refs) if cap <= money_in else (money_in, money_refs)
                    total += most
                    refs += most_refs
            pooled, pooled_refs, _ = self.capacity(frozenset(all_streams), t)
            if pooled < total:
                total, refs = pooled, pooled_refs
            if amount <= total + TOLERANCE_POUNDS:
                continue
            short = amount - total
            where = "nationally" if q["region"] is None else f"in region {q['region']}"
            self.conflict(
                "FO-P05", f"in {t}, the requirement of {money(amount)} on {threat} {where} "
                f"cannot be met: its recipients' national ring-fences, caps and streams allow at "
                f"most {money(total)}: short by {money(short)}",
                [self.requirement_ref(pos, q), *refs], short,
                f"lower the requirement by {money(short)}, or raise those ring-fences "
                "(max_national_share), caps or envelopes")
