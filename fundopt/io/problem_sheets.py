"""Build the input workbook of a :class:`~fundopt.FundingProblem` (the template format).

The layout is :mod:`fundopt.io.layout`'s; :func:`fundopt.io.read.read_workbook` reads back
exactly what this writes. Every sheet has its header in row 1 (the Scenarios sheet too).
Each column gets a comment saying what it means, a width that shows its header and its
values, and a drop-down where its values come from a list: the allowed words of a fixed
list, TRUE/FALSE, and, for every id column, the ids of the sheet that defines them (a
recipient from Recipients, a year from Years, ...) through a named range that grows with
that sheet, so a typo in an id is stopped as it is typed.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from fundopt.io.instructions import write_instructions
from fundopt.io.layout import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    INSTRUCTIONS_SHEET,
    SETTINGS,
    SETTINGS_HEADERS,
    SETTINGS_SHEET,
    SHARE_FORMAT,
    TEMPLATE_VERSION,
    VERSION_KEY,
    YEARS_TABLE,
    SettingKind,
    column_letter,
    describe,
    header_text,
    id_list_name,
    list_source,
    number_format,
)
from fundopt.io.render import print_setup
from fundopt.io.scenarios import SCENARIOS_SPEC, SHEET
from fundopt.io.xlsx import (
    ExtraSheet,
    fit_columns,
    set_value,
    sheet_title,
    style_header,
    write_frame,
)
from fundopt.problem import FundingProblem
from fundopt.problem.schema import TABLES, Column, ColumnKind, MoneyUnit, TableSpec

LAST_VALIDATED_ROW = 5000
#: Column widths (characters) by kind of column, before the header's own width.
_WIDTH = {ColumnKind.ID: 24, ColumnKind.REF: 24, ColumnKind.TEXT: 30, ColumnKind.YEAR: 11,
          ColumnKind.MONEY: 14, ColumnKind.SHARE: 11, ColumnKind.BOOL: 12}


def build_problem_workbook(problem: FundingProblem,
                           extra_sheets: Mapping[str, pd.DataFrame | ExtraSheet] | None = None,
                           ) -> Workbook:
    wb = Workbook()
    instructions = wb.active
    assert instructions is not None
    instructions.title = INSTRUCTIONS_SHEET
    unit = MoneyUnit(problem.settings.money_unit)
    write_instructions(instructions, unit)
    _write_settings(wb.create_sheet(SETTINGS_SHEET), problem)
    for spec in TABLES:
        _write_table(wb.create_sheet(spec.sheet), spec, getattr(problem, spec.name), unit)
    for name, extra in (extra_sheets or {}).items():
        if name == SHEET:  # the Scenarios sheet: a table like the others
            frame = extra.frame if isinstance(extra, ExtraSheet) else extra
            _write_table(wb.create_sheet(SHEET), SCENARIOS_SPEC, frame, unit, money=False)
        else:
            write_extra_sheet(wb, name, extra, unit)
    _define_id_lists(wb)
    return wb


def _define_id_lists(wb: Workbook) -> None:
    """A named range per table with ids (and Years): its id column from row 2 to the last
    filled row, however many rows are added later (OFFSET/COUNTA)."""
    for spec in TABLES:
        key = next((c for c in spec.columns if c.kind is ColumnKind.ID), None)
        if spec.name == YEARS_TABLE:
            key = spec.column("year")
        if key is None or spec.sheet not in wb.sheetnames:
            continue
        letter = column_letter(spec.column_names.index(key.name) + 1)
        sheet = "'" + spec.sheet.replace("'", "''") + "'"
        first = f"{sheet}!${letter}${FIRST_DATA_ROW}"
        count = f"MAX(1,COUNTA({sheet}!${letter}:${letter})-1)"
        wb.defined_names[id_list_name(spec.name)] = DefinedName(
            id_list_name(spec.name), attr_text=f"OFFSET({first},0,0,{count},1)")


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
    ws.column_dimensions["B"].width = 34
    ws.column_dimensions["C"].width = 90
    print_setup(ws, f"A1:C{FIRST_DATA_ROW + len(SETTINGS)}")


def _write_table(ws: Worksheet, spec: TableSpec, table: pd.DataFrame, unit: MoneyUnit, *,
                 money: bool = True) -> None:
    """The table's header (with comments, widths, formats and drop-downs) and its rows;
    ``money=False`` when its money is already in ``unit`` (the Scenarios frame)."""
    table = table.sort_index()
    for j, column in enumerate(spec.columns, start=1):
        cell = ws.cell(row=HEADER_ROW, column=j)
        header = header_text(column, unit)
        set_value(cell, header)
        source = list_source(spec, column)
        meaning = describe(column, unit) + (f"; drop-down: {source[1]}" if source else "")
        cell.comment = Comment(meaning, "fundopt", width=320, height=140)
        letter = column_letter(j)
        fmt = number_format(column, unit)
        if fmt:
            ws.column_dimensions[letter].number_format = fmt
        widest = max([len(str(v)) for v in table[column.name] if v is not None] + [0]) \
            if column.name in table.columns else 0
        ws.column_dimensions[letter].width = min(40, max(_WIDTH.get(column.kind, 14),
                                                         len(header) + 4, widest + 2))
        if source is not None:
            formula, _, error = source
            dv = DataValidation(type="list", formula1=formula, allow_blank=not column.required,
                                showErrorMessage=True, errorTitle=column.name, error=error)
            ws.add_data_validation(dv)
            dv.add(f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_VALIDATED_ROW}")
    style_header(ws, HEADER_ROW, 1, len(spec.columns))
    for r, row in enumerate(table.to_dict("records"), start=FIRST_DATA_ROW):
        for j, column in enumerate(spec.columns, start=1):
            value = row.get(column.name)
            if money and column.kind is ColumnKind.MONEY and value is not None \
                    and not pd.isna(value):
                value = float(value) / unit.pounds
            set_value(ws.cell(row=r, column=j), value, number_format(column, unit))
    ws.freeze_panes = "A2"
    last = column_letter(len(spec.columns))
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{LAST_VALIDATED_ROW}"
    print_setup(ws, f"A1:{last}{max(FIRST_DATA_ROW, HEADER_ROW + len(table))}",
                title_rows=f"{HEADER_ROW}:{HEADER_ROW}")


def write_extra_sheet(wb: Workbook, name: str, extra: pd.DataFrame | ExtraSheet,
                      unit: MoneyUnit) -> Worksheet:
    """Add a table sheet to an input workbook, its header in row 1 like every other sheet
    (a note becomes the first header's comment); money columns (in pounds) are shown in
    ``unit``."""
    if isinstance(extra, pd.DataFrame):
        extra = ExtraSheet(extra)
    ws = wb.create_sheet(sheet_title(name, wb.sheetnames))
    formats = {c: number_format(Column(c, ColumnKind.MONEY), unit) or ""
               for c in extra.money_columns}
    formats.update({c: SHARE_FORMAT for c in extra.share_columns})
    headers = [f"{c} ({unit.value})" if c in extra.money_columns else
               f"{c} (%)" if c in extra.share_columns else str(c) for c in extra.frame.columns]
    write_frame(ws, extra.frame, start_row=HEADER_ROW, headers=headers, formats=formats,
                scale={c: unit.pounds for c in extra.money_columns})
    if extra.note:
        ws.cell(row=HEADER_ROW, column=1).comment = Comment(extra.note, "fundopt", width=320,
                                                            height=140)
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    fit_columns(ws)
    return ws
