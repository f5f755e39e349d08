"""One scenario's result: how it ended and how it was solved, as plain tables (picklable,
so it can come back from a worker process)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pandas as pd

from fundopt.errors import InfeasibleError
from fundopt.plan import Plan
from fundopt.problem.scenarios import Scenario
from fundopt.solver.certificate import Certificate

LP_ONLY = "the LP's optimum only (whole_pounds=False): not rounded or verified"


class ScenarioStatus(StrEnum):
    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"  # the rules cannot all hold under this scenario
    INVALID = "invalid"  # the scenario does not fit the problem (e.g. an unknown stream)
    FAILED = "failed"  # HiGHS failed, or the plan failed verification


class Method(StrEnum):
    IN_PLACE = "in place"
    REBUILT = "rebuilt"
    NOT_SOLVED = "not solved"


@dataclass(frozen=True)
class ScenarioOutcome:
    """One scenario's result, as plain tables (picklable, so it can come back from a worker)."""

    scenario: str
    overrides: str
    status: ScenarioStatus
    method: Method
    message: str = ""
    diagnosis: str = ""
    objective: float = math.nan
    iterations: int = 0
    seconds: float = 0.0
    allocations: pd.DataFrame = field(default_factory=lambda: _empty_allocations())
    binding: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["family", "rule", "description", "shadow_price"]))
    shadow_prices: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["family", "rule", "value"]))
    whole_pounds: bool = True  # False: the LP's optimum only, no allocations (see sweep)
    #: the optimality certificate (fundopt.solver.certificate) of the scenario's LP:
    #: passed, its duality gap (pounds of value), and whether HiGHS's first answer failed
    #: it so the LP was solved again from scratch
    certified: bool = False
    duality_gap: float = math.nan
    resolved_cold: bool = False


_NO_ALLOCATIONS = pd.DataFrame(columns=["recipient", "activity", "stream", "year", "amount"]
                               ).astype({"amount": "int64"})


def _empty_allocations() -> pd.DataFrame:
    return _NO_ALLOCATIONS.copy()  # made once: building it cost a millisecond a scenario


def solved(scenario: Scenario, plan: Plan, method: Method, seconds: float) -> ScenarioOutcome:
    """A scenario's verified plan, as tables."""
    sp_ = plan.shadow_prices
    nonzero = sp_.loc[sp_["value"] != 0, ["family", "rule", "value"]].reset_index(drop=True)
    return ScenarioOutcome(
        scenario.name, scenario.describe(), ScenarioStatus.OPTIMAL, method,
        message=plan.status.value if plan.status.value != "optimal" else "",
        objective=float(plan.objective), iterations=plan.solver.iterations, seconds=seconds,
        allocations=plan.allocations.reset_index(drop=True),
        binding=plan.binding[["family", "rule", "description", "shadow_price"]].reset_index(
            drop=True),
        shadow_prices=nonzero,
        **_certificate_fields(plan.certificate),
    )


def _certificate_fields(certificate: Certificate | None) -> dict[str, Any]:
    if certificate is None:
        return {}
    return {"certified": certificate.passed, "duality_gap": certificate.duality_gap,
            "resolved_cold": certificate.resolved_cold}


def lp_only(scenario: Scenario, method: Method, objective: float, iterations: int,
            binding: pd.DataFrame, prices: pd.DataFrame, t0: float, *,
            certificate: Certificate | None = None) -> ScenarioOutcome:
    """A scenario reported from the LP alone (``whole_pounds=False``)."""
    return ScenarioOutcome(
        scenario.name, scenario.describe(), ScenarioStatus.OPTIMAL, method,
        message=LP_ONLY, objective=objective, iterations=iterations,
        seconds=time.perf_counter() - t0, binding=binding, shadow_prices=prices,
        whole_pounds=False, **_certificate_fields(certificate))


def infeasible(scenario: Scenario, method: Method, error: InfeasibleError,
               t0: float) -> ScenarioOutcome:
    """A scenario whose rules cannot all hold, with the explanation."""
    # the message's first line for a summary; the whole explanation as the diagnosis
    text = str(error.diagnosis) if error.diagnosis is not None else str(error)
    first = str(error).strip().splitlines()[0] if str(error).strip() else "infeasible"
    return ScenarioOutcome(scenario.name, scenario.describe(), ScenarioStatus.INFEASIBLE, method,
                           message=first, diagnosis=text, seconds=time.perf_counter() - t0)


def not_solved(scenario: Scenario, status: ScenarioStatus, method: Method, message: str,
               t0: float) -> ScenarioOutcome:
    """A scenario that does not fit the problem, or that HiGHS or the check failed."""
    return ScenarioOutcome(scenario.name, scenario.describe(), status, method, message=message,
                           seconds=time.perf_counter() - t0)
