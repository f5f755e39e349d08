"""Closed-form checks: common conflicts between rules, with the exact shortfall.

:func:`fundopt.solve` runs them once HiGHS reports the LP infeasible (a feasible problem
never pays for them) and raises what they find instead of an IIS; they need no solver.

Each check compares a *least* amount the rules force (a sum of lower bounds that hold in
every plan) with a *most* amount the rules allow (an upper bound that holds in every plan);
when the least exceeds the most, no plan exists, and the gap is the exact shortfall in
pounds. Only hard rules count (a rule with a penalty can always give way). The checks:

- **P01 no stream can fund it**: a floor, commitment or cliff-edge limit needs money for
  a recipient (or line) that no stream may fund that year;
- **P02 envelope**: floors, commitments and cliff-edge minimums of the recipients only
  some streams can fund, against those streams' envelopes plus the most they can carry in;
- **P03 cap**: a recipient's floor, commitments or cliff-edge minimum above its cap;
- **P04 share target**: a share that eligibility cannot reach (no stream may fund its
  numerator, or nothing outside it) while other rules force funding into its base;
- **P05 requirement**: a national or regional requirement above the most its recipients
  can be given, under their national ring-fences (``max_national_share``), caps and
  streams.

The cliff-edge minimum compounds: with a fall limit :math:`d` the least total funding is
:math:`(1-d)^k` times the baseline-year total after :math:`k` years (never below other
income), so an ending stream can make it unreachable. Pure pandas; no solver.

The parts: ``facts`` (the problem's lookups, read once), ``least`` (what the rules force),
``most`` (what they allow) and ``checks`` (one function per code).
"""

from __future__ import annotations

from fundopt.explain.diagnosis import Diagnosis, infeasible
from fundopt.explain.prechecks.checks import CHECKS
from fundopt.explain.prechecks.facts import Facts
from fundopt.explain.prechecks.least import Least
from fundopt.problem import FundingProblem


def find_conflicts(problem: FundingProblem) -> Diagnosis | None:
    """The conflicts the checks find (each certain), or None."""
    least = Least.of(Facts.of(problem))
    found = [c for check in CHECKS for c in check(least)]
    return Diagnosis(tuple(found)) if found else None


def raise_conflicts(problem: FundingProblem) -> None:
    """Raise :class:`~fundopt.InfeasibleError` (with the diagnosis) if a check finds a conflict."""
    found = find_conflicts(problem)  # looked up here, so a test can stand in for it
    if found is not None:
        raise infeasible(found)


__all__ = ["find_conflicts", "raise_conflicts"]
