"""Priority tiers, solved one after another on the same HiGHS model.

Tier 1's objective is the loaded LP's (the rows that define only later tiers' measures
free). After each tier is solved, a row keeps its measure within its give of the optimum
just found ("tier k's objective >= optimum - give", in the maximised form HiGHS solves;
for a minimised measure "measure <= optimum + give"), the next tier's rows get their
bounds, the costs change to the next tier's, and HiGHS solves again, from the basis the
tier before ended on (:data:`LATER_TIER_IPM_FROM_COLUMNS`). HiGHS's own lexicographic mode
is not used: it ignores a warm start (HiGHS issue 2419), minimises when asked to maximise,
and leaves the duals of its last objective. Tier 1 keeps any warm start it is given (an
LP-alone sweep's); its duals and basis (the shadow prices and ranging a user reads) are
read before any tier row is added. Every tier's answer is certified against its own LP
(:mod:`fundopt.solver.certificate`).

A tier whose give was left blank (every default tier) is kept at its optimum: the later
tiers' LPs hold the columns and rows its reduced costs and duals mark on the bounds they
sit on (:class:`Face`), so they choose only among its optimal plans (where held exactly
they leave no point, loosened just enough to hold the tier's own answer, which HiGHS
finds feasible only to its tolerance: :func:`_solve_on_face`). That is what makes
the plan one answer: with only the tier row, stability spent the whole give trading value
for smoothness, and the plan moved with every change of a value (£3.67m for a part in a
million, reference model, December 2026; now under £10).

The tier rows and the face stay in the model for rounding (its margin re-solves run the
last tier's objective on the face, every tier row in place); :func:`reset` takes them out
again, with the costs and bounds back to tier 1's, so a sweep can load its next scenario
in place.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import highspy
import numpy as np
import scipy.sparse as sp

from fundopt.errors import SolverError, UnboundedError
from fundopt.formulation.builder import Family, Row, RowInfo, Sense
from fundopt.solver.certificate import Certificate, LpPoint, certified
from fundopt.solver.run import MS, run

if TYPE_CHECKING:
    from fundopt.solver.highs import HighsModel

INF = float("inf")  # highspy.kHighsInf

#: A later tier's LP also maximises this much of the tier before it (and its square of the
#: one before that, ...): where the later tier is indifferent, the plan stays at the
#: earlier tiers' optimum instead of spending their give for nothing. Well below the later
#: tier's own trades (a pound of change is worth 1 to stability; a pound moved between
#: lines costs 0.01 or more of value, 0.001 here), ten times stability's tie-break
#: (fundopt.formulation.constraints.stability.TIE_BREAK_WEIGHT, 1e-4 a pound).
EARLIER_TIER_WEIGHT = 0.1


@dataclass(frozen=True)
class Snapshot:
    """A solve's solution, read before anything changes the model (model units)."""

    col_value: np.ndarray
    row_dual: np.ndarray
    row_value: np.ndarray
    objective: float  # maximised form
    iterations: int
    col_dual: np.ndarray

    @classmethod
    def read(cls, h: Any, point: LpPoint | None = None) -> Snapshot:
        """``h``'s solution; with ``point``, its values and row duals already read (each
        vector HiGHS hands over is a Python list first: 20 ms at 300k columns)."""
        sol = h.getSolution()
        info = h.getInfo()
        if point is None:
            point = LpPoint(np.asarray(sol.col_value), np.asarray(sol.row_dual))
        return cls(point.col_value, point.row_dual,
                   np.asarray(sol.row_value), float(info.objective_function_value),
                   int(info.simplex_iteration_count), np.asarray(sol.col_dual))


@dataclass(frozen=True)
class TierSolve:
    """What solving the tiers gave: tier 1's solution (for shadow prices and the reported
    objective), the last tier's (the plan), each tier's optimum (model units, maximised
    form: the tier's own measure, without the share of earlier tiers its LP also
    maximises), the last tier's LP as HiGHS holds it (tier rows and all: rounding works on
    it) and each tier's optimality certificate (the last is the plan's)."""

    first: Snapshot
    last: Snapshot
    optima: tuple[float, ...]
    model: HighsModel
    iterations: int
    basis: Any = None  # HiGHS's basis at tier 1's optimum (a sweep starts from it)
    certificates: tuple[Certificate, ...] = ()

    @property
    def certificate(self) -> Certificate:
        """The certificate of the LP whose solution is the plan: the last tier's."""
        return self.certificates[-1]

    @property
    def rounding(self) -> HighsModel:
        """The last tier's LP as whole-pound rounding keeps it (:meth:`whole_give`), the
        rows that only define the last tier's measure (which no tier row holds) free: they
        constrain no allocation, and so the integer repair leaves them and their columns
        out (on the reference model, 7k columns against 27k)."""
        model = self.whole_give
        if not self.n_tier_rows:
            return model
        lower, upper = model.row_lower.copy(), model.row_upper.copy()
        last_only = np.flatnonzero(model.builder.first_tier_rows() == len(self.optima))
        lower[last_only], upper[last_only] = -INF, INF
        return replace(model, row_lower=lower, row_upper=upper)

    @property
    def whole_give(self) -> HighsModel:
        """The last tier's LP with each tier row at its optimum less its whole give and
        rounding's reach (the LP itself used half the give, so the whole-pound plan has
        the rest; where the give is too small for whole pounds, rounding's reach): the
        bounds the whole-pound plan is held to. HiGHS keeps the LP's bounds (rounding's
        re-solves tighten a row from the bounds HiGHS holds and put those back)."""
        if not self.n_tier_rows:
            return self.model
        n = len(self.model.row_lower) - self.n_tier_rows
        lower = self.model.row_lower.copy()
        scale = self.model.builder.scale
        lower[n:] = [row.rhs / scale for row in self.model.builder.rows[n:]]
        return replace(self.model, row_lower=lower)

    @property
    def n_tier_rows(self) -> int:
        return len(self.optima) - 1


#: Called after each tier's solve is certified, with the tier's number (1, 2, ...) and its
#: LP as HiGHS holds it: what a caller reads there (tier 1's duals and basis for shadow
#: prices and ranging) is read before anything moves on.
OnTier = Callable[[int, "HighsModel"], None]


def column_costs(hm: HighsModel) -> list[np.ndarray]:
    """Each tier's costs per LP column (the builder's variables HiGHS has a column for)."""
    b = hm.builder
    col_of_var = np.concatenate([hm.col_of_x, hm.col_of_aux])
    used = col_of_var >= 0
    out = []
    for k, cost in enumerate(b.tier_costs(), start=1):
        if np.any(cost[~used] != 0.0):
            raise SolverError(f"tier {k}'s objective uses a variable no rule does; this is a "
                              "fundopt bug: please report it", code="FO-L12")
        out.append(np.ascontiguousarray(cost[used]))
    return out


def solve_tiers(hm: HighsModel, start: Any = None, *, upto: int | None = None,
                on_tier: OnTier | None = None) -> TierSolve | None:
    """Solve every tier of ``hm``'s builder in turn; None if tier 1 is infeasible (the
    model is then as :func:`fundopt.solver.run.run` left it, for a diagnosis).

    Rows that define a goal no earlier tier has are free until their tier (so tier 1 is
    the LP it always was: presolve drops them). Tier 1 starts from ``start`` (a sweep's
    base basis) if given; each later tier from the basis the tier before it ended on
    (:func:`_solve_next`). Each tier's answer is certified against the tier's LP as fundopt
    describes it, and that LP solved cold if the answer fails
    (:func:`fundopt.solver.certificate.certified`). ``upto`` stops after that many tiers
    (a sweep's LP-alone mode reports tier 1 only)."""
    h = hm.highs
    first_tier = hm.builder.first_tier_rows()
    later = np.flatnonzero(first_tier > 1).astype(np.int32)
    if len(later):
        h.changeRowsBounds(  # type: ignore[attr-defined]
            len(later), later, np.full(len(later), -INF), np.full(len(later), INF))
    if start is not None:
        h.setBasis(start)
    if run(hm) == MS.kInfeasible:
        _restore(hm, later)
        return None
    costs = column_costs(hm)
    n_tiers = len(costs) if upto is None else min(upto, len(costs))
    model = _described(hm, [], first_tier, 1, costs[0], costs)
    certificate, first = _certified(model, 1)
    certificates = [certificate]
    if on_tier is not None:
        on_tier(1, model)
    last = first
    optima, basis = [first.objective], h.getBasis()
    objective = costs[0]
    iterations = first.iterations
    rows: list[tuple[Row, float]] = []
    face = Face()
    opened = model
    for k in range(1, n_tiers):
        rows.append(_tier_row_for(hm, k, optima[-1], costs[k - 1]))
        keep = hm.builder.tiers[k - 1].keep_optimum
        if keep:
            face = face.kept(model, last)
        # on a kept optimum the earlier tiers' measures are constant: nothing to add
        objective = costs[k] + (0.0 if keep else EARLIER_TIER_WEIGHT) * objective
        opened = _described(hm, rows, first_tier, k + 1, objective, costs)
        kept_rows = np.array([len(hm.row_lower) + j for j in range(k)
                              if hm.builder.tiers[j].keep_optimum], dtype=np.int32)
        model, freed = _solve_on_face(face, opened, k, h.getBasis(), kept_rows)
        certificate, last = _certified(model, k + 1)
        certificates.append(certificate)
        if on_tier is not None:
            on_tier(k + 1, model)  # reads HiGHS's answer (a later policy tier's bands)
        _hold(model, freed)
        iterations += last.iterations
        optima.append(float(np.dot(costs[k], last.col_value)))  # the tier's own measure
    # HiGHS keeps the face (rounding's re-solves stay on it); rounding and the exact check
    # judge the plan by the LP's own bounds, the tier rows at their whole give
    return TierSolve(first, last, tuple(optima), opened, iterations, basis,
                     tuple(certificates))


#: No rows: what :func:`_solve_next` gives HiGHS free where the face holds nothing.
NO_ROWS = np.zeros(0, dtype=np.int32)


#: A reduced cost or dual (value per model unit, maximised form) at least this large marks
#: a column or row that every optimal plan of the tier holds at its bound (complementary
#: slackness); smaller ones are taken as ties. On the reference model (December 2026) tier
#: 1's are either 0 (to 1e-12) or at least 0.01: any threshold between gives the same face,
#: and a change of a value by a part in a million (a reduced cost of about 1e-6) moves no
#: column or row across it.
FACE_TOLERANCE = 1e-4

#: How far (model units) a held row may move from its bound, into the room its rule
#: allows, when held exactly HiGHS finds no feasible point (:func:`_solve_on_face`):
#: ten times HiGHS's feasibility tolerance (£1 at the £1m money scale), at a cost to the
#: kept tier of at most its dual times this. Also the furthest a bound is moved out to
#: the solution the face was read from (:meth:`Face.on`, ``containing``).
FACE_SLACK = 1e-6


@dataclass(frozen=True)
class Face:
    """What holds the plan on the optimal face of the tiers kept at their optimum: each
    column whose reduced cost, and each row whose dual, is at least
    :data:`FACE_TOLERANCE` is fixed at the bound it sits on. By complementary slackness,
    with any optimal duals, the plans that keep these are exactly the tier's optimal plans
    (up to the tolerance: each pound a column below it moves costs the tier under 1e-4
    pounds, which its give then bounds). The rows are those of the LP the face was read
    from (the loaded LP's and the tier rows so far)."""

    cols: _Held | None = None  # None: no tier kept yet, the whole LP
    rows: _Held | None = None

    def kept(self, model: HighsModel, solution: Snapshot) -> Face:
        """The face of ``model`` (a tier's LP as solved, this face in it) at its optimum
        ``solution``."""
        return Face(_Held.of(model.col_lower, model.col_upper, solution.col_value,
                             solution.col_dual),
                    _Held.of(model.row_lower, model.row_upper, solution.row_value,
                             solution.row_dual))

    def on(self, model: HighsModel, slack: float = 0.0, containing: bool = False
           ) -> HighsModel:
        """``model`` (a later tier's LP) held on this face, each held row within ``slack``
        of its bound (each held column at it): its rows that the face's LP held get the
        face's bounds; those it left free (first needed now) and the tier rows added since
        keep ``model``'s. ``containing``: each bound of the face's LP (a column's or a
        row's, held or not) that the solution the face was read from lies beyond, within
        HiGHS's tolerance, moved out to that solution, so that it is exactly on the face
        (:func:`_solve_on_face`)."""
        if self.cols is None or self.rows is None:
            return model
        # a column fixed at a bound is exact (the solution sits on it)
        col_lower, col_upper = self.cols.bounds(0.0, containing)
        lower, upper = self.rows.bounds(slack, containing)
        n = len(lower)
        row_lower, row_upper = model.row_lower.copy(), model.row_upper.copy()
        held = np.isfinite(self.rows.lower) | np.isfinite(self.rows.upper)
        row_lower[:n] = np.where(held, lower, row_lower[:n])
        row_upper[:n] = np.where(held, upper, row_upper[:n])
        return replace(model, col_lower=col_lower, col_upper=col_upper,
                       row_lower=row_lower, row_upper=row_upper)


@dataclass(frozen=True)
class _Held:
    """Bounds, and which of them a face holds its column or row at."""

    lower: np.ndarray
    upper: np.ndarray
    at_lower: np.ndarray  # held at the lower bound
    at_upper: np.ndarray  # held at the upper bound
    value: np.ndarray  # the value at the solution the face was read from

    @classmethod
    def of(cls, lower: np.ndarray, upper: np.ndarray, value: np.ndarray, dual: np.ndarray
           ) -> _Held:
        """Each entry whose ``dual`` is at least :data:`FACE_TOLERANCE` held at the bound
        ``value`` is nearer."""
        fix = np.abs(dual) >= FACE_TOLERANCE
        nearer_lower = np.abs(value - lower) <= np.abs(value - upper)  # inf - x: inf
        at_lower = fix & nearer_lower & np.isfinite(lower)
        at_upper = fix & ~nearer_lower & np.isfinite(upper)
        return cls(lower, upper, at_lower, at_upper, value)

    def bounds(self, slack: float, containing: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The bounds with each held entry within ``slack`` of its bound; ``containing``:
        each bound the solution's value lies beyond, by at most :data:`FACE_SLACK` (its
        answers are feasible to HiGHS's tolerance, a tenth of that), moved out to it,
        rounded outward to a multiple of ``SNAP_UNITS``."""
        upper = np.where(self.at_lower, np.minimum(self.upper, self.lower + slack),
                         self.upper)
        lower = np.where(self.at_upper, np.maximum(self.lower, self.upper - slack),
                         self.lower)
        if containing:
            value = self.value
            below = np.floor(value / SNAP_UNITS) * SNAP_UNITS
            above = np.ceil(value / SNAP_UNITS) * SNAP_UNITS
            lower = np.where((value < lower) & (value >= lower - FACE_SLACK), below, lower)
            upper = np.where((value > upper) & (value <= upper + FACE_SLACK), above, upper)
        return lower, upper


def _solve_on_face(face: Face, opened: HighsModel, k: int, start: Any = None,
                   kept_rows: np.ndarray = NO_ROWS) -> tuple[HighsModel, np.ndarray]:
    """Solve tier ``k + 1``'s LP ``opened`` on ``face``; return the LP solved and the rows
    HiGHS was given free (:func:`_solve_next`: ``kept_rows``, the rows of the tiers the
    face keeps, while the face holds the plan; give them back with :func:`_hold`).

    The face is read from a solution HiGHS finds feasible to its tolerance (1e-7 model
    units), not exactly: where a row's residual there could only be taken up by columns
    the face holds, the face held exactly has no point at all. A re-plan's confirmed
    year, say: every allocation is held by its promise, so a recipient's distance from
    its needs-based share is a number (the whole-pound promise less its share of their
    sum), which HiGHS leaves at 0 when it is under its tolerance (8 pence, a generated
    10k problem); the face holds that distance's columns at 0 (each costs the need
    penalty), and no point of it keeps the need row. Then the face's LP is loosened only
    where that solution lies beyond a bound: each such bound moved out to it
    (``containing``), so that the solution the face was read from is on it and every
    point of it is as good for the earlier tier, to HiGHS's tolerance (on the 10k problem's
    re-plan 21 rows and 7 columns move, each by at most 1e-7; the re-plan takes 2.9 s, not
    10.6 s by the tier row, and tier 1 gives up 37p, not £4,159). If HiGHS still finds no
    point, each held row within :data:`FACE_SLACK` of its bound as well, and failing
    that, the tier row alone (the earlier tier's give) holds the plan."""
    free = NO_ROWS if face.cols is None else kept_rows
    tried: HighsModel | None = None
    attempts = [(0.0, False), (0.0, True), (FACE_SLACK, True)]
    if _moved(face.on(opened), face.on(opened, 0.0, True)) > FAR_OFF_FACE:
        # the solution lies off the face by more than rounding noise: held exactly, the
        # face has had no point in every such case seen, and proving that by interior
        # point took 232 s on a 100k re-plan (10 s on the face moved out to it)
        attempts = attempts[1:]
    for slack, containing in attempts:
        model = face.on(opened, slack, containing)
        if tried is not None and _moved(model, tried) == 0.0:
            continue  # the solution was on the face already: the same LP again
        tried = model
        try:
            return model, _solve_next(model, k, start, free)
        except SolverError:
            if model is opened:
                raise
    return opened, _solve_next(opened, k, start)


#: How far (model units) the solution a face was read from may lie beyond the face's
#: bounds for the face held exactly to be tried first: two steps of the grid bounds are
#: moved out on. A first round's solution lies within a step (the reference model and the
#: generated problems, December 2026), a re-plan's up to 1e-7 (HiGHS's tolerance).
FAR_OFF_FACE = 2e-8  # two steps of SNAP_UNITS


def _moved(a: HighsModel, b: HighsModel) -> float:
    """The most any bound differs between ``a`` and ``b`` (0 if none does)."""
    out = 0.0
    for f in ("col_lower", "col_upper", "row_lower", "row_upper"):
        x, y = getattr(a, f), getattr(b, f)
        differ = x != y  # infinite bounds are never moved, so never differ
        if differ.any():
            out = max(out, float(np.max(np.abs(x[differ] - y[differ]))))
    return out


def _restore_bounds(model: HighsModel) -> None:
    """Give HiGHS's model ``model``'s column and row bounds (those without the face)."""
    h = model.highs
    n_col, n_row = len(model.col_lower), len(model.row_lower)
    h.changeColsBounds(n_col, np.arange(n_col, dtype=np.int32),
                       model.col_lower, model.col_upper)
    h.changeRowsBounds(n_row, np.arange(n_row, dtype=np.int32),  # type: ignore[attr-defined]
                       model.row_lower, model.row_upper)


#: How every tier after the first is solved: its LP loaded afresh, by one pinned method
#: for its size (:func:`later_tier_options`): below this many columns dual simplex from
#: the basis the tier before ended on (tier 1's optimal vertex is a point of the stability
#: tier's face: on the reference model 0.5 s, not 1.1 s from scratch), from it interior
#: point with crossover (which takes no basis, and ends at a vertex, as simplex does;
#: HiGHS then goes back to dual simplex for rounding's warm re-solves). Where two lines'
#: tie-breaking scores differ by less than HiGHS's tolerance, two methods, or one method
#: from two starts, can end on different plans (on the reference model within £14 of each
#: other, December 2026), every one optimal within HiGHS's tolerances; so the start must
#: itself be one answer. It is: tier 1 is always solved from scratch where a plan is made
#: (``fundopt.solve``; a sweep's whole-pound scenarios too, :mod:`fundopt.whatif.engine`),
#: and the same LP from the same start takes the same path. (The certificate's cold
#: re-solve, when a tier's answer fails it, starts from scratch: an equally good plan,
#: within those pounds.)
#:
#: The interior point threshold, measured on tier 1's face (December 2026, each later
#: tier then from scratch; whole ``fundopt.solve``): the reference model (26,952 columns)
#: 2.0-2.2 s either way; a generated 10k problem (32,729) 0.8-1.0 s by interior point
#: against 1.1-1.2 s; 100k (314,029) 15 s against 110 s.
LATER_TIER_IPM_FROM_COLUMNS = 30_000


def later_tier_options(n_cols: int) -> dict[str, object]:
    """The options beyond the model's own for a later tier's LP of ``n_cols`` columns."""
    from fundopt.solver.highs import INTERIOR_POINT_OPTIONS

    if n_cols >= LATER_TIER_IPM_FROM_COLUMNS:
        return dict(INTERIOR_POINT_OPTIONS)
    return {}


def _solve_next(model: HighsModel, k: int, start: Any = None,
                free: np.ndarray = NO_ROWS) -> np.ndarray:
    """Solve tier ``k + 1``: its LP loaded afresh from fundopt's arrays (``model``) and
    solved by the tier's method, from ``start`` (the basis tier ``k`` ended on) where that
    method is simplex (:data:`LATER_TIER_IPM_FROM_COLUMNS`). Return the rows HiGHS holds
    free.

    ``free``: rows (the rows of tiers kept at their optimum) given to HiGHS free. On their
    tiers' optimal face they are slack, and each is dense (a weight on every allocation):
    a 400-recipient problem's stability tier took 158 s by interior point with its tier
    row, 105 s with it free (presolve drops a free row), the same plan. Where the answer
    misses one of them after all (the face holds its tier to within
    :data:`FACE_TOLERANCE` a pound, the row to half its give), or the LP without them is
    unbounded, the LP is solved again with them in place; an answer that keeps them is the
    LP's optimum (it is optimal for a looser LP), and its dual on them is 0."""
    from fundopt.solver.highs import INTERIOR_POINT, pass_lp

    h = model.highs
    h.clearModel()
    for name, value in model.options.items():  # the later tier's (_described)
        h.setOptionValue(name, value)  # type: ignore[arg-type]
    row_lower = model.row_lower
    if len(free):
        row_lower = row_lower.copy()
        row_lower[free] = -INF  # a tier row has no upper bound
    pass_lp(h, sp.csc_array(model.matrix), model.col_lower, model.col_upper, model.cost,
            row_lower, model.row_upper)
    if start is not None and start.valid and model.options.get("solver") != INTERIOR_POINT:
        h.setBasis(_extended(start, len(model.row_lower)))
    try:
        status = run(model)
    except UnboundedError:
        if not len(free):
            raise
        return _solve_next(model, k, start)  # only the free rows bounded it
    if status == MS.kOptimal and len(free):
        value = np.asarray(h.getSolution().row_value)[free]
        if np.any(value < model.row_lower[free]):
            return _solve_next(model, k, start)
    if status != MS.kOptimal:
        raise SolverError(
            f"HiGHS could not solve priority tier {k + 1} after tier {k} "
            f"({h.modelStatusToString(status)}); give tier {k} more room (its 'give' on "
            "sheet Priorities) or write the problem out with fundopt.write_mps and "
            "report it", code="FO-L12")
    return free


def _hold(model: HighsModel, rows: np.ndarray) -> None:
    """Give HiGHS ``rows`` (which :func:`_solve_next` gave it free) their bounds in
    ``model`` again, once its answer is read: rounding's re-solves hold the tier rows
    (HiGHS's solution is then stale until the next run, which keeps the basis)."""
    if len(rows):
        model.highs.changeRowsBounds(  # type: ignore[attr-defined]
            len(rows), rows, model.row_lower[rows], model.row_upper[rows])


def _extended(basis: Any, n_rows: int) -> Any:
    """``basis`` (the tier before's) with each row added since basic (a new tier row)."""
    out = highspy.HighsBasis()
    out.col_status = list(basis.col_status)
    rows = list(basis.row_status)
    out.row_status = rows + [highspy.HighsBasisStatus.kBasic] * (n_rows - len(rows))
    out.valid = True
    return out


def _restore(hm: HighsModel, rows: np.ndarray) -> None:
    """Give ``rows`` their recorded bounds again."""
    if len(rows):
        hm.highs.changeRowsBounds(  # type: ignore[attr-defined]
            len(rows), rows, hm.row_lower[rows], hm.row_upper[rows])


#: Share of a tier's give the LP may use; whole-pound rounding may use the rest.
LP_SHARE_OF_GIVE = 0.5


def _tier_row_for(hm: HighsModel, k: int, optimum: float, cost: np.ndarray
                  ) -> tuple[Row, float]:
    """The row keeping tier ``k``'s measure near ``optimum`` (model units), and its bound
    in the LP: optimum less half the give. The row's ``rhs``, which the exact check of the
    whole-pound plan reads, allows the whole give and rounding's reach (each whole-pound
    amount moves under £1, so the measure moves under the sum of its weights): where the
    give is too small for whole pounds (a give of 0, say), rounding may go that far beyond
    it, and no further. Bounds are rounded down to a multiple of ``SNAP_UNITS``, so the
    same optimum found by another path (a sweep's warm start), or of the same problem in
    other money units, gives bit for bit the same row."""
    scale = hm.builder.scale
    give = (hm.builder.tiers[k - 1].give or 0.0) / scale
    lp_units = _snap(optimum - LP_SHARE_OF_GIVE * give)
    reach = rounding_reach(hm, cost) / scale
    return _tier_row(hm, k, _snap(optimum - give - reach) * scale), lp_units


#: Grid of the tier rows' bounds, in model units (a penny at the £1m money scale): far
#: coarser than the last digits in which two solves of one LP differ, far finer than HiGHS's
#: tolerance (1e-7).
SNAP_UNITS = 1e-8


def _snap(units: float) -> float:
    return math.floor(units / SNAP_UNITS) * SNAP_UNITS


def rounding_reach(hm: HighsModel, cost: np.ndarray) -> float:
    """Pounds of a tier's measure whole-pound rounding can move it by: the sum of its
    weights on the allocations and carry-forwards (each moves by under £1)."""
    moving = np.concatenate([hm.col_of_x[hm.col_of_x >= 0],
                             hm.col_of_aux[[v - hm.n_alloc for v in hm.builder.carry.values()]]])
    moving = moving[moving >= 0]
    return float(np.abs(cost[moving]).sum())


def _tier_row(hm: HighsModel, k: int, lower_pounds: float) -> Row:
    tier = hm.builder.tiers[k - 1]
    sense = "at least" if tier.maximised else "at most"
    bound = lower_pounds if tier.maximised else -lower_pounds
    return Row(RowInfo(Family.ACCOUNTING, f"tier[{k}]",
                       f"Priority tier {k} ({tier.describe()}) is kept at {sense} "
                       f"{bound:,.2f}: its optimum, less its give of {tier.give or 0:,.2f} "
                       "and rounding's reach"),
               Sense.GE, lower_pounds, (), None)


def _described(hm: HighsModel, rows: list[tuple[Row, float]], first_tier: np.ndarray,
               k: int, objective: np.ndarray, costs: list[np.ndarray]) -> HighsModel:
    """Tier ``k``'s LP exactly as HiGHS holds it: ``hm``'s rows (those first needed by a
    later tier free), the tier rows so far at their LP bounds (optimum less half the give;
    rounding's re-solves tighten a row from there and restore it after), and the tier's
    costs. The certificate reads it, a cold re-solve loads it, rounding keeps its rows."""
    lower, upper = hm.row_lower.copy(), hm.row_upper.copy()
    later = first_tier > k
    lower[later], upper[later] = -INF, INF
    if not rows and not later.any():
        return replace(hm, cost=objective)
    b = copy.copy(hm.builder)
    b.rows = [*hm.builder.rows, *(row for row, _ in rows)]
    lower = np.concatenate([lower, np.array([lp for _, lp in rows])])
    upper = np.concatenate([upper, np.full(len(rows), INF)])
    matrix = sp.csc_array(hm.matrix)
    if rows:
        matrix = sp.csc_array(sp.vstack([sp.csr_array(hm.matrix),
                                         sp.csr_array(np.vstack(costs[:len(rows)]))]).tocsc())
    return replace(hm, builder=b, row_lower=lower, row_upper=upper, matrix=matrix,
                   cost=objective,
                   options={**hm.options, **later_tier_options(len(hm.col_lower))} if rows
                   else hm.options)


def _certified(model: HighsModel, k: int) -> tuple[Certificate, Snapshot]:
    """Tier ``k``'s answer certified against its LP (solved cold if it fails), and the
    solution certified."""
    tiers = model.builder.tiers
    tier = tiers[k - 1]
    lp = f"priority tier {k} of {len(tiers)} ({tier.describe()}, " \
         f"{'maximised' if tier.maximised else 'minimised'}" + \
         ("; the tiers before it within their give)" if k > 1 else ")")
    certificate, point = certified(model)
    return replace(certificate, lp=lp), Snapshot.read(model.highs, point)


def reset_first_tier(hm: HighsModel) -> None:
    """After ``solve_tiers(hm, upto=1)``: give the rows tier 1 freed (those first needed by
    a later tier) their recorded bounds again. Tier 1 changes nothing else (its costs are
    the LP's; a cold re-solve loads ``hm``'s own LP with those rows free), so the model is
    again exactly the LP ``hm`` describes, as after :func:`reset`, at a fraction of its
    cost at scale (it gives every column and row its bounds again)."""
    _restore(hm, np.flatnonzero(hm.builder.first_tier_rows() > 1).astype(np.int32))


def reset(hm: HighsModel) -> None:
    """Take the tier rows out of ``hm``'s HiGHS model and put tier 1's costs and every
    recorded row bound back: the model is again exactly the LP ``hm`` describes (``hm``
    without the tier rows, as :func:`solve_tiers` was given it)."""
    h = hm.highs
    n_rows = len(hm.row_lower)
    extra = h.getNumRow() - n_rows
    if extra > 0:
        h.deleteRows(extra, np.arange(n_rows, n_rows + extra, dtype=np.int32))
    n = h.getNumCol()
    h.changeColsCost(n, np.arange(n, dtype=np.int32), np.asarray(hm.cost, dtype=float))
    _restore_bounds(hm)
