"""`fundopt solve` with no arguments, as a finance analyst first meets it: the workbook's
Summary, Winners and losers and Sources sheets, rendered by LibreOffice to PDF and read
back as text."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from fundopt import cli

NEEDS = pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                           reason="LibreOffice (soffice) and poppler (pdftotext) not installed")
SHOWN = ("Summary", "Winners and losers", "Sources")


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("solve")
    cwd = Path.cwd()
    try:
        import os

        os.chdir(where)
        assert cli.main(["solve"]) == 0
    finally:
        os.chdir(cwd)
    return where / "england_wales_soc-plan.xlsx"


def test_solve_writes_summary_winners_and_sources(written: Path) -> None:
    wb = openpyxl.load_workbook(written, read_only=True)
    assert wb.sheetnames[:2] == ["Summary", "Winners and losers"]
    assert wb.sheetnames[-2:] == ["Sources", "Audit"]  # how the plan was made stays last
    summary = [[c for c in row if c is not None] for row in wb["Summary"].iter_rows(
        values_only=True)]
    text = "\n".join(" | ".join(str(c) for c in row) for row in summary)
    # the largest winners are the East Midlands forces, moving towards need at the pace
    # their rise limit allows; the largest loser gives up a little growth
    gains = next(i for i, row in enumerate(summary) if row[:1] == ["Largest gains"])
    assert summary[gains + 1][:2] == ["Nottinghamshire", "force"]
    assert summary[gains + 1][4] == pytest.approx(44.84, abs=0.01)  # £m over the plan
    assert "its rise limit binds in 2027-28" in text
    assert "above its needs target" in text
    assert "INDICATIVE: 2 years (2029-30, 2030-31) are planned on indicative money" in text
    wl = list(wb["Winners and losers"].iter_rows(values_only=True))
    header = next(r for r in wl if r and r[0] == "Recipient")
    assert "Difference (£m)" in header and "Year status" in header


@NEEDS
def test_the_rendered_pages_read_as_a_finance_analyst_needs(written: Path,
                                                             tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(written)
    for name in wb.sheetnames:
        if name not in SHOWN:
            del wb[name]
    pages = tmp_path / "pages.xlsx"
    wb.save(pages)
    profile = tmp_path / "profile"
    proc = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
         "pdf", "--outdir", str(tmp_path), str(pages)],
        capture_output=True, text=True, timeout=300, check=False)
    pdf = tmp_path / "pages.pdf"
    assert proc.returncode == 0 and pdf.is_file(), proc.stderr
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    for words in ("England and Wales police funding reference model",
                  "funding plan, 2027-28 to 2030-31",
                  "Against today's method", "Largest gains", "Largest losses",
                  "Nottinghamshire force 863.9 819.1 +44.8 +5.5%",
                  "over 2027-28 to 2030-31", "below its needs target", "indicative",
                  # the Winners and losers sheet
                  "Each recipient's allocation per year in this plan and under today's method",
                  # the Sources sheet (long cells wrap): the settlement and the missing table
                  "HC 1638 per-force table", "floor_2026_27", "4.022%", "published",
                  "estimated", "Welsh Government written"):
        assert words in " ".join(text.split()), words
