"""Watch HiGHS while it runs: its progress for a live line, and a Ctrl-C that stops it.

A solve can take minutes at a million variables. HiGHS runs in C++ with Python's lock
released, so a Ctrl-C would wait for the whole solve before Python saw it, and nothing
would say what HiGHS is doing meanwhile. Inside ``with watching(watch):`` every run of
HiGHS through :func:`fundopt.solver.highs.run_highs` reports to ``watch``:

- its phase (presolve, dual simplex, interior point, crossover, ...), from the lines of its
  log (the logging callback);
- its iteration count, from the interrupt callbacks HiGHS calls once an iteration;
- a Ctrl-C (SIGINT, when the run is in the main thread) is recorded instead of raised, HiGHS
  is told to stop at its next iteration, and :class:`KeyboardInterrupt` is raised as soon
  as the run has returned, so the caller unwinds as from any other Ctrl-C.

Outside ``watching`` nothing is subscribed and runs are exactly as before. Measured on a
127k-column LP (31k dual simplex iterations): the per-iteration callback costs less than
the run-to-run noise (5.5 s either way). Below
:data:`fundopt.solver.highs.CALLS_FROM_COLUMNS` a run is quick and nothing is subscribed
(each call waits for Python's lock, which another thread may hold): the line names the
method HiGHS was asked for, and a Ctrl-C is raised when the run returns.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

#: Words for the phase HiGHS is in, from the start of a line of its log.
_PHASES: tuple[tuple[str, str], ...] = (
    ("Presolving model", "presolve"),
    ("Using dual simplex", "dual simplex"),
    ("Using primal simplex", "primal simplex"),
    ("Running IPX", "interior point"),
    ("Using IPX", "interior point"),
    ("Crossover", "crossover"),
    ("Performed postsolve", "postsolve"),
    ("Solving the original LP", "cleaning up"),
    ("Solving MIP model", "branch and bound"),
)


@dataclass
class SolverWatch:
    """What HiGHS is doing, read by another thread for a progress line.

    Written by the thread running HiGHS and read by the one drawing the line: each field is
    one attribute, so a reader sees a value that was true a moment ago, never a torn one.
    """

    phase: str = ""
    iterations: int = 0
    running_since: float | None = None  # perf_counter() when the current run began
    runs: int = 0
    stop_requested: bool = False
    _subscribed: list[tuple[Any, Any]] = field(default_factory=list, repr=False)

    @property
    def running(self) -> bool:
        return self.running_since is not None

    def describe(self) -> str:
        """``HiGHS dual simplex, 12,345 iterations`` (or ``''`` when HiGHS is not running)."""
        if not self.running:
            return ""
        words = f"HiGHS {self.phase}" if self.phase else "HiGHS"
        if self.iterations:
            words += f", {self.iterations:,} iterations"
        return words

    # -- callbacks (called by HiGHS, in the thread running it) ---------------------------
    def on_log(self, event: Any) -> None:
        message = str(getattr(event, "message", "")).strip()
        for start, phase in _PHASES:
            if message.startswith(start):
                self.phase = phase
                return

    def on_iteration(self, event: Any) -> None:
        out = event.data_out
        self.iterations = max(int(out.simplex_iteration_count), int(out.ipm_iteration_count))
        if self.stop_requested:
            event.interrupt()


_current: ContextVar[SolverWatch | None] = ContextVar("fundopt_solver_watch", default=None)


@contextmanager
def watching(watch: SolverWatch) -> Iterator[SolverWatch]:
    """Report every HiGHS run inside the block to ``watch``."""
    token = _current.set(watch)
    try:
        yield watch
    finally:
        _current.reset(token)


@contextmanager
def watched(highs: Any, *, calls: bool = True) -> Iterator[None]:
    """Around one ``highs.run()``: subscribe the current watch's callbacks (if any), take
    Ctrl-C over for the run's length, and raise :class:`KeyboardInterrupt` after a run that
    a Ctrl-C stopped. ``calls=False`` (a quick run: HiGHS is not to call Python, see
    :data:`fundopt.solver.highs.CALLS_FROM_COLUMNS`): nothing is subscribed, the phase is
    the method HiGHS was asked for, with no count, and a Ctrl-C waits for the run's end."""
    watch = _current.get()
    if watch is None:
        yield
        return
    if calls:
        _subscribe(watch, highs)
    previous = _take_over_ctrl_c(watch)
    watch.phase, watch.iterations = "" if calls else _method(highs), 0
    watch.running_since = time.perf_counter()
    watch.runs += 1
    try:
        yield
    finally:
        watch.running_since = None
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        _unsubscribe(watch)
    if watch.stop_requested:
        watch.stop_requested = False
        raise KeyboardInterrupt


def _method(highs: Any) -> str:
    """The method HiGHS was asked for, in the words of :data:`_PHASES`."""
    if highs.getOptionValue("solver")[1] in ("ipx", "ipm"):
        return "interior point"
    return "primal simplex" if highs.getOptionValue("simplex_strategy")[1] == 4 \
        else "dual simplex"


def _subscribe(watch: SolverWatch, highs: Any) -> None:
    pairs = [(highs.cbLogging, watch.on_log), (highs.cbSimplexInterrupt, watch.on_iteration),
             (highs.cbIpmInterrupt, watch.on_iteration)]
    for callbacks, function in pairs:
        callbacks.subscribe(function)
    watch._subscribed = pairs


def _unsubscribe(watch: SolverWatch) -> None:
    for callbacks, function in watch._subscribed:
        callbacks.unsubscribe(function)
    watch._subscribed = []


def _take_over_ctrl_c(watch: SolverWatch) -> Any:
    """Record a Ctrl-C in ``watch`` instead of raising it (HiGHS is told to stop at its next
    iteration); the handler it replaced, or ``None`` when it was left alone (not the main
    thread, or someone else's handler)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:
        return None

    def stop(_signum: int, _frame: FrameType | None) -> None:
        watch.stop_requested = True

    signal.signal(signal.SIGINT, stop)
    return previous


__all__ = ["SolverWatch", "watched", "watching"]
