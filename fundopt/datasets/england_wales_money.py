"""The reference model's money in its baseline year, 2026-27, per recipient and stream.

Each amount is today's method applied to published figures, or a published total split by
a stated rule (:mod:`fundopt.datasets.england_wales_figures` says which, and why):

- forces' core grant: the 2025-26 Police Grant Report row less its Legacy Council Tax
  Grants (where published), times the 4.022% floor (:func:`fundopt.explain.settlement.settle`);
- Legacy Council Tax Grants held flat; the Welsh Government's £113.47m and the Welsh
  top-up (what the published £512.34m leaves) split between the Welsh forces;
- the Capital City grant, the Neighbourhood Policing Grant and the county lines programme;
- precept per force (other income);
- the regional units' budgets: Home Office 30%, their members' PCCs 70%;
- the National Crime Agency and its online child abuse teams.

All amounts are whole pounds.
"""

from __future__ import annotations

import math
from functools import cache

import pandas as pd

from fundopt.datasets import england_wales_figures as fig
from fundopt.explain.settlement import settle

LONDON_UNIT = "london_regional_unit"
TASKFORCES = ("greater_manchester", "merseyside", "metropolitan_police", "west_midlands")
#: London's published grant lines (MOPAC PCD 1418, 2022/23) and the activity each funds.
LONDON_LINES: tuple[tuple[str, str, float], ...] = (
    ("regional asset recovery team and asset confiscation", "money_laundering_pursue",
     1_000_000 + 237_944),
    ("regional organised crime threat assessment", "organised_acquisitive_crime_pursue",
     335_500),
    ("drugs strategy", "illegal_drugs_pursue", 110_250),
    ("digital forensics", "cyber_crime_pursue", 78_000),
    ("SOC transformation", "illegal_drugs_prevent", 334_980),
)


def split(total: float, weights: pd.Series) -> pd.Series:
    """``total`` pounds in proportion to ``weights``, in whole pounds adding up exactly
    (largest remainder, ties by index order)."""
    w = weights.astype(float)
    raw = total * w / w.sum()
    pounds = raw.map(math.floor).astype("int64")
    left = round(total) - int(pounds.sum())
    order = (raw - pounds).sort_values(ascending=False, kind="stable").index[:left]
    pounds.loc[order] += 1
    return pounds.astype(float)


def forces() -> pd.DataFrame:
    return fig.table("forces").set_index("recipient")


def _welsh() -> pd.Index:
    f = forces()
    return f.index[f["type"] == "Welsh"]


def lctg() -> pd.Series:
    """Legacy Council Tax Grants where published (held flat in cash since they began)."""
    t = fig.table("figures")
    rows = t.loc[t["item"] == "legacy_council_tax_grants"]
    out = {str(r): float(v) for r, v in zip(rows["recipient"], rows["value"], strict=True)}
    ny = [fig.published("north_yorkshire", i, "2017-18")
          for i in ("council_tax_support_grant", "council_tax_freeze_grant")]
    out["north_yorkshire"] = float(sum(v for v in ny if v is not None))
    return pd.Series(out).sort_index()


def report_2025_26() -> pd.DataFrame:
    """The 2025-26 report as our sources hold it: ``core`` (Police Main Grant plus Formula
    Funding, or for Welsh forces plus Welsh top-up) and Legacy Council Tax Grants where
    published; for the other forces the Overall Total stands in for ``core``."""
    t = fig.table("pgr_2025_26").set_index("recipient")
    total = t["total"].astype(float)
    legacy = lctg().reindex(total.index)
    out = pd.DataFrame({"core": total - legacy.fillna(0.0),
                        "legacy_council_tax_grants": legacy})
    return out


@cache
def force_money() -> pd.DataFrame:
    """Per force, the 2026-27 baseline of each stream it gets (pounds; 0 where none)."""
    f = forces()
    settled = settle(report_2025_26(), fig.value("floor_2026_27"))
    core = settled["core"].astype(float)
    out = pd.DataFrame(index=f.index)
    out["core_grant"] = core
    out["legacy_council_tax_grants"] = settled["legacy_council_tax_grants"].fillna(0.0)
    welsh = _welsh()
    weights = fig.table("pgr_2025_26").set_index("recipient")["total"].astype(float)[welsh]
    home_office = fig.value("wales_core_support_2026_27") - fig.value("welsh_government_2026_27")
    out["welsh_top_up"] = split(home_office - core[welsh].sum(), weights).reindex(f.index,
                                                                                   fill_value=0.0)
    out["welsh_government_funding"] = split(fig.value("welsh_government_2026_27"),
                                            weights).reindex(f.index, fill_value=0.0)
    nicc = split(fig.value("nicc_2025_26"), pd.Series({
        "metropolitan_police": fig.value("nicc_met_2024_25"),
        "city_of_london": fig.value("nicc_2025_26") - 65e6 - fig.value("nicc_met_2024_25")}))
    out["capital_city_grant"] = nicc.reindex(f.index, fill_value=0.0)
    out["neighbourhood_policing_grant"] = split(fig.value("neighbourhood_2026_27"), core)
    taskforce = fig.value("county_lines_2026_27") - fig.value("nclcc_2021_22")
    out["county_lines_programme"] = split(taskforce, core[list(TASKFORCES)]).reindex(
        f.index, fill_value=0.0)
    return out.astype(float)


@cache
def precept() -> pd.DataFrame:
    """2026-27 precept per force (pounds), its Band D where published, and how it was got
    (status and basis), one row per force."""
    f = forces()
    pub = fig.published
    rows: dict[str, tuple[float, str, str]] = {
        "dyfed_powys": (pub("dyfed_powys", "precept", "2026-27") or 0.0, "published",
                        "the PCP's 2026-27 precept"),
        "metropolitan_police": (pub("metropolitan_police", "precept_approx", "2026-27") or 0.0,
                                "published", "'just over £1bn' council tax for policing"),
        "surrey": ((pub("surrey", "band_d", "2026-27") or 0.0)
                   * (pub("surrey", "precept_yield_per_pound_band_d", "2026-27") or 0.0),
                   "derived", "Band D £352.57 x £500,000 a pound of Band D"),
        "cambridgeshire": ((pub("cambridgeshire", "precept", "2025-26") or 0.0)
                           * (pub("cambridgeshire", "band_d", "2026-27") or 0.0)
                           / (pub("cambridgeshire", "band_d", "2025-26") or 1.0),
                           "derived", "2025-26 precept x Band D £314.37 / £299.43"),
        "greater_manchester": ((pub("greater_manchester", "precept", "2025-26") or 0.0)
                               * ((pub("greater_manchester", "band_d", "2025-26") or 0.0) + 15)
                               / (pub("greater_manchester", "band_d", "2025-26") or 1.0),
                               "derived", "2025-26 precept x (Band D £270.30 + the £15 rise) "
                               "/ £270.30"),
    }
    known = {r: (float(round(v)), s, b) for r, (v, s, b) in rows.items()}
    total = fig.value("precept_total_2025_26") + fig.value("precept_extra_2026_27")
    rest = [r for r in f.index if r not in known]
    spread = split(total - sum(v for v, _, _ in known.values()),
                   force_money().loc[rest, "core_grant"])
    out = pd.DataFrame(
        [{"recipient": r, "precept": known[r][0] if r in known else float(spread[r]),
          "status": known[r][1] if r in known else "estimated",
          "basis": known[r][2] if r in known else "national total less the known forces, "
          "in proportion to core grant"} for r in f.index]).set_index("recipient")
    t = fig.table("figures")
    band_d = t.loc[(t["item"] == "band_d") & (t["year"] == "2026-27")]
    out["band_d"] = pd.Series(band_d["value"].astype(float).to_numpy(),
                              index=band_d["recipient"]).reindex(out.index)
    return out


def precept_growth(recipient: str) -> float:
    """A year's precept rise as a rate: £15 on the force's Band D (tax base flat)."""
    national = fig.value("national_band_d_2024_25") + 14 + 15
    band_d = precept()["band_d"].get(recipient)
    level = national if band_d is None or band_d != band_d else float(band_d)
    return fig.value("band_d_limit_2026_27") / level


def _floors_since_2018() -> float:
    out = 1.0
    for _, rate in fig.FLOORS_SINCE_2018:
        out *= 1 + rate
    return out * (1 + fig.value("floor_2026_27"))


@cache
def unit_money() -> pd.DataFrame:
    """Per regional unit: its 2026-27 budget and Home Office ROCU grant (pounds)."""
    units = fig.table("regional_units").set_index("recipient")
    f = forces()
    core = force_money()["core_grant"]
    nine = units.index[units.index != LONDON_UNIT]
    by_region = core.groupby(f["region"]).sum()
    network = fig.value("rocu_network_2018_19") * _floors_since_2018()
    budget = split(network, by_region[units.loc[nine, "region"]].set_axis(nine))
    grant = split(fig.value("rocu_home_office_share") * budget.sum(), budget)
    london = sum(v for _, _, v in LONDON_LINES)
    return pd.DataFrame({"budget": pd.concat([budget, pd.Series({LONDON_UNIT: london})]),
                         "rocu_grant": pd.concat([grant, pd.Series({LONDON_UNIT: london})])})


@cache
def contributions() -> pd.DataFrame:
    """Each PCC's 2026-27 contribution to its region's unit: contributor, unit, amount."""
    units = fig.table("regional_units").set_index("recipient")
    money = unit_money()
    f = forces()
    core = force_money()["core_grant"]
    rows = []
    budgets = (money["budget"] - money["rocu_grant"]).to_dict()
    for unit, row in units.iterrows():
        if unit == LONDON_UNIT:
            continue
        members = f.index[f["region"] == row["region"]]
        paid = split(float(budgets[unit]), core[members])
        rows += [{"contributor": m, "unit": unit, "amount": float(paid[m])} for m in members]
    return pd.DataFrame(rows)


def nca_money() -> dict[str, float]:
    """The NCA's 2026-27 budget: its online child abuse teams and the rest."""
    csea = fig.value("online_csea")
    return {"nca": fig.value("nca_2025_26") - csea, "online_csea": csea,
            "nclcc": fig.value("nclcc_2021_22")}


__all__ = ["LONDON_LINES", "LONDON_UNIT", "TASKFORCES", "contributions", "force_money",
           "forces", "lctg", "nca_money", "precept", "precept_growth", "report_2025_26",
           "split", "unit_money"]
