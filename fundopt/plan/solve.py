"""Solve a FundingProblem with HiGHS and return a verified, whole-pound Plan."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fundopt._support import paused_gc
from fundopt.errors import InfeasibleError, VerificationError
from fundopt.formulation import ProblemIndex, build_model
from fundopt.plan.plan import Plan, PlanStatus, SolverInfo
from fundopt.plan.tables import allocation_table, assemble_plan, carry_table, tier_table
from fundopt.plan.verify import check_rules
from fundopt.problem import FundingProblem
from fundopt.solver.run import require_highspy
from fundopt.solver.tiers import TierSolve, solve_tiers

if TYPE_CHECKING:
    from fundopt.solver.highs import HighsModel


class OnInfeasible(StrEnum):
    RAISE = "raise"  # raise InfeasibleError, with a diagnosis where one can be found
    RELAX = "relax"  # break the fewest, cheapest promises and return the plan, flagged


def build(problem: FundingProblem, options: dict[str, object] | None = None) -> HighsModel:
    """Build the LP and load it into HiGHS (no solve). Like :func:`solve`, it records the
    rows as numbers and makes no Pyomo objects (``fundopt.build_model(problem).model`` is
    the same LP as a Pyomo model; ``tests/test_handoff.py`` holds them equal)."""
    require_highspy()
    from fundopt.solver.highs import compile_to_highs

    index = ProblemIndex(problem)
    return compile_to_highs(build_model(problem, index, pyomo=False), options)


def solve(
    problem: FundingProblem,
    *,
    on_infeasible: OnInfeasible | str = OnInfeasible.RAISE,
    progress: Callable[[str, float], None] | None = None,
) -> Plan:
    """The best allocation that keeps every rule, rounded to whole pounds and verified.

    Raises :class:`~fundopt.InfeasibleError` when the rules cannot all hold, with a
    :class:`~fundopt.explain.diagnosis.Diagnosis` (``err.diagnosis``) naming the rules, their
    cells and the cheapest way out; when HiGHS reports the LP infeasible, the closed-form
    checks (:mod:`fundopt.explain.prechecks`) run first and, where they find the conflict, are
    what is raised (exact shortfalls, no IIS needed); a feasible problem never pays for them. With
    ``on_infeasible="relax"`` it instead returns the best plan that breaks only the cheapest
    promises, by the least amounts (``PlanStatus.RELAXED``, listed in ``plan.breaches``).
    Raises :class:`~fundopt.SolverError` when HiGHS is missing, fails or stops at the time
    limit, and :class:`~fundopt.errors.VerificationError` if the plan fails the
    independent check (it is then never returned).
    """
    on_infeasible = OnInfeasible(on_infeasible)
    require_highspy()
    with paused_gc():
        return _solve(problem, on_infeasible, progress)


def _solve(problem: FundingProblem, on_infeasible: OnInfeasible,
           progress: Callable[[str, float], None] | None) -> Plan:
    from fundopt.solver.highs import compile_to_highs

    times: dict[str, float] = {}

    def stage(name: str, t0: float) -> float:
        t1 = time.perf_counter()
        times[name] = t1 - t0
        if progress is not None:
            progress(name, times[name])
        return t1

    t = time.perf_counter()
    index = ProblemIndex(problem)
    try:
        # the rows as numbers, straight to HiGHS: the Pyomo objects of the same LP
        # (build_model's default) would cost more than the solve at 100k variables
        builder = build_model(problem, index, pyomo=False)
    except InfeasibleError as e:  # a rule nothing can fund: say where, if the checks can
        from fundopt.explain.prechecks import raise_conflicts

        raise_conflicts(problem)
        raise e
    t = stage("build", t)
    options: dict[str, object] = {}
    if problem.settings.time_limit_seconds is not None:
        options["time_limit"] = float(problem.settings.time_limit_seconds)
    hm = compile_to_highs(builder, options)
    t = stage("handoff", t)
    tiers = solve_tiers(hm)
    t = stage("solve", t)
    if tiers is None:  # tier 1, the rules, cannot all hold
        from fundopt.explain.diagnosis import breaches_table, diagnose_infeasible, infeasible, relax

        if on_infeasible is not OnInfeasible.RELAX:
            from fundopt.explain.prechecks import raise_conflicts

            raise_conflicts(problem)  # a conflict in closed form: exact shortfall, cheap
            t = stage("checks", t)
            raise diagnose_infeasible(problem, hm)
        relaxation = relax(problem, hm)
        t = stage("diagnosis", t)
        tiers = solve_tiers(hm)
        if tiers is None:  # the way out was found on this very LP: not expected
            raise infeasible(relaxation.diagnosis)
        t = stage("relaxed solve", t)
        room, allowed = relaxation.rounding_room(hm)
        plan = finish(problem, hm, tiers, times, t, relaxed=True, progress=progress,
                      allowed=allowed, room=room)
        return replace(plan, breaches=breaches_table(plan.checks, relaxation.diagnosis,
                                                     plan.breaches))
    return finish(problem, hm, tiers, times, t, progress=progress)


def finish(
    problem: FundingProblem,
    hm: HighsModel,
    tiers: TierSolve,
    times: dict[str, float],
    t: float,
    *,
    relaxed: bool = False,
    progress: Callable[[str, float], None] | None = None,
    allowed: Mapping[str, float] | None = None,
    room: np.ndarray | None = None,
) -> Plan:
    """Round, verify and assemble the Plan from a model whose tiers are solved.

    ``allowed`` (for a relaxed plan) maps the rules it may break to the most pounds it may
    break each by; every other rule must hold as usual. ``room`` (per row, model units) is
    how far rounding may take a row past its limit (see
    :meth:`fundopt.explain.diagnosis.Relaxation.rounding_room`).
    """
    from fundopt.solver.rounding import round_plan

    # rounding works on the model with the tier rows, from the last tier's solution; the
    # plan reports tier 1's solve (objective, shadow prices)
    rounding = tiers.model
    n_tier_rows = len(rounding.row_lower) - len(hm.row_lower)
    room = None if room is None else np.concatenate([room, np.zeros(n_tier_rows)])
    check = _ExactCheck(problem, hm, tiers, allowed or {})
    alloc, carry, method = round_plan(rounding, tiers.last.col_value, check.failures, room)
    allocations = allocation_table(hm.builder.index, alloc)
    carry_forward = carry_table(carry)
    checks = check(alloc, carry)
    _time_round_and_verify(times, t, check.seconds, progress)
    _refuse_if_failed(checks)
    plan = assemble_plan(
        problem,
        hm,
        tiers.first.col_value,
        tiers.first.row_dual,
        allocations,
        carry_forward,
        checks,
        _solver_info(hm, tiers, times, method),
        PlanStatus.RELAXED if relaxed else PlanStatus.OPTIMAL,
        row_value=tiers.last.row_value[: len(hm.row_lower)],
        objective=tiers.first.objective,
    )
    return replace(plan, tiers=tier_table(hm, tiers, check.achieved(alloc, carry)))


#: (allocation, carries, checks, seconds) of an exact check
_Checked = tuple[np.ndarray, dict[tuple[str, str], int], pd.DataFrame, float]


class _ExactCheck:
    """Every rule re-checked exactly (:func:`~fundopt.plan.verify.check_rules`) on a
    whole-pound plan, a relaxed plan's allowed breaches passing, and every tier but the
    last within its give (its measure at the plan, :class:`~fundopt.formulation.measures.
    Measures`). The last plan checked is remembered: the one rounding settles on was
    checked already, and is not checked twice."""

    def __init__(self, problem: FundingProblem, hm: HighsModel, tiers: TierSolve,
                 allowed: Mapping[str, float]) -> None:
        from fundopt.formulation.measures import Measures

        self.problem, self.index, self.allowed = problem, hm.builder.index, allowed
        self.tiers, self.scale = tiers, hm.builder.scale
        self.rounding, self.n_rows = tiers.model, len(hm.builder.rows)
        self.measures = Measures(self.index)
        self.penalty = {r.info.rule: float(r.penalty) for r in hm.builder.rows
                        if r.penalty is not None}
        self.last: _Checked | None = None

    def __call__(self, alloc: np.ndarray, carry: dict[tuple[str, str], int]) -> pd.DataFrame:
        from fundopt.explain.diagnosis import allow_breaches

        if self.last is not None:
            a, c, done, _ = self.last
            if c == carry and np.array_equal(a, alloc):
                return done
        t0 = time.perf_counter()
        checks = check_rules(self.problem, allocation_table(self.index, alloc),
                             carry_table(carry))
        checks = allow_breaches(checks, self.allowed)
        self.last = (alloc.copy(), dict(carry), checks, time.perf_counter() - t0)
        return checks

    def failures(self, alloc: np.ndarray, carry: dict[tuple[str, str], int]) -> set[str]:
        """The ids of the rules the plan breaks, and ``tier[k]`` for each tier it takes
        beyond its give (empty: it keeps them all)."""
        checks = self(alloc, carry)
        bad = set(checks.loc[~checks["passed"], "rule"])
        tiers = self.index.problem.tiers
        rows = {r.info.rule: r for r in self.rounding.builder.rows[self.n_rows:]}
        achieved = self.achieved(alloc, carry)[:-1]
        for k, (tier, got) in enumerate(zip(tiers[:-1], achieved, strict=True), start=1):
            sign = 1.0 if tier.maximised else -1.0
            # the least the tier's row allows (its give and rounding's reach), within half
            # a penny, as rounding keeps every row
            if sign * got < rows[f"tier[{k}]"].rhs - 0.005:
                bad.add(f"tier[{k}]")
        return bad

    def achieved(self, alloc: np.ndarray, carry: dict[tuple[str, str], int]) -> list[float]:
        """Each tier's measure at the plan (a maximised tier's value, a minimised one's
        amount), in pounds of that measure."""
        checks = self(alloc, carry)
        soft = checks[checks["soft"] & (checks["slack"] < 0)]
        breach = sum(-float(s) * self.penalty.get(str(r), 0.0)
                     for r, s in zip(soft["rule"], soft["slack"], strict=True))
        got = self.measures(alloc, breach)
        return [self.measures.tier(tier, got) for tier in self.index.problem.tiers]

    @property
    def seconds(self) -> float:
        """How long the last exact check took."""
        assert self.last is not None
        return self.last[3]


def _time_round_and_verify(times: dict[str, float], t: float, verify: float,
                           progress: Callable[[str, float], None] | None) -> None:
    # the exact check of the returned plan is "verify", even when rounding ran it (to
    # decide it was done): the rest is "round"
    times["verify"] = verify
    times["round"] = time.perf_counter() - t - times["verify"]
    if progress is not None:
        progress("round", times["round"])
        progress("verify", times["verify"])


def _refuse_if_failed(checks: pd.DataFrame) -> None:
    if not checks["passed"].all():
        bad = checks[~checks["passed"]]
        raise VerificationError(
            "the solver's plan failed fundopt's independent check, so it is not returned:\n"
            + "\n".join(f"  - {d}" for d in bad["detail"].head(20))
        )


def _solver_info(hm: HighsModel, tiers: TierSolve, times: dict[str, float],
                 method: str) -> SolverInfo:
    from fundopt.solver.highs import highs_version

    h = hm.highs
    return SolverInfo(
        highs_version=highs_version(),
        options=dict(hm.options),
        variables=h.getNumCol(),
        constraints=h.getNumRow(),
        nonzeros=hm.nonzeros,
        iterations=tiers.iterations,
        money_scale=hm.builder.scale,
        times=dict(times),
        rounding=method,
        log_warnings=hm.log_warnings(),
    )
