"""Priority tiers: the goals of the objective, in the order they are optimised.

Sheet *Priorities* states them (tier, goal, weight, give); with no rows the default keeps
the meaning older workbooks had: tier 1 is the blended objective (value of funding, less
``need_penalty`` x pounds away from need, less ``volatility_penalty`` x pounds of change),
tier 2 is stability. Whatever the sheet says, the last tier includes stability: when the
sheet does not end with it, a tier of stability alone is added, so the plan returned is the
smoothest among the best (docs/formulation.md, "Priority tiers").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pandas as pd

from fundopt.problem.schema import Goal

#: When the sheet leaves ``give`` blank, later tiers keep the tier at its optimum (its
#: optimal face, fundopt.solver.tiers.Face), and whole-pound rounding may cost it up to this
#: share of the problem's money (every envelope of every year, added up) in pounds of its
#: own measure: about £52,000 on the reference model, £100 on a £100m problem. In
#: proportion to the money, so a problem stated in £k plans as the same problem in £m
#: does; far above HiGHS's tolerance (1e-7 model units: at most 10p); far below anything
#: a minister would weigh (chosen by experiment: a ten-millionth left the integer repair
#: of a re-plan of the reference model £6,461 short of tier 1's give and rounding's reach,
#: and its search with the tier row in it ran past its 120 s limit; a millionth gives a
#: whole-pound plan in 0.2 s).
DEFAULT_GIVE_SHARE = 1e-6

#: Words for each goal's measure, as a plan's ``tiers`` table shows them.
GOAL_WORDS: dict[Goal, str] = {
    Goal.VALUE: "value of funding less soft rules' breach penalties",
    Goal.NEED: "pounds away from needs-based shares",
    Goal.VOLATILITY: "pounds of year-to-year change in total funding",
    Goal.STABILITY: "line and stream stability score",
}


@dataclass(frozen=True)
class Tier:
    """Goals optimised together (their measures added with ``weights``), then kept within
    ``give`` pounds of the tier's optimum while later tiers are optimised.

    With ``keep_optimum`` (a blank give on sheet Priorities: the default) later tiers
    choose only among the plans this tier finds best, its optimal face; ``give`` is then
    only what whole-pound rounding may cost it. Without, later tiers may trade up to half
    of ``give`` of this tier's measure in the LP (and rounding the rest) for their own.

    >>> Tier({Goal.VALUE: 1.0, Goal.NEED: 0.05}, give=500.0)  # doctest: +SKIP
    """

    weights: Mapping[Goal, float]
    give: float | None = None  # pounds; None: the default share of the problem's money
    keep_optimum: bool = False
    goals: tuple[Goal, ...] = field(init=False)

    def __post_init__(self) -> None:
        weights = {Goal(g): float(w) for g, w in self.weights.items()}
        if not weights:
            raise ValueError("a tier needs at least one goal")
        bad = [g.value for g, w in weights.items() if not (math.isfinite(w) and w > 0)]
        if bad:
            raise ValueError(f"a tier's weights must be positive numbers (not for {bad})")
        if self.give is not None and not (math.isfinite(self.give) and self.give >= 0):
            raise ValueError(f"a tier's give must be a number of pounds >= 0, not {self.give}")
        ordered = {g: weights[g] for g in Goal if g in weights}  # the enum's order
        object.__setattr__(self, "weights", MappingProxyType(ordered))
        object.__setattr__(self, "goals", tuple(ordered))
        if self.give is not None:
            object.__setattr__(self, "give", float(self.give))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Tier, (dict(self.weights), self.give, self.keep_optimum))

    @property
    def maximised(self) -> bool:
        """Whether the tier's measure is maximised: a tier with ``value`` is (its other
        goals count against it); a tier without is minimised."""
        return Goal.VALUE in self.weights

    def describe(self) -> str:
        """The tier's measure in words, e.g. "value of funding ... less 0.05 x pounds away
        from needs-based shares"."""
        parts: list[str] = []
        lead = Goal.VALUE if self.maximised else self.goals[0]
        for g in (lead, *(g for g in self.goals if g is not lead)):
            w = self.weights[g]
            words = GOAL_WORDS[g] if w == 1.0 else f"{w:g} x {GOAL_WORDS[g]}"
            if not parts:
                parts.append(words)
            else:
                against = self.maximised and not g.maximised
                parts.append(("less " if against else "plus ") + words)
        return " ".join(parts)


def default_tiers(settings: Any, money: float) -> tuple[Tier, ...]:
    """Tier 1: value less ``need_penalty`` x need less ``volatility_penalty`` x volatility
    (a goal with a zero penalty left out); tier 2: stability."""
    first = {Goal.VALUE: 1.0}
    if settings.need_penalty > 0:
        first[Goal.NEED] = float(settings.need_penalty)
    if settings.volatility_penalty > 0:
        first[Goal.VOLATILITY] = float(settings.volatility_penalty)
    give = DEFAULT_GIVE_SHARE * money
    return (Tier(first, give, keep_optimum=True),
            Tier({Goal.STABILITY: 1.0}, give, keep_optimum=True))


def resolve_tiers(table: pd.DataFrame, settings: Any, money: float) -> tuple[Tier, ...]:
    """The tiers of a validated *Priorities* table, or the default; stability last.
    ``money`` is the problem's money (its envelopes added up): a blank give is
    ``DEFAULT_GIVE_SHARE`` of it."""
    if not len(table):
        return default_tiers(settings, money)
    default = DEFAULT_GIVE_SHARE * money
    by_tier: dict[int, dict[Goal, float]] = {}
    gives: dict[int, float] = {}
    for tier, goal, weight, give in table[["tier", "goal", "weight", "give"]].itertuples(
            index=False, name=None):
        k = int(tier)
        by_tier.setdefault(k, {})[Goal(goal)] = 1.0 if _blank(weight) else float(weight)
        if not _blank(give):
            gives[k] = float(give)
    tiers = [Tier(by_tier[k], gives.get(k, default), keep_optimum=k not in gives)
             for k in sorted(by_tier)]
    if Goal.STABILITY not in tiers[-1].weights:
        tiers.append(Tier({Goal.STABILITY: 1.0}, default, keep_optimum=True))
    return tuple(tiers)


def policy_tiers(tiers: Sequence[Tier]) -> int:
    """How many tiers make up the policy: every tier but a last one of stability alone,
    which only chooses among the plans the policy finds best (the tie-break)."""
    if len(tiers) > 1 and tiers[-1].goals == (Goal.STABILITY,):
        return len(tiers) - 1
    return len(tiers)


def priorities_table(tiers: Sequence[Tier]) -> pd.DataFrame:
    """A *Priorities* table stating ``tiers`` (the give on each tier's first row; blank
    for the default)."""
    rows = []
    for k, tier in enumerate(tiers, start=1):
        for i, (goal, weight) in enumerate(tier.weights.items()):
            rows.append({"tier": k, "goal": goal.value, "weight": weight,
                         "give": tier.give if i == 0 and not tier.keep_optimum else None})
    return pd.DataFrame(rows, columns=["tier", "goal", "weight", "give"], dtype=object)


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))
