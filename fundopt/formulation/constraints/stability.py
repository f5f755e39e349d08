r"""Stability: lines and streams change little from one year to the next, and keep their mix.

An *item* of recipient :math:`r` is a line (an activity :math:`a`: its funding
:math:`Y_{r,a,t} = \sum_s x_{r,a,s,t}`) or a stream (:math:`s`:
:math:`Y_{r,s,t} = \sum_a x_{r,a,s,t}`). For every item with allocation columns in a year
:math:`t \in T_r` whose previous year :math:`r` existed in, with :math:`P` its amount in
:math:`t-1` (the variable :math:`Y_{t-1}`, or in :math:`t_1` the item's baseline where every
*Baselines* row of :math:`r` names an item of that level, 0 for an item none names; no
term otherwise), with the item's limit :math:`(\rho^-, \rho^+)` (sheet *Line and stream
limits*), a soft limit gives

.. math::

    Y_t - P = i^+ - i^- + o^+ - o^-, \qquad i^+ \le \rho^+ P, \quad i^- \le \rho^- P

(:math:`i` the change within the limit, :math:`o` beyond it; a constant :math:`P` bounds
each :math:`i`, a variable :math:`P` gives the row :math:`i^+/\rho^+ + i^-/\rho^- \le P`
without the term of a rate of 0, whose :math:`i` is then 0), so a line starting from zero,
or falling to zero, changes beyond its limit. A *hard* limit is a rule instead (families
``line_limit``, ``stream_limit``): :math:`Y_t \le (1+\rho^+) P` and, unless
:math:`\rho^- = 100\%` or :math:`P` is the constant 0, :math:`Y_t \ge (1-\rho^-) P`, with
its change :math:`Y_t - P = i^+ - i^-` all within.

The *mix*: for a recipient whose every baseline row names an item of a level, in each year
it has two or more items of that level, one of them named with an amount above 0: with
:math:`m_k` the item's share of the baseline and a free level :math:`\lambda_{r,t} \ge 0`,
:math:`Y_{k,t} - m_k \lambda_{r,t} = q^+_k - q^-_k` for each item with :math:`m_k > 0`, each
pound of :math:`q^\pm_k` weighted :math:`\omega_k = \bar m / m_k` (:math:`\bar m` the mean
of those shares that year), so the deviation is relative to the item's size; an item with
no share counts its whole amount, weighted by the year's largest :math:`\omega`. A
recipient whose baseline names no item of the level has no mix at that level.

With setting ``line_step_rate`` :math:`\sigma > 0`, a soft line's change within its
limit past :math:`\sigma P` is :math:`e` (:func:`_add_steps`), so a recipient's change is
spread over its lines.

The stability measure (minimised):
:math:`S = K \sum(o^+ + o^-) + \sum (i^+ + i^-) + \sum e + \sum \omega (q^+ + q^-)
+ \sum \tau_j x_j`, with :math:`K` = ``BEYOND_LIMIT_WEIGHT`` and the tie-break :math:`\tau_j`
(:func:`_add_tie_break`).

Reads sheets *Line and stream limits*, *Baselines* (activity and stream columns),
*Cliff-edge limits* (the default fall rate), *Recipients*.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from fundopt._support import percent
from fundopt.formulation.blocks import Groups, Segment, assemble, single
from fundopt.formulation.builder import CellUse, Family, LpBuilder, Place, RowInfo, Sense
from fundopt.formulation.constraints.line_limits import ITEM, Limit, LimitTable, baseline_by_item
from fundopt.formulation.index import ProblemIndex
from fundopt.formulation.terms import Terms
from fundopt.problem.schema import Goal, Level

#: Stability score per pound of change beyond a limit (a pound within a limit scores 1).
BEYOND_LIMIT_WEIGHT = 100.0
#: The extra score of each pound of a line's change within its limit past its first step
#: (setting ``line_step_rate``).
STEP_WEIGHT = 1.0

_RULE_FAMILY = {Level.LINE: Family.LINE_LIMIT, Level.STREAM: Family.STREAM_LIMIT}




def add_stability(b: LpBuilder) -> None:
    if Goal.STABILITY not in b.goals:
        return
    items = {level: Items(b.index, level) for level in Level}  # each level's, once
    with b.defining(Goal.STABILITY):  # (the hard limits' rows are rules: see _add_rules)
        for level in Level:
            _add_changes(b, items[level])
        for level in Level:
            _add_mix(b, items[level])
    _add_tie_break(b)


class Items:
    """One level's items in every year: the groups of allocation columns (recipient,
    item, year) in key order, their names, and where each year's change is measured."""

    def __init__(self, idx: ProblemIndex, level: Level) -> None:
        codes = idx.codes
        self.level = level
        #: the first step of a change (setting ``line_step_rate``): lines only
        self.step = float(idx.problem.settings.line_step_rate) if level is Level.LINE else 0.0
        self.g = g = Groups.of(codes, "recipient", ITEM[level], "year")
        self.r = np.array(codes.names["recipient"], dtype=object)[g.code["recipient"]]
        self.k = np.array(codes.names[ITEM[level]], dtype=object)[g.code[ITEM[level]]]
        self.y = g.code["year"]
        self.n_years = len(idx.horizon)
        years = np.array(idx.years_all, dtype=object)
        self.year, self.before = years[self.y + 1], years[self.y]
        same = np.zeros(len(g), dtype=bool)
        same[1:] = (self.r[1:] == self.r[:-1]) & (self.k[1:] == self.k[:-1])
        #: the previous group is the same item's previous year (funded years run on)
        self.variable = same
        self.base = baseline_by_item(idx, level)
        started = {r: idx.exists_in(r, idx.baseline_year) for r in idx.recipient_rows}
        self.constant = ~same & (self.y == 0) & np.array(
            [r in self.base and started[r] for r in self.r.tolist()], dtype=bool)
        self.p = np.array([self.base[r].get(k, 0.0) if c else 0.0 for r, k, c in
                           zip(self.r.tolist(), self.k.tolist(), self.constant.tolist(),
                               strict=True)])
        table = LimitTable(idx.problem, level)
        cache: dict[tuple[str, str], Limit] = {}
        self.limit: list[Limit] = []
        for r, k in zip(self.r.tolist(), self.k.tolist(), strict=True):
            if (r, k) not in cache:
                cache[(r, k)] = table(r, k)
            self.limit.append(cache[(r, k)])
        #: per group, the row of *Cliff-edge limits* whose fall rate its limit takes, -1
        #: where none (a fall rate of its own, or the 5% default)
        self.fall_cell = np.array([-1 if lim.fall_cell is None else lim.fall_cell
                                   for lim in self.limit], dtype=np.int64)

    def name(self, i: int) -> str:
        return f"{self.r[i]},{self.k[i]},{self.year[i]}"

    def terms(self) -> np.ndarray:
        """The item-years whose change is measured (a previous amount is known)."""
        return np.flatnonzero(self.variable | self.constant)

    def mix_shares(self) -> np.ndarray:
        """Per item-year, its share of its recipient's baseline at this level (0 for an
        item the baseline does not name); nan where the baseline gives no mix."""
        shares = np.full(len(self.g), np.nan)
        for i, (r, k) in enumerate(zip(self.r.tolist(), self.k.tolist(), strict=True)):
            if r in self.base:
                whole = sum(self.base[r].values())
                shares[i] = self.base[r].get(k, 0.0) / whole if whole > 0 else np.nan
        return shares

    def recipient_year(self) -> np.ndarray:
        """Per item-year, the number of its recipient-year (in key order)."""
        key = self.g.code["recipient"] * self.n_years + self.y
        return np.unique(key, return_inverse=True)[1]

    def words(self, i: int) -> str:
        return self.words_of(np.array([i]))[0]

    def words_of(self, term: np.ndarray) -> list[str]:
        """Each item-year of ``term`` in words ("avon's 'fraud'", "avon's stream 'core'")."""
        r, k = self.r[term].tolist(), self.k[term].tolist()
        if self.level is Level.LINE:
            return [f"{a}'s '{b}'" for a, b in zip(r, k, strict=True)]
        return [f"{a}'s stream '{b}'" for a, b in zip(r, k, strict=True)]


def _add_changes(b: LpBuilder, it: Items) -> None:
    """Per item-year with a previous amount: soft, its change split within and beyond the
    limit (a change row, and a row capping the change within by the previous amount);
    hard, its change and the rise and fall rules."""
    term = it.terms()
    if not len(term):
        return
    hard = np.array([it.limit[i].hard for i in term], dtype=bool)
    _add_soft(b, it, term[~hard])
    _add_hard(b, it, term[hard])


def _add_soft(b: LpBuilder, it: Items, term: np.ndarray) -> None:
    """Y - P = i+ - i- + o+ - o-, with i+/rise + i-/fall <= P (a bound on each when P is
    a number): i is the change within the limit, o beyond it."""
    if not len(term):
        return
    rise = np.array([it.limit[i].rise_rate for i in term])
    fall = np.array([it.limit[i].fall_rate for i in term])
    var, p = it.variable[term], it.p[term]
    names = [f"change[{it.level},{it.name(i)}]" for i in term.tolist()]
    inf = np.full(len(term), np.inf)
    # within: at most rate x P when P is a number (the cap row below when it is not;
    # nothing when the rate is 0)
    i_up = b.aux_block("within_up", names, np.where(var, np.where(rise > 0, inf, 0.0), rise * p))
    i_down = b.aux_block("within_down", names,
                         np.where(var, np.where(fall > 0, inf, 0.0), _within(fall, p)))
    cells = it.fall_cell[term]
    linked = np.flatnonzero(~var & (cells >= 0))
    if len(linked):
        p_linked = p[linked]
        _use(b, Place.UPPER, cells[linked], i_down[linked], lambda c: _within(c, p_linked))
    o_up, o_down = b.aux_block("beyond_up", names, inf), b.aux_block("beyond_down", names, inf)
    b.measure("stability_within", Terms.of(np.concatenate([i_up, i_down]), 1.0))
    b.measure("stability_beyond", Terms.of(np.concatenate([o_up, o_down]),
                                           BEYOND_LIMIT_WEIGHT))
    rows = np.arange(len(term))
    segments = [it.g.members(term, rows, 1.0), _previous(it, term, var, rows)(-1.0),
                single(rows, i_up, -1.0), single(rows, i_down, 1.0),
                single(rows, o_up, -1.0), single(rows, o_down, 1.0)]
    b.rows_block(*assemble(len(term), segments), Sense.EQ,
                 _infos(it, term, names, "Change in {what} from {before} to {year}"), p)
    _add_steps(b, it, term, names, var, p, i_up, i_down)
    # where P is a variable: i+/rise + i-/fall - P <= 0 (exact: a cost on both i's means
    # at most one is positive)
    capped = np.flatnonzero(var & ((rise > 0) | (fall > 0)))
    if not len(capped):
        return
    rows = np.arange(len(capped))
    up, down = np.flatnonzero(rise[capped] > 0), np.flatnonzero(fall[capped] > 0)
    segments = [single(up, i_up[capped][up], 1.0 / rise[capped][up]),
                single(down, i_down[capped][down], _per_rate(fall[capped][down])),
                it.g.members(term[capped] - 1, rows, -1.0)]
    cap_names = [f"within[{it.level},{it.name(i)}]" for i in term[capped].tolist()]
    linked = down[cells[capped][down] >= 0]
    if len(linked):
        _use(b, Place.COEFFICIENT, cells[capped][linked], len(b.rows) + linked,
             _per_rate, var=i_down[capped][linked])
    b.rows_block(*assemble(len(capped), segments), Sense.LE,
                 _infos(it, term[capped], cap_names,
                        "Change of {what} within its limit, {before} to {year}"))


def _add_steps(b: LpBuilder, it: Items, term: np.ndarray, names: list[str], var: np.ndarray,
               p: np.ndarray, i_up: np.ndarray, i_down: np.ndarray) -> None:
    r"""A line's change within its limit past the first step (setting ``line_step_rate``
    :math:`\sigma`): :math:`e \ge i^+ + i^- - \sigma P`, each pound of :math:`e` scoring
    ``STEP_WEIGHT`` more, so a recipient's change is spread over its lines (each moves by
    the step before any moves further). Lines with a previous amount (a variable, or a
    number above 0) only."""
    rate = it.step
    steps = np.flatnonzero(stepped(rate, var, p))
    if not len(steps):
        return
    step_names = [names[i] for i in steps.tolist()]
    e = b.aux_block("past_step", step_names, np.full(len(steps), np.inf))
    b.measure("stability_past_step", Terms.of(e, STEP_WEIGHT))
    rows = np.arange(len(steps))
    segments = [single(rows, i_up[steps], 1.0), single(rows, i_down[steps], 1.0),
                single(rows, e, -1.0),
                _previous(it, term[steps], var[steps], rows)(-rate)]
    b.rows_block(*assemble(len(steps), segments), Sense.LE,
                 _infos(it, term[steps], [f"step[{n[len('change['):]}" for n in step_names],
                        "Change of {what} past its first step, {before} to {year}"),
                 rate * p[steps])


def stepped(rate: float, var: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Which soft item-years (previous amount a variable, or the number ``p``) have a first
    step at ``rate``: those with a previous amount, when there is a step."""
    return (var | (p > 0)) & (rate > 0)


def _add_hard(b: LpBuilder, it: Items, term: np.ndarray) -> None:
    """Y - P = a+ - a- (the change, all of it within), and the rules
    Y <= (1 + rise) P and, unless the fall is unlimited or from nothing, Y >= (1 - fall) P."""
    if not len(term):
        return
    var, p = it.variable[term], it.p[term]
    names = [f"change[{it.level},{it.name(i)}]" for i in term.tolist()]
    inf = np.full(len(term), np.inf)
    up, down = b.aux_block("change_up", names, inf), b.aux_block("change_down", names, inf)
    b.measure("stability_within", Terms.of(np.concatenate([up, down]), 1.0))
    rows = np.arange(len(term))
    segments = [it.g.members(term, rows, 1.0), _previous(it, term, var, rows)(-1.0),
                single(rows, up, -1.0), single(rows, down, 1.0)]
    b.rows_block(*assemble(len(term), segments), Sense.EQ,
                 _infos(it, term, names, "Change in {what} from {before} to {year}"), p)
    rise = np.array([it.limit[i].rise_rate for i in term])
    fall = np.array([it.limit[i].fall_rate for i in term])
    _add_rules(b, it, term, var, p, 1.0 + rise, rise, Sense.LE)
    keep = (var | (p > 0)) & (fall < 1.0)
    term, var, p = term[keep], var[keep], p[keep]
    start = len(b.rows)
    _add_rules(b, it, term, var, p, _kept(fall[keep]), fall[keep], Sense.GE)
    # the fall rules of a blank fall rate, as the cliff-edge fall rate makes them
    cells = it.fall_cell[term]
    linked = np.flatnonzero(cells >= 0)
    if not len(linked):
        return
    p_linked, items = p[linked], term[linked]
    _use(b, Place.RHS, cells[linked], start + linked, lambda c: _kept(c) * p_linked,
         words=lambda c: [_rule_words(it, i, "fall", r) for i, r in
                          zip(items.tolist(), c.tolist(), strict=True)])
    rows, cols, _ = _previous(it, term, var, np.arange(len(term)))(1.0)
    mine = cells[rows] >= 0
    _use(b, Place.COEFFICIENT, cells[rows[mine]], start + rows[mine], lambda c: -_kept(c),
         var=cols[mine])


def _within(rate: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The largest change within a limit from a previous amount ``p``."""
    return rate * p


def _per_rate(rate: np.ndarray) -> np.ndarray:
    """A change within a limit's coefficient in the row capping it by the previous amount."""
    return 1.0 / rate


def _kept(fall: np.ndarray) -> np.ndarray:
    """The share of the previous amount a hard fall limit keeps."""
    return 1.0 - fall


def _use(b: LpBuilder, place: Place, cells: np.ndarray, at: np.ndarray,
         value: Callable[[np.ndarray], np.ndarray], *, var: np.ndarray | None = None,
         words: Callable[[np.ndarray], list[str]] | None = None) -> None:
    """Numbers a cliff-edge fall rate makes (see CellUse)."""
    b.cell_uses.append(CellUse("cliff_edges", "max_fall_rate", place, cells, at, value,
                               var=var, words=words))


def _rule_words(it: Items, i: int, word: str, rate: float) -> str:
    return (f"{it.level.value.capitalize()} limit: {it.words(i)} may {word} at most "
            f"{percent(rate)} from {it.before[i]} to {it.year[i]}")


def _add_rules(b: LpBuilder, it: Items, term: np.ndarray, var: np.ndarray, p: np.ndarray,
               factor: np.ndarray, rate: np.ndarray, sense: Sense) -> None:
    """Hard limits: Y - factor x P (<= or >=) 0, each a rule of its level's family."""
    if not len(term):
        return
    word = "rise" if sense is Sense.LE else "fall"
    level = it.level
    rows = np.arange(len(term))
    segments = [it.g.members(term, rows, 1.0), _previous(it, term, var, rows)(-factor)]
    infos = []
    for j, i in enumerate(term.tolist()):
        pos = it.limit[i].position
        infos.append(RowInfo(
            _RULE_FAMILY[level], f"{level}_{word}[{it.name(i)}]",
            _rule_words(it, i, word, float(rate[j])),
            year=str(it.year[i]), recipient=str(it.r[i]),
            stream=str(it.k[i]) if level is Level.STREAM else "",
            sources=(("line_limits", int(pos)),) if pos is not None else ()))
    with b.defining(None):
        b.rows_block(*assemble(len(term), segments), sense, infos, factor * p)


def _infos(it: Items, term: np.ndarray, rules: list[str], words: str) -> list[RowInfo]:
    """Accounting rows' words, one per item-year of ``term`` (read as lists, not one
    array element at a time)."""
    r, k = it.r[term].tolist(), it.k[term].tolist()
    before, year = it.before[term].tolist(), it.year[term].tolist()
    stream = [""] * len(r) if it.level is Level.LINE else [str(x) for x in k]
    what = it.words_of(term)
    return [RowInfo(Family.ACCOUNTING, rule, words.format(what=w, before=p, year=y),
                    year=str(y), recipient=str(a), stream=s)
            for rule, w, p, y, a, s in zip(rules, what, before, year, r, stream, strict=True)]


def _previous(it: Items, term: np.ndarray, var: np.ndarray, rows: np.ndarray
              ) -> Callable[[np.ndarray | float], Segment]:
    """A function of a coefficient per row: the previous year's columns of the rows whose
    previous amount is a variable, with that coefficient."""
    def segment(coef: np.ndarray | float) -> Segment:
        c = np.broadcast_to(np.asarray(coef, dtype=float), rows.shape)
        return it.g.members(term[var] - 1, rows[var], c[var])
    return segment


def _add_mix(b: LpBuilder, it: Items) -> None:
    """Per recipient-year whose baseline gives this level, each item's distance from its
    baseline share of a free level."""
    level = it.level
    if not it.base:
        return
    shares = it.mix_shares()
    which = it.recipient_year()
    weight, zero_weight, counted = mix_weights(shares, which)
    rows_at = np.flatnonzero(counted & (shares > 0))
    if len(rows_at):
        levels_of = np.unique(which[rows_at])
        first = {int(w): i for i, w in reversed(list(enumerate(which.tolist())))}
        lam = b.aux_block("mix_level", [f"mix_level[{level},{it.r[first[int(w)]]},"
                                        f"{it.year[first[int(w)]]}]" for w in levels_of],
                          np.full(len(levels_of), np.inf))
        lam_of = lam[np.searchsorted(levels_of, which[rows_at])]
        names = [it.name(i) for i in rows_at.tolist()]
        plus = b.aux_block("mix_over", [f"mix[{level},{n}]" for n in names],
                           np.full(len(rows_at), np.inf))
        minus = b.aux_block("mix_under", [f"mix[{level},{n}]" for n in names],
                            np.full(len(rows_at), np.inf))
        b.measure("stability_mix", Terms(np.concatenate([plus, minus]),
                                         np.tile(weight[rows_at], 2)))
        rows = np.arange(len(rows_at))
        segments = [it.g.members(rows_at, rows, 1.0), single(rows, lam_of, -shares[rows_at]),
                    single(rows, plus, -1.0), single(rows, minus, 1.0)]
        infos = [RowInfo(Family.ACCOUNTING, f"mix[{level},{names[j]}]",
                         f"Distance of {it.words(i)} from its share of the mix in "
                         f"{it.year[i]}", year=str(it.year[i]), recipient=str(it.r[i]))
                 for j, i in enumerate(rows_at.tolist())]
        b.rows_block(*assemble(len(rows_at), segments), Sense.EQ, infos)
    unshared = np.flatnonzero(counted & (shares == 0))
    if len(unshared):
        _, cols, coefs = it.g.members(unshared, unshared, zero_weight[unshared])
        b.measure("stability_mix", Terms(cols, coefs))


def mix_weights(shares: np.ndarray, which: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group: the weight of a pound away from its share (mean positive share of its
    recipient-year over its own), the weight of a pound on an item with no share (the
    largest of those), and whether it counts (its recipient-year has a mix of two or more
    items)."""
    n = int(which.max()) + 1 if len(which) else 0
    positive = np.nan_to_num(shares) > 0
    count = np.bincount(which, weights=positive, minlength=n)
    total = np.bincount(which, weights=np.where(positive, shares, 0.0), minlength=n)
    mean = np.divide(total, count, out=np.zeros(n), where=count > 0)
    weight = np.divide(mean[which], shares, out=np.zeros(len(shares)), where=positive)
    largest = np.zeros(n)
    np.maximum.at(largest, which, weight)
    items = np.bincount(which, weights=~np.isnan(shares), minlength=n)
    counted = ~np.isnan(shares) & (items[which] >= 2) & (count[which] >= 1)
    return weight, np.where(largest[which] > 0, largest[which], 1.0), counted



#: Stability score per pound of the last preference, which breaks ties the rest of the
#: measure leaves (equally valued lines with no baseline mix, say): a thousand times below
#: a pound of change (1), so it decides only between plans the rest of the measure scores
#: alike. Two lines' scores differ by 1e-3 x the difference of their draws, and HiGHS
#: cannot tell apart reduced costs below its tolerance (1e-7): the larger the weight, the
#: fewer pairs of lines it leaves tied. Measured on the reference model (December 2026),
#: the plans of four ways of solving the stability tier (dual simplex with and without
#: presolve or scaling, primal simplex) differed by up to £4.36m at 1e-4 and by at most
#: £14 at 1e-3 (1e-2 did no better).
TIE_BREAK_WEIGHT = 1e-3


def _add_tie_break(b: LpBuilder) -> None:
    """Each allocation column scores ``TIE_BREAK_WEIGHT`` x a number in [1, 2) drawn from
    its names (recipient, activity, stream; not the year, so a line keeps its funder from
    year to year): the same column gets the same number in any problem, whatever the order
    of its rows."""
    if b.n_alloc:
        b.measure("stability_tie_break", Terms(np.arange(b.n_alloc, dtype=np.int64),
                                               tie_break_weights(b.index)))


def tie_break_weights(index: ProblemIndex) -> np.ndarray:
    """Per allocation column, its tie-break score per pound."""
    return TIE_BREAK_WEIGHT * (1.0 + index.name_draws)
