"""The least amounts the hard rules force, in every plan: a recipient's floor, its
commitments, and the cliff-edge minimum (or glide path) that compounds from its baseline.

With a fall limit :math:`d` the least total funding is :math:`(1-d)^k` times the
baseline-year total after :math:`k` years (never below other income); the allocation must
make up what other income does not. A closing recipient's glide path steps down from its
baseline in equal whole steps instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fundopt._support import money, percent
from fundopt.explain.diagnosis import RuleRef
from fundopt.explain.prechecks.facts import Facts
from fundopt.problem.validation import rows


@dataclass
class Need:
    """A least amount the rules force, and the rules (and figures) behind it."""

    pounds: float = 0.0
    refs: list[RuleRef] = field(default_factory=list)
    words: list[str] = field(default_factory=list)

    def add(self, other: Need) -> None:
        self.pounds += other.pounds
        self.refs += [r for r in other.refs if r not in self.refs]
        self.words += [w for w in other.words if w not in self.words]


@dataclass(frozen=True)
class Least:
    """Least amounts per recipient, line and year; the cliff-edge minimums are worked out
    once (:func:`cliff_minimum`), as they compound over the years."""

    facts: Facts
    cliff: Mapping[tuple[str, str], Need]

    @classmethod
    def of(cls, facts: Facts) -> Least:
        return cls(facts, cliff_minimum(facts))

    def line(self, r: str, a: str, t: str, within: frozenset[str] | None = None) -> Need:
        """What hard commitments force onto line (r, a) in t; with ``within``, only the
        part that must come from those streams."""
        f = self.facts
        got = f.commitments.get((r, a, t), {})
        streams = f.line_streams.get((r, a), frozenset()) if f.funded(r, t) else frozenset()
        named = Need()
        for s, (amount, pos) in sorted(got.items(), key=lambda kv: kv[0] or ""):
            if s is not None and (within is None or s in within):
                ref = commitment_ref(f, r, a, s, t, amount, pos)
                named.add(Need(amount, [ref], ["commitments"]))
        whole = within is None or streams <= within
        if None in got and whole and got[None][0] > named.pounds:
            amount, pos = got[None]
            return Need(amount, [commitment_ref(f, r, a, None, t, amount, pos)], ["commitments"])
        return named

    def floor(self, r: str, t: str) -> Need:
        """r's hard floor in t: the larger of its amount and its ratio of the baseline."""
        f = self.facts
        chosen = f.limits.get((r, t))
        if chosen is None or not f.funded(r, t):
            return Need()
        pos, row = chosen
        best = Need()
        base, base_pos = f.baseline.get(r, (0.0, []))
        for column, amount in (("floor_amount", row["floor_amount"]),
                               ("floor_ratio", None if row["floor_ratio"] is None
                                else float(row["floor_ratio"]) * base)):
            if amount is None or float(amount) <= best.pounds:
                continue
            where = [f.loc("limits", pos, column)]
            if column == "floor_ratio":
                where += [f.loc("baselines", b, "amount") for b in base_pos]
            best = Need(float(amount), [RuleRef(
                f"{column}[{r},{t}]", "floor",
                f"Floor: {r} gets at least {money(float(amount))} in {t}",
                year=t, recipient=r, locations=tuple(where))], ["floors"])
        return best

    def recipient(self, r: str, t: str) -> Need:
        """The largest of the floor, the commitments and the cliff-edge minimum of r in t."""
        commitments = Need()
        for a in self.facts.lines_of.get(r, []):
            commitments.add(self.line(r, a, t))
        best = Need()
        for need in (self.floor(r, t), commitments, self.cliff.get((r, t), Need())):
            if need.pounds > best.pounds:
                best = need
        return best

    def forced(self, t: str, wanted: Callable[[str], bool]) -> Need:
        """Least funding in year t on the activities ``wanted(activity)`` accepts: what
        recipients' least amounts (or their lines' commitments) force there, or what the
        national requirements on those activities force, whichever is more."""
        f = self.facts
        total = Need()
        for r in sorted(f.recipients):
            if not f.funded(r, t):
                continue
            lines = f.lines_of.get(r, [])
            if lines and all(wanted(a) for a in lines):
                total.add(self.recipient(r, t))
            else:
                for a in lines:
                    if wanted(a):
                        total.add(self.line(r, a, t))
        by_requirement = Need()
        for pos, q in rows(f.problem.requirements):
            acts = [a for a, th in f.threat.items() if th == q["threat"]]
            if (q["year"] != t or q["region"] is not None or q["penalty"] is not None
                    or not acts or not all(wanted(a) for a in acts)):
                continue
            by_requirement.add(Need(float(q["amount"]), [requirement_ref(f, pos, q)],
                                    ["national requirements"]))
        return by_requirement if by_requirement.pounds > total.pounds else total


def commitment_ref(f: Facts, r: str, a: str, s: str | None, t: str, amount: float, pos: int
                   ) -> RuleRef:
    via = f" from stream '{s}'" if s else ""
    return RuleRef(f"commitment[{r},{a},{s or '*'},{t}]", "commitment",
                   f"Commitment: {r} gets at least {money(amount)} for '{a}'{via} in {t}",
                   year=t, recipient=r, stream=s or "",
                   locations=(f.loc("commitments", pos, "amount"),))


def requirement_ref(f: Facts, pos: int, q: dict[str, Any]) -> RuleRef:
    where = "nationally" if q["region"] is None else f"in region {q['region']}"
    return RuleRef(f"requirement[{q['threat']},{q['region'] or '*'},{q['year']}]",
                   "requirement", f"National requirement: at least {money(float(q['amount']))} "
                   f"on {q['threat']} {where} in {q['year']}", year=str(q["year"]),
                   locations=(f.loc("requirements", pos, "amount"),))


# -- cliff edges and glide paths -------------------------------------------------------------
def cliff_minimum(f: Facts) -> dict[tuple[str, str], Need]:
    """Least allocation the hard cliff-edge limits (or glide paths) force, compounding."""
    out: dict[tuple[str, str], Need] = {}
    limits = {("" if c["recipient"] is None else str(c["recipient"])): (pos, c)
              for pos, c in rows(f.problem.cliff_edges)}
    if not limits:
        return out
    for r in sorted(f.recipients):
        pos, lim = limits.get(r) or limits.get("") or (None, None)
        if lim is None or pos is None:
            continue
        funded = [t for t in f.horizon if f.funded(r, t)]
        closing = bool(f.recipients[r]["last_year"]) and bool(funded) \
            and funded[-1] != f.horizon[-1]
        if closing and f.baseline.get(r, (0.0, []))[0] > 0:  # as the formulation does
            out.update(_glide_path(f, r, funded))
        elif lim["penalty"] is None:
            out.update(_compounded(f, r, funded, pos, lim))
    return out


def _baseline_ref(f: Facts, r: str) -> RuleRef:
    base, base_pos = f.baseline.get(r, (0.0, []))
    return RuleRef(f"baseline[{r}]", "baseline",
                   f"Baseline: {r} had {money(base)} in {f.base_year}",
                   recipient=r, year=f.base_year,
                   locations=tuple(f.loc("baselines", b, "amount") for b in base_pos))


def _income(f: Facts, r: str, t: str) -> tuple[float, list[RuleRef]]:
    """r's other income in t, and the figure behind it (none if it has none)."""
    income, income_pos = f.income.get((r, t), (0.0, []))
    return income, [RuleRef(
        f"other_income[{r},{t}]", "other_income",
        f"Other income: {r} has {money(income)} in {t}", year=t, recipient=r,
        locations=tuple(f.loc("other_income", i, "amount") for i in income_pos),
    )] if income else []


def _glide_path(f: Facts, r: str, funded: list[str]) -> dict[tuple[str, str], Need]:
    """A closing recipient steps down from its baseline to nothing in equal steps."""
    base = f.baseline[r][0]
    step = math.ceil(base / (len(funded) + 1))  # whole pounds, as the formulation
    recipients = f.problem.recipients
    rec_pos = int(recipients.index[recipients["recipient"] == r][0])
    out: dict[tuple[str, str], Need] = {}
    refs = [_baseline_ref(f, r)]
    for k, t in enumerate(funded, start=1):
        refs = [*refs, RuleRef(
            f"glide_path[{r},{t}]", "glide_path",
            f"Glide path: {r} closes after {funded[-1]}; its allocation may fall at "
            f"most {money(step)} a year", year=t, recipient=r,
            locations=(f.loc("recipients", rec_pos, "last_year"),))]
        out[(r, t)] = Need(max(0.0, base - k * step), refs, ["glide paths"])
    return out


def _compounded(f: Facts, r: str, funded: list[str], pos: int, lim: dict[str, Any]
                ) -> dict[tuple[str, str], Need]:
    """The least total funding falls by at most the limit a year from the baseline-year
    total (the final year by its terminal share of it), and never below other income; the
    allocation must make up the rest."""
    last = f.horizon[-1]
    tau = f.problem.settings.terminal_fall_share if len(f.horizon) >= 2 else 1.0
    base = f.baseline.get(r, (0.0, []))[0]
    out: dict[tuple[str, str], Need] = {}
    least: dict[str, tuple[float, list[RuleRef]]] = {}  # least total funding
    for t in funded:
        prev = f.previous(t)
        income, income_refs = _income(f, r, t)
        if not f.exists(r, prev):
            least[t] = (income, income_refs)
            continue
        if prev == f.base_year:
            prev_income, prev_refs = _income(f, r, prev)
            before = (base + prev_income, [_baseline_ref(f, r), *prev_refs])
        else:
            before = least[prev]
        d = float(lim["max_fall_rate"]) * (tau if t == last else 1.0)
        note = " (final-year limit)" if t == last and tau != 1.0 else ""
        ref = RuleRef(f"cliff_edge[{r},{t}]", "cliff_edge",
                      f"Cliff edge: {r}'s total funding may fall at most {percent(d)} from "
                      f"{prev} to {t}{note}", year=t, recipient=r,
                      locations=(f.loc("cliff_edges", pos, "max_fall_rate"),))
        floor_total = (1 - d) * before[0]
        if floor_total > income:
            least[t] = (floor_total, [*before[1], ref])
            out[(r, t)] = Need(floor_total - income, [*before[1], ref, *income_refs],
                               ["cliff-edge limits"])
        else:
            least[t] = (income, income_refs)
    return out
