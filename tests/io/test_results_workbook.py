"""The results workbook as declared sheets: a table the Plan gains gets its sheet; names
beside ids; one money format; a Summary that says what matters (banners, winners and
losers only when material), on hand-built plans."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from plans import banners, hand_plan, sheet_rows, summary_facts, summary_table

from fundopt.io import write_workbook
from fundopt.io.render import Context, write_sheet
from fundopt.io.sheet_spec import Col, Format, SheetSpec, attribute
from fundopt.plan import Plan, PlanStatus
from fundopt.problem.schema import MoneyUnit
from fundopt.reports.summary import Materiality, Names, winners_and_losers


def _with(plan: Plan, **tables: pd.DataFrame) -> Plan:
    """``plan`` carrying tables (as other work adds them to the Plan): a subclass whose
    properties return them, whether the Plan has no such name yet or a property of it."""
    carrying = type("PlanWith", (type(plan),), {
        name: property(lambda _self, table=table: table) for name, table in tables.items()})
    plan = dataclasses.replace(plan)
    object.__setattr__(plan, "__class__", carrying)
    return plan


def _bands() -> pd.DataFrame:
    return pd.DataFrame({"recipient": ["cumbria"], "year": ["2026-27"],
                         "least": [9_000_000.0], "most": [10_500_000.0]})


def test_a_table_the_plan_gains_gets_its_sheet_and_an_empty_one_none(tmp_path: Path) -> None:
    out = write_workbook(_with(hand_plan(), bands=_bands(), tiers=pd.DataFrame()),
                         tmp_path / "plan.xlsx")
    wb = openpyxl.load_workbook(out)
    assert "Bands" in wb.sheetnames and "Tiers" not in wb.sheetnames
    assert sheet_rows(out, "Bands") == [{
        "Recipient": "cumbria", "Recipient name": "Cumbria Constabulary", "Year": "2026-27",
        "Least (£m)": 9.0, "Most (£m)": 10.5}]
    ws = wb["Bands"]
    assert ws.freeze_panes == "C4" and ws.auto_filter.ref == "A3:E4"
    assert (ws.print_title_rows or "").replace("$", "") == "3:3"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    # listed, with what it holds, in the Summary's contents
    contents = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value
                for ws in [wb["Summary"]] for r in range(1, ws.max_row + 1)}
    assert contents["Bands"].startswith("The least and the most each recipient could get")


def test_a_new_sheet_is_a_declaration(tmp_path: Path) -> None:
    spec = SheetSpec("Reasons", attribute("reasons"), "The rule that set each number.",
                     (Col("recipient", "Recipient"), Col("reason", "Reason", wrap=True,
                                                         in_words=True),
                      Col("amount", "Amount", Format.MONEY)))
    plan = _with(hand_plan(), reasons=pd.DataFrame({
        "recipient": ["cumbria"], "reason": ["cap_ratio[cumbria,2026-27] binds"],
        "amount": [1_250_000.0]}))
    wb = openpyxl.Workbook()
    ctx = Context(MoneyUnit.THOUSANDS, Names(plan.problem))
    ws = write_sheet(wb, spec, plan, ctx)
    assert ws is not None and ws.title == "Reasons"
    assert [c.value for c in ws[3]] == ["Recipient", "Recipient name", "Reason", "Amount (£k)"]
    assert [c.value for c in ws[4]] == ["cumbria", "Cumbria Constabulary",
                                        "cap_ratio[Cumbria Constabulary,2026-27] binds", 1250.0]
    assert ws["D4"].number_format == "#,##0" and ws["C4"].alignment.wrap_text
    assert write_sheet(wb, spec, hand_plan(), ctx) is None  # no such table: no sheet


def test_every_id_stands_beside_its_name(tmp_path: Path) -> None:
    out = write_workbook(hand_plan(), tmp_path / "plan.xlsx")
    wb = openpyxl.load_workbook(out)
    checked = 0
    for ws in wb.worksheets[1:]:
        header = [c.value for c in ws[3]]
        for i, title in enumerate(header):
            if title in ("Recipient", "Stream", "Activity"):
                assert header[i + 1] in (f"{title} name", "Name"), (ws.title, header)
                checked += 1
    assert checked >= 6


def test_money_is_in_one_unit_and_format_across_sheets(tmp_path: Path) -> None:
    out = write_workbook(hand_plan(), tmp_path / "plan.xlsx")
    wb = openpyxl.load_workbook(out)
    money = set()
    for ws in wb.worksheets[1:]:
        for j, title in enumerate(c.value for c in ws[3]):
            if isinstance(title, str) and title.endswith("(£m)") and ws.max_row >= 4:
                cell = ws.cell(row=4, column=j + 1)
                if isinstance(cell.value, float):
                    money.add(cell.number_format)
    assert money == {"#,##0.0"}
    checks = sheet_rows(out, "Checks")
    assert {r["Rule id"]: r["Right side (£m)"] for r in checks}["cap_ratio[cumbria,2026-27]"] \
        == 11.4  # pounds on the plan, £m on the sheet, like every other sheet
    prices = openpyxl.load_workbook(out)["Shadow prices"]
    header = [c.value for c in prices[3]]
    assert prices.cell(row=4, column=header.index("Shadow price") + 1).number_format == "0.000"
    change = wb["Recipients by year"]
    header = [c.value for c in change[3]]
    assert change.cell(row=4, column=header.index("Change 2026-27 (%)") + 1).number_format \
        == "+0.0%;-0.0%;0.0%"


def test_a_relaxed_plan_says_so_first(tmp_path: Path) -> None:
    plan = dataclasses.replace(hand_plan(), status=PlanStatus.RELAXED, breaches=pd.DataFrame(
        {"rule": ["cliff_edge[cumbria,2026-27]"], "amount": [250_000.0], "penalty": [5.0]}))
    out = write_workbook(plan, tmp_path / "plan.xlsx")
    assert banners(out) == ["RELAXED PLAN: the rules could not all hold. 1 promise was broken "
                            "at least cost (see the Breaches sheet)."]
    facts = summary_facts(out)
    assert str(facts["Status"]).startswith("RELAXED")
    ws = openpyxl.load_workbook(out)["Summary"]
    status = next(c for c in ws["B"] if c.value == facts["Status"])
    assert status.fill.fgColor.rgb.endswith("F4B6B6")  # red, not the green of a clean plan
    assert sheet_rows(out, "Breaches")[0]["Broken by (£m)"] == 0.25


def test_indicative_years_are_flagged(tmp_path: Path) -> None:
    plan = hand_plan()
    years = plan.problem.years.copy()
    years.loc[years["year"] == "2026-27", "status"] = "indicative"
    plan = dataclasses.replace(plan, problem=plan.problem.replace(years=years))
    out = write_workbook(plan, tmp_path / "plan.xlsx")
    assert banners(out) == ["INDICATIVE: 1 year (2026-27) is planned on indicative money, "
                            "not yet confirmed."]
    per_year = summary_table(out, "Funding per year (£m): allocation by kind of recipient")
    assert [row[:2] for row in per_year] == [("2025-26", "baseline"), ("2026-27", "indicative")]
    assert per_year[1][-2:] == (pytest.approx(0.5), pytest.approx(0.5 / 9.5))  # +£0.5m


def _against(optimised: list[float], todays: list[float]) -> pd.DataFrame:
    n = len(optimised)
    return pd.DataFrame({"recipient": ["cumbria"] * n, "year": ["2026-27"] * n,
                         "optimised": optimised, "todays_method": todays})


def test_winners_are_named_only_for_a_material_change(tmp_path: Path) -> None:
    small = write_workbook(_with(hand_plan(), against_todays_method=_against(
        [10_000_004.0], [10_000_000.0])), tmp_path / "small.xlsx")
    text = [c.value for c in openpyxl.load_workbook(small)["Summary"]["A"]]
    assert "No material change: no recipient moves by at least £100k and 0.1% of the " \
           "recipient's funding." in text
    assert "Largest gains" not in text
    big = write_workbook(_with(hand_plan(), against_todays_method=_against(
        [10_000_000.0], [9_500_000.0])), tmp_path / "big.xlsx")
    gains = summary_table(big, "Against today's method (the needs formula damped by a floor)")
    assert gains[0][:2] == ("Cumbria Constabulary", "force")  # a name, not an id
    assert gains[0][2:] == pytest.approx((10.0, 9.5, 0.5, 0.5 / 9.5))
    assert "Largest losses: none." in [c.value for c in openpyxl.load_workbook(big)[
        "Summary"]["A"]]


def test_materiality_is_both_an_amount_and_a_share() -> None:
    m = Materiality()
    frame = pd.DataFrame({"recipient": ["big", "big", "small", "tiny"],
                          "optimised": [500e6, 500.2e6, 20.15e6, 1e6 + 4],
                          "todays_method": [500e6, 500e6, 20e6, 1e6]})
    winners, losers = winners_and_losers(frame, {"small": "Small unit"}, m)
    # big moved £0.2m of £1,000m (0.02%): not material; small £0.15m of £20m (0.75%): it is
    assert list(winners["name"]) == ["Small unit"] and losers.empty
    assert winners["difference"].iloc[0] == pytest.approx(150_000)
    assert math.isclose(m.threshold(1_000e6), 1e6) and m.threshold(1e6) == 100_000


def test_what_bound_is_in_words(tmp_path: Path) -> None:
    out = write_workbook(hand_plan(), tmp_path / "plan.xlsx")
    rows = summary_table(out, "What bound")
    # names, not ids, in the rule; its years; its shadow price
    assert rows[0] == ("stream 'Serious and organised crime grant' envelope", "2026-27",
                       pytest.approx(0.995))


def test_docs_describe_every_sheet() -> None:
    from fundopt.io.plan_sheets import AUDIT
    from fundopt.io.result_sheets import SHEETS

    text = (Path(__file__).resolve().parents[2] / "docs" / "results.md").read_text()
    for spec in (*SHEETS, AUDIT):
        assert f"| {spec.title} |" in text, spec.title
    for title in ("Summary", "Totals", "Changes", "Why infeasible", "Scenarios"):
        assert f"| {title} |" in text, title


def test_a_comparison_takes_extra_sheets_before_its_scenarios(tmp_path: Path) -> None:
    import fundopt as fo
    from fundopt.io.compare import write_compare
    from fundopt.io.examples import EXAMPLE_SCENARIOS, example_problem

    problem = example_problem()
    result = fo.compare(problem, EXAMPLE_SCENARIOS)
    extra = pd.DataFrame({"scenario": ["envelope +10%"], "difference": [1_000_000.0]})
    out = write_compare(result, tmp_path / "c.xlsx", MoneyUnit.MILLIONS,
                        scenarios=EXAMPLE_SCENARIOS, problem=problem,
                        extra_sheets={"Winners and losers": extra})
    names = openpyxl.load_workbook(out).sheetnames
    assert names[-2:] == ["Winners and losers", "Scenarios"]
