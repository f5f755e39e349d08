"""Solve many scenarios of one problem: build once, work out each scenario's LP in place.

How a scenario is solved:

1. Its problem is made (:meth:`~fundopt.Scenario.apply`, validated as usual).
2. The LP rows, bounds and costs it needs are worked out by the same constraint-family
   code as any build, recorded as numbers only (``build_model(..., pyomo=False)``): cheap.
3. If the LP has the same shape as the base (same rows, the same columns in each row, same
   variables, same money scale), the loaded HiGHS model is changed in place: only the row
   bounds, coefficients, column bounds and costs that differ (``changeRowsBounds``,
   ``changeCoeff``, ``changeColsBounds``, ``changeColsCost``); HiGHS then re-solves from
   the base plan's basis (the LP alone, below). Otherwise (a new commitment, a new share
   target, ...) the scenario's LP is built and solved from scratch. Either way the LP
   HiGHS solves is exactly the one :func:`fundopt.solve` would build (tests compare them
   number for number).
4. For a whole-pound plan, that LP is loaded into a HiGHS of its own and its priority
   tiers solved exactly as :func:`fundopt.solve` does (tier 1 from scratch), so the plan
   is the one it gives, to the pound (a warm-started tier 1 can end on another of its optimal plans,
   and the stability tier's LP is read from it); then rounded to whole pounds and
   verified like any plan.

A scenario that only changes envelope amounts skips steps 1 and 2: the envelope family
linked its bounds to the input cells, so the new bounds are worked out directly
(:class:`~fundopt.whatif.in_place.EnvelopeLinks`); so does one that only changes other
income amounts, share targets' least shares or cliff-edge fall rates, whose rows'
bounds, coefficients and words the families' own functions work out again
(:mod:`fundopt.whatif.cell_links`). With ``whole_pounds=False`` step 4 is
left out: the scenario is reported from the LP alone (objective, binding rules, shadow
prices).

No scenario starts from the previous scenario's basis (an LP-alone one from the base's,
a whole-pound one from none), so a result does not depend on the order scenarios are run
in or how they are split between processes: serial, process-pool and Dask runs give the
same plans to the pound.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from fundopt.errors import FundoptError, InfeasibleError, InputError
from fundopt.formulation import build_model
from fundopt.formulation.builder import LpBuilder
from fundopt.plan import Plan
from fundopt.plan.solve import build, finish
from fundopt.plan.tables import RowKinds
from fundopt.problem import FundingProblem
from fundopt.problem.scenarios import Scenario
from fundopt.solver.highs import HighsModel, loaded_afresh
from fundopt.solver.run import run
from fundopt.solver.tiers import reset, reset_first_tier, solve_tiers
from fundopt.whatif import outcome
from fundopt.whatif.cell_links import CellLinks, CliffEdgeLinks, IncomeLinks, ShareLinks
from fundopt.whatif.in_place import EnvelopeLinks, lp_results
from fundopt.whatif.lp_arrays import (
    ColumnArrays,
    compiled_arrays,
    equal,
    load_changes,
    recorded_arrays,
    same_shape,
    view,
)
from fundopt.whatif.outcome import Method, ScenarioOutcome, ScenarioStatus

BASE = "base"
NO_BASE_PLAN = "the base problem has no optimal plan"


def record(problem: FundingProblem) -> LpBuilder:
    """The LP of ``problem`` as numbers only: the same family code as :func:`fundopt.solve`'s
    build, without the Pyomo objects."""
    return build_model(problem, pyomo=False)


class SweepEngine:
    """The base model, built and solved once; solves scenarios of it in place where it can.

    One per process: the HiGHS model it holds is changed by every scenario it solves."""

    def __init__(self, problem: FundingProblem, keep_plans: bool = False, *,
                 whole_pounds: bool = True) -> None:
        self.problem = problem
        self.keep_plans = keep_plans
        self.whole_pounds = whole_pounds
        self.plans: dict[str, Plan] = {}
        self.base_hm: HighsModel | None = None
        self.basis: Any = None  # the base's tier-1 basis: every scenario's tier 1 starts there
        self.in_place_reason = ""
        t0 = time.perf_counter()
        base = Scenario(BASE)
        try:
            hm = build(problem, _options(problem))
        except InfeasibleError as e:
            self.base = outcome.infeasible(base, Method.REBUILT, e, t0)
            self.in_place_reason = NO_BASE_PLAN
            return
        times = {"build": time.perf_counter() - t0}
        self.base = self._run_and_finish(base, problem, hm, Method.REBUILT, times, t0,
                                         is_base=True)
        if self.base.status is not ScenarioStatus.OPTIMAL:
            self.in_place_reason = NO_BASE_PLAN
            return
        reset(hm)  # the tier rows out, tier 1's costs back: the LP as it was loaded
        self._keep_base(hm)

    def _keep_base(self, hm: HighsModel) -> None:
        """Keep the solved base model for scenarios to change in place, once its recording
        is seen to reproduce it."""
        self.base_hm = hm
        self.col_of_var = np.concatenate([hm.col_of_x, hm.col_of_aux]).astype(np.int64)
        self.base_rec = record(self.problem)
        recorded = recorded_arrays(self.base_rec, self.col_of_var)
        self.loaded = compiled_arrays(hm)
        #: the LP of the last scenario solved in place (HiGHS's column order)
        self.solved = self.loaded
        if recorded is None or not equal(recorded, self.loaded):
            # a safety net: never change a model in place unless recording reproduces it
            self.in_place_reason = "the recorded LP differs from the compiled one"
            self.base_hm = None
            return
        self.links: tuple[CellLinks, ...] = tuple(
            links(self.problem, self.base_rec, recorded, self.col_of_var)
            for links in (EnvelopeLinks, IncomeLinks, ShareLinks, CliffEdgeLinks))
        self.row_kinds = RowKinds(self.base_rec.rows)

    @property
    def in_place(self) -> bool:
        return self.base_hm is not None

    def solve(self, scenario: Scenario) -> ScenarioOutcome:
        t0 = time.perf_counter()
        for links in self.links if self.in_place else ():
            if links.applies_to(scenario):
                lp = links.scenario_lp(scenario)
                if lp is not None:
                    return self._solve_in_place(scenario, *lp, t0)
        try:
            problem = scenario.apply(self.problem)
        except (InputError, ValueError) as e:
            return outcome.not_solved(scenario, ScenarioStatus.INVALID, Method.NOT_SOLVED,
                                      str(e), t0)
        if self.in_place and problem.settings.time_limit_seconds == \
                self.problem.settings.time_limit_seconds:
            try:
                rec = record(problem)
            except InfeasibleError as e:
                return outcome.infeasible(scenario, Method.IN_PLACE, e, t0)
            arrays = recorded_arrays(rec, self.col_of_var) \
                if rec.scale == self.base_rec.scale else None
            if arrays is not None and same_shape(arrays, self.loaded):
                return self._solve_in_place(scenario, problem, rec, arrays, t0)
        return self._solve_fresh(scenario, problem, t0)

    def _solve_in_place(self, scenario: Scenario, problem: FundingProblem | None,
                        rec: LpBuilder, arrays: ColumnArrays, t0: float) -> ScenarioOutcome:
        assert self.base_hm is not None
        hm = self.base_hm
        self.solved = arrays
        if self.whole_pounds:
            # a whole-pound plan is the plan fo.solve finds, to the pound: the scenario's LP
            # (its numbers worked out in place) in a HiGHS of its own, tier 1 solved from
            # scratch (the later tiers start from its basis). Warm-started from the base's
            # basis, tier 1 can end on another of
            # its optimal plans (a policy LP has many), the stability tier's LP is read
            # from that plan, and the whole-pound plans differed by up to £9 (£1 a line,
            # the reference model's cliff-edge and re-plan scenarios, December 2026).
            scenario_hm = loaded_afresh(view(hm, rec, arrays))
            times = {"build": time.perf_counter() - t0}
            return self._run_and_finish(scenario, problem, scenario_hm, Method.IN_PLACE,
                                        times, t0, cold=True)
        h = hm.highs
        load_changes(h, self.loaded, arrays)
        self.loaded = arrays
        h.clearSolver()  # forget the last scenario entirely: start from the base basis
        times = {"build": time.perf_counter() - t0}
        scenario_hm = view(hm, rec, arrays)
        try:
            return self._run_and_finish(scenario, problem, scenario_hm, Method.IN_PLACE,
                                        times, t0)
        finally:
            # the loaded LP is again ``self.loaded``, for the next one (tier 1 alone was
            # solved: only the rows it freed need their bounds again)
            reset_first_tier(scenario_hm)

    def _solve_fresh(self, scenario: Scenario, problem: FundingProblem,
                     t0: float) -> ScenarioOutcome:
        try:
            hm = build(problem, _options(problem))
        except InfeasibleError as e:
            return outcome.infeasible(scenario, Method.REBUILT, e, t0)
        times = {"build": time.perf_counter() - t0}
        return self._run_and_finish(scenario, problem, hm, Method.REBUILT, times, t0)

    def _run_and_finish(self, scenario: Scenario, problem: FundingProblem | None,
                        hm: HighsModel, method: Method, times: dict[str, float],
                        t0: float, *, is_base: bool = False, cold: bool = False
                        ) -> ScenarioOutcome:
        try:
            t = time.perf_counter()
            start = self.basis if method is Method.IN_PLACE and not cold else None
            lp_alone = not self.whole_pounds and not is_base
            tiers = solve_tiers(hm, start, upto=1 if lp_alone else None)
            times["solve"] = time.perf_counter() - t
            if tiers is None:
                return self._diagnose(scenario, problem, method, t0)
            # each tier proved the best from its LP's own arrays, else loaded afresh and
            # solved cold (a warm start's wrong "optimal", a stale bound left in the model)
            certificate = tiers.certificate
            if is_base:
                # tier 1's optimal basis, before later tiers and rounding's re-solves move
                # it: every scenario's tier 1 starts from it
                self.basis = tiers.basis
            if lp_alone:
                kinds = self.row_kinds if method is Method.IN_PLACE else None
                return outcome.lp_only(scenario, method, *lp_results(hm, tiers.first, kinds), t0,
                                       certificate=certificate)
            if problem is None:
                problem = scenario.apply(self.problem)
            plan = finish(problem, hm, tiers, times, time.perf_counter())
        except FundoptError as e:
            return outcome.not_solved(scenario, ScenarioStatus.FAILED, method,
                                      f"{type(e).__name__}: {e}", t0)
        if self.keep_plans:
            self.plans[scenario.name] = plan
        return outcome.solved(scenario, plan, method, time.perf_counter() - t0)

    def _diagnose(self, scenario: Scenario, problem: FundingProblem | None, method: Method,
                  t0: float) -> ScenarioOutcome:
        """Explain an infeasible scenario: by the closed-form checks :func:`fundopt.solve`
        runs first where they find it (cheap), else on a model of its own (an IIS and an
        elastic solve, which may change the model they run on)."""
        from fundopt.explain.diagnosis import diagnose_infeasible
        from fundopt.explain.prechecks import raise_conflicts

        try:
            if problem is None:
                problem = scenario.apply(self.problem)
            raise_conflicts(problem)
            hm = build(problem)
            run(hm)
            error = diagnose_infeasible(problem, hm)
        except FundoptError as e:
            error = e if isinstance(e, InfeasibleError) else InfeasibleError(str(e))
        return outcome.infeasible(scenario, method, error, t0)


def _options(problem: FundingProblem) -> dict[str, object]:
    limit = problem.settings.time_limit_seconds
    return {} if limit is None else {"time_limit": float(limit)}
