"""Write results and problems to new workbooks, atomically, never over the input."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from fundopt.errors import expect
from fundopt.io.atomic import write_atomically
from fundopt.io.plan_sheets import build_plan_workbook
from fundopt.io.problem_sheets import build_problem_workbook
from fundopt.io.xlsx import ExtraSheet
from fundopt.plan import Plan
from fundopt.problem import FundingProblem


def write_problem(problem: FundingProblem, path: str | Path, *,
                  extra_sheets: Mapping[str, pd.DataFrame | ExtraSheet] | None = None,
                  overwrite: bool = True) -> Path:
    """Write ``problem`` as an input workbook in the template format.

    ``extra_sheets`` adds tables after the input sheets (the reader ignores them), e.g.
    ``{"Sources": frame}``. Replaces an existing file unless ``overwrite=False``, but never
    the workbook the problem was read from.
    """
    wb = build_problem_workbook(problem, extra_sheets)
    return write_atomically(path, wb.save, overwrite=overwrite, protect=[problem.origin.path])


def write_workbook(plan: Plan, path: str | Path, *, input_path: str | Path | None = None,
                   overwrite: bool = False,
                   extra_sheets: Mapping[str, pd.DataFrame | ExtraSheet] | None = None) -> Path:
    """Write ``plan`` to a new results workbook at ``path`` and return the path.

    Refuses to write over the input workbook (``input_path``, by default where the
    problem was read from) and over any existing file unless ``overwrite=True``. The file
    appears complete or not at all. ``extra_sheets`` adds further tables (money columns
    given in pounds are shown in the template's unit).
    """
    expect(plan, Plan, "write_workbook's plan", "pass the plan fo.solve returned")
    protect = [p for p in (input_path, plan.problem.origin.path) if p]
    wb = build_plan_workbook(plan, extra_sheets)
    return write_atomically(path, wb.save, overwrite=overwrite, protect=protect)
