"""Charts of plans and sweeps (matplotlib; ``pip install fundopt[plots]``).

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot, so it
works with any backend (Agg on a server, inline in a notebook, where the figure shows
when it is a cell's last value) and leaves no global state behind; ``fig.savefig("x.png")``
writes it. Money is shown in £m.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from fundopt.plan import Plan

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from fundopt.whatif.sweep import SweepResult

MILLION = 1_000_000.0


class Grouping(StrEnum):
    """How :func:`plot_funding` groups recipients."""

    KIND = "kind"
    REGION = "region"


def _figure(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    try:
        from matplotlib.figure import Figure
    except ImportError as e:  # pragma: no cover - depends on the installation
        raise ImportError("fundopt's charts need matplotlib: pip install 'fundopt[plots]'") from e
    if ax is not None:
        return ax.get_figure(), ax  # type: ignore[return-value]
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def _millions(ax: Axes, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _pos: f"£{v:,.0f}m")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def plot_funding(plan: Plan, by: Grouping | str = Grouping.KIND, *, total: bool = True,
                 ax: Axes | None = None) -> Figure:
    """Funding per year (baseline year included), stacked by recipient kind or region.

    ``total=True`` shows total funding (allocation plus other income); ``False`` the
    allocation alone. Recipients without a region are shown as "national".
    """
    by = Grouping(by)
    fig, ax = _figure(ax, (8, 4.5))
    t = plan.totals.copy()
    t[by.value] = t[by.value].fillna("national").astype(str)
    value = "total_funding" if total else "allocation"
    table = t.pivot_table(index="year", columns=by.value, values=value, aggfunc="sum",
                          fill_value=0.0) / MILLION
    years = list(table.index)
    bottom = np.zeros(len(years))
    for name in table.columns:
        ax.bar(years, table[name].to_numpy(), bottom=bottom, label=str(name))
        bottom += table[name].to_numpy()
    what = "Total funding" if total else "Allocation"
    ax.set_title(f"{what} by {by.value}, {years[0]} (baseline) to {years[-1]}")
    ax.set_ylabel("£m")
    _millions(ax)
    ax.legend(fontsize="small", ncols=2 if len(table.columns) > 6 else 1)
    return fig


def plot_headroom(plan: Plan, year: str | None = None, *, largest: int = 20,
                  ax: Axes | None = None) -> Figure:
    """How far each recipient's total funding could still fall before its cliff-edge limit
    binds (``plan.totals['headroom']``), for one year or (``None``) the tightest year.

    Shows the ``largest`` recipients with the least headroom; a bar at zero is a recipient
    held exactly at its limit.
    """
    fig, ax = _figure(ax, (8, 0.3 * largest + 1.5))
    t = plan.totals.dropna(subset=["headroom"])
    if year is not None:
        t = t.loc[t["year"] == year]
        per = t.set_index("recipient")["headroom"]
        where = year
    else:
        per = t.groupby("recipient")["headroom"].min()
        where = "the tightest year"
    per = (per / MILLION).sort_values().head(largest)[::-1]
    colours = ["#c00000" if v <= 0.001 else "#1f4e78" for v in per]
    ax.barh(list(per.index), per.to_numpy(), color=colours)
    ax.set_title(f"Headroom to the cliff-edge limit ({where}); red: held at the limit")
    ax.set_xlabel("£m the total could still fall")
    _millions(ax, "x")
    return fig


def plot_sweep(result: SweepResult, parameter: pd.Series | dict[str, float] | list[float],
               rule: str | None = None, *, label: str = "swept parameter",
               ax: Axes | None = None) -> Figure:
    """The objective against a swept parameter and, with ``rule``, that rule's shadow price
    (the value of one more pound on it) on a second axis.

    ``parameter`` gives each scenario's value: a Series or dict by scenario name, or a
    list in the order of ``result.summary``. Scenarios that were not solved are left out.
    """
    fig, ax = _figure(ax, (8, 4.5))
    s = result.summary.set_index("scenario")
    x = (pd.Series(parameter, index=s.index) if isinstance(parameter, list)
         else pd.Series(parameter)).reindex(s.index).astype(float)
    solved = s["status"] == "optimal"
    order = x[solved].sort_values().index
    ax.plot(x[order], s.loc[order, "objective"] / MILLION, marker="o", label="objective")
    ax.set_xlabel(label)
    ax.set_ylabel("objective (value, millions)")
    handles, labels = ax.get_legend_handles_labels()
    if rule is not None:
        price = result.shadow_price(rule)
        twin = ax.twinx()
        twin.plot(x[order], price[order], marker="s", color="#c55a11", label=f"price of {rule}")
        twin.set_ylabel("shadow price (value per £)")
        h2, l2 = twin.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, fontsize="small", loc="best")
    ax.set_title("Sweep: objective" + (" and shadow price" if rule else ""))
    return fig


def plot_winners_and_losers(plan: Plan, other: Plan | pd.DataFrame, *, largest: int = 12,
                            labels: tuple[str, str] = ("this plan", "the other"),
                            ax: Axes | None = None) -> Figure:
    """Each recipient's allocation over the horizon against another plan's, or against
    today's method (the frame :func:`fundopt.explain.todays_method.winners_and_losers` returns).

    Shows the ``largest`` gains and losses (this plan minus the other), in £m.
    """
    fig, ax = _figure(ax, (8, 0.35 * largest + 1.5))
    mine = plan.allocations.groupby("recipient")["amount"].sum()
    if isinstance(other, Plan):
        theirs = other.allocations.groupby("recipient")["amount"].sum()
    else:
        theirs = other.groupby("recipient")["todays_method"].sum()
        mine = other.groupby("recipient")["optimised"].sum()
        labels = ("optimised", "today's method") if labels == ("this plan", "the other") \
            else labels
    keys = mine.index.union(theirs.index)
    diff = (mine.reindex(keys, fill_value=0) - theirs.reindex(keys, fill_value=0)) / MILLION
    diff = diff[diff != 0]
    order = diff.abs().sort_values(ascending=False, kind="stable").head(largest).index
    shown = diff[order].sort_values()
    ax.barh(list(shown.index), shown.to_numpy(),
            color=["#2e7d32" if v > 0 else "#c00000" for v in shown])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_title(f"Winners and losers: {labels[0]} minus {labels[1]}, whole horizon")
    ax.set_xlabel("£m")
    _millions(ax, "x")
    return fig


def save(fig: Any, path: str, dpi: int = 120) -> None:
    """Write a figure (PNG, SVG or PDF by the file's extension)."""
    fig.savefig(path, dpi=dpi)


__all__ = ["Grouping", "plot_funding", "plot_headroom", "plot_sweep", "plot_winners_and_losers"]
