"""Solve a FundingProblem with HiGHS and return a verified, whole-pound Plan."""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum

import highspy
import numpy as np

from fundopt.errors import SolverError, UnboundedError, VerificationError
from fundopt.formulation import ProblemIndex, build_model
from fundopt.formulation.compile import HighsModel, compile_to_highs, highs_version
from fundopt.plan import Plan, PlanStatus, SolverInfo
from fundopt.problem import FundingProblem
from fundopt.results import allocation_table, assemble_plan, carry_table
from fundopt.rounding import round_plan
from fundopt.verify import check_rules

MS = highspy.HighsModelStatus


class OnInfeasible(StrEnum):
    RAISE = "raise"  # raise InfeasibleError, with a diagnosis where one can be found
    RELAX = "relax"  # break the fewest, cheapest promises and return the plan, flagged


def build(problem: FundingProblem, options: dict[str, object] | None = None) -> HighsModel:
    """Build the LP and load it into HiGHS (no solve)."""
    index = ProblemIndex(problem)
    return compile_to_highs(build_model(problem, index), options)


def solve(
    problem: FundingProblem,
    *,
    on_infeasible: OnInfeasible | str = OnInfeasible.RAISE,
    progress: Callable[[str, float], None] | None = None,
) -> Plan:
    """The best allocation that keeps every rule, rounded to whole pounds and verified.

    Raises :class:`~fundopt.InfeasibleError` when the rules cannot all hold (unless
    ``on_infeasible="relax"``), :class:`~fundopt.SolverError` when HiGHS fails or stops at
    the time limit, and :class:`~fundopt.errors.VerificationError` if the plan fails the
    independent check (it is then never returned).
    """
    on_infeasible = OnInfeasible(on_infeasible)
    times: dict[str, float] = {}

    def stage(name: str, t0: float) -> float:
        t1 = time.perf_counter()
        times[name] = t1 - t0
        if progress is not None:
            progress(name, times[name])
        return t1

    t = time.perf_counter()
    index = ProblemIndex(problem)
    builder = build_model(problem, index)
    t = stage("build", t)
    options: dict[str, object] = {}
    if problem.settings.time_limit_seconds is not None:
        options["time_limit"] = float(problem.settings.time_limit_seconds)
    hm = compile_to_highs(builder, options)
    t = stage("handoff", t)
    status = run(hm)
    t = stage("solve", t)
    relaxed = False
    if status in (MS.kInfeasible,):
        from fundopt.diagnosis import diagnose_infeasible, relax

        if on_infeasible is OnInfeasible.RELAX:
            hm = relax(problem, hm)
            relaxed = True
        else:
            raise diagnose_infeasible(problem, hm)
    return finish(problem, hm, times, t, relaxed=relaxed, progress=progress)


def run(hm: HighsModel) -> highspy.HighsModelStatus:
    """Run HiGHS; turn every non-optimal outcome except infeasibility into a clear error."""
    h = hm.highs
    h.run()
    status = h.getModelStatus()
    if status == MS.kUnboundedOrInfeasible:
        # presolve could not tell which; without it simplex can
        h.setOptionValue("presolve", "off")
        h.clearSolver()
        h.run()
        h.setOptionValue("presolve", "on")
        status = h.getModelStatus()
    if status in (MS.kOptimal, MS.kInfeasible):
        return status
    if status == MS.kUnbounded:
        raise UnboundedError(
            "the allocation can grow without limit: some funding has value but no envelope "
            "or cap limits it (check that every stream has envelopes and weights are sensible)"
        )
    if status in (MS.kTimeLimit, MS.kIterationLimit, MS.kInterrupt):
        raise SolverError(
            f"HiGHS stopped ({h.modelStatusToString(status)}) before proving an optimum; "
            "raise the time limit (setting time_limit_seconds) or simplify the problem",
            code="FO-L05",
        )
    raise SolverError(
        f"HiGHS could not solve the problem ({h.modelStatusToString(status)}); "
        "write it out with fundopt.write_mps and report it",
        code="FO-L12",
    )


def finish(
    problem: FundingProblem,
    hm: HighsModel,
    times: dict[str, float],
    t: float,
    *,
    relaxed: bool = False,
    progress: Callable[[str, float], None] | None = None,
) -> Plan:
    """Round, verify and assemble the Plan from a solved model."""
    h = hm.highs
    sol = h.getSolution()
    col_value = np.asarray(sol.col_value)
    index = hm.builder.index

    def passes(alloc: np.ndarray, carry: dict[tuple[str, str], int]) -> bool:
        checks = check_rules(problem, allocation_table(index, alloc), carry_table(carry))
        return bool(checks["passed"].all())

    alloc, carry, method = round_plan(hm, col_value, passes)
    t1 = time.perf_counter()
    times["round"] = t1 - t
    if progress is not None:
        progress("round", times["round"])
    allocations = allocation_table(index, alloc)
    carry_forward = carry_table(carry)
    checks = check_rules(problem, allocations, carry_forward)
    t2 = time.perf_counter()
    times["verify"] = t2 - t1
    if progress is not None:
        progress("verify", times["verify"])
    if not checks["passed"].all():
        bad = checks[~checks["passed"]]
        raise VerificationError(
            "the solver's plan failed fundopt's independent check, so it is not returned:\n"
            + "\n".join(f"  - {d}" for d in bad["detail"].head(20))
        )
    info = SolverInfo(
        highs_version=highs_version(),
        options=dict(hm.options),
        variables=h.getNumCol(),
        constraints=h.getNumRow(),
        nonzeros=hm.nonzeros,
        iterations=int(h.getInfo().simplex_iteration_count),
        money_scale=hm.builder.scale,
        times=dict(times),
        rounding=method,
    )
    return assemble_plan(
        problem,
        hm,
        col_value,
        np.asarray(sol.row_dual),
        allocations,
        carry_forward,
        checks,
        info,
        PlanStatus.RELAXED if relaxed else PlanStatus.OPTIMAL,
    )
