"""Winners and losers against today's method, everywhere a user looks: the Plan, the
results workbook's Summary and sheet, and ``fundopt compare``. Worked by hand."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from builders import M, frame, tiny

import fundopt as fo
from fundopt.io.winners import summary_table


def _problem() -> fo.FundingProblem:
    """Forces a and b, £100m each of core grant in 2025-26 (Baselines say the stream);
    £220m in 2026-27. Needs target 3 : 1, pulled at 0.1 a pound; b has a flat-cash floor.

    Today's method: the uniform change, +10% each: a £110m, b £110m. The plan: a's target
    is £165m, b's £55m, but b may not fall below £100m, so a £120m, b £100m."""
    return tiny(
        recipients=frame(recipient=["a", "b"], name=["Force A", "Force B"],
                         kind=["force", "force"], region=["north", "south"],
                         need_weight=[3.0, 1.0]),
        envelopes=[220 * M],
        baselines=frame(recipient=["a", "b"], stream=["core", "core"],
                        amount=[100 * M, 100 * M]),
        limits=frame(recipient=["b"], floor_ratio=[1.0]),
        settings=fo.Settings(need_penalty=0.1, volatility_penalty=0.0),
    )


def test_the_plan_carries_its_winners_and_losers() -> None:
    plan = fo.solve(_problem())
    t = plan.against_todays_method.set_index("recipient")
    assert list(t["todays_method"]) == [110 * M, 110 * M]
    assert list(t["optimised"]) == [120 * M, 100 * M]
    assert list(t["difference"]) == [10 * M, -10 * M]
    assert t.loc["a", "difference_rate"] == pytest.approx(10 / 110)
    assert list(t["year_status"]) == ["confirmed", "confirmed"]


def test_without_streams_on_the_baselines_there_is_no_comparison() -> None:
    p = _problem()
    p = p.replace(baselines=p.baselines.assign(stream=None))
    assert fo.solve(p).against_todays_method.empty


def test_the_summary_says_who_wins_and_loses_and_why() -> None:
    plan = fo.solve(_problem())
    s = summary_table(plan, plan.against_todays_method).set_index("recipient")
    # today's method gives a 110 against a target of 165: 50% below it
    assert s.loc["Force A", "why"] == ("+£10.0m over 2026-27: today's method leaves it 50.0% "
                                       "below its needs target; it moves towards it")
    assert s.loc["Force B", "why"].endswith(
        "above its needs target; it gives up some growth to those below theirs (binding on "
        "it: its floor binds in 2026-27)")


def test_the_results_workbook_has_the_sheet_and_the_summary_lines(tmp_path: Path) -> None:
    plan = fo.solve(_problem())
    out = fo.write_workbook(plan, tmp_path / "plan.xlsx")
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames[:2] == ["Summary", "Winners and losers"]
    summary = [[c for c in row if c is not None]
               for row in wb["Summary"].iter_rows(values_only=True)]
    # the largest gain and loss, by name, in £m, each with why it moves
    gains = summary.index(["Largest gains", "Kind", "This plan (£m)", "Today's method (£m)",
                           "Difference (£m)", "Difference (%)"])
    assert summary[gains + 1][:5] == ["Force A", "force", 120, 110, 10]
    losses = summary.index(["Largest losses", "Kind", "This plan (£m)", "Today's method (£m)",
                            "Difference (£m)", "Difference (%)"])
    assert summary[losses + 1][:5] == ["Force B", "force", 100, 110, -10]
    why = {row[0]: row[1] for row in summary[summary.index(["Why each moves:"]) + 1:][:2]}
    assert why == {"Force A": "Today's method leaves it 50.0% below its needs target; it "
                              "moves towards it.",
                   "Force B": "Today's method leaves it 50.0% above its needs target; it "
                              "gives up some growth to those below theirs (binding on it: its "
                              "floor binds in 2026-27)."}
    rows = list(wb["Winners and losers"].iter_rows(min_row=3, values_only=True))
    assert rows[0] == ("Recipient", "Name", "Kind", "Year", "Year status", "This plan (£m)",
                       "Today's method (£m)", "Difference (£m)", "Difference (%)")
    assert rows[1][0] == "a" and rows[1][7] == pytest.approx(10.0)  # £m, largest gain first
    assert rows[2][0] == "b" and rows[2][8] == pytest.approx(-10 / 110)
    wb.close()


def test_compare_shows_each_scenario_against_todays_method(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fundopt.cli import main
    from fundopt.io import write_problem
    from fundopt.io.scenarios import SHEET, scenarios_sheet

    p = _problem()
    # £40m more: today's method +30% each (130, 130); the plan 160, 100
    more = fo.Scenario("more money", (fo.ScaleEnvelope("core", None, 260 / 220),))
    source = write_problem(p, tmp_path / "in.xlsx", extra_sheets={
        SHEET: scenarios_sheet((more,), p.settings.money_unit)})
    out = tmp_path / "out.xlsx"
    assert main(["compare", str(source), "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert ("more money: against today's method, largest winner Force A +£30.0m, largest "
            "loser Force B -£30.0m") in said
    wb = openpyxl.load_workbook(out, read_only=True)
    assert "Winners and losers" in wb.sheetnames
    header, *rows = wb["Winners and losers"].iter_rows(min_row=3, values_only=True)
    difference = header.index("Difference (£m)")
    by = {(r[0], r[1]): r for r in rows}
    assert by[("more money", "a")][difference] == pytest.approx(30.0)
    assert by[("base", "b")][difference] == pytest.approx(-10.0)
    wb.close()
