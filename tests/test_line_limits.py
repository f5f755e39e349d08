"""Hard line and stream limits are rules: hand-worked optima, shadow prices, reasons, a
verify that catches a plan breaking one, and a diagnosis naming the limit's cell."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from builders import M, frame, tiny

import fundopt as fo

YEARS = ("2025-26", "2026-27", "2027-28")
XY = frame(activity=["x", "y"], name=["X", "Y"], threat=["local_policing"] * 2)


def limit(level: str, recipient: str | None, item: str | None, *, rise: float | None = None,
          fall: float | None = None, hard: bool = True) -> pd.DataFrame:
    return frame(level=[level], recipient=[recipient],
                 activity=[item if level == "line" else None],
                 stream=[item if level == "stream" else None],
                 max_fall_rate=[fall], max_rise_rate=[rise], hard=[hard])


def line_rise(hard: bool = True) -> fo.FundingProblem:
    """a's line 'x' is worth 2 a pound, everything else 1; x may rise 10% a year from its
    £40m baseline: x gets £44m, then £48.4m, and the rest of the £100m goes elsewhere."""
    return tiny(years=YEARS, activities=XY,
                baselines=frame(recipient=["a", "a", "b"], activity=["x", "y", None],
                                amount=[40 * M, 10 * M, 50 * M]),
                value_tranches=frame(recipient=["a", None], activity=["x", None], tranche=[1, 1],
                                     width=[None, None], value=[2.0, 1.0]),
                line_limits=limit("line", "a", "x", rise=0.1, hard=hard))


def line_fall() -> fo.FundingProblem:
    """a's 'x' is worth least (0.5 a pound), its 'y' most (3); x's hard limit leaves the fall
    blank, so it is a's own cliff-edge fall rate (10%): x falls £20m -> £18m -> £16.2m."""
    return tiny(years=YEARS, activities=XY,
                baselines=frame(recipient=["a", "a", "b"], activity=["x", "y", None],
                                amount=[20 * M, 20 * M, 60 * M]),
                value_tranches=frame(recipient=["a", "a", "b"], activity=["x", "y", None],
                                     tranche=[1, 1, 1], width=[None] * 3, value=[0.5, 3.0, 1.0]),
                cliff_edges=frame(recipient=["a", None], max_fall_rate=[0.1, 1.0]),
                line_limits=limit("line", "a", "x"))


def amount(plan: fo.Plan, **where: str) -> int:
    a = plan.allocations
    mask = pd.Series(True, index=a.index)
    for k, v in where.items():
        mask &= a[k] == v
    return int(a.loc[mask, "amount"].sum())


def moved(plan: fo.Plan, year: str, src: dict[str, str], dst: dict[str, str],
          pounds: int = 1_000) -> fo.Plan:
    """The plan with ``pounds`` moved in ``year`` from one allocation to another."""
    a = plan.allocations.copy()
    for where, sign in ((src, -1), (dst, 1)):
        mask = a["year"] == year
        for k, v in where.items():
            mask &= a[k] == v
        assert mask.sum() == 1
        a.loc[mask, "amount"] += sign * pounds
    return dataclasses.replace(plan, allocations=a)


def test_a_hard_line_limit_holds_the_line_to_its_rise():
    p = line_rise()
    plan = fo.solve(p)
    assert amount(plan, recipient="a", activity="x", year="2026-27") == 44_000_000
    assert amount(plan, recipient="a", activity="x", year="2027-28") == 48_400_000
    assert amount(plan, year="2026-27") == amount(plan, year="2027-28") == 100_000_000
    # a pound more of rise in 2026-27 is worth 2 - 1 that year and 1.1 x (2 - 1) the next
    price = plan.binding.set_index("rule")["shadow_price"]
    assert price["line_rise[a,x,2026-27]"] == pytest.approx(2.1, abs=1e-6)
    assert price["line_rise[a,x,2027-28]"] == pytest.approx(1.0, abs=1e-6)
    assert set(plan.binding.loc[plan.binding["rule"].str.startswith("line_"), "family"]) == \
        {"line_limit"}
    assert fo.verify(p, plan).empty
    checks = plan.checks[plan.checks["family"] == "line_limit"]
    assert sorted(checks["rule"]) == ["line_fall[a,x,2026-27]", "line_fall[a,x,2027-28]",
                                      "line_rise[a,x,2026-27]", "line_rise[a,x,2027-28]"]


def test_a_soft_line_limit_gives_way_to_value_and_is_not_a_rule():
    plan = fo.solve(line_rise(hard=False))
    assert amount(plan, recipient="a", activity="x", year="2026-27") == 100_000_000
    assert not (plan.checks["family"] == "line_limit").any()
    assert not plan.binding["family"].isin(["line_limit", "stream_limit"]).any()


def test_verify_catches_a_line_risen_beyond_its_hard_limit():
    p = line_rise()
    plan = fo.solve(p)
    bad = fo.verify(p, moved(plan, "2026-27", {"recipient": "b"},
                             {"recipient": "a", "activity": "x"}))
    assert bad["rule"].tolist() == ["line_rise[a,x,2026-27]"]
    assert bad["detail"].iloc[0].endswith("breached by £1,000")


def test_a_blank_fall_rate_is_the_recipients_cliff_edge_rate():
    p = line_fall()
    plan = fo.solve(p)
    assert amount(plan, recipient="a", activity="x", year="2026-27") == 18_000_000
    assert amount(plan, recipient="a", activity="x", year="2027-28") == 16_200_000
    assert fo.verify(p, plan).empty
    bad = fo.verify(p, moved(plan, "2026-27", {"recipient": "a", "activity": "x"},
                             {"recipient": "a", "activity": "y"}))
    assert bad["rule"].tolist() == ["line_fall[a,x,2026-27]"]


def test_a_hard_stream_limit_sets_the_recipients_number_and_says_so():
    p = tiny(years=YEARS, baselines=frame(recipient=["a", "b"], stream=["core", "core"],
                                          amount=[40 * M, 60 * M]),
             value_tranches=frame(recipient=["a", "b"], activity=[None, None], tranche=[1, 1],
                                  width=[None, None], value=[2.0, 1.0]),
             line_limits=limit("stream", "a", "core", rise=0.1))
    plan = fo.solve(p, bands=True)
    assert amount(plan, recipient="a", year="2026-27") == 44_000_000
    assert amount(plan, recipient="a", year="2027-28") == 48_400_000
    assert fo.verify(p, plan).empty
    reasons = plan.reasons.set_index(["recipient", "year"])
    first = reasons.loc[("a", "2026-27")]
    assert first["reason"] == fo.ReasonCode.STREAM_LIMIT
    assert first["rule"] == "stream_rise[a,core,2026-27]"
    assert "stream 'core' may rise at most 10" in first["words"]


def test_a_hard_limit_that_cannot_hold_is_diagnosed_with_its_cell(tmp_path, capsys):
    # a's fund money may fall at most 10% (to £18m), but the fund has only £10m next year
    base = tiny(years=YEARS[:2])
    tables = base.tables() | dict(
        streams=frame(stream=["core", "fund"], name=["Core", "Fund"]),
        envelopes=frame(stream=["core", "fund"], year=["2026-27"] * 2, amount=[100 * M, 10 * M]),
        eligibility=frame(stream=["core", "fund"], recipient=[None, "a"]),
        baselines=frame(recipient=["a", "a", "b"], stream=["core", "fund", "core"],
                        amount=[30 * M, 20 * M, 50 * M]),
        line_limits=limit("stream", "a", "fund", fall=0.1))
    p = fo.FundingProblem(**tables, settings=base.settings)
    with pytest.raises(fo.InfeasibleError) as caught:
        fo.solve(p)
    table = caught.value.diagnosis.to_frame()
    way = table[table["source"] == "relaxation"]
    assert way["rule"].tolist() == ["stream_fall[a,fund,2026-27]"]
    assert way["shortfall_pounds"].tolist() == pytest.approx([8_000_000], abs=1.0)
    assert way["where"].tolist() == ["table 'line_limits' row 0, column 'max_fall_rate'"]
    assert way["suggestion"].tolist() == [
        "let a's stream 'fund' fall £8.0m further in 2026-27 than its hard stream limit allows"]
    # from a workbook, the command line names the sheet and the cell
    from fundopt.cli import main
    from fundopt.io import write_problem

    source = write_problem(p, tmp_path / "limits.xlsx")
    assert main(["solve", str(source), "-o", str(tmp_path / "plan.xlsx")]) == \
        fo.ExitCode.INFEASIBLE
    err = capsys.readouterr().err
    assert "'Line and stream limits'!E2" in err, err
