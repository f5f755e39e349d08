"""The solver method by size: large LPs are solved cold by interior point with crossover,
then every later run on the same model (rounding's margins, a sweep's scenarios, the
elastic diagnosis) is dual simplex from the basis crossover left. The threshold is
lowered here so small problems take the interior-point path."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_prechecks import floors_over_envelope
from whatif_problems import regional_problem

import fundopt as fo
from fundopt.plan.solve import build
from fundopt.solver.highs import CALLS_FROM_COLUMNS, IPM_FROM_COLUMNS, highs_options
from fundopt.solver.run import run
from fundopt.solver.watch import SolverWatch, watching

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def ipm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules["fundopt.solver.highs"], "IPM_FROM_COLUMNS", 1)


def test_the_method_follows_the_size() -> None:
    assert highs_options(IPM_FROM_COLUMNS - 1)["solver"] == "simplex"
    big = highs_options(IPM_FROM_COLUMNS)
    assert (big["solver"], big["run_crossover"]) == ("ipx", "on")
    # dual simplex after it prices by Devex (no steepest-edge weights worked out first)
    assert big["simplex_dual_edge_weight_strategy"] == 1


def test_interior_point_gives_the_same_optimum_and_a_verified_plan(ipm: None) -> None:
    problem = regional_problem()
    plan = fo.solve(problem)
    assert plan.solver.options["solver"] == "ipx"
    assert plan.passed
    hm = build(problem)
    run(hm)
    assert hm.highs.getOptionValue("solver")[1] == "simplex"  # later runs warm-start
    assert hm.highs.getBasis().valid


def test_interior_point_and_simplex_agree(ipm: None, monkeypatch: pytest.MonkeyPatch) -> None:
    problem = regional_problem()
    with_ipm = fo.solve(problem)
    monkeypatch.setattr(sys.modules["fundopt.solver.highs"], "IPM_FROM_COLUMNS",
                        10**9)
    with_simplex = fo.solve(problem)
    assert with_simplex.solver.options["solver"] == "simplex"
    assert with_ipm.objective == pytest.approx(with_simplex.objective, rel=1e-9)


IPM_FINGERPRINT = """
import sys
sys.path.insert(0, "tests")
import fundopt.solver.highs as c
c.IPM_FROM_COLUMNS = 1
import fundopt as fo
from whatif_problems import regional_problem
plan = fo.solve(regional_problem())
assert plan.solver.options["solver"] == "ipx"
print(plan.fingerprint)
"""


def test_interior_point_is_deterministic_across_processes() -> None:
    runs = [subprocess.run([sys.executable, "-c", IPM_FINGERPRINT], capture_output=True,
                           text=True, cwd=ROOT, check=True, env={**os.environ,
                           "PYTHONHASHSEED": str(seed)}).stdout.strip() for seed in (1, 2)]
    assert runs[0] == runs[1] and len(runs[0]) == 64


def test_an_infeasible_problem_is_still_explained(ipm: None) -> None:
    seeded = floors_over_envelope()
    with pytest.raises(fo.InfeasibleError) as caught:
        fo.solve(seeded.problem)
    assert caught.value.diagnosis is not None
    relaxed = fo.solve(seeded.problem, on_infeasible="relax")
    assert relaxed.status is fo.PlanStatus.RELAXED


def test_a_sweep_on_an_interior_point_base_re_solves_in_place(ipm: None) -> None:
    problem = regional_problem()
    scenarios = [fo.Scenario("soc +10%", (fo.ScaleEnvelope("soc", None, 1.1),)),
                 fo.Scenario("cliff 2%", (fo.SetCliffEdge(None, 0.02),))]
    result = fo.sweep(problem, scenarios, progress=False)
    assert set(result.summary["method"]) == {"in place"}
    for s in scenarios:
        cold = fo.solve(s.apply(problem))
        got = float(result.summary.set_index("scenario").loc[s.name, "objective"])
        assert got == pytest.approx(cold.objective, rel=1e-9)


def test_interior_point_is_named_ipx_in_the_options_in_force(ipm: None) -> None:
    """``solver="ipm"`` means HiPO wherever highspy-extras is installed (HiGHS >= 1.12): the
    method in force must not depend on what else is installed, so fundopt names IPX."""
    hm = build(regional_problem())
    assert hm.highs.getOptionValue("solver")[1] == "ipx"
    run(hm)
    with open(hm.log_path, encoding="utf-8") as log:
        text = log.read()
    assert "IPX version" in text and "HiPO" not in text


def test_the_documented_pins_are_the_options_in_force() -> None:
    hm = build(regional_problem())
    for name, value in highs_options(hm.highs.getNumCol()).items():
        assert hm.highs.getOptionValue(name)[1] == value, name
    formulation = (ROOT / "docs" / "formulation.md").read_text(encoding="utf-8")
    assert "`solver=ipx`" in formulation and "`simplex_strategy=1`" in formulation


def test_highspy_1_14_is_excluded_by_the_package_and_refused_at_run_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"highspy>=1.13,!=1.14.*,<2"' in pyproject
    import fundopt.solver.run as solver_run

    monkeypatch.setattr(solver_run, "installed_highspy_version", lambda: "1.14.0")
    with pytest.raises(fo.SolverError) as caught:
        fo.solve(regional_problem())
    assert caught.value.code == "FO-L06" and "1.14.0" in str(caught.value)


def test_ctrl_c_during_a_solve_stops_highs_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    """HiGHS's own keyboard-interrupt handling: the solve stops at HiGHS's next check with
    status Interrupt, and the caller gets KeyboardInterrupt, as in a notebook cell or the
    command line (exit 130)."""
    import _thread
    import threading
    import time

    import highspy

    # an LP this small is solved without calls into Python (the next tests): as a large one
    monkeypatch.setattr(sys.modules["fundopt.solver.highs"], "CALLS_FROM_COLUMNS", 1)
    hm = build(regional_problem())
    h = hm.highs
    fired = threading.Event()

    def interrupt_main_once(event: object) -> None:
        if not fired.is_set():
            fired.set()
            _thread.interrupt_main()  # what Ctrl+C does: KeyboardInterrupt in the main thread
            time.sleep(0.5)  # the solver thread waits while the main thread asks it to stop

    h.cbSimplexInterrupt += interrupt_main_once
    with pytest.raises(KeyboardInterrupt):
        run(hm)
    assert fired.is_set()
    assert h.getModelStatus() == highspy.HighsModelStatus.kInterrupt
    # highspy's interrupt callback goes with the solve: left on the Highs object, a later
    # plain run() (rounding's re-solves) would call Python from inside HiGHS, and a Ctrl-C
    # there crashed the process
    assert h.HandleKeyboardInterrupt is False
    # HiGHS keeps the interrupt on that Highs object, and fundopt drops it with the
    # interrupt; solving again (the next cell, the next command) starts afresh
    assert fo.solve(regional_problem()).passed


def _watched_run(hm: object) -> SolverWatch:
    watch = SolverWatch()
    with watching(watch):
        run(hm)  # type: ignore[arg-type]
    return watch


def test_a_quick_solve_runs_without_calls_into_python_and_a_large_one_with_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Below CALLS_FROM_COLUMNS HiGHS never calls Python (each call waits for Python's lock
    while another thread, the bands, holds it): no iteration is counted and the progress
    line names the method asked for; from it, HiGHS reports each iteration."""
    small = build(regional_problem())
    assert small.highs.getNumCol() < CALLS_FROM_COLUMNS
    quick = _watched_run(small)
    assert (quick.phase, quick.iterations, quick.runs) == ("dual simplex", 0, 1)
    monkeypatch.setattr(sys.modules["fundopt.solver.highs"], "CALLS_FROM_COLUMNS", 1)
    large = _watched_run(build(regional_problem()))
    assert large.iterations > 0 and large.phase
    assert large._subscribed == []  # nothing left on the Highs object after the run


def test_a_ctrl_c_during_a_quick_solve_ends_the_call_once_highs_returns(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A quick run cannot be stopped half way: the Ctrl-C is held, HiGHS finishes (the model
    is optimal, nothing raised through its C++), and the caller gets KeyboardInterrupt."""
    import _thread

    import highspy

    hm = build(regional_problem())
    h = hm.highs
    plain_run = type(h).run

    def ctrl_c_then_run() -> object:
        _thread.interrupt_main()  # what Ctrl+C does, as HiGHS starts
        return plain_run(h)

    monkeypatch.setattr(h, "run", ctrl_c_then_run)
    with pytest.raises(KeyboardInterrupt):
        _watched_run(hm)
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert fo.solve(regional_problem()).passed


#: In a new interpreter: whether the setting took, then whether a 1 MiB block got its
#: own mapping after a 2 MiB one was freed (glibc's own rule would have raised its
#: threshold to 2 MiB and put the 1 MiB block in the heap, kept there once freed).
_FRESH = """
import ctypes
from fundopt._support import return_large_blocks_promptly as pin

class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks",
                "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info
took = pin() if {ask} else False
block = bytearray(2 << 20)
del block
before = libc.mallinfo2().hblks
block = bytearray(1 << 20)
print(took, pin() if {ask} else False, libc.mallinfo2().hblks - before)
"""


def _in_a_fresh_process(ask: bool, **env: str) -> str:
    """The setting asked for (or not) in a new interpreter: it cannot be undone, so the
    test's own process is left alone."""
    base = {k: v for k, v in os.environ.items() if k != "MALLOC_MMAP_THRESHOLD_"}
    out = subprocess.run([sys.executable, "-c", _FRESH.format(ask=ask)],
                         capture_output=True, text=True, check=True, env={**base, **env},
                         cwd=ROOT)
    return out.stdout.strip()


def _glibc() -> tuple[int, ...]:
    """glibc's version, () where the C library is another."""
    if not sys.platform.startswith("linux"):
        return ()
    name = os.confstr("CS_GNU_LIBC_VERSION") or ""  # "glibc 2.36"
    return tuple(int(p) for p in name.split()[-1].split(".")[:2]) if name else ()


@pytest.mark.skipif(_glibc() < (2, 33), reason="glibc 2.33 or later only (mallinfo2)")
def test_large_blocks_go_back_promptly_on_glibc_unless_the_user_set_it() -> None:
    assert _in_a_fresh_process(ask=False) == "False False 0"  # glibc's own rule: the heap
    assert _in_a_fresh_process(ask=True) == "True True 1"  # its own mapping, freed at once
    # the user's own choice (read by glibc at start-up) is left as it is
    assert _in_a_fresh_process(ask=True, MALLOC_MMAP_THRESHOLD_="4194304") == "False False 0"


def test_elsewhere_nothing_is_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    import fundopt._support as support

    monkeypatch.setattr(support, "_pinned", False)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert support.return_large_blocks_promptly() is False


def test_only_large_lps_ask_for_it_and_the_plan_is_the_same(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import fundopt.plan.solve as solve_module

    calls: list[bool] = []
    monkeypatch.setattr(solve_module, "return_large_blocks_promptly",
                        lambda: calls.append(True) or True)
    problem = regional_problem()
    plain = fo.solve(problem)
    assert calls == []  # a small LP: the process's memory settings are left alone
    assert solve_module.PROMPT_RETURN_FROM_COLUMNS == IPM_FROM_COLUMNS  # from there
    monkeypatch.setattr(solve_module, "PROMPT_RETURN_FROM_COLUMNS", 1)
    asked = fo.solve(problem)
    assert calls == [True]
    assert asked.fingerprint == plain.fingerprint
