"""Template -> read -> solve -> write -> read back: every number is the Plan's, exactly.
Also: LibreOffice can open (and print) the results workbook."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from plans import sheet_rows
from xlsx_fixtures import template, untouched

from fundopt.io import read_workbook, write_workbook
from fundopt.plan import Plan
from fundopt.plan.solve import solve


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, Path]:
    folder = tmp_path_factory.mktemp("roundtrip")
    path = template(folder)
    with untouched(path):
        problem = read_workbook(path)
        plan = solve(problem)
    out = write_workbook(plan, folder / "plan.xlsx")
    return plan, out


def _same(cell: object, value: object, unit: float = 1.0) -> bool:
    """Money (whole pounds over the unit) is exact; openpyxl writes every number with 16
    significant digits (Excel keeps 15), so a ratio is compared as written."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return cell is None
    if isinstance(value, str):
        return cell == value
    expected = float(value) / unit  # type: ignore[arg-type]
    return cell == float(f"{expected:.16g}") and math.isclose(cell, expected, rel_tol=1e-15)


def test_allocations_match(solved: tuple[Plan, Path]) -> None:
    plan, out = solved
    rows = sheet_rows(out, "Allocations")
    got = {(r["recipient"], r["activity"], r["stream"], r["year"]): r["amount (£m)"] for r in rows}
    want = {(r, a, s, y): v for r, a, s, y, v in plan.allocations[
        ["recipient", "activity", "stream", "year", "amount"]].itertuples(index=False, name=None)}
    assert got.keys() == want.keys()
    for key, amount in want.items():
        assert got[key] == amount / 1_000_000
        assert round(got[key] * 1_000_000) == amount


def test_totals_match(solved: tuple[Plan, Path]) -> None:
    plan, out = solved
    rows = {r["recipient"]: r for r in sheet_rows(out, "Recipients by year")}
    for t in plan.totals.to_dict("records"):
        row = rows[t["recipient"]]
        assert _same(row[f"total {t['year']} (£m)"], t["total_funding"], 1e6)
        assert _same(row[f"change {t['year']} (%)"], t["change_rate"])
        assert _same(row[f"headroom {t['year']} (£m)"], t["headroom"], 1e6)


def test_stream_use_shadow_prices_and_checks_match(solved: tuple[Plan, Path]) -> None:
    plan, out = solved
    for got, want in zip(sheet_rows(out, "Stream use"), plan.stream_use.to_dict("records"),
                         strict=True):
        for col in ("envelope", "carry_in", "spent", "carry_out", "unspent"):
            assert _same(got[f"{col} (£m)"], want[col], 1e6)
    for got, want in zip(sheet_rows(out, "Shadow prices"), plan.shadow_prices.to_dict("records"),
                         strict=True):
        assert got["rule"] == want["rule"] and _same(got["value"], want["value"])
    checks = sheet_rows(out, "Checks")
    assert len(checks) == len(plan.checks)
    for got, want in zip(checks, plan.checks.to_dict("records"), strict=True):
        assert got["rule"] == want["rule"]
        assert _same(got["lhs"], want["lhs"]) and _same(got["rhs"], want["rhs"])
        assert got["passed"] == bool(want["passed"])
    wb = openpyxl.load_workbook(out)
    assert wb["Checks"]["B1"].value is plan.passed is True
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(min_row=3, max_row=8, values_only=True)}
    assert summary["objective"] == plan.objective
    terms = {r["term"]: r["value"] for r in sheet_rows(out, "Summary", header_row=11)}
    assert terms == dict(plan.objective_terms)


def test_envelope_is_spent_to_the_penny_in_the_stated_unit(solved: tuple[Plan, Path]) -> None:
    plan, out = solved
    rows = sheet_rows(out, "Allocations")
    envelope = float(plan.problem.envelopes["amount"].sum())
    assert round(sum(r["amount (£m)"] for r in rows) * 1_000_000) == envelope  # type: ignore[misc]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_converts_the_results_to_pdf(solved: tuple[Plan, Path],
                                                  tmp_path: Path) -> None:
    _, out = solved
    profile = tmp_path / "profile"
    proc = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
         "pdf", "--outdir", str(tmp_path), str(out)],
        capture_output=True, text=True, timeout=180, check=False,
    )
    pdf = tmp_path / "plan.pdf"
    assert proc.returncode == 0, proc.stderr
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_size > 10_000
