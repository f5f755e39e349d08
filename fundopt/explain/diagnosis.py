"""When the rules cannot all hold: say why, in the template's own cells, with the cheapest
way out.

Three sources of explanation, fastest first:

1. **Closed-form checks** (:mod:`fundopt.prechecks`, run once HiGHS reports the LP
   infeasible): common conflicts with the exact shortfall in pounds.
2. **The conflicting rules** (an irreducible infeasible subset, IIS, from HiGHS): a set of
   rules that cannot hold together although any one of them could be dropped.
3. **The cheapest way out** (an elastic re-solve): every negotiable rule gets a slack that
   costs its family's penalty per pound (sheet *Negotiability*, defaults in
   :data:`fundopt.schema.DEFAULT_RELAX_PENALTIES`); the least-cost slacks say which promises
   to break and by how many pounds. For each rule of the IIS the amount that would do on
   its own is given as an alternative.

Everything is carried by a :class:`Diagnosis` (``.text`` and ``.to_frame()``) on
:class:`~fundopt.InfeasibleError`. The LP parts need HiGHS; they are imported lazily so this
module's data classes stay light (the pre-checks and the Excel writer use them).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from fundopt._support import money, reduce_frozen
from fundopt.errors import InfeasibleError
from fundopt.problem.schema import DEFAULT_RELAX_PENALTIES

if TYPE_CHECKING:
    from fundopt.formulation.builder import Row
    from fundopt.problem import FundingProblem, Origin
    from fundopt.solver.highs import HighsModel

#: Amounts below this (in pounds) are rounding noise, not a conflict or a breach.
TOLERANCE_POUNDS = 0.005

#: The most single-rule alternatives a diagnosis works out (each is a warm re-solve).
MAX_ALTERNATIVES = 8

FRAME_COLUMNS = [
    "conflict", "source", "code", "rule", "family", "description", "year", "recipient",
    "stream", "sheet", "cell", "where", "shortfall_pounds", "suggestion",
]


# -- where a rule comes from -------------------------------------------------------------------
@dataclass(frozen=True)
class Location:
    """A cell of the input: table row and column, and where the reader found it."""

    table: str
    row: int | None
    column: str
    sheet: str = ""
    cell: str = ""

    def __str__(self) -> str:
        if self.sheet and self.cell:
            return f"{quote(self.sheet)}!{self.cell}"
        where = f"table '{self.table}'"
        if self.row is not None:
            where += f" row {self.row}"
        return where + (f", column '{self.column}'" if self.column else "")


def quote(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def locate(origin: Origin, table: str, row: int | None, column: str) -> Location:
    sheet, cell = origin.cell(table, row, column)
    return Location(table, row, column, sheet, cell)


def cell_ranges(locations: Iterable[Location]) -> str:
    """'Floors and caps'!C5:C7, 'Envelopes'!D3: consecutive cells of a column merged."""
    by_sheet: dict[str, dict[str, list[int]]] = {}
    plain: list[str] = []
    for loc in locations:
        if not (loc.sheet and loc.cell):
            text = str(loc)
            if text not in plain:
                plain.append(text)
            continue
        letters = loc.cell.rstrip("0123456789")
        number = int(loc.cell[len(letters):])
        by_sheet.setdefault(loc.sheet, {}).setdefault(letters, []).append(number)
    parts = []
    for sheet, columns in by_sheet.items():
        cells = []
        for letters, numbers in columns.items():
            ordered = sorted(set(numbers))
            start = prev = ordered[0]
            for n in [*ordered[1:], None]:
                if n is not None and n == prev + 1:
                    prev = n
                    continue
                cells.append(f"{letters}{start}" if start == prev
                             else f"{letters}{start}:{letters}{prev}")
                if n is not None:
                    start = prev = n
        parts.append(f"{quote(sheet)}!{','.join(cells)}")
    return ", ".join(parts + plain)


# -- what a diagnosis says ------------------------------------------------------------------------
@dataclass(frozen=True)
class RuleRef:
    """One rule (or input figure) involved in a conflict.

    ``amount`` is, for a rule the cheapest way out breaks, the pounds it is broken by.
    """

    rule: str
    family: str
    description: str
    year: str = ""
    recipient: str = ""
    stream: str = ""
    locations: tuple[Location, ...] = ()
    amount: float | None = None
    suggestion: str = ""

    @property
    def where(self) -> str:
        return cell_ranges(self.locations)


@dataclass(frozen=True)
class Conflict:
    """One explanation: a set of rules that cannot all hold, or a way out.

    ``source`` is ``"check"`` (found by the closed-form checks), ``"iis"`` (rules that
    conflict, from HiGHS), ``"relaxation"`` (the cheapest set of rules to break) or
    ``"alternative"`` (one rule that could give way on its own).
    """

    source: str
    code: str
    summary: str
    rules: tuple[RuleRef, ...]
    shortfall: float | None = None
    suggestion: str = ""
    bounds: tuple[str, ...] = ()  # variable bounds in the conflict, in words

    @property
    def where(self) -> str:
        return cell_ranges(loc for r in self.rules for loc in r.locations)


@dataclass(frozen=True)
class Diagnosis:
    """Why the rules cannot all hold, and the cheapest way out.

    ``text`` is the explanation for a person; ``to_frame()`` is the same as a table (one
    row per rule per conflict) for a Diagnosis sheet. ``times`` holds seconds spent on the
    IIS and on the re-solves.
    """

    conflicts: tuple[Conflict, ...]
    note: str = ""
    times: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "times", MappingProxyType(dict(self.times)))

    def __reduce__(self) -> tuple[Any, ...]:
        return reduce_frozen(self)

    def of(self, source: str) -> tuple[Conflict, ...]:
        return tuple(c for c in self.conflicts if c.source == source)

    @property
    def way_out(self) -> Conflict | None:
        """The cheapest set of rules to break, if one was found."""
        found = self.of("relaxation")
        return found[0] if found else None

    @property
    def text(self) -> str:
        return render(self)

    def to_frame(self) -> pd.DataFrame:
        out = []
        for n, c in enumerate(self.conflicts, start=1):
            for r in c.rules:
                first = r.locations[0] if r.locations else None
                out.append({
                    "conflict": n, "source": c.source, "code": c.code, "rule": r.rule,
                    "family": r.family, "description": r.description, "year": r.year,
                    "recipient": r.recipient, "stream": r.stream,
                    "sheet": first.sheet if first else "", "cell": first.cell if first else "",
                    "where": r.where,
                    "shortfall_pounds": r.amount if r.amount is not None else c.shortfall,
                    "suggestion": r.suggestion or c.suggestion,
                })
        frame = pd.DataFrame(out, columns=FRAME_COLUMNS)
        frame["shortfall_pounds"] = frame["shortfall_pounds"].astype(float)
        return frame

    def __str__(self) -> str:
        return self.text


def render(d: Diagnosis) -> str:
    lines: list[str] = []
    checks = d.of("check")
    if checks:
        lines.append("The rules cannot all hold:")
        for c in checks:
            lines.append(f"  - {c.summary}; {c.where}" if c.where else f"  - {c.summary}")
            if c.suggestion:
                lines.append(f"    {c.suggestion}")
    for c in d.of("iis"):
        lines.append(c.summary)
        for r in c.rules:
            lines.append(f"  - {r.description} ({r.where})" if r.where else f"  - {r.description}")
        for b in c.bounds:
            lines.append(f"  - {b}")
    way = d.way_out
    if way is not None:
        lines.append(way.summary)
        for r in way.rules:
            lines.append(f"  - {r.suggestion} ({r.where})" if r.where else f"  - {r.suggestion}")
    alternatives = d.of("alternative")
    if alternatives:
        lines.append("Or any one of these on its own:")
        for a in alternatives:
            r = a.rules[0]
            lines.append(f"  - {r.suggestion} ({r.where})" if r.where else f"  - {r.suggestion}")
    if d.note:
        lines.append(d.note)
    return "\n".join(lines) if lines else "The rules cannot all hold."


def infeasible(diagnosis: Diagnosis) -> InfeasibleError:
    return InfeasibleError(diagnosis.text, diagnosis=diagnosis)


# -- the order of negotiability ------------------------------------------------------------------
def relax_penalties(problem: FundingProblem) -> dict[str, float | None]:
    """Cost per pound of breaking each rule family (None: never), from sheet Negotiability."""
    out: dict[str, float | None] = {f.value: p for f, p in DEFAULT_RELAX_PENALTIES.items()}
    for _, row in problem.negotiability.iterrows():
        penalty = row["penalty"]
        out[str(row["family"])] = None if penalty is None or pd.isna(penalty) else float(penalty)
    return out


# -- rules of the LP in the user's words ----------------------------------------------------------
#: The input column behind each rule (by the rule id's prefix), for its cell.
RULE_COLUMNS: dict[str, dict[str, str]] = {
    "envelope": {"envelopes": "amount"},
    "floor_amount": {"limits": "floor_amount"},
    "floor_ratio": {"limits": "floor_ratio"},
    "cap_amount": {"limits": "cap_amount"},
    "cap_ratio": {"limits": "cap_ratio"},
    "commitment": {"commitments": "amount"},
    "cliff_edge": {"cliff_edges": "max_fall_rate"},
    "rise_limit": {"cliff_edges": "max_rise_rate"},
    "glide_path": {"cliff_edges": "max_fall_rate", "recipients": "last_year"},
    "glide_path_end": {"cliff_edges": "max_fall_rate", "recipients": "last_year"},
    "local_share": {"local_shares": "min_local_share"},
    "local_amount": {"local_shares": "min_local_amount"},
    "national_share": {"local_shares": "max_national_share"},
    "requirement": {"requirements": "amount"},
    "share_min": {"share_targets": "min_share"},
    "share_max": {"share_targets": "max_share"},
}


def rule_locations(origin: Origin, rule: str, sources: Sequence[tuple[str, int]]
                   ) -> tuple[Location, ...]:
    columns = RULE_COLUMNS.get(rule.split("[", 1)[0], {})
    return tuple(locate(origin, table, pos, columns.get(table, "")) for table, pos in sources)


def suggestion(row: Row, pounds: float, direction: int = 1) -> str:
    """What breaking ``row`` by ``pounds`` means, as an instruction. ``direction`` +1: the
    rule's left side falls short of its lower limit; -1: it exceeds its upper limit."""
    info = row.info
    prefix = info.rule.split("[", 1)[0]
    amt = money(pounds)
    r, t, s = info.recipient, info.year, info.stream
    key = info.rule[len(prefix) + 1:-1]
    if prefix == "envelope":
        if direction > 0:  # a must-spend envelope's spending falls short
            return f"let {amt} of the must-spend envelope of stream '{s}' go unspent in {t}"
        return f"add {amt} to the envelope of stream '{s}' in {t}"
    if prefix.startswith("floor"):
        return f"lower {r}'s floor in {t} by {amt}"
    if prefix.startswith("cap"):
        return f"raise {r}'s cap in {t} by {amt}"
    if prefix == "commitment":
        activity = key.split(",")[1]
        return f"reduce the commitment to {r}'s '{activity}' in {t} by {amt}"
    if prefix == "cliff_edge":
        return (f"relax {r}'s cliff-edge limit in {t} by {amt} (let its total funding fall "
                f"{amt} further than the limit allows)")
    if prefix == "rise_limit":
        return f"relax {r}'s rise limit in {t} by {amt}"
    if prefix == "glide_path":
        return f"let {r}'s allocation fall {amt} faster on its glide path to closure in {t}"
    if prefix == "glide_path_end":
        return f"let {r}'s allocation in its last year {t} be {amt} above its glide path"
    if prefix == "local_share":
        return f"let {r}'s local-priority funding in {t} be {amt} below its minimum share"
    if prefix == "local_amount":
        return f"lower {r}'s minimum local-priority amount in {t} by {amt}"
    if prefix == "national_share":
        return (f"let national priorities take {amt} more of {r}'s allocation in {t} than its "
                "ring-fence allows")
    if prefix == "requirement":
        threat, region, _ = key.split(",")
        where = "" if region == "*" else f" in region {region}"
        return f"lower the requirement for {threat}{where} in {t} by {amt}"
    target = info.description.removeprefix("Share target: ")
    if prefix == "share_min":
        return f"accept {amt} less than the share target '{target}' needs"
    if prefix == "share_max":
        return f"accept {amt} more than the share limit '{target}' allows"
    return f"break '{info.description}' by {amt}"


def rule_ref(problem: FundingProblem, row: Row, amount: float | None = None, direction: int = 1
             ) -> RuleRef:
    info = row.info
    return RuleRef(
        rule=info.rule, family=info.family.value, description=info.description, year=info.year,
        recipient=info.recipient, stream=info.stream,
        locations=rule_locations(problem.origin, info.rule, info.sources),
        amount=amount, suggestion="" if amount is None else suggestion(row, amount, direction),
    )


# -- the LP: IIS and elastic re-solve ----------------------------------------------------------
def diagnose_infeasible(problem: FundingProblem, hm: HighsModel) -> InfeasibleError:
    """An :class:`~fundopt.InfeasibleError` explaining why ``hm`` (solved: infeasible) has no
    allocation: the conflicting rules (IIS), the cheapest way out and single-rule
    alternatives, each naming the input cells."""
    return infeasible(explain(problem, hm))


def explain(problem: FundingProblem, hm: HighsModel) -> Diagnosis:
    """The diagnosis of an infeasible model (see :func:`diagnose_infeasible`)."""
    return _explain(problem, hm)[0]


def _explain(problem: FundingProblem, hm: HighsModel
             ) -> tuple[Diagnosis, list[tuple[int, int, float]]]:
    times: dict[str, float] = {}
    conflicts: list[Conflict] = []
    notes: list[str] = []
    t0 = time.perf_counter()
    iis = _iis(problem, hm)
    times["iis"] = time.perf_counter() - t0
    if iis is not None:
        conflicts.append(iis)
    else:
        notes.append("HiGHS could not isolate the conflicting rules (IIS); the way out below "
                     "comes from the elastic re-solve alone.")
    t0 = time.perf_counter()
    elastic = Elastic(problem, hm)
    way = elastic.cheapest()
    times["relaxation"] = time.perf_counter() - t0
    if way is not None:
        conflicts.append(way)
        t0 = time.perf_counter()
        in_way = {r.rule for r in way.rules}
        candidates = [i for i in (iis_rows(hm, iis) if iis is not None else [])
                      if hm.builder.rows[i].info.rule not in in_way]
        conflicts += elastic.alone(candidates[:MAX_ALTERNATIVES])
        times["alternatives"] = time.perf_counter() - t0
    else:
        never = sorted(f for f, p in relax_penalties(problem).items() if p is None)
        marked = f" (marked never to break on sheet 'Negotiability': {', '.join(never)})"
        notes.append(
            "No way out was found by breaking the negotiable rules"
            + (marked if never else "")
            + "; the conflict lies in rules that cannot give way: check eligibility and "
            "carry-forward limits.")
    breaks = elastic.breaks if way is not None else []
    return Diagnosis(tuple(conflicts), note="\n".join(notes), times=times), breaks


#: HiGHS IIS strategies: 2 finds a conflicting set from an elastic LP (about one LP solve);
#: 6 then reduces it to an irreducible set, one LP solve per rule in it (27 s on the
#: reference model against 1 s for strategy 2, so it runs only when the estimate fits).
IIS_FROM_LP, IIS_IRREDUCIBLE = 2, 6
IIS_BUDGET_SECONDS = 10.0


def _get_iis(h: Any, strategy: int) -> Any | None:
    import highspy

    try:
        h.setOptionValue("iis_strategy", strategy)
        status, iis = h.getIis()
    except Exception:  # an older highspy, or the IIS failed: fall back to the elastic LP
        return None
    finally:
        h.setOptionValue("iis_strategy", 0)
    if status != highspy.HighsStatus.kOk or not iis.valid_ or not len(iis.row_index_):
        return None
    return iis


def _iis(problem: FundingProblem, hm: HighsModel) -> Conflict | None:
    h = hm.highs
    t0 = time.perf_counter()
    iis = _get_iis(h, IIS_FROM_LP)
    if iis is None:
        return None
    irreducible = False
    if len(iis.row_index_) * (time.perf_counter() - t0) <= IIS_BUDGET_SECONDS:
        better = _get_iis(h, IIS_IRREDUCIBLE)
        if better is not None:
            iis, irreducible = better, True
    rows = hm.builder.rows
    active = _active(list(iis.row_bound_))
    refs = [rule_ref(problem, rows[i]) for i, a in zip(iis.row_index_, active, strict=True) if a]
    bounds = describe_bounds(problem, hm, list(iis.col_index_), _active(list(iis.col_bound_)))
    if not refs:
        return None
    why = ("though dropping any one of them would end this conflict" if irreducible else
           "the set was not reduced to the fewest, so some of them may not be needed")
    return Conflict(
        source="iis", code="FO-L01",
        summary=f"No allocation keeps every rule. These {len(refs)} rules conflict (together "
                f"they cannot hold; {why}):",
        rules=tuple(refs), bounds=tuple(bounds),
    )


def _active(bounds: list[Any]) -> list[bool]:
    import highspy

    B = highspy.IisBoundStatus
    wanted = {int(B.kIisBoundStatusLower), int(B.kIisBoundStatusUpper), int(B.kIisBoundStatusBoxed)}
    return [int(b) in wanted for b in bounds]


def iis_rows(hm: HighsModel, conflict: Conflict) -> list[int]:
    index = {row.info.rule: i for i, row in enumerate(hm.builder.rows)}
    return [index[r.rule] for r in conflict.rules if r.rule in index]


def describe_bounds(problem: FundingProblem, hm: HighsModel, cols: Sequence[int],
                    active: Sequence[bool]) -> list[str]:
    """The variable bounds in an IIS, in words (allocations >= 0, carry-forward limits, ...)."""
    b = hm.builder
    x_of = {int(j): i for i, j in enumerate(hm.col_of_x) if j >= 0}
    aux_of = {int(j): i for i, j in enumerate(hm.col_of_aux) if j >= 0}
    lines: list[str] = []
    alloc = []
    for j, on in zip(cols, active, strict=True):
        if not on:
            continue
        if j in x_of:
            r, a, s, t = b.index.alloc.iloc[x_of[j]]
            alloc.append(f"{r}'s '{a}' from '{s}' in {t}")
        elif j in aux_of:
            kind, rule = b.aux_meaning[aux_of[j]]
            if kind == "carry":
                stream = rule[len("carry["):-1].split(",")[0]
                pos = [int(i) for i in problem.streams.index[problem.streams["stream"] == stream]]
                where = locate(problem.origin, "streams", pos[0] if pos else None,
                               "carry_forward_share")
                lines.append(f"at most the stream's carry-forward share of its envelope may be "
                             f"carried out of a year ({rule}; {where})")
            elif kind == "tranche":
                lines.append(f"a value tranche is at most its width ({rule})")
            else:
                lines.append(f"an amount cannot be negative ({kind} of {rule})")
    if alloc:
        shown = "; ".join(alloc[:5]) + (f"; and {len(alloc) - 5} more" if len(alloc) > 5 else "")
        lines.insert(0, f"allocations cannot be negative ({shown})")
    return lines


class Elastic:
    """The LP with a priced slack on every negotiable rule, solved for the least total
    penalty (phase 1 of an elastic programme); built once, re-solved warm for alternatives."""

    def __init__(self, problem: FundingProblem, hm: HighsModel) -> None:
        import highspy

        from fundopt.formulation.builder import Family, Sense
        from fundopt.solver.highs import new_highs

        self.problem = problem
        self.hm = hm
        self.scale = hm.builder.scale
        penalties = relax_penalties(problem)
        h = new_highs()
        for name, value in hm.options.items():
            h.setOptionValue(name, value)  # type: ignore[arg-type]
        h.passModel(hm.highs.getLp())
        n = h.getNumCol()
        h.changeColsCost(n, np.arange(n, dtype=np.int32), np.zeros(n))
        h.changeObjectiveSense(highspy.ObjSense.kMinimize)
        self.slacks: list[tuple[int, int]] = []  # (row, +1 raises the row's left side / -1)
        costs = []
        for i, row in enumerate(hm.builder.rows):
            if row.info.family is Family.ACCOUNTING or row.penalty is not None:
                continue
            p = penalties.get(row.info.family.value)
            if p is None:
                continue
            directions = {Sense.GE: (1,), Sense.LE: (-1,), Sense.EQ: (1, -1)}[row.sense]
            for d in directions:
                self.slacks.append((i, d))
                costs.append(p)
        m = len(self.slacks)
        self.first = n
        if m:
            h.addCols(m, np.asarray(costs, dtype=float), np.zeros(m), np.full(m, highspy.kHighsInf),
                      m, np.arange(m, dtype=np.int32),
                      np.asarray([i for i, _ in self.slacks], dtype=np.int32),
                      np.asarray([float(d) for _, d in self.slacks]))
        self.costs = np.asarray(costs, dtype=float)
        self.h = h
        self.breaks: list[tuple[int, int, float]] = []

    def _solve(self) -> np.ndarray | None:
        import highspy

        from fundopt.solver.highs import run_highs

        if run_highs(self.h) != highspy.HighsModelStatus.kOptimal:
            return None
        values = np.asarray(self.h.getSolution().col_value)[self.first:]
        return values * self.scale

    def cheapest(self) -> Conflict | None:
        """The least-penalty set of rules to break, each with its amount in pounds."""
        if not self.slacks:
            return None
        pounds = self._solve()
        if pounds is None:
            return None
        rows = self.hm.builder.rows
        self.breaks = [(i, d, float(v)) for (i, d), v in zip(self.slacks, pounds, strict=True)
                       if v > TOLERANCE_POUNDS]
        refs = [rule_ref(self.problem, rows[i], v, d) for i, d, v in self.breaks]
        if not refs:
            return None
        total = sum(r.amount or 0.0 for r in refs)
        return Conflict(
            source="relaxation", code="FO-L01",
            summary=f"The cheapest way out (in the order of negotiability on sheet "
                    f"'Negotiability'): break {len(refs)} rule{'s' if len(refs) != 1 else ''} "
                    f"by {money(total)} in all:",
            rules=tuple(refs), shortfall=total,
        )

    def alone(self, candidates: Sequence[int]) -> list[Conflict]:
        """For each candidate row: the least breach of that rule alone that ends the conflict."""
        import highspy

        out: list[Conflict] = []
        k = len(self.slacks)
        cols = np.arange(self.first, self.first + k, dtype=np.int32)
        rows = self.hm.builder.rows
        for i in candidates:
            mine = np.array([r == i for r, _ in self.slacks])
            if not mine.any():
                continue
            self.h.changeColsBounds(k, cols, np.zeros(k), np.where(mine, highspy.kHighsInf, 0.0))
            self.h.changeColsCost(k, cols, np.where(mine, 1.0, 0.0))
            pounds = self._solve()
            if pounds is None or pounds[mine].sum() <= TOLERANCE_POUNDS:
                continue
            j = int(np.argmax(np.where(mine, pounds, -1.0)))
            ref = rule_ref(self.problem, rows[i], float(pounds[j]), self.slacks[j][1])
            out.append(Conflict(source="alternative", code="FO-L01", summary=ref.suggestion,
                                rules=(ref,), shortfall=ref.amount))
        self.h.changeColsBounds(k, cols, np.zeros(k), np.full(k, highspy.kHighsInf))
        self.h.changeColsCost(k, cols, self.costs)
        return out


# -- on_infeasible="relax": the plan that breaks the cheapest promises -----------------------------
@dataclass(frozen=True)
class Relaxation:
    """The rules a relaxed plan may break: rule id -> pounds (whole, rounded up), and the
    rows loosened for them."""

    allowed: Mapping[str, float]
    diagnosis: Diagnosis
    rows: tuple[int, ...] = ()

    def rounding_room(self, hm: HighsModel) -> tuple[np.ndarray, dict[str, float]]:
        """(room per row in model units, allowances in pounds) for rounding the relaxed
        plan to whole pounds: a loosened row is at its new limit, and a margin inside it,
        as rounding gives the other rules, would undo the relaxation; instead rounding may
        move it past that limit by its reach (under £1 for each amount in the rule), which
        is added to the rule's allowance (whole pounds, rounded up)."""
        from fundopt.solver.rounding import reach_of_rows

        room = np.zeros(len(hm.row_lower))
        allowed = dict(self.allowed)
        if self.rows:
            idx = np.asarray(self.rows, dtype=np.int64)
            reach = reach_of_rows(hm, idx)
            room[idx] = reach
            for i, r in zip(idx.tolist(), reach.tolist(), strict=True):
                rule = hm.builder.rows[i].info.rule
                allowed[rule] = allowed.get(rule, 0.0) + float(math.ceil(r * hm.builder.scale))
        return room, allowed


def relax(problem: FundingProblem, hm: HighsModel) -> Relaxation:
    """Loosen, in place on ``hm``, exactly the rules the cheapest way out breaks, each by its
    amount rounded up to a whole pound, so that ``hm`` can be solved for the best plan that
    breaks nothing else. Raises :class:`~fundopt.InfeasibleError` when no way out exists."""
    diagnosis, breaks = _explain(problem, hm)
    if not breaks:
        raise infeasible(diagnosis)
    rows = hm.builder.rows
    allowed: dict[str, float] = {}
    scale = hm.builder.scale
    for i, direction, amount in breaks:
        pounds = float(math.ceil(amount - 1e-6))
        rule = rows[i].info.rule
        allowed[rule] = allowed.get(rule, 0.0) + pounds
        # a slack entering with +1 lets the row's body fall short of its lower bound;
        # with -1 it lets the body exceed its upper bound
        if direction > 0:
            hm.row_lower[i] -= pounds / scale
        else:
            hm.row_upper[i] += pounds / scale
        hm.highs.changeRowBounds(i, float(hm.row_lower[i]), float(hm.row_upper[i]))
    hm.highs.clearSolver()
    return Relaxation(allowed=MappingProxyType(allowed), diagnosis=diagnosis,
                      rows=tuple(sorted({i for i, _, _ in breaks})))


def allow_breaches(checks: pd.DataFrame, allowed: Mapping[str, float]) -> pd.DataFrame:
    """Rule checks in which each allowed rule may be broken by up to its allowance (plus a
    penny): those rows become soft and pass if within it; every other check is unchanged."""
    if not allowed:
        return checks
    out = checks.copy()
    limit = out["rule"].map(lambda r: allowed.get(r, math.nan)).astype(float)
    mask = limit.notna()
    within = out["slack"] >= -(limit + 0.01)
    out.loc[mask, "soft"] = True
    out.loc[mask, "passed"] = within[mask]
    return out


BREACH_COLUMNS = ["rule", "amount", "penalty", "family", "description", "year", "recipient",
                  "stream", "where", "suggestion"]


def breaches_table(checks: pd.DataFrame, diagnosis: Diagnosis, soft: pd.DataFrame) -> pd.DataFrame:
    """The promises a relaxed plan breaks: by how much (pounds, in the rounded plan) and
    where they are stated; then any rules with a penalty of their own that it broke."""
    way = diagnosis.way_out
    refs = {r.rule: r for r in way.rules} if way is not None else {}
    out = []
    broken = checks[checks["rule"].isin(list(refs)) & (checks["slack"] < -TOLERANCE_POUNDS)]
    for _, c in broken.iterrows():
        ref = refs[str(c["rule"])]
        out.append({"rule": ref.rule, "amount": float(-c["slack"]), "penalty": math.nan,
                    "family": ref.family, "description": ref.description, "year": ref.year,
                    "recipient": ref.recipient, "stream": ref.stream, "where": ref.where,
                    "suggestion": ref.suggestion})
    for _, s in soft.iterrows():
        out.append({"rule": s["rule"], "amount": float(s["amount"]), "penalty": float(s["penalty"]),
                    "family": "", "description": "", "year": "", "recipient": "", "stream": "",
                    "where": "", "suggestion": ""})
    return pd.DataFrame(out, columns=BREACH_COLUMNS)
