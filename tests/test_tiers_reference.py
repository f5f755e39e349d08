"""The plan a minister is shown, on the shipped reference model: one answer (a change of a
value by a part in a million, or reaching the same problem by a sweep, does not move it),
smooth at line level (no line jumps to or from zero unless its fund ends).
docs/formulation.md, "Priority tiers"."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pytest

import fundopt as fo
from fundopt.plan.replan import PreviousPlan

MODEL = Path(__file__).resolve().parent.parent / "models" / "england_wales_soc.xlsx"
KEY = ["recipient", "activity", "stream", "year"]


@pytest.fixture(scope="module")
def reference() -> fo.FundingProblem:
    return fo.read_workbook(MODEL)


@pytest.fixture(scope="module")
def plan(reference: fo.FundingProblem) -> fo.Plan:
    return fo.solve(reference)


def _moved(a: fo.Plan, b: fo.Plan) -> float:
    x = a.allocations.set_index(KEY)["amount"]
    y = b.allocations.set_index(KEY)["amount"]
    return float(x.sub(y, fill_value=0).abs().sum())


def _line_raised(problem: fo.FundingProblem, recipient: str, activity: str,
                 by: float) -> fo.FundingProblem:
    """``problem`` with the value of a pound on one line (recipient, activity) raised by a
    share ``by``: the recipient's tranches copied onto the line, each value raised (the
    most specific rows apply, so only that line's value changes)."""
    vt = problem.value_tranches
    own = vt[(vt["recipient"] == recipient) & vt["activity"].isna()].copy()
    assert len(own), f"{recipient} has no tranches of its own"
    own["activity"] = activity
    own["value"] = own["value"] * (1 + by)
    return problem.replace(value_tranches=pd.concat([vt, own], ignore_index=True))


def _by_year(plan: fo.Plan, horizon: list[str], *keys: str) -> pd.DataFrame:
    """The plan's allocations summed by ``keys``, a column per horizon year (0 unfunded)."""
    return (plan.allocations.groupby([*keys, "year"])["amount"].sum()
            .unstack("year").reindex(columns=horizon).fillna(0))


def _largest_line(plan: fo.Plan, recipient: str) -> str:
    a = plan.allocations
    lines = a[a["recipient"] == recipient].groupby("activity")["amount"].sum()
    return str(lines.idxmax())


@pytest.mark.parametrize("recipient", ["nca", "rocu_south_west", "london_regional_unit"])
def test_a_value_raised_by_a_part_in_a_million_moves_under_1000_pounds(
        reference: fo.FundingProblem, plan: fo.Plan, recipient: str) -> None:
    # before the stability tier held tier 1 on its optimal face, raising the NCA's values
    # by a part in a million moved £3.67m of allocations (December 2026); the issue asks
    # for under £1,000 in total. Here £6 to £10 (4 December 2026).
    activity = _largest_line(plan, recipient)
    raised = fo.solve(_line_raised(reference, recipient, activity, 1e-6))
    assert raised.passed
    assert raised.objective >= plan.objective  # a pound there is worth a little more
    assert _moved(plan, raised) < 1_000


def test_no_line_jumps_to_or_from_zero_unless_its_fund_ends(
        reference: fo.FundingProblem, plan: fo.Plan) -> None:
    a = plan.allocations
    horizon = list(reference.horizon)
    lines = _by_year(plan, horizon, "recipient", "activity")
    some_years = lines[((lines > 0).sum(axis=1) > 0) & ((lines > 0).sum(axis=1) < len(horizon))]
    # before tiers, 194 of 723 lines were funded in one year only (the tie-break's choice);
    # now 17 of 555, each a police reform programme line, whose fund ends after 2027-28
    env = reference.envelopes
    ending = set(env.loc[env["amount"] > 0, "stream"]) - set(
        env.loc[(env["year"] == horizon[-1]) & (env["amount"] > 0), "stream"])
    assert ending, "the reference model has a fund that ends"
    streams = a[a["amount"] > 0].groupby(["recipient", "activity"])["stream"].agg(set)
    for line in some_years.index:
        assert streams[line] <= ending, f"{line} jumps but its streams do not end"
    assert len(some_years) == 17
    # and no funded line moves by more than a fifth year on year while its fund lasts
    jumps = 0
    for prev, cur in itertools.pairwise(horizon):
        moved = ((lines[prev] > 0) & ((lines[cur] - lines[prev]).abs() > 0.2 * lines[prev])) \
            | ((lines[prev] == 0) & (lines[cur] > 0))
        jumps += int(moved.sum())
    assert jumps == 17  # 106 before tiers; these are the ending fund's lines again


def test_a_line_keeps_the_stream_that_pays_for_it_from_year_to_year(
        reference: fo.FundingProblem, plan: fo.Plan) -> None:
    # a regional unit's line may be paid by the ROCU grant or any of its region's PCCs,
    # equally well: with a tie-break drawn per year, the payer changed almost every year
    # (1,096 of 1,144 line-stream items funded in some years and not others, on lines
    # funded every year); drawn per line and stream, the same payer is cheapest each year
    horizon = list(reference.horizon)
    items = _by_year(plan, horizon, "recipient", "activity", "stream")
    lines = items.groupby(level=["recipient", "activity"]).sum()
    every_year = lines[(lines > 0).all(axis=1)].index
    on_lines = items[items.index.droplevel("stream").isin(every_year)]
    funded = (on_lines > 0).sum(axis=1)
    switching = on_lines[(funded > 0) & (funded < len(horizon))]
    kinds = reference.recipients.set_index("recipient")["kind"]
    units = kinds[kinds == "regional_unit"].index
    in_units = switching.index.get_level_values("recipient").isin(units)
    assert in_units.sum() <= 24, in_units.sum()  # 1,096 with a draw per year
    # and fewer payers per line: 450 line-stream items paid in some year (1,144 before)
    assert len(on_lines[on_lines.index.get_level_values("recipient").isin(units)]) <= 450


def test_a_sweep_reaches_the_plan_a_cold_solve_does(
        reference: fo.FundingProblem, plan: fo.Plan) -> None:
    # a cliff-edge scenario's plan and a re-plan's differed from the cold solve's by £6
    # and £5 (£1 a line) while a sweep warm-started tier 1 from the base's basis
    scenarios = [fo.Scenario("core grant 1% up", (fo.ScaleEnvelope("core_grant", None,
                                                                     1.01),)),
                 fo.Scenario("cliff edges 3%", (fo.SetCliffEdge(None, 0.03),))]
    result = fo.compare(reference, scenarios, keep_plans=True)
    assert result.plans["base"].fingerprint == plan.fingerprint
    for s in scenarios:
        assert result.plans[s.name].fingerprint == fo.solve(s.apply(reference)).fingerprint
    again = PreviousPlan.from_plan(plan).attach(reference)  # the same problem re-planned
    replanned = fo.compare(again, scenarios[:1], keep_plans=True).plans[scenarios[0].name]
    assert replanned.fingerprint == fo.solve(scenarios[0].apply(again)).fingerprint
