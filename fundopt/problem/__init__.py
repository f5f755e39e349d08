"""Stage 1, the input: the tables a problem is made of (``schema``), every check on them
(``validation``), the validated :class:`FundingProblem`, and scenarios as changes to a
problem (``scenarios``)."""

from fundopt.problem.funding_problem import TABLE_NAMES, FundingProblem, Origin, Settings

__all__ = ["TABLE_NAMES", "FundingProblem", "Origin", "Settings"]
