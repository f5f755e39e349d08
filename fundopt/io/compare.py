"""Write a scenario comparison (:func:`fundopt.compare`) as a new workbook, atomically.

Sheets, each a table sheet like the results workbook's (:mod:`fundopt.io.sheet_spec`):
*Summary* (one row per scenario), *Totals* (allocation per recipient and year, one column
per scenario), *Changes* (each recipient's change on the base), *Binding rules* (per
scenario, with shadow prices), *Allocations* (every line, tidy), *Why infeasible* (when a
scenario has no plan) and *Scenarios* (the overrides, as read). Money is shown in the
problem's money unit; a winner or loser is named only for a material change
(:class:`fundopt.reports.summary.Materiality`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from fundopt.io.atomic import write_atomically
from fundopt.io.bulk import FastWorkbook
from fundopt.io.render import Context, write_sheet
from fundopt.io.scenarios import scenarios_frame
from fundopt.io.sheet_spec import Col, Format, SheetSpec
from fundopt.io.xlsx import BAD_FILL, ExtraSheet, extra_sheet_spec
from fundopt.problem.scenarios import SHEET_COLUMNS, Scenario
from fundopt.problem.schema import MoneyUnit
from fundopt.reports.summary import Materiality, Names

if TYPE_CHECKING:  # io writes what a sweep returns; it does not depend on the sweep engine
    from fundopt.problem import FundingProblem
    from fundopt.whatif.sweep import SweepResult

M, C, PRICE = Format.MONEY, Format.CHANGE, Format.PRICE
PRINT_ROWS = 100
NO_MATERIAL_CHANGE = "no material change"


def material_summary(result: SweepResult, materiality: Materiality | None = None
                     ) -> pd.DataFrame:
    """``result.summary`` with a biggest winner or loser named only when the change is
    material against what the recipient gets in the base plan over the horizon."""
    m = materiality or Materiality()
    base = result.base.allocations.groupby("recipient")["amount"].sum()
    out = result.summary.copy()
    for who in ("biggest_winner", "biggest_loser"):
        if who not in out.columns:
            continue
        names, changes = list(out[who]), list(out[f"{who}_change"])
        for i, (name, change) in enumerate(zip(names, changes, strict=True)):
            if not name or change is None or (isinstance(change, float) and math.isnan(change)):
                continue
            if abs(float(change)) < m.threshold(float(base.get(name, 0.0))):
                names[i], changes[i] = NO_MATERIAL_CHANGE, math.nan
        out[who], out[f"{who}_change"] = names, changes
    return out


def _status_marks(_obj: Any, frame: pd.DataFrame) -> list[tuple[int, str, str]]:
    red = BAD_FILL.fgColor.rgb[-6:]
    return [(i, "status", red) for i, s in enumerate(frame["status"]) if s != "optimal"]


def _specs(result: SweepResult, scenarios: Sequence[Scenario], unit: MoneyUnit
           ) -> list[tuple[SheetSpec, Any]]:
    order = list(result.summary["scenario"])
    summary = material_summary(result).drop(columns=["seconds", "iterations", "diagnosis"],
                                            errors="ignore")
    totals = (result.allocations.groupby(["recipient", "year", "scenario"])["amount"].sum()
              .unstack("scenario", fill_value=0))
    totals = totals[[s for s in order if s in totals.columns]].reset_index()
    why = result.summary.loc[result.summary["diagnosis"].astype(str).str.strip() != "",
                             ["scenario", "diagnosis"]] \
        if "diagnosis" in result.summary.columns else pd.DataFrame()
    return [
        (SheetSpec("Summary", lambda _: summary,
                   "One row per scenario; 'base' is the problem as given. The change in value "
                   "and the money moved compare each scenario with the base; a winner or loser "
                   "is named only for a material change. The page prints the first nine "
                   "columns; the rest (value and totals per year, how each was solved) are "
                   "beside them.",
                   (Col("scenario", "Scenario"), Col("status", "Status"),
                    Col("objective_change", "Value on the base", C), Col("moved", "Moved", M),
                    Col("biggest_winner", "Biggest winner", in_words=True),
                    Col("biggest_winner_change", "Winner's gain", C),
                    Col("biggest_loser", "Biggest loser", in_words=True),
                    Col("biggest_loser_change", "Loser's loss", C),
                    Col("message", "Message", wrap=True),
                    Col("binding_rules", "Rules binding", Format.COUNT),
                    Col("main_binding", "Main binding rules", wrap=True),
                    Col("overrides", "Changes made", wrap=True),
                    Col("gained", "Gained", M), Col("lost", "Lost", M),
                    Col("objective", "Value", M), Col("total *", "Total {}", M),
                    Col("method", "How solved")),
                   marks=_status_marks, print_columns=9), None),
        (SheetSpec("Totals", lambda _: totals,
                   "Allocation per recipient and year, one column per scenario.",
                   (Col("recipient", "Recipient"), Col("year", "Year"),
                    *(Col(s, s, M) for s in order)), freeze_columns=3, print_rows=PRINT_ROWS),
         None),
        (SheetSpec("Changes", lambda _: result.changes,
                   "Each recipient's allocation per year in each scenario against the base.",
                   (Col("scenario", "Scenario"), Col("recipient", "Recipient"),
                    Col("year", "Year"), Col("base", "Base", M), Col("amount", "Scenario", M),
                    Col("change", "Change", C)), freeze_columns=3, print_rows=PRINT_ROWS), None),
        (SheetSpec("Binding rules", lambda _: result.binding,
                   "The rules each scenario's plan meets exactly; shadow price: the value one "
                   "more pound of room on the rule would add (£ of value per £).",
                   (Col("scenario", "Scenario"), Col("family", "Family"),
                    Col("description", "Rule in words", wrap=True, in_words=True),
                    Col("shadow_price", "Shadow price", PRICE), Col("rule", "Rule id")),
                   freeze_columns=2, print_rows=PRINT_ROWS), None),
        (SheetSpec("Allocations", lambda _: result.allocations,
                   "Every funded line of every scenario, by id (the recipients' names are on "
                   "the Totals and Changes sheets: names here would triple the time to write "
                   "a sheet this long).",
                   (Col("scenario", "Scenario"), Col("recipient", "Recipient"),
                    Col("activity", "Activity"), Col("stream", "Stream"), Col("year", "Year"),
                    Col("amount", "Amount", M)), freeze_columns=2, print_rows=PRINT_ROWS,
                   names=False), None),
        (SheetSpec("Why infeasible", lambda _: why,
                   "Why the rules cannot all hold in these scenarios, and the cheapest way out.",
                   (Col("scenario", "Scenario"), Col("diagnosis", "Why", wrap=True,
                                                     in_words=True)), names=False), None),
        (SheetSpec("Scenarios", lambda _: scenarios_frame(scenarios, unit),
                   "The scenarios as read: one row per change to the problem. Amounts in "
                   "{unit}; factors and shares as typed.",
                   tuple(Col(c, c) for c in SHEET_COLUMNS), names=False), None),
    ]


def build_compare_workbook(result: SweepResult, unit: MoneyUnit,
                           scenarios: Sequence[Scenario] = (),
                           problem: FundingProblem | None = None,
                           extra_sheets: Mapping[str, pd.DataFrame | ExtraSheet | SheetSpec]
                           | None = None) -> FastWorkbook:
    ctx = Context(unit, Names(problem) if problem is not None else None)
    wb = FastWorkbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    specs = _specs(result, scenarios, unit)
    extras = [(extra if isinstance(extra, SheetSpec) else extra_sheet_spec(name, extra), result)
              for name, extra in (extra_sheets or {}).items()]
    for spec, obj in [*specs[:-1], *extras, specs[-1]]:  # extra sheets before Scenarios
        write_sheet(wb, spec, obj, ctx)
    return wb


def write_compare(result: SweepResult, path: str | Path, unit: MoneyUnit, *,
                  scenarios: Sequence[Scenario] = (), overwrite: bool = False,
                  input_path: str | Path | None = None,
                  problem: FundingProblem | None = None,
                  extra_sheets: Mapping[str, pd.DataFrame | ExtraSheet | SheetSpec] | None = None
                  ) -> Path:
    """Write ``result`` to a new workbook at ``path`` (complete or not at all); never over
    the input workbook or an existing file unless ``overwrite``. With ``problem``, ids are
    shown beside their names; ``extra_sheets`` (tables, or declared sheets whose source is
    given ``result``) go before *Scenarios* (``fundopt compare`` adds *Winners and losers*)."""
    wb = build_compare_workbook(result, unit, scenarios, problem, extra_sheets)
    protect = [input_path] if input_path else []
    return write_atomically(path, wb.save, overwrite=overwrite, protect=protect)


__all__ = ["build_compare_workbook", "material_summary", "write_compare"]
