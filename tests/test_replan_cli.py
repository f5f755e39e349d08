"""``fundopt replan`` and the certainty measures: last year's results workbook and this
year's budget in, a plan that keeps last year's promises out (with its Changes and
Settlement sheets and the Summary's certainty), the diagnosis when it cannot, and the
effect of an envelope cut on confirmed and indicative money."""

from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pytest
from builders import M, frame, tiny, values

import fundopt as fo
from fundopt import cli
from fundopt.errors import ExitCode

YEARS = frame(year=["2025-26", "2026-27", "2027-28"], baseline=[True, False, False],
              status=[None, None, "indicative"], tolerance_share=[None, None, 0.1])


def budget(core: tuple[float, float] = (100 * M, 100 * M)) -> fo.FundingProblem:
    """Two forces, £100m a year: a worth 2 a pound, b 1 with a floor of £40m (a 60, b 40);
    2027-28 indicative, with a 10% tolerance."""
    p = tiny(years=("2025-26", "2026-27", "2027-28"), value_tranches=values(a=2.0, b=1.0),
             limits=frame(recipient=["b"], floor_amount=[40 * M]), envelopes=list(core))
    return p.replace(years=YEARS)


@pytest.fixture
def first_round(tmp_path: Path) -> Path:
    source = fo.write_problem(budget(), tmp_path / "budget-1.xlsx")
    assert cli.main(["solve", str(source), "-o", str(tmp_path / "plan-1.xlsx")]) == 0
    return tmp_path / "plan-1.xlsx"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_replan_keeps_the_promises_and_writes_the_changes(
        first_round: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # next year's budget has £95m for 2027-28: a (indicative £60m) takes the £5m cut,
    # -8.3%, within its 10% tolerance; 2026-27 is confirmed and stays
    source = fo.write_problem(budget((100 * M, 95 * M)), tmp_path / "budget-2.xlsx")
    before = _digest(first_round), _digest(source)
    capsys.readouterr()
    out = tmp_path / "plan-2.xlsx"
    assert cli.main(["replan", str(first_round), str(source), "-o", str(out)]) == 0
    assert (_digest(first_round), _digest(source)) == before
    text = capsys.readouterr().out
    assert "read the previous plan" in text and "4 figures" in text
    assert "2 of 2 confirmed figures held" in text
    assert "1 of 2 indicative figures moved, the largest Force A's 2027-28 by -£5.0m (-8.3%)" \
        in text
    wb = openpyxl.load_workbook(out, read_only=True)
    assert {"Changes", "Settlement"} <= set(wb.sheetnames)
    changes = [(r[0], r[3], r[4], r[5], r[6], r[10])
               for r in wb["Changes"].iter_rows(min_row=4, values_only=True)]
    assert changes == [  # recipient, year, previous status, previous and new (£m), reason
        ("a", "2026-27", "confirmed", 60.0, 60.0, "confirmed"),
        ("a", "2027-28", "indicative", 60.0, 55.0, "new_envelope"),
        ("b", "2026-27", "confirmed", 40.0, 40.0, "confirmed"),
        ("b", "2027-28", "indicative", 40.0, 40.0, "unchanged")]
    summary = " ".join(str(v) for row in wb["Summary"].iter_rows(values_only=True)
                       for v in row if v is not None)
    assert "What recipients can rely on" in summary
    assert "Against the previous plan: 2 of 2 confirmed figures held" in summary
    # and the plan it wrote is itself a previous plan for the round after
    again = fo.read_previous_plan(out)
    assert again.table["amount"].tolist() == [60 * M, 55 * M, 40 * M, 40 * M]


def test_replan_that_cannot_keep_its_promises_writes_the_diagnosis(
        first_round: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # £90m in the confirmed 2026-27: £10m of promises cannot be kept
    source = fo.write_problem(budget((90 * M, 100 * M)), tmp_path / "budget-2.xlsx")
    out = tmp_path / "plan-2.xlsx"
    capsys.readouterr()
    assert cli.main(["replan", str(first_round), str(source), "-o", str(out)]) == \
        ExitCode.INFEASIBLE
    err = capsys.readouterr().err
    assert "Confirmed:" in err and "'[plan-1.xlsx]Settlement'!F" in err
    assert "confirmed allocation" in err
    assert not out.exists() and (tmp_path / "plan-2-diagnosis.xlsx").exists()
    assert cli.main(["replan", str(first_round), str(source), "-o", str(out), "--relax"]) == 0
    assert "RELAXED" in capsys.readouterr().out


def test_replan_refuses_the_arguments_the_wrong_way_round(
        first_round: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = fo.write_problem(budget(), tmp_path / "budget-2.xlsx")
    capsys.readouterr()
    code = cli.main(["replan", str(source), str(first_round), "-o", str(tmp_path / "x.xlsx")])
    assert code == ExitCode.INPUT
    err = capsys.readouterr().err
    assert "FO-S17" in err and "input workbook" in err and "Traceback" not in err
    assert not (tmp_path / "x.xlsx").exists()
    assert cli.main(["replan", "--help"]) == 0
    assert "PREVIOUS.xlsx" in capsys.readouterr().out


def test_certainty_and_the_effect_of_an_envelope_cut() -> None:
    # the plan of budget(): 2026-27 confirmed (a 60m, b 40m), 2027-28 indicative (10%).
    # Each recipient's money is half confirmed; the next re-plan may move a's indicative
    # 60m by 6m and b's 40m by 4m
    plan = fo.solve(budget())
    c = plan.certainty.set_index("recipient")
    assert c.loc["a", "confirmed_share"] == pytest.approx(0.5)
    assert (c.loc["a", "may_move"], c.loc["b", "may_move"]) == (6 * M, 4 * M)
    # 2% off one year's envelope (£2m): in the confirmed year £2m of promises must give
    # way; b's would also break its £40m floor (50 + 20 a pound), so a's gives way (50);
    # in the indicative year a's figure moves £2m, within its tolerance, and b's nothing
    effect = fo.cut_effect(plan, 0.02).set_index(["cut_year", "recipient"])
    assert effect.loc[("2026-27", "a"), "confirmed_moved"] == pytest.approx(2 * M)
    assert effect.loc[("2026-27", "a"), "promises_broken"] == 1
    assert effect.loc[("2027-28", "a"), "indicative_moved"] == pytest.approx(2 * M)
    assert effect.loc[("2027-28", "a"), "confirmed_moved"] == 0
    assert ("2027-28", "b") not in effect.index
    with pytest.raises(fo.UsageError, match="between 0 and 1"):
        fo.cut_effect(plan, 2.0)


def test_replan_with_cut_writes_the_envelope_cut_sheet(
        first_round: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = fo.write_problem(budget(), tmp_path / "budget-2.xlsx")
    out = tmp_path / "plan-2.xlsx"
    assert cli.main(["replan", str(first_round), str(source), "-o", str(out),
                     "--cut", "2%"]) == 0
    assert "envelope cut" in capsys.readouterr().out
    wb = openpyxl.load_workbook(out, read_only=True)
    rows = list(wb["Envelope cut"].iter_rows(min_row=4, values_only=True))
    # as test_certainty_...: £2m of a's confirmed 2026-27, £2m of its indicative 2027-28
    assert [(r[0], r[2], r[5], r[6]) for r in rows] == [
        ("2026-27", "a", 2.0, 0.0), ("2027-28", "a", 0.0, 2.0)]
    assert cli.main(["replan", str(first_round), str(source), "-o", str(out), "--overwrite",
                     "--cut", "200%"]) == ExitCode.USAGE
