"""Small helpers for writing cells and tables safely with openpyxl.

Text is always written as text: a value starting with ``=`` never becomes a formula,
control characters Excel rejects are removed, and overlong text is cut to Excel's limit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from fundopt.io.sheet_spec import Col, Format, SheetSpec

MAX_CELL_TEXT = 32_767
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
TITLE_FONT = Font(bold=True, size=14)
HIGHLIGHT_FILL = PatternFill("solid", fgColor="FFD966")
BAD_FILL = PatternFill("solid", fgColor="F4B6B6")
GOOD_FILL = PatternFill("solid", fgColor="C6EFCE")
#: Shows a boolean as TRUE or FALSE everywhere: LibreOffice shows 1 or 0 in a sheet with a
#: print area unless the cell's format says otherwise (Excel ignores it for booleans).
BOOL_FORMAT = '"TRUE";"TRUE";"FALSE"'
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class ExtraSheet:
    """A table to add as its own sheet, with the columns that hold money (in £) or shares."""

    frame: pd.DataFrame
    money_columns: tuple[str, ...] = ()
    share_columns: tuple[str, ...] = ()
    note: str = ""


def extra_sheet_spec(name: str, extra: pd.DataFrame | ExtraSheet) -> SheetSpec:
    """An extra table as a results sheet: its columns keep their names; money columns
    (pounds) are shown in the workbook's unit, share columns as percentages."""
    if isinstance(extra, pd.DataFrame):
        extra = ExtraSheet(extra)
    frame = extra.frame
    columns = tuple(Col(str(c), str(c), Format.MONEY if c in extra.money_columns else
                        Format.PERCENT if c in extra.share_columns else Format.TEXT)
                    for c in frame.columns)
    return SheetSpec(name, lambda _obj: frame, extra.note or name, columns, names=False)


def clean_text(text: str) -> str:
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text[:MAX_CELL_TEXT]


def set_value(cell: Cell, value: Any, number_format: str | None = None) -> None:
    """Write a value; strings stay strings even when they start with '='."""
    if value is None or value is pd.NA or value is pd.NaT or (
        isinstance(value, float) and math.isnan(value)
    ):
        cell.value = None
    elif isinstance(value, str):
        cell.value = clean_text(value)
        cell.data_type = "s"
        if value[:1] in ("=", "+", "-", "@"):
            cell.quotePrefix = True
    elif isinstance(value, bool):
        cell.value = value
        cell.number_format = BOOL_FORMAT
    elif isinstance(value, int | float):
        cell.value = value if math.isfinite(float(value)) else None
    elif hasattr(value, "item"):  # numpy scalars
        set_value(cell, value.item(), number_format)
        return
    else:
        set_value(cell, str(value), number_format)
        return
    if number_format and isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
        cell.number_format = number_format


def style_header(ws: Worksheet, row: int, first_col: int, last_col: int) -> None:
    for col in range(first_col, last_col + 1):
        cell = ws.cell(row=row, column=col)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def write_frame(ws: Worksheet, frame: pd.DataFrame, *, start_row: int = 1, start_col: int = 1,
                headers: Sequence[str] | None = None,
                formats: Mapping[str, str] | None = None,
                scale: Mapping[str, float] | None = None) -> int:
    """Write a header row and the frame's rows; returns the last row written.

    ``formats`` gives a number format per column; ``scale`` divides a column's numbers
    (pounds to the template's money unit).
    """
    formats = formats or {}
    scale = scale or {}
    names = list(frame.columns)
    for j, name in enumerate(headers or names):
        set_value(ws.cell(row=start_row, column=start_col + j), str(name))
    style_header(ws, start_row, start_col, start_col + len(names) - 1)
    r = start_row
    for r, values in enumerate(frame.itertuples(index=False, name=None), start=start_row + 1):
        for j, (name, value) in enumerate(zip(names, values, strict=True)):
            v = value
            if name in scale and isinstance(v, int | float) and not isinstance(v, bool):
                v = v / scale[name] if math.isfinite(float(v)) else None
            set_value(ws.cell(row=r, column=start_col + j), v, formats.get(name))
    return r


def fit_columns(ws: Worksheet, *, minimum: int = 8, maximum: int = 60) -> None:
    """Widen each column to its longest value (within limits), ignoring lone headings."""
    widths: dict[str, int] = {}
    for row in ws.iter_rows():
        filled = [cell for cell in row if cell.value is not None]
        if len(filled) == 1 and isinstance(filled[0].value, str):
            continue  # a title or section heading: it spills into the empty cells beside it
        for cell in filled:
            length = len(str(cell.value)) if not isinstance(cell.value, float) else 12
            letter = cell.column_letter
            widths[letter] = max(widths.get(letter, 0), length)
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = max(minimum, min(maximum, width + 2))


def sheet_title(name: str, taken: Sequence[str]) -> str:
    """A sheet title Excel accepts, distinct (ignoring case) from ``taken``."""
    title = _BAD_TITLE.sub("_", clean_text(name)).strip().strip("'") or "Sheet"
    if title.lower() == "history":
        title = "History_"
    title = title[:31]
    lowered = {t.lower() for t in taken}
    candidate, n = title, 2
    while candidate.lower() in lowered:
        suffix = f" ({n})"
        candidate = title[: 31 - len(suffix)] + suffix
        n += 1
    return candidate
