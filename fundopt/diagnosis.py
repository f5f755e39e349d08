"""When the rules cannot all hold: say why (placeholder replaced by the diagnosis work)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fundopt.errors import InfeasibleError

if TYPE_CHECKING:
    from fundopt.formulation.compile import HighsModel
    from fundopt.problem import FundingProblem


def diagnose_infeasible(problem: FundingProblem, hm: HighsModel) -> InfeasibleError:
    return InfeasibleError("the rules cannot all hold: no allocation keeps every rule")


def relax(problem: FundingProblem, hm: HighsModel) -> HighsModel:
    raise diagnose_infeasible(problem, hm)
