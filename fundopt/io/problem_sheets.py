"""Build the input workbook of a :class:`~fundopt.FundingProblem` (the template format).

The layout is :mod:`fundopt.io.layout`'s; :func:`fundopt.io.read.read_workbook` reads back
exactly what this writes.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from fundopt.io.layout import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    INSTRUCTIONS_SHEET,
    MONEY_FORMATS,
    SETTINGS,
    SETTINGS_HEADERS,
    SETTINGS_SHEET,
    SHARE_FORMAT,
    TEMPLATE_VERSION,
    VERSION_KEY,
    SettingKind,
    choices_of,
    column_letter,
    describe,
    header_text,
    number_format,
)
from fundopt.io.xlsx import (
    TITLE_FONT,
    ExtraSheet,
    fit_columns,
    set_value,
    sheet_title,
    style_header,
    write_frame,
)
from fundopt.problem import FundingProblem
from fundopt.problem.schema import TABLES, ColumnKind, MoneyUnit, TableSpec

LAST_VALIDATED_ROW = 5000

INSTRUCTIONS = (
    "How to fill in this workbook",
    "",
    "1. Each sheet is one table. Row 1 holds the column headers: do not rename, move or "
    "delete them. Type one item per row from row 2 down.",
    "2. A blank row ends a table: anything below a blank row is an error.",
    "3. Money columns are in the unit shown in their header, which must match money_unit "
    "on the Settings sheet (£, £k or £m). Type numbers only: 1.2, not £1.2m or 1,200.",
    "4. Columns marked (%) are percentages: type 5% (Excel stores 0.05).",
    "5. Years are fiscal years typed as text, e.g. 2026-27.",
    "6. Columns with a drop-down accept only the values it lists. Leave optional cells blank "
    "when they do not apply; hover over a header to see what the column means.",
    "7. Keep every sheet, even with no rows; do not merge cells or leave formulas that show "
    "errors. Formulas are fine once Excel has calculated and saved them.",
    "8. The example rows show the format: replace them with your own data.",
    "9. Check the workbook with:  fundopt validate THIS.xlsx   and plan with:  "
    "fundopt solve THIS.xlsx -o PLAN.xlsx",
    "",
    f"Template version {TEMPLATE_VERSION}. The full reference is docs/template.md.",
    "",
    "Sheets",
)


def build_problem_workbook(problem: FundingProblem,
                           extra_sheets: Mapping[str, pd.DataFrame | ExtraSheet] | None = None,
                           ) -> Workbook:
    wb = Workbook()
    instructions = wb.active
    assert instructions is not None
    instructions.title = INSTRUCTIONS_SHEET
    _write_instructions(instructions)
    unit = MoneyUnit(problem.settings.money_unit)
    _write_settings(wb.create_sheet(SETTINGS_SHEET), problem)
    for spec in TABLES:
        _write_table(wb.create_sheet(spec.sheet), spec, getattr(problem, spec.name), unit)
    for name, extra in (extra_sheets or {}).items():
        write_extra_sheet(wb, name, extra, unit)
    return wb


def _write_instructions(ws: Worksheet) -> None:
    for r, line in enumerate(INSTRUCTIONS, start=1):
        set_value(ws.cell(row=r, column=1), line)
    ws.cell(row=1, column=1).font = TITLE_FONT
    r = len(INSTRUCTIONS)
    for spec in TABLES:
        r += 1
        set_value(ws.cell(row=r, column=1), spec.sheet)
        set_value(ws.cell(row=r, column=2), spec.doc)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 100


def _write_settings(ws: Worksheet, problem: FundingProblem) -> None:
    for j, text in enumerate(SETTINGS_HEADERS, start=1):
        set_value(ws.cell(row=HEADER_ROW, column=j), text)
    style_header(ws, HEADER_ROW, 1, len(SETTINGS_HEADERS))
    set_value(ws.cell(row=FIRST_DATA_ROW, column=1), VERSION_KEY)
    set_value(ws.cell(row=FIRST_DATA_ROW, column=2), int(TEMPLATE_VERSION))
    set_value(ws.cell(row=FIRST_DATA_ROW, column=3), "Do not change")
    for r, spec in enumerate(SETTINGS, start=FIRST_DATA_ROW + 1):
        value = getattr(problem.settings, spec.key)
        if isinstance(value, MoneyUnit):
            value = value.value
        set_value(ws.cell(row=r, column=1), spec.key)
        set_value(ws.cell(row=r, column=2), value,
                  SHARE_FORMAT if spec.kind is SettingKind.SHARE else None)
        set_value(ws.cell(row=r, column=3), spec.doc)
        if spec.kind is SettingKind.UNIT:
            units = ",".join(u.value for u in MoneyUnit)
            dv = DataValidation(type="list", formula1=f'"{units}"',
                                allow_blank=False, showErrorMessage=True,
                                errorTitle="money_unit", error="Pick £, £k or £m")
            ws.add_data_validation(dv)
            dv.add(f"B{r}")
    ws.freeze_panes = "A2"
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 22
    ws.column_dimensions["C"].width = 90


def _write_table(ws: Worksheet, spec: TableSpec, table: pd.DataFrame, unit: MoneyUnit) -> None:
    table = table.sort_index()
    for j, column in enumerate(spec.columns, start=1):
        cell = ws.cell(row=HEADER_ROW, column=j)
        set_value(cell, header_text(column, unit))
        cell.comment = Comment(describe(column, unit), "fundopt", width=300, height=120)
        letter = column_letter(j)
        fmt = number_format(column, unit)
        if fmt:
            ws.column_dimensions[letter].number_format = fmt
        ws.column_dimensions[letter].width = max(14, len(header_text(column, unit)) + 4)
        choices = choices_of(column)
        if choices:
            dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"',
                                allow_blank=not column.required, showErrorMessage=True,
                                errorTitle=column.name, error="Pick a value from the list")
            ws.add_data_validation(dv)
            dv.add(f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_VALIDATED_ROW}")
    style_header(ws, HEADER_ROW, 1, len(spec.columns))
    for r, row in enumerate(table.to_dict("records"), start=FIRST_DATA_ROW):
        for j, column in enumerate(spec.columns, start=1):
            value = row[column.name]
            if column.kind is ColumnKind.MONEY and value is not None and not pd.isna(value):
                value = float(value) / unit.pounds
            set_value(ws.cell(row=r, column=j), value, number_format(column, unit))
    ws.freeze_panes = "A2"


def write_extra_sheet(wb: Workbook, name: str, extra: pd.DataFrame | ExtraSheet,
                      unit: MoneyUnit) -> Worksheet:
    """Add a table sheet; money columns (in pounds) are shown in ``unit``."""
    if isinstance(extra, pd.DataFrame):
        extra = ExtraSheet(extra)
    ws = wb.create_sheet(sheet_title(name, wb.sheetnames))
    start = 1
    if extra.note:
        set_value(ws.cell(row=1, column=1), extra.note)
        start = 3
    formats = {c: MONEY_FORMATS[unit] for c in extra.money_columns}
    formats.update({c: SHARE_FORMAT for c in extra.share_columns})
    headers = [f"{c} ({unit.value})" if c in extra.money_columns else
               f"{c} (%)" if c in extra.share_columns else str(c) for c in extra.frame.columns]
    write_frame(ws, extra.frame, start_row=start, headers=headers, formats=formats,
                scale={c: unit.pounds for c in extra.money_columns})
    ws.freeze_panes = f"A{start + 1}"
    fit_columns(ws)
    return ws
