"""Allocation bands on hand-worked LPs: the least and the most each recipient could get
among plans as good as the returned one, worked out in each test."""

from __future__ import annotations

import highspy
import numpy as np
import pytest
import scipy.sparse as sp
from builders import M, frame, tiny, values

import fundopt as fo
from fundopt.explain.bands import BAND_COLUMNS
from fundopt.explain.dense_rows import LONG, share_long_rows
from fundopt.explain.face import Face, FaceLp, LpPoint, policy_face
from fundopt.plan.solve import build
from fundopt.solver.highs import HighsModel
from fundopt.solver.run import run


def banded(p: fo.FundingProblem, **options: object) -> fo.Plan:
    plan = fo.solve(p, bands=fo.BandOptions(**options) if options else True)  # type: ignore[arg-type]
    assert plan.passed and fo.verify(p, plan).empty
    return plan


def band(plan: fo.Plan, recipient: str, year: str = "2026-27", activity: str = "") -> tuple:
    b = plan.bands
    row = b[(b["recipient"] == recipient) & (b["year"] == year) & (b["activity"] == activity)]
    assert len(row) == 1
    r = row.iloc[0]
    return float(r["least"]), float(r["most"]), bool(r["set_by_rules"])


def test_a_degenerate_plan_has_wide_bands():
    # a and b are worth 1 a pound each: every split of the £100m is as good
    plan = banded(tiny(value_tranches=values(a=1.0, b=1.0)))
    assert band(plan, "a") == (0.0, 100 * M, False)
    assert band(plan, "b") == (0.0, 100 * M, False)
    assert int(plan.bands["allocated"].sum()) == 100 * M
    reasons = plan.reasons.set_index("recipient")
    assert set(reasons["reason"]) == {fo.ReasonCode.CHOICE}
    assert reasons.loc["a", "words"].startswith(
        "A choice among equally good plans: any amount from £0 to £100.0m would do")


def test_a_floor_pins_the_band():
    # a is worth 2, b 1: b gets its floor of £30m and a the other £70m, and nothing else
    # is as good
    plan = banded(tiny(value_tranches=values(a=2.0, b=1.0),
                       limits=frame(recipient=["b"], floor_amount=[30 * M])))
    assert band(plan, "a") == (70 * M, 70 * M, True)
    assert band(plan, "b") == (30 * M, 30 * M, True)
    reasons = plan.reasons.set_index("recipient")
    assert reasons.loc["b", "reason"] == fo.ReasonCode.FLOOR
    assert reasons.loc["b", "rule"] == "floor_amount[b,2026-27]"
    assert reasons.loc["a", "reason"] == fo.ReasonCode.VALUE_OF_MONEY


def test_rules_bound_a_wide_band():
    # equal value, so any split of the £100m is optimal, within a's cap of £60m and b's
    # floor of £30m: a from 0 to 60, b from 40 to 100
    plan = banded(tiny(value_tranches=values(a=1.0, b=1.0),
                       limits=frame(recipient=["a", "b"], cap_amount=[60 * M, None],
                                    floor_amount=[None, 30 * M])))
    assert band(plan, "a") == (0.0, 60 * M, False)
    assert band(plan, "b") == (40 * M, 100 * M, False)


def test_a_give_widens_the_band_to_near_optimal_plans():
    # the best plan is worth 2 x 70 + 30 = 170m; within £10m of value: 2a + b >= 160,
    # a + b <= 100, b >= 30, so a from 60 to 70 and b from 30 to 40
    p = tiny(value_tranches=values(a=2.0, b=1.0),
             limits=frame(recipient=["b"], floor_amount=[30 * M]))
    plan = banded(p, give_pounds=10 * M)
    assert band(plan, "a") == (60 * M, 70 * M, False)
    assert band(plan, "b") == (30 * M, 40 * M, False)
    assert plan.reasons.set_index("recipient").loc["a", "words"].startswith(
        "A choice among plans within £10.0m of value of the best: any amount from £60.0m to "
        "£70.0m would do")
    # a threshold above the width calls it set by the rules
    assert band(banded(p, give_pounds=10 * M, set_by_rules_below=20 * M), "a")[2]


def test_lines_get_bands_and_only_the_recipients_asked_for():
    # a has two activities worth the same: its total is pinned at £70m (b is worth less),
    # but the split between them is free
    p = tiny(activities=frame(activity=["lp", "soc"], name=["Local", "SOC"],
                              threat=["local_policing", "fraud"]),
             value_tranches=frame(recipient=["a", "b"], tranche=[1, 1], value=[2.0, 1.0]),
             limits=frame(recipient=["b"], floor_amount=[30 * M]))
    with pytest.raises(ValueError, match=r"unknown recipient\(s\) 'aa' \(did you mean 'a'\?\)"):
        fo.solve(p, bands=fo.BandOptions(recipients=("aa",)))
    plan = banded(p, recipients=("a",), lines=True)
    assert set(plan.bands["recipient"]) == {"a"}
    assert band(plan, "a") == (70 * M, 70 * M, True)
    assert band(plan, "a", activity="lp") == (0.0, 70 * M, False)
    assert band(plan, "a", activity="soc") == (0.0, 70 * M, False)
    lines = plan.bands[plan.bands["activity"] != ""]
    assert int(lines["allocated"].sum()) == 70 * M
    assert (lines["stream"] == "core").all()


def test_the_face_by_complementary_slackness_is_the_objective_row_with_no_give():
    # two ways to the same face: the optimum's duals fix what must stay (give 0), or one
    # more row, objective >= optimum (a give of a penny of value, HiGHS's tolerance)
    p = tiny(years=("2025-26", "2026-27", "2027-28"), value_tranches=values(a=1.0, b=1.0),
             baselines=frame(recipient=["a", "b"], amount=[60 * M, 40 * M]),
             cliff_edges=frame(max_fall_rate=[0.1]),
             limits=frame(recipient=["b"], floor_amount=[45 * M]),
             settings=fo.Settings(need_penalty=0.0, volatility_penalty=0.01))
    hm = build(p)
    run(hm)
    point = LpPoint.read(hm.highs)
    columns = hm.builder.index.columns_of_recipient_year
    by_duals, by_row = FaceLp(hm, policy_face(hm, point)), \
        FaceLp(hm, policy_face(hm, point, give_pounds=0.01))
    assert by_duals.warm and by_row.warm  # HiGHS took the optimum's basis
    for cols in columns.values():
        j = hm.col_of_x[cols]
        assert np.allclose(by_duals.least_and_most(j), by_row.least_and_most(j), atol=1e-6)


def _four_years_face() -> tuple[HighsModel, Face]:
    """A four-year plan with cliff edges, a floor and the volatility penalty, solved, and
    its optimal face."""
    p = tiny(years=("2025-26", "2026-27", "2027-28", "2028-29"),
             value_tranches=values(a=1.0, b=1.0),
             baselines=frame(recipient=["a", "b"], amount=[60 * M, 40 * M]),
             cliff_edges=frame(max_fall_rate=[0.1]),
             limits=frame(recipient=["b"], floor_amount=[45 * M]),
             settings=fo.Settings(need_penalty=0.0, volatility_penalty=0.01))
    hm = build(p)
    run(hm)
    return hm, policy_face(hm, LpPoint.read(hm.highs))


def test_a_basis_already_optimal_spares_a_re_solve_and_changes_no_band(monkeypatch):
    # a plan with cliff edges, a floor and the volatility penalty: some band ends are
    # answered by the basis the face LP holds; asking HiGHS each time gives the
    # same bands, with more re-solves
    from fundopt.explain import basis_check
    from fundopt.explain.bands import allocation_bands

    hm, face = _four_years_face()
    checked = allocation_bands(hm, face, fo.BandOptions(lines=True), {})
    monkeypatch.setattr(basis_check.BasisCheck, "answered", lambda self, cols: (False, False))
    asked = allocation_bands(hm, face, fo.BandOptions(lines=True), {})
    assert checked.re_solves < asked.re_solves == 2 * len(asked.table)
    assert checked.table[["least", "most"]].equals(asked.table[["least", "most"]])


def test_bands_cut_into_shares_are_the_ones_worked_out_in_one(monkeypatch):
    # many bands are cut into shares, each on a face LP of its own, worked out by the
    # bands' thread or the caller's, whichever takes it first: the same least and most as
    # one face LP working through them all
    from fundopt.explain import bands as bands_module
    from fundopt.explain.bands import allocation_bands

    hm, face = _four_years_face()
    shares: list[int] = []
    real = bands_module._Part.__init__

    def counted(self, groups):  # type: ignore[no-untyped-def]
        shares.append(len(groups))
        real(self, groups)

    monkeypatch.setattr(bands_module._Part, "__init__", counted)
    one = allocation_bands(hm, face, fo.BandOptions(lines=True), {})
    n = len(one.table)
    assert shares == [n]
    for k in (2, 4):
        shares.clear()
        monkeypatch.setattr(bands_module, "SHARES", ((2, k), (0, 1)))
        cut = allocation_bands(hm, face, fo.BandOptions(lines=True), {})
        assert len(shares) == k and sum(shares) == n and max(shares) - min(shares) <= 1
        assert cut.table.equals(one.table)


def test_a_solve_that_fails_stops_its_bands(monkeypatch):
    # the bands start beside the later tiers and rounding; when rounding fails, the error
    # is the solve's and no band thread is left running
    import threading
    import time

    from fundopt.solver import rounding

    begun = threading.Event()

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        # fail once a band has begun, however busy the machine: the stop is then tested on
        # a running band thread, not on one that never got going
        assert begun.wait(60)
        raise RuntimeError("rounding broke")

    ranged: list[int] = []
    real = FaceLp.least_and_most

    def slow(self, columns):  # type: ignore[no-untyped-def]
        begun.set()
        time.sleep(0.2)  # a band that takes a while: the solve fails long before the last
        ranged.append(1)
        return real(self, columns)

    monkeypatch.setattr(rounding, "round_plan", broken)
    monkeypatch.setattr(FaceLp, "least_and_most", slow)
    p = tiny(years=("2025-26", "2026-27", "2027-28", "2028-29"),
             value_tranches=values(a=1.0, b=1.0))
    with pytest.raises(RuntimeError, match="rounding broke"):
        fo.solve(p, bands=fo.BandOptions(lines=True))
    assert not [t for t in threading.enumerate() if t.name == "fundopt-bands"]
    assert 0 < len(ranged) < 8  # 2 recipients x 4 years, and lines besides


def test_bands_do_not_change_the_plan(reference: fo.FundingProblem):
    plain = fo.solve(reference)
    assert plain.bands.empty and list(plain.bands.columns) == list(BAND_COLUMNS)
    # a force and a national programme, whatever the shipped model holds
    kinds = reference.recipients.set_index("recipient")["kind"]
    two = (kinds[kinds == "force"].index[0], kinds[kinds == "national_programme"].index[0])
    with_bands = fo.solve(reference, bands=fo.BandOptions(recipients=two))
    assert with_bands.fingerprint == plain.fingerprint
    assert len(with_bands.bands) == len(plain.reasons[plain.reasons["recipient"].isin(two)])
    assert (with_bands.bands["least"] <= with_bands.bands["allocated"] + 2).all()
    assert (with_bands.bands["allocated"] <= with_bands.bands["most"] + 2).all()


def test_the_face_lp_leaves_out_only_what_keeps_the_basis_a_basis():
    # rows: 0 holds x0 + x1 <= 10, 1 is free (a later tier's measure: x1 + x2); x0 is an
    # allocation. Row 1 (basic) and x2 (then in no row) are left out while x2 is
    # nonbasic (a basis: x0 and row 1's slack); were x2 basic (with row 1's slack),
    # leaving both out would leave no basic for row 0, so only rows with no entry are
    # left out
    from fundopt.explain.face import _what_holds

    basic, lower = int(highspy.HighsBasisStatus.kBasic), int(highspy.HighsBasisStatus.kLower)
    A = sp.csr_array(np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]))
    row_lower, row_upper = np.array([-np.inf, -np.inf]), np.array([10.0, np.inf])

    def face(col_status: list[int]) -> Face:
        return Face(np.zeros(3), np.full(3, 10.0), row_lower, row_upper,
                    sp.csr_array((0, 3)), np.zeros(0), np.zeros(0),
                    np.array(col_status, dtype=np.int8),
                    np.array([lower, basic], dtype=np.int8), 0.0)

    unfixed, allocations = np.zeros(3, dtype=bool), np.array([0])
    rows, cols = _what_holds(A, row_lower, row_upper, unfixed, face([basic, lower, lower]),
                             allocations)
    assert rows.tolist() == [0] and cols.tolist() == [0, 1]
    rows, cols = _what_holds(A, row_lower, row_upper, unfixed, face([lower, lower, basic]),
                             allocations)
    assert rows.tolist() == [0, 1] and cols.tolist() == [0, 1, 2]
    # a row free at one end only holds, and its columns stay
    rows, cols = _what_holds(A, row_lower, np.array([10.0, 5.0]), unfixed,
                             face([basic, lower, lower]), allocations)
    assert rows.tolist() == [0, 1] and cols.tolist() == [0, 1, 2]


@pytest.mark.parametrize("which", ["tiny", "reference"])
def test_the_face_lp_leaves_out_the_later_tiers_rows_and_gives_the_same_bands(
        which, monkeypatch, request):
    # the stability tier's rows are free in the policy's LP, and its variables are in no
    # other row: the face LP leaves them out, keeps the optimum's basis, and gives every
    # band (each recipient-year and each line) as the face LP with them all kept does
    from fundopt.explain import face as face_module

    options: dict[str, object] = {"lines": True}
    if which == "tiny":
        p = tiny(years=("2025-26", "2026-27", "2027-28", "2028-29"),
                 activities=frame(activity=["lp", "soc"], name=["Local", "SOC"],
                                  threat=["local_policing", "fraud"]),
                 value_tranches=frame(recipient=["a", "b"], tranche=[1, 1],
                                      value=[1.0, 1.0]),
                 baselines=frame(recipient=["a", "b"], amount=[60 * M, 40 * M]),
                 cliff_edges=frame(max_fall_rate=[0.1]),
                 limits=frame(recipient=["b"], floor_amount=[45 * M]))
    else:  # the shipped model's first four forces and their lines
        p = request.getfixturevalue("reference")
        kinds = p.recipients.set_index("recipient")["kind"]
        options["recipients"] = tuple(kinds[kinds == "force"].index[:4])
    made: list[tuple[FaceLp, int]] = []
    real_init = FaceLp.__init__

    def recorded(self, hm, face):  # type: ignore[no-untyped-def]
        real_init(self, hm, face)
        made.append((self, int(np.sum(face.col_lower != face.col_upper))))

    monkeypatch.setattr(FaceLp, "__init__", recorded)
    slim = banded(p, **options)
    assert made  # one face LP per share of the bands
    unfixed = made[0][1]
    # fewer columns, the optimum's basis taken
    assert all(lp.warm and lp.n_cols < unfixed for lp, _ in made)

    def everything(A, lower, upper, fixed, face, col_of_x):  # type: ignore[no-untyped-def]
        has_entry = np.diff(A[:, np.flatnonzero(~fixed)].tocsr().indptr) > 0
        return np.flatnonzero(has_entry), np.flatnonzero(~fixed)

    monkeypatch.setattr(face_module, "_what_holds", everything)
    made.clear()
    full = banded(p, **options)
    # every column not fixed (and a total column for each set of long rows, if any)
    assert made and all(lp.warm and lp.n_cols >= unfixed for lp, _ in made)
    assert slim.fingerprint == full.fingerprint
    assert slim.bands.equals(full.bands)
    assert not slim.bands["set_by_rules"].all()  # some bands are wide: real ranges


def test_a_sweeps_plans_carry_no_explanations_but_the_same_allocation():
    # reasons and ranging would add to every scenario: a sweep leaves them out
    p = tiny(value_tranches=values(a=2.0, b=1.0),
             limits=frame(recipient=["b"], floor_amount=[30 * M]))
    result = fo.compare(p, [fo.Scenario("more", (fo.ScaleEnvelope("core", None, 1.1),))],
                        keep_plans=True)
    base = result.plans["base"]
    assert base.reasons.empty and base.sensitivity.empty and base.bands.empty
    assert base.fingerprint == fo.solve(p).fingerprint


def test_long_rows_sharing_columns_become_one_total_each():
    # rows 0-2 run over the same 300 columns (with their own coefficient on one each),
    # row 3 is short: the rewrite gives one total column and the same values at any point
    rng = np.random.default_rng(0)
    n = LONG + 100
    dense = np.zeros((4, n + 3))
    for i, share in enumerate((0.2, 0.3, 0.5)):
        dense[i, :n] = -share
        dense[i, i] = 1 - share
        dense[i, n + i] = 1.0
    dense[3, [0, 5]] = [1.0, 2.0]
    shared = share_long_rows(dense)
    assert shared.added == 1 and shared.matrix.shape == (5, n + 4)
    # 3 x (own + total + slack) + the short row's 2 + the total's row (n + 1) entries
    assert shared.matrix.nnz == 3 * 3 + 2 + n + 1 < np.count_nonzero(dense)
    x = rng.random(n + 3)
    total = x[:n].sum()
    got = shared.matrix @ np.append(x, total)
    assert np.allclose(got[:4], dense @ x) and abs(got[4]) < 1e-9


@pytest.fixture(scope="module")
def reference() -> fo.FundingProblem:
    from pathlib import Path

    return fo.read_workbook(Path(__file__).parent.parent / "models" / "england_wales_soc.xlsx")


def test_the_command_line_asks_for_bands(tmp_path, monkeypatch, capsys):
    from fundopt import cli
    from fundopt.io import write_template

    workbook = write_template(tmp_path / "budget.xlsx")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["solve", str(workbook), "--bands"]) == 0
    out = capsys.readouterr().out
    assert any(line.startswith("bands") and line.endswith(" s") for line in out.splitlines())
    assert "recipient-years are set by the rules and the policy" in out
    assert cli.main(["solve", "--help"]) == 0
    assert "--bands" in capsys.readouterr().out
