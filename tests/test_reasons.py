"""Reasons on hand-worked LPs: for each recipient and year, the rule that set its number,
in words, with the cell it comes from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from builders import M, frame, tiny, values

import fundopt as fo
from fundopt._support import money_apart
from fundopt.explain.reasons import REASON_COLUMNS

R = fo.ReasonCode


def reasons(p: fo.FundingProblem, bands: bool = True) -> dict[tuple[str, str], dict]:
    plan = fo.solve(p, bands=bands)
    assert plan.passed
    assert list(plan.reasons.columns) == list(REASON_COLUMNS)
    return {(r["recipient"], r["year"]): r for r in plan.reasons.to_dict("records")}


def test_a_floor_read_from_a_workbook_is_named_by_its_cell(tmp_path: Path):
    # a is worth 2, b 1: b is held at its floor of £30m, a gets the rest
    p = tiny(value_tranches=values(a=2.0, b=1.0),
             limits=frame(recipient=["b"], floor_amount=[30 * M]))
    path = tmp_path / "floor.xlsx"
    fo.write_problem(p, path)
    read = fo.read_workbook(path)
    got = reasons(read)
    b, a = got[("b", "2026-27")], got[("a", "2026-27")]
    assert b["reason"] == R.FLOOR and b["allocated"] == 30 * M
    assert b["words"] == "Set by the floor: b gets at least £30.0m in 2026-27"
    sheet, cell = read.origin.cell("limits", 0, "floor_amount")
    assert (b["sheet"], b["cell"]) == (sheet, cell) == ("Floors and caps", cell)
    assert a["reason"] == R.VALUE_OF_MONEY and a["rule"] == "envelope[core,2026-27]"
    assert a["sheet"] == "Envelopes"


def test_a_cap_and_a_commitment():
    # a (worth 2) is capped at £60m; b (worth 1) has a commitment of £10m that the cap
    # leaves room for: b gets the other £40m, pinned (any other split loses value)
    got = reasons(tiny(value_tranches=values(a=2.0, b=1.0),
                       limits=frame(recipient=["a"], cap_amount=[60 * M])))
    assert got[("a", "2026-27")]["reason"] == R.CAP
    assert got[("a", "2026-27")]["rule"] == "cap_amount[a,2026-27]"
    assert got[("b", "2026-27")]["reason"] == R.VALUE_OF_MONEY
    committed = reasons(tiny(value_tranches=values(a=2.0, b=1.0),
                             commitments=frame(recipient=["b"], activity=["lp"],
                                               first_year=["2026-27"],
                                               last_year=["2026-27"], amount=[10 * M])))
    assert committed[("b", "2026-27")]["reason"] == R.COMMITMENT
    assert committed[("b", "2026-27")]["rule"] == "commitment[b,lp,*,2026-27]"
    # a commitment holds its line, not a total with more in it: b's other activity (worth
    # 3) takes the other £90m, so b's £100m is the value of money's, not the commitment's
    two = tiny(activities=frame(activity=["lp", "soc"], name=["Local", "SOC"],
                                threat=["local_policing", "fraud"]),
               value_tranches=frame(recipient=["a", "b", "b"], activity=[None, "lp", "soc"],
                                    tranche=[1, 1, 1], value=[2.0, 1.0, 3.0]),
               commitments=frame(recipient=["b"], activity=["lp"], first_year=["2026-27"],
                                 last_year=["2026-27"], amount=[10 * M]))
    got = reasons(two)
    assert got[("b", "2026-27")]["allocated"] == 100 * M
    assert got[("b", "2026-27")]["reason"] == R.VALUE_OF_MONEY


def test_a_cliff_edge_holds_the_fall():
    # b (worth 1, baseline £40m) may fall at most 10%: it keeps £36m, a takes £64m
    got = reasons(tiny(value_tranches=values(a=2.0, b=1.0),
                       baselines=frame(recipient=["a", "b"], amount=[60 * M, 40 * M]),
                       cliff_edges=frame(recipient=["b"], max_fall_rate=[0.1])))
    b = got[("b", "2026-27")]
    assert b["reason"] == R.CLIFF_EDGE and b["allocated"] == 36 * M
    assert b["rule"] == "cliff_edge[b,2026-27]"


def test_an_envelope_only_one_recipient_may_draw_on_is_its_own():
    # the core grant funds a only, a special grant of £5m funds b only: b's number is set
    # by that envelope (a rule about b alone); a's by the value of money within the core
    p = tiny().replace(streams=frame(stream=["core", "special"], name=["Core", "Special"]),
                       envelopes=frame(stream=["core", "special"], year=["2026-27"] * 2,
                                       amount=[100 * M, 5 * M]),
                       eligibility=frame(stream=["core", "special"], recipient=["a", "b"]))
    got = reasons(p)
    b = got[("b", "2026-27")]
    assert b["reason"] == R.ENVELOPE and b["rule"] == "envelope[special,2026-27]"
    assert b["words"] == ("Set by the envelope: stream 'special' may spend at most £5.0m "
                          "(plus carry-in) in 2026-27")
    assert got[("a", "2026-27")]["reason"] == R.ENVELOPE  # likewise: only a draws on core


def test_the_policy_terms_set_numbers_no_rule_holds():
    # equal value; with a need penalty and equal weights the only best split is 50/50
    need = tiny(value_tranches=values(a=1.0, b=1.0),
                recipients=frame(recipient=["a", "b"], name=["A", "B"], kind=["force"] * 2,
                                 region=["north", "south"], need_weight=[1.0, 1.0]),
                settings=fo.Settings(need_penalty=0.05, volatility_penalty=0.0))
    got = reasons(need)
    assert {got[k]["reason"] for k in got} == {R.NEEDS_TARGET}
    assert got[("a", "2026-27")]["allocated"] == 50 * M
    # with a volatility penalty instead, each keeps last year's total (60 and 40)
    level = reasons(tiny(value_tranches=values(a=1.0, b=1.0),
                         baselines=frame(recipient=["a", "b"], amount=[60 * M, 40 * M]),
                         settings=fo.Settings(need_penalty=0.0, volatility_penalty=0.02)))
    assert {level[k]["reason"] for k in level} == {R.VOLATILITY}
    assert level[("a", "2026-27")]["allocated"] == 60 * M


def test_without_bands_a_number_no_rule_holds_is_policy_or_choice():
    # equal value: any split is as good, within b's floor of £30m. With bands both are
    # choices (a binding floor is mentioned); without, fundopt cannot tell
    p = tiny(value_tranches=values(a=1.0, b=1.0),
             limits=frame(recipient=["b"], floor_amount=[30 * M]))
    plan = fo.solve(p, bands=True)
    by = plan.reasons.set_index("recipient")
    assert set(by["reason"]) == {R.CHOICE}
    floor_binds = "floor_amount[b,2026-27]" in set(plan.binding["rule"])
    assert ("the floor: b gets at least £30.0m in 2026-27 binds here" in by.loc["b", "words"]) \
        == floor_binds
    assert (by.loc["b", "rule"] == "floor_amount[b,2026-27]") == floor_binds
    without = reasons(p, bands=False)
    assert without[("a", "2026-27")]["reason"] == R.POLICY_OR_CHOICE
    assert "bands=True" in without[("a", "2026-27")]["words"]
    # a rule of its own that binds is named, said to hold it (not to set it)
    held = reasons(tiny(value_tranches=values(a=2.0, b=1.0),
                        limits=frame(recipient=["b"], floor_amount=[30 * M])), bands=False)
    assert held[("b", "2026-27")]["reason"] == R.FLOOR
    assert held[("b", "2026-27")]["words"].startswith("Held by the floor")
    assert held[("a", "2026-27")]["reason"] == R.POLICY_OR_CHOICE


def test_every_funded_year_has_a_reason_and_a_recipient_nothing_may_fund_says_so():
    # c is eligible for nothing (the only eligibility row names a and b's kind, c is a
    # regional unit); it still gets a row per year
    p = tiny(recipients=frame(recipient=["a", "b", "c"], name=["A", "B", "C"],
                              kind=["force", "force", "regional_unit"],
                              region=["north", "south", "north"]),
             years=("2025-26", "2026-27", "2027-28"),
             eligibility=frame(stream=["core"], recipient_kind=["force"]))
    plan = fo.solve(p)
    assert len(plan.reasons) == 3 * 2
    c = plan.reasons[plan.reasons["recipient"] == "c"]
    assert set(c["reason"]) == {R.NOT_ELIGIBLE}
    assert (c["allocated"] == 0).all()


@pytest.mark.parametrize("bands", [False, True])
def test_the_reference_model_has_a_reason_for_every_recipient_and_year(bands: bool):
    # written against whatever the shipped model holds: every funded recipient-year has a
    # reason; a recipient closing on a glide path has it as the reason for its last year;
    # with bands (for three recipients), a wide band and a choice go together
    from fundopt.formulation import ProblemIndex

    ref = fo.read_workbook(Path(__file__).parent.parent / "models" / "england_wales_soc.xlsx")
    index = ProblemIndex(ref)
    closing = [r for r in index.recipient_rows if r in index.baseline
               and 0 < len(index.funded_years(r)) < len(index.horizon)
               and index.funded_years(r)[0] == index.horizon[0]]
    some = tuple(r for r in sorted(index.recipient_rows) if r not in closing)[::20]
    # and the NCA: its band (about £1.02bn, £1.6m wide) is a choice, its ends told apart
    some = tuple(sorted({*some, "nca"}))
    plan = fo.solve(ref, bands=fo.BandOptions(recipients=some) if bands else False)
    assert len(plan.reasons) == sum(len(index.funded_years(r)) for r in index.recipient_rows)
    assert set(plan.reasons["reason"]) <= set(R)
    by = plan.reasons.set_index(["recipient", "year"])
    for r in closing:
        last = (r, index.funded_years(r)[-1])
        assert by.loc[last, "reason"] == R.GLIDE_PATH
        assert by.loc[last, "rule"].startswith("glide_path")
        assert by.loc[last, "sheet"] == "Cliff-edge limits"
    # a rule named as holding a number binds in the plan returned, as the Binding rules
    # sheet says (not only at tier 1's optimum: the stability tier may choose another of
    # the equally good plans, where another force is at its rise limit)
    named = set(plan.reasons.loc[plan.reasons["rule"] != "", "rule"])
    assert named and named <= set(plan.binding["rule"]), named - set(plan.binding["rule"])
    # a choice's range is written so its ends differ (not "from £1.02bn to £1.02bn")
    for words in plan.reasons.loc[plan.reasons["reason"] == R.CHOICE, "words"]:
        ends = re.search(r"any amount from (\S+) to (\S+) would do", words)
        assert ends and ends.group(1) != ends.group(2), words
    if bands:
        banded = plan.bands.set_index(["recipient", "year"])
        assert set(banded.index.get_level_values(0)) == set(some)
        for key in banded.index:
            wide = not banded.loc[key, "set_by_rules"]
            assert (by.loc[key, "reason"] == R.CHOICE) == wide


def test_a_range_is_written_so_its_ends_differ():
    # money() writes £1,019,701,909 and £1,021,300,000 both as £1.02bn
    assert money_apart(1_019_701_909, 1_021_300_000, 1_019_701_909) == \
        ["£1.020bn", "£1.021bn", "£1.020bn"]
    assert money_apart(12_345_678, 12_349_999) == ["£12.346m", "£12.350m"]
    # as money() writes them where that already tells them apart, or they are one pound
    assert money_apart(30e6, 100e6, 30e6) == ["£30.0m", "£100.0m", "£30.0m"]
    assert money_apart(5.0, 5.4) == ["£5", "£5.40"]
    assert money_apart(1_019_701_909, 1_019_701_909.3) == ["£1.02bn", "£1.02bn"]
    assert money_apart(40_000, 40_400) == ["£40.0k", "£40.4k"]
