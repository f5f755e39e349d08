"""fundopt: multi-year public funding allocation as a verified linear programme.

>>> import fundopt as fo
>>> problem = fo.read_workbook("models/england_wales_soc.xlsx")  # doctest: +SKIP
>>> plan = fo.solve(problem)                                      # doctest: +SKIP
>>> fo.write_workbook(plan, "allocation.xlsx", overwrite=True)    # doctest: +SKIP

``import fundopt`` is quick: each public name is imported from its module the first time
it is used (PEP 562), so ``fundopt --help`` and a script that only reads a workbook do not
pay for Pyomo, HiGHS and SciPy. ``dir(fundopt)`` and ``__all__`` list every name.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers and IDEs see: the same names, imported eagerly
    from fundopt.errors import (
        ExitCode,
        FundoptError,
        InfeasibleError,
        InputError,
        Issue,
        OutputError,
        OwnRuleError,
        SecurityError,
        SolverError,
        UnboundedError,
        UsageError,
        VerificationError,
    )
    from fundopt.explain.bands import BandOptions
    from fundopt.explain.reasons import ReasonCode
    from fundopt.formulation.own_rules import Allocations
    from fundopt.io import read_workbook, write_problem, write_template, write_workbook
    from fundopt.io.previous_plan import read_previous_plan
    from fundopt.io.scenarios import read_scenarios
    from fundopt.plan import Plan, PlanStatus, SolverInfo
    from fundopt.plan.changes import ChangeReason
    from fundopt.plan.replan import PreviousPlan, Promises, replan
    from fundopt.plan.rolling import roll_forward
    from fundopt.plan.solve import OnInfeasible, solve
    from fundopt.plan.verify import check_rules, verify
    from fundopt.problem import FundingProblem, Settings
    from fundopt.problem.scenarios import (
        AddCommitment,
        Override,
        RemoveContribution,
        ScaleEnvelope,
        ScaleIncome,
        Scenario,
        SetCliffEdge,
        SetEnvelope,
        SetSetting,
        SetShareTarget,
    )
    from fundopt.problem.schema import MoneyUnit, RecipientKind, ShareScope, Strand, Threat
    from fundopt.reports.plots import (
        plot_funding,
        plot_headroom,
        plot_sweep,
        plot_winners_and_losers,
    )
    from fundopt.reports.round_plots import plot_rounds
    from fundopt.whatif.certainty import cut_effect
    from fundopt.whatif.sweep import ScenarioStatus, SweepResult, compare, process_pool, sweep

#: Each public name and the module it comes from.
_HOMES: dict[str, str] = {
    **dict.fromkeys(("ExitCode", "FundoptError", "InfeasibleError", "InputError", "Issue",
                     "OutputError", "OwnRuleError", "SecurityError", "SolverError",
                     "UnboundedError", "UsageError", "VerificationError"), "fundopt.errors"),
    "BandOptions": "fundopt.explain.bands",
    "ReasonCode": "fundopt.explain.reasons",
    "Allocations": "fundopt.formulation.own_rules",
    **dict.fromkeys(("read_workbook", "write_problem", "write_template", "write_workbook"),
                    "fundopt.io"),
    "read_scenarios": "fundopt.io.scenarios",
    "read_previous_plan": "fundopt.io.previous_plan",
    **dict.fromkeys(("Plan", "PlanStatus", "SolverInfo"), "fundopt.plan"),
    **dict.fromkeys(("OnInfeasible", "solve"), "fundopt.plan.solve"),
    "ChangeReason": "fundopt.plan.changes",
    **dict.fromkeys(("PreviousPlan", "Promises", "replan"), "fundopt.plan.replan"),
    "roll_forward": "fundopt.plan.rolling",
    "cut_effect": "fundopt.whatif.certainty",
    **dict.fromkeys(("check_rules", "verify"), "fundopt.plan.verify"),
    **dict.fromkeys(("FundingProblem", "Settings"), "fundopt.problem"),
    **dict.fromkeys(("AddCommitment", "Override", "RemoveContribution", "ScaleEnvelope",
                     "ScaleIncome", "Scenario", "SetCliffEdge", "SetEnvelope", "SetSetting",
                     "SetShareTarget"), "fundopt.problem.scenarios"),
    **dict.fromkeys(("MoneyUnit", "RecipientKind", "ShareScope", "Strand", "Threat"),
                    "fundopt.problem.schema"),
    **dict.fromkeys(("plot_funding", "plot_headroom", "plot_sweep", "plot_winners_and_losers"),
                    "fundopt.reports.plots"),
    "plot_rounds": "fundopt.reports.round_plots",
    **dict.fromkeys(("ScenarioStatus", "SweepResult", "compare", "process_pool", "sweep"),
                    "fundopt.whatif.sweep"),
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is not None:
        value = getattr(importlib.import_module(home), name)
    elif name == "__version__":
        value = _version()
    else:
        raise AttributeError(f"module 'fundopt' has no attribute '{name}'")
    globals()[name] = value  # the next look-up is an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fundopt")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def write_mps(problem: FundingProblem, path: str) -> None:
    """Write the problem's LP as an MPS file, so any other solver can check it."""
    from fundopt.plan.solve import build
    from fundopt.solver.highs import write_mps as _write

    _write(build(problem), path)


__all__ = [
    "AddCommitment",
    "Allocations",
    "BandOptions",
    "ChangeReason",
    "ExitCode",
    "FundingProblem",
    "FundoptError",
    "InfeasibleError",
    "InputError",
    "Issue",
    "MoneyUnit",
    "OnInfeasible",
    "OutputError",
    "Override",
    "OwnRuleError",
    "Plan",
    "PlanStatus",
    "PreviousPlan",
    "Promises",
    "ReasonCode",
    "RecipientKind",
    "RemoveContribution",
    "ScaleEnvelope",
    "ScaleIncome",
    "Scenario",
    "ScenarioStatus",
    "SecurityError",
    "SetCliffEdge",
    "SetEnvelope",
    "SetSetting",
    "SetShareTarget",
    "Settings",
    "ShareScope",
    "SolverError",
    "SolverInfo",
    "Strand",
    "SweepResult",
    "Threat",
    "UnboundedError",
    "UsageError",
    "VerificationError",
    "__version__",
    "check_rules",
    "compare",
    "cut_effect",
    "plot_funding",
    "plot_headroom",
    "plot_rounds",
    "plot_sweep",
    "plot_winners_and_losers",
    "process_pool",
    "read_previous_plan",
    "read_scenarios",
    "read_workbook",
    "replan",
    "roll_forward",
    "solve",
    "sweep",
    "verify",
    "write_mps",
    "write_problem",
    "write_template",
    "write_workbook",
]
