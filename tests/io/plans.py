"""A Plan built by hand for the writer's tests (no solver involved)."""

from __future__ import annotations

import math

import openpyxl
import pandas as pd

from fundopt.io.template import example_problem
from fundopt.plan import Plan, PlanStatus, SolverInfo
from fundopt.problem import FundingProblem

CHECK_COLUMNS = ["family", "rule", "year", "recipient", "lhs", "sense", "rhs", "slack", "soft",
                 "passed", "detail"]


def hand_plan(problem: FundingProblem | None = None, *, passed: bool = True) -> Plan:
    problem = problem or example_problem()
    allocations = pd.DataFrame(
        [("cumbria", "drugs_pursue", "soc_grant", "2026-27", 10_000_000)],
        columns=["recipient", "activity", "stream", "year", "amount"],
    ).astype({"amount": "int64"})
    totals = pd.DataFrame(
        [("cumbria", "force", "North West", "2025-26", 9_500_000.0, 100e6, 109.5e6, math.nan,
          math.nan, math.nan),
         ("cumbria", "force", "North West", "2026-27", 10_000_000.0, 102e6, 112e6,
          112 / 109.5 - 1, 0.05, 7_975_000.0)],
        columns=["recipient", "kind", "region", "year", "allocation", "other_income",
                 "total_funding", "change_rate", "fall_limit_rate", "headroom"],
    )
    stream_use = pd.DataFrame(
        [("soc_grant", "2026-27", 10e6, 0.0, 10e6, 0.0, 0.0)],
        columns=["stream", "year", "envelope", "carry_in", "spent", "carry_out", "unspent"],
    )
    shadow = pd.DataFrame(
        [("envelope", "envelope[soc_grant,2026-27]", "stream 'soc_grant' envelope", "2026-27",
          None, "soc_grant", 0.995),
         ("cliff_edge", "cliff_edge[cumbria,2026-27]", "cumbria may fall 5%", "2026-27",
          "cumbria", None, 0.0125)],
        columns=["family", "rule", "description", "year", "recipient", "stream", "value"],
    )
    binding = shadow.rename(columns={"value": "shadow_price"})
    checks = pd.DataFrame(
        [("envelope", "envelope[soc_grant,2026-27]", "2026-27", None, 10e6, "==", 10e6, 0.0,
          False, True, "stream 'soc_grant' spends within its envelope"),
         ("cap", "cap_ratio[cumbria,2026-27]", "2026-27", "cumbria", 10e6, "<=", 11.4e6,
          1.4e6, False, passed, "cap")],
        columns=CHECK_COLUMNS,
    )
    return Plan(
        problem=problem, status=PlanStatus.OPTIMAL, objective=9_950_000.0,
        objective_terms={"value": 10_000_000.0, "volatility_penalty": -50_000.0},
        allocations=allocations, totals=totals, stream_use=stream_use,
        carry_forward=pd.DataFrame(columns=["stream", "year", "amount"]),
        shadow_prices=shadow, binding=binding,
        breaches=pd.DataFrame(columns=["rule", "amount", "penalty"]), checks=checks,
        solver=SolverInfo(highs_version="1.16.0", options={"presolve": "on"},
                          times={"build": 0.01, "solve": 0.02}),
    )


def sheet_rows(path: object, sheet: str, header_row: int = 3) -> list[dict[str, object]]:
    """A results sheet's table as dicts keyed by header text."""
    wb = openpyxl.load_workbook(path, data_only=False)  # type: ignore[arg-type]
    ws = wb[sheet]
    header = [c.value for c in ws[header_row]]
    out = []
    for row in ws.iter_rows(min_row=header_row + 1, values_only=True):
        if all(v is None for v in row):
            break
        out.append(dict(zip(header, row, strict=False)))
    return out


def summary_facts(path: object) -> dict[str, object]:
    """The Summary's "at a glance" facts: label (column A) -> value (column B)."""
    ws = openpyxl.load_workbook(path)["Summary"]  # type: ignore[arg-type]
    start = next(r for r in range(1, ws.max_row + 1)
                 if ws.cell(row=r, column=1).value == "The plan at a glance")
    out: dict[str, object] = {}
    for r in range(start + 1, ws.max_row + 1):
        label = ws.cell(row=r, column=1).value
        if label is None:
            break
        out[str(label)] = ws.cell(row=r, column=2).value
    return out


def banners(path: object) -> list[str]:
    """The Summary's red warning banners, top to bottom."""
    ws = openpyxl.load_workbook(path)["Summary"]  # type: ignore[arg-type]
    return [str(c.value) for c in ws["A"] if c.value and c.fill.fgColor.rgb.endswith("C00000")]


def summary_table(path: object, heading: str) -> list[tuple[object, ...]]:
    """The rows of the Summary table under ``heading`` (its header row skipped), each as
    its non-blank values."""
    ws = openpyxl.load_workbook(path)["Summary"]  # type: ignore[arg-type]
    r = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == heading)
    while not (ws.cell(row=r, column=1).fill.fgColor.rgb or "").endswith("1F4E78"):
        r += 1  # to the table's header
    out = []
    for row in ws.iter_rows(min_row=r + 1, values_only=True):
        values = tuple(v for v in row if v is not None)
        if not values:
            break
        out.append(values)
    return out
