"""Hand the Pyomo model to HiGHS as one sparse matrix (no LP file, no per-row calls).

Pyomo's ``LinearStandardFormCompiler`` (mixed form) turns the model into ``A``, the row
bounds and the objective in our own row and column order; one ``Highs.passModel`` call
loads it. The ``Highs`` object is kept, so duals, basis, IIS and in-place re-solves are
all direct.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import tempfile
import weakref
from dataclasses import dataclass, field

import highspy
import numpy as np
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from fundopt.formulation.builder import LpBuilder

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

    def log_warnings(self) -> tuple[str, ...]:
        """HiGHS's WARNING lines so far (e.g. "Problem is badly scaled"), for the audit."""
        if not self.log_path or not os.path.exists(self.log_path):
            return ()
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return tuple(dict.fromkeys(line.strip() for line in f if "WARNING" in line.upper()))


def compile_to_highs(b: LpBuilder, options: dict[str, object] | None = None) -> HighsModel:
    m = b.model
    xs = [m.x[i] for i in range(len(b.index.alloc))]
    aux = list(m.aux.values())
    enabled = gc.isenabled()
    gc.disable()
    try:
        info = LinearStandardFormCompiler().write(
            m, mixed_form=True, column_order=xs + aux, row_order=b.constraints
        )
    finally:
        if enabled:
            gc.enable()
    cols = info.columns
    pos = {id(v): j for j, v in enumerate(cols)}
    col_of_x = np.array([pos.get(id(v), -1) for v in xs], dtype=np.int64)
    col_of_aux = np.array([pos.get(id(v), -1) for v in aux], dtype=np.int64)
    n_cols = len(cols)
    # the compiler minimises: it negated our maximised objective
    cost = -np.asarray(info.c.toarray()).ravel() if info.c.shape[0] else np.zeros(n_cols)
    lower = np.array([v.lb if v.lb is not None else -INF for v in cols], dtype=float)
    upper = np.array([v.ub if v.ub is not None else INF for v in cols], dtype=float)
    rhs = np.asarray(info.rhs, dtype=float)
    mult = np.array([r[1] for r in info.rows], dtype=np.int64)
    if len(info.rows) != len(b.constraints):
        raise RuntimeError("the compiler dropped or split rows; fundopt expects one row per rule")
    row_lower = np.where(mult >= 0, np.where(mult == 0, rhs, -INF), rhs)
    row_upper = np.where(mult <= 0, np.where(mult == 0, rhs, INF), rhs)
    A = info.A.tocsc()

    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = len(rhs)
    lp.col_cost_ = cost
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.row_lower_ = row_lower
    lp.row_upper_ = row_upper
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    lp.a_matrix_.num_col_ = n_cols
    lp.a_matrix_.num_row_ = len(rhs)

    h = new_highs()
    opts = {**HIGHS_OPTIONS, **(options or {})}
    for k, v in opts.items():
        h.setOptionValue(k, v)  # type: ignore[arg-type]
    fd, log_name = tempfile.mkstemp(prefix="fundopt-highs-", suffix=".log")
    os.close(fd)
    h.setOptionValue("log_file", log_name)
    status = h.passModel(lp)
    if status != highspy.HighsStatus.kOk:
        raise RuntimeError(f"HiGHS refused the model: {status}")
    model = HighsModel(
        b,
        h,
        len(xs),
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
