"""Solve many scenarios of one problem fast: build once, change the LP in place, warm-start.

How a scenario is solved:

1. Its problem is made (:meth:`~fundopt.Scenario.apply`, validated as usual).
2. The LP rows, bounds and costs it needs are worked out by the same constraint-family
   code as any build, recorded as numbers only (``build_model(..., pyomo=False)``): cheap.
3. If the LP has the same shape as the base (same rows, the same columns in each row, same
   variables, same money scale), the loaded HiGHS model is changed in place: only the row
   bounds, coefficients, column bounds and costs that differ (``changeRowsBounds``,
   ``changeCoeff``, ``changeColsBounds``, ``changeColsCost``); HiGHS then re-solves from
   the base plan's basis. Otherwise (a new commitment, a new share target, ...) the
   scenario's LP is built and solved from scratch. Either way the LP HiGHS solves is
   exactly the one :func:`fundopt.solve` would build (tests compare them number for number).
4. The solution is rounded to whole pounds and verified like any plan.

A scenario that only changes envelope amounts skips step 2: the envelope family linked
its bounds to the input cells, so the new bounds are worked out directly
(:class:`~fundopt.sweep_fast.EnvelopeLinks`). With ``whole_pounds=False`` step 4 is left
out: the scenario is reported from the LP alone (objective, binding rules, shadow prices).

Every scenario starts from the *base* basis, never the previous scenario's, so a result
does not depend on the order scenarios are run in or how they are split between
processes: serial, process-pool and Dask runs give the same plans to the pound.

Parallel runs use separate processes (HiGHS keeps one scheduler per process), each taking
a chunk of scenarios and building the base model once.
"""

from __future__ import annotations

import math
import multiprocessing
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from fundopt.errors import FundoptError, InfeasibleError, InputError
from fundopt.formulation import build_model
from fundopt.formulation.builder import LpBuilder
from fundopt.plan import Plan
from fundopt.plan.solve import build, finish
from fundopt.plan.tables import RowKinds
from fundopt.problem import FundingProblem
from fundopt.problem.scenarios import Scenario, scenarios_from
from fundopt.solver.highs import HighsModel
from fundopt.solver.run import MS, run
from fundopt.whatif.in_place import EnvelopeLinks, lp_results

LP_ONLY = "the LP's optimum only (whole_pounds=False): not rounded or verified"
ALLOCATION_COLUMNS = ["scenario", "recipient", "activity", "stream", "year", "amount"]
BASE = "base"


class ScenarioStatus(StrEnum):
    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"  # the rules cannot all hold under this scenario
    INVALID = "invalid"  # the scenario does not fit the problem (e.g. an unknown stream)
    FAILED = "failed"  # HiGHS failed, or the plan failed verification


class Method(StrEnum):
    IN_PLACE = "in place"
    REBUILT = "rebuilt"
    NOT_SOLVED = "not solved"


@dataclass(frozen=True)
class ScenarioOutcome:
    """One scenario's result, as plain tables (picklable, so it can come back from a worker)."""

    scenario: str
    overrides: str
    status: ScenarioStatus
    method: Method
    message: str = ""
    diagnosis: str = ""
    objective: float = math.nan
    iterations: int = 0
    seconds: float = 0.0
    allocations: pd.DataFrame = field(default_factory=lambda: _empty_allocations())
    binding: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["family", "rule", "description", "shadow_price"]))
    shadow_prices: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["family", "rule", "value"]))
    whole_pounds: bool = True  # False: the LP's optimum only, no allocations (see sweep)


_NO_ALLOCATIONS = pd.DataFrame(columns=["recipient", "activity", "stream", "year", "amount"]
                               ).astype({"amount": "int64"})


def _empty_allocations() -> pd.DataFrame:
    return _NO_ALLOCATIONS.copy()  # made once: building it cost a millisecond a scenario


# -- recording the LP without Pyomo ------------------------------------------------------------


def record(problem: FundingProblem) -> LpBuilder:
    """The LP of ``problem`` as numbers only: the same family code as :func:`fundopt.solve`'s
    build, without the Pyomo objects."""
    return build_model(problem, pyomo=False)


@dataclass(frozen=True)
class _Arrays:
    """An LP in HiGHS's column order: what is compared and changed in place."""

    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    cost: np.ndarray
    matrix: sp.csc_array


def _arrays(rec: LpBuilder, col_of_var: np.ndarray) -> _Arrays | None:
    """The recorded LP laid out like the compiled base, or None if it uses other variables
    (a variable the base has no column for, or one the base uses that this LP does not)."""
    a = rec.arrays()
    if len(col_of_var) != rec.n_vars or not np.array_equal(a.used, col_of_var >= 0):
        return None
    matrix, col_lower, col_upper, cost = a.in_columns()
    return _Arrays(a.row_lower, a.row_upper, col_lower, col_upper, cost, matrix)


def _same_shape(a: _Arrays, b: _Arrays) -> bool:
    return (a.matrix.shape == b.matrix.shape and np.array_equal(a.matrix.indptr, b.matrix.indptr)
            and np.array_equal(a.matrix.indices, b.matrix.indices)
            and np.array_equal(np.isfinite(a.row_lower), np.isfinite(b.row_lower))
            and np.array_equal(np.isfinite(a.row_upper), np.isfinite(b.row_upper)))


def _equal(a: _Arrays, b: _Arrays) -> bool:
    return _same_shape(a, b) and all(
        np.array_equal(getattr(a, f), getattr(b, f))
        for f in ("row_lower", "row_upper", "col_lower", "col_upper", "cost")
    ) and np.array_equal(a.matrix.data, b.matrix.data)


def compiled_arrays(hm: HighsModel) -> _Arrays:
    """The arrays of a compiled model, in the same layout as a recording's."""
    matrix = sp.csc_array(hm.matrix).copy()
    matrix.sort_indices()
    return _Arrays(np.asarray(hm.row_lower, dtype=float), np.asarray(hm.row_upper, dtype=float),
                   np.asarray(hm.col_lower, dtype=float), np.asarray(hm.col_upper, dtype=float),
                   np.asarray(hm.cost, dtype=float), matrix)


# -- the engine: one per process ---------------------------------------------------------------


class SweepEngine:
    """The base model, built and solved once; solves scenarios of it in place where it can."""

    def __init__(self, problem: FundingProblem, keep_plans: bool = False, *,
                 whole_pounds: bool = True) -> None:
        self.problem = problem
        self.keep_plans = keep_plans
        self.whole_pounds = whole_pounds
        self.plans: dict[str, Plan] = {}
        self.base_hm: HighsModel | None = None
        self.in_place_reason = ""
        t0 = time.perf_counter()
        base = Scenario(BASE)
        try:
            hm = build(problem, _options(problem))
        except InfeasibleError as e:
            self.base = _infeasible(base, Method.REBUILT, e, t0)
            self.in_place_reason = "the base problem has no optimal plan"
            return
        times = {"build": time.perf_counter() - t0}
        self.base = self._run_and_finish(base, problem, hm, Method.REBUILT, times, t0,
                                         is_base=True)
        if self.base.status is not ScenarioStatus.OPTIMAL:
            self.in_place_reason = "the base problem has no optimal plan"
            return
        self.base_hm = hm
        self.col_of_var = np.concatenate([hm.col_of_x, hm.col_of_aux]).astype(np.int64)
        self.base_rec = record(problem)
        recorded = _arrays(self.base_rec, self.col_of_var)
        self.loaded = compiled_arrays(hm)
        if recorded is None or not _equal(recorded, self.loaded):
            # a safety net: never change a model in place unless recording reproduces it
            self.in_place_reason = "the recorded LP differs from the compiled one"
            self.base_hm = None
            return
        self.base_arrays = recorded
        self.links = EnvelopeLinks(problem, self.base_rec)
        self.row_kinds = RowKinds(self.base_rec.rows)

    @property
    def in_place(self) -> bool:
        return self.base_hm is not None

    def solve(self, scenario: Scenario) -> ScenarioOutcome:
        t0 = time.perf_counter()
        if self.in_place and self.links.applies_to(scenario):
            quick = self._solve_envelopes(scenario, t0)
            if quick is not None:
                return quick
        try:
            problem = scenario.apply(self.problem)
        except (InputError, ValueError) as e:
            return ScenarioOutcome(scenario.name, scenario.describe(), ScenarioStatus.INVALID,
                                   Method.NOT_SOLVED, message=str(e),
                                   seconds=time.perf_counter() - t0)
        if self.in_place and problem.settings.time_limit_seconds == \
                self.problem.settings.time_limit_seconds:
            try:
                rec = record(problem)
            except InfeasibleError as e:
                return _infeasible(scenario, Method.IN_PLACE, e, t0)
            arrays = _arrays(rec, self.col_of_var) \
                if rec.scale == self.base_rec.scale else None
            if arrays is not None and _same_shape(arrays, self.loaded):
                return self._solve_in_place(scenario, problem, rec, arrays, t0)
        return self._solve_fresh(scenario, problem, t0)

    def _solve_envelopes(self, scenario: Scenario, t0: float) -> ScenarioOutcome | None:
        """Envelope amounts only: new bounds on the base's LP, worked out from the cells the
        envelope family linked them to (:class:`~fundopt.sweep_fast.EnvelopeLinks`), with
        no new record of the LP; None to go the usual way."""
        amounts = self.links.amounts_for(scenario)
        if amounts is None:
            return None
        problem: FundingProblem | None = None
        if self.whole_pounds:  # the plan is checked against the scenario's own problem
            problem = self.problem.with_envelope_amounts(amounts.tolist())
            if problem is None:  # an amount validation refuses: the usual way says why
                return None
        rec = self.links.record(amounts, problem)
        b = self.base_arrays
        row_lower, row_upper, col_upper = self.links.bounds(
            amounts, b.row_lower, b.row_upper, b.col_upper, self.col_of_var)
        arrays = _Arrays(row_lower, row_upper, b.col_lower, col_upper, b.cost, b.matrix)
        return self._solve_in_place(scenario, problem, rec, arrays, t0)

    def _solve_in_place(self, scenario: Scenario, problem: FundingProblem | None,
                        rec: LpBuilder, arrays: _Arrays, t0: float) -> ScenarioOutcome:
        assert self.base_hm is not None
        hm = self.base_hm
        h = hm.highs
        _load_changes(h, self.loaded, arrays)
        self.loaded = arrays
        h.clearSolver()  # forget the last scenario entirely: start from the base basis
        h.setBasis(self.basis)
        view = _view(hm, rec, arrays)
        times = {"build": time.perf_counter() - t0}
        return self._run_and_finish(scenario, problem, view, Method.IN_PLACE, times, t0)

    def _solve_fresh(self, scenario: Scenario, problem: FundingProblem,
                     t0: float) -> ScenarioOutcome:
        try:
            hm = build(problem, _options(problem))
        except InfeasibleError as e:
            return _infeasible(scenario, Method.REBUILT, e, t0)
        times = {"build": time.perf_counter() - t0}
        return self._run_and_finish(scenario, problem, hm, Method.REBUILT, times, t0)

    def _run_and_finish(self, scenario: Scenario, problem: FundingProblem | None,
                        hm: HighsModel, method: Method, times: dict[str, float],
                        t0: float, *, is_base: bool = False) -> ScenarioOutcome:
        try:
            t = time.perf_counter()
            status = run(hm)
            times["solve"] = time.perf_counter() - t
            if status == MS.kInfeasible:
                return self._diagnose(scenario, problem, method, t0)
            if is_base:
                # the optimal basis, before rounding's re-solves (with margins) move it:
                # every scenario starts from it
                self.basis = hm.highs.getBasis()
            if not self.whole_pounds and not is_base:
                kinds = self.row_kinds if method is Method.IN_PLACE else None
                objective, iterations, binding, prices = lp_results(hm, kinds)
                return ScenarioOutcome(
                    scenario.name, scenario.describe(), ScenarioStatus.OPTIMAL, method,
                    message=LP_ONLY, objective=objective, iterations=iterations,
                    seconds=time.perf_counter() - t0, binding=binding, shadow_prices=prices,
                    whole_pounds=False)
            if problem is None:
                problem = scenario.apply(self.problem)
            plan = finish(problem, hm, times, time.perf_counter())
        except FundoptError as e:
            return ScenarioOutcome(scenario.name, scenario.describe(), ScenarioStatus.FAILED,
                                   method, message=f"{type(e).__name__}: {e}",
                                   seconds=time.perf_counter() - t0)
        if self.keep_plans:
            self.plans[scenario.name] = plan
        return _outcome(scenario, plan, method, time.perf_counter() - t0)

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
        return _infeasible(scenario, method, error, t0)


def _options(problem: FundingProblem) -> dict[str, object]:
    limit = problem.settings.time_limit_seconds
    return {} if limit is None else {"time_limit": float(limit)}


def _infeasible(scenario: Scenario, method: Method, error: InfeasibleError,
                t0: float) -> ScenarioOutcome:
    # the message's first line for a summary; the whole explanation as the diagnosis
    text = str(error.diagnosis) if error.diagnosis is not None else str(error)
    first = str(error).strip().splitlines()[0] if str(error).strip() else "infeasible"
    return ScenarioOutcome(scenario.name, scenario.describe(), ScenarioStatus.INFEASIBLE, method,
                           message=first, diagnosis=text, seconds=time.perf_counter() - t0)


def _outcome(scenario: Scenario, plan: Plan, method: Method, seconds: float) -> ScenarioOutcome:
    sp_ = plan.shadow_prices
    nonzero = sp_.loc[sp_["value"] != 0, ["family", "rule", "value"]].reset_index(drop=True)
    return ScenarioOutcome(
        scenario.name, scenario.describe(), ScenarioStatus.OPTIMAL, method,
        message=plan.status.value if plan.status.value != "optimal" else "",
        objective=float(plan.objective), iterations=plan.solver.iterations, seconds=seconds,
        allocations=plan.allocations.reset_index(drop=True),
        binding=plan.binding[["family", "rule", "description", "shadow_price"]].reset_index(
            drop=True),
        shadow_prices=nonzero,
    )


def _load_changes(h: Any, old: _Arrays, new: _Arrays) -> None:
    """Change the loaded LP from ``old`` to ``new`` (same shape): only what differs.

    ``h`` is a ``highspy.Highs`` (typed loosely: its stubs lack the ``change*`` methods)."""
    rows = np.flatnonzero((old.row_lower != new.row_lower) | (old.row_upper != new.row_upper))
    if len(rows):
        h.changeRowsBounds(len(rows), rows.astype(np.int32), new.row_lower[rows],
                           new.row_upper[rows])
    # the same array object is the same numbers: skip comparing it (the base's matrix and
    # costs, shared by every envelope scenario, are a million numbers at 100k variables)
    cols = np.flatnonzero((old.col_lower != new.col_lower) | (old.col_upper != new.col_upper))
    if len(cols):
        h.changeColsBounds(len(cols), cols.astype(np.int32), new.col_lower[cols],
                           new.col_upper[cols])
    none = np.zeros(0, dtype=np.int64)
    costs = np.flatnonzero(old.cost != new.cost) if old.cost is not new.cost else none
    if len(costs):
        h.changeColsCost(len(costs), costs.astype(np.int32), new.cost[costs])
    changed = np.flatnonzero(old.matrix.data != new.matrix.data) \
        if old.matrix is not new.matrix else none
    if len(changed):
        m = new.matrix
        col_of_entry = np.repeat(np.arange(m.shape[1]), np.diff(m.indptr))
        for k in changed:
            h.changeCoeff(int(m.indices[k]), int(col_of_entry[k]), float(m.data[k]))


def _view(hm: HighsModel, rec: LpBuilder, arrays: _Arrays) -> HighsModel:
    """The base model's HiGHS object, described by the scenario's rows and numbers."""
    return replace(hm, builder=rec, row_lower=arrays.row_lower, row_upper=arrays.row_upper,
                   col_lower=arrays.col_lower, col_upper=arrays.col_upper, cost=arrays.cost,
                   matrix=arrays.matrix)


def run_chunk(problem: FundingProblem, scenarios: Sequence[Scenario], whole_pounds: bool = True
              ) -> tuple[ScenarioOutcome, list[ScenarioOutcome]]:
    """Build the base once and solve ``scenarios`` (what each worker process runs)."""
    engine = SweepEngine(problem, whole_pounds=whole_pounds)
    return engine.base, [engine.solve(s) for s in scenarios]


# -- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    """Scenario results as tidy tables.

    - ``summary``: one row per scenario: status, how it was solved, objective and its change
      on the base, allocation per year (``total <year>`` columns, £), the number of binding
      rules and the main ones (largest shadow prices), what moved against the base (``gained``
      and ``lost``: pounds more / less, summed over recipients and years; ``moved`` = both),
      the biggest winner and loser (recipient and pounds over the horizon), iterations,
      seconds, and the message (and diagnosis) of a scenario that was not solved.
    - ``allocations``: scenario, recipient, activity, stream, year, amount (whole £).
    - ``changes``: scenario, recipient, year, base, amount, change (allocation totals, £).
    - ``binding``: scenario, family, rule, description, shadow_price.
    - ``shadow_prices``: scenario, family, rule, value (non-zero prices only).
    - ``plans``: each solved scenario's :class:`~fundopt.Plan` (base included), when asked
      for with ``keep_plans=True``; empty otherwise.
    """

    base: ScenarioOutcome
    outcomes: tuple[ScenarioOutcome, ...]
    summary: pd.DataFrame
    allocations: pd.DataFrame
    changes: pd.DataFrame
    binding: pd.DataFrame
    shadow_prices: pd.DataFrame
    plans: Mapping[str, Plan] = field(default_factory=dict)

    def shadow_price(self, rule: str) -> pd.Series:
        """The shadow price of one rule per scenario (0 where it does not bind, blank where
        the scenario was not solved), e.g. ``result.shadow_price("envelope[core,2027-28]")``."""
        sp_ = self.shadow_prices
        found = sp_.loc[sp_["rule"] == rule].set_index("scenario")["value"]
        solved = self.summary.set_index("scenario")["status"] == ScenarioStatus.OPTIMAL.value
        out = found.reindex(solved.index).astype(float).fillna(0.0)
        return out.where(solved).rename(rule)

    @property
    def objective(self) -> pd.Series:
        return self.summary.set_index("scenario")["objective"]

    def _repr_html_(self) -> str:
        counts = self.summary["status"].value_counts().to_dict()
        head = f"<b>fundopt sweep</b>: {len(self.summary)} scenarios ({counts})"
        cols = ["scenario", "status", "objective", "objective_change", "moved",
                "biggest_winner", "biggest_loser"]
        return head + self.summary[cols].head(20).to_html(index=False, float_format=lambda v:
                                                            f"{v:,.0f}")


def collect(base: ScenarioOutcome, outcomes: Sequence[ScenarioOutcome],
            horizon: Sequence[str], plans: Mapping[str, Plan] | None = None) -> SweepResult:
    """Tidy tables from scenario outcomes (the base's allocations are the reference)."""

    def tag(outcome: ScenarioOutcome, table: pd.DataFrame) -> pd.DataFrame:
        return table.assign(scenario=outcome.scenario)

    allocations = _concat([tag(o, o.allocations) for o in outcomes], ALLOCATION_COLUMNS)
    allocations["amount"] = allocations["amount"].astype("int64")
    binding = _concat([tag(o, o.binding) for o in outcomes],
                      ["scenario", "family", "rule", "description", "shadow_price"])
    prices = _concat([tag(o, o.shadow_prices) for o in outcomes],
                     ["scenario", "family", "rule", "value"])
    base_by = base.allocations.groupby(["recipient", "year"])["amount"].sum()
    change_frames, rows = [], []
    for o in outcomes:
        row: dict[str, Any] = {
            "scenario": o.scenario, "status": o.status.value, "method": o.method.value,
            "objective": o.objective, "objective_change": o.objective - base.objective,
        }
        by_year = o.allocations.groupby("year")["amount"].sum()
        for y in horizon:
            row[f"total {y}"] = int(by_year.get(y, 0)) \
                if o.status is ScenarioStatus.OPTIMAL and o.whole_pounds else math.nan
        b = o.binding.reindex(o.binding["shadow_price"].abs().sort_values(
            ascending=False, kind="stable").index)
        row["binding_rules"] = len(o.binding) if o.status is ScenarioStatus.OPTIMAL else math.nan
        row["main_binding"] = "; ".join(b.loc[b["shadow_price"] != 0, "rule"].head(3))
        row.update(gained=math.nan, lost=math.nan, moved=math.nan, biggest_winner="",
                   biggest_winner_change=math.nan, biggest_loser="", biggest_loser_change=math.nan)
        if o.status is ScenarioStatus.OPTIMAL and o.whole_pounds and \
                base.status is ScenarioStatus.OPTIMAL:
            mine = o.allocations.groupby(["recipient", "year"])["amount"].sum()
            keys = base_by.index.union(mine.index)
            before = base_by.reindex(keys, fill_value=0).astype("int64")
            after = mine.reindex(keys, fill_value=0).astype("int64")
            diff = after - before
            change_frames.append(pd.DataFrame({
                "scenario": o.scenario, "recipient": keys.get_level_values(0),
                "year": keys.get_level_values(1), "base": before.to_numpy(),
                "amount": after.to_numpy(), "change": diff.to_numpy()}))
            per_recipient = diff.groupby(level=0).sum().sort_index()
            gained, lost = int(diff[diff > 0].sum()), int(-diff[diff < 0].sum())
            row.update(gained=gained, lost=lost, moved=gained + lost)
            if len(per_recipient) and per_recipient.max() > 0:
                row.update(biggest_winner=str(per_recipient.idxmax()),
                           biggest_winner_change=int(per_recipient.max()))
            if len(per_recipient) and per_recipient.min() < 0:
                row.update(biggest_loser=str(per_recipient.idxmin()),
                           biggest_loser_change=int(per_recipient.min()))
        row.update(iterations=o.iterations, seconds=o.seconds, overrides=o.overrides,
                   message=o.message, diagnosis=o.diagnosis)
        rows.append(row)
    summary = pd.DataFrame(rows)
    changes = _concat(change_frames, ["scenario", "recipient", "year", "base", "amount", "change"])
    return SweepResult(base, tuple(outcomes), summary, allocations, changes, binding, prices,
                       dict(plans or {}))


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f[columns] for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)


# -- running: serial, a process pool, or a Dask cluster ----------------------------------------


class _Progress:
    """A progress bar: tqdm if installed, else a line to stderr every tenth of the way."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.done, self.enabled = total, 0, enabled and total > 0
        self.started = time.perf_counter()
        self.bar: Any = None
        self.next_report = max(1, total // 10)
        if self.enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                return
            self.bar = tqdm(total=total, desc="fundopt sweep", unit="scenario")

    def update(self, n: int) -> None:
        if not self.enabled:
            return
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.done >= self.next_report or self.done == self.total:
            elapsed = time.perf_counter() - self.started
            print(f"fundopt sweep: {self.done}/{self.total} scenarios, {elapsed:.1f} s",
                  file=sys.stderr, flush=True)
            self.next_report = self.done + max(1, self.total // 10)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def process_pool(max_workers: int | None = None) -> ProcessPoolExecutor:
    """A process pool fit for sweeps: workers are started fresh ("spawn"), never forked
    from a process whose HiGHS threads are already running."""
    return ProcessPoolExecutor(max_workers=max_workers,
                               mp_context=multiprocessing.get_context("spawn"))


def sweep(problem: FundingProblem, scenarios: Iterable[Scenario], executor: Executor | None = None,
          progress: bool = True, *, chunk_size: int | None = None,
          include_base: bool = False, keep_plans: bool = False,
          whole_pounds: bool = True) -> SweepResult:
    """Solve every scenario of ``problem``; an infeasible or invalid one is recorded, not raised.

    ``executor``: ``None`` runs here, in this process; any
    :class:`concurrent.futures.Executor` runs chunks of scenarios in parallel, e.g.
    :func:`process_pool` or a Dask cluster's ``client.get_executor()``. Each chunk builds
    the base model once. ``chunk_size`` defaults to an eighth of the scenarios (at least 1).
    With ``include_base`` the base problem is the first row of every table, named "base".
    ``keep_plans`` keeps every :class:`~fundopt.Plan` in ``result.plans`` (for charts; in
    this process only, so not with an executor).
    Results are the same, to the pound, however the scenarios are run.

    ``whole_pounds=False`` reports each scenario (not the base) from the LP alone: its
    objective, binding rules and shadow prices, with no whole-pound rounding, verification
    or allocations (so the ``allocations`` and ``changes`` tables leave it out and its
    totals and moves are blank): a fast first look at many scenarios. Solve the ones that
    matter with :func:`fundopt.solve` for their verified plans.
    """
    todo = scenarios_from(scenarios)
    if include_base and any(s.name == BASE for s in todo):
        raise ValueError(f"a scenario is named '{BASE}', the name of the unchanged problem")
    if keep_plans and executor is not None:
        raise ValueError("keep_plans keeps plans in this process: use it without an executor")
    bar = _Progress(len(todo), progress)
    plans: dict[str, Plan] = {}
    try:
        if executor is None:
            engine = SweepEngine(problem, keep_plans, whole_pounds=whole_pounds)
            plans = engine.plans
            base, outcomes = engine.base, []
            for s in todo:
                outcomes.append(engine.solve(s))
                bar.update(1)
        else:
            base, outcomes = _run_parallel(problem, todo, executor, chunk_size, bar.update,
                                           whole_pounds)
    finally:
        bar.close()
    if include_base:
        outcomes = [base, *outcomes]
    return collect(base, outcomes, problem.horizon, plans)


def _run_parallel(problem: FundingProblem, todo: Sequence[Scenario], executor: Executor,
                  chunk_size: int | None, advance: Callable[[int], None],
                  whole_pounds: bool = True) -> tuple[ScenarioOutcome, list[ScenarioOutcome]]:
    size = chunk_size or max(1, math.ceil(len(todo) / 8))
    chunks = [list(todo[i:i + size]) for i in range(0, len(todo), size)] or [[]]
    futures: list[Future[tuple[ScenarioOutcome, list[ScenarioOutcome]]]] = [
        executor.submit(run_chunk, problem, chunk, whole_pounds) for chunk in chunks]
    lengths = {id(f): len(c) for f, c in zip(futures, chunks, strict=True)}
    for f in as_completed(futures):
        f.result()  # raise a worker's error now, not after waiting for the rest
        advance(lengths[id(f)])
    results = [f.result() for f in futures]
    return results[0][0], [o for _, chunk in results for o in chunk]


def compare(problem: FundingProblem, scenarios: Iterable[Scenario],
            executor: Executor | None = None, progress: bool = False, *,
            keep_plans: bool = False, whole_pounds: bool = True) -> SweepResult:
    """The base plan and each scenario side by side: :func:`sweep` with the base included."""
    return sweep(problem, scenarios, executor, progress, include_base=True,
                 keep_plans=keep_plans, whole_pounds=whole_pounds)


__all__ = [
    "Method",
    "ScenarioOutcome",
    "ScenarioStatus",
    "SweepEngine",
    "SweepResult",
    "compare",
    "process_pool",
    "record",
    "run_chunk",
    "sweep",
]
