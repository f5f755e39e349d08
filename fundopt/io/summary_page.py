"""A page of stacked sections (headings, sentences, banners, label-value facts, small
tables, a chart) whose column widths come from what is on it.

Cells are written as the sections are added; widths, the heights of wrapped rows and the
chart's size are settled in :meth:`Page.finish`, once every cell is known, so nothing on
the page is cut off and the chart covers nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from fundopt.io.render import POINTS_PER_LINE, lines, print_setup
from fundopt.io.sheet_spec import Format, number_format, shown
from fundopt.io.xlsx import BAD_FILL, GOOD_FILL, set_value, style_header
from fundopt.problem.schema import MoneyUnit

TITLE_FONT = Font(bold=True, size=16)
SECTION_FONT = Font(bold=True, size=13, color="1F4E78")
BANNER_FILL = PatternFill("solid", fgColor="C00000")
BANNER_FONT = Font(bold=True, size=12, color="FFFFFF")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
CM_PER_CHARACTER = 0.2  # a column's width unit (one '0' of the default font) plus padding
CHART_ROWS = 16  # rows kept free below a table for its chart (7.5 cm at 15 points a row)


@dataclass
class _Wrapped:
    row: int
    text: str
    first: int
    last: int
    scale: float = 1.0  # the font's size against the default's


@dataclass
class Page:
    """Sections written from row 1 down, in columns 1..``span``."""

    ws: Worksheet
    unit: MoneyUnit
    span: int = 8
    max_width: int = 55
    row: int = 1
    _lengths: dict[int, float] = field(default_factory=dict)
    _wrapped: list[_Wrapped] = field(default_factory=list)
    _charts: list[tuple[BarChart, int, int]] = field(default_factory=list)

    # -- sections ---------------------------------------------------------------------------
    def title(self, text: str) -> None:
        self._text(self.row, 1, text, font=TITLE_FONT, spill=True)
        self.ws.merge_cells(start_row=self.row, start_column=1, end_row=self.row,
                            end_column=self.span)
        self.ws.cell(row=self.row, column=1).alignment = WRAP
        self._wrapped.append(_Wrapped(self.row, text, 1, self.span, scale=1.6))
        self.row += 1

    def heading(self, text: str) -> None:
        self.row += 1
        self._text(self.row, 1, text, font=SECTION_FONT, spill=True)
        self.ws.row_dimensions[self.row].height = 20
        self.row += 1

    def sentence(self, text: str, *, italic: bool = False) -> None:
        """A sentence across the page, wrapped."""
        cell = self.ws.cell(row=self.row, column=1)
        set_value(cell, text)
        cell.alignment = WRAP
        cell.font = Font(italic=italic)
        self._merge(self.row, text)
        self.row += 1

    def banner(self, text: str) -> None:
        """A warning across the page: white on red."""
        cell = self.ws.cell(row=self.row, column=1)
        set_value(cell, text)
        cell.font, cell.fill, cell.alignment = BANNER_FONT, BANNER_FILL, WRAP
        self._merge(self.row, text, extra=0.4)
        self.row += 1

    def facts(self, items: Sequence[tuple[str, Any, Format, bool | None]]) -> None:
        """label | value rows; a value's flag colours it green (True) or red (False)."""
        for label, value, fmt, flag in items:
            self._text(self.row, 1, label, font=Font(bold=True))
            long = len(label) * 1.05 > self.max_width  # a long name wraps in its column
            self.ws.cell(row=self.row, column=1).alignment = WRAP if long else TOP
            if long:
                self._wrapped.append(_Wrapped(self.row, label, 1, 1, scale=1.05))
            cell = self.ws.cell(row=self.row, column=2)
            self._value(cell, value, fmt, spill=isinstance(value, str))
            if flag is not None:
                cell.fill = GOOD_FILL if flag else BAD_FILL
                cell.font = Font(bold=True)
            if isinstance(value, str):
                self._merge(self.row, value, first=2)
            self.row += 1

    def table(self, header: Sequence[str], rows: Sequence[Sequence[Any]],
              formats: Sequence[Format], *, spans: Sequence[int] = ()) -> tuple[int, int]:
        """A small table; column ``j`` takes ``spans[j]`` of the page's columns (merged,
        text wrapped), 1 each by default. Returns (header row, last row)."""
        spans = list(spans) or [1] * len(header)
        firsts = [1 + sum(spans[:j]) for j in range(len(spans))]
        top = self.row
        for j, text in enumerate(header):
            self._cell(top, firsts[j], spans[j], text, Format.TEXT, header=True)
        style_header(self.ws, top, 1, firsts[-1] + spans[-1] - 1)
        for i, values in enumerate(rows, start=top + 1):
            for j, (value, fmt) in enumerate(zip(values, formats, strict=True)):
                self._cell(i, firsts[j], spans[j], value, fmt)
        self.row = top + 1 + len(rows)
        return top, self.row - 1

    def _cell(self, row: int, col: int, span: int, value: Any, fmt: Format, *,
              header: bool = False) -> None:
        cell = self.ws.cell(row=row, column=col)
        if span > 1:
            self.ws.merge_cells(start_row=row, start_column=col, end_row=row,
                                end_column=col + span - 1)
        if isinstance(value, str) and (span > 1 or header):
            set_value(cell, value)
            cell.alignment = WRAP
            self._wrapped.append(_Wrapped(row, value, col, col + span - 1))
            if span == 1:  # a header: as wide as its longest word, on up to three lines
                longest = max((len(w) for w in value.split()), default=0)
                self._grow(col, max(longest, math.ceil(len(value) / 3)))
            return
        self._value(cell, value, fmt)
        cell.alignment = TOP

    def chart(self, title: str, header_row: int, last_row: int, first_col: int,
              last_col: int) -> None:
        """A stacked column chart of the table's columns ``first_col..last_col`` against its
        first column, placed below it; its y axis starts at zero."""
        chart = BarChart()
        chart.type, chart.grouping, chart.overlap = "col", "stacked", 100
        chart.title = title
        chart.y_axis.title = self.unit.value
        chart.y_axis.scaling.min = 0
        chart.y_axis.numFmt = "#,##0"
        chart.y_axis.majorGridlines = chart.y_axis.majorGridlines  # keep the default lines
        chart.x_axis.delete = chart.y_axis.delete = False  # axes shown in every Excel
        chart.legend.position = "b"
        data = Reference(self.ws, min_col=first_col, max_col=last_col, min_row=header_row,
                         max_row=last_row)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(self.ws, min_col=1, min_row=header_row + 1,
                                       max_row=last_row))
        self.row += 1
        self._charts.append((chart, self.row, last_col))
        self.row += CHART_ROWS

    def space(self) -> None:
        self.row += 1

    # -- finishing --------------------------------------------------------------------------
    def finish(self, *, portrait: bool = True) -> None:
        widths = {j: float(max(8, min(self.max_width, math.ceil(n)) + 2))
                  for j, n in self._lengths.items()}
        for j in range(1, self.span + 1):
            widths.setdefault(j, 10.0)
            self.ws.column_dimensions[get_column_letter(j)].width = widths[j]
        for w in self._wrapped:
            width = sum(widths[j] for j in range(w.first, w.last + 1)) / w.scale
            needed = POINTS_PER_LINE * w.scale * lines(w.text, width)
            current = self.ws.row_dimensions[w.row].height or POINTS_PER_LINE
            self.ws.row_dimensions[w.row].height = max(current, needed)
        for chart, row, last_col in self._charts:
            chart.width = max(12.0, min(17.0, CM_PER_CHARACTER * sum(
                widths[j] for j in range(1, last_col + 1))))
            chart.height = 7.5
            self.ws.add_chart(chart, f"A{row}")
        print_setup(self.ws, f"A1:{get_column_letter(self.span)}{self.row}", portrait=portrait)

    # -- cells ------------------------------------------------------------------------------
    def _text(self, row: int, col: int, text: str, *, font: Font | None = None,
              spill: bool = False) -> None:
        cell = self.ws.cell(row=row, column=col)
        set_value(cell, text)
        if font is not None:
            cell.font = font
        if not spill:
            self._grow(col, len(text) * (1.05 if font is not None and font.b else 0.95))

    def _value(self, cell: Any, value: Any, fmt: Format, *, spill: bool = False) -> None:
        money = fmt in (Format.MONEY, Format.CHANGE)
        written = value / self.unit.pounds if money and _number(value) else value
        set_value(cell, written, number_format(fmt, self.unit))
        if not spill:
            self._grow(cell.column, len(shown(value, fmt, self.unit)))

    def _grow(self, col: int, length: float) -> None:
        self._lengths[col] = max(self._lengths.get(col, 0.0), length)

    def _merge(self, row: int, text: str, *, first: int = 1, extra: float = 0.0) -> None:
        self.ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=self.span)
        self.ws.cell(row=row, column=first).alignment = WRAP
        self._wrapped.append(_Wrapped(row, text, first, self.span))
        if extra:
            self.ws.row_dimensions[row].height = POINTS_PER_LINE * (1 + extra)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


__all__ = ["Page"]
