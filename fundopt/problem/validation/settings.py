"""The settings a problem carries beside its tables."""

from __future__ import annotations

import math
from typing import Any

from fundopt.problem.validation.issues import Checker

#: Beyond these a setting is a typing mistake, and would overflow the LP (penalties are
#: value per pound, like a rule's penalty; a time limit of over a year means none).
MAX_PENALTY_SETTING = 1e6
MAX_TIME_LIMIT_SECONDS = 3.2e7


def check_settings(ck: Checker, s: Any) -> None:
    for name in ("need_penalty", "volatility_penalty", "replan_change_penalty"):
        v = getattr(s, name)
        if not (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                and 0 <= v <= MAX_PENALTY_SETTING):
            ck.add("settings", None, name,
                   f"setting '{name}' must be a number from 0 to {MAX_PENALTY_SETTING:,.0f}",
                   found=v)
    v = s.line_step_rate
    if not (isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v < 1):
        ck.add("settings", None, "line_step_rate",
               "setting 'line_step_rate' must be a share from 0 up to (not including) 100%",
               found=v)
    v = s.terminal_fall_share
    if not (isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1):
        ck.add(
            "settings",
            None,
            "terminal_fall_share",
            "setting 'terminal_fall_share' must be between 0 and 1",
            found=v,
        )
    limit = s.time_limit_seconds
    if limit is not None and not (isinstance(limit, (int, float)) and not isinstance(limit, bool)
                                  and 0 < limit <= MAX_TIME_LIMIT_SECONDS):
        ck.add(
            "settings",
            None,
            "time_limit_seconds",
            "time limit must be a positive number of seconds, at most a year",
            found=s.time_limit_seconds,
        )
