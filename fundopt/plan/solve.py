"""Solve a FundingProblem with HiGHS and return a verified, whole-pound Plan."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from os import PathLike
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fundopt._support import paused_gc
from fundopt.errors import InfeasibleError, VerificationError, expect
from fundopt.formulation import ProblemIndex, build_model
from fundopt.plan.plan import Plan, PlanStatus, SolverInfo
from fundopt.plan.tables import allocation_table, assemble_plan, carry_table
from fundopt.plan.verify import CHECK_COLUMNS, check_rules
from fundopt.problem import FundingProblem
from fundopt.solver.run import MS, require_highspy, run

if TYPE_CHECKING:
    from fundopt.solver.certificate import Certificate
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

    index = ProblemIndex(problem.as_validated())
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
    expect(problem, FundingProblem, "solve's problem",
           "read a workbook first: fo.solve(fo.read_workbook('budget.xlsx'))"
           if isinstance(problem, str | PathLike) else "")
    on_infeasible = OnInfeasible(on_infeasible)
    problem = problem.as_validated()  # a table changed in place since: validated again
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
    status = run(hm)
    t = stage("solve", t)
    if status == MS.kInfeasible:
        from fundopt.explain.diagnosis import breaches_table, diagnose_infeasible, infeasible, relax

        if on_infeasible is not OnInfeasible.RELAX:
            from fundopt.explain.prechecks import raise_conflicts

            raise_conflicts(problem)  # a conflict in closed form: exact shortfall, cheap
            t = stage("checks", t)
            raise diagnose_infeasible(problem, hm)
        relaxation = relax(problem, hm)
        t = stage("diagnosis", t)
        if run(hm) != MS.kOptimal:  # the way out was found on this very LP: not expected
            raise infeasible(relaxation.diagnosis)
        t = stage("relaxed solve", t)
        room, allowed = relaxation.rounding_room(hm)
        plan = finish(problem, hm, times, t, relaxed=True, progress=progress,
                      allowed=allowed, room=room)
        return replace(plan, breaches=breaches_table(plan.checks, relaxation.diagnosis,
                                                     plan.breaches))
    return finish(problem, hm, times, t, progress=progress)


def finish(
    problem: FundingProblem,
    hm: HighsModel,
    times: dict[str, float],
    t: float,
    *,
    relaxed: bool = False,
    progress: Callable[[str, float], None] | None = None,
    allowed: Mapping[str, float] | None = None,
    room: np.ndarray | None = None,
    certificate: Certificate | None = None,
) -> Plan:
    """Certify, round, verify and assemble the Plan from a solved model.

    ``allowed`` (for a relaxed plan) maps the rules it may break to the most pounds it may
    break each by; every other rule must hold as usual. ``room`` (per row, model units) is
    how far rounding may take a row past its limit (see
    :meth:`fundopt.explain.diagnosis.Relaxation.rounding_room`). ``certificate``: the
    solve's optimality certificate when the caller has it already (a sweep), else it is
    worked out here (and the LP re-solved cold if HiGHS's answer fails it).
    """
    from fundopt.solver.certificate import certified, with_whole_pounds
    from fundopt.solver.rounding import round_plan

    if certificate is None:
        certificate, _ = certified(hm)
    # the plan reports this solve; rounding may re-solve the model with margins
    solved = _Solved.read(hm)
    check = _ExactCheck(problem, hm.builder.index, allowed or {})
    alloc, carry, method = round_plan(hm, solved.col_value, check.failures, room)
    allocations = allocation_table(hm.builder.index, alloc)
    carry_forward = carry_table(carry)
    checks = check(alloc, carry)
    _time_round_and_verify(times, t, check.seconds, progress)
    _refuse_if_failed(checks)
    certificate = with_whole_pounds(certificate, hm, alloc, carry)
    plan = assemble_plan(
        problem,
        hm,
        solved.col_value,
        solved.row_dual,
        allocations,
        carry_forward,
        pd.concat([checks, certificate_row(certificate, hm)], ignore_index=True),
        replace(_solver_info(hm, solved, times, method),
                resolved_cold=certificate.resolved_cold),
        PlanStatus.RELAXED if relaxed else PlanStatus.OPTIMAL,
        row_value=solved.row_value,
        objective=solved.objective,
    )
    return replace(plan, certificate=certificate)


def certificate_row(certificate: Certificate, hm: HighsModel) -> pd.DataFrame:
    """The certificate as a row of the checks table: the duality gap (pounds of value)
    against its tolerance."""
    from fundopt.solver.certificate import GAP_TOLERANCE

    scale = hm.builder.scale
    limit = GAP_TOLERANCE * max(scale, abs(certificate.objective))
    gap = certificate.duality_gap
    return pd.DataFrame([{
        "family": "optimality", "rule": "certificate", "year": "", "recipient": "",
        "lhs": gap, "sense": "<=", "rhs": limit, "slack": limit - gap, "soft": False,
        "passed": certificate.passed, "detail": certificate.summary(),
    }], columns=CHECK_COLUMNS)


@dataclass(frozen=True)
class _Solved:
    """What the plan reports of the LP's solve, read before rounding re-solves the model."""

    col_value: np.ndarray
    row_dual: np.ndarray
    row_value: np.ndarray
    objective: float
    iterations: int
    warnings: tuple[str, ...]

    @classmethod
    def read(cls, hm: HighsModel) -> _Solved:
        h = hm.highs
        sol = h.getSolution()
        return cls(
            col_value=np.asarray(sol.col_value),
            row_dual=np.asarray(sol.row_dual),
            row_value=np.asarray(sol.row_value),
            objective=float(h.getInfo().objective_function_value),
            iterations=int(h.getInfo().simplex_iteration_count),
            warnings=hm.log_warnings(),
        )


#: (allocation, carries, checks, seconds) of an exact check
_Checked = tuple[np.ndarray, dict[tuple[str, str], int], pd.DataFrame, float]


class _ExactCheck:
    """Every rule re-checked exactly (:func:`~fundopt.plan.verify.check_rules`) on a
    whole-pound plan, a relaxed plan's allowed breaches passing. The last plan checked is
    remembered: the one rounding settles on was checked already, and is not checked twice."""

    def __init__(self, problem: FundingProblem, index: ProblemIndex,
                 allowed: Mapping[str, float]) -> None:
        self.problem, self.index, self.allowed = problem, index, allowed
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
        """The ids of the rules the plan breaks (empty: it keeps them all)."""
        checks = self(alloc, carry)
        return set(checks.loc[~checks["passed"], "rule"])

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


def _solver_info(hm: HighsModel, solved: _Solved, times: dict[str, float],
                 method: str) -> SolverInfo:
    from fundopt.solver.highs import highs_version

    h = hm.highs
    return SolverInfo(
        highs_version=highs_version(),
        options=dict(hm.options),
        variables=h.getNumCol(),
        constraints=h.getNumRow(),
        nonzeros=hm.nonzeros,
        iterations=solved.iterations,
        money_scale=hm.builder.scale,
        times=dict(times),
        rounding=method,
        log_warnings=solved.warnings,
    )
