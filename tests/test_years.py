"""Confirmed and indicative years (sheet *Years*, column ``status``)."""

from __future__ import annotations

import openpyxl
import pytest
from builders import frame, tiny

import fundopt as fo

YEARS = ("2025-26", "2026-27", "2027-28", "2028-29")


def test_blank_status_means_confirmed_and_indicative_years_are_listed() -> None:
    years = frame(year=list(YEARS), baseline=[True, False, False, False],
                  status=[None, None, "confirmed", "indicative"])
    problem = tiny(years=YEARS).replace(years=years)
    assert list(problem.years["status"]) == ["confirmed"] * 3 + ["indicative"]
    assert problem.indicative_years == ("2028-29",)


def test_a_confirmed_year_after_an_indicative_one_is_refused() -> None:
    years = frame(year=list(YEARS), baseline=[True, False, False, False],
                  status=[None, "indicative", "confirmed", "indicative"])
    with pytest.raises(fo.InputError) as err:
        tiny(years=YEARS).replace(years=years)
    (issue,) = err.value.issues
    assert issue.code == "FO-V22" and issue.column == "status" and issue.row == 2
    assert "2027-28 is confirmed but comes after the indicative year 2026-27" in issue.message


def test_a_workbook_without_the_status_column_still_reads(tmp_path) -> None:
    """Older workbooks have no `status` column: an optional column added later reads as blank."""
    src = tmp_path / "old.xlsx"
    fo.write_problem(tiny(), src)
    wb = openpyxl.load_workbook(src)
    ws = wb["Years"]
    col = next(c.column for c in ws[1] if c.value == "status")
    ws.delete_cols(col)
    wb.save(src)
    problem = fo.read_workbook(src)
    assert problem.indicative_years == ()
    assert set(problem.years["status"]) == {"confirmed"}
