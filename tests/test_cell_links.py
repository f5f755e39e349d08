"""Sweep scenarios that change other income or a share target: no new record of the LP,
the same LP, words and plan as a fresh solve of the scenario's problem."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest
from test_sweep import _lp, loaded  # noqa: F401 (loaded: the spy fixture)
from whatif_problems import regional_problem

import fundopt as fo
from fundopt.plan.solve import build
from fundopt.whatif.engine import record
from fundopt.whatif.sweep import Method, SweepEngine

LINKED = [
    fo.Scenario("f3 precept -10%", (fo.ScaleIncome("f3", None, 0.9),)),
    fo.Scenario("f1 precept +25% in 2027-28", (fo.ScaleIncome("f1", "2027-28", 1.25),)),
    fo.Scenario("every precept +3%", (fo.ScaleIncome(None, None, 1.03, "precept"),)),
    fo.Scenario("f0 withdraws 72%", (fo.RemoveContribution("f0", "rocu", 0.72),)),
    fo.Scenario("f2 withdraws, f4 precept down", (fo.RemoveContribution("f2", None, 0.5),
                                                  fo.ScaleIncome("f4", None, 0.8))),
    fo.Scenario("prevent 8% in 2027-28", (fo.SetShareTarget("prevent", None, "soc", "2027-28",
                                                            0.08),)),
    fo.Scenario("prevent rises", (fo.SetShareTarget("prevent", None, "soc", "2027-28", 0.07),
                                  fo.SetShareTarget("prevent", None, "soc", "2028-29", 0.09))),
    # the default row and the unit's own (every recipient's cliff edges and line limits)
    fo.Scenario("cliff 2%", (fo.SetCliffEdge(None, 0.02),)),
    fo.Scenario("cliff 9.5%", (fo.SetCliffEdge(None, 0.095),)),
    fo.Scenario("the unit 1%", (fo.SetCliffEdge("rocu", 0.01),)),
]
# each reaches a row's shape or words, or is refused: the usual way
USUAL = [
    # no income left where the local-priority rule's words say "whole budget"
    fo.Scenario("f3 precept gone", (fo.ScaleIncome("f3", None, 0.0),)),
    fo.Scenario("a new target", (fo.SetShareTarget("protect", None, "soc", "2027-28", 0.02),)),
    fo.Scenario("prevent 0%", (fo.SetShareTarget("prevent", None, "soc", "2027-28", 0.0),)),
    fo.Scenario("and an envelope", (fo.ScaleIncome("f3", None, 0.9),
                                    fo.ScaleEnvelope("soc", None, 1.1))),
    # no fall allowed: a change within a limit of 0 is no cap row's term
    fo.Scenario("no fall", (fo.SetCliffEdge(None, 0.0),)),
    fo.Scenario("f3's own cliff edge", (fo.SetCliffEdge("f3", 0.02),)),  # a row added
]


@pytest.fixture(scope="module")
def problem() -> fo.FundingProblem:
    return regional_problem()


@pytest.fixture
def no_record(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Fails a test that records the whole LP again; counts the records made."""
    made: list[int] = []

    def counted(problem: fo.FundingProblem) -> Any:
        made.append(1)
        return record(problem)

    monkeypatch.setattr(sys.modules["fundopt.whatif.engine"], "record", counted)
    return made


def limited_problem() -> fo.FundingProblem:
    """The regional problem with its forces' baselines on local policing, so their lines
    have a baseline (a bound on a change within its limit), a hard line limit and a soft
    stream limit with blank fall rates (the cliff-edge rate), and one line's own rate."""
    p = regional_problem()
    base = p.baselines.assign(activity=[
        "lp" if r.startswith("f") and r != "f5" else None for r in p.baselines["recipient"]])
    f0 = base.loc[base["recipient"] == "f0"].iloc[0]  # a soft line with a baseline too
    base = pd.concat([base.assign(amount=base["amount"].where(base["recipient"] != "f0",
                                                              f0["amount"] - 30e6)),
                      pd.DataFrame([{**f0.to_dict(), "activity": "drugs_pursue",
                                     "amount": 30e6}])], ignore_index=True)
    line = {"level": "line", "recipient": None, "activity": "lp", "stream": None,
            "max_fall_rate": None, "max_rise_rate": 0.2, "hard": True}
    limits = pd.DataFrame([
        line, {**line, "recipient": "f1", "max_fall_rate": 0.04, "max_rise_rate": None,
               "hard": False},
        {**line, "level": "stream", "activity": None, "stream": "soc", "max_rise_rate": None,
         "hard": False}])
    return p.replace(baselines=base, line_limits=limits)


LIMITED = [fo.Scenario("cliff 3.5%", (fo.SetCliffEdge(None, 0.035),)),
           fo.Scenario("default 8%, the unit 2%", (fo.SetCliffEdge(None, 0.08),
                                                     fo.SetCliffEdge("rocu", 0.02)))]


def test_a_share_beside_a_target_with_no_least_share_is_linked(
        no_record: list[int], loaded: list[dict[str, np.ndarray]]) -> None:  # noqa: F811
    # a blank least share that stays blank is no change
    p = regional_problem()
    targets = pd.concat([p.share_targets, pd.DataFrame([{
        "strand": "pursue", "threat": None, "scope": "soc", "year": "2027-28",
        "min_share": None, "max_share": 0.9, "penalty": None}])], ignore_index=True)
    test_a_linked_scenario_is_the_fresh_lp_words_and_plan(
        p.replace(share_targets=targets), LINKED[5], no_record, loaded)


@pytest.mark.parametrize("scenario", LIMITED, ids=lambda s: s.name)
def test_a_cliff_edge_rate_reaches_line_and_stream_limits_as_a_fresh_build(
        scenario: fo.Scenario, no_record: list[int],
        loaded: list[dict[str, np.ndarray]]) -> None:  # noqa: F811 (the fixture)
    test_a_linked_scenario_is_the_fresh_lp_words_and_plan(limited_problem(), scenario,
                                                           no_record, loaded)


@pytest.mark.parametrize("scenario", LINKED, ids=lambda s: s.name)
def test_a_linked_scenario_is_the_fresh_lp_words_and_plan(
        problem: fo.FundingProblem, scenario: fo.Scenario, no_record: list[int],
        loaded: list[dict[str, np.ndarray]]) -> None:  # noqa: F811 (the fixture)
    engine = SweepEngine(problem, keep_plans=True)
    no_record.clear()  # the base's own record
    outcome = engine.solve(scenario)
    assert (outcome.method, outcome.status) == (Method.IN_PLACE, fo.ScenarioStatus.OPTIMAL)
    assert not no_record, "the LP was recorded again"
    changed = scenario.apply(problem)
    # the LP HiGHS got is the fresh build's, number for number
    (mine,), theirs = loaded, _lp(build(changed).highs)
    for key in theirs:
        np.testing.assert_array_equal(mine[key], theirs[key], err_msg=key)
    # the plan is fo.solve's, to the pound, its rules re-checked on it, and its rules'
    # words (a share's percentage in them) and prices are the fresh solve's
    plan, cold = engine.plans[scenario.name], fo.solve(changed)
    assert plan.fingerprint == cold.fingerprint
    pd.testing.assert_frame_equal(outcome.allocations, cold.allocations.reset_index(drop=True))
    assert len(plan.checks) > 0 and plan.passed
    for table in ("binding", "shadow_prices", "checks"):
        pd.testing.assert_frame_equal(getattr(plan, table), getattr(cold, table),
                                      obj=table)
    # its problem is what validation gives, row for row
    for name, table in changed.tables().items():
        pd.testing.assert_frame_equal(getattr(plan.problem, name).reset_index(drop=True),
                                      table.reset_index(drop=True), check_exact=True)
    assert plan.problem.warnings == changed.warnings


def test_the_lp_alone_does_not_depend_on_the_scenario_before() -> None:
    # a cliff-edge rate changes many coefficients, and the next scenario changes them
    # back: each scenario's rules and prices are the same after any other as on its own
    # (HiGHS cleared and loaded with the LP whole ended on other optimal vertices)
    problem = limited_problem()
    envelope = fo.Scenario("core +1%", (fo.ScaleEnvelope("core", None, 1.01),))
    order = (LIMITED[0], envelope, LIMITED[1], envelope, LIMITED[0])
    engine = SweepEngine(problem, whole_pounds=False)
    after = [engine.solve(scenario) for scenario in order]
    for scenario, outcome in zip(order, after, strict=True):
        alone = SweepEngine(problem, whole_pounds=False).solve(scenario)
        assert (outcome.method, outcome.status) == (Method.IN_PLACE, fo.ScenarioStatus.OPTIMAL)
        assert outcome.objective == alone.objective
        # exactly: HiGHS cleared and loaded whole differed by 1e-17 here, and on the
        # reference model by a shadow price
        pd.testing.assert_frame_equal(outcome.binding, alone.binding, check_exact=True)
        pd.testing.assert_frame_equal(outcome.shadow_prices, alone.shadow_prices,
                                      check_exact=True)
        cold = fo.solve(scenario.apply(problem))
        assert outcome.objective == pytest.approx(cold.objective, rel=1e-9)
    # the base's HiGHS holds the last scenario's LP
    mine = _lp(engine.base_hm.highs)  # type: ignore[union-attr]
    theirs = _lp(build(order[-1].apply(problem)).highs)
    for key in theirs:
        np.testing.assert_array_equal(mine[key], theirs[key], err_msg=key)


@pytest.mark.parametrize("scenario", [*LINKED[::3], LINKED[7]], ids=lambda s: s.name)
def test_the_lp_alone_changes_the_loaded_model_to_the_fresh_one(
        problem: fo.FundingProblem, scenario: fo.Scenario, no_record: list[int]) -> None:
    engine = SweepEngine(problem, whole_pounds=False)
    no_record.clear()
    outcome = engine.solve(scenario)
    assert (outcome.method, outcome.status) == (Method.IN_PLACE, fo.ScenarioStatus.OPTIMAL)
    assert not no_record
    changed = scenario.apply(problem)
    mine, theirs = _lp(engine.base_hm.highs), _lp(build(changed).highs)  # type: ignore[union-attr]
    for key in theirs:
        np.testing.assert_array_equal(mine[key], theirs[key], err_msg=key)
    assert outcome.objective == pytest.approx(fo.solve(changed).objective, rel=1e-9)
    # the binding rules speak of the scenario's shares
    words = {row.info.description for row in record(changed).rows}
    assert set(outcome.binding["description"]) <= words


@pytest.mark.parametrize("scenario", USUAL, ids=lambda s: s.name)
def test_a_change_the_links_cannot_make_goes_the_usual_way(
        problem: fo.FundingProblem, scenario: fo.Scenario, no_record: list[int]) -> None:
    engine = SweepEngine(problem)
    no_record.clear()
    outcome = engine.solve(scenario)
    assert no_record, "the usual way records the scenario's LP"
    assert outcome.status is fo.ScenarioStatus.OPTIMAL
    cold = fo.solve(scenario.apply(problem))
    pd.testing.assert_frame_equal(outcome.allocations, cold.allocations.reset_index(drop=True))


@pytest.mark.parametrize("scenario, words", [
    (fo.Scenario("share above max", (fo.SetShareTarget("prevent", None, "soc", "2027-28",
                                                       1.5),)), "between 0% and 100%"),
    (fo.Scenario("nobody", (fo.ScaleIncome("nobody", None, 0.9),)), "no other income"),
    (fo.Scenario("too much", (fo.ScaleIncome("f3", None, 1e9),)), "implausibly large"),
    (fo.Scenario("cliff above 100%", (fo.SetCliffEdge(None, 1.2),)), "between 0% and 100%"),
], ids=["share above 100%", "unknown recipient", "implausible income", "cliff above 100%"])
def test_a_value_validation_refuses_is_refused_naming_it(
        problem: fo.FundingProblem, scenario: fo.Scenario, words: str) -> None:
    outcome = SweepEngine(problem, whole_pounds=False).solve(scenario)
    assert (outcome.method, outcome.status) == (Method.NOT_SOLVED, fo.ScenarioStatus.INVALID)
    assert words in outcome.message


def test_with_cells_refuses_what_validation_refuses(problem: fo.FundingProblem) -> None:
    shares = problem.share_targets["min_share"].tolist()
    assert problem.with_cells("share_targets", "min_share", [0.2, *shares[1:]]) is not None
    for bad in (1.01, -0.1, float("nan")):
        assert problem.with_cells("share_targets", "min_share", [bad, *shares[1:]]) is None
    capped = problem.replace(share_targets=problem.share_targets.assign(max_share=0.3))
    assert capped.with_cells("share_targets", "min_share", [0.3, *shares[1:]]) is not None
    rates = problem.cliff_edges["max_fall_rate"].tolist()
    assert problem.with_cells("cliff_edges", "max_fall_rate", [0.2, *rates[1:]]) is not None
    for bad in (None, 1.5):  # a rate is required
        assert problem.with_cells("cliff_edges", "max_fall_rate", [bad, *rates[1:]]) is None
    assert capped.with_cells("share_targets", "min_share", [0.31, *shares[1:]]) is None
    with pytest.raises(fo.InputError, match="max_share is below min_share"):
        capped.replace(share_targets=capped.share_targets.assign(min_share=0.31))
    amounts = problem.other_income["amount"].tolist()
    for bad in (-1.0, float("inf"), 2e13):
        assert problem.with_cells("other_income", "amount", [bad, *amounts[1:]]) is None
    assert problem.with_cells("other_income", "amount", amounts[1:]) is None  # one per row
    assert problem.with_cells("baselines", "amount", problem.baselines["amount"]) is None
