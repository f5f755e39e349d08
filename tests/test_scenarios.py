"""Scenario overrides: each changes exactly what it says, on a copy; worked examples."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from builders import M, amount, frame, tiny, values
from whatif_problems import regional_problem

import fundopt as fo
from fundopt.problem.scenarios import OVERRIDES, OVERRIDES_BY_KIND, SetNeedWeight


@pytest.fixture(scope="module")
def problem() -> fo.FundingProblem:
    return regional_problem()


def _snapshot(problem: fo.FundingProblem) -> dict[str, pd.DataFrame]:
    return {name: table.copy() for name, table in problem.tables().items()}


def test_apply_leaves_the_base_problem_untouched(problem: fo.FundingProblem) -> None:
    before = _snapshot(problem)
    everything = fo.Scenario("all", (
        fo.ScaleEnvelope("soc", None, 1.5), fo.SetEnvelope("core", "2026-27", 500 * M),
        fo.SetCliffEdge(None, 0.02), fo.SetCliffEdge("f1", 0.1),
        fo.SetShareTarget("prevent", None, "soc", "2027-28", 0.08),
        fo.RemoveContribution("f0", "rocu", 0.72), fo.ScaleIncome("f2", None, 0.9),
        fo.AddCommitment("f1", "drugs_prevent", "2026-27", "2027-28", 2 * M),
        fo.SetSetting("need_penalty", 0.1),
    ))
    changed = everything.apply(problem)
    for name, table in problem.tables().items():
        pd.testing.assert_frame_equal(table, before[name])
    assert problem.settings.need_penalty == 0.05
    assert changed.settings.need_penalty == 0.1
    assert changed is not problem


def test_no_overrides_is_the_problem_itself(problem: fo.FundingProblem) -> None:
    assert fo.Scenario("as is").apply(problem) is problem


def _amount(table: pd.DataFrame, **where: object) -> float:
    mask = pd.Series(True, index=table.index)
    for column, value in where.items():
        mask &= table[column].isna() if value is None else table[column] == value
    assert mask.sum() == 1, f"{where} matches {mask.sum()} rows"
    return float(table.loc[mask].iloc[0]["amount" if "amount" in table else "max_fall_rate"])


def test_envelope_overrides(problem: fo.FundingProblem) -> None:
    before = _amount(problem.envelopes, stream="soc", year="2027-28")
    assert before == 65 * M
    scaled = fo.Scenario("s", (fo.ScaleEnvelope("soc", None, 1.1),)).apply(problem)
    assert _amount(scaled.envelopes, stream="soc", year="2027-28") == pytest.approx(71.5 * M)
    assert _amount(scaled.envelopes, stream="soc", year="2026-27") == pytest.approx(66 * M)
    one_year = fo.Scenario("s", (fo.ScaleEnvelope("soc", "2027-28", 0.5),)).apply(problem)
    assert _amount(one_year.envelopes, stream="soc", year="2027-28") == 32.5 * M
    assert _amount(one_year.envelopes, stream="soc", year="2026-27") == 60 * M
    core = _amount(problem.envelopes, stream="core", year="2026-27")
    set_ = fo.Scenario("s", (fo.SetEnvelope("soc", "2026-27", 80 * M),)).apply(problem)
    assert _amount(set_.envelopes, stream="soc", year="2026-27") == 80 * M
    assert _amount(set_.envelopes, stream="core", year="2026-27") == core


def test_cliff_edge_overrides(problem: fo.FundingProblem) -> None:
    everyone = fo.Scenario("c", (fo.SetCliffEdge(None, 0.02),)).apply(problem)
    assert list(everyone.cliff_edges["max_fall_rate"]) == [0.02, 0.02]
    own = fo.Scenario("c", (fo.SetCliffEdge("rocu", 0.1),)).apply(problem)
    assert _amount(own.cliff_edges, recipient="rocu") == 0.1
    assert _amount(own.cliff_edges, recipient=None) == 0.05
    added = fo.Scenario("c", (fo.SetCliffEdge("f3", 0.01),)).apply(problem)
    row = added.cliff_edges.loc[added.cliff_edges["recipient"] == "f3"].iloc[0]
    assert row["max_fall_rate"] == 0.01
    assert row["penalty"] is None  # the default row's, which is a hard rule
    assert len(added.cliff_edges) == 3


def test_share_target_updates_a_row_or_adds_one(problem: fo.FundingProblem) -> None:
    raised = fo.Scenario("p", (fo.SetShareTarget("prevent", None, "soc", "2027-28", 0.08),)
                         ).apply(problem)
    t = raised.share_targets
    assert len(t) == len(problem.share_targets)
    assert float(t.loc[t["year"] == "2027-28", "min_share"].iloc[0]) == 0.08
    assert float(t.loc[t["year"] == "2026-27", "min_share"].iloc[0]) == 0.05
    new = fo.Scenario("p", (fo.SetShareTarget("protect", "fraud", "all", "2026-27", 0.02),)
                      ).apply(problem)
    assert len(new.share_targets) == len(problem.share_targets) + 1


def test_withdrawing_72_percent_of_a_contribution(problem: fo.FundingProblem) -> None:
    inc = problem.other_income
    withdrawn = fo.Scenario("w", (fo.RemoveContribution("f0", "rocu", 0.72),)).apply(problem)
    out = withdrawn.other_income
    for year in ("2025-26", "2026-27", "2028-29"):
        before = _amount(inc, recipient="rocu", contributor="f0", year=year)
        after = _amount(out, recipient="rocu", contributor="f0", year=year)
        # the baseline year is history; the horizon keeps 28%
        assert after == pytest.approx(before if year == "2025-26" else 0.28 * before)
        assert _amount(out, recipient="rocu", contributor="f2", year=year) == \
            _amount(inc, recipient="rocu", contributor="f2", year=year)


def test_scale_income_and_settings(problem: fo.FundingProblem) -> None:
    cut = fo.Scenario("i", (fo.ScaleIncome(None, "2027-28", 0.5, "precept"),)).apply(problem)
    before = _amount(problem.other_income, recipient="f1", year="2027-28", source="precept")
    assert _amount(cut.other_income, recipient="f1", year="2027-28", source="precept") == \
        pytest.approx(before / 2)
    assert _amount(cut.other_income, recipient="rocu", contributor="f0", year="2027-28") == \
        _amount(problem.other_income, recipient="rocu", contributor="f0", year="2027-28")
    s = fo.Scenario("s", (fo.SetSetting("volatility_penalty", 0.5),)).apply(problem)
    assert s.settings.volatility_penalty == 0.5
    with pytest.raises(fo.InputError, match="not a setting a scenario can change"):
        fo.Scenario("s", (fo.SetSetting("money_unit", 1.0),)).apply(problem)


def test_add_commitment(problem: fo.FundingProblem) -> None:
    more = fo.Scenario("c", (fo.AddCommitment("f1", "drugs_prevent", "2026-27", "2027-28",
                                               2 * M),)).apply(problem)
    assert len(more.commitments) == 2
    row = more.commitments.loc[more.commitments["recipient"] == "f1"].iloc[0]
    assert (row["amount"], row["first_year"], row["last_year"]) == (2 * M, "2026-27", "2027-28")


@pytest.mark.parametrize("override", [
    fo.ScaleEnvelope("nope", None, 1.1),
    fo.SetEnvelope("soc", "2040-41", 1 * M),
    fo.RemoveContribution("f1", "rocu"),  # f1 is in the south: it pays nothing
    fo.ScaleIncome("tf", None, 2.0),
])
def test_an_override_that_matches_nothing_is_an_error(problem: fo.FundingProblem,
                                                      override: fo.Override) -> None:
    with pytest.raises(fo.InputError, match=override.kind):
        fo.Scenario("bad", (override,)).apply(problem)


def test_an_invalid_result_names_the_scenario(problem: fo.FundingProblem) -> None:
    with pytest.raises(fo.InputError, match="scenario 'typo'"):
        fo.Scenario("typo", (fo.AddCommitment("nobody", "lp", "2026-27", "2026-27", M),)
                    ).apply(problem)


def test_every_override_kind_is_registered() -> None:
    assert {o.kind for o in OVERRIDES} == set(OVERRIDES_BY_KIND)
    assert len(OVERRIDES) == 9


def test_set_need_weight_moves_the_needs_target() -> None:
    # a and b share £100m; with weights 3 : 1 the need penalty puts £75m with a
    p = tiny(recipients=frame(recipient=["a", "b"], name=["A", "B"], kind=["force"] * 2,
                              region=["north", "south"], need_weight=[1.0, 1.0]),
             settings=fo.Settings(need_penalty=0.1, volatility_penalty=0.0))
    moved = fo.Scenario("a's need x3", (SetNeedWeight("a", 3.0),)).apply(p)
    assert list(p.recipients["need_weight"]) == [1.0, 1.0]  # the base is untouched
    plan = fo.solve(moved)
    assert amount(plan, recipient="a") == 75 * M
    with pytest.raises(fo.InputError, match="no such recipient"):
        fo.Scenario("typo", (SetNeedWeight("zz", 1.0),)).apply(p)


def _withdrawal_problem() -> fo.FundingProblem:
    return tiny(
        recipients=frame(recipient=["a", "b"], name=["Force A", "North ROCU"],
                         kind=["force", "regional_unit"], region=["north", "north"]),
        envelopes=[120 * M],
        eligibility=frame(stream=["core"]),
        baselines=frame(recipient=["a", "b"], amount=[60 * M, 40 * M]),
        other_income=frame(recipient=["b", "b"], year=["2025-26", "2026-27"],
                           source=["PCC contribution"] * 2, contributor=["a", "a"],
                           amount=[20 * M, 20 * M]),
        cliff_edges=frame(max_fall_rate=[0.05]),
        value_tranches=values(a=2.0, b=1.0),
    )


def test_a_withdrawn_contribution_is_made_up_by_the_cliff_edge_rule() -> None:
    # b's total was 40 + 20 = £60m, so it may fall to 0.95 x 60 = £57m. a is worth more,
    # so b gets only what the rule demands: 57 - 20 = £37m; after a 72% withdrawal its
    # income is £5.6m and it needs 57 - 5.6 = £51.4m. a gets the rest of the £120m.
    problem = _withdrawal_problem()
    base = fo.solve(problem)
    after = fo.solve(fo.Scenario("w", (fo.RemoveContribution("a", "b", 0.72),)).apply(problem))
    before_, after_ = (dict(zip(p.allocations["recipient"], p.allocations["amount"], strict=True))
                       for p in (base, after))
    assert before_ == {"a": 83_000_000, "b": 37_000_000}
    assert after_ == {"a": 68_600_000, "b": 51_400_000}


# -- the Scenarios sheet ---------------------------------------------------------------------

SHEET_SCENARIOS = (
    fo.Scenario("soc up", (fo.ScaleEnvelope("soc", None, 1.1),)),
    fo.Scenario("mixed", (fo.SetEnvelope("core", "2026-27", 750 * M),
                          fo.SetCliffEdge(None, 0.02),
                          fo.RemoveContribution("f0", "rocu", 0.72))),
    fo.Scenario("promise", (fo.AddCommitment("f1", "drugs_prevent", "2026-27", "2027-28",
                                             2.5 * M, stream="soc"),
                            fo.SetShareTarget("prevent", None, "soc", "2027-28", 0.08),
                            fo.ScaleIncome("f2", "2027-28", 0.9, "precept"),
                            fo.SetSetting("need_penalty", 0.1))),
)


def _workbook(problem: fo.FundingProblem, path: Any, scenarios: Any = SHEET_SCENARIOS) -> Any:
    from fundopt.io.scenarios import SHEET, scenarios_sheet

    return fo.write_problem(problem, path, extra_sheets={
        SHEET: scenarios_sheet(scenarios, problem.settings.money_unit)})


def test_scenarios_sheet_round_trip(problem: fo.FundingProblem, tmp_path: Any) -> None:
    path = _workbook(problem, tmp_path / "in.xlsx")
    read = fo.read_workbook(path)
    assert fo.read_scenarios(path, read) == SHEET_SCENARIOS


def test_a_workbook_without_the_sheet_has_no_scenarios(problem: fo.FundingProblem,
                                                       tmp_path: Any) -> None:
    path = fo.write_problem(problem, tmp_path / "in.xlsx")
    assert fo.read_scenarios(path, fo.read_workbook(path)) == ()


def test_bad_scenario_rows_name_their_cells(problem: fo.FundingProblem, tmp_path: Any) -> None:
    import openpyxl

    path = _workbook(problem, tmp_path / "in.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Scenarios"]
    # header in row 1, like every sheet; rows 2.. hold the overrides in order
    header = {ws.cell(row=1, column=c).value: c for c in range(1, ws.max_column + 1)}
    ws.cell(row=2, column=header["stream"]).value = "soc_typo"
    ws.cell(row=3, column=header["override"]).value = "scale_budget"
    ws.cell(row=4, column=header["value"]).value = "lots"
    ws.cell(row=5, column=header["scope"]).value = "soc"  # not used by remove_contribution
    ws.cell(row=6, column=header["recipient"]).value = None  # add_commitment needs one
    wb.save(path)
    before = path.read_bytes()
    with pytest.raises(fo.InputError) as caught:
        fo.read_scenarios(path, fo.read_workbook(path))
    text = str(caught.value)
    col = {name: openpyxl.utils.get_column_letter(c) for name, c in header.items()}
    assert f"'Scenarios'!{col['stream']}2: no stream with this id" in text
    assert f"'Scenarios'!{col['override']}3: unknown override" in text
    assert f"'Scenarios'!{col['value']}4" in text
    assert f"'Scenarios'!{col['scope']}5: remove_contribution does not use the column" in text
    assert f"'Scenarios'!{col['recipient']}6: add_commitment needs a recipient" in text
    assert path.read_bytes() == before  # the input is never written
