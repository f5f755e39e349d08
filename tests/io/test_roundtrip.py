"""Template -> read -> solve -> write -> read back: every number is the Plan's, exactly.
Also: LibreOffice can open (and print) the results workbook."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from plans import sheet_rows, summary_facts, summary_table
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
    got = {(r["Recipient"], r["Activity"], r["Stream"], r["Year"]): r["Amount (£m)"]
           for r in rows}
    want = {(r, a, s, y): v for r, a, s, y, v in plan.allocations[
        ["recipient", "activity", "stream", "year", "amount"]].itertuples(index=False, name=None)}
    assert got.keys() == want.keys()
    for key, amount in want.items():
        assert got[key] == amount / 1_000_000
        assert round(got[key] * 1_000_000) == amount


def test_totals_match(solved: tuple[Plan, Path]) -> None:
    plan, out = solved
    rows = {r["Recipient"]: r for r in sheet_rows(out, "Recipients by year")}
    room = {r["Recipient"]: r for r in sheet_rows(out, "Headroom")}
    for t in plan.totals.to_dict("records"):
        row = rows[t["recipient"]]
        assert _same(row[f"Total {t['year']} (£m)"], t["total_funding"], 1e6)
        if t["year"] != plan.problem.baseline_year:
            assert _same(row[f"Change {t['year']} (%)"], t["change_rate"])
        if t["recipient"] in room and t["year"] != plan.problem.baseline_year:
            assert _same(room[t["recipient"]][f"Headroom {t['year']} (£m)"], t["headroom"], 1e6)


def test_stream_use_shadow_prices_and_checks_match(solved: tuple[Plan, Path]) -> None:
    plan, out = solved
    titles = {"envelope": "Envelope", "carry_in": "Carried in", "spent": "Spent",
              "carry_out": "Carried out", "unspent": "Unspent"}
    for got, want in zip(sheet_rows(out, "Stream use"), plan.stream_use.to_dict("records"),
                         strict=True):
        for col, title in titles.items():
            assert _same(got[f"{title} (£m)"], want[col], 1e6)
    prices = {r["Rule id"]: r["Shadow price"] for r in sheet_rows(out, "Shadow prices")}
    assert prices.keys() == set(plan.shadow_prices["rule"])
    for rule, value in zip(plan.shadow_prices["rule"], plan.shadow_prices["value"], strict=True):
        assert _same(prices[rule], value)
    checks = sheet_rows(out, "Checks")
    assert len(checks) == len(plan.checks)
    for got, want in zip(checks, plan.checks.to_dict("records"), strict=True):
        assert got["Rule id"] == want["rule"]
        assert _same(got["Left side (£m)"], want["lhs"], 1e6)
        assert _same(got["Right side (£m)"], want["rhs"], 1e6)
        assert got["Passed"] == bool(want["passed"])
    wb = openpyxl.load_workbook(out)
    assert wb["Checks"]["B1"].value is plan.passed is True
    assert summary_facts(out)["Value of the plan (£m of value)"] == plan.objective / 1e6
    terms = summary_table(out, "What was optimised")
    assert [v for _, v in terms] == pytest.approx(
        [v / 1e6 for v in (plan.objective_terms["value"], plan.objective_terms["need_penalty"],
                           plan.objective_terms["volatility_penalty"], plan.objective)],
        rel=1e-12)


def test_envelope_is_spent_to_the_penny_in_the_stated_unit(solved: tuple[Plan, Path]) -> None:
    plan, out = solved
    rows = sheet_rows(out, "Allocations")
    envelope = float(plan.problem.envelopes["amount"].sum())
    assert round(sum(r["Amount (£m)"] for r in rows) * 1_000_000) == envelope  # type: ignore[misc]


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
