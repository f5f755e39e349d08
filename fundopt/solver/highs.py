"""Hand the LP to HiGHS as one sparse matrix (no LP file, no per-row calls).

The matrix, row bounds and objective come from the builder's record of its rows, in our
own row and column order, exactly as Pyomo's ``LinearStandardFormCompiler`` (mixed form)
would make them from the Pyomo model (a test holds them equal; the compiler itself is used
when the model was changed after the build); :func:`pass_lp` loads it from numpy buffers. The
``Highs`` object is kept, so duals, basis, IIS and in-place re-solves are all direct.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import tempfile
import weakref
from dataclasses import dataclass, field, replace

import highspy
import numpy as np
import scipy.sparse as sp

from fundopt._support import paused_gc
from fundopt.formulation.builder import LpArrays, LpBuilder
from fundopt.solver.watch import watched

INF = highspy.kHighsInf

#: Pinned options: serial dual simplex is bitwise reproducible for identical input
#: (docs/formulation.md, "Determinism"). Threads are never changed after the first run
#: in a process (HiGHS refuses that), so they are left at HiGHS's default.
HIGHS_OPTIONS: dict[str, object] = {
    "solver": "simplex",
    "simplex_strategy": 1,  # serial dual simplex
    "presolve": "on",
    "random_seed": 0,
    "output_flag": True,  # to the log file only (see compile_to_highs), for its warnings
    "log_to_console": False,
}


#: From this many columns the cold solve is interior point (IPX) with crossover to a vertex
#: and its basis; below it, serial dual simplex. Measured with ``benchmarks/options.py``
#: (docs/formulation.md, "Solving"): interior point took 1.6x dual simplex's time at 127k
#: and 380k columns, the same at 758k and 0.42x at 1.26M. Every later run on the same
#: ``Highs`` (rounding's margins, a sweep's scenarios, a relaxation) is dual simplex from
#: the basis.
IPM_FROM_COLUMNS = 750_000


#: The interior point solver, by name: since HiGHS 1.12 ``solver="ipm"`` means the new
#: HiPO solver wherever ``highspy-extras`` is installed (seen to report optimal while
#: breaking constraints, and slower), so the method would depend on what else is installed.
INTERIOR_POINT = "ipx"


#: The options of an interior-point solve: crossover to a vertex and its basis, and Devex
#: pricing for every dual simplex run on that ``Highs`` afterwards. HiGHS reads the pricing
#: rule once per model, and dual simplex started from a basis that is not near-optimal
#: (rounding's margins make it a little infeasible) otherwise first works out exact steepest
#: edge weights, one solve with the basis per row: measured on a 100k problem's stability
#: tier, 2.1 s of a 2.2 s re-solve of 3 iterations (0.2 s with Devex, the same plan); on
#: 400r 36 s, at 1M 174 s.
INTERIOR_POINT_OPTIONS: dict[str, object] = {
    "solver": INTERIOR_POINT,
    "run_crossover": "on",
    "simplex_dual_edge_weight_strategy": 1,  # Devex
}


def highs_options(n_cols: int) -> dict[str, object]:
    """fundopt's pinned HiGHS options for an LP of ``n_cols`` columns."""
    options = dict(HIGHS_OPTIONS)
    if n_cols >= IPM_FROM_COLUMNS:
        options.update(INTERIOR_POINT_OPTIONS)
    return options


#: From this many columns HiGHS is run so that a Ctrl-C stops it at its next iteration
#: (:func:`solve_interruptibly`), and a command's progress line counts its iterations
#: (:mod:`fundopt.solver.watch`). Both make HiGHS call Python once an iteration, and each
#: call waits for Python's lock: while another thread holds it (the bands, worked out beside
#: the solve) a call waits up to Python's switch interval, 5 ms. Below it the LP is solved
#: in about a second or less and HiGHS runs on its own: a Ctrl-C then ends the command as
#: soon as that run returns. Measured on the reference model (26,952 columns, December
#: 2026): its stability tier 0.44-0.50 s on its own against 0.55-0.67 s with the calls,
#: and 0.50-0.52 s against 0.72-0.91 s with the bands beside it; the same plan.
CALLS_FROM_COLUMNS = 50_000


def solve_interruptibly(h: highspy.Highs) -> None:
    """Run HiGHS with its own Ctrl+C handling: a keyboard interrupt asks the solver to stop
    at its next check, and the run ends with status ``kInterrupt`` and the model intact
    (:func:`fundopt.solver.run.run` then raises ``KeyboardInterrupt``), instead of the
    interrupt waiting for the whole solve or landing inside HiGHS. The solve runs in a
    thread of highspy's while this one waits; measured on the reference model, the same
    iterations and objective as ``run()``. It costs a call into Python each iteration,
    which waits whenever another thread holds Python's lock: from
    :data:`CALLS_FROM_COLUMNS` only (:func:`run_watched`).

    The interrupt callback is removed again afterwards: left subscribed, a later ``run()``
    in this thread (rounding's margin re-solves, bands) would call Python from inside
    HiGHS, and a Ctrl-C landing there raises through HiGHS's C++ and crashes the process
    (seen: a segmentation fault in about 1 Ctrl-C of 10 during ``fundopt compare``)."""
    h.HandleKeyboardInterrupt = True
    try:
        h.solve()
    finally:
        h.HandleKeyboardInterrupt = False


def run_highs(h: highspy.Highs) -> highspy.HighsModelStatus:
    """Run HiGHS; after an interior-point solve, switch ``h`` to dual simplex so every later
    run starts from the basis crossover left. If interior point fails (a numerical or
    unknown outcome; not a limit, which is the user's), dual simplex tries. Returns the
    model status. Inside :func:`fundopt.solver.watch.watching`, each run reports its
    progress and stops at a Ctrl-C."""
    ms = highspy.HighsModelStatus
    run_watched(h)
    status = h.getModelStatus()
    if h.getOptionValue("solver")[1] in (INTERIOR_POINT, "ipm"):
        h.setOptionValue("solver", "simplex")
        if status in (ms.kNotset, ms.kSolveError, ms.kPostsolveError, ms.kUnknown):
            h.clearSolver()  # a solve from scratch: HiGHS's own pricing rule again
            h.setOptionValue("simplex_dual_edge_weight_strategy", -1)
            run_watched(h)
            status = h.getModelStatus()
    return status


def run_watched(h: highspy.Highs) -> None:
    """One run of HiGHS, reported to the current watch: from :data:`CALLS_FROM_COLUMNS`
    interruptibly, with its progress; below it on its own."""
    calls = h.getNumCol() >= CALLS_FROM_COLUMNS
    with watched(h, calls=calls):
        if calls:
            solve_interruptibly(h)
        else:
            h.run()


_banner_shown = False


def new_highs() -> highspy.Highs:
    """A quiet ``Highs``: HiGHS prints a banner to the terminal the first time one is made
    in a process; users of a command line or notebook should not see it."""
    global _banner_shown
    if _banner_shown:
        h = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _banner_shown = True
    h.setOptionValue("output_flag", False)
    return h


def highs_version() -> str:
    return str(new_highs().version())


@dataclass
class HighsModel:
    """A built LP loaded into HiGHS, with the map back to fundopt's meaning."""

    builder: LpBuilder
    highs: highspy.Highs
    n_alloc: int
    col_of_aux: np.ndarray  # column of each aux variable (index aux_i - 1), -1 if dropped
    col_of_x: np.ndarray  # column of each allocation variable, -1 if dropped
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    cost: np.ndarray  # maximisation costs per column (value per model unit)
    matrix: object  # scipy.sparse csc_array, rows x columns
    nonzeros: int = 0
    options: dict[str, object] = field(default_factory=dict)
    log_path: str = ""

    @functools.cached_property
    def by_rows(self) -> sp.csr_array:
        """``matrix`` in compressed rows (made once: rounding reads the rows often)."""
        return sp.csr_array(self.matrix)

    def log_warnings(self) -> tuple[str, ...]:
        """HiGHS's WARNING lines so far (e.g. "Problem is badly scaled"), for the audit."""
        if not self.log_path or not os.path.exists(self.log_path):
            return ()
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return tuple(dict.fromkeys(line.strip() for line in f if "WARNING" in line.upper()))


def compile_to_highs(b: LpBuilder, options: dict[str, object] | None = None,
                     *, via_pyomo: bool = False) -> HighsModel:
    """Load the builder's LP into a new ``Highs``, as one matrix.

    The matrix comes from the builder's own record of its rows (:meth:`LpBuilder.arrays`),
    which ``tests/test_handoff.py`` holds equal, array for array, to what Pyomo's
    ``LinearStandardFormCompiler`` makes of ``b.model``. With ``via_pyomo=True``, or when
    ``b.model`` has rows, variables or an objective the builder did not record (it was
    extended after the build), Pyomo's compiler is used instead."""
    if via_pyomo or (b.model is not None and not _unchanged(b)):
        lp_arrays = _pyomo_arrays(b)
    else:
        lp_arrays = b.arrays()
    used = lp_arrays.used
    col_of_var = np.where(used, np.cumsum(used) - 1, -1).astype(np.int64)
    col_of_x, col_of_aux = col_of_var[: b.n_alloc], col_of_var[b.n_alloc:]
    n_cols = int(used.sum())
    A, lower, upper, cost = lp_arrays.in_columns()
    row_lower, row_upper = lp_arrays.row_lower, lp_arrays.row_upper

    opts = {**highs_options(n_cols), **(options or {})}
    h, log_name = _loaded(A, lower, upper, cost, row_lower, row_upper, opts)
    model = HighsModel(
        b,
        h,
        b.n_alloc,
        col_of_aux,
        col_of_x,
        row_lower,
        row_upper,
        lower,
        upper,
        cost,
        A,
        int(A.nnz),
        opts,
        log_path=log_name,
    )
    weakref.finalize(model, _remove, log_name)
    return model


def loaded_afresh(model: HighsModel) -> HighsModel:
    """``model`` with a new ``Highs`` holding its LP, loaded from its arrays with its
    options exactly as :func:`compile_to_highs` loads a built LP: solved, it follows the
    same path as a cold :func:`fundopt.solve` of the same LP (a sweep's whole-pound
    scenarios, :mod:`fundopt.whatif.engine`)."""
    h, log_name = _loaded(sp.csc_array(model.matrix), model.col_lower, model.col_upper,
                          model.cost, model.row_lower, model.row_upper, model.options)
    fresh = replace(model, highs=h, log_path=log_name)
    weakref.finalize(fresh, _remove, log_name)
    return fresh


def _loaded(A: sp.csc_array, lower: np.ndarray, upper: np.ndarray, cost: np.ndarray,
            row_lower: np.ndarray, row_upper: np.ndarray, options: dict[str, object]
            ) -> tuple[highspy.Highs, str]:
    """A new ``Highs`` with ``options`` and a log file of its own, holding the LP."""
    h = new_highs()
    for k, v in options.items():
        h.setOptionValue(k, v)  # type: ignore[arg-type]
    fd, log_name = tempfile.mkstemp(prefix="fundopt-highs-", suffix=".log")
    os.close(fd)
    h.setOptionValue("log_file", log_name)
    status = pass_lp(h, A, lower, upper, cost, row_lower, row_upper)
    if status != highspy.HighsStatus.kOk:
        raise RuntimeError(f"HiGHS refused the model: {status}")
    return h, log_name


def pass_lp(h: highspy.Highs, matrix: sp.csc_array, col_lower: np.ndarray,
            col_upper: np.ndarray, cost: np.ndarray, row_lower: np.ndarray,
            row_upper: np.ndarray, *, maximise: bool = True,
            integrality: np.ndarray | None = None) -> highspy.HighsStatus:
    """Load an LP (or, with ``integrality``, a MIP) into an empty ``h``, the arrays passed
    to HiGHS as buffers.

    Filling a ``HighsLp`` instead copies every entry through Python (about 1 s for the 10
    million nonzeros of a million-variable LP). An LP goes in as its rows' bounds, then its
    columns with their entries (``addRows``, ``addCols``): HiGHS then holds the same
    column-wise model as from a ``HighsLp``, and solves it bit for bit the same; the
    one-call ``passModel`` with arrays needs an integrality array, and an all-continuous
    one makes HiGHS log a warning."""
    n_rows, n_cols = matrix.shape
    f64 = functools.partial(np.ascontiguousarray, dtype=float)
    start, index = matrix.indptr.astype(np.int32), matrix.indices.astype(np.int32)
    sense = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
    if integrality is not None:
        return h.passModel(
            int(n_cols), int(n_rows), int(matrix.nnz), int(highspy.MatrixFormat.kColwise),
            int(sense), 0.0, f64(cost), f64(col_lower), f64(col_upper), f64(row_lower),
            f64(row_upper), start, index, f64(matrix.data),
            np.ascontiguousarray(integrality, dtype=np.int32))
    statuses = [
        h.changeObjectiveSense(sense),
        h.addRows(int(n_rows), f64(row_lower), f64(row_upper), 0,
                  np.zeros(n_rows, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0)),
        h.addCols(int(n_cols), f64(cost), f64(col_lower), f64(col_upper), int(matrix.nnz),
                  start[:-1], index, f64(matrix.data)),
    ]
    bad = [s for s in statuses if s != highspy.HighsStatus.kOk]
    return bad[0] if bad else highspy.HighsStatus.kOk


def _unchanged(b: LpBuilder) -> bool:
    """Whether ``b.model`` holds just what the builder recorded (cheap: counts and identity)."""
    import pyomo.environ as pyo  # only when a Pyomo model was built: it costs about 1 s

    m = b.model
    assert m is not None
    rows = sum(len(c) for c in m.component_objects(pyo.Constraint, active=True))
    objectives = list(m.component_data_objects(pyo.Objective, active=True))
    n_vars = sum(len(v) for v in m.component_objects(pyo.Var))
    return (rows == len(b.rows) and n_vars == b.n_vars and len(objectives) == 1
            and objectives[0] is m.component("objective")
            and all(v.fixed is False for v in m.aux.values()))


def _pyomo_arrays(b: LpBuilder) -> LpArrays:
    """:class:`LpArrays` from Pyomo's ``LinearStandardFormCompiler`` run on ``b.model``."""
    m = b.model
    if m is None:
        raise ValueError("this builder has no Pyomo model (it was made with pyomo=False)")
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    variables = [b.var(v) for v in range(b.n_vars)]
    with paused_gc():
        info = LinearStandardFormCompiler().write(
            m, mixed_form=True, column_order=variables, row_order=b.constraints
        )
    if len(info.rows) != len(b.constraints):
        raise RuntimeError(
            f"the Pyomo model has {len(info.rows)} rows but the builder recorded "
            f"{len(b.constraints)}: fundopt needs the meaning of every row, so add rules "
            "with LpBuilder.row (docs/CONTRIBUTING.md), not to the model directly")
    pos = {id(v): j for j, v in enumerate(info.columns)}
    col_of_var = np.array([pos.get(id(v), -1) for v in variables], dtype=np.int64)
    used = col_of_var >= 0
    n = len(variables)
    # back to one column per variable number: unused ones get empty columns
    A = sp.csc_array(info.A)
    full = sp.csc_array((A.data, A.indices, np.concatenate(
        [[0], np.cumsum(np.where(used, np.diff(A.indptr)[np.maximum(col_of_var, 0)], 0))])),
        shape=(A.shape[0], n))
    full.sort_indices()
    cost = np.zeros(n)
    if info.c.shape[0]:
        cost[used] = -np.asarray(info.c.toarray()).ravel()  # the compiler minimises
    rhs = np.asarray(info.rhs, dtype=float)
    mult = np.array([r[1] for r in info.rows], dtype=np.int64)
    return LpArrays(
        matrix=full,
        row_lower=np.where(mult >= 0, np.where(mult == 0, rhs, -INF), rhs),
        row_upper=np.where(mult <= 0, np.where(mult == 0, rhs, INF), rhs),
        col_lower=np.array([v.lb if v.lb is not None else -INF for v in variables], dtype=float),
        col_upper=np.array([v.ub if v.ub is not None else INF for v in variables], dtype=float),
        cost=cost,
        used=used,
    )


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


def write_mps(model: HighsModel, path: str) -> None:
    """Write the LP as an MPS file (with readable row and column names) for other solvers."""
    h = model.highs
    b = model.builder
    names = [""] * h.getNumCol()
    for i, j in enumerate(model.col_of_x):
        if j >= 0:
            r, a, s, t = b.index.alloc.iloc[i]
            names[j] = _safe(f"x[{r},{a},{s},{t}]")
    for i, j in enumerate(model.col_of_aux):
        if j >= 0:
            kind, rule = b.aux_meaning[i]
            names[j] = _safe(f"{kind}#{i}:{rule}")
    for j, name in enumerate(names):
        h.passColName(j, name or f"c{j}")
    for i, row in enumerate(b.rows):
        h.passRowName(i, _safe(f"{row.info.rule}#{i}"))
    h.writeModel(path)


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "[],_-:#.*" else "_" for ch in name)
