"""The template's example rows, and the warning when a workbook still holds them.

The example rows form a tiny, valid, solvable problem (one force, one activity, one
stream, a baseline year and one planned year), so a fresh template can be read, solved and
written as it is. They only show the format: a workbook that still has the example
recipient, activity or stream after the user's own data went in would quietly fund a
force called "Cumbria Constabulary" at £9.5m, so reading one says so (a warning, FO-S16,
naming the cell), never silently.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fundopt.errors import Issue, Severity
from fundopt.problem import FundingProblem, Settings
from fundopt.problem.scenarios import ScaleEnvelope, Scenario
from fundopt.problem.schema import TABLES, TABLES_BY_NAME

_M = 1_000_000.0

EXAMPLE_ROWS: dict[str, list[dict[str, object]]] = {
    "recipients": [dict(recipient="cumbria", name="Cumbria Constabulary", kind="force",
                        region="North West", need_weight=1.0)],
    "years": [dict(year="2025-26", baseline=True), dict(year="2026-27", baseline=False)],
    "activities": [dict(activity="drugs_pursue", name="Drugs: pursue", threat="illegal_drugs",
                        strand="pursue")],
    "streams": [dict(stream="soc_grant", name="Serious and organised crime grant",
                     carry_forward_share=0.0)],
    "envelopes": [dict(stream="soc_grant", year="2026-27", amount=10 * _M, must_spend=True)],
    "eligibility": [dict(stream="soc_grant", recipient_kind="force")],
    "baselines": [dict(recipient="cumbria", amount=9.5 * _M)],
    "other_income": [dict(recipient="cumbria", year="2025-26", source="precept", amount=100 * _M),
                     dict(recipient="cumbria", year="2026-27", source="precept", amount=102 * _M)],
    "limits": [dict(recipient="cumbria", floor_ratio=0.9, cap_ratio=1.2)],
    "commitments": [dict(recipient="cumbria", activity="drugs_pursue", stream="soc_grant",
                         first_year="2026-27", last_year="2026-27", amount=1 * _M)],
    "cliff_edges": [dict(max_fall_rate=0.05)],
    "local_priorities": [dict(recipient="cumbria", activity="drugs_pursue")],
    "local_shares": [dict(recipient="cumbria", min_local_share=0.1)],
    "requirements": [dict(threat="illegal_drugs", year="2026-27", amount=5 * _M)],
    "share_targets": [dict(strand="pursue", scope="soc", year="2026-27", min_share=0.5)],
    "value_tranches": [dict(tranche=1, value=1.0)],
    "negotiability": [dict(family="cliff_edge", penalty=5.0)],
    "notice_periods": [dict(max_cut_rate=0.02, notice_years=1)],
}

#: The Scenarios sheet's example: the example stream's envelope 10% larger in every year.
EXAMPLE_SCENARIOS: tuple[Scenario, ...] = (
    Scenario("envelope +10%", (ScaleEnvelope("soc_grant", None, 1.1),)),
)

#: Tables whose example row names something (a recipient, an activity, a stream): a row
#: equal to it is the template's, not the user's. (The other examples, such as a 5%
#: cliff-edge limit, are rows a user may well mean.)
_NAMED = ("recipients", "activities", "streams")


def example_problem() -> FundingProblem:
    """The template's example rows as a problem (money in pounds)."""
    tables = {}
    for spec in TABLES:
        example = EXAMPLE_ROWS.get(spec.name, [])
        rows = [{c: row.get(c) for c in spec.column_names} for row in example]
        tables[spec.name] = pd.DataFrame(rows, columns=list(spec.column_names), dtype=object)
    return FundingProblem(**tables, settings=Settings(name="Example plan"))  # type: ignore[arg-type]


def example_rows_left(problem: FundingProblem) -> tuple[Issue, ...]:
    """A warning for each of the template's example recipient, activity and stream rows
    still in ``problem``, naming its sheet and cell."""
    if not any(_as_written(problem, name) for name in _NAMED):
        return ()  # no row has an example row's values as written: none is one (most books)
    example = example_problem()
    out = []
    for name in _NAMED:
        spec = TABLES_BY_NAME[name]
        mine, theirs = getattr(problem, name), getattr(example, name)
        wanted = {_row(r) for r in theirs.to_dict("records")}
        excel_rows = problem.origin.rows.get(name, ())
        for i, row in enumerate(mine.to_dict("records")):
            if _row(row) not in wanted:
                continue
            where = f"A{excel_rows[i]}" if i < len(excel_rows) else ""
            out.append(Issue(
                message=f"the template's example row is still here ({spec.column_names[0]} "
                        f"'{row[spec.column_names[0]]}', '{row.get('name')}')",
                code="FO-S16", severity=Severity.WARNING, table=name, row=i,
                sheet=spec.sheet if where else "", cell=where,
                hint="delete it (and the other example rows that use it) or replace it with "
                     "your own data: the example rows only show the format"))
    return tuple(out)


def _row(row: dict[str, object]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, _text(v)) for k, v in row.items()))


def _text(v: object) -> str:
    return "" if v is None or v != v else str(v)


def _as_written(problem: FundingProblem, name: str) -> bool:
    """Whether some row of table ``name`` has every value an example row of it gives, as
    :data:`EXAMPLE_ROWS` writes it. Validation keeps those values as written (a test says
    so), so a row without them is not the example row, and the example problem need not be
    made to tell (the reference model has Cumbria, but not the example's Cumbria)."""
    table = getattr(problem, name)
    for example in EXAMPLE_ROWS[name]:
        if not set(example) <= set(table.columns):
            return True  # cannot tell here: the whole comparison will
        match = np.ones(len(table), dtype=bool)
        for column, value in example.items():
            match &= (table[column].map(_text) == _text(value)).to_numpy(dtype=bool)
        if match.any():
            return True
    return False


__all__ = ["EXAMPLE_ROWS", "EXAMPLE_SCENARIOS", "example_problem", "example_rows_left"]
