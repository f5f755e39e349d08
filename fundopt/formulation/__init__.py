"""Build the allocation LP as a Pyomo model (see docs/formulation.md for the maths)."""

from __future__ import annotations

from collections.abc import Callable

from fundopt._support import paused_gc
from fundopt.formulation.builder import Family, LpArrays, LpBuilder, Row, RowInfo, Sense
from fundopt.formulation.constraints.cliff_edges import add_cliff_edges
from fundopt.formulation.constraints.commitments import add_commitments
from fundopt.formulation.constraints.envelopes import add_envelopes
from fundopt.formulation.constraints.limits import add_limits
from fundopt.formulation.constraints.local_priorities import add_local_priorities
from fundopt.formulation.constraints.promises import add_promises
from fundopt.formulation.constraints.requirements import add_requirements
from fundopt.formulation.constraints.shares import add_share_targets
from fundopt.formulation.constraints.stability import add_stability
from fundopt.formulation.index import ProblemIndex
from fundopt.formulation.objective import add_objective
from fundopt.formulation.own_rules import Allocations, ExtraRules, OwnRule, add_own_rules
from fundopt.problem import FundingProblem

#: The constraint families in build order. Eligibility is not a row family: it decides
#: which allocation variables exist (:mod:`fundopt.formulation.index`).
CONSTRAINT_FAMILIES: tuple[tuple[str, Callable[[LpBuilder], None]], ...] = (
    ("envelopes", add_envelopes),
    ("floors_and_caps", add_limits),
    ("commitments", add_commitments),
    ("promises", add_promises),
    ("cliff_edges", add_cliff_edges),
    ("local_priorities", add_local_priorities),
    ("national_requirements", add_requirements),
    ("share_targets", add_share_targets),
    ("line_and_stream_limits", add_stability),
)


def build_model(problem: FundingProblem, index: ProblemIndex | None = None, *,
                pyomo: bool = True, extra_rules: ExtraRules | None = None) -> LpBuilder:
    """The LP of ``problem``: its rows as numbers, the meaning of every row and variable,
    and (unless ``pyomo=False``) the Pyomo model, ``.model``.

    ``extra_rules(model, alloc)``, if given, adds an analyst's own rules to the Pyomo model
    (:mod:`fundopt.formulation.own_rules`); they become the last rows (and need
    ``pyomo=True``).

    A rule no allocation can count towards is kept as a row with no variable (listed in
    ``.unmeetable``; the LP is then infeasible and is diagnosed as usual); the Pyomo model
    cannot hold one, so with ``pyomo=True`` it raises :class:`~fundopt.InfeasibleError`."""
    if extra_rules is not None and not pyomo:
        raise ValueError("own rules are written in Pyomo: build with pyomo=True")
    with paused_gc():  # many small objects, no cycles: the collector only slows it down
        b = LpBuilder(index or ProblemIndex(problem), pyomo=pyomo)
        for _, add in CONSTRAINT_FAMILIES:
            add(b)
        add_objective(b)
        b.finish()
    if extra_rules is not None:  # the analyst's code runs with the collector as they left it
        add_own_rules(b, extra_rules)
    return b


__all__ = [
    "CONSTRAINT_FAMILIES",
    "Allocations",
    "ExtraRules",
    "Family",
    "LpArrays",
    "LpBuilder",
    "OwnRule",
    "ProblemIndex",
    "Row",
    "RowInfo",
    "Sense",
    "build_model",
]
