"""Plain-words formatting shared by messages and reports (no heavy imports)."""

from __future__ import annotations


def money(pounds: float) -> str:
    """£1.23bn, £12.4m, £350k or £75, as a finance analyst would write it."""
    sign = "-" if pounds < 0 else ""
    p = abs(pounds)
    if p >= 1e9:
        return f"{sign}£{p / 1e9:,.3g}bn" if p < 1e11 else f"{sign}£{p / 1e9:,.1f}bn"
    if p >= 1e6:
        return f"{sign}£{p / 1e6:,.1f}m"
    if p >= 1e4:
        return f"{sign}£{p / 1e3:,.0f}k"
    return f"{sign}£{p:,.0f}" if p == int(p) or p >= 100 else f"{sign}£{p:,.2f}"


def percent(share: float) -> str:
    return f"{share * 100:.4g}%"
