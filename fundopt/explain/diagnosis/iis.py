"""The conflicting rules: an irreducible infeasible subset (IIS) from HiGHS, in the user's
words, with the variable bounds in it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fundopt.explain.diagnosis.conflicts import Conflict, locate
from fundopt.explain.diagnosis.rules import rule_ref

if TYPE_CHECKING:
    from fundopt.problem import FundingProblem
    from fundopt.solver.highs import HighsModel


#: HiGHS IIS strategies: 2 finds a conflicting set from an elastic LP (about one LP solve);
#: 6 then reduces it towards an irreducible set, one LP solve per rule it tries to drop.
IIS_FROM_LP, IIS_IRREDUCIBLE = 2, 6
#: HiGHS's own ``iis_time_limit`` on the reduction (seconds). Stopped by it, HiGHS returns
#: the set reduced so far, which still cannot hold together: on the reference model with
#: half its core grant, 16 rules after 3 s where the elastic LP gave 179 (proving those 16
#: irreducible takes over 100 s).
IIS_TIME_LIMIT_SECONDS = 5.0


def _get_iis(h: Any, strategy: int, time_limit: float | None = None) -> tuple[Any, bool] | None:
    """(IIS, complete) from HiGHS with ``strategy``, or None; ``complete`` is False when
    HiGHS stopped at ``time_limit`` and returned the set reduced so far."""
    import highspy

    try:
        h.setOptionValue("iis_strategy", strategy)
        if time_limit is not None and \
                h.setOptionValue("iis_time_limit", time_limit) != highspy.HighsStatus.kOk:
            return None  # a highspy without HiGHS's IIS time limit: no reduction
        status, iis = h.getIis()
    except Exception:  # an older highspy, or the IIS failed: fall back to the elastic LP
        return None
    finally:
        h.setOptionValue("iis_strategy", 0)
        if time_limit is not None:
            h.setOptionValue("iis_time_limit", highspy.kHighsInf)
    if status == highspy.HighsStatus.kError or not iis.valid_ or not len(iis.row_index_):
        return None
    return iis, status == highspy.HighsStatus.kOk


def find_iis(problem: FundingProblem, hm: HighsModel) -> Conflict | None:
    """The rules of an IIS of ``hm`` (solved: infeasible), reduced towards an irreducible
    set within HiGHS's ``iis_time_limit``; None if HiGHS finds none."""
    h = hm.highs
    found = _get_iis(h, IIS_FROM_LP)
    if found is None:
        return None
    iis, irreducible = found[0], False
    better = _get_iis(h, IIS_IRREDUCIBLE, IIS_TIME_LIMIT_SECONDS)
    if better is not None and len(better[0].row_index_) <= len(iis.row_index_):
        iis, irreducible = better
    rows = hm.builder.rows
    active = _active(list(iis.row_bound_))
    refs = [rule_ref(problem, rows[i]) for i, a in zip(iis.row_index_, active, strict=True) if a]
    bounds = describe_bounds(problem, hm, list(iis.col_index_), _active(list(iis.col_bound_)))
    if not refs:
        return None
    why = ("though dropping any one of them would end this conflict" if irreducible else
           "the set was not proven the fewest within the time limit, so some of them may not "
           "be needed")
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

