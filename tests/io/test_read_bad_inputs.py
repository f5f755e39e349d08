"""One test per kind of bad input: the message names sheet and cell, the input is untouched,
and nothing is left behind in its folder."""

from __future__ import annotations

import datetime as dt
import io
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from xlsx_fixtures import (
    CELL_RE,
    cell_issue,
    edited,
    issue,
    patch_part,
    read_error,
    sheet_part,
    template,
    untouched,
)

from fundopt.errors import ExitCode, SecurityError, Severity
from fundopt.io import SafetyLimits, read_workbook


def _set(sheet: str, cell: str, value: object):
    def change(wb: openpyxl.Workbook) -> None:
        wb[sheet][cell] = value

    return change


# -- sheets and headers ------------------------------------------------------------------
def test_renamed_sheet_is_named_with_a_suggestion_and_no_fallback(tmp_path: Path) -> None:
    path = edited(tmp_path, lambda wb: setattr(wb["Recipients"], "title", "Recipients (2)"))
    found = issue(path, "FO-S01")
    assert "'Recipients' not found" in found.message
    assert "Recipients (2)" in found.hint


def test_sheet_name_differing_in_case_is_not_matched(tmp_path: Path) -> None:
    path = edited(tmp_path, lambda wb: setattr(wb["Years"], "title", "years "))
    found = issue(path, "FO-S01")
    assert "'years '" in found.hint


def test_missing_sheets(tmp_path: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        del wb["Years"]
        del wb["Commitments"]

    err = read_error(edited(tmp_path, change))
    years = [i for i in err.issues if i.code == "FO-S01"]
    assert len(years) == 1 and "'Years' not found" in years[0].message
    optional = [i for i in err.issues if i.code == "FO-S02"]
    assert optional[0].severity is Severity.WARNING and "Commitments" in optional[0].message


def test_missing_optional_sheet_is_read_as_empty(tmp_path: Path) -> None:
    path = edited(tmp_path, lambda wb: wb.remove(wb["Commitments"]))
    with untouched(path):
        problem = read_workbook(path)
    assert len(problem.commitments) == 0
    assert [w.code for w in problem.warnings if w.code != "FO-S16"] == ["FO-S02"]  # FO-S16: the
    # template's example rows, still there


def test_missing_header(tmp_path: Path) -> None:
    path = edited(tmp_path, _set("Envelopes", "C1", None))
    found = cell_issue(path, "FO-S04", "'Envelopes'!C1")
    assert "'amount' is missing" in found.message


def test_unknown_header_suggests_the_close_name(tmp_path: Path) -> None:
    path = edited(tmp_path, _set("Envelopes", "C1", "amont (£m)"))
    found = cell_issue(path, "FO-S04", "'Envelopes'!C1")
    assert "did you mean 'amount'" in found.hint


def test_duplicate_header(tmp_path: Path) -> None:
    path = edited(tmp_path, _set("Envelopes", "E1", "amount (£m)"))
    found = cell_issue(path, "FO-S05", "'Envelopes'!E1")
    assert "'Envelopes'!C1" in found.message


def test_header_unit_must_match_the_money_unit(tmp_path: Path) -> None:
    path = edited(tmp_path, _set("Envelopes", "C1", "amount (£k)"))
    found = cell_issue(path, "FO-S15", "'Envelopes'!C1")
    assert "amount (£m)" in found.message


def test_changing_money_unit_without_headers_is_caught(tmp_path: Path) -> None:
    path = edited(tmp_path, _set("Settings", "B4", "£k"))
    err = read_error(path)
    cells = {i.cell for i in err.issues if i.code == "FO-S15"}
    assert {"C1"} <= cells  # e.g. 'Envelopes'!C1, 'Baselines'!C1
    assert len([i for i in err.issues if i.code == "FO-S15"]) >= 5


# -- cell values ---------------------------------------------------------------------------
def test_error_cell(tmp_path: Path) -> None:
    path = edited(tmp_path, _set("Envelopes", "C2", "#DIV/0!"))
    found = cell_issue(path, "FO-V03", "'Envelopes'!C2")
    assert "#DIV/0!" in found.message


@pytest.mark.parametrize("code", ["#SPILL!", "#CALC!"])
def test_new_error_codes(tmp_path: Path, code: str) -> None:
    path = template(tmp_path)
    part = sheet_part(path, "Envelopes")
    error = f'<c r="C2" t="e"><v>{code}</v></c>'
    patch_part(path, part, lambda xml: _replace_cell(xml, "C2", error))
    found = cell_issue(path, "FO-V03", "'Envelopes'!C2")
    assert code in found.message


def _replace_cell(xml: str, ref: str, new: str) -> str:
    import re

    out, n = re.subn(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)', new, xml, count=1)
    assert n == 1
    return out


def test_formula_without_saved_value(tmp_path: Path) -> None:
    path = edited(tmp_path, _set("Envelopes", "C2", "=5*2"))
    found = cell_issue(path, "FO-V02", "'Envelopes'!C2")
    assert found.found == "=5*2"
    assert "Excel" in found.hint


def test_formula_with_saved_value_is_read(tmp_path: Path) -> None:
    path = template(tmp_path)
    part = sheet_part(path, "Envelopes")
    saved = '<c r="C2"><f>5*2</f><v>10</v></c>'
    patch_part(path, part, lambda xml: _replace_cell(xml, "C2", saved))
    with untouched(path):
        problem = read_workbook(path)
    assert problem.envelopes["amount"].tolist() == [10_000_000.0]


@pytest.mark.parametrize(
    ("text", "code", "hint"),
    [
        ("£1.2m", "FO-V06", "type the number only (e.g. 1.2)"),
        ("1,234", "FO-V05", "without commas"),
        ("(5)", "FO-V07", "without brackets"),
        ("n/a", "FO-V04", "type a number"),
        ("5%", "FO-V08", "not a percentage"),
        ("ten", "FO-V05", "type a number"),
    ],
)
def test_text_where_money_belongs(tmp_path: Path, text: str, code: str, hint: str) -> None:
    path = edited(tmp_path, _set("Envelopes", "C2", text))
    found = cell_issue(path, code, "'Envelopes'!C2")
    assert repr(text) in str(found)
    assert hint in found.hint


def test_percentage_typed_as_text_in_a_share_column(tmp_path: Path) -> None:
    path = edited(tmp_path, _set("Cliff-edge limits", "B2", "5%"))
    found = cell_issue(path, "FO-V08", "'Cliff-edge limits'!B2")
    assert "as a number" in found.hint


def test_negative_money(tmp_path: Path) -> None:
    path = edited(tmp_path, _set("Baselines", "C2", -5))
    found = cell_issue(path, "FO-V16", "'Baselines'!C2")
    assert found.found == "-5"


def test_share_above_100_percent(tmp_path: Path) -> None:
    path = edited(tmp_path, _set("Cliff-edge limits", "B2", 5))
    found = cell_issue(path, "FO-V08", "'Cliff-edge limits'!B2")
    assert "5%" in found.hint


def test_true_in_an_amount(tmp_path: Path) -> None:
    path = edited(tmp_path, _set("Envelopes", "C2", True))
    cell_issue(path, "FO-V09", "'Envelopes'!C2")


def test_date_in_a_year_column(tmp_path: Path) -> None:
    path = edited(tmp_path, _set("Envelopes", "B2", dt.datetime(2026, 4, 1)))
    found = cell_issue(path, "FO-V10", "'Envelopes'!B2")
    assert "Text" in found.hint


def test_unknown_id(tmp_path: Path) -> None:
    path = edited(tmp_path, _set("Envelopes", "A2", "soc_grnat"))
    found = cell_issue(path, "FO-V18", "'Envelopes'!A2")
    assert "soc_grnat" in found.message


def test_duplicate_id(tmp_path: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        ws = wb["Recipients"]
        for col in range(1, ws.max_column + 1):
            ws.cell(row=3, column=col).value = ws.cell(row=2, column=col).value

    path = edited(tmp_path, change)
    cell_issue(path, "FO-V20", "'Recipients'!A3")


def test_blank_row_then_more_data(tmp_path: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        ws = wb["Other income"]
        ws.insert_rows(3)

    path = edited(tmp_path, change)
    found = cell_issue(path, "FO-S10", "'Other income'!A4")
    assert "ended at row 2" in found.message


def test_years_that_skip(tmp_path: Path) -> None:
    path = edited(tmp_path, _set("Years", "A3", "2027-28"))
    found = cell_issue(path, "FO-S06", "'Years'!A3")
    assert "2025-26 to 2027-28" in found.message


def test_merged_cells_in_a_table(tmp_path: Path) -> None:
    path = edited(tmp_path, lambda wb: wb["Recipients"].merge_cells("B2:C2"))
    found = issue(path, "FO-S07")
    assert str(found).startswith("'Recipients'!B2:C2:")
    assert CELL_RE.search(str(found))


def test_hidden_sheet_is_a_warning(tmp_path: Path) -> None:
    path = edited(tmp_path, lambda wb: setattr(wb["Streams"], "sheet_state", "hidden"))
    with untouched(path):
        problem = read_workbook(path)
    warnings = [w for w in problem.warnings if w.code == "FO-S03"]
    assert warnings and warnings[0].severity is Severity.WARNING
    assert warnings[0].sheet == "Streams"


def test_template_version_mismatch(tmp_path: Path) -> None:
    path = edited(tmp_path, _set("Settings", "B2", 2))
    cell_issue(path, "FO-S14", "'Settings'!B2")


def test_bad_setting_value(tmp_path: Path) -> None:
    path = edited(tmp_path, _set("Settings", "B5", "-0.1"))
    cell_issue(path, "FO-V05", "'Settings'!B5")


def test_negative_setting_is_located(tmp_path: Path) -> None:
    path = edited(tmp_path, _set("Settings", "B5", -0.1))
    found = issue(path, "FO-V00")
    assert str(found).startswith("'Settings'!B5:")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        wb["Envelopes"]["C2"] = "£10m"
        wb["Baselines"]["C2"] = -1
        wb["Recipients"]["C2"] = "forse"

    err = read_error(edited(tmp_path, change))
    where = {str(i).split(":")[0] for i in err.issues}
    assert {"'Envelopes'!C2", "'Baselines'!C2", "'Recipients'!C2"} <= where
    assert err.exit_code is ExitCode.INPUT
    frame = err.to_frame()
    assert set(frame["sheet"]) >= {"Envelopes", "Baselines", "Recipients"}
    for text in str(err).splitlines()[1:]:
        assert CELL_RE.search(text), text


# -- files ------------------------------------------------------------------------------------
def _file(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("old.xls", CFB + b"Workbook", "FO-F03"),
        ("secret.xlsx", CFB + "EncryptedPackage".encode("utf-16-le"), "FO-F04"),
        ("data.csv", b"recipient,amount\ncumbria,1.2\n", "FO-F08"),
        ("data.xlsx", b"recipient,amount\ncumbria,1.2\n", "FO-F08"),
        ("empty.xlsx", b"", "FO-F07"),
        ("noise.xlsx", bytes(range(256)) * 4, "FO-F06"),
    ],
)
def test_files_that_are_not_workbooks(tmp_path: Path, name: str, data: bytes, code: str) -> None:
    path = _file(tmp_path, name, data)
    found = issue(path, code)
    assert name in found.message
    assert found.hint


def test_truncated_workbook(tmp_path: Path) -> None:
    path = template(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    issue(path, "FO-F06")


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    issue(_file(tmp_path, "x.xlsx", buf.getvalue()), "FO-F13")


def test_xlsb(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.bin", b"\x00\x01")
    issue(_file(tmp_path, "x.xlsb", buf.getvalue()), "FO-F10")


def test_missing_file_and_folder(tmp_path: Path) -> None:
    template(tmp_path, "budget.xlsx")
    found = issue(tmp_path / "budgte.xlsx", "FO-F01")
    assert "budget.xlsx" in found.hint
    issue(tmp_path, "FO-F14")


# -- security ---------------------------------------------------------------------------------
def test_zip_bomb_ratio(tmp_path: Path) -> None:
    path = template(tmp_path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/zeros.bin", b"\x00" * 20_000_000)
    found = issue(path, "FO-X04")
    assert "compressed" in found.message
    assert isinstance(read_error(path), SecurityError)


def test_declared_size_cap(tmp_path: Path) -> None:
    path = template(tmp_path)
    found = issue(path, "FO-X04", limits=SafetyLimits(max_uncompressed_bytes=10_000))
    assert "would expand" in found.message


def test_huge_merged_range_is_refused_before_loading(tmp_path: Path) -> None:
    path = template(tmp_path)
    part = sheet_part(path, "Recipients")
    merge = '<mergeCells count="1"><mergeCell ref="D1:Z200000"/></mergeCells>'
    patch_part(path, part, lambda xml: xml.replace("</sheetData>", "</sheetData>" + merge))
    start = time.perf_counter()
    err = read_error(path)
    assert time.perf_counter() - start < 5
    assert isinstance(err, SecurityError) and err.exit_code is ExitCode.SECURITY
    assert err.issues[0].code == "FO-X05"


def test_doctype_is_refused(tmp_path: Path) -> None:
    path = template(tmp_path)
    part = sheet_part(path, "Recipients")
    bomb = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    patch_part(path, part, lambda xml: xml.replace("?>", "?>" + bomb, 1) if xml.startswith("<?xml")
               else bomb + xml)
    assert issue(path, "FO-X01")


def test_macros_in_a_macro_free_file(tmp_path: Path) -> None:
    path = template(tmp_path)
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("xl/vbaProject.bin", b"\x00" * 100)
    issue(path, "FO-X10")


def test_refuses_to_read_without_defusedxml(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl.xml

    path = template(tmp_path)
    monkeypatch.setattr(openpyxl.xml, "DEFUSEDXML", False)
    found = issue(path, "FO-E02")
    assert "defusedxml" in found.message
