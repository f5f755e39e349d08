"""The Instructions sheet of an input workbook: everything needed to fill it in, in the
workbook itself (a wheel install has no docs/ folder to point to).

The rules of the layout, every sheet with what it holds, and every column of every sheet
with its meaning, allowed values and an example: the same reference as docs/template.md,
made from the same schema (:func:`column_reference`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from fundopt.io.examples import EXAMPLE_ROWS, EXAMPLE_SCENARIOS
from fundopt.io.layout import (
    SETTINGS,
    SETTINGS_SHEET,
    TEMPLATE_VERSION,
    choices_of,
    describe,
    header_text,
    list_source,
)
from fundopt.io.render import POINTS_PER_LINE, lines, print_setup
from fundopt.io.scenarios import SCENARIOS_SPEC, scenarios_frame
from fundopt.io.xlsx import set_value, style_header
from fundopt.problem.schema import TABLES, ColumnKind, MoneyUnit, TableSpec

TITLE = "How to fill in this workbook"
RULES = (
    "Each sheet is one table. Row 1 holds the column headers: do not rename, move or delete "
    "them. Type one item per row from row 2 down.",
    "A blank row ends a table: anything below a blank row is an error.",
    "Money columns are in the unit shown in their header, which must match money_unit on the "
    "Settings sheet (£, £k or £m). Type numbers only: 1.2, not £1.2m or 1,200.",
    "Columns marked (%) are percentages: type 5% (Excel stores 0.05).",
    "Years are fiscal years typed as text, e.g. 2026-27, and must be listed on the Years "
    "sheet first.",
    "Columns with a drop-down accept only the values it lists: ids come from the sheet that "
    "defines them (a recipient from Recipients, a stream from Streams, an activity from "
    "Activities, a year from Years), so add an item there first. Leave optional cells blank "
    "when they do not apply; hover over a header to see what the column means.",
    "Keep every sheet, even with no rows; do not merge cells or leave formulas that show "
    "errors. Formulas are fine once Excel has calculated and saved them.",
    "The example rows show the format: replace them with your own data. fundopt warns "
    "(FO-S16) while the example recipient, activity or stream is still there.",
    "Check the workbook with:  fundopt validate THIS.xlsx   Plan with:  fundopt solve "
    "THIS.xlsx -o PLAN.xlsx   Compare the scenarios on the Scenarios sheet with:  fundopt "
    "compare THIS.xlsx -o COMPARE.xlsx",
)
WIDTHS = {"A": 24.0, "B": 26.0, "C": 64.0, "D": 34.0, "E": 20.0}
WRAP = Alignment(wrap_text=True, vertical="top")
_DOCS = re.compile(r"\s*\(docs/[^)]*\)")


def table_specs() -> tuple[TableSpec, ...]:
    """Every sheet a user fills in, in workbook order, the Scenarios sheet last."""
    return (*TABLES, SCENARIOS_SPEC)


def column_reference(unit: MoneyUnit) -> Iterator[tuple[str, str, str, str, str]]:
    """(sheet, header, meaning, allowed values, example) for every column of every sheet,
    Settings first."""
    for s in SETTINGS:
        yield SETTINGS_SHEET, s.key, s.doc, s.kind.value, ""
    examples: dict[str, dict[str, object]] = {
        spec.name: (EXAMPLE_ROWS.get(spec.name) or [{}])[0] for spec in TABLES}
    first = scenarios_frame(EXAMPLE_SCENARIOS, unit).iloc[0]
    examples["scenarios"] = {str(k): v for k, v in first.items()}
    for spec in table_specs():
        for col in spec.columns:
            source = list_source(spec, col)
            allowed = ", ".join(choices_of(col)) or (f"{source[1]} (drop-down)" if source
                                                       else "")
            yield (spec.sheet, header_text(col, unit), standalone(describe(col, unit)),
                   allowed, shown(examples[spec.name].get(col.name), col.kind))


def standalone(text: str) -> str:
    """``text`` without its pointers into docs/ (not there in an installed fundopt)."""
    return _DOCS.sub("", text)


def shown(value: object, kind: ColumnKind) -> str:
    """An example value as a user would type it (money in £m)."""
    if value is None or value != value:  # NaN: blank
        return ""
    if kind is ColumnKind.MONEY and isinstance(value, float):
        return f"{value / 1_000_000:g}"
    if kind is ColumnKind.SHARE and isinstance(value, float):
        return f"{value:.0%}"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def write_instructions(ws: Worksheet, unit: MoneyUnit) -> None:
    r = _line(ws, 1, TITLE, Font(bold=True, size=16))
    for i, rule in enumerate(RULES, start=1):
        r = _line(ws, r, f"{i}. {rule}")
    r = _line(ws, r + 1, f"Template version {TEMPLATE_VERSION}. The sheets:", Font(bold=True))
    r = _table(ws, r, ("Sheet", "What it holds", "", "", ""),
               [(spec.sheet, standalone(spec.doc) + (" At least one row." if spec.required
                                                     else ""), "", "", "")
                for spec in table_specs()], merge_what=True)
    r = _line(ws, r + 1, "Every column of every sheet (each header also has this as a "
              "comment):", Font(bold=True))
    _table(ws, r, ("Sheet", "Header", "Meaning", "Allowed values", "Example"),
           list(column_reference(unit)))
    for letter, width in WIDTHS.items():
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    print_setup(ws, f"A1:E{ws.max_row}")


def _line(ws: Worksheet, row: int, text: str, font: Font | None = None) -> int:
    cell = ws.cell(row=row, column=1)
    set_value(cell, text)
    cell.alignment = WRAP
    if font is not None:
        cell.font = font
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)
    scale = (font.sz or 11) / 11 if font is not None else 1.0
    ws.row_dimensions[row].height = POINTS_PER_LINE * scale * lines(
        text, sum(WIDTHS.values()) / scale)
    return row + 1


def _table(ws: Worksheet, row: int, header: tuple[str, ...],
           rows: list[tuple[str, str, str, str, str]], *, merge_what: bool = False) -> int:
    for j, text in enumerate(header, start=1):
        set_value(ws.cell(row=row, column=j), text)
    style_header(ws, row, 1, len(header))
    for values in rows:
        row += 1
        for j, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=j)
            set_value(cell, value)
            cell.alignment = WRAP
        if merge_what:
            ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=5)
            height = lines(values[1], sum(WIDTHS[c] for c in "BCDE"))
        else:
            height = max(lines(v, WIDTHS[c]) for v, c in zip(values, "ABCDE", strict=True))
        ws.row_dimensions[row].height = POINTS_PER_LINE * height
    return row + 1


__all__ = ["column_reference", "shown", "table_specs", "write_instructions"]
