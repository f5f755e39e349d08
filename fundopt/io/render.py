"""Render a :class:`~fundopt.io.sheet_spec.SheetSpec` and its table onto a worksheet.

Every table sheet has the same shape: row 1 a heading, row 2 the sentence saying what the
table is, row :data:`HEADER_ROW` the header (frozen, with a filter), the rows below it.
Ids stand beside their names; money is in the workbook's unit with one format; widths come
from the content; text longer than :data:`MAX_WIDTH` wraps; the sheet prints landscape,
one page wide, the header on every page, within a print area.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from fundopt.io.bulk import Block, ColumnStyle, FastWorkbook, write_cells
from fundopt.io.sheet_spec import Col, Format, SheetSpec, number_format, shown
from fundopt.io.xlsx import BAD_FILL, GOOD_FILL, set_value, sheet_title, style_header
from fundopt.problem.schema import MoneyUnit
from fundopt.reports.summary import Names

HEADER_ROW = 3
MAX_WIDTH = 45  # a wider text column wraps at this width
MIN_WIDTH = 6
HEADING_FONT = Font(bold=True, size=13)
NOTE_FONT = Font(italic=True)
POINTS_PER_LINE = 15.0
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")  # a row of wrapped text reads from its top


@dataclass(frozen=True)
class Context:
    """What every sheet of one workbook shares: its money unit and the names of ids."""

    unit: MoneyUnit
    names: Names | None = None


@dataclass(frozen=True)
class _Out:
    """One column as written: header, values (already in the sheet's unit), format."""

    header: str
    values: list[Any]
    fmt: Format
    source: str
    wrap: bool = False
    widest: int = MAX_WIDTH  # characters before text wraps


def write_sheet(wb: Workbook, spec: SheetSpec, obj: Any, ctx: Context) -> Worksheet | None:
    """Add ``spec``'s sheet for ``obj`` (a plan, a sweep result); None when its table does
    not exist or has no rows."""
    frame = spec.table(obj)
    if frame is None:
        return None
    ws = wb.create_sheet(sheet_title(spec.title, wb.sheetnames))
    heading = list(spec.heading(obj)) if spec.heading else [spec.title]
    marks = list(spec.marks(obj, frame)) if spec.marks else []
    render(ws, spec, frame.reset_index(drop=True), ctx, heading, marks)
    return ws


def render(ws: Worksheet, spec: SheetSpec, frame: pd.DataFrame, ctx: Context,
           heading: Sequence[Any], marks: Sequence[tuple[int, str, str]] = ()) -> None:
    columns = _columns(spec, frame, ctx)
    n_rows = len(frame)
    last_row = HEADER_ROW + n_rows
    print_last = last_row
    description = spec.description.format(unit=ctx.unit.value)
    if spec.print_rows is not None and n_rows > spec.print_rows:
        print_last = HEADER_ROW + spec.print_rows
        description += (f" Printing covers the first {spec.print_rows:,} of its {n_rows:,} rows:"
                        " to print others, filter the table and print the selection.")
    widths = [_width(c, ctx.unit) for c in columns]
    for j, value in enumerate(heading[:-1]):  # a heading cell followed by another cannot spill
        if j < len(widths):
            widths[j] = max(widths[j], len(str(value)) * 1.3 + 2)  # bold, 13 points
    shown = len(columns) if spec.print_columns is None else min(spec.print_columns,
                                                                  len(columns))
    _heading(ws, heading)
    note(ws, 2, description, sum(widths[:shown]), shown)
    styles = []
    for j, col in enumerate(columns, start=1):
        set_value(ws.cell(row=HEADER_ROW, column=j), col.header)
        # text right after a right-aligned number would touch it ("163.9rise limit")
        after_number = j > 1 and col.fmt is Format.TEXT and columns[j - 2].fmt is not Format.TEXT
        styles.append(ColumnStyle(number_format(col.fmt, ctx.unit),
                                  Alignment(wrap_text=col.wrap, vertical="top",
                                            indent=1 if after_number else 0)))
        ws.column_dimensions[get_column_letter(j)].width = widths[j - 1]
    style_header(ws, HEADER_ROW, 1, len(columns))
    block = Block(ws, HEADER_ROW + 1, [c.values for c in columns], styles,
                  heights=_wrapped_heights(columns, widths))
    ws.row_dimensions[HEADER_ROW].height = POINTS_PER_LINE * max(
        lines(c.header, w) for c, w in zip(columns, widths, strict=True))
    position = {c.source: j for j, c in enumerate(columns, start=1)}
    for row, source, colour in marks:
        if source in position:
            block.fills[(HEADER_ROW + 1 + row, position[source])] = colour
    if isinstance(ws.parent, FastWorkbook):
        ws.parent.add_block(block)  # the rows go straight into the sheet's XML on save
    else:
        write_cells(block)
    last_col = get_column_letter(len(columns))
    print_col = get_column_letter(min(len(columns), spec.print_columns or len(columns)))
    # by reference, not ws.cell: a cell object there would be a row openpyxl owns
    ws.freeze_panes = f"{get_column_letter(min(spec.freeze_columns, len(columns) - 1) + 1)}" \
        f"{HEADER_ROW + 1}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last_col}{max(last_row, HEADER_ROW + 1)}"
    print_setup(ws, f"A1:{print_col}{print_last}", title_rows=f"{HEADER_ROW}:{HEADER_ROW}")


def _wrapped_heights(columns: Sequence[_Out], widths: Sequence[float]) -> dict[int, float]:
    """Rows tall enough for their wrapped text (neither Excel nor LibreOffice sizes them
    when the file is opened): sheet row -> height in points."""
    wrapped = [(c, w) for c, w in zip(columns, widths, strict=True) if c.wrap]
    heights: dict[int, float] = {}
    if not wrapped:
        return heights
    counts = []
    for c, w in wrapped:
        of = _lines_of(c.values, w)
        counts.append([of[v] if isinstance(v, str) else 1 for v in c.values])
    for i, n in enumerate(map(max, *counts) if len(counts) > 1 else counts[0]):
        if n > 1:
            heights[HEADER_ROW + 1 + i] = POINTS_PER_LINE * n
    return heights


def _lines_of(values: Sequence[Any], width: float) -> dict[str, int]:
    """:func:`lines` of each distinct text among ``values`` (a column repeats many)."""
    return {v: lines(v, width) for v in set(values) if isinstance(v, str)}


def _heading(ws: Worksheet, heading: Sequence[Any]) -> None:
    for j, value in enumerate(heading, start=1):
        cell = ws.cell(row=1, column=j)
        set_value(cell, value)
        cell.font = HEADING_FONT
        if isinstance(value, bool):
            cell.fill = GOOD_FILL if value else BAD_FILL


def note(ws: Worksheet, row: int, text: str, width: float, n_columns: int) -> None:
    """A sentence across ``n_columns`` columns (``width`` characters in all), wrapped."""
    cell = ws.cell(row=row, column=1)
    set_value(cell, text)
    cell.font = NOTE_FONT
    cell.alignment = WRAP
    if n_columns > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=n_columns)
    ws.row_dimensions[row].height = POINTS_PER_LINE * lines(text, width)


def lines(text: str, width: float) -> int:
    """How many lines ``text`` takes wrapped at ``width`` characters (word by word)."""
    usable = max(1.0, width - 1.5)
    if len(text) <= usable:  # the words and the spaces between them fit: one line
        return 1
    count, used = 1, 0.0
    for word in text.split():
        size = len(word) * 0.85  # the default font's letters average narrower than its '0'
        if used and used + 1 + size > usable:
            count, used = count + 1, size
        else:
            used += (1 if used else 0) + size
        while used > usable:  # a word wider than the column is broken across lines
            count, used = count + 1, used - usable
    return count


def _columns(spec: SheetSpec, frame: pd.DataFrame, ctx: Context) -> list[_Out]:
    out: list[_Out] = []
    present = {str(c) for c in frame.columns}
    for name, col, part in spec.layout(frame):
        values = frame[name]
        if all(_blank(v) for v in values):
            continue  # a column with nothing in it (no rule here names a stream, say)
        if col.in_words and ctx.names is not None:
            values = values.map(ctx.names.in_text)
        out.append(_out(values, col, part, ctx.unit))
        lookup = ctx.names.of(name) if (ctx.names is not None and spec.names) else {}
        # a table's own "name" column names its recipients (plan.reasons, plan.bands)
        named = f"{name}_name" in present or (name == "recipient" and "name" in present)
        if lookup and not named:
            title = col.title if col.title and "{}" not in col.title else \
                name.replace("_", " ").capitalize()
            names = [lookup.get(v) if isinstance(v, str) else None for v in frame[name]]
            longest = max((len(n) for n in names if n), default=0)
            out.append(_Out(f"{title} name", names, Format.TEXT, f"{name}_name",
                            wrap=longest > MAX_WIDTH))
    return out


def _out(values: pd.Series, col: Col, part: str, unit: MoneyUnit) -> _Out:
    money = col.format in (Format.MONEY, Format.CHANGE)
    if money and values.dtype.kind in "iuf":  # numbers throughout: NaN and inf stay so
        shown_in_unit = values.to_numpy(dtype=float, na_value=np.nan) / unit.pounds
        items: list[Any] = shown_in_unit.tolist()
    else:
        items = values.tolist()
        if money:
            items = [v / unit.pounds if _is_number(v) else v for v in items]
    widest = col.width or MAX_WIDTH
    wrap = col.wrap or (col.format is Format.TEXT and _longest(values) > widest)
    return _Out(col.header(part, unit), items, col.format, str(values.name), wrap, widest)


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and
                                                                      not v.strip())


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(float(v))


def _longest(values: pd.Series) -> int:
    return max((len(str(v)) if v is not None else 0 for v in values.tolist()), default=0)


def _width(col: _Out, unit: MoneyUnit) -> float:
    """Characters wide: the longest value as shown and the header's longest word (headers
    wrap), within [MIN_WIDTH, the column's widest], plus a margin."""
    values, money = col.values, col.fmt in (Format.MONEY, Format.CHANGE)
    kinds = set(map(type, values))
    numbers: Sequence[Any] = ()
    if kinds <= {str}:  # text only, or numbers only (most columns): no test per value
        longest = max(map(len, values), default=0)
    elif kinds <= {float, int} and all(map(math.isfinite, values)):
        longest = 0
        numbers = values
    else:
        longest = max((len(v) for v in values if isinstance(v, str)), default=0)
        numbers = [v for v in values if _is_number(v)]
    longest = min(longest, col.widest)
    if col.fmt is not Format.TEXT and len(numbers):
        # the widest shown is the largest or the smallest (a money column's in pounds)
        longest = max(longest, *(len(shown(v * unit.pounds if money else v, col.fmt, unit))
                                 for v in (max(numbers), min(numbers))))
    words = max((len(w) for w in col.header.split()), default=0)
    header = max(words, math.ceil(len(col.header) / 3))  # a header may take three lines
    return float(max(MIN_WIDTH, min(col.widest, max(longest, header)) + 2))


def print_setup(ws: Worksheet, area: str, *, title_rows: str | None = None,
                portrait: bool = False) -> None:
    """A4, landscape (unless ``portrait``), one page wide, as many long as it needs, the
    header on every page, page numbers in the footer, and only ``area`` printed."""
    ws.page_setup.orientation = "portrait" if portrait else "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    if title_rows:
        ws.print_title_rows = title_rows
    ws.print_area = area
    ws.oddFooter.center.text = "&A: page &P of &N"


__all__ = ["HEADER_ROW", "Context", "lines", "note", "print_setup", "render", "write_sheet"]
