"""Your own rules in Pyomo (``solve(problem, extra_rules=...)``): hand-worked optima and
shadow prices, the rule's name wherever fundopt speaks of rules, the exact re-check, and
clear refusals of what cannot be used."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pyomo.environ as pyo
import pytest
from builders import M, amount, frame, price, tiny, values
from pyomo.core.expr import identify_variables
from test_handoff import assert_same_lp

import fundopt as fo
from fundopt.formulation import build_model
from fundopt.solver.highs import compile_to_highs


def a_at_most_60_percent(model: pyo.ConcreteModel, alloc: fo.Allocations) -> None:
    model.a_share = pyo.Constraint(
        alloc.years, rule=lambda m, t: alloc.of("a", t) <= 0.6 * alloc.total(t),
        doc="a gets at most 60% of the total")


P = tiny(value_tranches=values(a=2.0, b=1.0))  # without the rule, a takes all £100m


def test_an_own_rule_changes_the_plan_and_is_named_everywhere():
    # a (worth 2) may have 60% of the total: a 60, b 40, worth 160m. Loosening the rule
    # by £1 (a - 0.6(a + b) <= 1) moves a pound from b to a (+1); one more pound of
    # envelope goes 60/40 to a and b (0.6 x 2 + 0.4 x 1 = 1.6)
    plan = fo.solve(P, extra_rules=a_at_most_60_percent)
    assert plan.passed and fo.verify(P, plan).empty
    assert (amount(plan, recipient="a"), amount(plan, recipient="b")) == (60 * M, 40 * M)
    assert plan.objective == pytest.approx(160 * M)
    assert price(plan, "a_share[2026-27]") == pytest.approx(1.0)
    assert price(plan, "envelope[core,2026-27]") == pytest.approx(1.6)
    binding = plan.binding.set_index("rule")
    assert binding.loc["a_share[2026-27]", "family"] == "own_rule"
    assert binding.loc["a_share[2026-27]", "description"] == \
        "Your rule a_share[2026-27]: a gets at most 60% of the total"
    reasons = plan.reasons.set_index("recipient")
    assert reasons.loc["a", "reason"] == fo.ReasonCode.OWN_RULE
    assert reasons.loc["a", "rule"] == "a_share[2026-27]"
    sens = plan.sensitivity.set_index("rule")
    assert sens.loc["a_share[2026-27]", "shadow_price"] == pytest.approx(1.0)
    checks = plan.checks.set_index("rule")
    assert checks.loc["a_share[2026-27]", "family"] == "own_rule"
    assert [r.name for r in plan.own_rules] == ["a_share[2026-27]"]


def test_a_plan_keeps_its_own_rules_across_processes():
    # plain data, no Pyomo objects: a plan pickles with its rules and still verifies
    import pickle

    plan = fo.solve(P, extra_rules=a_at_most_60_percent)
    again = pickle.loads(pickle.dumps(plan))
    assert again.own_rules == plan.own_rules
    assert fo.verify(P, again).empty


def test_a_plan_breaking_an_own_rule_fails_verify():
    plan = fo.solve(P, extra_rules=a_at_most_60_percent)
    moved = plan.allocations.copy()
    moved.loc[moved["recipient"] == "a", "amount"] += 1_000
    moved.loc[moved["recipient"] == "b", "amount"] -= 1_000
    broken = fo.verify(P, replace(plan, allocations=moved))
    assert list(broken["rule"]) == ["a_share[2026-27]"]
    # a - 0.6 x total, with a = 60,001,000 and a total of 100m: £1,000 too much
    assert broken["slack"].iloc[0] == pytest.approx(-1_000)
    # a plan made without the rule breaks it too, when asked
    free = fo.solve(P)
    assert fo.verify(P, free).empty
    assert list(fo.verify(P, free, extra_rules=a_at_most_60_percent)["rule"]) == \
        ["a_share[2026-27]"]


def test_rounding_keeps_an_own_rule_exactly():
    # a third of £100m is not a whole pound: the whole-pound plan still keeps a <= total/3
    def a_third(model: pyo.ConcreteModel, alloc: fo.Allocations) -> None:
        model.a_third = pyo.Constraint(expr=3 * alloc.of("a", "2026-27")
                                       <= alloc.total("2026-27"))

    plan = fo.solve(P, extra_rules=a_third)
    a, total = amount(plan, recipient="a"), int(plan.allocations["amount"].sum())
    assert 3 * a <= total + Fraction(3, 100)  # the check's penny, times 3
    assert a >= 33_333_330
    check = plan.checks.set_index("rule").loc["a_third"]
    assert check["passed"] and check["lhs"] == pytest.approx(3 * a - total)


def test_the_kept_rule_is_what_pyomo_evaluates():
    # the exact check substitutes the whole pounds into the rule's linear form: the same
    # number Pyomo gives for the expression at those amounts
    plan = fo.solve(P, extra_rules=a_at_most_60_percent)
    b = build_model(P, extra_rules=a_at_most_60_percent)
    x = b.model.x
    for i, (r, act, s, t) in enumerate(b.index.alloc.itertuples(index=False, name=None)):
        x[i].value = amount(plan, recipient=r, activity=act, stream=s, year=t) / b.scale
    body = b.model.a_share["2026-27"].body  # in model units once fundopt has kept it
    lhs = plan.checks.set_index("rule").loc["a_share[2026-27]", "lhs"]
    assert pyo.value(body) * b.scale == pytest.approx(lhs, abs=1e-6)


def test_own_rules_go_to_highs_as_recorded():
    b = build_model(P, extra_rules=a_at_most_60_percent)
    assert_same_lp(compile_to_highs(b), compile_to_highs(b, via_pyomo=True))


def test_an_own_rule_that_cannot_hold_is_named_in_the_diagnosis():
    def too_much(model: pyo.ConcreteModel, alloc: fo.Allocations) -> None:
        model.a_floor = pyo.Constraint(expr=alloc.of("a", "2026-27") >= 150e6,
                                       doc="a gets at least £150m")

    with pytest.raises(fo.InfeasibleError) as err:
        fo.solve(P, extra_rules=too_much)
    frame = err.value.diagnosis.to_frame()
    assert "a_floor" in set(frame["rule"])
    assert "envelope[core,2026-27]" in set(frame["rule"])
    assert "Your rule a_floor: a gets at least £150m" in err.value.diagnosis.text


@pytest.mark.parametrize("rule, words", [
    (lambda m, a: setattr(m, "r", pyo.Constraint(expr=a.of("a", "2026-27") * a.of("b", "2026-27")
                                                 <= 1)), "'r' is not linear"),
    (lambda m, a: setattr(m, "r", pyo.Constraint(expr=pyo.inequality(1, a.of("a", "2026-27"),
                                                                     2))),
     "'r' has a lower and an upper limit"),
    (lambda m, a: setattr(m, "v", pyo.Var()), "added 1 variable"),
    (lambda m, a: setattr(m, "r", pyo.Constraint(expr=m.aux[1] <= 1)),
     "'r' uses a variable that is not an allocation"),
    (lambda m, a: a.of("aa", "2026-27"), "unknown recipient 'aa' (did you mean 'a'?)"),
    (lambda m, a: a.total("2027-28"), "unknown year '2027-28'"),
    (lambda m, a: m.c_envelope.deactivate(), "switched off some of fundopt's rules"),
    (lambda m, a: setattr(m.objective, "expr", m.x[0]), "changed the objective"),
    (lambda m, a: m.c_envelope[1].set_value(m.x[0] <= 5), "changed fundopt's own model"),
    (lambda m, a: setattr(m, "r", pyo.Constraint(expr=a.total("2026-27", kind="regional_unit")
                                                 <= 1)), "'r' has no allocation in it"),
])
def test_what_cannot_be_used_is_refused_by_name(rule, words):
    # with a volatility penalty, so the model has variables besides the allocations
    p = tiny(value_tranches=values(a=2.0, b=1.0),
             baselines=frame(recipient=["a", "b"], amount=[50 * M, 50 * M]),
             settings=fo.Settings(need_penalty=0.0, volatility_penalty=0.01))
    with pytest.raises(fo.OwnRuleError) as err:
        fo.solve(p, extra_rules=rule)
    assert words in str(err.value)
    assert err.value.code == "FO-Y01"


def test_allocations_helper_selects_by_kind_activity_threat_and_stream():
    b = build_model(P, extra_rules=lambda m, a: None)
    alloc = fo.Allocations(b)
    assert alloc.years == ("2026-27",)
    assert alloc.recipients(kind="force") == ("a", "b")
    assert alloc.recipients(region="south") == ("b",)
    expr = alloc.total("2026-27", kind="force", activity="lp", stream="core")
    assert len(list(identify_variables(expr))) == 2
    assert len(list(identify_variables(alloc.total("2026-27", threat="fraud")))) == 0
    assert len(list(identify_variables(alloc.of("b", "2026-27")))) == 1
    # in pounds: £1 of allocation is 1/scale of the model's variable
    assert [c for c in expr.linear_coefs] == [b.scale, b.scale]
