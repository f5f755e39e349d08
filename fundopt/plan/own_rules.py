"""Your own rules to HiGHS: through Pyomo's compiler, checked against fundopt's record.

With own rules (``solve(problem, extra_rules=...)``) the Pyomo model is what the analyst
extended, so HiGHS gets what Pyomo's ``LinearStandardFormCompiler`` makes of it
(``compile_to_highs(..., via_pyomo=True)``). fundopt speaks of every row through its own
record of it (words, cells, the rounding's reach), so the two must be the same LP: they are
compared, array for array, and a difference (the rule function changed one of fundopt's
rows) is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fundopt.errors import OwnRuleError

if TYPE_CHECKING:
    from fundopt.formulation import LpBuilder
    from fundopt.solver.highs import HighsModel


def compile_own_rules(builder: LpBuilder, options: dict[str, object] | None = None
                      ) -> HighsModel:
    """The LP with the analyst's rules loaded into HiGHS through Pyomo's compiler."""
    from fundopt.solver.highs import compile_to_highs

    hm = compile_to_highs(builder, options, via_pyomo=True)
    record = builder.arrays()
    matrix, lower, upper, cost = record.in_columns()
    compiled = hm.matrix
    same = (
        matrix.shape == compiled.shape  # type: ignore[attr-defined]
        and all(np.array_equal(getattr(matrix, part), getattr(compiled, part))
                for part in ("indptr", "indices", "data"))
        and np.array_equal(record.row_lower, hm.row_lower)
        and np.array_equal(record.row_upper, hm.row_upper)
        and np.array_equal(lower, hm.col_lower) and np.array_equal(upper, hm.col_upper)
        and np.array_equal(cost, hm.cost)
    )
    if not same:
        raise OwnRuleError("your rules changed fundopt's own model (a rule, a bound or the "
                           "objective): own rules may add constraints only")
    return hm
