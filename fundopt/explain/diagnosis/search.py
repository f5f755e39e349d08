"""The LP's own explanation of an infeasible model: the conflicting rules (IIS) first, or
the rules no allocation can count towards where there are any, then the cheapest way out
(the elastic re-solve), then each rule of the conflict that could give way on its own."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from fundopt.errors import InfeasibleError
from fundopt.explain.diagnosis.conflicts import Conflict, Diagnosis, infeasible
from fundopt.explain.diagnosis.elastic import Elastic
from fundopt.explain.diagnosis.iis import find_iis, iis_rows
from fundopt.explain.diagnosis.rules import relax_penalties
from fundopt.explain.diagnosis.unmeetable import unmeetable

if TYPE_CHECKING:
    from fundopt.problem import FundingProblem
    from fundopt.solver.highs import HighsModel

#: The most single-rule alternatives a diagnosis works out (each is a warm re-solve).
MAX_ALTERNATIVES = 8

_NO_IIS = ("HiGHS could not isolate the conflicting rules (IIS); the way out below comes from "
          "the elastic re-solve alone.")


def diagnose_infeasible(problem: FundingProblem, hm: HighsModel) -> InfeasibleError:
    """An :class:`~fundopt.InfeasibleError` explaining why ``hm`` (solved: infeasible) has no
    allocation: the conflicting rules (IIS), the cheapest way out and single-rule
    alternatives, each naming the input cells."""
    return infeasible(explain(problem, hm))


def explain(problem: FundingProblem, hm: HighsModel) -> Diagnosis:
    """The diagnosis of an infeasible model (see :func:`diagnose_infeasible`)."""
    return explain_with_breaks(problem, hm)[0]


def explain_with_breaks(problem: FundingProblem, hm: HighsModel
                        ) -> tuple[Diagnosis, list[tuple[int, int, float]]]:
    """The diagnosis, and the breaks of the cheapest way out as (row, direction, pounds)
    (none if there is no way out), for :func:`~fundopt.explain.diagnosis.relax`."""
    times: dict[str, float] = {}
    conflicts: list[Conflict] = []
    notes: list[str] = []
    iis: Conflict | None = None
    conflicts += unmeetable(problem, hm)
    if not conflicts:  # a rule nothing counts towards is its own conflict: no IIS needed
        t0 = time.perf_counter()
        iis = find_iis(problem, hm)
        times["iis"] = time.perf_counter() - t0
        if iis is not None:
            conflicts.append(iis)
        else:
            notes.append(_NO_IIS)
    t0 = time.perf_counter()
    elastic = Elastic(problem, hm)
    way = elastic.cheapest()
    times["relaxation"] = time.perf_counter() - t0
    if way is not None:
        conflicts.append(way)
        t0 = time.perf_counter()
        conflicts += _alternatives(hm, elastic, iis, way)
        times["alternatives"] = time.perf_counter() - t0
    else:
        notes.append(_no_way_out(problem))
    breaks = elastic.breaks if way is not None else []
    return Diagnosis(tuple(conflicts), note="\n".join(notes), times=times), breaks


def _alternatives(hm: HighsModel, elastic: Elastic, iis: Conflict | None, way: Conflict
                  ) -> list[Conflict]:
    """The rules of the IIS outside the way out, each broken alone (the first few)."""
    in_way = {r.rule for r in way.rules}
    candidates = [i for i in (iis_rows(hm, iis) if iis is not None else [])
                  if hm.builder.rows[i].info.rule not in in_way]
    return elastic.alone(candidates[:MAX_ALTERNATIVES])


def _no_way_out(problem: FundingProblem) -> str:
    never = sorted(f for f, p in relax_penalties(problem).items() if p is None)
    marked = f" (marked never to break on sheet 'Negotiability': {', '.join(never)})"
    return ("No way out was found by breaking the negotiable rules"
            + (marked if never else "")
            + "; the conflict lies in rules that cannot give way: check eligibility and "
            "carry-forward limits.")
