"""verify re-checks every rule independently: a tampered plan is caught, naming the rule,
and solve never returns a plan that fails it."""

from __future__ import annotations

import dataclasses
import importlib

import pytest
from builders import M, frame, tiny, values

import fundopt as fo

solve_module = importlib.import_module("fundopt.plan.solve")


def cliff_problem() -> fo.FundingProblem:
    return tiny(years=("2025-26", "2026-27", "2027-28"), envelopes=[100 * M, 93 * M],
                baselines=frame(recipient=["a", "b"], amount=[60 * M, 40 * M]),
                value_tranches=values(a=2.0, b=1.0),
                cliff_edges=frame(max_fall_rate=[0.05]))


def tampered(plan: fo.Plan, **where: str) -> fo.Plan:
    a = plan.allocations.copy()
    mask = True
    for k, v in where.items():
        mask = mask & (a[k] == v)
    a.loc[mask, "amount"] -= 1_000_000
    return dataclasses.replace(plan, allocations=a)


def test_a_good_plan_has_no_violations_and_every_rule_is_checked():
    p = cliff_problem()
    plan = fo.solve(p)
    assert fo.verify(p, plan).empty
    families = set(plan.checks["family"])
    assert {"envelope", "cliff_edge", "allocation"} <= families
    # one cliff-edge check per recipient and year
    assert (plan.checks["family"] == "cliff_edge").sum() == 4


def test_a_cut_beyond_the_cliff_edge_limit_is_caught_by_name():
    p = cliff_problem()
    plan = fo.solve(p)
    bad = fo.verify(p, tampered(plan, recipient="b", year="2027-28"))
    assert list(bad["rule"]) == ["cliff_edge[b,2027-28]"]
    assert "breached by £" in bad["detail"].iloc[0]


def test_spending_beyond_the_envelope_is_caught():
    p = cliff_problem()
    plan = fo.solve(p)
    a = plan.allocations.copy()
    a.loc[(a["recipient"] == "a") & (a["year"] == "2027-28"), "amount"] += 5
    bad = fo.verify(p, dataclasses.replace(plan, allocations=a))
    assert "envelope[core,2027-28]" in set(bad["rule"])


def test_fractions_of_a_pound_and_ineligible_funding_are_caught():
    p = tiny(eligibility=frame(stream=["core"], recipient=["a"]))
    plan = fo.solve(p)
    a = plan.allocations.copy()
    a["amount"] = a["amount"].astype(float)
    a.loc[0, "amount"] -= 0.5
    extra = frame(recipient=["b"], activity=["lp"], stream=["core"], year=["2026-27"],
                  amount=[1.0])
    import pandas as pd

    bad = fo.verify(p, dataclasses.replace(plan, allocations=pd.concat([a, extra])))
    assert {"allocation", "eligibility"} <= set(bad["family"])


def test_solve_refuses_a_plan_that_fails_the_independent_check(monkeypatch):
    real = solve_module.check_rules

    def lying(problem, allocations, carry=None, **kwargs):
        checks = real(problem, allocations, carry, **kwargs)
        checks.loc[checks["family"] == "envelope", "passed"] = False
        return checks

    rounding = importlib.import_module("fundopt.solver.rounding")
    real_round = rounding.round_plan

    def trusting_round(hm, col_value, passes, *args, **kwargs):
        return real_round(hm, col_value, lambda *a: set(), *args, **kwargs)

    monkeypatch.setattr(rounding, "round_plan", trusting_round)
    monkeypatch.setattr(solve_module, "check_rules", lying)
    with pytest.raises(fo.errors.VerificationError) as err:
        fo.solve(tiny())
    assert "independent check" in str(err.value)


def test_whole_pounds_reconcile_with_each_stream_year():
    p = tiny(years=("2025-26", "2026-27", "2027-28"), envelopes=[100 * M + 0.5, 93 * M],
             baselines=frame(recipient=["a", "b"], amount=[60 * M, 40 * M]),
             cliff_edges=frame(max_fall_rate=[0.05]))
    plan = fo.solve(p)
    spent = plan.allocations.groupby(["stream", "year"])["amount"].sum()
    use = plan.stream_use.set_index(["stream", "year"])
    for key, total in spent.items():
        assert use.loc[key, "spent"] == total
        assert total <= use.loc[key, "envelope"]
    assert plan.allocations["amount"].dtype.kind == "i"
