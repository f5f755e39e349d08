"""The cheapest way out: the LP with a priced slack on every negotiable rule (an elastic
programme), solved for the least total penalty; and, warm from it, the least breach of each
single rule that would end the conflict on its own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from fundopt._support import money
from fundopt.explain.diagnosis.conflicts import TOLERANCE_POUNDS, Conflict
from fundopt.explain.diagnosis.rules import relax_penalties, rule_ref

if TYPE_CHECKING:
    from fundopt.problem import FundingProblem
    from fundopt.solver.highs import HighsModel


class Elastic:
    """The LP with a priced slack on every negotiable rule, solved for the least total
    penalty (phase 1 of an elastic programme); built once, re-solved warm for alternatives."""

    def __init__(self, problem: FundingProblem, hm: HighsModel) -> None:
        import highspy

        self.problem = problem
        self.hm = hm
        self.scale = hm.builder.scale
        h = _without_objective(hm)
        n = h.getNumCol()
        # (row, +1 raises the row's left side / -1 lowers it), each at its family's penalty
        self.slacks, costs = _slacks(hm, relax_penalties(problem))
        m = len(self.slacks)
        self.first = n
        if m:
            h.addCols(m, np.asarray(costs, dtype=float), np.zeros(m), np.full(m, highspy.kHighsInf),
                      m, np.arange(m, dtype=np.int32),
                      np.asarray([i for i, _ in self.slacks], dtype=np.int32),
                      np.asarray([float(d) for _, d in self.slacks]))
        self.costs = np.asarray(costs, dtype=float)
        self.h = h
        self.breaks: list[tuple[int, int, float]] = []

    def _solve(self) -> np.ndarray | None:
        import highspy

        from fundopt.solver.highs import run_highs

        if run_highs(self.h) != highspy.HighsModelStatus.kOptimal:
            return None
        values = np.asarray(self.h.getSolution().col_value)[self.first:]
        return values * self.scale

    def cheapest(self) -> Conflict | None:
        """The least-penalty set of rules to break, each with its amount in pounds."""
        if not self.slacks:
            return None
        pounds = self._solve()
        if pounds is None:
            return None
        rows = self.hm.builder.rows
        self.breaks = [(i, d, float(v)) for (i, d), v in zip(self.slacks, pounds, strict=True)
                       if v > TOLERANCE_POUNDS]
        refs = [rule_ref(self.problem, rows[i], v, d) for i, d, v in self.breaks]
        if not refs:
            return None
        total = sum(r.amount or 0.0 for r in refs)
        return Conflict(
            source="relaxation", code="FO-L01",
            summary=f"The cheapest way out (in the order of negotiability on sheet "
                    f"'Negotiability'): break {len(refs)} rule{'s' if len(refs) != 1 else ''} "
                    f"by {money(total)} in all:",
            rules=tuple(refs), shortfall=total,
        )

    def alone(self, candidates: Sequence[int]) -> list[Conflict]:
        """For each candidate row: the least breach of that rule alone that ends the conflict."""
        import highspy

        out: list[Conflict] = []
        k = len(self.slacks)
        cols = np.arange(self.first, self.first + k, dtype=np.int32)
        rows = self.hm.builder.rows
        for i in candidates:
            mine = np.array([r == i for r, _ in self.slacks])
            if not mine.any():
                continue
            self.h.changeColsBounds(k, cols, np.zeros(k), np.where(mine, highspy.kHighsInf, 0.0))
            self.h.changeColsCost(k, cols, np.where(mine, 1.0, 0.0))
            pounds = self._solve()
            if pounds is None or pounds[mine].sum() <= TOLERANCE_POUNDS:
                continue
            j = int(np.argmax(np.where(mine, pounds, -1.0)))
            ref = rule_ref(self.problem, rows[i], float(pounds[j]), self.slacks[j][1])
            out.append(Conflict(source="alternative", code="FO-L01", summary=ref.suggestion,
                                rules=(ref,), shortfall=ref.amount))
        self.h.changeColsBounds(k, cols, np.zeros(k), np.full(k, highspy.kHighsInf))
        self.h.changeColsCost(k, cols, self.costs)
        return out


def _without_objective(hm: HighsModel) -> Any:
    """A new HiGHS object holding ``hm``'s LP, with its options, and no objective (phase 1
    minimises the penalties alone)."""
    import highspy

    from fundopt.solver.highs import new_highs

    h = new_highs()
    for name, value in hm.options.items():
        h.setOptionValue(name, value)  # type: ignore[arg-type]
    h.passModel(hm.highs.getLp())
    n = h.getNumCol()
    h.changeColsCost(n, np.arange(n, dtype=np.int32), np.zeros(n))
    h.changeObjectiveSense(highspy.ObjSense.kMinimize)
    return h


def _slacks(hm: HighsModel, penalties: Mapping[str, float | None]
            ) -> tuple[list[tuple[int, int]], list[float]]:
    """(row, direction) of each slack and its cost a pound: none on accounting rows, rules
    with a penalty of their own (already soft) or families never to break; an equality
    gets one each way."""
    from fundopt.formulation.builder import Family, Sense

    slacks: list[tuple[int, int]] = []
    costs: list[float] = []
    for i, row in enumerate(hm.builder.rows):
        if row.info.family is Family.ACCOUNTING or row.penalty is not None:
            continue
        p = penalties.get(row.info.family.value)
        if p is None:
            continue
        directions = {Sense.GE: (1,), Sense.LE: (-1,), Sense.EQ: (1, -1)}[row.sense]
        for d in directions:
            slacks.append((i, d))
            costs.append(p)
    return slacks, costs
