"""Rules no allocation can count towards: a commitment for a line no stream may fund in its
year, a requirement for a threat nobody may be funded for, a must-spend envelope nobody may
receive. The builder keeps each as a row with no variable (``LpBuilder.unmeetable``), so
the LP is infeasible and is diagnosed and relaxed like any other: such a rule cannot hold
whatever else gives way, short by its whole amount, which is certain without an IIS."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from fundopt._support import money
from fundopt.explain.diagnosis.conflicts import Conflict, locate
from fundopt.explain.diagnosis.rules import rule_ref

if TYPE_CHECKING:
    from fundopt.formulation.builder import Row
    from fundopt.problem import FundingProblem
    from fundopt.solver.highs import HighsModel

_FUNDED = "see sheet 'Eligibility', and funded years (first_year, last_year) on 'Recipients'"


def unmeetable(problem: FundingProblem, hm: HighsModel) -> list[Conflict]:
    """One conflict for each rule of ``hm`` no allocation can count towards (none if all
    can), each naming its cells, the reason and what would let it hold."""
    out = []
    for i in hm.builder.unmeetable:
        row = hm.builder.rows[i]
        amount = abs(row.rhs)
        ref = rule_ref(problem, row, amount, 1 if row.rhs > 0 else -1)
        if row.info.rule.startswith("envelope["):  # the cell that makes it must-spend, too
            table, pos = row.info.sources[0]
            ref = replace(ref, locations=(*ref.locations,
                                          locate(problem.origin, table, pos, "must_spend")))
        reason, fix = _reason(row, amount)
        out.append(Conflict(source="check", code="FO-L01", summary=reason, rules=(ref,),
                            shortfall=amount, suggestion=fix))
    return out


def _reason(row: Row, amount: float) -> tuple[str, str]:
    """(why nothing can count towards the rule, what would let it hold)."""
    info = row.info
    prefix = info.rule.split("[", 1)[0]
    key = info.rule[len(prefix) + 1:-1].split(",")
    t, short = info.year, f"short by {money(amount)}"
    if prefix == "envelope":
        s = info.stream
        return (f"in {t}, the must-spend envelope of {money(amount)} of stream '{s}' cannot be "
                f"spent: no recipient may be funded from stream '{s}' that year ({_FUNDED}): "
                f"{short}",
                f"clear its must_spend, or let stream '{s}' fund someone in {t} on sheet "
                "'Eligibility'")
    if prefix == "commitment":
        r, a, s = key[0], key[1], key[2]
        via = "" if s == "*" else f" from stream '{s}'"
        return (f"in {t}, the commitment of {money(amount)} to {r}'s '{a}'{via} cannot be met: "
                f"no stream may fund it that year ({_FUNDED}): {short}",
                "let a stream fund it, fund the recipient that year, or remove the commitment")
    if prefix == "requirement":
        threat, region = key[0], key[1]
        where = "nationally" if region == "*" else f"in region {region}"
        return (f"in {t}, the requirement of {money(amount)} on {threat} {where} cannot be met: "
                f"nobody may be funded for {threat} {where} that year ({_FUNDED}): {short}",
                f"let a stream fund {threat} on sheet 'Eligibility', or lower the requirement")
    return (f"{info.description} cannot hold: no allocation counts towards it ({_FUNDED}): "
            f"{short}", "let a stream fund it, or remove the rule")
