r"""An analyst's own rules (``solve(problem, extra_rules=...)``), checked on the plan.

Each rule is kept as the linear form Pyomo read from the analyst's expression
(:class:`~fundopt.formulation.OwnRule`): a constant and a coefficient on each allocation,
the allocation in model units of ``money_scale`` pounds. The check puts the plan's
whole-pound amounts into it, in exact rational arithmetic,

.. math::

    \text{value} = c_0 + \sum_k a_k \, \frac{x_k}{\text{scale}}

and compares it with the rule's limit, to within a penny (of the rule's own unit: pounds
when it was written with ``alloc``).
"""

from __future__ import annotations

from collections.abc import Sequence

from fundopt.formulation.own_rules import OwnRule
from fundopt.plan.verify.checks import Checks, F
from fundopt.plan.verify.facts import PlanFacts


def check_own_rules(ck: Checks, f: PlanFacts, rules: Sequence[OwnRule]) -> None:
    for rule in rules:
        total = sum((F(a) * f.x.get(line, 0) for line, a in zip(rule.lines, rule.coefficients,
                                                                strict=True)), F(0))
        value = F(rule.constant) + total / F(rule.money_scale)
        ck.add("own_rule", rule.name, value, rule.sense.value, F(rule.bound),
               year=rule.year, recipient=rule.recipient, detail=rule.description)
