"""Re-check every rule on a plan, independently of Pyomo and HiGHS, in exact arithmetic.

This is a second implementation of the rules, written from the problem's tables and
docs/formulation.md, not from the LP code, so a bug in one is caught by the other. Amounts
are whole pounds; rates are the exact binary values of the inputs (``fractions.Fraction``).
A rule passes when it holds to within one penny (the tolerance covers rates such as 3.71%
whose products are not whole pence). Soft (negotiable) rules are checked too; a breach of
one is reported with ``soft=True`` and does not fail the plan.

One module per rule family, as :mod:`fundopt.formulation.constraints` has one per
constraint family; :data:`RULE_CHECKS` runs them in the same order as
:data:`fundopt.formulation.CONSTRAINT_FAMILIES` builds them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from fundopt.errors import UsageError, expect
from fundopt.plan.verify.allocations import check_allocations
from fundopt.plan.verify.checks import CHECK_COLUMNS, PENNY, Checks, F
from fundopt.plan.verify.cliff_edges import check_cliff_edges
from fundopt.plan.verify.commitments import check_commitments
from fundopt.plan.verify.envelopes import check_envelopes
from fundopt.plan.verify.facts import PlanFacts, plan_facts
from fundopt.plan.verify.limits import check_limits
from fundopt.plan.verify.line_limits import check_line_limits
from fundopt.plan.verify.local_priorities import check_local_priorities
from fundopt.plan.verify.own_rules import check_own_rules
from fundopt.plan.verify.promises import check_promises
from fundopt.plan.verify.requirements import check_requirements
from fundopt.plan.verify.shares import check_share_targets
from fundopt.problem import FundingProblem

if TYPE_CHECKING:
    from fundopt.formulation.own_rules import ExtraRules, OwnRule
    from fundopt.plan.plan import Plan

#: The rule families in the order their checks are listed (after the allocations' own).
RULE_CHECKS: tuple[tuple[str, Callable[[Checks, PlanFacts], None]], ...] = (
    ("envelopes", check_envelopes),
    ("floors_and_caps", check_limits),
    ("commitments", check_commitments),
    ("promises", check_promises),
    ("cliff_edges", check_cliff_edges),
    ("local_priorities", check_local_priorities),
    ("national_requirements", check_requirements),
    ("share_targets", check_share_targets),
    ("line_and_stream_limits", check_line_limits),
)


def verify(problem: FundingProblem, plan: Plan, *,
           extra_rules: ExtraRules | None = None) -> pd.DataFrame:
    """The hard rules the plan breaks (an empty table for a good plan): the problem's,
    the own rules the plan was solved with (``plan.own_rules``) and, if given, those
    ``extra_rules`` adds (as in ``solve(problem, extra_rules=...)``)."""
    from fundopt.plan.plan import Plan

    expect(problem, FundingProblem, "verify's problem")
    expect(plan, Plan, "verify's plan", "pass the plan fo.solve returned")
    problem = problem.as_validated()
    _refuse_another_problems_plan(problem, plan)
    own: tuple[OwnRule, ...] = plan.own_rules
    if extra_rules is not None:
        from fundopt.formulation import build_model

        built = build_model(problem, extra_rules=extra_rules).own_rules
        own += tuple(r for r in built if r.name not in {o.name for o in own})
    checks = check_rules(problem, plan.allocations, plan.carry_forward, own_rules=own)
    return checks[~checks["passed"]].reset_index(drop=True)


def _refuse_another_problems_plan(problem: FundingProblem, plan: Plan) -> None:
    """A plan may be checked against another problem (a scenario's plan against the base:
    the rules it breaks), but only one that has the recipients, activities, streams and
    years it allocates."""
    a = plan.allocations
    known = {"recipient": set(problem.recipients["recipient"]),
             "activity": set(problem.activities["activity"]),
             "stream": set(problem.streams["stream"]), "year": set(problem.horizon)}
    strange = [f"{column} '{v}'" for column, ids in known.items()
               for v in sorted(set(a[column]) - ids)] if len(a) else []
    if strange:
        raise UsageError(
            f"the plan allocates to {', '.join(strange[:5])}"
            + (f" and {len(strange) - 5} more" if len(strange) > 5 else "")
            + ", which this problem does not have: it was made for another problem "
            "(check it against plan.problem, or a scenario of it)")


def check_rules(
    problem: FundingProblem, allocations: pd.DataFrame, carry_forward: pd.DataFrame | None = None,
    *, own_rules: Sequence[OwnRule] = (),
) -> pd.DataFrame:
    """Every rule of the problem (and the analyst's ``own_rules``) checked on the
    allocations (and carry-forwards): one row per check, with the columns
    :data:`CHECK_COLUMNS`."""
    facts = plan_facts(problem, allocations, carry_forward)
    x_rows = check_allocations(facts)
    ck = Checks()
    for _, check in RULE_CHECKS:
        check(ck, facts)
    check_own_rules(ck, facts, own_rules)
    rules = pd.DataFrame(ck.out, columns=CHECK_COLUMNS)
    if not len(x_rows):
        return rules
    if not len(rules):
        return x_rows.reset_index(drop=True)
    return pd.concat([x_rows, rules], ignore_index=True)


__all__ = ["CHECK_COLUMNS", "PENNY", "RULE_CHECKS", "F", "check_rules", "verify"]
