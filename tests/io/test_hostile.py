"""Hostile input (issue 14): each kind gets a clear message naming the sheet and cell where
one is at fault, a documented exit code, no traceback, and the input left untouched."""

from __future__ import annotations

import math
import os
import zipfile
from pathlib import Path

import openpyxl
import pytest
from xlsx_fixtures import cell_issue, edited, issue, read_error, template, untouched

import fundopt as fo
from fundopt import cli
from fundopt.errors import ExitCode, SecurityError, Severity, UsageError
from fundopt.io import read_workbook


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
