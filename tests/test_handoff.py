"""The hand-off: HiGHS receives the LP from the builder's record of its rows, never from
a walk of the Pyomo model. That record must be exactly what Pyomo's own
``LinearStandardFormCompiler`` makes of the Pyomo model (the formulation users read and
extend), array for array, bit for bit, on problems that use every family, soft rules
(slack columns), repeated variables in a row and variables no row uses."""

from __future__ import annotations

import sys
from pathlib import Path

import highspy
import numpy as np
import pyomo.environ as pyo
import pytest
from builders import M, frame, tiny
from whatif_problems import regional_problem

import fundopt as fo
from fundopt.formulation import ProblemIndex, build_model
from fundopt.formulation.builder import Family, LpBuilder, RowInfo, Sense
from fundopt.formulation.terms import Terms
from fundopt.solver.highs import HighsModel, compile_to_highs

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
        "a re-plan (promise, tolerance, notice, change rows)": tiny(
            years=("2025-26", "2026-27", "2027-28"), settings=soft,
            previous_plan=frame(recipient=["a", "b", "b"],
                                year=["2026-27", "2026-27", "2027-28"],
                                amount=[60 * M, 40 * M, 41 * M],
                                status=["confirmed", "confirmed", "indicative"],
                                tolerance_share=[None, None, 0.1], penalty=[None, 5.0, None]),
            notice_periods=frame(max_cut_rate=[0.02], notice_years=[2])),
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
    compiled = compile_to_highs(without)
    assert_same_lp(compile_to_highs(with_pyomo), compiled)
    # the record is the compiled model's matrix itself, not a second copy of its entries
    assert without._sealed is compiled.matrix and without._chunks == []


def _one_row_builder(terms: list[tuple[int, float]] | Terms) -> LpBuilder:
    b = LpBuilder(ProblemIndex(tiny()))  # allocation variables 0 and 1; 2 is an extra one
    b.aux("extra", "extra[test]")
    info = RowInfo(Family.FLOOR, "floor[test]", "a test row")
    b.row(terms, Sense.GE, 5 * M, info)
    b.measure("value", [(0, 1.0)])
    b.finish()
    return b


@pytest.mark.parametrize("as_arrays", [False, True], ids=["pairs", "Terms"])
def test_a_variable_twice_in_a_row_is_summed_and_a_cancelled_one_dropped(as_arrays: bool):
    # 1.5 x0 + 0.5 x0 + 2 x1 - 2 x1 >= 5m: one nonzero, 2.0 on x0; x1 is in no row
    pairs = [(0, 1.5), (0, 0.5), (1, 2.0), (1, -2.0)]
    b = _one_row_builder(Terms.pairs(pairs) if as_arrays else pairs)
    fast, slow = compile_to_highs(b), compile_to_highs(b, via_pyomo=True)
    assert_same_lp(fast, slow)
    assert fast.matrix.nnz == 1 and fast.matrix.data.tolist() == [2.0]  # type: ignore[attr-defined]
    assert fast.col_of_x.tolist() == [0, -1]


@pytest.mark.parametrize("as_arrays", [False, True], ids=["pairs", "Terms"])
def test_a_row_that_cancels_out_is_checked_like_an_empty_one(as_arrays: bool):
    pairs = [(0, 1.0), (0, -1.0)]
    with pytest.raises(fo.InfeasibleError, match="a test row"):
        _one_row_builder(Terms.pairs(pairs) if as_arrays else pairs)


def test_repeats_in_terms_are_summed_in_order_and_keep_their_first_places():
    # x2 + x0 + 0.1 x2 + 0.2 x2 - x0 + x1: x2 first, then x1 (x0 cancels); x2's sum is
    # (1 + 0.1) + 0.2 as Python adds it left to right
    b = _one_row_builder(Terms.pairs([(2, 1.0), (0, 1.0), (2, 0.1), (2, 0.2), (0, -1.0),
                                      (1, 1.0)]))
    assert b._chunks[-1][0].tolist() == [2, 1]
    assert b._chunks[-1][1].tolist() == [(1.0 + 0.1) + 0.2, 1.0]
    assert_same_lp(compile_to_highs(b), compile_to_highs(b, via_pyomo=True))


def _block_rows() -> tuple[list[list[tuple[int, float]]], list[RowInfo], np.ndarray]:
    terms = [[(0, 1.0), (2, -0.5)], [(1, 2.0)], [(2, 1.0), (0, 3.0), (1, -1.0)]]
    infos = [RowInfo(Family.ACCOUNTING, f"block[{i}]", f"block row {i}") for i in range(3)]
    return terms, infos, np.array([1.0, 2.0, -3.0]) * M


def test_rows_added_as_a_block_are_the_rows_added_one_by_one():
    terms, infos, rhs = _block_rows()
    one_by_one, block = LpBuilder(ProblemIndex(tiny())), LpBuilder(ProblemIndex(tiny()))
    for b in (one_by_one, block):
        b.aux("extra", "extra[test]")  # variable 2
    for t, info, r in zip(terms, infos, rhs, strict=True):
        one_by_one.row(t, Sense.LE, float(r), info)
    flat = [pair for t in terms for pair in t]
    block.rows_block(np.cumsum([0] + [len(t) for t in terms]), [v for v, _ in flat],
                     [c for _, c in flat], Sense.LE, infos, rhs)
    for b in (one_by_one, block):
        b.measure("value", [(0, 1.0), (1, 1.0), (2, 1.0)])
        b.finish()
    assert block.rows == one_by_one.rows
    assert_same_lp(compile_to_highs(block), compile_to_highs(one_by_one))
    assert_same_lp(compile_to_highs(block), compile_to_highs(block, via_pyomo=True))


@pytest.mark.parametrize("pyomo", [False, True], ids=["numbers", "pyomo"])
def test_the_record_lets_its_entries_go_once_compiled_and_rows_added_later_still_count(
        pyomo: bool):
    # compiled, the builder keeps its rows as the matrix HiGHS got (no second copy of its
    # entries); rows and a variable added after that are in the next compile, which is the
    # LP of a builder that recorded everything before compiling once
    terms, infos, rhs = _block_rows()
    later, once = (LpBuilder(ProblemIndex(tiny()), pyomo=pyomo) for _ in range(2))
    for b in (later, once):
        b.aux("extra", "extra[test]")  # variable 2
        b.row(terms[0], Sense.LE, float(rhs[0]), infos[0])
        b.measure("value", [(0, 1.0), (1, 1.0), (2, 1.0)])
    first = later.arrays()
    assert later._chunks == [] and later._cols == [] and later._sealed is first.matrix
    for b in (later, once):
        b.rows_block(np.array([0, 1]), [1], [2.0], Sense.LE, infos[1:2], rhs[1:2])
        b.aux("more", "more[test]")  # variable 3, in the last row only
        b.row(Terms.pairs([*terms[2], (3, 1.0)]), Sense.GE, float(rhs[2]), infos[2])
        b.finish()
    again = compile_to_highs(later)
    assert again.matrix.shape == (3, 4)  # type: ignore[attr-defined]
    assert_same_lp(again, compile_to_highs(once))
    if pyomo:
        assert_same_lp(again, compile_to_highs(later, via_pyomo=True))


def test_a_block_row_with_a_variable_twice_is_refused():
    _, infos, _ = _block_rows()
    b = LpBuilder(ProblemIndex(tiny()))
    with pytest.raises(ValueError, match="distinct variables"):
        b.rows_block(np.array([0, 2]), [1, 1], [1.0, 2.0], Sense.GE, infos[:1])


def test_hiGHS_gets_from_the_buffers_the_model_a_highs_lp_gives_it():
    hm = compile_to_highs(build_model(regional_problem(), pyomo=False))
    A = hm.matrix
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]  # type: ignore[attr-defined]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = hm.cost, hm.col_lower, hm.col_upper
    lp.row_lower_, lp.row_upper_ = hm.row_lower, hm.row_upper
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr  # type: ignore[attr-defined]
    lp.a_matrix_.index_ = A.indices  # type: ignore[attr-defined]
    lp.a_matrix_.value_ = A.data  # type: ignore[attr-defined]
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = A.shape[1], A.shape[0]  # type: ignore[attr-defined]
    h = highspy.Highs()
    h.passModel(lp)
    ours, theirs = hm.highs.getLp(), h.getLp()
    assert ours.sense_ == theirs.sense_ and ours.a_matrix_.format_ == theirs.a_matrix_.format_
    for name in ("col_cost_", "col_lower_", "col_upper_", "row_lower_", "row_upper_"):
        assert np.array_equal(getattr(ours, name), getattr(theirs, name)), name
    for name in ("start_", "index_", "value_"):
        assert np.array_equal(getattr(ours.a_matrix_, name), getattr(theirs.a_matrix_, name))
    assert len(ours.integrality_) == 0  # an LP, so HiGHS logs no integrality warning


def test_a_model_changed_after_the_build_goes_through_pyomo():
    b = build_model(tiny())
    assert b.model is not None
    b.model.extra = pyo.Constraint(expr=b.var(0) <= 1.0)  # a row the builder never saw
    with pytest.raises(RuntimeError, match=r"LpBuilder\.row"):
        compile_to_highs(b)


def test_each_auxiliary_variable_keeps_its_kind_and_rule_in_creation_order():
    b = LpBuilder(ProblemIndex(tiny()), pyomo=False)
    first = b.aux("breach", "floor[a]", 5 * M)
    block = b.aux_block("change", ["change[a,1]", "change[b,1]"], np.array([np.inf, 2 * M]))
    assert [first, *block.tolist()] == [b.n_alloc, b.n_alloc + 1, b.n_alloc + 2]
    expected = [("breach", "floor[a]"), ("change", "change[a,1]"), ("change", "change[b,1]")]
    assert list(b.aux_meaning) == expected and len(b.aux_meaning) == 3
    assert b.aux_meaning[1] == expected[1] and b.aux_meaning[-1] == expected[-1]
    assert b.aux_meaning[1:] == expected[1:]
    assert b.aux_meaning.index(("change", "change[b,1]")) == 2
    assert list(b.aux_upper) == [5.0, np.inf, 2.0]  # model units (£1m)
