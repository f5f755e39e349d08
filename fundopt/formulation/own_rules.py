r"""Your own rules, written in Pyomo: a rule the template has no sheet for.

``fundopt.solve(problem, extra_rules=fn)`` builds the LP as a Pyomo model and calls
``fn(model, alloc)``; ``fn`` adds named Pyomo constraints to ``model``, using
:class:`Allocations` (``alloc``) for the allocations as expressions in pounds::

    import pyomo.environ as pyo

    def met_share(model, alloc):
        # the Met's allocation is at most 25% of all forces' in every year
        model.met_share = pyo.Constraint(alloc.years, rule=lambda m, t:
            alloc.of("metropolitan", t) <= 0.25 * alloc.total(t, kind="force"))

Each constraint becomes one row of the LP, named by its Pyomo name (``met_share[2026-27]``)
in shadow prices, binding rules, reasons, ranging and diagnoses. A rule must be linear in
the allocations, one-sided or an equality (write a range as two rules), and use nothing but
allocations; the function may add constraints only. What cannot be used is refused with
:class:`~fundopt.errors.OwnRuleError` (``FO-Y01``) naming the rule.

fundopt keeps each rule as its linear form (:class:`OwnRule`): the Pyomo expression's
coefficient on each allocation, its constant and its bound. The constraint on ``model`` is
rewritten as that linear form divided by the money scale, so the row is in model units like
every other row (the LP is the same; written with ``alloc``, a rule's numbers are pounds),
and it goes to HiGHS through Pyomo's own compiler. :func:`fundopt.verify` checks a
whole-pound plan against it by putting the plan's amounts into the linear form, in exact
arithmetic, to within a penny.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from fundopt.errors import OwnRuleError
from fundopt.formulation.builder import Family, LpBuilder, RowInfo, Sense, _relation, linear_sum
from fundopt.formulation.terms import Terms

if TYPE_CHECKING:  # Pyomo is imported only when own rules are used (about 1 s)
    import pyomo.environ as pyo
    from pyomo.core.expr.numeric_expr import LinearExpression

#: What ``extra_rules`` is: a function of the Pyomo model and the allocations' helper
#: that adds named constraints to the model (its return value is ignored).
ExtraRules = Callable[["pyo.ConcreteModel", "Allocations"], object]

Line = tuple[str, str, str, str]  # (recipient, activity, stream, year)


@dataclass(frozen=True)
class OwnRule:
    """An analyst's own rule as fundopt keeps it (plain data: a plan pickles with it).

    The rule is ``constant + sum(coefficients[k] * x[lines[k]]) <sense> bound`` with
    ``x`` in model units (pounds divided by ``money_scale``), exactly as Pyomo read it.
    """

    name: str
    description: str
    lines: tuple[Line, ...]
    coefficients: tuple[float, ...]
    constant: float
    sense: Sense
    bound: float
    money_scale: float
    year: str = ""
    recipient: str = ""


class Allocations:
    """The allocations as Pyomo expressions in pounds, for writing your own rules.

    ``model.x[i]`` (allocation column ``i``, see ``alloc.index.alloc``) is in model units
    of ``alloc.money_scale`` pounds; these expressions are that times the scale, so a
    rule can say ``<= 500e6`` for £500m.
    """

    def __init__(self, builder: LpBuilder) -> None:
        if builder.model is None:
            raise ValueError("own rules need the Pyomo model (build_model(..., pyomo=True))")
        self._b = builder
        self.index = builder.index
        self.money_scale = builder.scale
        self.model = builder.model

    @property
    def years(self) -> tuple[str, ...]:
        """The horizon years, in order."""
        return self.index.horizon

    def recipients(self, kind: str | None = None, region: str | None = None) -> tuple[str, ...]:
        """The recipients (ids, sorted), of a kind (``"force"``, ``"regional_unit"``,
        ``"national_programme"``) and in a region if given."""
        rows = self.index.recipient_rows
        return tuple(r for r in sorted(rows)
                     if (kind is None or rows[r]["kind"] == str(kind))
                     and (region is None or rows[r]["region"] == region))

    def of(self, recipient: str, year: str) -> LinearExpression:
        """The recipient's allocation in a year, in pounds (0 if it is not funded then)."""
        return self.total(year, recipients=recipient)

    def total(self, year: str, recipients: str | Iterable[str] | None = None, *,
              kind: str | None = None, region: str | None = None, activity: str | None = None,
              threat: str | None = None, stream: str | None = None) -> LinearExpression:
        """The allocations in a year, in pounds: of the recipients given (one id or
        several; all if none), of a kind and region, for an activity or threat, from a
        stream (each as given; any if not)."""
        self._known("year", [year], self.years)
        chosen = self.recipients(kind, region)
        if recipients is not None:
            wanted = [recipients] if isinstance(recipients, str) else list(recipients)
            self._known("recipient", wanted, tuple(self.index.recipient_rows))
            chosen = tuple(r for r in chosen if r in set(wanted))
        mask = self.index.column_mask("recipient", chosen) & self.index.column_mask("year", [year])
        if activity is not None:
            self._known("activity", [activity], tuple(self.index.activity_threat))
            mask &= self.index.column_mask("activity", [activity])
        if threat is not None:
            mask &= self.index.column_mask("activity", self.index.activities_where(threat))
        if stream is not None:
            mask &= self.index.column_mask("stream", [stream])
        from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

        x = self.model.x
        scale = self.money_scale
        return LinearExpression([MonomialTermExpression((scale, x[int(i)]))
                                 for i in np.flatnonzero(mask)])

    @staticmethod
    def _known(what: str, given: list[str], known: tuple[str, ...]) -> None:
        for value in given:
            if value not in known:
                near = difflib.get_close_matches(str(value), known, n=1)
                hint = f" (did you mean '{near[0]}'?)" if near else ""
                raise OwnRuleError(f"your rule names an unknown {what} '{value}'{hint}")


def add_own_rules(b: LpBuilder, extra_rules: ExtraRules) -> None:
    """Call ``extra_rules(model, alloc)`` and record every constraint it adds as a row
    (:meth:`LpBuilder.adopt`), in the order Pyomo lists them; the rules are kept on
    ``b.own_rules``."""
    import pyomo.environ as pyo

    m = b.model
    if m is None:
        raise ValueError("own rules need the Pyomo model (build_model(..., pyomo=True))")
    ours = {id(c) for c in b.constraints}
    objective = m.component("objective")
    before = objective.expr if objective is not None else None
    extra_rules(m, Allocations(b))
    _refuse_changes(b, objective, before)
    number = {id(b.var(i)): i for i in range(b.n_alloc)}
    rules = []
    for c in m.component_data_objects(pyo.Constraint, active=True, descend_into=True):
        if id(c) not in ours:
            rules.append(_adopt(b, c, number))
    b.own_rules = (*b.own_rules, *rules)


def _refuse_changes(b: LpBuilder, objective: Any, before: Any) -> None:
    """Own rules may add constraints only: no variables, no change to the objective and
    none of fundopt's rows switched off (a change to one of their expressions is caught
    when the compiled LP is compared with the record)."""
    import pyomo.environ as pyo

    m = b.model
    assert m is not None
    n_vars = sum(len(v) for v in m.component_objects(pyo.Var, descend_into=True))
    if n_vars != b.n_vars:
        raise OwnRuleError(
            f"your rules added {n_vars - b.n_vars} variable(s): own rules may use the "
            "allocations only (alloc.of, alloc.total); write the rule without new variables")
    objectives = list(m.component_data_objects(pyo.Objective, active=True, descend_into=True))
    if objectives != [objective] or (objective is not None and objective.expr is not before):
        raise OwnRuleError("your rules changed the objective: own rules may add constraints "
                           "only (the value of funding is set on sheet 'Objective weights')")
    if not all(c.active for c in b.constraints):
        raise OwnRuleError("your rules switched off some of fundopt's rules: own rules may "
                           "add constraints only (change the workbook to drop a rule)")


def _adopt(b: LpBuilder, c: Any, number: dict[int, int]) -> OwnRule:
    """Record one of the analyst's constraints as a row; its kept linear form."""
    from pyomo.repn import generate_standard_repn

    name = str(c.name)
    repn = generate_standard_repn(c.body, compute_values=True, quadratic=False)
    if not repn.is_linear():
        raise OwnRuleError(f"your rule '{name}' is not linear in the allocations: fundopt "
                           "solves a linear programme (no products or powers of amounts)")
    try:
        cols = [number[id(v)] for v in repn.linear_vars]
    except KeyError:
        raise OwnRuleError(f"your rule '{name}' uses a variable that is not an allocation "
                           "(a carry-forward, a tranche or a variable of your own): own "
                           "rules may use the allocations only") from None
    coefs = [float(a) for a in repn.linear_coefs]
    if not any(coefs):
        raise OwnRuleError(f"your rule '{name}' has no allocation in it (it is a constant); "
                           "check the recipients, years and activities it names")
    sense, bound = _sense_and_bound(name, c)
    constant = float(repn.constant)
    scale = b.scale
    rhs = (bound - constant) / scale
    alloc = b.index.alloc
    lines = tuple(alloc.iloc[cols].itertuples(index=False, name=None))
    own = OwnRule(name, _description(c), lines, tuple(coefs), constant, sense, bound,
                  scale, year=_year(c, b.index.horizon),
                  recipient=_only({line[0] for line in lines}))
    scaled = [a / scale for a in coefs]
    # the constraint becomes its linear form in model units: what HiGHS and the record get
    c.set_value(_relation(linear_sum([(b.var(i), a) for i, a in zip(cols, scaled,
                                                                     strict=True)]),
                          sense, rhs))
    info = RowInfo(Family.OWN_RULE, name, own.description, year=own.year,
                   recipient=own.recipient)
    b.adopt(c, Terms(np.asarray(cols, dtype=np.int64), np.asarray(scaled)), sense,
            bound - constant, info)
    return own


def _sense_and_bound(name: str, c: Any) -> tuple[Sense, float]:
    lower, upper = c.lb, c.ub
    if lower is not None and upper is not None:
        if float(lower) != float(upper):
            raise OwnRuleError(f"your rule '{name}' has a lower and an upper limit: write "
                               "it as two rules, one for each limit")
        return Sense.EQ, float(lower)
    if lower is not None:
        return Sense.GE, float(lower)
    if upper is not None:
        return Sense.LE, float(upper)
    raise OwnRuleError(f"your rule '{name}' has no limit")


def _description(c: Any) -> str:
    doc = c.parent_component().doc
    return f"Your rule {c.name}" + (f": {doc}" if doc else "")


def _year(c: Any, horizon: tuple[str, ...]) -> str:
    """The horizon year in the constraint's index, if there is one."""
    index = c.index()
    parts = index if isinstance(index, tuple) else (index,)
    return next((str(p) for p in parts if str(p) in horizon), "")


def _only(values: set[str]) -> str:
    return next(iter(values)) if len(values) == 1 else ""
