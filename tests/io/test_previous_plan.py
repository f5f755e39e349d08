"""Re-planning from last year's file: the Settlement sheet of a results workbook written by
``fundopt solve``, read back to the pound, and refused (naming sheet and cell) when it is
not a fundopt results workbook or has been damaged."""

from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pytest

import fundopt as fo
from fundopt.datasets import england_wales as ew
from fundopt.plan.replan import PreviousPlan


@pytest.fixture(scope="module")
def reference() -> fo.Plan:
    return fo.solve(ew.build_problem())


@pytest.fixture(scope="module")
def written(reference: fo.Plan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fo.write_workbook(reference, tmp_path_factory.mktemp("plans") / "round-1.xlsx")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_settlement_round_trips_to_the_pound(reference: fo.Plan, written: Path) -> None:
    # the workbook shows £m; each amount is read back to the pound it was
    before = _digest(written)
    read = fo.read_previous_plan(written)
    assert _digest(written) == before  # never written
    mine = PreviousPlan.from_plan(reference).table
    assert len(read.table) == len(mine) == 224  # 56 recipients x 4 years
    for column in ("recipient", "year", "status", "tolerance_share"):
        assert read.table[column].tolist() == mine[column].tolist(), column
    assert read.table["amount"].tolist() == mine["amount"].tolist()
    assert read.sheet == "[round-1.xlsx]Settlement"
    assert (read.rows[0], read.columns["amount"]) == (4, "F")


def test_a_replan_from_the_file_is_the_replan_from_the_plan(reference: fo.Plan,
                                                            written: Path) -> None:
    # the second year's core grant 1% higher: the same re-plan, to the pound, either way
    p = reference.problem
    env = p.envelopes.copy()
    more = (env["stream"] == "core_grant") & (env["year"] == "2029-30")
    env.loc[more, "amount"] = float(round(float(env.loc[more, "amount"].iloc[0]) * 1.01))
    again = p.replace(envelopes=env)
    from_plan = fo.replan(reference, again)
    from_file = fo.replan(fo.read_previous_plan(written), again)
    assert from_file.fingerprint == from_plan.fingerprint
    assert from_file.changes.drop(columns="words").equals(
        from_plan.changes.drop(columns="words"))


def test_a_broken_promise_is_named_in_the_previous_workbooks_cells(reference: fo.Plan,
                                                                   written: Path) -> None:
    p = reference.problem
    env = p.envelopes.copy()
    cut = (env["stream"] == "core_grant") & (env["year"] == "2027-28")
    env.loc[cut, "amount"] = float(env.loc[cut, "amount"].iloc[0]) - 5e6
    with pytest.raises(fo.InfeasibleError) as caught:
        fo.replan(fo.read_previous_plan(written), p.replace(envelopes=env))
    table = caught.value.diagnosis.to_frame()
    broken = table.loc[table["source"] == "relaxation"]
    assert broken["shortfall_pounds"].sum() == pytest.approx(5e6, abs=1)
    assert broken["where"].str.fullmatch(r"'\[round-1\.xlsx\]Settlement'!F\d+").all()
    assert "'[round-1.xlsx]Settlement'!F" in caught.value.diagnosis.text


def test_an_input_workbook_or_another_workbook_is_refused(tmp_path: Path) -> None:
    budget = fo.write_template(tmp_path / "budget.xlsx")
    with pytest.raises(fo.InputError) as caught:
        fo.read_previous_plan(budget)
    issue = caught.value.issues[0]
    assert issue.code == "FO-S17"
    assert "input workbook" in issue.message and "budget-plan.xlsx" in issue.hint
    other = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Numbers"  # type: ignore[union-attr]
    wb.save(other)
    with pytest.raises(fo.InputError, match="not a fundopt results workbook"):
        fo.read_previous_plan(other)
    with pytest.raises(fo.InputError) as missing:
        fo.read_previous_plan(tmp_path / "nowhere.xlsx")
    assert missing.value.issues[0].code == "FO-F01"


def test_a_damaged_settlement_is_refused_naming_each_cell(written: Path,
                                                          tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(written)
    ws = wb["Settlement"]
    ws["F5"] = "about 263"
    ws["E6"] = "promised"
    ws["G7"] = 1.5
    damaged = tmp_path / "damaged.xlsx"
    wb.save(damaged)
    before = _digest(damaged)
    with pytest.raises(fo.InputError) as caught:
        fo.read_previous_plan(damaged)
    cells = {(i.sheet, i.cell, i.code) for i in caught.value.issues}
    assert cells == {("Settlement", "F5", "FO-V05"), ("Settlement", "E6", "FO-V12"),
                     ("Settlement", "G7", "FO-V05")}
    assert _digest(damaged) == before
    assert "damaged.xlsx" in str(caught.value)
