"""A table's data rows written straight into the sheet's XML when the workbook is saved.

openpyxl makes an object for every cell and serialises each through an XML tree: for the
90,000 cells of the reference plan's results that was about 1.5 s of a 2 s write. A
:class:`FastWorkbook` keeps each table's rows as columns of values with one style per
column (registered with openpyxl, so its number formats, fonts and fills are openpyxl's
own); on save, openpyxl writes everything else (headings, headers, widths, filters, frozen
panes, print settings, the Summary) and the rows are spliced into each sheet's
``<sheetData>`` as the same XML openpyxl would write: inline strings, numbers as
``%.16g``, booleans as 1/0 with the TRUE/FALSE format, text starting with ``=``, ``+``,
``-`` or ``@`` marked as text (quote prefix), characters Excel rejects removed.

If anything was written by openpyxl below a block's first row after the block was kept
(a cell, a row height), the block is written cell by cell through openpyxl instead, so
the result is always what the slow path gives.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import pandas as pd
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from fundopt.io.xlsx import BOOL_FORMAT, clean_text, set_value

_DIMENSION = re.compile(rb'<dimension ref="[^"]*"\s*/>')
_TEXT_MARKS = ("=", "+", "-", "@")


@dataclass(frozen=True)
class ColumnStyle:
    """How a column's cells look: its number format (None: General) and alignment."""

    number_format: str | None
    alignment: Alignment


@dataclass
class Block:
    """A table's data rows, kept as columns, from ``first_row`` down."""

    ws: Worksheet
    first_row: int
    columns: Sequence[Sequence[Any]]
    styles: Sequence[ColumnStyle]
    heights: dict[int, float] = field(default_factory=dict)  # sheet row -> points
    fills: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) -> colour

    @property
    def last_row(self) -> int:
        return self.first_row + max((len(c) for c in self.columns), default=0) - 1


class FastWorkbook(Workbook):
    """An openpyxl workbook whose table rows (:meth:`add_block`) are written on save
    without an object per cell. Everything else is an ordinary openpyxl workbook."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[Block] = []
        self._ids: dict[tuple[Any, ...], int] = {}

    def add_block(self, block: Block) -> None:
        self.blocks.append(block)

    def save(self, filename: str | IO[bytes]) -> None:
        blocks = [b for b in self.blocks if b.ws in self.worksheets]
        for b in [b for b in blocks if _touched_below(b)]:
            write_cells(b)  # openpyxl owns those rows now: write the block its way
            blocks.remove(b)
        if not blocks:
            super().save(filename)
            return
        xml = {id(b.ws): self._rows_xml(b) for b in blocks}  # styles registered before saving
        buffer = io.BytesIO()
        super().save(buffer)
        parts = {b.ws.path.lstrip("/"): b for b in blocks}
        with zipfile.ZipFile(buffer) as zin, zipfile.ZipFile(
                filename, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zout:
            for info in zin.infolist():
                data = zin.read(info)
                block = parts.get(info.filename)
                if block is not None:
                    data = _splice(data, xml[id(block.ws)], block)
                zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)

    # -- styles -------------------------------------------------------------------------------
    def style_id(self, ws: Worksheet, style: ColumnStyle, variant: str = "",
                 fill: str | None = None) -> int:
        """The cellXfs index of ``style`` (with a boolean or text variant and a fill)."""
        key = (style, variant, fill)
        found = self._ids.get(key)
        if found is None:
            cell = Cell(ws)  # not placed on the sheet: only registers the style
            if style.number_format:
                cell.number_format = style.number_format
            if variant == "bool":
                cell.number_format = BOOL_FORMAT
            elif variant == "text":
                cell.quotePrefix = True
            cell.alignment = style.alignment
            if fill:
                cell.fill = PatternFill("solid", fgColor=fill)
            found = self._ids[key] = int(cell.style_id)
        return found

    def _rows_xml(self, b: Block) -> bytes:
        """The block's rows as sheet XML: each column's cells made at once (a column of
        plain numbers or of text by a short path), then put together row by row."""
        ids = [{v: self.style_id(b.ws, s, v) for v in ("", "bool", "text")} for s in b.styles]
        columns = [_column_xml(get_column_letter(j + 1), b.first_row, column, ids[j])
                   for j, column in enumerate(b.columns)]
        for r, c in sorted(b.fills):  # a marked cell, in a style of its own
            i, column = r - b.first_row, b.columns[c - 1]
            if 0 <= i < len(column):
                marked = {v: self.style_id(b.ws, b.styles[c - 1], v, b.fills[(r, c)])
                          for v in ("", "bool", "text")}
                columns[c - 1][i] = _cell(f"{get_column_letter(c)}{r}", column[i], marked)
        n = b.last_row - b.first_row + 1
        if all(len(c) == n for c in columns):  # a table's columns: one length
            joined: Iterable[str] = map("".join, zip(*columns, strict=True))
        else:
            joined = ("".join([c[i] for c in columns if i < len(c)]) for i in range(n))
        rows: list[str] = []
        heights = b.heights
        for r, cells in enumerate(joined, start=b.first_row):
            height = heights.get(r)
            attrs = f' ht="{height:g}" customHeight="1"' if height else ""
            rows.append(f'<row r="{r}"{attrs}>{cells}</row>')
        return "".join(rows).encode("utf-8")


def _column_xml(letter: str, first_row: int, values: Sequence[Any], ids: dict[str, int]
                ) -> list[str]:
    """Each cell's XML down one column, as :func:`_cell` makes it."""
    rows = range(first_row, first_row + len(values))
    kinds = {type(v) for v in values}
    if kinds <= {float, int} and all(math.isfinite(v) for v in values):  # bool is no int here
        s = ids[""]
        return [f'<c r="{letter}{r}" s="{s}" t="n"><v>{v:.16g}</v></c>'
                for r, v in zip(rows, values, strict=True)]
    if kinds == {str}:  # names, years, words: each distinct text made once, not per cell
        bodies = {v: _text_body(v, ids) for v in set(values)}
        return [f'<c r="{letter}{r}"{bodies[v]}' for r, v in zip(rows, values, strict=True)]
    texts = {v: _text_body(v, ids) for v in {v for v in values if isinstance(v, str)}}
    return [f'<c r="{letter}{r}"{texts[v]}' if isinstance(v, str) else
            _cell(f"{letter}{r}", v, ids) for r, v in zip(rows, values, strict=True)]


def _cell(ref: str, value: Any, ids: dict[str, int]) -> str:
    """One cell's XML, as openpyxl writes it (see the module's docstring)."""
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalars
    if value is None or value is pd.NA or value is pd.NaT or (
            isinstance(value, float) and not math.isfinite(value)):
        return f'<c r="{ref}" s="{ids[""]}"/>'  # blank, in the column's format
    if isinstance(value, bool):
        return f'<c r="{ref}" s="{ids["bool"]}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}" s="{ids[""]}" t="n"><v>{value:.16g}</v></c>'
    return _text(ref, value if isinstance(value, str) else str(value), ids)


def _text(ref: str, value: str, ids: dict[str, int]) -> str:
    """A text cell's XML (see :func:`_cell`)."""
    return f'<c r="{ref}"{_text_body(value, ids)}'


def _text_body(value: str, ids: dict[str, int]) -> str:
    """A text cell's XML after its reference (``<c r="A1"`` and this make the cell)."""
    text = clean_text(value)
    if not text:
        return f' s="{ids[""]}" t="inlineStr"/>'  # as openpyxl writes ""
    style = ids["text"] if text[:1] in _TEXT_MARKS else ids[""]
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f' s="{style}" t="inlineStr"><is><t{space}>{_escape(text)}</t></is></c>'


def _escape(text: str) -> str:
    """``&``, ``<`` and ``>`` as XML entities (``xml.sax.saxutils.escape``, without the
    import: it brings in ``urllib.request``, ``http.client`` and ``ssl``, about 20 ms of
    every command's start, which nothing else here needs)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def _touched_below(b: Block) -> bool:
    """Whether openpyxl would write anything in the block's rows (a cell with a value or a
    style, a row with a height or any other setting)."""
    ws = b.ws
    cells = any(r >= b.first_row and (c._value is not None or c.has_style)
                for (r, _), c in ws._cells.items())
    return cells or any(r >= b.first_row and dict(d) for r, d in ws.row_dimensions.items())


def write_cells(b: Block) -> None:
    """Write a block through openpyxl, cell by cell (the slow path, same result)."""
    for j, (column, style) in enumerate(zip(b.columns, b.styles, strict=True), start=1):
        for i, value in enumerate(column):
            cell = b.ws.cell(row=b.first_row + i, column=j)
            set_value(cell, value)
            if style.number_format and cell.number_format != BOOL_FORMAT:
                cell.number_format = style.number_format
            cell.alignment = style.alignment
            fill = b.fills.get((cell.row, j))
            if fill:
                cell.fill = PatternFill("solid", fgColor=fill)
    for r, height in b.heights.items():
        b.ws.row_dimensions[r].height = height


def _splice(data: bytes, rows: bytes, b: Block) -> bytes:
    """The sheet's XML with ``rows`` at the end of its sheetData and its dimension widened."""
    if b"</sheetData>" in data:
        data = data.replace(b"</sheetData>", rows + b"</sheetData>", 1)
    else:
        data = data.replace(b"<sheetData/>", b"<sheetData>" + rows + b"</sheetData>", 1)
    last_col = get_column_letter(max(b.ws.max_column, len(b.columns)))
    ref = f'<dimension ref="A1:{last_col}{b.last_row}"/>'.encode()
    return _DIMENSION.sub(ref, data, count=1)
