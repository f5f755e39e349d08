"""Write a scenario comparison (:func:`fundopt.compare`) as a new workbook, atomically.

Sheets: *Summary* (one row per scenario), *Totals* (allocation per recipient and year,
one column per scenario), *Changes* (each recipient's change on the base), *Binding rules*
(per scenario, with shadow prices), *Allocations* (every line, tidy) and *Scenarios*
(the overrides, as read). Money is shown in the problem's money unit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook

from fundopt.io.atomic import write_atomically
from fundopt.io.problem_sheets import write_extra_sheet
from fundopt.io.scenarios import scenarios_sheet
from fundopt.io.xlsx import BAD_FILL, ExtraSheet
from fundopt.problem.scenarios import Scenario
from fundopt.problem.schema import MoneyUnit

if TYPE_CHECKING:  # io writes what a sweep returns; it does not depend on the sweep engine
    from fundopt.whatif.sweep import SweepResult

_SUMMARY_MONEY = ("gained", "lost", "moved", "biggest_winner_change", "biggest_loser_change")


def build_compare_workbook(result: SweepResult, unit: MoneyUnit,
                           scenarios: Sequence[Scenario] = (),
                           extra_sheets: Mapping[str, ExtraSheet] | None = None) -> Workbook:
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    summary = result.summary.drop(columns=["seconds", "iterations"], errors="ignore")
    money = [c for c in summary.columns if c.startswith("total ") or c in _SUMMARY_MONEY]
    ws = write_extra_sheet(wb, "Summary", ExtraSheet(
        summary, money_columns=tuple(money),
        note="One row per scenario; 'base' is the problem as given. objective_change and "
             "money columns compare each scenario with the base."), unit)
    status_col = list(summary.columns).index("status") + 1
    for r in range(4, ws.max_row + 1):  # the note, a blank row, the header, then data
        cell = ws.cell(row=r, column=status_col)
        if cell.value not in (None, "optimal"):
            cell.fill = BAD_FILL
    totals = (result.allocations.groupby(["recipient", "year", "scenario"])["amount"].sum()
              .unstack("scenario", fill_value=0))
    order = [s for s in result.summary["scenario"] if s in totals.columns]
    totals = totals[order].reset_index()
    write_extra_sheet(wb, "Totals", ExtraSheet(
        totals, money_columns=tuple(order),
        note="Allocation per recipient and year, one column per scenario."), unit)
    write_extra_sheet(wb, "Changes", ExtraSheet(
        result.changes, money_columns=("base", "amount", "change"),
        note="Each recipient's allocation per year against the base."), unit)
    write_extra_sheet(wb, "Binding rules", ExtraSheet(
        result.binding,
        note="The rules each scenario's plan meets exactly; shadow_price is the value of "
             "one more pound of room on the rule."), unit)
    write_extra_sheet(wb, "Allocations", ExtraSheet(
        result.allocations, money_columns=("amount",),
        note="Every funded line of every scenario."), unit)
    for name, extra in (extra_sheets or {}).items():  # e.g. winners and losers
        write_extra_sheet(wb, name, extra, unit)
    if scenarios:
        write_extra_sheet(wb, "Scenarios", scenarios_sheet(scenarios, unit), unit)
    return wb


def write_compare(result: SweepResult, path: str | Path, unit: MoneyUnit, *,
                  scenarios: Sequence[Scenario] = (), overwrite: bool = False,
                  input_path: str | Path | None = None,
                  extra_sheets: Mapping[str, ExtraSheet] | None = None) -> Path:
    """Write ``result`` to a new workbook at ``path`` (complete or not at all); never over
    the input workbook or an existing file unless ``overwrite``. ``extra_sheets`` go
    before *Scenarios* (``fundopt compare`` adds *Winners and losers*)."""
    wb = build_compare_workbook(result, unit, scenarios, extra_sheets)
    protect = [input_path] if input_path else []
    return write_atomically(path, wb.save, overwrite=overwrite, protect=protect)


__all__ = ["build_compare_workbook", "write_compare"]
