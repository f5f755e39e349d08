"""Each goal's measure at a given plan: the objective's auxiliary variables (tranches,
distances, changes, mix levels) at their best for those allocations, worked out directly.

A plan's ``tiers`` table reports what the whole-pound plan achieves with these, and
rounding checks with them that the plan keeps every tier within its give. They follow
docs/formulation.md ("Objective", "Stability"); ``tests/test_families.py`` holds them
equal to the LP's own measures at its solutions.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from fundopt.formulation.blocks import Groups
from fundopt.formulation.constraints.stability import (
    BEYOND_LIMIT_WEIGHT,
    Items,
    mix_weights,
    tie_break_weights,
)
from fundopt.formulation.index import ProblemIndex
from fundopt.formulation.objective import line_tranches, tranche_table
from fundopt.problem.priorities import Tier
from fundopt.problem.schema import Goal, Level


class Measures:
    """The goals' measures of plans of one problem (the lookups are made once)."""

    def __init__(self, index: ProblemIndex) -> None:
        self.index = index
        self._items = {level: Items(index, level) for level in Level}
        self._lines = Groups.of(index.codes, "recipient", "activity", "year")
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
        idx = self.index
        g = self._lines
        y = self._sums(g, x)
        table = tranche_table(idx.problem.value_tranches)
        r_names, a_names = idx.codes.names["recipient"], idx.codes.names["activity"]
        total = 0.0
        for i in range(len(g)):
            tranches = line_tranches(table, r_names[g.code["recipient"][i]],
                                     a_names[g.code["activity"][i]])
            left = y[i]
            for width, value in tranches:
                used = left if width is None else min(left, width)
                total += value * used
                left -= used
                if left <= 0:
                    break
        return total

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
        it = self._items[level]
        y = self._sums(it.g, x)
        out = 0.0
        for i in it.terms().tolist():
            p = y[i - 1] if it.variable[i] else it.p[i]
            change = y[i] - p
            limit = it.limit[i]
            out += abs(change)
            if not limit.hard:
                beyond = max(0.0, change - limit.rise_rate * p) + \
                    max(0.0, -change - limit.fall_rate * p)
                out += (BEYOND_LIMIT_WEIGHT - 1.0) * beyond
        return out + self._mix(it, y)

    def _mix(self, it: Items, y: np.ndarray) -> float:
        """Per recipient-year with a baseline mix: the least, over the level, of the
        weighted distances from it (a weighted median of the ratios)."""
        if not it.base:
            return 0.0
        shares = it.mix_shares()
        which = it.recipient_year()
        weight, zero_weight, counted = mix_weights(shares, which)
        out = 0.0
        for w in np.unique(which[counted]).tolist():
            mine = np.flatnonzero((which == w) & counted)
            pos = mine[shares[mine] > 0]
            out += float(np.dot(zero_weight[mine[shares[mine] == 0]],
                                y[mine[shares[mine] == 0]]))
            ratio, mass = y[pos] / shares[pos], weight[pos] * shares[pos]
            order = np.argsort(ratio, kind="stable")
            half = np.searchsorted(np.cumsum(mass[order]), mass.sum() / 2.0)
            level = ratio[order][min(half, len(order) - 1)]
            out += float(np.dot(weight[pos], np.abs(y[pos] - shares[pos] * level)))
        return out
