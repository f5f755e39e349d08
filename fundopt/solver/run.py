"""Run HiGHS on a loaded LP and turn every outcome but "optimal" or "infeasible" into a
clear error (the codes are in docs/errors.md)."""

from __future__ import annotations

import functools
from types import ModuleType
from typing import TYPE_CHECKING, Any

from fundopt.errors import SolverError, UnboundedError

try:
    import highspy

    MS = highspy.HighsModelStatus
except ImportError:  # reported by solve() as FO-L06, so `import fundopt` still works
    MS = None  # type: ignore[assignment,misc]

if TYPE_CHECKING:
    from fundopt.solver.highs import HighsModel


def require_highspy() -> ModuleType:
    """The highspy module, or a :class:`~fundopt.SolverError` (FO-L06) saying how to get it."""
    try:
        import highspy as module
    except ImportError as e:
        raise SolverError(
            "the HiGHS solver (Python package highspy) is not installed or could not be "
            f"loaded ({e}); install it with: pip install \"highspy>=1.13,!=1.14.*,<2\"",
            code="FO-L06",
        ) from None
    version = installed_highspy_version()
    if version.startswith("1.14."):
        raise SolverError(
            f"highspy {version} is installed: its MIP presolve returns wrong 'optimal' answers "
            "(HiGHS issues 2957, 3002 and 2995, fixed in 1.15), and fundopt's whole-pound "
            "rounding can run a MIP; install another version with: "
            "pip install \"highspy>=1.13,!=1.14.*,<2\"",
            code="FO-L06",
        )
    return module


@functools.cache
def installed_highspy_version() -> str:
    """The installed highspy's version ('' if its metadata cannot be read)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("highspy")
    except PackageNotFoundError:
        return ""



def run(hm: HighsModel) -> Any:
    """Run HiGHS; turn every non-optimal outcome except infeasibility into a clear error.

    Returns ``HighsModelStatus.kOptimal`` or ``kInfeasible``; raises
    :class:`~fundopt.UnboundedError` (FO-L03), or :class:`~fundopt.SolverError` for a time or
    iteration limit or an interruption (FO-L05) and for numerical or other failures (FO-L12).
    """
    require_highspy()
    from fundopt.solver.highs import run_highs, run_watched

    h = hm.highs
    status = run_highs(h)
    if status == MS.kUnboundedOrInfeasible:
        # presolve could not tell which; without it simplex can
        h.setOptionValue("presolve", "off")
        h.clearSolver()
        run_watched(h)
        h.setOptionValue("presolve", "on")
        status = h.getModelStatus()
    if status == MS.kInterrupt:
        # HiGHS stopped cleanly at Ctrl+C (its own handling): the caller sees the usual
        # interrupt, the command line exits 130, a notebook cell stops, nothing is written
        raise KeyboardInterrupt("HiGHS stopped at Ctrl+C; no plan was made")
    if status in (MS.kOptimal, MS.kInfeasible):
        return status
    if status == MS.kUnbounded:
        raise UnboundedError(
            "the allocation can grow without limit: some funding has value but no envelope "
            "or cap limits it (check that every stream has envelopes and weights are sensible)"
        )
    if status == MS.kTimeLimit:
        limit = hm.options.get("time_limit")
        shown = f" ({float(limit):g} s)" if isinstance(limit, int | float) else ""
        raise SolverError(
            f"HiGHS stopped at the time limit{shown} before proving the best plan, so "
            "no plan is returned; raise the time limit (setting time_limit_seconds) or "
            "simplify the problem", code="FO-L05",
        )
    if status == MS.kMemoryLimit:
        raise SolverError(
            "HiGHS ran out of memory before proving the best plan, so no plan is returned; "
            "close other programs or solve a smaller problem (fewer years or recipients)",
            code="FO-L05",
        )
    if status == MS.kIterationLimit:
        raise SolverError(
            f"HiGHS stopped ({h.modelStatusToString(status)}) before proving the best plan, so "
            "no plan is returned; run again, or simplify the problem", code="FO-L05",
        )
    if status in (MS.kSolveError, MS.kUnknown, MS.kPresolveError, MS.kPostsolveError,
                  MS.kObjectiveBound,
                  MS.kObjectiveTarget, MS.kSolutionLimit):
        raise SolverError(
            f"HiGHS ran into numerical trouble and could not prove the best plan "
            f"({h.modelStatusToString(status)}); amounts of very different sizes (pounds next "
            "to billions, tiny rates) are the usual cause: check units and rates, or write the "
            "problem out with fundopt.write_mps and report it", code="FO-L12",
        )
    raise SolverError(
        f"HiGHS could not solve the problem ({h.modelStatusToString(status)}); "
        "write it out with fundopt.write_mps and report it",
        code="FO-L12",
    )
