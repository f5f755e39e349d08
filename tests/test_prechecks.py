"""Closed-form checks: each seeded conflict is named with exactly its rules and cells,
and the shortfall is the gap worked out by hand (in realistic money, so whole-pound
rounding cannot hide it). The seeded problems are shared with test_diagnosis.py."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pytest
from builders import M, frame, tiny

import fundopt as fo
from fundopt._support import money
from fundopt.explain.diagnosis import Diagnosis
from fundopt.explain.prechecks import find_conflicts

Y4 = ("2025-26", "2026-27", "2027-28", "2028-29")


@dataclass(frozen=True)
class Seeded:
    """A problem with one conflict: the rules (LP rule ids) and cells behind it, the gap."""

    problem: fo.FundingProblem
    code: str
    rules: frozenset[str]  # rules of the LP in the conflict
    inputs: frozenset[str]  # other input figures the check names (baselines, ...)
    cells: frozenset[tuple[str, int, str]]  # (table, row, column)
    gap: float  # pounds


def floors_over_envelope() -> Seeded:
    # three forces only 'core' can fund; floors 212.3 + 187.6 + 112.5 = £512.4m against
    # an envelope of £500.0m: short by £12.4m
    p = tiny(recipients=frame(recipient=["a", "b", "c"], name=["A", "B", "C"],
                              kind=["force"] * 3, region=["north", "north", "south"]),
             envelopes=[500 * M],
             limits=frame(recipient=["a", "b", "c"],
                          floor_amount=[212_300_000, 187_600_000, 112_500_000]))
    rules = {"floor_amount[a,2026-27]", "floor_amount[b,2026-27]", "floor_amount[c,2026-27]",
             "envelope[core,2026-27]"}
    cells = {("limits", 0, "floor_amount"), ("limits", 1, "floor_amount"),
             ("limits", 2, "floor_amount"), ("envelopes", 0, "amount")}
    return Seeded(p, "FO-P02", frozenset(rules), frozenset(), frozenset(cells), 12_400_000)


def cliff_edge_over_ending_stream() -> Seeded:
    # a had £100m; its total may fall 10% a year, 5% in the final year (terminal share
    # 0.5): at least 100 x 0.9 x 0.9 x 0.95 = £76.95m in 2028-29, when its only stream
    # 'core' has ended (envelope £0): short by £76.95m
    p = tiny(years=Y4, envelopes=[200 * M, 200 * M, 0.0],
             baselines=frame(recipient=["a"], amount=[100 * M]),
             eligibility=frame(stream=["core"], recipient=["a"]),
             cliff_edges=frame(recipient=["a"], max_fall_rate=[0.10]))
    rules = {"cliff_edge[a,2026-27]", "cliff_edge[a,2027-28]", "cliff_edge[a,2028-29]",
             "envelope[core,2028-29]"}
    cells = {("baselines", 0, "amount"), ("cliff_edges", 0, "max_fall_rate"),
             ("envelopes", 2, "amount")}
    return Seeded(p, "FO-P02", frozenset(rules), frozenset({"baseline[a]"}), frozenset(cells),
                  76_950_000)


def share_target_out_of_reach() -> Seeded:
    # no stream may fund the prevent activity, yet £50m is committed to a's pursue
    # activity (SOC): prevent at least 6% of SOC funding needs 6% x £50m = £3m
    acts = frame(activity=["pursue", "prevent"], name=["Drugs pursue", "Drugs prevent"],
                 threat=["illegal_drugs"] * 2, strand=["pursue", "prevent"])
    p = tiny(activities=acts, eligibility=frame(stream=["core"], activity=["pursue"]),
             commitments=frame(recipient=["a"], activity=["pursue"], first_year=["2026-27"],
                               last_year=["2026-27"], amount=[50 * M]),
             share_targets=frame(strand=["prevent"], scope=["soc"], year=["2026-27"],
                                 min_share=[0.06]))
    rules = {"share_min[prevent,*,soc,2026-27]", "commitment[a,pursue,*,2026-27]"}
    cells = {("share_targets", 0, "min_share"), ("commitments", 0, "amount")}
    return Seeded(p, "FO-P04", frozenset(rules), frozenset(), frozenset(cells), 3_000_000)


def commitment_over_cap() -> Seeded:
    # £63.5m committed to a in 2026-27, but a's cap is £50.0m: over by £13.5m
    p = tiny(commitments=frame(recipient=["a"], activity=["lp"], first_year=["2026-27"],
                               last_year=["2026-27"], amount=[63_500_000]),
             limits=frame(recipient=["a"], cap_amount=[50 * M]))
    rules = {"commitment[a,lp,*,2026-27]", "cap_amount[a,2026-27]"}
    cells = {("commitments", 0, "amount"), ("limits", 0, "cap_amount")}
    return Seeded(p, "FO-P03", frozenset(rules), frozenset(), frozenset(cells), 13_500_000)


def ring_fences_under_requirement() -> Seeded:
    # region north must spend £40m on illegal drugs; its two forces may give national
    # priorities at most 20% of allocations capped at £90m and £85m: 0.2 x 175 = £35m,
    # short by £5m
    acts = frame(activity=["drugs", "lp"], name=["Drugs", "Local policing"],
                 threat=["illegal_drugs", "local_policing"], strand=["pursue", None])
    p = tiny(activities=acts, envelopes=[500 * M],
             recipients=frame(recipient=["a", "b"], name=["A", "B"], kind=["force"] * 2,
                              region=["north", "north"]),
             local_priorities=frame(recipient=["a", "b"], activity=["lp", "lp"]),
             local_shares=frame(recipient=["a", "b"], max_national_share=[0.2, 0.2]),
             limits=frame(recipient=["a", "b"], cap_amount=[90 * M, 85 * M]),
             requirements=frame(threat=["illegal_drugs"], year=["2026-27"], region=["north"],
                                amount=[40 * M]))
    rules = {"requirement[illegal_drugs,north,2026-27]", "national_share[a,2026-27]",
             "national_share[b,2026-27]", "cap_amount[a,2026-27]", "cap_amount[b,2026-27]"}
    cells = {("requirements", 0, "amount"), ("local_shares", 0, "max_national_share"),
             ("local_shares", 1, "max_national_share"), ("limits", 0, "cap_amount"),
             ("limits", 1, "cap_amount")}
    return Seeded(p, "FO-P05", frozenset(rules), frozenset(), frozenset(cells), 5_000_000)


SEEDED = {
    "floors over an envelope": floors_over_envelope,
    "cliff edge over an ending stream": cliff_edge_over_ending_stream,
    "share target out of reach": share_target_out_of_reach,
    "commitment over a cap": commitment_over_cap,
    "ring-fences under a requirement": ring_fences_under_requirement,
}


def cells_of(d: Diagnosis) -> set[tuple[str, int | None, str]]:
    return {(loc.table, loc.row, loc.column) for c in d.conflicts for r in c.rules
            for loc in r.locations}


@pytest.mark.parametrize("name", list(SEEDED))
def test_each_seeded_conflict_is_named_with_its_rules_cells_and_exact_shortfall(name: str):
    s = SEEDED[name]()
    d = find_conflicts(s.problem)
    assert d is not None
    assert len(d.conflicts) == 1
    c = d.conflicts[0]
    assert (c.source, c.code) == ("check", s.code)
    assert {r.rule for r in c.rules} == set(s.rules | s.inputs)
    assert cells_of(d) == set(s.cells)
    assert c.shortfall == pytest.approx(s.gap, abs=0.01)
    assert money(s.gap) in c.summary


@pytest.mark.parametrize("name", list(SEEDED))
def test_solve_raises_the_check_not_the_iis(name: str, monkeypatch):
    s = SEEDED[name]()

    def no_iis(*args, **kwargs):
        raise AssertionError("the IIS was sought although a check had found the conflict")

    monkeypatch.setattr(sys.modules["fundopt.explain.diagnosis"], "diagnose_infeasible", no_iis)
    with pytest.raises(fo.InfeasibleError) as caught:
        fo.solve(s.problem)
    d = caught.value.diagnosis
    assert isinstance(d, Diagnosis)
    assert [c.source for c in d.conflicts] == ["check"]
    assert "short by" in str(caught.value) or "over by" in str(caught.value)
    frame_ = d.to_frame()
    assert set(frame_["rule"]) == set(s.rules | s.inputs)
    assert frame_["shortfall_pounds"].tolist() == pytest.approx([s.gap] * len(frame_), abs=0.01)


def test_amounts_that_differ_are_written_so():
    # £50.04m committed against a cap of £50.0m: money() writes both as £50.0m
    p = tiny(commitments=frame(recipient=["a"], activity=["lp"], first_year=["2026-27"],
                               last_year=["2026-27"], amount=[50_040_000]),
             limits=frame(recipient=["a"], cap_amount=[50 * M]))
    with pytest.raises(fo.InfeasibleError) as caught:
        fo.solve(p)
    assert "need at least £50.04m but its cap is £50.00m: over by £40k" in str(caught.value)


def test_floors_that_exactly_fill_the_envelope_are_no_conflict():
    # 60 + 40 = 100 = the envelope: tight but feasible
    p = tiny(limits=frame(recipient=["a", "b"], floor_amount=[60 * M, 40 * M]))
    assert find_conflicts(p) is None
    plan = fo.solve(p)
    assert int(plan.allocations["amount"].sum()) == 100 * M


def test_floors_with_a_penalty_can_give_way_so_are_no_conflict():
    p = tiny(limits=frame(recipient=["a", "b"], floor_amount=[70 * M, 40 * M],
                          penalty=[1.0, 1.0]))
    assert find_conflicts(p) is None


def test_carry_in_counts_and_is_named_when_it_is_not_enough():
    # 'core' has £100m then £50m, and may carry half of 2026-27's envelope (£50m) into
    # 2027-28: at most £100m then. A floor of £90m in 2027-28 fits; £112.5m is short by £12.5m
    def problem(floor: float) -> fo.FundingProblem:
        return tiny(years=("2025-26", "2026-27", "2027-28"), envelopes=[100 * M, 50 * M],
                    streams=frame(stream=["core"], name=["Core"], carry_forward_share=[0.5]),
                    limits=frame(recipient=["a"], year=["2027-28"], floor_amount=[floor]))

    assert find_conflicts(problem(90 * M)) is None
    d = find_conflicts(problem(112_500_000))
    assert d is not None
    (c,) = d.conflicts
    assert c.shortfall == pytest.approx(12_500_000, abs=0.01)
    assert {r.rule for r in c.rules} == {"floor_amount[a,2027-28]", "envelope[core,2027-28]",
                                         "carry[core,2026-27]"}
    assert cells_of(d) == {("limits", 0, "floor_amount"), ("envelopes", 1, "amount"),
                           ("envelopes", 0, "amount"), ("streams", 0, "carry_forward_share")}


def test_a_commitment_no_stream_may_fund_is_named():
    # only a is eligible; £20m committed to b cannot be paid
    p = tiny(eligibility=frame(stream=["core"], recipient=["a"]),
             commitments=frame(recipient=["b"], activity=["lp"], first_year=["2026-27"],
                               last_year=["2026-27"], amount=[20 * M]))
    d = find_conflicts(p)
    assert d is not None
    (c,) = d.conflicts
    assert c.code == "FO-P01"
    assert c.shortfall == pytest.approx(20 * M)
    assert cells_of(d) == {("commitments", 0, "amount")}
    with pytest.raises(fo.InfeasibleError, match="no stream may fund b's 'lp'"):
        fo.solve(p)


def test_a_workbook_problem_names_sheets_and_cells(tmp_path):
    from fundopt.io import read_workbook, write_problem

    s = floors_over_envelope()
    path = write_problem(s.problem, tmp_path / "floors.xlsx")
    problem = read_workbook(path)
    with pytest.raises(fo.InfeasibleError) as caught:
        fo.solve(problem)
    message = str(caught.value)
    # the template puts headers in row 1 and data from row 2, columns in schema order
    assert "'Floors and caps'!C2:C4, 'Envelopes'!C2" in message
    assert "short by £12.4m" in message
    frame_ = caught.value.diagnosis.to_frame()
    assert set(zip(frame_["sheet"], frame_["cell"], strict=True)) == {
        ("Floors and caps", "C2"), ("Floors and caps", "C3"), ("Floors and caps", "C4"),
        ("Envelopes", "C2")}


def test_a_feasible_problem_never_runs_the_checks(monkeypatch):
    # they cost seconds on large problems; solve runs them only once HiGHS says infeasible
    def no_checks(*args, **kwargs):
        raise AssertionError("the closed-form checks ran on a feasible problem")

    monkeypatch.setattr(sys.modules["fundopt.explain.prechecks"], "find_conflicts", no_checks)
    plan = fo.solve(tiny(limits=frame(recipient=["a", "b"], floor_amount=[60 * M, 40 * M])))
    assert "checks" not in plan.solver.times
    assert int(plan.allocations["amount"].sum()) == 100 * M
