"""How long HiGHS itself ran inside a piece of fundopt's work.

Used by ``families.py`` (a whole-pound sweep scenario) and ``run.py`` (``fundopt.solve``):
the part of the time that was HiGHS's own simplex or interior point, so the rest is what
fundopt adds around it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import highspy


@contextmanager
def highs_runs_timed() -> Iterator[list[float]]:
    """Within it, the seconds of every run of HiGHS (``Highs.run``, and ``Highs.solve``,
    which fundopt calls on LPs from 50,000 columns), appended to the list it gives."""
    runs: list[float] = []
    core_run = highspy._core._Highs.run
    own_run, own_solve = highspy.Highs.__dict__.get("run"), highspy.Highs.solve

    def timed(call: Callable[..., Any]) -> Callable[..., Any]:
        def run(self: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return call(self)
            finally:
                runs.append(time.perf_counter() - t0)
        return run

    highspy.Highs.run = timed(core_run)  # type: ignore[method-assign]
    # solve() calls the core run through super(), not the run timed here: timed once
    highspy.Highs.solve = timed(own_solve)  # type: ignore[method-assign]
    try:
        yield runs
    finally:
        if own_run is None:
            del highspy.Highs.run
        else:
            highspy.Highs.run = own_run  # type: ignore[method-assign]
        highspy.Highs.solve = own_solve  # type: ignore[method-assign]
