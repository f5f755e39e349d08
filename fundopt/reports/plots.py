"""Charts of plans and sweeps (matplotlib; ``pip install fundopt[plots]``).

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot, so it
works with any backend (Agg on a server) and leaves no global state behind;
``fig.savefig("x.png")`` writes it. A figure made without pyplot has no picture in Jupyter
(it shows as ``<Figure size 800x450 with 1 Axes>``) unless pyplot's inline backend was
started: each one here carries its own ``_repr_png_``, so it shows as a chart when it is a
cell's last value, with no ``%matplotlib`` magic. Money axes choose £m, £k or £ by the size
of the numbers, and as many decimal places as their tick spacing needs; a winners-and-losers
chart leaves out changes too small to matter (:class:`fundopt.reports.summary.Materiality`).
"""

from __future__ import annotations

import io
import math
import textwrap
from enum import StrEnum
from itertools import pairwise
from types import MethodType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from fundopt.plan import Plan
from fundopt.reports.summary import Materiality

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
    fig._repr_png_ = MethodType(_png, fig)  # type: ignore[attr-defined]
    return fig, fig.add_subplot()


def _title(fig: Figure, ax: Axes, text: str, own: bool) -> None:
    """On a figure of our own, the title spans the figure (long recipient names leave its
    axes narrow); on a caller's axes, it goes over them."""
    if own:
        fig.suptitle(text)
    else:
        ax.set_title(text)


def _label(name: str) -> str:
    return textwrap.fill(name, 34)


def _png(fig: Figure) -> bytes:
    """The figure as a PNG, for Jupyter (IPython asks a value for ``_repr_png_``)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def money_scale(values: np.ndarray | pd.Series | list[float]) -> tuple[float, str]:
    """(pounds per unit, unit suffix) for an axis of these pounds: £m from £1m, £k from
    £1,000, else £."""
    largest = float(np.nanmax(np.abs(np.asarray(values, dtype=float)))) if len(values) else 0.0
    if largest >= 1e6:
        return MILLION, "m"
    if largest >= 1e3:
        return 1e3, "k"
    return 1.0, ""


def _money_axis(ax: Axes, suffix: str, axis: str = "y") -> None:
    """Ticks like £1,250m, £0.5m or £250k: the decimal places the tick spacing needs, and
    no "-0"."""
    from matplotlib.ticker import FuncFormatter

    target = ax.yaxis if axis == "y" else ax.xaxis

    def label(value: float, _pos: int | None) -> str:
        ticks = sorted(target.get_majorticklocs())
        steps = [b - a for a, b in pairwise(ticks) if b > a]
        step = min(steps) if steps else abs(value) or 1.0
        places = max(0, min(3, -math.floor(math.log10(step))))
        if abs(value) < step / 1e6:
            value = 0.0
        sign = "-" if value < 0 else ""
        return f"{sign}£{abs(value):,.{places}f}{suffix}"

    target.set_major_formatter(FuncFormatter(label))


def plot_funding(plan: Plan, by: Grouping | str = Grouping.KIND, *, total: bool = True,
                 ax: Axes | None = None) -> Figure:
    """Funding per year (baseline year included), stacked by recipient kind or region.

    ``total=True`` shows total funding (allocation plus other income); ``False`` the
    allocation alone. Recipients without a region are shown as "national".
    """
    by = Grouping(by)
    fig, ax = _figure(ax, (8, 4.5))
    t = plan.totals.copy()
    t[by.value] = t[by.value].fillna("national").astype(str).str.replace("_", " ")
    value = "total_funding" if total else "allocation"
    pounds = t.pivot_table(index="year", columns=by.value, values=value, aggfunc="sum",
                           fill_value=0.0)
    unit, suffix = money_scale(pounds.sum(axis=1))
    table = pounds / unit
    years = list(table.index)
    bottom = np.zeros(len(years))
    for name in table.columns:
        ax.bar(years, table[name].to_numpy(), bottom=bottom, label=str(name))
        bottom += table[name].to_numpy()
    what = "Total funding" if total else "Allocation"
    ax.set_title(f"{what} by {by.value}, {years[0]} (baseline) to {years[-1]}")
    ax.set_ylabel(f"£{suffix}")
    _money_axis(ax, suffix)
    ax.legend(fontsize="small", ncols=min(4, len(table.columns)), loc="upper center",
              bbox_to_anchor=(0.5, -0.08), frameon=False)  # below the bars, covering none
    return fig


def plot_headroom(plan: Plan, year: str | None = None, *, largest: int = 20,
                  ax: Axes | None = None) -> Figure:
    """How far each recipient's total funding could still fall before its cliff-edge limit
    binds (``plan.totals['headroom']``), for one year or (``None``) the tightest year.

    Shows the ``largest`` recipients with the least headroom; a bar at zero is a recipient
    held exactly at its limit (red, as is one below it: a recipient closing on a glide path
    has that instead).
    """
    own = ax is None
    fig, ax = _figure(ax, (9, 0.45 * largest + 1.5))  # two-line names
    t = plan.totals.dropna(subset=["headroom"])
    if year is not None:
        t = t.loc[t["year"] == year]
        per = t.set_index("recipient")["headroom"]
        where = year
    else:
        per = t.groupby("recipient")["headroom"].min()
        where = "the tightest year"
    per = per.sort_values().head(largest)[::-1]
    unit, suffix = money_scale(per)
    names = _names(plan)
    colours = ["#c00000" if v < 1.0 else "#1f4e78" for v in per]  # under £1: at the limit
    ax.barh([_label(names.get(str(r), str(r))) for r in per.index], (per / unit).to_numpy(),
            color=colours)
    _title(fig, ax, f"Headroom to the cliff-edge limit ({where})\nred: at the limit, or "
           "below it where a glide path to closure replaces it", own)
    ax.set_xlabel(f"£{suffix} the total could still fall")
    shown = (per / unit).to_numpy()
    low, high = min([0.0, *shown]), max([0.0, *shown])  # from zero (below it if a relaxed plan
    ax.set_xlim(low * 1.05, high * 1.05 if high > low else 1.0)  # broke a limit)
    _money_axis(ax, suffix, "x")
    return fig


def plot_sweep(result: SweepResult, parameter: pd.Series | dict[str, float] | list[float],
               rule: str | None = None, *, label: str = "swept parameter",
               ax: Axes | None = None) -> Figure:
    """The plan's value against a swept parameter and, with ``rule``, that rule's shadow
    price (the value of one more pound on it) on a second axis.

    ``parameter`` gives each scenario's value: a Series or dict by scenario name, or a
    list in the order of ``result.summary``. Scenarios that were not solved are left out.
    """
    fig, ax = _figure(ax, (8, 4.5))
    s = result.summary.set_index("scenario")
    x = (pd.Series(parameter, index=s.index) if isinstance(parameter, list)
         else pd.Series(parameter)).reindex(s.index).astype(float)
    solved = s["status"] == "optimal"
    order = x[solved].sort_values().index
    unit, suffix = money_scale(s.loc[order, "objective"])
    ax.plot(x[order], s.loc[order, "objective"] / unit, marker="o", label="value of the plan")
    ax.set_xlabel(label)
    ax.set_ylabel(f"value of the plan (£{suffix} of value)")
    _money_axis(ax, suffix)
    handles, labels = ax.get_legend_handles_labels()
    if rule is not None:
        price = result.shadow_price(rule)
        twin = ax.twinx()
        twin.plot(x[order], price[order], marker="s", color="#c55a11", label=f"price of {rule}")
        twin.set_ylabel("shadow price (£ of value per £)")
        h2, l2 = twin.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, fontsize="small", loc="best")
    ax.set_title("Sweep: the plan's value" + (" and a shadow price" if rule else ""))
    return fig


def plot_winners_and_losers(plan: Plan, other: Plan | pd.DataFrame, *, largest: int = 12,
                            labels: tuple[str, str] = ("this plan", "the other"),
                            materiality: Materiality | None = None,
                            ax: Axes | None = None) -> Figure:
    """Each recipient's allocation over the horizon against another plan's, or against
    today's method (a frame with recipient, optimised and todays_method per year, as
    ``plan.against_todays_method``).

    Shows the ``largest`` material gains and losses (this plan minus the other); changes
    below ``materiality`` (£0.1m and 0.1% by default) are left out and counted in the
    title, and a chart with none says "no material change".
    """
    m = materiality or Materiality()
    own = ax is None
    fig, ax = _figure(ax, (9, 0.45 * largest + 1.5))
    mine = plan.allocations.groupby("recipient")["amount"].sum()
    if isinstance(other, Plan):
        theirs = other.allocations.groupby("recipient")["amount"].sum()
    else:
        theirs = other.groupby("recipient")["todays_method"].sum()
        mine = other.groupby("recipient")["optimised"].sum()
        labels = ("optimised", "today's method") if labels == ("this plan", "the other") \
            else labels
    keys = mine.index.union(theirs.index)
    base = theirs.reindex(keys, fill_value=0).astype(float)
    diff = mine.reindex(keys, fill_value=0).astype(float) - base
    moved = diff[diff != 0]
    material = moved[moved.abs() >= base[moved.index].map(m.threshold)]
    order = material.abs().sort_values(ascending=False, kind="stable").head(largest).index
    shown = material[order].sort_values()
    title = f"Winners and losers: {labels[0]} minus {labels[1]}, whole horizon"
    small = len(moved) - len(material)
    if small:
        title += f"\n({small} smaller change{'s' if small != 1 else ''} not shown)"
    _title(fig, ax, title, own)
    if not len(shown):
        ax.text(0.5, 0.5, f"No material change: no recipient moves by\n{m.describe()}",
                ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
        return fig
    unit, suffix = money_scale(shown)
    names = _names(plan)
    ax.barh([_label(names.get(str(r), str(r))) for r in shown.index], (shown / unit).to_numpy(),
            color=["#2e7d32" if v > 0 else "#c00000" for v in shown])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(f"£{suffix}")
    _money_axis(ax, suffix, "x")
    return fig


def _names(plan: Plan) -> dict[str, str]:
    r = plan.problem.recipients
    return {str(i): str(n) if isinstance(n, str) and n.strip() else str(i)
            for i, n in zip(r["recipient"], r["name"], strict=True)}


def save(fig: Any, path: str, dpi: int = 120) -> None:
    """Write a figure (PNG, SVG or PDF by the file's extension)."""
    fig.savefig(path, dpi=dpi)


__all__ = ["Grouping", "money_scale", "plot_funding", "plot_headroom", "plot_sweep",
           "plot_winners_and_losers"]
