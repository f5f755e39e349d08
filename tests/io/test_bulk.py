"""The fast writer (table rows spliced into the sheet XML on save) gives exactly the
workbook openpyxl's cell-by-cell path gives: values, types, formats, fills, heights, and
a dimension that read-only readers (pandas, openpyxl's read-only mode) rely on."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment

import fundopt as fo
from fundopt.io.bulk import Block, ColumnStyle, FastWorkbook, write_cells
from fundopt.io.plan_sheets import build_plan_workbook
from fundopt.io.xlsx import BOOL_FORMAT

REFERENCE = Path(__file__).resolve().parents[2] / "models" / "england_wales_soc.xlsx"
MONEY = ColumnStyle("#,##0.0", Alignment(vertical="top"))
TEXT = ColumnStyle(None, Alignment(wrap_text=True, vertical="top", indent=1))

AWKWARD: list[Any] = ["plain", "=SUM(A1:A2)", "-5 not a number", "@home", "  padded ",
                      "a<b & c>d", "bell\x07 removed", "", None, "x" * 40_000]
NUMBERS: list[Any] = [1.5, -2, np.float64(3.25), np.int64(7), math.nan, math.inf, True, False,
                      pd.NA, 1e20]
# the same texts again and again (years, names: each made once, written in every cell)
REPEATED: list[Any] = ["=x", "plain", "=x", "", "plain", "a<b", "a<b", "=x", "", "  padded "]
MIXED: list[Any] = ["same", None, "same", 1.5, "same", "=f", None, "=f", True, "same"]


def _block(ws: Any) -> Block:
    ws["A1"] = "heading"
    ws["A3"], ws["B3"] = "text", "money"
    return Block(ws, 4, [AWKWARD, NUMBERS, REPEATED, MIXED], [TEXT, MONEY, TEXT, MONEY],
                 heights={5: 30.0},
                 fills={(6, 2): "FFD966"})


def _cells(path: Path) -> list[tuple[Any, ...]]:
    ws = openpyxl.load_workbook(path)["T"]
    return [(c.coordinate, c.value, c.data_type, c.number_format, c.quotePrefix,
             c.alignment.wrap_text, c.alignment.indent, c.fill.fgColor.rgb)
            for row in ws.iter_rows() for c in row] + [
        (r, d.height) for r, d in sorted(ws.row_dimensions.items()) if d.height]


def _write(wb: Workbook, path: Path, fast: bool,
           make: Callable[[Any], Block] = _block) -> Path:
    """Sheet "T" with the block ``make`` puts on it, by the fast path or cell by cell."""
    ws = wb.active
    assert ws is not None
    ws.title = "T"
    block = make(ws)
    if fast:
        assert isinstance(wb, FastWorkbook)
        wb.add_block(block)
    else:
        write_cells(block)
    wb.save(path)
    return path


def test_the_fast_path_writes_what_openpyxl_writes_cell_by_cell(tmp_path: Path) -> None:
    slow = _cells(_write(Workbook(), tmp_path / "slow.xlsx", fast=False))
    fast = _cells(_write(FastWorkbook(), tmp_path / "fast.xlsx", fast=True))
    assert fast == slow
    got = {c[0]: c for c in fast if isinstance(c[0], str)}
    assert got["A5"][1:3] == ("=SUM(A1:A2)", "s") and got["A5"][4]  # text, never a formula
    assert got["A10"][1] == "bell removed" and len(got["A13"][1]) == 32_767
    assert got["A8"][1] == "  padded " and got["A9"][1] == "a<b & c>d"
    assert got["B6"][1] == 3.25 and got["B6"][7] == "00FFD966"  # numpy scalar, marked
    assert got["B10"][1:4] == (True, "b", BOOL_FORMAT)
    assert got["B8"][1] is None and got["B8"][3] == "#,##0.0"  # NaN: blank, still formatted
    assert (5, 30.0) in fast


def test_columns_all_of_numbers_or_all_of_text_are_written_as_openpyxl_writes_them(
        tmp_path: Path) -> None:
    # the short paths: a column of plain floats and ints, and one of text only
    floats: list[Any] = [1.5, -2.0, 1e20, 0.1 + 0.2, 7.0, 123456789.123]
    ints: list[Any] = [1, -2, 10**17, 0, 7, 3]
    texts: list[Any] = ["plain", "=SUM(A1:A2)", "  padded ", "a<b & c>d", "", "bell\x07"]

    def block(ws: Any) -> Block:
        return Block(ws, 2, [floats, ints, texts], [MONEY, MONEY, TEXT],
                     fills={(3, 1): "FFD966", (4, 3): "FFD966"})

    fast = _cells(_write(FastWorkbook(), tmp_path / "fast.xlsx", True, block))
    assert fast == _cells(_write(Workbook(), tmp_path / "slow.xlsx", False, block))
    got = {c[0]: c for c in fast if isinstance(c[0], str)}
    assert got["A7"][1] == 123456789.123 and got["B4"][1] == 10**17
    assert got["C3"][1:3] == ("=SUM(A1:A2)", "s") and got["C3"][4]
    assert got["A3"][7] == "00FFD966" and got["C4"][7] == "00FFD966"


def test_columns_of_different_lengths_are_written_as_openpyxl_writes_them(
        tmp_path: Path) -> None:
    def block(ws: Any) -> Block:
        return Block(ws, 2, [["a", "b", "c"], [1.5], ["x", None]], [TEXT, MONEY, TEXT],
                     heights={3: 30.0})

    fast = _cells(_write(FastWorkbook(), tmp_path / "fast.xlsx", True, block))
    assert fast == _cells(_write(Workbook(), tmp_path / "slow.xlsx", False, block))
    got = {c[0]: c[1] for c in fast if isinstance(c[0], str)}
    assert (got["A4"], got["B2"], got["C3"], got["B4"]) == ("c", 1.5, None, None)


def test_read_only_readers_see_every_row(tmp_path: Path) -> None:
    path = _write(FastWorkbook(), tmp_path / "fast.xlsx", fast=True)
    wb = openpyxl.load_workbook(path, read_only=True)
    assert sum(1 for _ in wb["T"].iter_rows()) == 13
    wb.close()
    frame = pd.read_excel(path, sheet_name="T", header=2)
    assert len(frame) == 10 and frame["money"].iloc[0] == 1.5


def test_anything_written_below_a_block_afterwards_falls_back_to_the_slow_path(
        tmp_path: Path) -> None:
    wb = FastWorkbook()
    ws = wb.active
    assert ws is not None
    ws.title = "T"
    wb.add_block(_block(ws))
    ws["E6"] = "a note beside the table"  # openpyxl owns row 6 now
    wb.save(tmp_path / "mixed.xlsx")
    got = openpyxl.load_workbook(tmp_path / "mixed.xlsx")["T"]
    assert got["E6"].value == "a note beside the table" and got["B6"].value == 3.25
    assert got["A5"].value == "=SUM(A1:A2)" and got.row_dimensions[5].height == 30.0


def test_the_results_workbook_is_the_same_either_way(tmp_path: Path) -> None:
    plan = fo.solve(fo.read_workbook(REFERENCE))
    fast = build_plan_workbook(plan)
    fast.save(tmp_path / "fast.xlsx")
    slow = build_plan_workbook(plan)
    for block in slow.blocks:
        write_cells(block)
    slow.blocks.clear()
    slow.save(tmp_path / "slow.xlsx")
    a = openpyxl.load_workbook(tmp_path / "slow.xlsx")
    b = openpyxl.load_workbook(tmp_path / "fast.xlsx")
    assert a.sheetnames == b.sheetnames
    for sa, sb in zip(a, b, strict=True):
        if sa.title == "Audit":
            continue  # it says when the workbook was made
        assert [[(c.value, c.number_format, c.fill.fgColor.rgb) for c in r]
                for r in sa.iter_rows()] == [
            [(c.value, c.number_format, c.fill.fgColor.rgb) for c in r]
            for r in sb.iter_rows()], sa.title
