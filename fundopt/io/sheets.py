"""Read one sheet of the template into raw column values, collecting every problem with its cell.

Used by :mod:`fundopt.io.read`. A table is the header in row 1 and the rows below it up
to the first blank row; anything after that blank row is an error, as are merged cells
inside the table (to its right or below it they are formatting, and accepted), error values
(``#REF!``, ``#SPILL!``, ...) and formulas that have no saved result.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from openpyxl.worksheet.worksheet import Worksheet

from fundopt.errors import Issue, Severity
from fundopt.io.cells import parse_value
from fundopt.io.layout import FIRST_DATA_ROW, HEADER_ROW, column_letter, parse_header, unit_of
from fundopt.problem.schema import MoneyUnit, TableSpec


@dataclass
class SheetTable:
    """What was read from one table sheet."""

    columns: dict[str, list[Any]] = field(default_factory=dict)  # present columns only
    letters: dict[str, str] = field(default_factory=dict)
    excel_rows: list[int] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)
    flagged: set[str] = field(default_factory=set)  # A1 cells that already have an issue
    issues: list[Issue] = field(default_factory=list)


def quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def formula_text(value: Any) -> str | None:
    """The formula of a cell loaded with data_only=False, or None if it holds no formula."""
    if isinstance(value, str):
        return value if value.startswith("=") else None
    if value is None or isinstance(value, int | float):  # most cells: no formula object
        return None
    text = getattr(value, "text", None)  # ArrayFormula, DataTableFormula
    if isinstance(text, str):
        return text if text.startswith("=") else "=" + text
    return None


class _Collector:
    def __init__(self, sheet: str, out: SheetTable) -> None:
        self.sheet = sheet
        self.out = out

    def add(self, cell: str, message: str, *, found: str = "", hint: str = "", code: str,
            severity: Severity = Severity.ERROR, table: str = "", column: str = "") -> None:
        self.out.issues.append(Issue(message=message, table=table, column=column, found=found,
                                     hint=hint, code=code, severity=severity, sheet=self.sheet,
                                     cell=cell))
        if severity is Severity.ERROR and cell:
            self.out.flagged.add(cell)


def _is_empty(value: Any, formula: Any) -> bool:
    if formula_text(formula) is not None:
        return False
    return value is None or (isinstance(value, str) and value.strip() == "")


def read_table(ws: Worksheet, fws: Worksheet, spec: TableSpec, unit: MoneyUnit | None
               ) -> SheetTable:
    """Read ``spec``'s table from ``ws`` (values) and ``fws`` (the same sheet's formulas).

    Only the rows and cells the sheet has are visited (a row with no cell is blank), so a
    stray value at row 1,048,576 costs one row, not a million."""
    out = SheetTable()
    c = _Collector(ws.title, out)
    max_col = max(ws.max_column, len(spec.columns))
    header = _read_header(ws, spec, unit, max_col, c)
    merges = _Merges(ws, _width(ws, max_col, len(spec.columns)), c)
    merges.reach(HEADER_ROW)
    ended_at: int | None = None
    hidden: list[int] = []
    expected = FIRST_DATA_ROW
    for r, columns in occupied(ws, fws, FIRST_DATA_ROW).items():
        if ended_at is None and r > expected:  # the rows in between have no cell: blank
            ended_at = expected - 1
        idxs = sorted(set(header) | {col - 1 for col in columns})
        row_cells = [ws.cell(row=r, column=i + 1) for i in idxs]
        formulas = [fws.cell(row=r, column=i + 1).value for i in idxs]
        empty = [_is_empty(cell.value, f) for cell, f in zip(row_cells, formulas, strict=True)]
        if ended_at is not None:
            if not all(empty):
                k = empty.index(False)
                c.add(f"{column_letter(idxs[k] + 1)}{r}",
                      f"data after the end of the table (it ended at row {ended_at})",
                      found=repr(row_cells[k].value), code="FO-S10",
                      hint="a blank row ends a table: delete the blank row, or the stray data")
                break
            continue
        if all(empty):
            ended_at = r - 1
            continue
        expected = r + 1
        merges.reach(r)
        if ws.row_dimensions[r].hidden:
            hidden.append(r)
        out.excel_rows.append(r)
        for idx, cell, formula, blank in zip(idxs, row_cells, formulas, empty, strict=True):
            col = header.get(idx)
            if col is None:
                if not blank:
                    c.add(cell.coordinate, "data in a column with no header",
                          found=repr(cell.value), code="FO-S04",
                          hint=f"add a header or clear the column; headers are: "
                               f"{', '.join(spec.column_names)}")
                continue
            out.columns[col].append(_read_cell(cell.value, cell.data_type, formula,
                                               cell.coordinate, spec, col, unit, c))
    if hidden:
        shown = ", ".join(str(r) for r in hidden[:10]) + (" ..." if len(hidden) > 10 else "")
        c.add(f"A{hidden[0]}", f"rows {shown} are hidden but were read", code="FO-S08",
              severity=Severity.WARNING, hint="unhide them to check them")
    return out


def occupied(ws: Worksheet, fws: Worksheet, first_row: int) -> dict[int, list[int]]:
    """Row -> the columns that have a cell, for the rows from ``first_row`` on, in order: all
    the sheet holds (cells only formatted were dropped before loading, fundopt.io.slim).
    openpyxl keeps a sheet's cells in ``_cells``, keyed (row, column), and has no public way
    to visit only those: ``iter_rows`` makes every cell of its range."""
    rows: dict[int, set[int]] = {}
    for sheet in (ws, fws):
        for r, col in sheet._cells:
            if r >= first_row:
                rows.setdefault(r, set()).add(col)
    return {r: sorted(rows[r]) for r in sorted(rows)}


def _read_cell(value: Any, data_type: str, formula: Any, coordinate: str, spec: TableSpec,
               col: str, unit: MoneyUnit | None, c: _Collector) -> Any:
    if data_type == "e":
        c.add(coordinate, f"shows the Excel error {value}", found=str(value), code="FO-V03",
              hint="fix the formula or value in Excel and save again", table=spec.name, column=col)
        return None
    ftext = formula_text(formula)
    if value is None and ftext is not None:
        c.add(coordinate, "is a formula with no saved result", found=ftext, code="FO-V02",
              hint="open the file in Excel, let it calculate, and save it again",
              table=spec.name, column=col)
        return None
    if coordinate in c.out.flagged:
        return None
    parsed, problem = parse_value(value, spec.column(col).kind, unit or MoneyUnit.MILLIONS)
    if problem is not None:
        c.add(coordinate, f"{col}: {problem.message}", found=problem.found, hint=problem.hint,
              code=problem.code, table=spec.name, column=col)
        return None
    return parsed


def _read_header(ws: Worksheet, spec: TableSpec, unit: MoneyUnit | None, max_col: int,
                 c: _Collector) -> dict[int, str]:
    """Map 0-based column index -> column name; records letters, missing columns, issues."""
    out = c.out
    seen: dict[str, str] = {}
    header: dict[int, str] = {}
    names = spec.column_names
    for idx in range(max_col):
        cell = ws.cell(row=HEADER_ROW, column=idx + 1)
        if cell.value is None or (isinstance(cell.value, str) and not cell.value.strip()):
            continue
        text = str(cell.value)
        parsed = parse_header(text)
        name = parsed[0].lower() if parsed else ""
        if name not in names:
            close = difflib.get_close_matches(name or text.lower(), names, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else f"headers are: {', '.join(names)}"
            c.add(cell.coordinate, "unknown column header", found=repr(text), hint=hint,
                  code="FO-S04")
            continue
        if name in seen:
            c.add(cell.coordinate, f"column '{name}' appears twice (also at "
                  f"{quoted(ws.title)}!{seen[name]})", found=repr(text), code="FO-S05",
                  hint="delete or rename one of them")
            continue
        seen[name] = cell.coordinate
        column = spec.column(name)
        found_unit = parsed[1] if parsed else ""
        if unit is not None:
            want = unit_of(column, unit)
            if found_unit != want and not (want == "%" and found_unit == ""):
                shown = f"'{found_unit}'" if found_unit else "no unit"
                c.add(cell.coordinate, f"header unit does not match: expected "
                      f"'{column.name} ({want})'" if want else "this column has no unit",
                      found=shown, code="FO-S15",
                      hint=f"money_unit on Settings is {unit.value}; make the header and the "
                           "setting agree" if want and want != "%" else
                           f"write the header as '{column.name}{f' ({want})' if want else ''}'")
        header[idx] = name
        out.letters[name] = cell.column_letter
        out.columns[name] = []
    for pos, name in enumerate(names):
        if name not in seen:
            out.missing.add(name)
            if not spec.column(name).required:
                continue  # an optional column added in a later version reads as blank
            c.add(f"{column_letter(pos + 1)}{HEADER_ROW}", f"column '{name}' is missing",
                  code="FO-S04", hint="add the column back (leave it blank if it does not apply); "
                  "fundopt template writes a fresh template to copy from")
    return header


def _width(ws: Worksheet, max_col: int, columns: int) -> int:
    """How many columns the table spans: to its last header (the schema's count if none)."""
    for idx in range(max_col, 0, -1):
        value = ws.cell(row=HEADER_ROW, column=idx).value
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return idx
    return columns


class _Merges:
    """Merged ranges that overlap the table, reported (FO-S07) as the table reaches their
    first row; their cells are flagged so they get no second message. A range to the right
    of the table's last header, or below the blank row that ends it, is formatting outside
    the table and is accepted (data in such cells is still found: a column with no header,
    data after the end of the table)."""

    def __init__(self, ws: Worksheet, width: int, c: _Collector) -> None:
        self.c = c
        self.pending = sorted((rng for rng in ws.merged_cells.ranges if rng.min_col <= width),
                              key=lambda rng: (rng.min_row, rng.min_col), reverse=True)

    def reach(self, row: int) -> None:
        """Report the ranges that start at or above ``row``, a row of the table."""
        while self.pending and self.pending[-1].min_row <= row:
            rng = self.pending.pop()
            self.c.add(rng.coord, "merged cells inside the table", found=rng.coord,
                       code="FO-S07", hint="unmerge them (Home > Merge & Center > Unmerge Cells)")
            for r in range(rng.min_row, rng.max_row + 1):
                for col in range(rng.min_col, rng.max_col + 1):
                    self.c.out.flagged.add(f"{column_letter(col)}{r}")
