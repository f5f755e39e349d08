"""The settings a problem carries beside its tables."""

from __future__ import annotations

import math
from typing import Any

from fundopt.problem.validation.issues import Checker


def check_settings(ck: Checker, s: Any) -> None:
    for name in ("need_penalty", "volatility_penalty"):
        v = getattr(s, name)
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
            ck.add("settings", None, name, f"setting '{name}' must be a number >= 0", found=v)
    v = s.terminal_fall_share
    if not (isinstance(v, (int, float)) and 0 <= v <= 1):
        ck.add(
            "settings",
            None,
            "terminal_fall_share",
            "setting 'terminal_fall_share' must be between 0 and 1",
            found=v,
        )
    if s.time_limit_seconds is not None and not s.time_limit_seconds > 0:
        ck.add(
            "settings",
            None,
            "time_limit_seconds",
            "time limit must be positive",
            found=s.time_limit_seconds,
        )
