"""Records the LP, row by row, with the rule each row is (and builds its Pyomo model).

Constraint families call :meth:`LpBuilder.row`; each row gets a :class:`RowInfo` naming
the rule in words and the input rows it came from, so shadow prices, binding rules and
infeasibility explanations can speak the user's language. A rule with a penalty is soft:
a non-negative slack absorbs any breach at that cost per pound in the objective.
"""

from __future__ import annotations

import copy
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from fundopt.errors import InfeasibleError
from fundopt.formulation.aux_meaning import AuxMeaning
from fundopt.formulation.goals import PARTS, cost_of, goals_in, tier_terms
from fundopt.formulation.index import ProblemIndex
from fundopt.formulation.terms import EMPTY, Term, Terms
from fundopt.problem.schema import Goal

if TYPE_CHECKING:  # Pyomo is imported where a Pyomo model is built: about 1 s saved otherwise
    import pyomo.environ as pyo
    from pyomo.core.base.var import VarData
    from pyomo.core.expr.numeric_expr import LinearExpression

    from fundopt.formulation.own_rules import OwnRule

INF = float("inf")


class Family(StrEnum):
    """Constraint families, in build order."""

    ENVELOPE = "envelope"
    FLOOR = "floor"
    CAP = "cap"
    COMMITMENT = "commitment"
    PROMISE = "promise"  # a re-plan holds the previous plan's confirmed figure
    TOLERANCE = "tolerance"  # ... keeps its indicative figure within a tolerance
    NOTICE = "notice"  # ... and gives a larger cut notice (constraints/promises.py)
    CLIFF_EDGE = "cliff_edge"
    RISE_LIMIT = "rise_limit"
    GLIDE_PATH = "glide_path"
    LOCAL_SHARE = "local_share"
    NATIONAL_SHARE = "national_share"
    REQUIREMENT = "requirement"
    SHARE_TARGET = "share_target"
    LINE_LIMIT = "line_limit"
    STREAM_LIMIT = "stream_limit"
    OWN_RULE = "own_rule"  # an analyst's own rule, written in Pyomo (formulation/own_rules.py)
    ACCOUNTING = "accounting"  # defines objective terms; not a rule a user states


class Sense(StrEnum):
    GE = ">="
    LE = "<="
    EQ = "=="


@dataclass(frozen=True, slots=True)
class RowInfo:
    family: Family
    rule: str  # stable id, e.g. "cliff_edge[cumbria,2027-28]"
    description: str  # plain words, money in £
    year: str = ""
    recipient: str = ""
    stream: str = ""
    sources: tuple[tuple[str, int], ...] = ()  # (table, position) of the input rows behind it


@dataclass(frozen=True, slots=True)
class Row:
    info: RowInfo
    sense: Sense
    rhs: float  # in pounds
    terms: tuple[tuple[int, float], ...]  # (allocation or carry column, coefficient) — for reports
    penalty: float | None


@dataclass(frozen=True)
class IncomeRhs:
    """A row's right-hand side (pounds) as other income makes it: ``rule(*args, *incomes)``,
    ``incomes`` the other income (£) of each of ``keys`` (recipient, year), 0 where none.

    The family works the row's right-hand side out with :meth:`pounds`, so a sweep that
    changes other income works it out again, with the same arithmetic, bit for bit, and
    changes that bound alone (:mod:`fundopt.whatif.cell_links`). ``words`` says whether
    the row's words read the income (whether there is any)."""

    rule: Callable[..., float]
    args: tuple[float, ...]
    keys: tuple[tuple[str, str], ...]
    words: bool = False

    def pounds(self, income: Mapping[tuple[str, str], float]) -> float:
        return self.rule(*self.args, *(income.get(k, 0.0) for k in self.keys))


class Place(StrEnum):
    """Where a number of the LP sits."""

    COEFFICIENT = "coefficient"  # an entry: a row and a variable
    RHS = "rhs"  # a row's right-hand side, in pounds
    UPPER = "upper"  # an auxiliary variable's upper limit, in pounds


@dataclass(frozen=True)
class CellUse:
    """Numbers of the LP that cells of one column make, a block of them at a time: entry
    ``k`` sits at row (or variable) ``at[k]``, with variable ``var[k]`` for a coefficient,
    and is ``value(cells)[k]``, ``cells[k]`` being the value of row ``positions[k]`` (its
    label) of the column. ``words(cells)``, where given, is the words of row ``at[k]``,
    which state the value.

    The family works its numbers out with ``value`` and ``words`` (or the arithmetic
    they do, element by element), so a sweep changing those cells works them out again,
    bit for bit (:mod:`fundopt.whatif.cell_links`). ``value`` may read other inputs as
    they were at the build (other income): a sweep uses it only when that one column
    changes."""

    table: str
    column: str
    place: Place
    positions: np.ndarray
    at: np.ndarray
    value: Callable[[np.ndarray], np.ndarray]
    var: np.ndarray | None = None
    words: Callable[[np.ndarray], list[str]] | None = None


#: (table, row label, column, factor): a bound that is ``factor`` times that input cell,
#: in pounds, computed as ``factor * cell`` (so a sweep reproduces it bit for bit)
Cell = tuple[str, int, str, float]


@dataclass(frozen=True)
class LpArrays:
    """The recorded LP as numbers, one column per variable number (allocation column ``i``
    is ``i``; auxiliary variable ``k``, in creation order, is ``n_alloc + k``).

    Exactly what Pyomo's ``LinearStandardFormCompiler`` makes of :attr:`LpBuilder.model`
    before it drops the variables no row or objective term uses (``used``): repeated
    variables in a row summed in the order given, zero coefficients dropped, the objective
    summed term by term in name order (maximised)."""

    matrix: sp.csc_array  # rows x variables, sorted indices, no explicit zeros
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    cost: np.ndarray
    used: np.ndarray  # bool per variable: it has a nonzero in a row or in the objective

    def in_columns(self) -> tuple[sp.csc_array, np.ndarray, np.ndarray, np.ndarray]:
        """(matrix, column lower, column upper, cost) with one column per *used* variable,
        in variable order: the LP's columns as HiGHS gets them."""
        used = self.used
        matrix = self.matrix if used.all() else sp.csc_array(self.matrix[:, used])
        return matrix, self.col_lower[used], self.col_upper[used], self.cost[used]


class LpBuilder:
    """Collects variables, rows and objective terms: as numbers, and (``pyomo=True``, the
    default) as a Pyomo ``ConcreteModel`` too, ``model``, the formulation to read and test.

    Variables are numbers (see :class:`LpArrays`); rows take ``(variable, coefficient)``
    terms. Money in the model is in units of ``index.money_scale`` pounds; callers pass
    pounds. The LP goes to HiGHS from the numbers (:meth:`arrays`), which a test holds equal,
    array for array, to Pyomo's own compilation of ``model``; a model changed after the
    build goes through Pyomo's compiler instead (:mod:`fundopt.solver.highs`).
    """

    def __init__(self, index: ProblemIndex, *, pyomo: bool = True) -> None:
        self.index = index
        self.scale = index.money_scale
        self.n_alloc = len(index.alloc)
        self.rows: list[Row] = []
        #: the goals in the order they are optimised, and the goals some tier optimises
        self.tiers = index.problem.tiers
        self.goals: frozenset[Goal] = goals_in(self.tiers)
        self._parts: dict[str, list[Terms]] = defaultdict(list)
        #: per row, the goal whose measure it defines (None for a rule): such a row is
        #: needed only from the first tier with that goal (fundopt.solver.tiers)
        self.row_goal: list[Goal | None] = []
        self._goal: Goal | None = None
        self._first_tier: tuple[object, list[Goal | None], int, np.ndarray] | None = None
        #: (kind, rule) per aux variable
        self.aux_meaning = AuxMeaning()
        #: per aux variable, its upper limit in model units (inf when unbounded)
        self.aux_upper = array("d")
        self.carry: dict[tuple[str, str], int] = {}  # (stream, year) -> carried out
        # per row, where its entries end, its limit and its sense: as machine numbers, not
        # Python objects (a quarter of the bytes: at 400 recipients, 300,000 rows)
        self._ptr = array("q", [0])
        # a row's entries go on the lists (terms given as pairs) or, as arrays, on the
        # chunks (terms given as Terms); the lists always hold the latest entries
        self._cols: list[int] = []
        self._vals: list[float] = []
        self._chunks: list[tuple[np.ndarray, np.ndarray]] = []
        #: once :meth:`arrays` has run, the rows it took in, as its matrix (the entries
        #: they were recorded as are let go: see :meth:`arrays`); the chunks and lists
        #: then hold only the rows added since
        self._sealed: sp.csc_array | None = None
        self._scratch = np.zeros(0, dtype=np.int64)
        self._rhs = array("d")  # model units
        self._sense = array("b")  # 1 for >=, -1 for <=, 0 for ==
        #: rows and aux limits that are an input cell times a number (see Cell)
        self.rhs_from: dict[int, Cell] = {}
        self.upper_from: dict[int, Cell] = {}
        #: rows whose right-hand side other income makes
        self.rhs_income: dict[int, IncomeRhs] = {}
        #: numbers that cells of a column make, block by block (see CellUse)
        self.cell_uses: list[CellUse] = []
        #: a row with an IncomeRhs left out (no terms, and it held): other income could
        #: make it a row, so a sweep may not change income in place
        self.income_row_left_out = False
        #: rows with no variable whose bounds exclude 0 (a rule no allocation can count
        #: towards, such as a commitment from a stream that may not fund it): the LP is
        #: infeasible; recorded (``pyomo=False`` only) so a diagnosis can say so at once
        self.unmeetable: list[int] = []
        self.model: pyo.ConcreteModel | None = None
        #: an analyst's own rules (fundopt.formulation.own_rules), rows after all others
        self.own_rules: tuple[OwnRule, ...] = ()
        self.constraints: list[pyo.ConstraintData] = []
        self._vars: list[VarData] = []
        self._lists: dict[Family, pyo.ConstraintList] = {}
        if pyomo:
            import pyomo.environ as pyo

            m = self.model = pyo.ConcreteModel(name="fundopt")
            m.x = pyo.Var(range(self.n_alloc), domain=pyo.NonNegativeReals)
            m.aux = pyo.VarList(domain=pyo.NonNegativeReals)
            self._vars = list(m.x.values())

    # -- variables ------------------------------------------------------------------------
    @property
    def n_vars(self) -> int:
        return self.n_alloc + len(self.aux_upper)

    def aux(self, kind: str, rule: str, upper_pounds: float | None = None, *,
            upper_from: Cell | None = None) -> int:
        upper = INF if upper_pounds is None else upper_pounds / self.scale
        if upper_from is not None:
            self.upper_from[len(self.aux_upper)] = upper_from
        self.aux_upper.append(upper)
        self.aux_meaning.append(kind, rule)
        if self.model is not None:
            v = self.model.aux.add()
            if upper_pounds is not None:
                v.setub(upper)
            self._vars.append(v)
        return self.n_alloc + len(self.aux_upper) - 1

    def aux_block(self, kind: str, rules: Sequence[str], upper_pounds: np.ndarray) -> np.ndarray:
        """One auxiliary variable per rule, as :meth:`aux` would make them one by one
        (``upper_pounds`` infinite where unbounded); their numbers, in order."""
        first = self.n_vars
        upper = np.asarray(upper_pounds, dtype=float) / self.scale
        self.aux_upper.frombytes(upper.tobytes())
        self.aux_meaning.extend(kind, rules)
        if self.model is not None:
            for u in upper.tolist():
                v = self.model.aux.add()
                if u != INF:
                    v.setub(u)
                self._vars.append(v)
        return np.arange(first, first + len(rules), dtype=np.int64)

    def x(self, column: int) -> int:
        return column

    def var(self, v: int) -> VarData:
        """The Pyomo variable of variable number ``v`` (needs ``pyomo=True``)."""
        return self._vars[v]

    def alloc_terms(self, columns: Iterable[int] | np.ndarray, coef: float = 1.0) -> Terms:
        return Terms.of(columns, coef)

    def total(self, recipient: str, year: str, coef: float = 1.0) -> Terms:
        """Terms of the recipient's whole allocation in a year."""
        return Terms.of(self.index.columns_of_recipient_year.get((recipient, year), EMPTY.vars),
                        coef)

    # -- objective --------------------------------------------------------------------------
    @contextmanager
    def defining(self, goal: Goal | None) -> Iterator[None]:
        """Rows added inside this block define ``goal``'s measure (not rules); with None,
        they are rules again."""
        saved, self._goal = self._goal, goal
        try:
            yield
        finally:
            self._goal = saved

    def first_tier_rows(self) -> np.ndarray:
        """Per row, the first tier (1, 2, ...) that needs it: 1 for a rule, else the first
        tier with the goal the row defines (kept for the rows and tiers' goals it was
        worked out for: a sweep's scenarios ask again with the same ones)."""
        goals = tuple(tier.goals for tier in self.tiers)
        kept = self._first_tier
        if kept is not None and kept[0] == goals and kept[1] is self.row_goal \
                and kept[2] == len(self.row_goal):
            return kept[3].copy()
        first = {g: k for k, tier in reversed(list(enumerate(self.tiers, start=1)))
                 for g in tier.goals}
        out = np.array([1 if g is None else first.get(g, len(self.tiers) + 1)
                        for g in self.row_goal], dtype=np.int64)
        self._first_tier = (goals, self.row_goal, len(self.row_goal), out)
        return out.copy()

    def measure(self, part: str, terms: Terms | Sequence[Term]) -> None:
        """Add to a part of a goal's measure (:data:`fundopt.formulation.goals.PARTS`), in
        the goal's own units: value per pound for ``value`` and ``breach_penalty``
        (maximised); pounds, or stability score, per pound for the others (minimised)."""
        if part not in PARTS:
            raise ValueError(f"unknown part of a goal: {part!r}")
        self._parts[part].append(terms if isinstance(terms, Terms) else Terms.pairs(terms))

    @property
    def parts(self) -> dict[str, Terms]:
        """Each part of the goals' measures, its terms in the order added."""
        return {name: Terms.join(ts) for name, ts in self._parts.items()}

    @property
    def objective_terms(self) -> dict[str, Terms]:
        """Tier 1's objective (maximised) as named terms (value, need_penalty, ...): the
        LP's objective; later tiers' are :meth:`tier_costs`."""
        return tier_terms(self.parts, self.tiers[0])

    def tier_costs(self) -> list[np.ndarray]:
        """Each tier's objective (maximised) as costs per variable number."""
        parts = self.parts
        return [cost_of(tier_terms(parts, tier), self.n_vars) for tier in self.tiers]

    # -- rows -------------------------------------------------------------------------------
    def row(
        self,
        terms: Terms | Sequence[Term],
        sense: Sense,
        rhs_pounds: float,
        info: RowInfo,
        penalty: float | None = None,
        report_terms: Sequence[tuple[int, float]] = (),
        *,
        rhs_from: Cell | None = None,
        rhs_income: IncomeRhs | None = None,
    ) -> None:
        """Add ``sum(coef * var) <sense> rhs``. With a penalty, breaches cost that much per £.

        ``terms`` are :class:`Terms` or ``(variable, coefficient)`` pairs; a variable given
        twice has its coefficients summed in order, zero coefficients are dropped (as
        Pyomo's compiler does). ``rhs_from`` says the right-hand side is an input cell times
        a number and nothing else in the row depends on that cell (a sweep then changes the
        bound alone); ``rhs_income`` says how other income makes its right-hand side (see
        :class:`IncomeRhs`)."""
        if penalty is not None:
            slack = self.aux("breach", info.rule)
            self.measure("breach_penalty", [(slack, -float(penalty))])
            extra = [(slack, 1.0 if sense is Sense.GE else -1.0)]
            if sense is Sense.EQ:  # an equality with a penalty can be missed either way
                other = self.aux("breach", info.rule)
                self.measure("breach_penalty", [(other, -float(penalty))])
                extra = [(slack, 1.0), (other, -1.0)]
            terms = Terms.join((terms, extra)) if isinstance(terms, Terms) \
                else [*terms, *extra]
        n = self._add_arrays(terms) if isinstance(terms, Terms) else self._add_pairs(terms)
        if not self._record(n, sense, rhs_pounds, info, penalty, report_terms, rhs_from):
            self.income_row_left_out |= rhs_income is not None
            return
        if rhs_income is not None:
            self.rhs_income[len(self.rows) - 1] = rhs_income
        if self.model is not None:
            xs = self._vars
            k = self._ptr[-1] - self._ptr[-2]
            cols, vals = self._last_entries(k)
            body = linear_sum([(xs[v], c) for v, c in zip(cols, vals, strict=True)])
            self.constraints.append(self._list(info.family).add(
                _relation(body, sense, self._rhs[-1])))

    def adopt(self, constraint: pyo.ConstraintData, terms: Terms, sense: Sense,
              rhs_pounds: float, info: RowInfo) -> None:
        """Record a row already on :attr:`model`, an analyst's own rule
        (:mod:`fundopt.formulation.own_rules`): its numbers and its meaning, as :meth:`row`
        records them, without a second Pyomo constraint. ``terms`` must not be empty."""
        n = self._add_arrays(terms)
        if not self._record(n, sense, rhs_pounds, info, None, (), None):
            raise ValueError(f"{info.rule}: a row with no terms")
        self.constraints.append(constraint)

    def _record(self, n: int, sense: Sense, rhs_pounds: float, info: RowInfo,
                penalty: float | None, report_terms: Sequence[tuple[int, float]],
                rhs_from: Cell | None) -> bool:
        """Record the bounds and meaning of a row whose ``n`` entries were just added;
        False (nothing recorded) for a row with no entries that holds anyway."""
        rhs = rhs_pounds / self.scale
        if not n:
            if _holds_empty(sense, rhs):
                return False  # a rule nothing counts towards and nothing can break: no row
            if self.model is not None:  # a Pyomo constraint cannot be a constant
                raise InfeasibleError(
                    f"{info.description}: no allocation can meet it, because nothing can be "
                    f"funded there (check the eligibility table and funded years)"
                )
            # kept as an empty row: HiGHS reports the LP infeasible and the diagnosis (or
            # on_infeasible="relax") treats it as any other rule, with its cell and its price
            self.unmeetable.append(len(self.rows))
        self._ptr.append(self._ptr[-1] + n)
        self._rhs.append(rhs)
        self._sense.append(_SENSE_CODE[sense])
        if rhs_from is not None:
            self.rhs_from[len(self.rows)] = rhs_from
        self.rows.append(Row(info, sense, rhs_pounds, tuple(report_terms), penalty))
        self.row_goal.append(self._goal)
        return True

    def _add_pairs(self, terms: Sequence[Term]) -> int:
        """Record a row's entries given as pairs (merged, zeros dropped); how many."""
        cols: list[int] | tuple[int, ...] = ()
        vals: list[float] | tuple[float, ...] = ()
        if terms:
            cols, vals = zip(*terms, strict=True)
        if len(set(cols)) != len(cols):  # a variable twice: sum, as Pyomo's compiler does
            merged: dict[int, float] = {}
            for v, c in zip(cols, vals, strict=True):
                merged[v] = merged[v] + c if v in merged else c
            cols, vals = list(merged), list(merged.values())
        if 0.0 in vals:
            cols = [v for v, c in zip(cols, vals, strict=True) if c != 0.0]
            vals = [c for c in vals if c != 0.0]
        self._cols += cols
        self._vals += vals
        return len(cols)

    def _add_arrays(self, terms: Terms) -> int:
        """Record a row's entries given as arrays (merged, zeros dropped); how many."""
        cols, vals = terms.vars, terms.coefs
        if len(cols) > 1 and self._repeats(cols):
            # a variable twice: sum in order (np.add.at adds in order), keep first places
            uniq, first, inverse = np.unique(cols, return_index=True, return_inverse=True)
            sums = np.zeros(len(uniq))
            np.add.at(sums, inverse, vals)
            order = np.argsort(first)
            cols, vals = uniq[order], sums[order]
        if not vals.all():
            keep = vals != 0.0
            cols, vals = cols[keep], vals[keep]
        if len(cols):
            self._flush()
            self._chunks.append((cols, vals))
        return len(cols)

    def _repeats(self, cols: np.ndarray) -> bool:
        """Whether a variable appears twice in ``cols`` (in time linear in its length: each
        place writes its position to a scratch array; a repeat's earlier write is lost)."""
        if len(self._scratch) < self.n_vars:
            self._scratch = np.zeros(max(self.n_vars, 2 * len(self._scratch)), dtype=np.int64)
        where = np.arange(len(cols))
        self._scratch[cols] = where
        return bool((self._scratch[cols] != where).any())

    def _flush(self) -> None:
        """Move the entries on the lists to the chunks (they keep their order)."""
        if self._cols:
            self._chunks.append((np.array(self._cols, dtype=np.int64),
                                 np.array(self._vals, dtype=float)))
            self._cols, self._vals = [], []

    def _last_entries(self, k: int) -> tuple[list[int], list[float]]:
        """The last ``k`` entries recorded, as lists."""
        if not k:
            return [], []
        if len(self._cols) >= k:
            return self._cols[-k:], self._vals[-k:]
        # the latest chunk; the sealed record (read back whole) only when there is none
        cols, vals = self._chunks[-1] if self._chunks else self._recorded()[-1]
        return cols[-k:].tolist(), vals[-k:].tolist()

    def _recorded(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The entries recorded as arrays, oldest first: those :meth:`arrays` took in
        (read back, row by row, from its matrix), then the chunks."""
        if self._sealed is None:
            return self._chunks
        rows = self._sealed.tocsr()
        return [(rows.indices, rows.data), *self._chunks]

    def rows_block(self, ptr: np.ndarray, cols: np.ndarray, vals: np.ndarray, sense: Sense,
                   infos: Sequence[RowInfo], rhs_pounds: np.ndarray | None = None) -> None:
        """Many rows at once, as :meth:`row` would add them one by one: row ``i`` is
        ``sum(vals[k] * var cols[k] for ptr[i] <= k < ptr[i+1]) <sense> rhs_pounds[i]``
        (0 when not given). For rows without a penalty, each with at least one term,
        distinct variables and no zero coefficient (checked)."""
        ptr = np.asarray(ptr, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        vals = np.asarray(vals, dtype=float)
        n = len(infos)
        rhs = np.zeros(n) if rhs_pounds is None else np.asarray(rhs_pounds, dtype=float)
        lengths = np.diff(ptr)
        row_of = np.repeat(np.arange(n, dtype=np.int64), lengths)
        pairs = np.sort(row_of * max(self.n_vars, 1) + cols)
        if (len(ptr) != n + 1 or len(rhs) != n or (lengths <= 0).any() or (vals == 0.0).any()
                or (pairs[1:] == pairs[:-1]).any()):
            raise ValueError("rows_block: each row needs distinct variables, nonzero "
                             "coefficients and at least one term")
        start = self._ptr[-1]
        self._flush()
        self._chunks.append((cols, vals))
        self._ptr.frombytes((ptr[1:] + start).astype(np.int64).tobytes())
        self._rhs.frombytes((rhs / self.scale).astype(float).tobytes())
        self._sense.extend([_SENSE_CODE[sense]] * n)
        self.row_goal += [self._goal] * n
        self.rows += [Row(info, sense, r, (), None) for info, r in zip(infos, rhs.tolist(),
                                                                       strict=True)]
        if self.model is not None:
            xs, bounds = self._vars, ptr.tolist()
            cols_l, vals_l = cols.tolist(), vals.tolist()
            for i, info in enumerate(infos):
                lo, hi = bounds[i], bounds[i + 1]
                body = linear_sum([(xs[v], c) for v, c in zip(cols_l[lo:hi], vals_l[lo:hi],
                                                                strict=True)])
                self.constraints.append(self._list(info.family).add(
                    _relation(body, sense, float(rhs[i]) / self.scale)))

    def _list(self, family: Family) -> pyo.ConstraintList:
        assert self.model is not None
        clist = self._lists.get(family)
        if clist is None:
            import pyomo.environ as pyo

            clist = pyo.ConstraintList()
            self.model.add_component(f"c_{family.value}", clist)
            self._lists[family] = clist
        return clist

    def finish(self) -> None:
        """Set the Pyomo objectives: tier 1's, active (the LP's), and each later tier's as
        ``tier_2``, ``tier_3``, ..., deactivated; each the sum of its named terms,
        maximised."""
        if self.model is None:
            return
        xs = self._vars
        # value per pound x pounds per unit = value per model unit; reported objective is
        # multiplied back by the scale.
        import pyomo.environ as pyo

        parts = self.parts
        for k, tier in enumerate(self.tiers, start=1):
            terms = tier_terms(parts, tier)
            all_terms = [(xs[v], c) for name in sorted(terms) for v, c in terms[name]]
            expr = linear_sum(all_terms) if all_terms else 0.0
            objective = pyo.Objective(expr=expr, sense=pyo.maximize)
            self.model.add_component("objective" if k == 1 else f"tier_{k}", objective)
            if k > 1:
                objective.deactivate()

    # -- the LP as numbers ----------------------------------------------------------------------
    def row_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) of every row (model units; infinite where open)."""
        rhs = np.asarray(self._rhs, dtype=float)
        sense = np.asarray(self._sense, dtype=np.int64)
        return np.where(sense >= 0, rhs, -INF), np.where(sense <= 0, rhs, INF)

    def with_rows(self, index: ProblemIndex, rows: dict[int, Row],
                  aux_upper: dict[int, float]) -> LpBuilder:
        """A copy, on ``index``, with some rows' bounds and words and some auxiliary limits
        (model units) changed; their variables and coefficients stay (see ``rhs_from``)."""
        self.first_tier_rows()  # worked out once, here: every copy shares it
        out = copy.copy(self)
        out.index = index
        out.tiers = index.problem.tiers  # a give in proportion to the money follows it
        out.rows, out._rhs, out.aux_upper = list(self.rows), self._rhs[:], self.aux_upper[:]
        for i, row in rows.items():
            out.rows[i] = row
            out._rhs[i] = row.rhs / self.scale
        for k, upper in aux_upper.items():
            out.aux_upper[k] = upper
        out.model, out.constraints = None, []
        return out

    def arrays(self) -> LpArrays:
        """The LP as arrays over all variable numbers (see :class:`LpArrays`)."""
        n_rows, n_vars = len(self.rows), self.n_vars
        chunks = [*self._recorded(), (np.array(self._cols, dtype=np.int64),
                                      np.array(self._vals, dtype=float))]
        # 32-bit indices where they fit: the conversion to columns moves half the bytes
        small = max(n_vars, self._ptr[-1]) < 2**31
        index_type = np.int32 if small else np.int64
        matrix = sp.csr_array(
            (np.concatenate([v for _, v in chunks]),
             np.concatenate([c for c, _ in chunks]).astype(index_type),
             np.asarray(self._ptr, dtype=index_type)),
            shape=(n_rows, n_vars),
        ).tocsc()
        matrix.sort_indices()
        # from now on the record is this matrix, which the model keeps anyway (HighsModel's):
        # the entries it was made from go, 16 bytes each as arrays of chunks (at 400
        # recipients about 90 MB, held until the plan is made, through the solve's peak)
        self._sealed, self._chunks, self._cols, self._vals = matrix, [], [], []
        # tier 1's terms in name order, a variable's coefficients summed left to right (as
        # Pyomo's compiler does); zeros are not "used"
        cost = cost_of(self.objective_terms, n_vars)
        used = (np.diff(matrix.indptr) > 0) | (cost != 0.0)
        row_lower, row_upper = self.row_bounds()
        return LpArrays(
            matrix=matrix,
            row_lower=row_lower,
            row_upper=row_upper,
            col_lower=np.zeros(n_vars),
            col_upper=np.concatenate([np.full(self.n_alloc, INF), self.aux_upper]),
            cost=cost,
            used=used,
        )


_SENSE_CODE = {Sense.GE: 1, Sense.LE: -1, Sense.EQ: 0}  # as recorded in LpBuilder._sense


def _holds_empty(sense: Sense, rhs: float) -> bool:
    """Whether a row with no terms, ``0 <sense> rhs`` (model units), holds."""
    if sense is Sense.GE:
        return rhs <= 1e-9
    return rhs >= -1e-9 if sense is Sense.LE else abs(rhs) <= 1e-9


def _relation(body: LinearExpression, sense: Sense, rhs: float) -> object:
    """The Pyomo relation ``body <sense> rhs``."""
    return body >= rhs if sense is Sense.GE else body <= rhs if sense is Sense.LE \
        else body == rhs


def linear_sum(terms: Sequence[tuple[VarData, float]]) -> LinearExpression:
    """``sum(coef * var)`` as one Pyomo ``LinearExpression``, built directly from its terms
    (a unit coefficient as the bare variable): the same expression ``quicksum`` makes,
    about five times faster to build."""
    from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

    return LinearExpression([v if c == 1.0 else MonomialTermExpression((c, v)) for v, c in terms])
