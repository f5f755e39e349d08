"""The hand-off: HiGHS receives the LP from the builder's record of its rows, never from
a walk of the Pyomo model. That record must be exactly what Pyomo's own
``LinearStandardFormCompiler`` makes of the Pyomo model (the formulation users read and
extend), array for array, bit for bit, on problems that use every family, soft rules
(slack columns), repeated variables in a row and variables no row uses."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest
from builders import M, frame, tiny
from whatif_problems import regional_problem

import fundopt as fo
from fundopt.formulation import ProblemIndex, build_model
from fundopt.formulation.builder import Family, LpBuilder, RowInfo, Sense
from fundopt.formulation.compile import HighsModel, compile_to_highs

ROOT = Path(__file__).resolve().parent.parent


def _problems() -> dict[str, fo.FundingProblem]:
    sys.path.insert(0, str(ROOT))
    from benchmarks.generate import generate

    soft = fo.Settings(need_penalty=0.05, volatility_penalty=0.01)
    return {
        "reference model": fo.read_workbook(ROOT / "models" / "england_wales_soc.xlsx"),
        "benchmark 2k": generate("2k"),
        "regional": regional_problem(),
        "soft floors and penalties": tiny(
            limits=frame(recipient=["a", "b"], floor_amount=[70 * M, 40 * M],
                         penalty=[1.0, 1.0]), settings=soft),
    }


def assert_same_lp(a: HighsModel, b: HighsModel) -> None:
    ma, mb = a.matrix, b.matrix
    assert ma.shape == mb.shape  # type: ignore[attr-defined]
    for part in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(ma, part), getattr(mb, part)), part
    for name in ("row_lower", "row_upper", "col_lower", "col_upper", "cost", "col_of_x",
                 "col_of_aux"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    ha, hb = a.highs.getLp(), b.highs.getLp()
    assert np.array_equal(ha.a_matrix_.value_, hb.a_matrix_.value_)
    assert np.array_equal(ha.col_cost_, hb.col_cost_)


@pytest.mark.parametrize("name", list(_problems()))
def test_the_record_is_what_pyomo_compiles(name: str):
    problem = _problems()[name]
    builder = build_model(problem)
    assert_same_lp(compile_to_highs(builder), compile_to_highs(builder, via_pyomo=True))


def test_a_pyomo_free_build_records_the_same_lp():
    problem = regional_problem()
    with_pyomo, without = build_model(problem), build_model(problem, pyomo=False)
    assert without.model is None
    assert_same_lp(compile_to_highs(with_pyomo), compile_to_highs(without))


def _one_row_builder(terms: list[tuple[int, float]]) -> LpBuilder:
    b = LpBuilder(ProblemIndex(tiny()))
    info = RowInfo(Family.FLOOR, "floor[test]", "a test row")
    b.row(terms, Sense.GE, 5 * M, info)
    b.value("value", [(0, 1.0)])
    b.finish()
    return b


def test_a_variable_twice_in_a_row_is_summed_and_a_cancelled_one_dropped():
    # 1.5 x0 + 0.5 x0 + 2 x1 - 2 x1 >= 5m: one nonzero, 2.0 on x0; x1 is in no row
    b = _one_row_builder([(0, 1.5), (0, 0.5), (1, 2.0), (1, -2.0)])
    fast, slow = compile_to_highs(b), compile_to_highs(b, via_pyomo=True)
    assert_same_lp(fast, slow)
    assert fast.matrix.nnz == 1 and fast.matrix.data.tolist() == [2.0]  # type: ignore[attr-defined]
    assert fast.col_of_x.tolist() == [0, -1]


def test_a_row_that_cancels_out_is_checked_like_an_empty_one():
    with pytest.raises(fo.InfeasibleError, match="a test row"):
        _one_row_builder([(0, 1.0), (0, -1.0)])


def test_a_model_changed_after_the_build_goes_through_pyomo():
    b = build_model(tiny())
    assert b.model is not None
    b.model.extra = pyo.Constraint(expr=b.var(0) <= 1.0)  # a row the builder never saw
    with pytest.raises(RuntimeError, match=r"LpBuilder\.row"):
        compile_to_highs(b)
