"""Ranging on hand-worked LPs: over what range of each limit its shadow price holds, and
the objective at each end, worked out in each test."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from builders import M, frame, tiny, values

import fundopt as fo
from fundopt.explain.ranging import SENSITIVITY_COLUMNS
from fundopt.plan.solve import build
from fundopt.solver.run import run


def ranged(p: fo.FundingProblem) -> tuple[fo.Plan, dict[str, dict]]:
    plan = fo.solve(p)
    assert plan.passed
    assert list(plan.sensitivity.columns) == list(SENSITIVITY_COLUMNS)
    return plan, {r["rule"]: r for r in plan.sensitivity.to_dict("records")}


def test_an_envelope_price_holds_until_a_floor_binds():
    # a is worth 2, b 1, b's floor is £30m: the envelope's last pound goes to a (worth 2)
    # however much is added; taken away, it comes from a until a has nothing, £70m
    # down, where b's floor binds (objective then 30m)
    plan, s = ranged(tiny(value_tranches=values(a=2.0, b=1.0),
                          limits=frame(recipient=["b"], floor_amount=[30 * M])))
    env = s["envelope[core,2026-27]"]
    assert env["limit"] == 100 * M and env["shadow_price"] == pytest.approx(2.0)
    assert env["allowable_increase"] == math.inf
    assert env["allowable_decrease"] == pytest.approx(70 * M)
    assert math.isnan(env["objective_at_increase"])
    assert env["objective_at_decrease"] == pytest.approx(30 * M)
    # b's floor: each pound lower gains 1 (it goes to a), down to 0 (objective 200m);
    # each pound higher loses 1, up to the whole envelope (objective 100m)
    floor = s["floor_amount[b,2026-27]"]
    assert floor["limit"] == 30 * M and floor["shadow_price"] == pytest.approx(1.0)
    assert floor["allowable_increase"] == pytest.approx(70 * M)
    assert floor["allowable_decrease"] == pytest.approx(30 * M)
    assert floor["objective_at_increase"] == pytest.approx(100 * M)
    assert floor["objective_at_decrease"] == pytest.approx(200 * M)
    # the same sign as plan.shadow_prices
    prices = plan.shadow_prices.set_index("rule")["value"]
    for rule, row in s.items():
        assert row["shadow_price"] == pytest.approx(prices[rule])


def test_a_cap_and_the_envelope_past_it():
    # a (worth 2) is capped at £60m, b (worth 1) takes the other £40m: the envelope's
    # last pound is b's (price 1) until b has nothing (£40m less); the cap is worth 1 a
    # pound (a pound moves from b to a) until a has everything (£40m more) or nothing
    _, s = ranged(tiny(value_tranches=values(a=2.0, b=1.0),
                       limits=frame(recipient=["a"], cap_amount=[60 * M])))
    env, cap = s["envelope[core,2026-27]"], s["cap_amount[a,2026-27]"]
    assert env["shadow_price"] == pytest.approx(1.0)
    assert (env["allowable_increase"], env["allowable_decrease"]) == \
        (math.inf, pytest.approx(40 * M))
    assert env["objective_at_decrease"] == pytest.approx(120 * M)
    assert cap["shadow_price"] == pytest.approx(1.0)
    assert cap["allowable_increase"] == pytest.approx(40 * M)
    assert cap["allowable_decrease"] == pytest.approx(60 * M)
    assert cap["objective_at_increase"] == pytest.approx(200 * M)
    assert cap["objective_at_decrease"] == pytest.approx(100 * M)


def test_an_envelope_with_money_to_spare():
    # a and b capped at £60m and £30m: £10m of the £100m is unspent. The price, 0,
    # holds for any more money and for £10m less
    plan, s = ranged(tiny(value_tranches=values(a=2.0, b=1.0),
                          limits=frame(recipient=["a", "b"], cap_amount=[60 * M, 30 * M])))
    env = s["envelope[core,2026-27]"]
    assert env["shadow_price"] == 0.0
    assert env["allowable_increase"] == math.inf
    assert env["allowable_decrease"] == pytest.approx(10 * M)
    assert env["objective_at_decrease"] == pytest.approx(plan.objective)
    assert "envelope[core,2026-27]" not in set(plan.binding["rule"])


def test_ranging_is_taken_before_rounding_moves_a_bound():
    # a floor of £3,700.37 is not a whole pound: rounding re-solves with the floor raised
    # by its margin. The ranging is the first solve's: the floor may fall £3,700.37 to 0
    # and rise to the whole envelope
    p = tiny(value_tranches=values(a=2.0, b=1.0),
             limits=frame(recipient=["b"], floor_amount=[3_700.37]))
    plan, s = ranged(p)
    assert "re-solve" in plan.solver.rounding
    floor = s["floor_amount[b,2026-27]"]
    assert floor["allowable_decrease"] == pytest.approx(3_700.37, abs=1e-6)
    assert floor["allowable_increase"] == pytest.approx(100 * M - 3_700.37, abs=1e-3)
    # and it is what HiGHS ranges on the LP as first solved
    hm = build(p)
    run(hm)
    _, ranging = hm.highs.getRanging()
    i = [r.info.rule for r in hm.builder.rows].index("floor_amount[b,2026-27]")
    assert floor["allowable_decrease"] == pytest.approx(
        (hm.row_lower[i] - ranging.row_bound_dn.value_[i]) * hm.builder.scale)


def test_the_reference_models_ranges_hold_against_a_re_solve():
    # within its allowable increase an envelope's shadow price is exact: half of it added
    # raises the objective by the price times the pounds added
    ref = fo.read_workbook(Path(__file__).parent.parent / "models" / "england_wales_soc.xlsx")
    plan = fo.solve(ref)
    assert plan.solver.times["ranging"] < 1.0
    sens = plan.sensitivity.set_index("rule")
    assert set(sens.loc[sens["family"] == "envelope"].index) == \
        {r for r in plan.shadow_prices["rule"] if r.startswith("envelope[")}
    env = ref.envelopes
    at = env["amount"].astype(float).idxmax()  # the largest envelope, whatever the model
    stream, year = env.loc[at, "stream"], env.loc[at, "year"]
    row = sens.loc[f"envelope[{stream},{year}]"]
    for side, sign in (("allowable_increase", 1), ("allowable_decrease", -1)):
        step = float(row[side]) / 2
        if not math.isfinite(step):
            continue
        changed = env.copy()
        changed.loc[at, "amount"] += sign * step
        hm = build(ref.replace(envelopes=changed))
        run(hm)
        moved = hm.highs.getInfo().objective_function_value * hm.builder.scale - plan.objective
        assert moved == pytest.approx(sign * row["shadow_price"] * step, rel=1e-6)
