"""Hostile input (issue 14): each kind gets a clear message naming the sheet and cell where
one is at fault, a documented exit code, no traceback, and the input left untouched."""

from __future__ import annotations

import functools
import io
import math
import os
import re
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter
from xlsx_fixtures import (
    cell_issue,
    edited,
    issue,
    patch_part,
    read_error,
    sheet_part,
    template,
    untouched,
)

import fundopt as fo
from fundopt import cli
from fundopt.errors import ExitCode, SecurityError, Severity, UsageError
from fundopt.io import SafetyLimits, read_workbook
from fundopt.io.slim import slim_package


def _set(*changes: tuple[str, str, object]):
    def change(wb: openpyxl.Workbook) -> None:
        for sheet, cell, value in changes:
            wb[sheet][cell] = value

    return change


def _cli(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(["validate", str(path)])
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text
    return code, text


# -- huge numbers ---------------------------------------------------------------------------
@pytest.mark.parametrize(("sheet", "cell", "value", "code"), [
    ("Envelopes", "C2", 1e20, "FO-V17"),  # £m: once an overflow inside the Decimal quantize
    ("Envelopes", "C2", 1e300, "FO-V17"),
    ("Floors and caps", "F2", 1e300, "FO-V17"),  # cap_ratio
    ("Floors and caps", "D2", 1e308, "FO-V17"),  # floor_ratio
    ("Recipients", "G2", 1e14, "FO-V17"),  # need_weight
    ("Cliff-edge limits", "C2", 1e15, "FO-V08"),  # max_rise_rate: a rate below 1
])
def test_huge_numbers_are_refused_naming_the_cell(tmp_path: Path, sheet: str, cell: str,
                                                  value: float, code: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = edited(tmp_path, _set((sheet, cell, value)))
    cell_issue(path, code, f"'{sheet}'!{cell}")
    with untouched(path):
        exit_code, text = _cli(path, capsys)
    assert exit_code == ExitCode.INPUT and f"'{sheet}'!{cell}" in text


def test_a_huge_number_from_a_scenario_is_an_invalid_scenario_not_a_crash() -> None:
    problem = fo.read_workbook("models/england_wales_soc.xlsx")
    huge = fo.Scenario("x1e20", (fo.ScaleEnvelope("core_grant", None, 1e20),))
    first = problem.envelopes.index[problem.envelopes["stream"] == "core_grant"][0]
    sheet, cell = problem.origin.cell("envelopes", int(first), "amount")
    for whole_pounds in (True, False):
        row = fo.sweep(problem, [huge], progress=False, whole_pounds=whole_pounds
                       ).summary.set_index("scenario").loc["x1e20"]
        assert row["status"] in ("invalid", "failed")  # no plan, and no crash
        assert f"'{sheet}'!{cell}: scenario 'x1e20': 'amount' is implausibly large" in \
            row["message"]


def test_a_rise_rate_typed_as_a_multiplier_names_its_cell(tmp_path: Path) -> None:
    path = edited(tmp_path, _set(("Cliff-edge limits", "C2", 1.10)))
    found = cell_issue(path, "FO-V08", "'Cliff-edge limits'!C2")
    assert "looks like a multiplier" in found.message and "0.1 (or 10%)" in found.hint


# -- money that whole pounds cannot honour ---------------------------------------------------
def test_a_must_spend_envelope_with_pence_is_refused_before_solving(tmp_path: Path) -> None:
    path = edited(tmp_path, _set(("Envelopes", "C2", 44.0232505)))  # £44,023,250.50
    found = cell_issue(path, "FO-V34", "'Envelopes'!C2")
    assert "£44,023,250.50" in found.message and "whole number of pounds" in found.message


# -- paths that are not regular files -------------------------------------------------------
def test_a_device_is_refused_without_reading_it(capsys: pytest.CaptureFixture[str]) -> None:
    err = read_error(Path("/dev/zero"))
    assert err.issues[0].code == "FO-F14" and "not a regular file" in str(err)
    assert _cli(Path("/dev/zero"), capsys)[0] == ExitCode.INPUT


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_with_no_writer_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    assert issue(fifo, "FO-F14").message.startswith("'pipe.xlsx' is not a regular file")


def test_a_symbolic_link_loop_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                       ) -> None:
    loop = tmp_path / "loop.xlsx"
    loop.symlink_to(tmp_path / "loop.xlsx")
    assert "loops back on itself" in issue(loop, "FO-F14").message
    assert _cli(loop, capsys)[0] == ExitCode.INPUT


# -- misleading messages ----------------------------------------------------------------------
def test_an_xls_renamed_xlsx_is_called_an_xls(tmp_path: Path) -> None:
    fake = tmp_path / "old.xlsx"
    fake.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
                     + "Workbook".encode("utf-16-le") + b"\0" * 1000)
    found = issue(fake, "FO-F03")
    assert "old Excel 97-2003 (.xls) format (whatever its extension says)" in found.message


def test_an_entity_attack_in_utf16_is_a_security_refusal(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    path = template(tmp_path)
    with zipfile.ZipFile(path) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    bomb = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "aaaa">'
            '<!ENTITY b "&a;&a;&a;&a;">]><x>&b;</x>').encode("utf-16")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items:
            z.writestr(name, bomb if name == "docProps/app.xml" else data)
    err = read_error(path)
    assert isinstance(err, SecurityError) and err.issues[0].code == "FO-X01"
    assert _cli(path, capsys)[0] == ExitCode.SECURITY


def test_a_decimal_comma_is_hinted_as_a_decimal_point(tmp_path: Path) -> None:
    path = edited(tmp_path, _set(("Envelopes", "C2", "9,5")))
    found = cell_issue(path, "FO-V05", "'Envelopes'!C2")
    assert "decimal comma" in found.message and "e.g. 9.5" in found.hint


# -- accepted silently no more ----------------------------------------------------------------
@pytest.mark.parametrize("twin", ["Cumbria", "cumbriа", "cum\u200bbria"])  # case, Cyrillic а, ZWSP
def test_near_duplicate_ids_are_refused_naming_both_rows(tmp_path: Path, twin: str) -> None:
    def add_twin(wb: openpyxl.Workbook) -> None:
        ws = wb["Recipients"]
        ws.append([twin, "Twin", "force", "North West", None, None, 1])

    path = edited(tmp_path, add_twin)
    found = cell_issue(path, "FO-V33", "'Recipients'!A3")
    assert "row 1 of the table" in found.message or "invisible" in found.message


def test_a_year_typed_as_a_number_is_read_with_a_warning(tmp_path: Path) -> None:
    path = edited(tmp_path, _set(("Envelopes", "B2", 2026)))
    with untouched(path):
        problem = read_workbook(path)
    (warning,) = [w for w in problem.warnings if w.code == "FO-V13"]
    assert warning.severity is Severity.WARNING and str(warning).startswith("'Envelopes'!B2:")
    assert "read as the fiscal year 2026-27" in warning.message


def test_a_negative_need_weight_names_its_cell(tmp_path: Path) -> None:
    path = edited(tmp_path, _set(("Recipients", "G2", -1)))
    cell_issue(path, "FO-V16", "'Recipients'!G2")


# -- a validated problem changed afterwards ---------------------------------------------------
def test_a_nan_put_into_a_validated_table_is_read_as_validation_reads_it() -> None:
    problem = fo.read_workbook("models/england_wales_soc.xlsx")
    blank = problem.replace(recipients=problem.recipients.assign(
        need_weight=problem.recipients["need_weight"].where(
            problem.recipients["recipient"] != "cumbria", None)))
    problem.recipients.loc[problem.recipients["recipient"] == "cumbria", "need_weight"] = math.nan
    plan = fo.solve(problem)  # once: HiGHS ran without end on the NaN in the LP
    assert plan.fingerprint == fo.solve(blank).fingerprint


def test_a_wrong_value_put_into_a_validated_table_is_refused_naming_its_cell() -> None:
    problem = fo.read_workbook("models/england_wales_soc.xlsx")
    problem.envelopes.loc[problem.envelopes.index[0], "amount"] = "ten million"
    with pytest.raises(fo.InputError) as caught:
        fo.solve(problem)
    assert "'Envelopes'!C" in str(caught.value)


# -- API misuse ------------------------------------------------------------------------------
def test_api_misuse_is_a_usage_error_saying_what_to_pass(tmp_path: Path) -> None:
    problem = fo.read_workbook("models/england_wales_soc.xlsx")
    calls = {
        "solve(None)": lambda: fo.solve(None),  # type: ignore[arg-type]
        "solve(path)": lambda: fo.solve("budget.xlsx"),  # type: ignore[arg-type]
        "verify(p, None)": lambda: fo.verify(problem, None),  # type: ignore[arg-type]
        "write_workbook(None)": lambda: fo.write_workbook(None, tmp_path / "x.xlsx"),  # type: ignore[arg-type]
        "Scenario(str)": lambda: fo.Scenario("x", ("str",)),  # type: ignore[arg-type]
        "executor": lambda: fo.sweep(problem, [], executor=object()),  # type: ignore[arg-type]
    }
    for name, call in calls.items():
        with pytest.raises(UsageError) as caught:
            call()
        assert caught.value.exit_code == ExitCode.USAGE and isinstance(caught.value, TypeError)
        assert " must be " in str(caught.value), name
    with pytest.raises(UsageError, match=r"fo\.read_workbook"):
        fo.solve("budget.xlsx")  # type: ignore[arg-type]
    assert not (tmp_path / "x.xlsx").exists()
    with pytest.raises(fo.InputError, match="money_unit"):
        fo.Settings(money_unit="£bn")  # type: ignore[arg-type]


def test_a_plan_checked_against_another_problem_says_so() -> None:
    from builders import tiny

    plan = fo.solve(tiny())
    other = fo.read_workbook("models/england_wales_soc.xlsx")
    with pytest.raises(UsageError, match="made for another problem"):
        fo.verify(other, plan)


# -- huge numbers through the Scenarios sheet ---------------------------------------------------
REFERENCE = Path("models/england_wales_soc.xlsx")


def _with_scenario(folder: Path, override: str, value: float, **cells: str) -> tuple[Path, str]:
    """The reference model with one more row on its Scenarios sheet; (path, its value cell)."""
    path = folder / "scenarios.xlsx"
    wb = openpyxl.load_workbook(REFERENCE)
    ws = wb["Scenarios"]
    top = next(r for r in range(1, 11) if ws.cell(r, 1).value == "scenario")  # under a note
    header = [c.value for c in ws[top]]
    row = ws.max_row + 1
    for name, text in {"scenario": "huge", "override": override, **cells}.items():
        ws.cell(row, header.index(name) + 1, text)
    value_cell = ws.cell(row, header.index("value") + 1, value)
    wb.save(path)
    return path, value_cell.coordinate


@pytest.mark.parametrize(("override", "value", "code"), [
    ("set_envelope", 1e20, "FO-V17"),  # £m: refused as the cell is read, as on any sheet
    ("scale_envelope", 1e20, "FO-V17"),
    ("scale_envelope", 1e300, "FO-V05"),  # the envelope overflows to inf
    ("set_cliff_edge", 1e300, "FO-V08"),
    ("set_setting", 1e300, "FO-V00"),
])
def test_a_huge_number_on_the_scenarios_sheet_is_refused_naming_its_cell(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], override: str, value: float,
        code: str) -> None:
    stream, year = read_workbook(REFERENCE).envelopes[["stream", "year"]].iloc[0]
    cells, api = {
        "set_envelope": ({"stream": stream, "year": year}, None),
        "scale_envelope": ({"stream": stream}, fo.ScaleEnvelope(stream, None, value)),
        "set_cliff_edge": ({}, fo.SetCliffEdge(None, value)),
        "set_setting": ({"setting": "need_penalty"}, fo.SetSetting("need_penalty", value)),
    }[override]
    path, cell = _with_scenario(tmp_path, override, value, **cells)
    problem = read_workbook(path)
    with untouched(path), pytest.raises(fo.InputError) as caught:
        fo.read_scenarios(path, problem)
    (found,) = caught.value.issues  # once, though a rate is refused in each cliff-edge row
    assert found.code == code and str(found).startswith(f"'Scenarios'!{cell}: ")
    if api is not None:  # the words the API gives for the same override, at the sheet's cell
        with pytest.raises(fo.InputError) as direct:
            fo.Scenario("huge", (api,)).apply(problem)
        assert found.message == direct.value.issues[0].message
        assert found.code == direct.value.issues[0].code
    with untouched(path):
        exit_code = cli.main(["compare", "--lp-only", str(path), "-o", str(tmp_path / "c.xlsx")])
    text = "".join(capsys.readouterr())
    assert exit_code == ExitCode.INPUT and "Traceback" not in text
    assert f"{code} 'Scenarios'!{cell}: " in text and text.count("'Scenarios'!") == 1


# -- merged cells outside a table -------------------------------------------------------------
@pytest.mark.parametrize("merged", ["J2:M5", "H3:K3", "A70:C72"])  # to the right; below
def test_merged_cells_outside_a_table_are_accepted(tmp_path: Path, merged: str) -> None:
    path = edited(tmp_path, lambda wb: wb["Recipients"].merge_cells(merged))
    with untouched(path):
        problem = read_workbook(path)
    assert not [w for w in problem.warnings if w.code == "FO-S07"]
    assert len(problem.recipients) == len(read_workbook(template(tmp_path, "plain.xlsx"))
                                           .recipients)


@pytest.mark.parametrize("merged", ["G1:H1", "A2:A3"])  # the last header and beyond; two rows
def test_merged_cells_overlapping_a_table_are_still_refused(tmp_path: Path, merged: str) -> None:
    path = edited(tmp_path, lambda wb: wb["Recipients"].merge_cells(merged))
    assert str(issue(path, "FO-S07")).startswith(f"'Recipients'!{merged}:")


# -- a damaged list of sheets ---------------------------------------------------------------------
def _rewrite(path: Path, change: Callable[[str, bytes], bytes | None]) -> None:
    """Rewrite an xlsx part by part; a part ``change`` returns None for is left out."""
    with zipfile.ZipFile(path) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items:
            new = change(name, data)
            if new is not None:
                z.writestr(name, new)


@pytest.mark.parametrize(("damage", "words"), [
    ("sheets emptied", ("it has no sheets (its list of sheets, xl/workbook.xml, is empty",)),
    ("sheets tag renamed", ("it lists the sheets {0}, {1}, {2}, {3}, {4} and ",
                            "more, but none of them could be read")),
    ("a sheet's part missing", ("it lists the sheet 'Recipients', but it could not be read",)),
])
def test_a_damaged_list_of_sheets_is_one_clear_message(tmp_path: Path, damage: str,
                                                       words: tuple[str, ...],
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(REFERENCE.read_bytes())
    names = [f"'{name}'" for name in openpyxl.load_workbook(path).sheetnames]
    recipients = sheet_part(path, "Recipients")  # once: 1,370 messages

    def change(name: str, data: bytes) -> bytes | None:
        if damage == "sheets emptied" and name == "xl/workbook.xml":
            return re.sub(rb"<sheets>.*</sheets>", b"<sheets></sheets>", data)
        if damage == "sheets tag renamed" and name == "xl/workbook.xml":
            return data.replace(b"<sheets>", b"<sheetz>").replace(b"</sheets>", b"</sheetz>")
        return None if damage == "a sheet's part missing" and name == recipients else data

    _rewrite(path, change)
    err = read_error(path)
    (found,) = err.issues
    assert found.code == "FO-F06" and all(w.format(*names) in found.message for w in words)
    assert "repair" in found.hint
    exit_code, text = _cli(path, capsys)
    assert exit_code == ExitCode.INPUT and text.count("FO-") == 1


def test_a_workbook_with_none_of_the_template_sheets_is_one_message(tmp_path: Path) -> None:
    path = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "budget"
    wb.save(path)
    (found,) = read_error(path).issues
    assert found.code == "FO-S01" and "not a fundopt input workbook" in found.message
    assert found.found == "sheets: 'Sheet'" and "fundopt template" in found.hint


# -- a rule nothing can fund: relaxed like any other ------------------------------------------
M = 1_000_000


def _unfundable(kind: str) -> tuple[fo.FundingProblem, str, str, int]:
    """A two-force problem (force b is worth twice force a a pound; stream 'core' £100m a
    year funds anyone, stream 'other' £10m funds nobody) with one rule no allocation can
    count towards; (problem, that rule, its cell once written, the pounds it misses by)."""
    from builders import frame, tiny, values

    years = ("2025-26", "2026-27", "2027-28") if kind == "commitment after last year" \
        else ("2025-26", "2026-27")
    horizon = years[1:]
    base = tiny(years=years, value_tranches=values(a=1.0, b=2.0))
    two = base.replace(
        streams=frame(stream=["core", "other"], name=["Core grant", "Other grant"]),
        envelopes=frame(stream=["core"] * len(horizon) + ["other"] * len(horizon),
                        year=[*horizon, *horizon], amount=[100 * M] * len(horizon)
                        + [10 * M] * len(horizon),
                        must_spend=[False] * len(horizon)
                        + [kind == "must-spend envelope"] * len(horizon)))
    commitment = {"recipient": ["a"], "activity": ["lp"], "first_year": ["2026-27"],
                  "amount": [3 * M]}
    if kind == "must-spend envelope":
        return two, "envelope[other,2026-27]", "'Envelopes'!C3", 10 * M
    if kind == "commitment from an ineligible stream":
        return (two.replace(commitments=frame(**commitment, stream=["other"],
                                              last_year=["2026-27"])),
                "commitment[a,lp,other,2026-27]", "'Commitments'!F2", 3 * M)
    if kind == "commitment after last year":
        a_ends = two.recipients.assign(last_year=["2026-27", None])
        return (two.replace(recipients=a_ends, commitments=frame(
                    **commitment, stream=[None], last_year=["2027-28"])),
                "commitment[a,lp,*,2027-28]", "'Commitments'!F2", 3 * M)
    return (two.replace(requirements=frame(threat=["fraud"], year=["2026-27"], region=[None],
                                           amount=[5 * M])),
            "requirement[fraud,*,2026-27]", "'National requirements'!D2", 5 * M)


UNFUNDABLE = ["must-spend envelope", "commitment from an ineligible stream",
              "commitment after last year", "requirement for a threat nobody may be funded for"]


@pytest.mark.parametrize("kind", UNFUNDABLE)
def test_a_rule_nothing_can_fund_is_relaxed_like_any_other(tmp_path: Path, kind: str,
                                                           capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    from fundopt.io import write_problem

    made, rule, cell, short = _unfundable(kind)
    path = write_problem(made, tmp_path / "in.xlsx")
    problem = read_workbook(path)
    plan = fo.solve(problem, on_infeasible="relax")
    assert plan.status is fo.PlanStatus.RELAXED and plan.passed
    (breach,) = plan.breaches.itertuples()
    assert (breach.rule, breach.amount, breach.where) == (rule, short, cell)
    # every other rule holds, and the rest is the best plan: all of core to b, worth twice
    # a, but for a's £3m commitment in 2026-27 where that one can be funded
    assert fo.verify(problem, plan)["rule"].tolist() == [rule]
    by = plan.allocations.groupby(["recipient", "stream", "year"])["amount"].sum()
    kept = 3 * M if kind == "commitment after last year" else 0
    assert by.get(("a", "core", "2026-27"), 0) == kept
    assert by[("b", "core", "2026-27")] == 100 * M - kept
    assert plan.allocations.loc[plan.allocations["stream"] == "other", "amount"].sum() == 0
    out = tmp_path / "out"
    out.mkdir()
    with untouched(path):
        assert cli.main(["solve", str(path), "-o", str(out / "plan.xlsx"), "--relax"]) == 0
    text = "".join(capsys.readouterr())
    assert "1 promise(s) were broken" in text and "Traceback" not in text
    assert (out / "plan.xlsx").exists()


@pytest.mark.parametrize("kind", UNFUNDABLE)
def test_a_rule_nothing_can_fund_is_named_with_its_cell_and_cheapest_fix(
        tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    from fundopt.formulation import build_model
    from fundopt.io import write_problem

    made, rule, cell, short = _unfundable(kind)
    path = write_problem(made, tmp_path / "in.xlsx")
    with pytest.raises(fo.InfeasibleError, match="no allocation can meet it"):
        build_model(made)  # a Pyomo constraint cannot be a constant: refused there
    recorded = build_model(made, pyomo=False)  # kept, with no variable, in the LP's numbers
    assert [recorded.rows[i].info.rule for i in recorded.unmeetable] == [rule]
    with pytest.raises(fo.InfeasibleError) as caught:
        fo.solve(read_workbook(path))
    table = caught.value.diagnosis.to_frame()
    first = table.iloc[0]
    assert (first["rule"], first["shortfall_pounds"]) == (rule, short)
    assert f"'{first['sheet']}'!{first['cell']}" == cell
    if kind == "must-spend envelope":  # the closed-form checks do not see this one
        assert caught.value.diagnosis.of("check")[0].where == "'Envelopes'!C3,D3"
        assert "no recipient may be funded from stream 'other' that year" in str(caught.value)
        assert ("let £10.0m of the must-spend envelope of stream 'other' go unspent in "
                "2026-27 ('Envelopes'!C3)") in str(caught.value)
    out = tmp_path / "out"
    out.mkdir()
    with untouched(path):
        code = cli.main(["solve", str(path), "-o", str(out / "plan.xlsx")])
    text = "".join(capsys.readouterr())
    assert code == ExitCode.INFEASIBLE and cell in text and "Traceback" not in text
    assert not (out / "plan.xlsx").exists() and (out / "plan-diagnosis.xlsx").exists()


# -- bloated but legal files ------------------------------------------------------------------
@functools.cache
def _recipients() -> tuple[str, int]:
    """The part of the reference model's Recipients sheet, and the last row of its table."""
    return sheet_part(REFERENCE, "Recipients"), openpyxl.load_workbook(REFERENCE)[
        "Recipients"].max_row


def _below_recipients(folder: Path, rows: str, name: str = "bloated.xlsx") -> Path:
    """The reference model with ``rows`` (sheet XML) added below the Recipients table."""
    path = folder / name
    path.write_bytes(REFERENCE.read_bytes())
    patch_part(path, _recipients()[0], lambda xml: xml.replace("</sheetData>",
                                                               rows + "</sheetData>"))
    return path


def _formatted_cells(first_row: int, rows: int, columns: int) -> str:
    letters = [get_column_letter(c) for c in range(1, columns + 1)]
    return "".join(f'<row r="{r}">' + "".join(f'<c r="{x}{r}" s="1"/>' for x in letters)
                   + "</row>" for r in range(first_row, first_row + rows))


def _cells_loaded(path: Path) -> int:
    """How many cell objects openpyxl makes of the Recipients sheet fundopt reads."""
    data = path.read_bytes()
    wb = openpyxl.load_workbook(io.BytesIO(slim_package(data, path, SafetyLimits())))
    return len(wb["Recipients"]._cells)


@pytest.mark.parametrize("bloat", ["1M formatted empty cells", "1M formatted empty rows"])
def test_formatting_without_data_costs_no_more_than_the_data(
        tmp_path: Path, bloat: str, capsys: pytest.CaptureFixture[str]) -> None:
    # once 234 s and 3 GB (cells), 88 s (rows): openpyxl made an object of each
    below = _recipients()[1] + 1
    rows = _formatted_cells(below, 1_000, 1_000) if bloat.endswith("cells") else "".join(
        f'<row r="{r}" s="1" customFormat="1"/>' for r in range(below, below + 1_000_000))
    path = _below_recipients(tmp_path, rows)
    assert path.stat().st_size > 2_000_000
    start = time.perf_counter()
    with untouched(path):
        problem = read_workbook(path)
    assert time.perf_counter() - start < 60  # about 3 s here; a loose bound for busy machines
    reference = read_workbook(REFERENCE)
    for name, table in reference.tables().items():
        pd.testing.assert_frame_equal(getattr(problem, name), table)
    assert _cells_loaded(path) == _cells_loaded(REFERENCE)  # bounded by the data itself
    assert _cli(path, capsys)[0] == ExitCode.OK


@pytest.mark.parametrize(("cell", "code"), [("A1048576", "FO-S10"), ("XFD2", "FO-S04")])
def test_one_stray_value_far_away_costs_one_cell(tmp_path: Path, cell: str, code: str) -> None:
    # once 82 s and 3.4 GB (A1048576): every row in between was made and looked at
    path = tmp_path / "stray.xlsx"
    wb = openpyxl.load_workbook(REFERENCE)
    wb["Recipients"][cell] = "stray"
    wb.save(path)
    start = time.perf_counter()
    cell_issue(path, code, f"'Recipients'!{cell}")
    assert time.perf_counter() - start < 30  # about 1 s


def test_a_cell_placed_by_counting_keeps_its_place(tmp_path: Path) -> None:
    # a cell with no r is placed after the one before it: the formatted A is kept, so the
    # value stays in B, and the sheet is not slimmed although it has 1 MB of formatting
    r = _recipients()[1] + 2  # after a blank row
    rows = f'<row r="{r}"><c r="A{r}" s="1"/><c t="inlineStr"><is><t>stray</t></is></c></row>'
    path = _below_recipients(tmp_path, rows + _formatted_cells(r + 1, 100, 500))
    assert slim_package(path.read_bytes(), path, SafetyLimits()) == path.read_bytes()
    found = cell_issue(path, "FO-S10", f"'Recipients'!B{r}")
    assert found.found == "'stray'"


def test_a_formatted_cell_is_removed_whole_and_nothing_else(tmp_path: Path) -> None:
    sheet = ('<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             '<x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>recipient</x:t>'
             '</x:is></x:c><x:c r="B1" s="2" foo="/&gt;&lt;"/><x:c r="C1" s="1"></x:c>'
             '<x:c r="D1"><x:v>5</x:v></x:c><x:c r="E1"><x:f>1+1</x:f></x:c></x:row>'
             '<x:row r="2" s="1" customFormat="1"/>'
             + "".join(f"<x:row r='{r}' hidden='1' />" for r in range(3, 60_003))
             + '</x:sheetData></x:worksheet>')
    path = tmp_path / "prefixed.xlsx"
    with zipfile.ZipFile(REFERENCE) as z, zipfile.ZipFile(path, "w") as out:
        for info in z.infolist():
            out.writestr(info, sheet if info.filename == _recipients()[0] else z.read(info))
    with zipfile.ZipFile(io.BytesIO(slim_package(path.read_bytes(), path, SafetyLimits()))) as z:
        slim = z.read(_recipients()[0]).decode()
    assert slim == ('<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                    'main"><x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>'
                    'recipient</x:t></x:is></x:c><x:c r="D1"><x:v>5</x:v></x:c><x:c r="E1">'
                    '<x:f>1+1</x:f></x:c></x:row></x:sheetData></x:worksheet>')


def test_too_many_shared_strings_are_refused_before_loading(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 3M took 98 s; openpyxl reads each shared string, used by a cell or not
    path = tmp_path / "strings.xlsx"
    path.write_bytes(REFERENCE.read_bytes())
    sst = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           + "".join(f"<si><t>s{i}</t></si>" for i in range(60_000)) + "</sst>")
    types = ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
             'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    with zipfile.ZipFile(REFERENCE) as z, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():
            data = z.read(info)
            out.writestr(info.filename, data.replace(b"</Types>", types.encode())
                         if info.filename == "[Content_Types].xml" else data)
        out.writestr("xl/sharedStrings.xml", sst)
    err = read_error(path)
    assert isinstance(err, SecurityError) and err.issues[0].code == "FO-X04"
    assert "holds 60,000 different texts (shared strings; limit 50,000)" in str(err)
    assert _cli(path, capsys)[0] == ExitCode.SECURITY
    read_workbook(path, limits=SafetyLimits(max_shared_strings=60_000))  # a limit, not a ban


def test_too_many_cells_with_data_are_refused_naming_the_fullest_sheet(tmp_path: Path) -> None:
    path = tmp_path / "model.xlsx"
    path.write_bytes(REFERENCE.read_bytes())
    wb = openpyxl.load_workbook(path)
    data = {ws.title: sum(c.value is not None for row in ws.iter_rows() for c in row)
            for ws in wb.worksheets}
    fullest = max(data, key=lambda name: data[name])
    found = issue(path, "FO-X04", limits=SafetyLimits(max_cells=sum(data.values()) - 1))
    assert (f"has {sum(data.values()):,} cells with data ({data[fullest]:,} on sheet "
            f"'{fullest}'; limit {sum(data.values()) - 1:,} in a workbook)") in found.message


def test_a_sheet_in_utf16_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "utf16.xlsx"
    path.write_bytes(REFERENCE.read_bytes())
    part = _recipients()[0]
    _rewrite(path, lambda name, data: data.decode().encode("utf-16") if name == part else data)
    found = issue(path, "FO-F06")
    assert f"has a part in UTF-16 ({part})" in found.message


def _linked(folder: Path, link: str) -> Path:
    path = folder / "linked.xlsx"
    path.write_bytes(REFERENCE.read_bytes())
    patch_part(path, _recipients()[0], lambda xml: xml.replace(
        "<pageMargins", f"<hyperlinks>{link}</hyperlinks><pageMargins", 1))
    return path


def test_a_hyperlink_over_a_column_costs_nothing(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # once 258 s and 8.8 GB: openpyxl made a cell for each of the million it covers
    path = _linked(tmp_path, """<hyperlink ref="H1:H1048576" location="'Years'!A1"/>""")
    start = time.perf_counter()
    with untouched(path):
        problem = read_workbook(path)
    assert time.perf_counter() - start < 30  # about 1 s
    pd.testing.assert_frame_equal(problem.recipients, read_workbook(REFERENCE).recipients)
    assert _cells_loaded(path) == _cells_loaded(REFERENCE)
    assert _cli(path, capsys)[0] == ExitCode.OK


def test_a_hyperlink_over_a_range_that_cannot_be_removed_is_refused(tmp_path: Path) -> None:
    path = _linked(tmp_path, '<hyperlink ref="H1:I1000000"><x/></hyperlink>')  # not Excel's
    err = read_error(path)
    assert isinstance(err, SecurityError) and err.issues[0].code == "FO-X05"
    assert "a hyperlink over 2,000,000 cells (limit 100,000)" in str(err)
