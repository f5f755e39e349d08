"""One hand-solved LP per constraint family: the optimum and the shadow prices are worked
out in each test, and every rule is re-checked on the returned plan."""

from __future__ import annotations

import pytest
from builders import M, amount, frame, price, tiny, values

import fundopt as fo


def solved(p: fo.FundingProblem) -> fo.Plan:
    plan = fo.solve(p)
    assert plan.status is fo.PlanStatus.OPTIMAL
    assert fo.verify(p, plan).empty
    assert plan.passed
    return plan


def test_envelope_goes_to_the_higher_value_and_its_shadow_price_is_that_value():
    # a is worth 2 per pound, b 1: all £100m goes to a; one more pound is worth 2
    plan = solved(tiny(value_tranches=values(a=2.0, b=1.0)))
    assert amount(plan, recipient="a") == 100 * M
    assert amount(plan, recipient="b") == 0
    assert plan.objective == pytest.approx(200 * M)
    assert price(plan, "envelope[core,2026-27]") == pytest.approx(2.0)
    assert "envelope[core,2026-27]" in set(plan.binding["rule"])


def test_must_spend_spends_even_worthless_money():
    # value 0 everywhere: without must-spend nothing need be spent; with it, all of it is
    p = tiny(value_tranches=values(a=0.0, b=0.0), envelopes=[100 * M])
    must = p.replace(envelopes=p.envelopes.assign(must_spend=True))
    plan = solved(must)
    assert int(plan.allocations["amount"].sum()) == 100 * M
    assert plan.stream_use["unspent"].iloc[0] == 0


def test_carry_forward_moves_money_into_the_year_a_fund_ends():
    # the fund has £100m in 2026-27 and nothing in 2027-28; a can take only £40m in
    # 2026-27; at most 50% (£50m) may be carried, so £10m is lost and 2027-28 gets £50m
    p = tiny(
        years=("2025-26", "2026-27", "2027-28"),
        envelopes=[100 * M, 0.0],
        streams=frame(stream=["core"], name=["Core"], carry_forward_share=[0.5]),
        eligibility=frame(stream=["core"], recipient=["a"]),
        limits=frame(recipient=["a"], year=["2026-27"], cap_amount=[40 * M]),
    )
    plan = solved(p)
    assert amount(plan, year="2026-27") == 40 * M
    assert amount(plan, year="2027-28") == 50 * M
    assert int(plan.carry_forward["amount"].sum()) == 50 * M
    assert plan.objective == pytest.approx(90 * M)
    use = plan.stream_use.set_index("year")
    assert use.loc["2026-27", "unspent"] == 10 * M
    # a pound more in 2027-28 is spent then (worth 1); a pound more in 2026-27 can be
    # neither spent (cap) nor carried beyond the fixed carry limit (worth 0); the cap on a
    # is worth 1 per pound: that pound would otherwise be lost
    assert price(plan, "envelope[core,2027-28]") == pytest.approx(1.0)
    assert price(plan, "envelope[core,2026-27]") == pytest.approx(0.0)
    assert price(plan, "cap_amount[a,2026-27]") == pytest.approx(1.0)


def test_floor_and_cap_and_their_shadow_prices():
    floor = solved(
        tiny(
            value_tranches=values(a=2.0, b=1.0),
            limits=frame(recipient=["b"], floor_amount=[30 * M]),
        )
    )
    assert amount(floor, recipient="b") == 30 * M
    assert floor.objective == pytest.approx(170 * M)
    # lowering b's floor by £1 moves £1 from b (1) to a (2): worth 1
    assert price(floor, "floor_amount[b,2026-27]") == pytest.approx(1.0)

    cap = solved(
        tiny(
            value_tranches=values(a=2.0, b=1.0), limits=frame(recipient=["a"], cap_amount=[50 * M])
        )
    )
    assert amount(cap, recipient="a") == 50 * M
    assert cap.objective == pytest.approx(150 * M)
    assert price(cap, "cap_amount[a,2026-27]") == pytest.approx(1.0)


def test_floor_as_a_ratio_of_baseline():
    p = tiny(
        value_tranches=values(a=2.0, b=1.0),
        baselines=frame(recipient=["a", "b"], amount=[50 * M, 40 * M]),
        limits=frame(recipient=["b"], floor_ratio=[0.9]),
    )
    plan = solved(p)
    assert amount(plan, recipient="b") == 36 * M  # 0.9 x £40m
    assert plan.objective == pytest.approx(2 * 64 * M + 36 * M)


def test_commitment_is_honoured_in_every_year_it_covers():
    p = tiny(
        years=("2025-26", "2026-27", "2027-28"),
        value_tranches=values(a=2.0, b=1.0),
        commitments=frame(
            recipient=["b"],
            activity=["lp"],
            first_year=["2026-27"],
            last_year=["2027-28"],
            amount=[25 * M],
        ),
    )
    plan = solved(p)
    assert amount(plan, recipient="b", year="2026-27") == 25 * M
    assert amount(plan, recipient="b", year="2027-28") == 25 * M
    assert plan.objective == pytest.approx(2 * (2 * 75 * M + 25 * M))
    assert price(plan, "commitment[b,lp,*,2027-28]") == pytest.approx(1.0)


def test_cliff_edge_limits_the_fall_and_the_final_year_gets_half_the_limit():
    # baselines 60 + 40; envelope 100 then 93; fall limit 5%, final year 2.5%.
    # Year 2 needs X2 >= 0.975 X1, so X1 <= 93 / 0.975 = 95.3846m; year 1 needs >= 95m.
    p = tiny(
        years=("2025-26", "2026-27", "2027-28"),
        envelopes=[100 * M, 93 * M],
        baselines=frame(recipient=["a", "b"], amount=[60 * M, 40 * M]),
        cliff_edges=frame(max_fall_rate=[0.05]),
    )
    plan = solved(p)
    x1 = 93 * M / 0.975
    assert plan.objective == pytest.approx(x1 + 93 * M, rel=1e-9)
    assert amount(plan, year="2027-28") == 93 * M
    assert abs(amount(plan, year="2026-27") - x1) <= 1
    # one more pound in 2027-28 lets 2026-27 rise by 1/0.975: worth 1 + 1/0.975
    assert price(plan, "envelope[core,2027-28]") == pytest.approx(1 + 1 / 0.975)
    assert price(plan, "envelope[core,2026-27]") == pytest.approx(0.0)
    t = plan.totals.set_index(["recipient", "year"])
    assert t.loc[("a", "2027-28"), "fall_limit_rate"] == pytest.approx(0.025)
    assert (plan.totals["headroom"].dropna() >= -0.01).all()


def test_cliff_edge_counts_other_income_in_total_funding():
    # precept of a falls from £50m to £40m: the allocation must make up the difference
    p = tiny(
        baselines=frame(recipient=["a", "b"], amount=[50 * M, 50 * M]),
        value_tranches=values(a=1.0, b=2.0),
        other_income=frame(
            recipient=["a", "a"],
            year=["2025-26", "2026-27"],
            source=["precept", "precept"],
            amount=[50 * M, 40 * M],
        ),
        cliff_edges=frame(recipient=["a"], max_fall_rate=[0.0]),
    )
    plan = solved(p)
    # total of a stays at £100m: allocation 60, b gets 40
    assert amount(plan, recipient="a") == 60 * M
    assert plan.objective == pytest.approx(60 * M + 2 * 40 * M)
    assert price(plan, "cliff_edge[a,2026-27]") == pytest.approx(1.0)


def test_rise_limit():
    p = tiny(
        baselines=frame(recipient=["a", "b"], amount=[50 * M, 50 * M]),
        value_tranches=values(a=2.0, b=1.0),
        cliff_edges=frame(max_fall_rate=[1.0], max_rise_rate=[0.1]),
    )
    plan = solved(p)
    assert amount(plan, recipient="a") == 55 * M
    assert amount(plan, recipient="b") == 45 * M
    assert price(plan, "rise_limit[a,2026-27]") == pytest.approx(1.0)


def test_a_closing_recipient_follows_a_glide_path():
    # b closes after 2027-28 (two funded years): step = £60m / 3 = £20m; b is worth less,
    # so it gets the least the glide path allows: 40, then 20, then nothing
    p = tiny(
        years=("2025-26", "2026-27", "2027-28", "2028-29"),
        envelopes=[100 * M] * 3,
        recipients=frame(
            recipient=["a", "b"],
            name=["A", "B"],
            kind=["force"] * 2,
            region=["north", "south"],
            last_year=[None, "2027-28"],
        ),
        baselines=frame(recipient=["a", "b"], amount=[40 * M, 60 * M]),
        value_tranches=values(a=2.0, b=1.0),
        cliff_edges=frame(max_fall_rate=[0.05]),
    )
    plan = solved(p)
    assert amount(plan, recipient="b", year="2026-27") == 40 * M
    assert amount(plan, recipient="b", year="2027-28") == 20 * M
    assert amount(plan, recipient="b", year="2028-29") == 0
    assert "glide_path_end[b]" in set(plan.shadow_prices["rule"])


def test_a_glide_path_step_is_whole_pounds_so_whole_pounds_can_follow_it():
    # b's baseline £100,000,001 over 2 funded years: step ceil(100,000,001 / 3) = 33,333,334
    p = tiny(years=("2025-26", "2026-27", "2027-28", "2028-29"), envelopes=[300 * M] * 3,
             recipients=frame(recipient=["a", "b"], name=["A", "B"], kind=["force"] * 2,
                              region=["north", "south"], last_year=[None, "2027-28"]),
             baselines=frame(recipient=["a", "b"], amount=[40 * M, 100 * M + 1]),
             value_tranches=values(a=2.0, b=1.0),
             cliff_edges=frame(max_fall_rate=[0.05]))
    plan = solved(p)
    assert amount(plan, recipient="b", year="2026-27") == 100 * M + 1 - 33_333_334
    assert amount(plan, recipient="b", year="2027-28") == 100 * M + 1 - 2 * 33_333_334


def test_local_priority_share_and_national_ring_fence():
    acts = frame(
        activity=["lp", "drugs"],
        name=["Local", "Drugs"],
        threat=["local_policing", "illegal_drugs"],
        strand=[None, "pursue"],
    )
    worth = frame(activity=["lp", "drugs"], tranche=[1, 1], value=[1.0, 2.0])
    one = frame(recipient=["a"], name=["A"], kind=["force"], region=["north"])
    local = solved(
        tiny(
            recipients=one,
            activities=acts,
            value_tranches=worth,
            local_priorities=frame(recipient=["a"], activity=["lp"]),
            local_shares=frame(recipient=["a"], min_local_share=[0.6]),
        )
    )
    assert amount(local, activity="lp") == 60 * M
    assert local.objective == pytest.approx(60 * M + 2 * 40 * M)
    assert price(local, "local_share[a,2026-27]") == pytest.approx(1.0)

    ring = solved(
        tiny(
            recipients=one,
            activities=acts,
            value_tranches=worth,
            local_priorities=frame(recipient=["a"], activity=["lp"]),
            local_shares=frame(recipient=["a"], max_national_share=[0.3]),
        )
    )
    assert amount(ring, activity="drugs") == 30 * M
    assert ring.objective == pytest.approx(70 * M + 2 * 30 * M)
    assert price(ring, "national_share[a,2026-27]") == pytest.approx(1.0)


def test_national_requirement_per_region():
    acts = frame(
        activity=["lp", "drugs"],
        name=["Local", "Drugs"],
        threat=["local_policing", "illegal_drugs"],
        strand=[None, "pursue"],
    )
    p = tiny(
        activities=acts,
        value_tranches=values(a=2.0, b=1.0),
        requirements=frame(
            threat=["illegal_drugs"], year=["2026-27"], region=["south"], amount=[30 * M]
        ),
    )
    plan = solved(p)
    assert amount(plan, recipient="b", activity="drugs") == 30 * M
    assert plan.objective == pytest.approx(2 * 70 * M + 30 * M)
    assert price(plan, "requirement[illegal_drugs,south,2026-27]") == pytest.approx(1.0)


def test_prevent_share_target():
    acts = frame(
        activity=["prev", "purs", "lp"],
        name=["Prevent", "Pursue", "Local"],
        threat=["illegal_drugs", "illegal_drugs", "local_policing"],
        strand=["prevent", "pursue", None],
    )
    worth = frame(activity=["prev", "purs", "lp"], tranche=[1, 1, 1], value=[1.0, 2.0, 0.5])
    one = frame(recipient=["a"], name=["A"], kind=["force"], region=["north"])
    plan = solved(
        tiny(
            recipients=one,
            activities=acts,
            value_tranches=worth,
            share_targets=frame(
                strand=["prevent"], scope=["soc"], year=["2026-27"], min_share=[0.1]
            ),
        )
    )
    assert amount(plan, activity="prev") == 10 * M
    assert amount(plan, activity="purs") == 90 * M
    assert plan.objective == pytest.approx(10 * M + 2 * 90 * M)
    assert price(plan, "share_min[prevent,*,soc,2026-27]") == pytest.approx(1.0)


def test_diminishing_returns_tranches():
    # a: first £30m worth 3, then 1; b worth 2: a gets 30, b the other 70
    worth = frame(
        recipient=["a", "a", "b"],
        tranche=[1, 2, 1],
        width=[30 * M, None, None],
        value=[3.0, 1.0, 2.0],
    )
    plan = solved(tiny(value_tranches=worth))
    assert amount(plan, recipient="a") == 30 * M
    assert plan.objective == pytest.approx(3 * 30 * M + 2 * 70 * M)
    assert price(plan, "envelope[core,2026-27]") == pytest.approx(2.0)


def test_need_penalty_splits_by_need_weight():
    rec = frame(
        recipient=["a", "b"],
        name=["A", "B"],
        kind=["force"] * 2,
        region=["north", "south"],
        need_weight=[3.0, 1.0],
    )
    plan = solved(
        tiny(recipients=rec, settings=fo.Settings(need_penalty=0.05, volatility_penalty=0.0))
    )
    assert amount(plan, recipient="a") == 75 * M
    assert amount(plan, recipient="b") == 25 * M
    assert plan.objective == pytest.approx(100 * M)
    assert plan.objective_terms["need_penalty"] == pytest.approx(0.0, abs=1e-3)


def test_a_soft_floor_is_broken_when_breaking_it_is_cheaper():
    # b's floor of £30m costs 0.5 per pound to break; moving a pound to a gains 1
    plan = solved(
        tiny(
            value_tranches=values(a=2.0, b=1.0),
            limits=frame(recipient=["b"], floor_amount=[30 * M], penalty=[0.5]),
        )
    )
    assert amount(plan, recipient="b") == 0
    assert plan.objective == pytest.approx(200 * M - 0.5 * 30 * M)
    assert plan.breaches["amount"].sum() == pytest.approx(30 * M)
    assert plan.objective_terms["breach_penalty"] == pytest.approx(-15 * M)


def test_highs_warnings_are_recorded_and_money_is_well_scaled():
    # amounts from thousands to billions: the £m money scale keeps HiGHS quiet
    p = tiny(envelopes=[12_345_678_901.23], value_tranches=values(a=2.0, b=1.0),
             limits=frame(recipient=["b"], floor_amount=[3_700.37]))
    plan = solved(p)
    assert plan.solver.log_warnings == ()
    assert plan.solver.money_scale == 1e6
    # the floor holds in whole pounds; rounding's margin may cost a pound or two above it
    assert 3_701 <= amount(plan, recipient="b") <= 3_703
    # a bound of pennies is below HiGHS's comfort: its warning reaches the plan's audit
    pennies = solved(tiny(value_tranches=values(a=2.0, b=1.0),
                          limits=frame(recipient=["b"], floor_amount=[0.37])))
    assert any("small bounds" in w for w in pennies.solver.log_warnings)
    assert 1 <= amount(pennies, recipient="b") <= 2


def test_the_rule_families_a_user_can_name_are_the_lps_families():
    # schema.RuleFamily (the Negotiability sheet's choices) and the LP's row families must
    # not drift apart; the LP adds only its objective-accounting rows and an analyst's own
    # rules (written in Python, never on a sheet, never relaxed)
    from fundopt.formulation.builder import Family
    from fundopt.problem.schema import RuleFamily

    assert {f.value for f in Family} - {"accounting", "own_rule"} == \
        {f.value for f in RuleFamily}
