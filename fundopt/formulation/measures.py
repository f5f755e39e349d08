"""Each goal's measure at a given plan: the objective's auxiliary variables (tranches,
distances, changes, mix levels) at their best for those allocations, worked out directly.

A plan's ``tiers`` table reports what the whole-pound plan achieves with these, and
rounding checks with them that the plan keeps every tier within its give. They follow
docs/formulation.md ("Objective", "Stability"); ``tests/test_measures.py`` holds them
equal to those definitions worked out one item at a time, and ``tests/test_tiers.py`` the
tiers table's figures to hand-worked ones.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from fundopt.formulation.blocks import Groups
from fundopt.formulation.constraints.stability import (
    BEYOND_LIMIT_WEIGHT,
    STEP_WEIGHT,
    Items,
    mix_weights,
    stepped,
    tie_break_weights,
)
from fundopt.formulation.index import ProblemIndex
from fundopt.formulation.objective import tranche_kinds
from fundopt.problem.priorities import Tier
from fundopt.problem.schema import Goal, Level


class Measures:
    """The goals' measures of plans of one problem (the lookups are made once)."""

    def __init__(self, index: ProblemIndex) -> None:
        self.index = index
        self._items = {level: _Changes(Items(index, level)) for level in Level}
        self._lines = Groups.of(index.codes, "recipient", "activity", "year")
        self._tranches = _Tranches(index, self._lines)
        self._tie_break = tie_break_weights(index)

    def __call__(self, alloc: np.ndarray, breach: float = 0.0) -> dict[Goal, float]:
        """Each goal's measure for allocations ``alloc`` (pounds, one per allocation
        column), with ``breach`` pounds of breach penalty on soft rules (value's other
        part)."""
        x = np.asarray(alloc, dtype=float)
        totals = self._totals(x)
        return {
            Goal.VALUE: self._value(x) - breach,
            Goal.NEED: self._need(totals),
            Goal.VOLATILITY: self._volatility(totals),
            Goal.STABILITY: sum(self._stability(x, level) for level in Level)
            + float(np.dot(self._tie_break, x)),
        }

    def tier(self, tier: Tier, measures: dict[Goal, float]) -> float:
        """A tier's measure: its goals' measures, weighted, a minimised goal counted
        against a maximised tier."""
        sign = 1.0 if tier.maximised else -1.0
        return sum(w * (measures[g] if g.maximised else -measures[g]) * sign
                   for g, w in tier.weights.items())

    # -- the goals ------------------------------------------------------------------------
    def _sums(self, groups: Groups, x: np.ndarray) -> np.ndarray:
        if not len(groups):
            return np.zeros(0)
        return np.add.reduceat(x[groups.order], groups.starts)

    def _value(self, x: np.ndarray) -> float:
        return self._tranches.value(self._sums(self._lines, x))

    def _totals(self, x: np.ndarray) -> dict[tuple[str, str], float]:
        """(recipient, year) -> allocation, the baseline year's being the baseline."""
        out = {k: float(x[cols].sum()) for k, cols in
               self.index.columns_of_recipient_year.items()}
        for r, amount in self.index.baseline.items():
            out[(r, self.index.baseline_year)] = amount
        return out

    def _need(self, totals: dict[tuple[str, str], float]) -> float:
        idx = self.index
        kinds: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for r, row in sorted(idx.recipient_rows.items()):
            if row["need_weight"] is not None:
                kinds[str(row["kind"])].append((r, float(row["need_weight"])))  # type: ignore[arg-type]
        out = 0.0
        for members in kinds.values():
            for t in idx.horizon:
                active = [(r, w) for r, w in members if t in idx.funded_years(r)]
                weight = sum(w for _, w in active)
                if weight <= 0:
                    continue
                whole = sum(totals.get((r, t), 0.0) for r, _ in active)
                out += sum(abs(totals.get((r, t), 0.0) - w / weight * whole) for r, w in active)
        return out

    def _volatility(self, totals: dict[tuple[str, str], float]) -> float:
        idx = self.index
        out = 0.0
        for r in sorted(idx.recipient_rows):
            for t in idx.funded_years(r):
                prev = idx.previous(t)
                if not idx.exists_in(r, prev):
                    continue
                now = totals.get((r, t), 0.0) + idx.income.get((r, t), 0.0)
                before = totals.get((r, prev), 0.0) + idx.income.get((r, prev), 0.0)
                out += abs(now - before)
        return out

    def _stability(self, x: np.ndarray, level: Level) -> float:
        changes = self._items[level]
        y = self._sums(changes.items.g, x)
        return changes.score(y) + changes.mix(y)


class _Tranches:
    """Each line's value tranches as arrays (a row per line, a column per tranche in
    order; after a line's last tranche, tranches of no width)."""

    def __init__(self, index: ProblemIndex, lines: Groups) -> None:
        kind, tables = tranche_kinds(index, lines.code["recipient"], lines.code["activity"])
        n = max((len(t) for t in tables), default=1)
        width, worth = np.zeros((len(tables), n)), np.zeros((len(tables), n))
        for i, tranches in enumerate(tables):
            for k, (w, value) in enumerate(tranches):
                width[i, k] = np.inf if w is None else w
                worth[i, k] = value
        self.width, self.worth = width[kind], worth[kind]  # worth: value per pound
        #: the amount of a line below each tranche (the widths before it)
        self.below = np.zeros_like(self.width)
        self.below[:, 1:] = np.cumsum(self.width[:, :-1], axis=1)

    def value(self, y: np.ndarray) -> float:
        """The value of lines funded ``y``: each tranche filled in order."""
        used = np.clip(y[:, None] - self.below, 0.0, self.width)
        return float(np.sum(self.worth * used))


class _Changes:
    """One level's items (:class:`Items`) as arrays for the stability measure: each
    item-year whose change is measured, its previous amount and its limit's rates."""

    def __init__(self, items: Items) -> None:
        self.items = it = items
        self.term = term = it.terms()
        self.variable = it.variable[term]
        self.p = it.p[term]
        limits = [it.limit[i] for i in term.tolist()]
        self.soft = np.array([not lim.hard for lim in limits], dtype=bool)
        self.rise = np.array([lim.rise_rate for lim in limits], dtype=float)
        self.fall = np.array([lim.fall_rate for lim in limits], dtype=float)
        self.step = it.step
        #: the item-years whose change within a soft limit has a first step
        self.stepped = self.soft & stepped(it.step, self.variable, self.p)
        self.shares = it.mix_shares() if it.base else np.zeros(0)
        self.which = it.recipient_year() if it.base else np.zeros(0, dtype=np.int64)
        self.weight, self.zero_weight, self.counted = mix_weights(self.shares, self.which)

    def score(self, y: np.ndarray) -> float:
        """Each pound of change scores 1, beyond a soft limit ``BEYOND_LIMIT_WEIGHT``, and
        within a soft limit past its first step ``STEP_WEIGHT`` more."""
        if not len(self.term):
            return 0.0
        p = np.where(self.variable, y[self.term - 1], self.p)
        change = y[self.term] - p
        outside = (np.maximum(0.0, change - self.rise * p)
                   + np.maximum(0.0, -change - self.fall * p))
        beyond = outside[self.soft]
        score = float(np.abs(change).sum() + (BEYOND_LIMIT_WEIGHT - 1.0) * beyond.sum())
        if self.stepped.any():
            within = (np.abs(change) - outside)[self.stepped]
            past = np.maximum(0.0, within - self.step * p[self.stepped])
            score += STEP_WEIGHT * float(past.sum())
        return score

    def mix(self, y: np.ndarray) -> float:
        """Per recipient-year with a baseline mix: the least, over the level, of the
        weighted distances from it (at a weighted median of the ratios)."""
        if not self.items.base:
            return 0.0
        shares, which, weight = self.shares, self.which, self.weight
        counted = np.flatnonzero(self.counted)
        unshared = counted[shares[counted] == 0]
        out = float(np.dot(self.zero_weight[unshared], y[unshared]))
        pos = counted[shares[counted] > 0]
        if not len(pos):
            return out
        group, ratio = which[pos], y[pos] / shares[pos]
        order = np.lexsort((ratio, group))  # by recipient-year, then ratio (stable)
        group, ratio, mass = group[order], ratio[order], (weight[pos] * shares[pos])[order]
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        ends = np.r_[starts[1:], len(group)]
        sizes = ends - starts
        cumulative = np.cumsum(mass)
        before = np.r_[0.0, cumulative[ends[:-1] - 1]]  # each group's mass before it
        within = cumulative - np.repeat(before, sizes)
        half = np.repeat(np.add.reduceat(mass, starts) / 2.0, sizes)
        # the first member whose cumulative mass reaches half its group's, or its last
        first = np.where(within >= half, np.arange(len(group)), len(group))
        median = np.minimum(np.minimum.reduceat(first, starts), ends - 1)
        level = np.empty(len(pos))
        level[order] = np.repeat(ratio[median], sizes)
        return out + float(np.dot(weight[pos], np.abs(y[pos] - shares[pos] * level)))
