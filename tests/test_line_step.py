"""Setting ``line_step_rate``: a first step in each line's change, so a recipient's growth
is spread over its lines (docs/formulation.md, "Stability"), worked by hand."""

from __future__ import annotations

import dataclasses

import pytest
from builders import M, amount, frame, tiny, values

import fundopt as fo
from fundopt.errors import InputError


def _unit(step: float) -> fo.FundingProblem:
    """One recipient, a (b has no stream), with two lines x and y of equal value and a
    baseline of £100m that names neither. Commitments hold 2026-27 at x £60m and y £40m
    (the envelope is £100m); 2027-28's envelope is £103m, all of it worth spending."""
    return tiny(
        years=("2025-26", "2026-27", "2027-28"),
        envelopes=[100 * M, 103 * M],
        activities=frame(activity=["x", "y"], name=["X", "Y"], threat=["local_policing"] * 2),
        eligibility=frame(stream=["core"], recipient=["a"]),
        baselines=frame(recipient=["a"], amount=[100 * M]),
        commitments=frame(recipient=["a", "a"], activity=["x", "y"], first_year=["2026-27"] * 2,
                          last_year=["2026-27"] * 2, amount=[60 * M, 40 * M]),
        value_tranches=values(a=1.0),
        settings=fo.Settings(need_penalty=0.0, volatility_penalty=0.0, line_step_rate=step),
    )


def test_a_first_step_spreads_the_growth_over_the_lines() -> None:
    # The £3m of growth in 2027-28 scores 1 a pound wherever it lands (within the 10% rise
    # limit), so without a step it all goes to one line, the tie-break's choice. With a
    # 2% step, x's first £1.2m and y's first £0.8m score 1 and any pound past them 2: both
    # lines rise 2% (£2m), and only the last £1m goes to one line (x to £62.2m or y to
    # £41.8m: 3.7% or 4.5%).
    plain = fo.solve(_unit(0.0))
    stepped = fo.solve(_unit(0.02))
    for plan in (plain, stepped):
        assert plan.passed
        assert amount(plan, year="2026-27", activity="x") == 60 * M
        assert amount(plan, year="2026-27", activity="y") == 40 * M
        assert amount(plan, year="2027-28") == 103 * M
    x, y = (amount(plain, year="2027-28", activity=a) for a in "xy")
    assert (x, y) in ((63 * M, 40 * M), (60 * M, 43 * M))
    x, y = (amount(stepped, year="2027-28", activity=a) for a in "xy")
    assert (x, y) in ((62_200_000, 40_800_000), (61_200_000, 41_800_000))
    # the stability tier's score: £3m of change at 1, £1m past the step at 1 more, and the
    # tie-break (a thousandth of a pound or two per pound allocated, £0.2m-£0.4m here)
    s_plain, s_stepped = (float(p.tiers["achieved"].iloc[-1]) for p in (plain, stepped))
    assert s_stepped - s_plain == pytest.approx(1 * M, abs=0.01 * M)


def test_the_step_is_a_share_below_one() -> None:
    with pytest.raises(InputError, match="line_step_rate"):
        fo.solve(_unit(1.0))


def test_a_sweep_of_a_problem_with_a_step_reaches_the_cold_solves_plans() -> None:
    problem = _unit(0.02)
    scenarios = [fo.Scenario("core +1%", (fo.ScaleEnvelope("core", None, 1.01),)),
                 fo.Scenario("cliff edges 3%", (fo.SetCliffEdge(None, 0.03),))]
    result = fo.compare(problem, scenarios, keep_plans=True)
    assert result.plans["base"].fingerprint == fo.solve(problem).fingerprint
    for s in scenarios:
        assert result.plans[s.name].fingerprint == fo.solve(s.apply(problem)).fingerprint


def test_on_the_reference_model_the_nca_and_units_lines_grow_together() -> None:
    # their budgets name no threat or strand (no mix): without a step a few lines grow by
    # their 10% rise limit and the rest stay flat; with a 2% step, in the two years those
    # budgets grow 2%, every line grows 2%
    from pathlib import Path

    ref = fo.read_workbook(Path(__file__).resolve().parent.parent / "models"
                           / "england_wales_soc.xlsx")
    assert ref.settings.line_step_rate == 0.0  # the shipped model leaves it off
    stepped = ref.replace(settings=dataclasses.replace(ref.settings, line_step_rate=0.02))
    for problem, spread in ((ref, False), (stepped, True)):
        plan = fo.solve(problem)
        a = plan.allocations
        for unit in ("nca", "rocu_north_west"):
            lines = (a[a["recipient"] == unit].groupby(["activity", "year"])["amount"].sum()
                     .unstack("year"))
            growth = (lines["2030-31"] / lines["2029-30"] - 1).to_numpy()
            together = bool(((growth > 0.019) & (growth < 0.021)).all())
            assert together == spread, (unit, sorted(growth.round(3)))
