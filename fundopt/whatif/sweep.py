"""Sweep: solve every scenario of a problem, here or in parallel, and collect the results.

The engine (:mod:`fundopt.whatif.engine`) builds the base model once and solves each
scenario in place where it can, from the base basis, so a result does not depend on the
order scenarios are run in or how they are split: serial, process-pool and Dask runs give
the same plans to the pound. Parallel runs use separate processes (HiGHS keeps one
scheduler per process), each taking a chunk of scenarios and building the base model once.
The outcomes become tidy tables in :mod:`fundopt.whatif.result`.
"""

from __future__ import annotations

import math
import multiprocessing
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from typing import Any

from fundopt.errors import UsageError, expect
from fundopt.plan import Plan
from fundopt.problem import FundingProblem
from fundopt.problem.scenarios import Scenario, scenarios_from
from fundopt.whatif.engine import BASE, SweepEngine, record
from fundopt.whatif.outcome import Method, ScenarioOutcome, ScenarioStatus
from fundopt.whatif.result import SweepResult, collect


def run_chunk(problem: FundingProblem, scenarios: Sequence[Scenario], whole_pounds: bool = True
              ) -> tuple[ScenarioOutcome, list[ScenarioOutcome]]:
    """Build the base once and solve ``scenarios`` (what each worker process runs)."""
    engine = SweepEngine(problem, whole_pounds=whole_pounds)
    return engine.base, [engine.solve(s) for s in scenarios]


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
    expect(problem, FundingProblem, "sweep's problem")
    problem = problem.as_validated()
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise UsageError(f"sweep's executor must be a concurrent.futures.Executor (with "
                         f"submit), such as fo.process_pool() or a Dask client's "
                         f"get_executor(), not a {type(executor).__name__}")
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
