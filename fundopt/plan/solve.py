"""Solve a FundingProblem with HiGHS and return a verified, whole-pound Plan."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from enum import StrEnum
from os import PathLike
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from fundopt._support import paused_gc, return_large_blocks_promptly
from fundopt.errors import InfeasibleError, VerificationError, expect
from fundopt.explain.bands import BandOptions
from fundopt.formulation import ExtraRules, ProblemIndex, build_model
from fundopt.plan.explanations import NONE, Explanations, FirstSolve, add_explanations
from fundopt.plan.own_rules import compile_own_rules
from fundopt.plan.plan import Plan, PlanStatus, SolverInfo
from fundopt.plan.tables import allocation_table, assemble_plan, carry_table, tier_table
from fundopt.plan.verify import CHECK_COLUMNS, check_rules
from fundopt.problem import FundingProblem
from fundopt.problem.priorities import policy_tiers
from fundopt.solver.run import require_highspy
from fundopt.solver.tiers import TierSolve, solve_tiers

if TYPE_CHECKING:
    from fundopt.solver.certificate import Certificate
    from fundopt.solver.highs import HighsModel


#: LPs of at least this many columns have each large block of memory handed back to the
#: system once freed (:func:`fundopt._support.return_large_blocks_promptly`): the size
#: from which HiGHS's first solve is interior point
#: (:data:`fundopt.solver.highs.IPM_FROM_COLUMNS`), where memory is what limits a laptop
#: (a 400-recipient problem: 824,059 columns, 2.1 GB). Below it, the page faults of
#: blocks mapped and unmapped cost more than the memory is worth: a generated 100k problem
#: (314,029 columns) peaked at 807-815 MiB instead of 941-952, for 2.2-2.8 s of system
#: time instead of 0.9-1.1 (three times the page faults), on a solve of 21-24 s.
PROMPT_RETURN_FROM_COLUMNS = 750_000


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
    bands: bool | BandOptions = False,
    extra_rules: ExtraRules | None = None,
) -> Plan:
    """The best allocation that keeps every rule, rounded to whole pounds and verified.

    The plan says what set each number (``plan.reasons``) and over what range each
    binding rule's shadow price holds (``plan.sensitivity``). ``bands=True`` (or a
    :class:`~fundopt.BandOptions`) also works out, for every recipient and year, the least
    and the most it could get among plans as good as this one (``plan.bands``; up to two
    warm re-solves each, worked out beside the rest of the solve: about 0.15 s more on the
    reference model). ``extra_rules(model, alloc)`` adds your own rules, written in Pyomo
    (:mod:`fundopt.formulation.own_rules`).

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

    For an LP of :data:`PROMPT_RETURN_FROM_COLUMNS` columns or more, on Linux with glibc,
    it has freed memory handed back to the system at once, for the rest of the process
    (:func:`fundopt._support.return_large_blocks_promptly`; docs/formulation.md, "Solving").
    """
    expect(problem, FundingProblem, "solve's problem",
           "read a workbook first: fo.solve(fo.read_workbook('budget.xlsx'))"
           if isinstance(problem, str | PathLike) else "")
    on_infeasible = OnInfeasible(on_infeasible)
    problem = problem.as_validated()  # a table changed in place since: validated again
    explanations = Explanations.of(bands)
    require_highspy()
    with paused_gc():
        return _solve(problem, on_infeasible, progress, explanations, extra_rules)


def _solve(problem: FundingProblem, on_infeasible: OnInfeasible,
           progress: Callable[[str, float], None] | None,
           explanations: Explanations = NONE,
           extra_rules: ExtraRules | None = None) -> Plan:
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
        builder = build_model(problem, index, pyomo=extra_rules is not None,
                              extra_rules=extra_rules)
    except InfeasibleError as e:  # a rule nothing can fund: say where, if the checks can
        from fundopt.explain.prechecks import raise_conflicts

        raise_conflicts(problem)
        raise e
    t = stage("build", t)
    options: dict[str, object] = {}
    if problem.settings.time_limit_seconds is not None:
        options["time_limit"] = float(problem.settings.time_limit_seconds)
    # own rules go through Pyomo's compiler, checked against the record
    hm = compile_to_highs(builder, options) if extra_rules is None \
        else compile_own_rules(builder, options)
    t = stage("handoff", t)
    if len(hm.col_lower) >= PROMPT_RETURN_FROM_COLUMNS:
        return_large_blocks_promptly()  # HiGHS frees hundreds of MB between tiers
    tiers, first = solve_with_explanations(hm, explanations)
    t = stage("solve", t)
    if tiers is None:  # tier 1, the rules, cannot all hold
        from fundopt.explain.diagnosis import (
            breaches_table,
            diagnose_infeasible,
            infeasible,
            relax,
            rounding_breaks,
        )

        if on_infeasible is not OnInfeasible.RELAX:
            from fundopt.explain.prechecks import raise_conflicts

            raise_conflicts(problem)  # a conflict in closed form: exact shortfall, cheap
            t = stage("checks", t)
            raise diagnose_infeasible(problem, hm)
        relaxation = relax(problem, hm)
        t = stage("diagnosis", t)
        tiers, first = solve_with_explanations(hm, explanations)
        if tiers is None:  # the way out was found on this very LP: not expected
            raise infeasible(relaxation.diagnosis)
        t = stage("relaxed solve", t)
        room, allowed = relaxation.rounding_room(hm)
        plan = finish(problem, hm, tiers, times, t, relaxed=True, progress=progress,
                      allowed=allowed, room=room, first=first)
        more = rounding_breaks(problem, hm, plan.checks, relaxation.allowed)
        return replace(plan, breaches=breaches_table(plan.checks, relaxation.diagnosis,
                                                     plan.breaches, more))
    return finish(problem, hm, tiers, times, t, progress=progress, first=first)


def solve_with_explanations(hm: HighsModel, explanations: Explanations = NONE,
                            start: Any = None, upto: int | None = None
                            ) -> tuple[TierSolve | None, FirstSolve]:
    """Solve ``hm``'s tiers (:func:`~fundopt.solver.tiers.solve_tiers`), reading what
    ``explanations`` needs on the way: tier 1's duals, basis and ranging (shadow prices
    and ranging describe the policy, not the tie-break) and, for bands, the optimum and
    basis of the last policy tier's LP (its face). None if tier 1 is infeasible."""
    reads: list[FirstSolve] = []
    policy = policy_tiers(hm.builder.tiers)

    def on_tier(k: int, model: HighsModel) -> None:
        if k == 1:
            reads.append(FirstSolve.read(model, explanations))
        if k == policy:  # the bands start now, beside the later tiers and rounding
            reads[0] = reads[0].with_bands(model)

    try:
        tiers = solve_tiers(hm, start, upto=upto, on_tier=on_tier)
    except BaseException:
        for read in reads:
            read.cancel()
        raise
    return tiers, reads[0] if reads else FirstSolve.read(hm, NONE)


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
    first: FirstSolve | None = None,
) -> Plan:
    """Round, verify and assemble the Plan from a model whose tiers are solved, with the
    explanations (reasons, ranging, bands) ``first`` read after the policy's solve (none
    by default: a sweep).

    ``allowed`` (for a relaxed plan) maps the rules it may break to the most pounds it may
    break each by; every other rule must hold as usual. ``room`` (per row, model units) is
    how far rounding may take a row past its limit (see
    :meth:`fundopt.explain.diagnosis.Relaxation.rounding_room`). The plan's certificate
    is the last tier's (each tier's LP was certified as it was solved, and re-solved cold
    if HiGHS's answer failed). If it fails, the bands ``first`` started are stopped.
    """
    try:
        return _finish(problem, hm, tiers, times, t, relaxed, progress, allowed, room, first)
    except BaseException:
        if first is not None:
            first.cancel()
        raise


def _finish(problem: FundingProblem, hm: HighsModel, tiers: TierSolve,
            times: dict[str, float], t: float, relaxed: bool,
            progress: Callable[[str, float], None] | None,
            allowed: Mapping[str, float] | None, room: np.ndarray | None,
            first: FirstSolve | None) -> Plan:
    from fundopt.solver.certificate import with_whole_pounds
    from fundopt.solver.rounding import round_plan

    # rounding works on the last tier's LP (tier rows and all), from its solution; the
    # plan reports tier 1's solve (objective, shadow prices)
    rounding = tiers.rounding
    n_tier_rows = len(rounding.row_lower) - len(hm.row_lower)
    room = None if room is None else np.concatenate([room, np.zeros(n_tier_rows)])
    check = _ExactCheck(problem, hm, tiers, allowed or {})
    elastic = _negotiable_rows(problem, rounding) if relaxed else None
    alloc, carry, method = round_plan(rounding, tiers.last.col_value, check.failures, room,
                                      elastic=elastic, allow=check.allow)
    allocations = allocation_table(hm.builder.index, alloc)
    carry_forward = carry_table(carry)
    checks = check(alloc, carry)
    _time_round_and_verify(times, t, check.seconds, progress)
    _refuse_if_failed(checks)
    certificate = with_whole_pounds(replace(tiers.certificate, resolved_cold=any(
        c.resolved_cold for c in tiers.certificates)), tiers.whole_give, alloc, carry)
    plan = assemble_plan(
        problem,
        hm,
        tiers.first.col_value,
        tiers.first.row_dual,
        allocations,
        carry_forward,
        pd.concat([checks, certificate_row(certificate, hm)], ignore_index=True),
        replace(_solver_info(hm, tiers, times, method),
                resolved_cold=certificate.resolved_cold),
        PlanStatus.RELAXED if relaxed else PlanStatus.OPTIMAL,
        row_value=tiers.last.row_value[: len(hm.row_lower)],
        objective=tiers.first.objective,
    )
    plan = replace(plan, tiers=tier_table(hm, tiers, check.achieved(alloc, carry)))
    return replace(add_explanations(plan, hm, first or FirstSolve.read(hm, NONE)),
                   certificate=certificate)


def _negotiable_rows(problem: FundingProblem, hm: HighsModel) -> np.ndarray:
    """Per row of ``hm``, the cost of a pound of its breach on sheet *Negotiability* (0
    where its rule may never break, and for rows that are no user's rule)."""
    from fundopt.explain.diagnosis import relax_penalties

    cost = relax_penalties(problem)
    out = np.zeros(len(hm.row_lower))
    for i, row in enumerate(hm.builder.rows):
        penalty = cost.get(row.info.family.value)
        if penalty is not None and row.penalty is None:  # a soft rule has its own price
            out[i] = penalty
    return out


def certificate_row(certificate: Certificate, hm: HighsModel) -> pd.DataFrame:
    """The certificate as a row of the checks table: the duality gap (in the measure of
    the LP it certifies: the last tier's) against its tolerance."""
    from fundopt.solver.certificate import GAP_TOLERANCE

    scale = hm.builder.scale
    limit = GAP_TOLERANCE * max(scale, abs(certificate.objective))
    gap = certificate.duality_gap
    return pd.DataFrame([{
        "family": "optimality", "rule": "certificate", "year": "", "recipient": "",
        "lhs": gap, "sense": "<=", "rhs": limit, "slack": limit - gap, "soft": False,
        "passed": certificate.passed, "detail": certificate.summary(),
    }], columns=CHECK_COLUMNS)


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

        self.problem, self.index = problem, hm.builder.index
        self.allowed: dict[str, float] = dict(allowed)
        self.own_rules = hm.builder.own_rules
        self.rounding, self.n_rows = tiers.rounding, len(hm.builder.rows)
        self.tiers = hm.builder.tiers[:len(tiers.optima)]  # the tiers solved
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
                             carry_table(carry), own_rules=self.own_rules)
        checks = allow_breaches(checks, self.allowed)
        self.last = (alloc.copy(), dict(carry), checks, time.perf_counter() - t0)
        return checks

    def allow(self, more: Mapping[str, float]) -> None:
        """A relaxed plan's rounding breaks ``more`` rules (pounds each) as well."""
        for rule, pounds in more.items():
            self.allowed[rule] = self.allowed.get(rule, 0.0) + pounds
        self.last = None

    def failures(self, alloc: np.ndarray, carry: dict[tuple[str, str], int]) -> set[str]:
        """The ids of the rules the plan breaks, and ``tier[k]`` for each tier it takes
        beyond its give (empty: it keeps them all)."""
        checks = self(alloc, carry)
        bad = set(checks.loc[~checks["passed"], "rule"])
        tiers = self.tiers
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
        return [self.measures.tier(tier, got) for tier in self.tiers]

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
