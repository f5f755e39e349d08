"""The workbooks as a person sees them: rendered by LibreOffice to PDF and read back.

For the results workbook of the reference model (with a winners-and-losers table and two
indicative years, so every Summary section and a banner are there), a fresh template and
the reference model's comparison workbook:

- the page count stays within a stated bound (no 1,718-page workbooks);
- nothing on the Summary is cut off: no '###' for a number too wide for its column, every
  word of every Summary cell appears whole on the Summary's pages, and a text cell that is
  neither wrapped nor merged fits its column or spills into empty cells;
- every table sheet has its header frozen and a filter on it.

Needs LibreOffice (``soffice``) and poppler's ``pdftotext``/``pdfinfo``; skipped without
them (.ci/run installs both).
"""

from __future__ import annotations

import dataclasses
import math
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from fundopt.io import write_template, write_workbook
from fundopt.io.compare import write_compare
from fundopt.io.render import HEADER_ROW
from fundopt.io.scenarios import read_scenarios
from fundopt.io.winners import SHEET, compare_spec

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "models" / "england_wales_soc.xlsx"
#: Most pages each workbook may print (the reference results workbook prints 56 with its
#: Winners and losers, Settlement, Reasons, Sensitivity and Sources sheets, 31 before
#: them; the Summary takes 2 or 3 of them, as its widest name sets its first column; the
#: comparison 20 with its Winners and losers, 16 before; the template 24; before these
#: bounds: 106, 1,718 and 44).
MOST_PAGES = {"results": 58, "comparison": 25, "template": 30}

pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("soffice", "pdftotext", "pdfinfo")),
    reason="LibreOffice (soffice) and poppler (pdftotext, pdfinfo) are needed")


def _pdf(workbook: Path, folder: Path) -> Path:
    profile = folder / "lo-profile"
    proc = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
         "pdf", "--outdir", str(folder), str(workbook)],
        capture_output=True, text=True, timeout=300, check=False)
    pdf = folder / f"{workbook.stem}.pdf"
    assert proc.returncode == 0 and pdf.is_file(), proc.stderr
    return pdf


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """name -> (workbook, its PDF)."""
    import fundopt as fo

    folder = tmp_path_factory.mktemp("rendered")
    problem = fo.read_workbook(REFERENCE)
    plan = fo.solve(problem)
    years = problem.years.copy()
    years.loc[years["year"].isin(problem.horizon[-2:]), "status"] = "indicative"
    plan = dataclasses.replace(plan, problem=problem.replace(years=years))
    results = write_workbook(plan, folder / "results.xlsx")  # with its Winners and losers
    template = write_template(folder / "template.xlsx")
    scenarios = read_scenarios(REFERENCE, problem)
    result = fo.compare(problem, scenarios, keep_plans=True)
    winners = {SHEET: compare_spec({name: p.against_todays_method
                                    for name, p in result.plans.items()})}
    compared = write_compare(result, folder / "comparison.xlsx", problem.settings.money_unit,
                             scenarios=scenarios, problem=problem, extra_sheets=winners)
    return {name: (path, _pdf(path, folder)) for name, path in
            (("results", results), ("template", template), ("comparison", compared))}


@pytest.mark.parametrize("name", list(MOST_PAGES))
def test_page_count_is_within_its_bound(rendered: dict[str, tuple[Path, Path]],
                                        name: str) -> None:
    info = subprocess.run(["pdfinfo", str(rendered[name][1])], capture_output=True, text=True,
                          check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    assert 1 < pages <= MOST_PAGES[name], pages


def _summary_pages(pages: list[str], workbook: Path) -> str:
    """The text of the Summary's pages: from the first page to the page before the next
    sheet's heading."""
    following = openpyxl.load_workbook(workbook).sheetnames[1]
    end = next(i for i, page in enumerate(pages)
               if page.lstrip().startswith(following) and i > 0)
    return "\n".join(pages[:end])


def _words(text: str) -> list[str]:
    # split at hyphens too: a wrapped line may break "local-priority" after its hyphen
    return re.findall(r"[A-Za-z0-9£%][A-Za-z0-9£%,.'()+]*[A-Za-z0-9%)m]|[A-Za-z0-9]", text)


def test_nothing_on_the_summary_is_cut_off(rendered: dict[str, tuple[Path, Path]]) -> None:
    workbook, pdf = rendered["results"]
    text = _summary_pages(_pages(pdf), workbook)
    assert "###" not in text  # a number wider than its column
    assert "RELAXED" not in text and "INDICATIVE: 2 years (2029-30, 2030-31)" in \
        " ".join(text.split())
    on_page = Counter(_words(text))
    ws = openpyxl.load_workbook(workbook)["Summary"]
    wanted: Counter[str] = Counter()
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                wanted.update(_words(cell.value))
    missing = {w: n - on_page[w] for w, n in wanted.items() if on_page[w] < n}
    assert not missing, missing  # every word of every cell, whole


def test_summary_columns_are_as_wide_as_their_text(
        rendered: dict[str, tuple[Path, Path]]) -> None:
    ws = openpyxl.load_workbook(rendered["results"][0])["Summary"]
    merged = {c for rng in ws.merged_cells.ranges for row in ws.iter_rows(
        min_row=rng.min_row, max_row=rng.max_row, min_col=rng.min_col, max_col=rng.max_col)
        for c in (cell.coordinate for cell in row)}
    for row in ws.iter_rows():
        for cell in row:
            if not isinstance(cell.value, str) or cell.coordinate in merged or \
                    cell.alignment.wrap_text:
                continue
            width = ws.column_dimensions[cell.column_letter].width
            spill = all(ws.cell(row=cell.row, column=c).value is None
                        for c in range(cell.column + 1, ws.max_column + 1))
            assert spill or len(cell.value) <= width, (cell.coordinate, cell.value, width)


def test_the_chart_starts_at_zero_and_sits_below_its_table(
        rendered: dict[str, tuple[Path, Path]]) -> None:
    ws = openpyxl.load_workbook(rendered["results"][0])["Summary"]
    # openpyxl does not read charts back: read the chart and its anchor from the package
    import zipfile

    with zipfile.ZipFile(rendered["results"][0]) as z:
        chart = z.read("xl/charts/chart1.xml").decode()
        drawing = z.read("xl/drawings/drawing1.xml").decode()
    assert re.search(r"<valAx>.*?<min val=\"0\" />", chart, re.S)  # the axis starts at 0
    top = int(re.search(r"<from>.*?<row>(\d+)</row>", drawing, re.S).group(1))  # 0-based
    height_cm = int(re.search(r'<ext cx="\d+" cy="(\d+)"', drawing).group(1)) / 360_000
    rows = math.ceil(height_cm / (15 * 2.54 / 72))  # rows of 15 points under the chart
    table_end = next(r for r in range(1, ws.max_row + 1)
                     if ws.cell(row=r, column=1).value == "2030-31")
    assert top >= table_end  # below the last row of its table
    for r in range(top + 1, top + rows + 2):  # and nothing underneath it
        assert all(ws.cell(row=r, column=c).value is None for c in range(1, 9)), r


@pytest.mark.parametrize("name", ["results", "comparison", "template"])
def test_every_table_sheet_has_a_frozen_header_and_a_filter(
        rendered: dict[str, tuple[Path, Path]], name: str) -> None:
    wb = openpyxl.load_workbook(rendered[name][0])
    not_tables = ("Summary", "Instructions", "Settings")  # a page, and a list of settings
    tables = [ws for ws in wb.worksheets if name == "comparison" or ws.title not in not_tables]
    assert len(tables) >= 5
    header = 1 if name == "template" else HEADER_ROW
    for ws in tables:
        assert ws.freeze_panes is not None and \
            int(re.sub(r"[A-Z]+", "", ws.freeze_panes)) == header + 1, ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith(f"A{header}:"), ws.title
        assert (ws.print_title_rows or "").replace("$", "") == f"{header}:{header}", ws.title
