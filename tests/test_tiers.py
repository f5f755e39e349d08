"""Priority tiers, hand-worked (docs/formulation.md, "Priority tiers"): each tier is
optimised in turn, the tiers before it held within their give; a minimised and a
maximised goal in one problem (HiGHS's own lexicographic mode minimises a maximised
objective: fundopt states every tier in its own sense and checks it here)."""

from __future__ import annotations

import pytest
from builders import M, frame, tiny, values

import fundopt as fo
from fundopt.problem.funding_problem import Settings


def need_then_value(give: float | None) -> fo.FundingProblem:
    """One year, £100m of core grant; a pound to a is worth 2, to b 1; equal need weights.
    Tier 1: need (pounds away from needs-based shares, minimised) with ``give``; tier 2:
    value (maximised); stability is added as tier 3."""
    recipients = frame(recipient=["a", "b"], name=["Force A", "Force B"],
                       kind=["force", "force"], region=["north", "south"],
                       need_weight=[1.0, 1.0])
    return tiny(recipients=recipients, value_tranches=values(a=2.0, b=1.0),
                settings=Settings(need_penalty=0.0, volatility_penalty=0.0),
                priorities=frame(tier=[1, 2], goal=["need", "value"], weight=[None, None],
                                 give=[give, None]))


def amounts(plan: fo.Plan) -> dict[str, int]:
    return dict(zip(plan.allocations["recipient"], plan.allocations["amount"], strict=True))


def test_a_minimised_tier_then_a_maximised_one() -> None:
    # by hand: tier 1's best is 0 pounds away from need (a and b get £50m each); with no
    # give, value (tier 2) cannot move a pound: 2 x 50m + 1 x 50m = £150m. Maximising
    # need instead (the sense trap) would give one force everything
    plan = fo.solve(need_then_value(0.0))
    assert amounts(plan) == {"a": 50 * M, "b": 50 * M}
    t = plan.tiers.set_index("tier")
    assert list(t.index) == [1, 2, 3]
    assert list(t["sense"]) == ["minimised", "maximised", "minimised"]
    assert t.loc[1, "optimum"] == pytest.approx(0.0, abs=1e-3)
    assert t.loc[2, "optimum"] == pytest.approx(150 * M, abs=1e-3)
    assert t.loc[2, "achieved"] == pytest.approx(150 * M, abs=1e-3)
    assert t["certified"].all()
    assert plan.objective == pytest.approx(0.0, abs=1e-3)  # tier 1's optimum, maximised form


def test_a_tier_gives_up_at_most_its_give() -> None:
    # tier 1 may give up £10m of need; the LP uses half of it (the rest is rounding's):
    # £5m away from need is a £2.5m move from b to a, worth £2.5m of value:
    # a £52.5m, b £47.5m, value 2 x 52.5m + 47.5m = £152.5m
    plan = fo.solve(need_then_value(10 * M))
    assert amounts(plan) == {"a": 52_500_000, "b": 47_500_000}
    t = plan.tiers.set_index("tier")
    assert t.loc[1, "give_allowed"] == 10 * M
    assert t.loc[1, "achieved"] <= t.loc[1, "optimum"] + t.loc[1, "give_allowed"]
    assert t.loc[1, "give_used"] == pytest.approx(5 * M, abs=1.0)
    assert t.loc[2, "achieved"] == pytest.approx(152_500_000, abs=1.0)


def test_the_default_tiers_are_the_blended_objective_then_stability() -> None:
    # no Priorities rows: tier 1 is value less the settings' penalties, tier 2 stability;
    # the plan's objective is tier 1's optimum, as before tiers existed
    p = tiny(value_tranches=values(a=2.0, b=1.0),
             settings=Settings(need_penalty=0.05, volatility_penalty=0.02),
             priorities=frame(tier=[], goal=[], weight=[], give=[]))
    plan = fo.solve(p)
    t = plan.tiers
    assert list(t["goals"]) == ["value, need x 0.05, volatility x 0.02", "stability"]
    assert plan.objective == pytest.approx(t.loc[0, "optimum"], rel=1e-12)
    # the default give: a millionth of the money (£100m): £100
    assert t.loc[0, "give_allowed"] == pytest.approx(100.0)
    assert t.loc[0, "achieved"] >= t.loc[0, "optimum"] - t.loc[0, "give_allowed"]
    # what was optimised, tier by tier, in the repr and the notebook's table
    assert "tiers: tier 1 max value, need x 0.05, volatility x 0.02; tier 2 min stability" \
        in repr(plan)
    html = plan._repr_html_()
    assert "Optimised tier by tier" in html and "line and stream stability score" in html
