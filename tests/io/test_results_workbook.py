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
    """A band as ``plan.bands`` holds it (the columns of explain's BAND_COLUMNS)."""
    return pd.DataFrame({"recipient": ["cumbria"], "name": ["Cumbria Constabulary"],
                         "activity": [""], "stream": [""], "year": ["2026-27"],
                         "allocated": [10_000_000], "least": [9_000_000.0],
                         "most": [10_500_000.0], "width": [1_500_000.0],
                         "set_by_rules": [False]})


def test_a_table_the_plan_gains_gets_its_sheet_and_an_empty_one_none(tmp_path: Path) -> None:
    out = write_workbook(_with(hand_plan(), bands=_bands(), tiers=pd.DataFrame()),
                         tmp_path / "plan.xlsx")
    wb = openpyxl.load_workbook(out)
    assert "Bands" in wb.sheetnames and "Tiers" not in wb.sheetnames
    # explain's display names, money in £m; the blank activity and stream left out
    assert sheet_rows(out, "Bands") == [{
        "Recipient": "cumbria", "Name": "Cumbria Constabulary", "Year": "2026-27",
        "Allocated (£m)": 10.0, "Least (£m)": 9.0, "Most (£m)": 10.5, "Width (£m)": 1.5,
        "Set by the rules": False}]
    ws = wb["Bands"]
    assert ws.freeze_panes == "C4" and ws.auto_filter.ref == "A3:H4"
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
    """A comparison as ``plan.against_todays_method`` holds it."""
    n = len(optimised)
    frame = pd.DataFrame({"recipient": ["cumbria"] * n, "name": ["Cumbria Constabulary"] * n,
                          "kind": ["force"] * n, "year": ["2026-27"] * n,
                          "year_status": ["confirmed"] * n, "optimised": optimised,
                          "todays_method": todays})
    frame["difference"] = frame["optimised"] - frame["todays_method"]
    frame["difference_rate"] = frame["difference"] / frame["todays_method"]
    return frame


def test_winners_are_named_only_for_a_material_change(tmp_path: Path) -> None:
    small = write_workbook(_with(hand_plan(), against_todays_method=_against(
        [10_000_004.0], [10_000_000.0])), tmp_path / "small.xlsx")
    text = [c.value for c in openpyxl.load_workbook(small)["Summary"]["A"]]
    assert "No material change: no recipient moves by at least £100k and 0.1% of the " \
           "recipient's funding." in text
    assert "Largest gains" not in text
    big = write_workbook(_with(hand_plan(), against_todays_method=_against(
        [10_000_000.0], [9_500_000.0])), tmp_path / "big.xlsx")
    gains = summary_table(big, "Against today's method")
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


def _what_bound(tmp_path: Path, years: list[tuple[str, int, float]]
                ) -> list[tuple[object, ...]]:
    """The Summary's What bound rows of a plan whose one binding rule is soc_grant's
    envelope in each of ``years`` (year, its limit in £m, its shadow price)."""
    binding = pd.DataFrame(
        [("envelope", f"envelope[soc_grant,{y}]", f"stream 'soc_grant' spends at most £{m}m in {y}",
          y, None, "soc_grant", price) for y, m, price in years],
        columns=["family", "rule", "description", "year", "recipient", "stream",
                 "shadow_price"])
    plan = dataclasses.replace(hand_plan(), binding=binding)
    return summary_table(write_workbook(plan, tmp_path / "plan.xlsx"), "What bound")


def test_a_rule_binding_in_several_years_says_whose_words_it_shows(tmp_path: Path) -> None:
    # one row per rule over its years; its words (and price) are one year's, the dearest
    rows = _what_bound(tmp_path, [("2026-27", 10, 0.5), ("2027-28", 11, 0.995),
                                  ("2028-29", 12, 0.7)])
    assert rows == [("stream 'Serious and organised crime grant' spends at most £11m in "
                     "2027-28", "2026-27 to 2028-29 (3 years); 2027-28 shown",
                     pytest.approx(0.995))]


def test_of_years_equally_dear_the_first_is_shown(tmp_path: Path) -> None:
    # an envelope worth £1 a pound in every year (to the last digit or two): its first
    # year's words, not a £0 year's that a rounding difference favoured
    rows = _what_bound(tmp_path, [("2026-27", 10, 1.0), ("2027-28", 0, 1.0000000000002),
                                  ("2028-29", 12, 0.9999999999998)])
    assert rows[0][:2] == ("stream 'Serious and organised crime grant' spends at most £10m in "
                           "2026-27", "2026-27 to 2028-29 (3 years); 2026-27 shown")


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


def test_explains_tables_are_shown_by_their_display_names(tmp_path: Path) -> None:
    # a real solve: every column of plan.reasons, plan.sensitivity and plan.bands that holds
    # anything is on its sheet under explain's display name, money in the workbook's unit
    import fundopt as fo
    from fundopt.explain.bands import BAND_COLUMNS
    from fundopt.explain.ranging import SENSITIVITY_COLUMNS
    from fundopt.explain.reasons import REASON_COLUMNS
    from fundopt.io.template import example_problem

    plan = fo.solve(example_problem(), bands=True)
    out = write_workbook(plan, tmp_path / "plan.xlsx")
    unit = plan.problem.settings.money_unit
    for sheet, table, names in (("Reasons", plan.reasons, REASON_COLUMNS),
                                ("Sensitivity", plan.sensitivity, SENSITIVITY_COLUMNS),
                                ("Bands", plan.bands, BAND_COLUMNS)):
        rows = sheet_rows(out, sheet)
        assert len(rows) == len(table) > 0, sheet
        filled = [c for c in names if table[c].map(lambda v: v not in ("", None)).any()]
        # a money column's name says the workbook's unit (explain's say £, or nothing)
        shown = {h.removesuffix(f" ({unit})") for h in rows[0]}
        wanted = {names[c].removesuffix(" (£)") for c in filled}
        assert wanted <= shown, (sheet, wanted - shown)
        assert all(h.endswith(f" ({unit})") for h in rows[0]
                   if h.removesuffix(f" ({unit})") in ("Limit", "Allocated", "Least", "Most"))
    # money in the unit, to the pound: each recipient-year's allocation and its band
    pounds = MoneyUnit(unit).pounds
    bands = {(r["Recipient"], r["Year"]): r for r in sheet_rows(out, "Bands")}
    for r in plan.bands.to_dict("records"):
        shown = bands[(r["recipient"], r["year"])]
        assert shown[f"Allocated ({unit})"] * pounds == pytest.approx(r["allocated"], abs=0.5)
        assert shown[f"Least ({unit})"] <= shown[f"Allocated ({unit})"] <= \
            shown[f"Most ({unit})"]


def test_an_unlimited_range_says_so_and_rules_come_before_the_policy(tmp_path: Path) -> None:
    sensitivity = pd.DataFrame({
        "family": ["envelope", "cap"], "rule": ["envelope[soc_grant,2026-27]",
                                                "cap_ratio[cumbria,2026-27]"],
        "description": ["stream 'soc_grant' envelope", "cap on cumbria"],
        "year": ["2026-27", "2026-27"], "limit": [10e6, 11.4e6], "shadow_price": [0.5, 1.2],
        "allowable_increase": [math.inf, 250_000.0], "allowable_decrease": [1e6, 0.0],
        "objective_at_increase": [math.nan, 1e7], "objective_at_decrease": [9e6, 9.5e6],
        "sheet": ["Envelopes", "Floors and caps"], "cell": ["C2", "E3"]})
    reasons = pd.DataFrame({
        "recipient": ["avon", "cumbria"], "name": ["Avon", "Cumbria"],
        "year": ["2026-27", "2026-27"], "allocated": [5_000_000, 10_000_000],
        "reason": ["value_of_money", "cap"], "words": ["value of money", "set by its cap"],
        "rule": ["", "cap_ratio[cumbria,2026-27]"], "sheet": ["", "Floors and caps"],
        "cell": ["", "E3"]})
    out = write_workbook(_with(hand_plan(), sensitivity=sensitivity, reasons=reasons),
                         tmp_path / "plan.xlsx")
    rows = sheet_rows(out, "Sensitivity")
    # the largest shadow price first; an unlimited range in words, not a blank or 1e308
    assert [r["Rule"] for r in rows] == ["cap_ratio[cumbria,2026-27]",
                                         "envelope[soc_grant,2026-27]"]
    assert rows[1]["Allowable increase (£m)"] == "unlimited"
    assert rows[1]["Allowable decrease (£m)"] == 1.0
    assert rows[0]["Shadow price (per £1)"] == 1.2
    # a number a rule sets comes before the many the policy sets, its code in words
    assert [(r["Recipient"], r["Reason"]) for r in sheet_rows(out, "Reasons")] == [
        ("cumbria", "cap"), ("avon", "value of money")]


def test_a_plan_without_bands_or_changes_has_no_such_sheets(tmp_path: Path) -> None:
    # Changes is declared ahead of its table (re-plans); until a Plan carries it, and Bands
    # until it is solved with bands, there is no sheet. Every plan has its priority tiers
    import fundopt as fo
    from fundopt.io.template import example_problem

    plan = fo.solve(example_problem())
    book = openpyxl.load_workbook(write_workbook(plan, tmp_path / "plan.xlsx"))
    names = book.sheetnames
    assert not {"Changes", "Bands", "Breaches"} & set(names)
    assert {"Reasons", "Sensitivity", "Tiers"} <= set(names)
    tiers = [[c.value for c in row] for row in book["Tiers"].iter_rows()]
    header = next(i for i, row in enumerate(tiers) if row[0] == "Tier")
    assert tiers[header][:4] == ["Tier", "Goals", "Measure", "Sense"]
    assert [row[0] for row in tiers[header + 1:header + 3]] == [1, 2]
    assert tiers[header + 2][1] == "stability" and tiers[header + 2][-1] is True
    assert names[0] == "Summary" and names[-1] == "Audit"
