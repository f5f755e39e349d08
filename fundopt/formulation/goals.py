"""The objective's goals and tiers: which recorded terms make up each goal's measure, and
each tier's objective as costs on the LP's variables.

Families record the parts of the goals' measures with :meth:`LpBuilder.measure`, in the
goal's own units: pounds of value (maximised), or pounds away from need, pounds of change,
stability score (minimised). A tier's objective, maximised by HiGHS, is
``sum over its goals of weight x (+measure if maximised else -measure)``; tier 1's is the
LP's objective (``LpArrays.cost``, the Pyomo model's active objective); the solver moves on
to the next tier's costs (:mod:`fundopt.solver.tiers`). See docs/formulation.md,
"Priority tiers".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from fundopt.formulation.terms import Terms
from fundopt.problem.priorities import Tier
from fundopt.problem.schema import Goal

#: Each part of a goal's measure: (its goal, the name of its term in a tier's objective).
PARTS: dict[str, tuple[Goal, str]] = {
    "value": (Goal.VALUE, "value"),
    "breach_penalty": (Goal.VALUE, "breach_penalty"),
    "need": (Goal.NEED, "need_penalty"),
    "volatility": (Goal.VOLATILITY, "volatility_penalty"),
    "stability_within": (Goal.STABILITY, "stability_penalty"),
    "stability_beyond": (Goal.STABILITY, "stability_penalty"),
    "stability_past_step": (Goal.STABILITY, "stability_penalty"),
    "stability_mix": (Goal.STABILITY, "stability_penalty"),
    "stability_tie_break": (Goal.STABILITY, "stability_penalty"),
}


def goals_in(tiers: Iterable[Tier]) -> frozenset[Goal]:
    """The goals some tier optimises: only their measures need rows and variables."""
    return frozenset(g for tier in tiers for g in tier.goals)


def tier_terms(parts: Mapping[str, Terms], tier: Tier) -> dict[str, Terms]:
    """The tier's objective (maximised) as named terms, each a part's terms times the
    weight of its goal, negated for a minimised goal. A weight of 1 leaves the
    coefficients as recorded (bit for bit)."""
    out: dict[str, list[Terms]] = {}
    for part, terms in parts.items():
        goal, name = PARTS[part]
        if goal not in tier.weights or not len(terms):
            continue
        factor = tier.weights[goal] * (1.0 if goal.maximised else -1.0)
        coefs = terms.coefs if factor == 1.0 else \
            -terms.coefs if factor == -1.0 else terms.coefs * factor
        out.setdefault(name, []).append(Terms(terms.vars, coefs))
    return {name: Terms.join(ts) for name, ts in out.items()}


def cost_of(named: Mapping[str, Terms], n_vars: int) -> np.ndarray:
    """Costs per variable of named terms: in name order, a variable's coefficients summed
    left to right (``np.add.at`` adds in order, as Pyomo's compiler does)."""
    terms = Terms.join([named[name] for name in sorted(named)])
    cost = np.zeros(n_vars)
    np.add.at(cost, terms.vars, terms.coefs)
    return cost


def measure_sign(tier: Tier) -> float:
    """+1 when the tier's measure is its (maximised) objective, -1 when the measure is
    minimised, so that measure = sign x objective."""
    return 1.0 if tier.maximised else -1.0
