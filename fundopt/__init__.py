"""fundopt: multi-year public funding allocation as a verified linear programme.

>>> import fundopt as fo
>>> problem = fo.read_workbook("models/england_wales_soc.xlsx")  # doctest: +SKIP
>>> plan = fo.solve(problem)                                      # doctest: +SKIP
>>> fo.write_workbook(plan, "allocation.xlsx")                    # doctest: +SKIP
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

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
    VerificationError,
)
from fundopt.explain.bands import BandOptions
from fundopt.explain.reasons import ReasonCode
from fundopt.formulation.own_rules import Allocations
from fundopt.io import read_workbook, write_problem, write_template, write_workbook
from fundopt.io.scenarios import read_scenarios
from fundopt.plan import Plan, PlanStatus, SolverInfo
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
from fundopt.reports.plots import plot_funding, plot_headroom, plot_sweep, plot_winners_and_losers
from fundopt.whatif.sweep import ScenarioStatus, SweepResult, compare, process_pool, sweep

try:
    __version__ = version("fundopt")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"


def write_mps(problem: FundingProblem, path: str) -> None:
    """Write the problem's LP as an MPS file, so any other solver can check it."""
    from fundopt.plan.solve import build
    from fundopt.solver.highs import write_mps as _write

    _write(build(problem), path)


__all__ = [
    "AddCommitment",
    "Allocations",
    "BandOptions",
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
    "VerificationError",
    "__version__",
    "check_rules",
    "compare",
    "plot_funding",
    "plot_headroom",
    "plot_sweep",
    "plot_winners_and_losers",
    "process_pool",
    "read_scenarios",
    "read_workbook",
    "solve",
    "sweep",
    "verify",
    "write_mps",
    "write_problem",
    "write_template",
    "write_workbook",
]
