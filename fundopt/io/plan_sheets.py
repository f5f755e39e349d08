"""Build the results workbook of a :class:`~fundopt.Plan`.

The Summary first (:mod:`fundopt.io.summary_sheet`), then every table sheet declared in
:mod:`fundopt.io.result_sheets` whose table the plan has, then any extra sheets, then the
Audit (how the plan was made). Every table sheet has a heading in row 1, a sentence in row
2 and its header in row :data:`~fundopt.io.render.HEADER_ROW`. Money is shown in the
template's unit; the numbers are the Plan's pounds divided by the unit, unrounded, with one
number format for display. docs/results.md describes each sheet.
"""

from __future__ import annotations

import datetime as dt
import platform
from collections.abc import Mapping
from dataclasses import fields
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd

from fundopt.io.bulk import FastWorkbook
from fundopt.io.layout import TEMPLATE_VERSION
from fundopt.io.render import HEADER_ROW, Context, write_sheet
from fundopt.io.result_sheets import SHEETS
from fundopt.io.sheet_spec import Col, Format, SheetSpec
from fundopt.io.summary_sheet import write_summary
from fundopt.io.xlsx import ExtraSheet, extra_sheet_spec
from fundopt.plan import Plan
from fundopt.problem.schema import MoneyUnit
from fundopt.reports.summary import Names

TABLE_HEADER_ROW = HEADER_ROW
SUMMARY = "Summary"


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def build_plan_workbook(plan: Plan,
                        extra_sheets: Mapping[str, pd.DataFrame | ExtraSheet] | None = None
                        ) -> FastWorkbook:
    ctx = Context(MoneyUnit(plan.problem.settings.money_unit), Names(plan.problem))
    wb = FastWorkbook()
    summary = wb.active
    assert summary is not None
    summary.title = SUMMARY
    contents: list[tuple[str, str]] = []
    specs = [*SHEETS, *(extra_sheet_spec(name, extra) for name, extra in
                        (extra_sheets or {}).items()), AUDIT]
    for spec in specs:
        ws = write_sheet(wb, spec, plan, ctx)
        if ws is not None:
            contents.append((ws.title, _first_sentence(spec.description.format(
                unit=ctx.unit.value))))
    write_summary(summary, plan, ctx, contents, _package_version("fundopt"))
    return wb


def _first_sentence(text: str) -> str:
    head, dot, _ = text.partition(". ")
    return head + ("." if dot else "")


def audit_table(plan: Plan) -> pd.DataFrame:
    """How the plan was made: versions, input, settings, solver options, times, warnings."""
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
    items += [(f"seconds {k}", round(float(v), 3)) for k, v in s.times.items()]
    items += [("solver warning", text) for text in s.log_warnings]
    items += [("input warning", str(i)) for i in p.warnings]
    return pd.DataFrame(items, columns=["item", "value"])


def _plain(value: object) -> object:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(getattr(value, "value", value))


AUDIT = SheetSpec("Audit", audit_table,
                  "How this plan was made: versions, the input file and its fingerprint, "
                  "settings, solver options and times, and any warnings.",
                  (Col("item", "Item"), Col("value", "Value", Format.TEXT)), names=False)
