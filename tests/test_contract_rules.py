"""Where code and contract once disagreed (issue 14), each rule on a small problem whose
optimum is worked out by hand here, and checked against docs/formulation.md's words."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import M, frame, tiny, values
from test_formulation_contract import rebuild_objective

import fundopt as fo

ROOT = Path(__file__).resolve().parent.parent
TWO_YEARS = ("2025-26", "2026-27", "2027-28")


def closing_a(**tables: object) -> fo.FundingProblem:
    """Two years of £100m; force a (each pound worth 2) closes after 2026-27, b is worth 1;
    every total may fall at most 5% a year."""
    recipients = frame(recipient=["a", "b"], name=["A", "B"], kind=["force", "force"],
                       region=["north", "south"], last_year=["2026-27", None])
    cliff = tables.pop("cliff_edges", frame(recipient=[None], max_fall_rate=[0.05]))
    return tiny(years=TWO_YEARS, recipients=recipients, value_tranches=values(a=2.0, b=1.0),
                cliff_edges=cliff, **tables)


@pytest.mark.parametrize("baselines", [
    None,  # no Baselines row: "0 if none"
    frame(recipient=["a"], amount=[0.0]),  # a row of £0: the same
])
def test_a_closing_recipient_with_no_baseline_or_zero_is_funded_normally(baselines: object
                                                                         ) -> None:
    # by hand: no glide path (nothing to glide from); a's falls run from £0, so a takes all
    # £100m of 2026-27 (worth 2) and b all of 2027-28: 200m + 100m
    p = closing_a() if baselines is None else closing_a(baselines=baselines)
    plan = fo.solve(p)
    assert plan.objective == pytest.approx(300 * M)
    assert not plan.checks["family"].eq("glide_path").any()
    assert plan.objective == pytest.approx(rebuild_objective(p), rel=1e-9)


def test_a_closing_recipient_with_a_baseline_glides_hard_whatever_the_cliff_penalty() -> None:
    # by hand: B_a = £90m over m = 1 funded year: g = ceil(90m / 2) = £45m, so a's 2026-27
    # allocation is at least 90m - 45m and at most 45m: exactly £45m (worth 90m); b takes
    # the other £55m and all of 2027-28: 90m + 55m + 100m. A penalty of 0.01 on the cliff
    # edge would let a take more (each pound is worth 2 to it) were the glide path soft.
    p = closing_a(baselines=frame(recipient=["a"], amount=[90 * M]),
                  cliff_edges=frame(recipient=[None], max_fall_rate=[0.05], penalty=[0.01]))
    plan = fo.solve(p)
    assert plan.objective == pytest.approx(245 * M)
    a = plan.allocations.query("recipient == 'a'")["amount"].sum()
    assert a == 45_000_000
    assert plan.objective == pytest.approx(rebuild_objective(p), rel=1e-9)
    text = (ROOT / "docs" / "formulation.md").read_text(encoding="utf-8")
    assert "baseline above zero" in text and "always a hard rule" in text


def test_a_closing_recipient_with_a_floor_and_no_baseline_keeps_its_fall_limits() -> None:
    """The verify bug: a floor made the check think a had a baseline of £0, so it checked a
    glide path with a £0 step, and solve failed with a misleading rounding error."""
    p = closing_a(limits=frame(recipient=["a"], floor_amount=[10 * M]))
    plan = fo.solve(p)
    assert plan.objective == pytest.approx(300 * M) and fo.verify(p, plan).empty


def test_first_year_equal_to_the_first_horizon_year_is_not_blank() -> None:
    # by hand: a had £100m of income in 2025-26 and none after; cliff edge 5%. With a blank
    # first_year a existed then, so its 2026-27 total is at least £95m: a gets 95m (worth
    # 1), b 5m (worth 2): 105m. First funded in 2026-27, a is new: b gets all: 200m.
    income = frame(recipient=["a"], year=["2025-26"], source=["precept"], amount=[100 * M])
    cliff = frame(recipient=[None], max_fall_rate=[0.05])
    objectives = []
    for first in (None, "2026-27"):
        recipients = frame(recipient=["a", "b"], name=["A", "B"], kind=["force", "force"],
                           region=["north", "south"], first_year=[first, None])
        p = tiny(recipients=recipients, other_income=income, cliff_edges=cliff,
                 value_tranches=values(a=1.0, b=2.0))
        objectives.append(fo.solve(p).objective)
        assert objectives[-1] == pytest.approx(rebuild_objective(p), rel=1e-9)
    assert objectives == [pytest.approx(105 * M), pytest.approx(200 * M)]


def test_a_baseline_for_a_recipient_first_funded_in_the_horizon_is_refused() -> None:
    recipients = frame(recipient=["a", "b"], name=["A", "B"], kind=["force", "force"],
                       region=["north", "south"], first_year=["2026-27", None])
    with pytest.raises(fo.InputError) as caught:
        tiny(recipients=recipients, baselines=frame(recipient=["a"], amount=[5 * M]))
    (issue,) = [i for i in caught.value.issues if i.code == "FO-V32"]
    assert (issue.table, issue.row, issue.column) == ("baselines", 0, "recipient")
    assert "first funded year is 2026-27" in issue.message


@pytest.mark.parametrize("rate", [1.0, 1.02, 1.10, 2.5])
def test_a_rise_rate_that_looks_like_a_multiplier_is_refused(rate: float) -> None:
    with pytest.raises(fo.InputError) as caught:
        tiny(cliff_edges=frame(recipient=[None], max_fall_rate=[0.05], max_rise_rate=[rate]))
    (issue,) = caught.value.issues
    assert (issue.code, issue.column) == ("FO-V08", "max_rise_rate")
    assert "looks like a multiplier" in issue.message
    if rate == 1.10:
        assert "type 0.1 (or 10%)" in issue.hint


def test_a_rise_rate_is_a_rate() -> None:
    # by hand: b had £50m (baseline), may rise at most 10% (0.10, not 1.10): £55m; the rest
    # (45m) to a, which has no rise limit. Values a=1, b=2: 45m + 110m = 155m
    p = tiny(baselines=frame(recipient=["b"], amount=[50 * M]),
             cliff_edges=frame(recipient=[None, "b"], max_fall_rate=[0.05, 0.05],
                               max_rise_rate=[None, 0.10]),
             value_tranches=values(a=1.0, b=2.0))
    plan = fo.solve(p)
    assert plan.objective == pytest.approx(155 * M)
    assert plan.allocations.query("recipient == 'b'")["amount"].sum() == 55_000_000


def test_need_weights_that_sum_to_zero_switch_the_need_rows_off() -> None:
    # by hand: with no need rows a (worth 2) takes all £100m: 200m, no need penalty
    recipients = frame(recipient=["a", "b"], name=["A", "B"], kind=["force", "force"],
                       region=["north", "south"], need_weight=[0.0, 0.0])
    p = tiny(recipients=recipients, value_tranches=values(a=2.0, b=1.0),
             settings=fo.Settings(need_penalty=0.5, volatility_penalty=0.0))
    plan = fo.solve(p)
    assert plan.objective == pytest.approx(200 * M)
    assert plan.objective_terms.get("need_penalty", 0.0) == 0
    assert plan.objective == pytest.approx(rebuild_objective(p), rel=1e-9)


def test_a_negative_need_weight_is_refused() -> None:
    recipients = frame(recipient=["a", "b"], name=["A", "B"], kind=["force", "force"],
                       region=["north", "south"], need_weight=[1.0, -1.0])
    with pytest.raises(fo.InputError) as caught:
        tiny(recipients=recipients)
    (issue,) = caught.value.issues
    assert (issue.code, issue.table, issue.row, issue.column) == (
        "FO-V16", "recipients", 1, "need_weight")


def test_a_single_tranche_with_a_width_is_followed_by_one_worth_nothing() -> None:
    # by hand: a's first £30m is worth 2, the rest 0; b's pounds are worth 1: a 30m (60m)
    # and b 70m (70m): 130m
    tranches = frame(recipient=["a", "b"], tranche=[1, 1], width=[30 * M, None],
                     value=[2.0, 1.0])
    p = tiny(value_tranches=tranches)
    plan = fo.solve(p)
    assert plan.objective == pytest.approx(130 * M)
    assert plan.objective == pytest.approx(rebuild_objective(p), rel=1e-9)


def test_a_local_share_row_for_a_year_replaces_the_blank_year_row() -> None:
    # by hand: only force a, £100m a year, drugs worth 2, local policing 1. Local share at
    # least 90% (blank year) but 50% in 2026-27: 50m + 2 x 50m = 150m, then
    # 90m + 2 x 10m = 110m: 260m
    acts = frame(activity=["lp", "dr"], name=["Local", "Drugs"],
                 threat=["local_policing", "illegal_drugs"], strand=[None, "pursue"])
    recipients = frame(recipient=["a"], name=["A"], kind=["force"], region=["north"])
    p = tiny(years=TWO_YEARS, recipients=recipients, activities=acts,
             value_tranches=frame(activity=["lp", "dr"], tranche=[1, 1], value=[1.0, 2.0]),
             local_priorities=frame(recipient=["a"], activity=["lp"]),
             local_shares=frame(recipient=["a", "a"], year=[None, "2026-27"],
                                min_local_share=[0.9, 0.5]))
    plan = fo.solve(p)
    assert plan.objective == pytest.approx(260 * M)
    assert plan.objective == pytest.approx(rebuild_objective(p), rel=1e-9)


def test_a_need_weight_too_small_beside_its_kind_is_refused_by_its_cell() -> None:
    """Need weights are relative: a share below 1e-7 of the kind's total is under the
    solver's precision (HiGHS would drop the coefficient), so it is refused by name, while
    large weights in pounds are fine (the reference model states them in pounds)."""
    ok = tiny(recipients=frame(recipient=["a", "b"], name=["A", "B"], kind=["force", "force"],
                               region=["n", "s"], need_weight=[2e12, 1e12]))
    assert list(ok.recipients["need_weight"]) == [2e12, 1e12]
    with pytest.raises(fo.InputError) as err:
        tiny(recipients=frame(recipient=["a", "b"], name=["A", "B"], kind=["force", "force"],
                              region=["n", "s"], need_weight=[1e9, 1e-6]))
    (issue,) = err.value.issues
    assert (issue.code, issue.table, issue.row, issue.column) == (
        "FO-V17", "recipients", 1, "need_weight")
    assert "too small beside the other force weights" in issue.message
