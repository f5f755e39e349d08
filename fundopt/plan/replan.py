"""Re-plan from a previous plan: keep what it confirmed, move its indicative figures no
further than their tolerance, give cuts notice, and say what changed.

A re-plan is an ordinary solve of the new problem with the previous plan's figures in its
*Previous plan* table (``formulation/constraints/promises.py`` turns them into rules), so
the diagnosis, relaxation, ranging, bands and the exact check all see them as rules like
any other. The previous plan is a :class:`~fundopt.Plan` (its ``settlement``) or a
:class:`PreviousPlan` read from a results workbook (:func:`fundopt.read_previous_plan`),
whose cells a diagnosis then names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from os import PathLike

import pandas as pd

from fundopt.errors import UsageError, expect
from fundopt.explain.bands import BandOptions
from fundopt.formulation import ExtraRules
from fundopt.plan.plan import Plan
from fundopt.plan.solve import OnInfeasible, solve
from fundopt.problem import FundingProblem
from fundopt.problem.schema import TABLES_BY_NAME

#: The columns of a previous plan's table (sheet *Previous plan*).
PREVIOUS_COLUMNS = list(TABLES_BY_NAME["previous_plan"].column_names)


class Promises(StrEnum):
    """How a re-plan holds the previous plan's figures."""

    HARD = "hard"  # rules: when they cannot all hold, a diagnosis (or on_infeasible="relax")
    #: each figure, tolerance and notice row without a penalty of its own gets its family's
    #: Negotiability penalty (promise 50, tolerance 5, notice 10 a pound): broken only where
    #: the money cannot keep it, named and priced in plan.breaches
    PRICED = "priced"


@dataclass(frozen=True)
class PreviousPlan:
    """The figures a re-plan starts from: one row per recipient and year (``table``, the
    columns of sheet *Previous plan*: recipient, year, amount in pounds, status,
    tolerance_share, penalty), and where they were read, so a diagnosis names their cells:
    ``source`` (a path), ``sheet`` (as cells are written, e.g. ``[plan.xlsx]Settlement``),
    ``rows`` (the sheet row of each table row) and ``columns`` (the letter of each
    column)."""

    table: pd.DataFrame
    source: str = ""
    sheet: str = ""
    rows: tuple[int, ...] = ()
    columns: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_plan(cls, plan: Plan) -> PreviousPlan:
        """A plan's settlement as the figures to re-plan from."""
        s = plan.settlement
        table = pd.DataFrame({
            "recipient": s["recipient"], "year": s["year"],
            "amount": s["allocation"].astype(float), "status": s["status"],
            "tolerance_share": s["tolerance_share"].where(s["status"] == "indicative"),
            "penalty": None}, columns=PREVIOUS_COLUMNS).astype(object)
        table["tolerance_share"] = pd.Series(
            [None if pd.isna(v) else float(v) for v in table["tolerance_share"]],
            index=table.index, dtype=object)
        return cls(table.reset_index(drop=True), source=plan.problem.origin.path)

    def attach(self, problem: FundingProblem) -> FundingProblem:
        """``problem`` with these figures as its *Previous plan*: the rows of its horizon
        years (earlier years are history; the first of them is its baseline)."""
        expect(problem, FundingProblem, "the problem to re-plan",
               "read the new budget first: fo.replan(previous, fo.read_workbook('budget.xlsx'))"
               if isinstance(problem, str | PathLike) else "")
        if len(problem.previous_plan):
            raise UsageError(
                f"the problem already has a Previous plan ({len(problem.previous_plan)} rows): "
                "re-plan from one previous plan only (clear its Previous plan sheet, or "
                "solve it as it is)")
        horizon = set(problem.horizon)
        keep = [i for i, y in enumerate(self.table["year"]) if str(y) in horizon]
        table = self.table.iloc[keep].reset_index(drop=True)
        origin = problem.origin
        if self.sheet:
            origin = replace(
                origin,
                sheets={**origin.sheets, "previous_plan": self.sheet},
                rows={**origin.rows, "previous_plan": tuple(self.rows[i] for i in keep)},
                columns={**origin.columns, "previous_plan": dict(self.columns)})
        else:  # no cells to name: the table's own positions
            origin = replace(origin, sheets={k: v for k, v in origin.sheets.items()
                                             if k != "previous_plan"})
        return problem.replace(previous_plan=table, origin=origin)


def priced(problem: FundingProblem) -> FundingProblem:
    """``problem`` with each previous figure, tolerance and notice row that has no penalty
    of its own priced at its family's Negotiability penalty (a family that may never give
    way stays hard)."""
    from fundopt.explain.diagnosis import relax_penalties

    cost = relax_penalties(problem)
    previous = problem.previous_plan.copy()
    family = ["promise" if s != "indicative" else "tolerance" for s in previous["status"]]
    previous["penalty"] = pd.Series(
        [p if p is not None else cost.get(f) for p, f in zip(previous["penalty"], family,
                                                             strict=True)],
        index=previous.index, dtype=object)
    notice = problem.notice_periods.copy()
    notice["penalty"] = pd.Series([p if p is not None else cost.get("notice")
                                   for p in notice["penalty"]], index=notice.index, dtype=object)
    return problem.replace(previous_plan=previous, notice_periods=notice)


def replan(
    previous: Plan | PreviousPlan,
    problem: FundingProblem,
    *,
    on_infeasible: OnInfeasible | str = OnInfeasible.RAISE,
    progress: Callable[[str, float], None] | None = None,
    bands: bool | BandOptions = False,
    extra_rules: ExtraRules | None = None,
    promises: Promises | str = Promises.HARD,
) -> Plan:
    """Solve ``problem`` as a re-plan of ``previous``: each recipient's confirmed figures
    held exactly, its indicative figures kept within their tolerance (and moved only as
    far as they are worth: setting ``replan_change_penalty``), a cut against the previous
    plan in the first years given notice (sheet *Notice periods*); ``plan.changes`` says,
    per recipient and year, what moved and why.

    ``previous`` is the plan ``fo.solve`` (or ``fo.replan``) returned, or the figures of a
    results workbook (``fo.read_previous_plan("plan.xlsx")``). The other arguments are
    :func:`fundopt.solve`'s: when the new envelopes cannot keep every promise, it raises
    :class:`~fundopt.InfeasibleError` naming the promises and the cheapest break, in cells
    and pounds; ``on_infeasible="relax"`` breaks the cheapest promises instead (sheet
    *Negotiability*: family ``promise``, ``tolerance``, ``notice``) and flags the plan.
    ``promises=Promises.PRICED`` makes every promise soft at that price from the start: the
    plan breaks one only where the money cannot keep it, and is an ordinary (optimal) plan
    whose ``breaches`` name and price each one.
    """
    if isinstance(previous, str | PathLike):
        raise UsageError("replan's previous plan is a path: read it first, "
                         f"fo.replan(fo.read_previous_plan({str(previous)!r}), problem)")
    expect(previous, (Plan, PreviousPlan), "replan's previous plan",
           "pass the plan fo.solve returned, or fo.read_previous_plan('plan.xlsx')")
    figures = PreviousPlan.from_plan(previous) if isinstance(previous, Plan) else previous
    attached = figures.attach(problem)
    if Promises(promises) is Promises.PRICED:
        attached = priced(attached)
    return solve(attached, on_infeasible=on_infeasible, progress=progress, bands=bands,
                 extra_rules=extra_rules)
