"""Build the results workbook of a :class:`~fundopt.Plan`.

Every results sheet has a one-line description in A1 and its table's header in row
:data:`TABLE_HEADER_ROW` (the Summary and Strands and threats sheets stack several
titled tables). Money is shown in the template's unit; the numbers are the Plan's
pounds divided by the unit, unrounded, with a number format for display.
"""

from __future__ import annotations

import datetime as dt
import math
import platform
from collections.abc import Mapping
from dataclasses import fields
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from fundopt.io import report_tables as rt
from fundopt.io import winners
from fundopt.io.layout import MONEY_FORMATS, SHARE_FORMAT, TEMPLATE_VERSION
from fundopt.io.problem_sheets import write_extra_sheet
from fundopt.io.xlsx import (
    BAD_FILL,
    GOOD_FILL,
    HIGHLIGHT_FILL,
    TITLE_FONT,
    ExtraSheet,
    fit_columns,
    fit_page,
    set_value,
    write_frame,
)
from fundopt.plan import Plan
from fundopt.problem.schema import MoneyUnit

TABLE_HEADER_ROW = 3
SHEETS = ("Summary", "Allocations", "Recipients by year", "Strands and threats", "Stream use",
          "Shadow prices", "Binding rules", "Breaches", "Checks", "Audit")


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


class _Writer:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.unit = MoneyUnit(plan.problem.settings.money_unit)
        self.money_format = MONEY_FORMATS[self.unit]

    def headers(self, frame: pd.DataFrame, money: tuple[str, ...] = (),
                shares: tuple[str, ...] = ()) -> list[str]:
        return [f"{c} ({self.unit.value})" if c in money else f"{c} (%)" if c in shares else str(c)
                for c in frame.columns]

    def table(self, ws: Worksheet, note: str, frame: pd.DataFrame, *,
              money: tuple[str, ...] = (), shares: tuple[str, ...] = (), start_row: int = 0
              ) -> int:
        """A titled table; returns its last row."""
        row = start_row or 1
        set_value(ws.cell(row=row, column=1), note)
        ws.cell(row=row, column=1).font = Font(bold=True) if start_row else Font(italic=True)
        header_row = row + 2 if not start_row else row + 1
        formats = {c: self.money_format for c in money}
        formats.update({c: SHARE_FORMAT for c in shares})
        return write_frame(ws, frame, start_row=header_row,
                           headers=self.headers(frame, money, shares), formats=formats,
                           scale={c: float(self.unit.pounds) for c in money})


def build_plan_workbook(plan: Plan,
                        extra_sheets: Mapping[str, pd.DataFrame | ExtraSheet] | None = None
                        ) -> Workbook:
    w = _Writer(plan)
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = SHEETS[0]
    _summary(w, summary)
    _against_todays_method(w, wb, summary)
    u = w.unit.value
    ws = wb.create_sheet(SHEETS[1])
    w.table(ws, f"Allocations: one row per recipient, activity, stream and year (in {u})",
            rt.allocations_table(plan), money=("amount",))
    _recipients(w, wb.create_sheet(SHEETS[2]))
    _strands(w, wb.create_sheet(SHEETS[3]))
    w.table(wb.create_sheet(SHEETS[4]), f"Use of each stream's envelope by year (in {u})",
            plan.stream_use, money=("envelope", "carry_in", "spent", "carry_out", "unspent"))
    w.table(wb.create_sheet(SHEETS[5]), "Shadow prices: objective value of loosening each rule "
            "by one pound", plan.shadow_prices)
    w.table(wb.create_sheet(SHEETS[6]), "Rules the plan meets exactly", plan.binding)
    w.table(wb.create_sheet(SHEETS[7]), f"Negotiable rules broken (amount in {u})",
            plan.breaches, money=("amount",) if "amount" in plan.breaches.columns else ())
    _checks(w, wb.create_sheet(SHEETS[8]))
    _audit(w, wb.create_sheet(SHEETS[9]))
    for name, extra in (extra_sheets or {}).items():
        write_extra_sheet(wb, name, extra, w.unit)
    sources = winners.sources_sheet(plan)
    if sources is not None and winners.SOURCES not in wb.sheetnames:
        write_extra_sheet(wb, winners.SOURCES, sources, w.unit)
    for sheet in wb.worksheets:
        fit_columns(sheet)
        fit_page(sheet)
    if sources is not None and winners.SOURCES in wb.sheetnames:
        winners.wrap_columns(wb[winners.SOURCES], winners.SOURCE_WIDTHS)
    return wb


VALUE_FORMAT = "#,##0"  # the objective: pounds of value


def _against_todays_method(w: _Writer, wb: Workbook, summary: Worksheet) -> None:
    """The *Winners and losers* sheet (second) and the Summary's lines on it
    (fundopt/io/winners.py), when the problem says which stream paid each baseline."""
    plan = w.plan
    table = plan.against_todays_method
    start = summary.max_row + 2
    set_value(summary.cell(row=start, column=1), "planned years")
    set_value(summary.cell(row=start, column=2), winners.indicative_note(plan))
    if not len(table):
        return
    ws = write_extra_sheet(wb, winners.SHEET, winners.winners_sheet(table), w.unit)
    wb.move_sheet(ws, offset=1 - wb.sheetnames.index(ws.title))
    frame = winners.summary_table(plan, table)
    last = w.table(summary, f"Against today's method: the largest winners and losers "
                   f"(difference over the plan, in {w.unit.value}; sheet {winners.SHEET})",
                   frame, money=("difference",), shares=("difference_rate",),
                   start_row=start + 2)
    why = list(frame.columns).index("why") + 1
    for row in range(last - len(frame) + 1, last + 1):  # long sentences wrap in their column
        for col in range(1, why):
            summary.cell(row=row, column=col).alignment = Alignment(vertical="top")
        cell = summary.cell(row=row, column=why)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        # a 60-wide column holds about 55 characters a line; spreadsheets do not size rows
        summary.row_dimensions[row].height = 13.0 * max(1, math.ceil(len(str(cell.value)) / 55))


def _summary(w: _Writer, ws: Worksheet) -> None:
    plan = w.plan
    set_value(ws.cell(row=1, column=1), f"fundopt plan: {plan.problem.settings.name}")
    ws.cell(row=1, column=1).font = TITLE_FONT
    facts: list[tuple[str, object]] = [
        ("status", plan.status.value),
        ("master check", plan.passed),
        ("objective", plan.objective),
        ("money unit", w.unit.value),
        ("input file", Path(plan.problem.origin.path).name),
        ("fingerprint", plan.fingerprint),
    ]
    r = TABLE_HEADER_ROW
    for label, value in facts:
        set_value(ws.cell(row=r, column=1), label)
        set_value(ws.cell(row=r, column=2), value)
        r += 1
    ws.cell(row=TABLE_HEADER_ROW + 1, column=2).fill = GOOD_FILL if plan.passed else BAD_FILL
    ws.cell(row=TABLE_HEADER_ROW + 2, column=2).number_format = VALUE_FORMAT
    terms = pd.DataFrame(sorted(plan.objective_terms.items()), columns=["term", "value"])
    start = r + 1
    r = w.table(ws, "Objective terms (value, in £ of value)", terms, start_row=start)
    for row in range(start, r + 1):
        if isinstance(ws.cell(row=row, column=2).value, float):
            ws.cell(row=row, column=2).number_format = VALUE_FORMAT
    kinds = rt.totals_by_kind(plan)
    kind_cols = tuple(c for c in kinds.columns if c != "year")
    first = r + 2
    last = w.table(ws, f"Allocation by year and recipient kind (in {w.unit.value})", kinds,
                   money=kind_cols, start_row=first)
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = f"Allocation by year and recipient kind ({w.unit.value})"
    chart.y_axis.title = w.unit.value
    chart.x_axis.title = "year"
    header = first + 1
    data = Reference(ws, min_col=2, max_col=1 + len(kind_cols) - 1, min_row=header, max_row=last)
    cats = Reference(ws, min_col=1, min_row=header + 1, max_row=last)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(cats)
    chart.height, chart.width = 8, 16
    ws.add_chart(chart, f"E{TABLE_HEADER_ROW}")


def _recipients(w: _Writer, ws: Worksheet) -> None:
    frame, binding = rt.recipients_by_year(w.plan)
    money = tuple(c for c in frame.columns if c.startswith(("total ", "headroom ")))
    shares = tuple(c for c in frame.columns if c.startswith("change "))
    w.table(ws, "Total funding (allocation plus other income) per year, its change on the year "
            "before, and the headroom before the cliff-edge limit binds; highlighted: a floor, "
            "cap or cliff-edge limit binds", frame, money=money, shares=shares)
    columns = list(frame.columns)
    for i, recipient in enumerate(frame["recipient"], start=TABLE_HEADER_ROW + 1):
        for j, name in enumerate(columns, start=1):
            part, _, year = name.partition(" ")
            if part in ("total", "headroom") and (str(recipient), year) in binding:
                ws.cell(row=i, column=j).fill = HIGHLIGHT_FILL
    ws.freeze_panes = ws.cell(row=TABLE_HEADER_ROW + 1, column=4)


def _strands(w: _Writer, ws: Worksheet) -> None:
    plan = w.plan
    u = w.unit.value
    set_value(ws.cell(row=1, column=1), "Funding by 4P strand and by threat, against share "
              "targets and national requirements")
    ws.cell(row=1, column=1).font = Font(italic=True)
    years = tuple(plan.problem.horizon)
    r = w.table(ws, f"Funding by strand (in {u})", rt.by_tag(plan, "strand"), money=years,
                start_row=TABLE_HEADER_ROW)
    r = w.table(ws, f"Funding by threat (in {u})", rt.by_tag(plan, "threat"), money=years,
                start_row=r + 2)
    r = w.table(ws, f"Share targets (funding in {u})", rt.share_targets(plan),
                money=("funding",), shares=("min_share", "max_share", "share"), start_row=r + 2)
    w.table(ws, f"National requirements (in {u})", rt.requirements(plan),
            money=("required", "funded"), start_row=r + 2)


def _checks(w: _Writer, ws: Worksheet) -> None:
    plan = w.plan
    set_value(ws.cell(row=1, column=1), "MASTER CHECK")
    ws.cell(row=1, column=1).font = TITLE_FONT
    set_value(ws.cell(row=1, column=2), plan.passed)
    ws.cell(row=1, column=2).fill = GOOD_FILL if plan.passed else BAD_FILL
    set_value(ws.cell(row=2, column=1), "Every rule re-checked on the rounded plan, "
              "independently of the solver (money in pounds)")
    write_frame(ws, plan.checks, start_row=TABLE_HEADER_ROW)
    if "passed" in plan.checks.columns:
        j = list(plan.checks.columns).index("passed") + 1
        for i, ok in enumerate(plan.checks["passed"], start=TABLE_HEADER_ROW + 1):
            if not bool(ok):
                ws.cell(row=i, column=j).fill = BAD_FILL


def _audit(w: _Writer, ws: Worksheet) -> None:
    plan = w.plan
    p = plan.problem
    s = plan.solver
    items: list[tuple[str, object]] = [
        ("written (UTC)", dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
        ("fundopt", _package_version("fundopt")),
        ("python", platform.python_version()),
        ("pyomo", _package_version("pyomo")),
        ("highspy", _package_version("highspy")),
        ("HiGHS", s.highs_version),
        ("openpyxl", _package_version("openpyxl")),
        ("pandas", _package_version("pandas")),
        ("template version", TEMPLATE_VERSION),
        ("input file", Path(p.origin.path).name),
        ("input SHA-256", p.origin.sha256),
        ("plan fingerprint", plan.fingerprint),
        ("status", plan.status.value),
        ("solver", s.solver),
        ("variables", s.variables),
        ("constraints", s.constraints),
        ("nonzeros", s.nonzeros),
        ("iterations", s.iterations),
        ("money scale", s.money_scale),
        ("rounding", s.rounding),
    ]
    items += [(f"setting {f.name}", _plain(getattr(p.settings, f.name)))
              for f in fields(p.settings)]
    items += [(f"solver option {k}", _plain(v)) for k, v in sorted(s.options.items())]
    items += [(f"seconds {k}", float(v)) for k, v in s.times.items()]
    items += [("solver warning", text) for text in s.log_warnings]
    items += [("input warning", str(i)) for i in p.warnings]
    frame = pd.DataFrame(items, columns=["item", "value"])
    w.table(ws, "How this plan was made", frame)


def _plain(value: object) -> object:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(getattr(value, "value", value))
