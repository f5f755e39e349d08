"""Stage 5, the plan: :func:`~fundopt.plan.solve.solve` turns a problem into a verified,
whole-pound :class:`Plan` (``plan``), with its tidy tables (``tables``), its reasons,
ranging and bands (``explanations``), an analyst's own rules compiled through Pyomo
(``own_rules``) and the independent exact check of every rule (``verify``)."""

from fundopt.plan.plan import Plan, PlanStatus, SolverInfo

__all__ = ["Plan", "PlanStatus", "SolverInfo"]
