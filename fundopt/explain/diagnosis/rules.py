"""The LP's rules in the user's words: how negotiable each family is, which input cells a
rule comes from, and what breaking it by some pounds means, as an instruction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from fundopt._support import money
from fundopt.explain.diagnosis.conflicts import Location, RuleRef, locate
from fundopt.problem.schema import DEFAULT_RELAX_PENALTIES

if TYPE_CHECKING:
    from fundopt.formulation.builder import Row
    from fundopt.problem import FundingProblem, Origin


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
    "promise": {"previous_plan": "amount"},
    "tolerance_low": {"previous_plan": "tolerance_share"},
    "tolerance_high": {"previous_plan": "tolerance_share"},
    "notice": {"previous_plan": "amount", "notice_periods": "max_cut_rate"},
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
    "line_rise": {"line_limits": "max_rise_rate"},
    "line_fall": {"line_limits": "max_fall_rate"},
    "stream_rise": {"line_limits": "max_rise_rate"},
    "stream_fall": {"line_limits": "max_fall_rate"},
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
    if prefix in ("promise", "tolerance_low", "tolerance_high", "notice"):
        return _promise_suggestion(prefix, r, t, amt, direction)
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
    if prefix in ("line_rise", "line_fall", "stream_rise", "stream_fall"):
        return _limit_suggestion(prefix, key, amt)
    target = info.description.removeprefix("Share target: ")
    if prefix == "share_min":
        return f"accept {amt} less than the share target '{target}' needs"
    if prefix == "share_max":
        return f"accept {amt} more than the share limit '{target}' allows"
    return f"break '{info.description}' by {amt}"


def _limit_suggestion(prefix: str, key: str, amt: str) -> str:
    """A hard line or stream limit (rule id ``line_rise[r,item,year]`` and the like)."""
    level, way = prefix.split("_")
    r, item, t = key.split(",")
    what = f"{r}'s '{item}' line" if level == "line" else f"{r}'s stream '{item}'"
    further = "more" if way == "rise" else "further"
    return f"let {what} {way} {amt} {further} in {t} than its hard {level} limit allows"


def _promise_suggestion(prefix: str, r: str, t: str, amt: str, direction: int) -> str:
    if prefix == "promise":
        way = "lower" if direction > 0 else "raise"
        return (f"{way} {r}'s confirmed allocation in {t} by {amt} (breaking the previous "
                "plan's promise)")
    if prefix == "tolerance_low":
        return (f"let {r}'s allocation in {t} fall {amt} further below the previous plan's "
                "indicative figure than its tolerance allows")
    if prefix == "tolerance_high":
        return (f"let {r}'s allocation in {t} rise {amt} further above the previous plan's "
                "indicative figure than its tolerance allows")
    return (f"cut {r}'s allocation in {t} {amt} more than its notice period allows "
            "(a cut announced a year earlier)")


def rule_ref(problem: FundingProblem, row: Row, amount: float | None = None, direction: int = 1
             ) -> RuleRef:
    info = row.info
    return RuleRef(
        rule=info.rule, family=info.family.value, description=info.description, year=info.year,
        recipient=info.recipient, stream=info.stream,
        locations=rule_locations(problem.origin, info.rule, info.sources),
        amount=amount, suggestion="" if amount is None else suggestion(row, amount, direction),
    )
