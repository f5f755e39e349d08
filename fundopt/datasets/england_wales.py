"""The England and Wales reference model: 43 forces, ten regional units, the NCA.

Built by code from published figures (see :func:`sources` and
:mod:`fundopt.datasets.england_wales_figures`), so the shipped workbook
``models/england_wales_soc.xlsx`` can always be regenerated::

    python -m fundopt.datasets.england_wales models/england_wales_soc.xlsx

Police funding as it is held, on the final 2026-27 settlement (the baseline year), planned
for 2027-28 to 2030-31 (Spending Review 2025 sets budgets to 2028-29; the two later years
are indicative):

- forces get the streams of the Police Grant Report (core grant, Legacy Council Tax
  Grants, Welsh top-up, Capital City grant), the Welsh Government's funding, and the
  ring-fenced Neighbourhood Policing Grant: money the Home Office does not direct to a
  threat, so each is one unhypothecated line; their precept is other income;
- directed money carries threat and 4P lines: the ROCU grant, each PCC's contribution to
  its region's unit (a stream paid by that PCC, bounded by its local-priority share of its
  whole budget), the NCA's budget, and the county lines programme;
- a police reform programme pays out in 2027-28 and then ends.

Money is in pounds in the problem; the workbook shows £m.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from fundopt.datasets import england_wales_figures as fig
from fundopt.datasets import england_wales_money as money
from fundopt.problem import FundingProblem, Settings
from fundopt.problem.schema import SOC_THREATS, MoneyUnit, RecipientKind, Strand, Threat

BASELINE_YEAR = "2026-27"
HORIZON = ("2027-28", "2028-29", "2029-30", "2030-31")
INDICATIVE = ("2029-30", "2030-31")
YEARS = (BASELINE_YEAR, *HORIZON)

CORE, LCTG, TOP_UP, WG = ("core_grant", "legacy_council_tax_grants", "welsh_top_up",
                          "welsh_government_funding")
NICC, NEIGHBOURHOOD, COUNTY_LINES = ("capital_city_grant", "neighbourhood_policing_grant",
                                     "county_lines_programme")
ROCU, NCA, REFORM = "rocu_grant", "nca_budget", "police_reform_programme"
POLICING, NEIGHBOURHOOD_LINE, REFORM_LINE = "policing", "neighbourhood_policing", "reform"
FORCE_STREAMS = (CORE, LCTG, TOP_UP, WG, NICC, NEIGHBOURHOOD)
HELD_FLAT = (LCTG, WG, NICC)  # fixed per force: commitments hold each at its baseline
STREAM_NAMES = {
    CORE: "Core grant (Police Main Grant and ex-DCLG formula funding)",
    LCTG: "Legacy Council Tax Grants",
    TOP_UP: "Welsh top-up (Home Office core support to Welsh PCCs)",
    WG: "Welsh Government police funding (revenue support grant and NNDR)",
    NICC: "National and International Capital City grant",
    NEIGHBOURHOOD: "Neighbourhood Policing Grant (ring-fenced)",
    COUNTY_LINES: "County lines programme",
    ROCU: "Home Office ROCU funding",
    NCA: "National Crime Agency budget",
    REFORM: "Police reform programme (ends after 2027-28)",
}


def activity_id(threat: Threat | str, strand: Strand | str) -> str:
    return f"{Threat(threat).value}_{Strand(strand).value}"


def contribution_stream(force: str) -> str:
    return f"pcc_{force}"


def growth(year: str) -> float:
    """The planning growth of a growing stream in ``year``."""
    return fig.value("growth_indicative" if year in INDICATIVE else "growth_confirmed")


def grown_path(amount: float) -> dict[str, float]:
    """``amount`` (the 2026-27 level) grown year by year over the horizon, in pounds."""
    out, level = {}, amount
    for year in HORIZON:
        level *= 1 + growth(year)
        out[year] = float(round(level))
    return out


def _programme_lines() -> dict[str, list[str]]:
    return {r["recipient"]: [activity_id(t, s) for t in r["threats"].split(";")
                             for s in r["strands"].split(";")]
            for r in fig.table("national_programmes").to_dict("records")}


def need_weights(gap: float | None = None) -> pd.Series:
    """Each force's needs target (pounds over the horizon, as a weight): what today's method
    gives it over 2027-28 to 2030-31 (each stream's 2026-27 shares at the stream's change;
    the reform fund in proportion to core grant), the East Midlands forces' raised by
    ``gap`` (default: their published 6.8% formula gap). With no gap the target is today's
    method itself, so only a rule or the gap moves money."""
    gap = fig.value("east_midlands_gap") if gap is None else gap
    f = money.forces()
    base = baseline_rows()
    env = _envelopes().groupby("stream")["amount"].sum()  # over the horizon
    stream_total = base.groupby("stream")["amount"].sum()
    mine = base.loc[base["recipient"].isin(f.index)]
    today = (mine["amount"] * mine["stream"].map(env / stream_total)).groupby(
        mine["recipient"]).sum()
    core = money.force_money()["core_grant"]
    today = today.reindex(f.index, fill_value=0.0) + env[REFORM] * core / core.sum()
    return (today * (1 + gap * (f["region"] == "East Midlands"))).round()


def _recipients() -> pd.DataFrame:
    f = money.forces()
    needs = need_weights()
    rows = [{"recipient": str(r), "name": row["name"], "kind": RecipientKind.FORCE.value,
             "region": row["region"], "need_weight": float(needs.loc[str(r)])}
            for r, row in f.iterrows()]
    # units and programmes: today's shares, so directed money stays spread as it is unless
    # a rule moves it (a unit losing its PCCs' money is backfilled from the ROCU grant)
    base = baseline_rows().groupby("recipient")["amount"].sum()
    rows += [{"recipient": u["recipient"], "name": u["name"],
              "kind": RecipientKind.REGIONAL_UNIT.value, "region": u["region"],
              "need_weight": float(base[u["recipient"]])}
             for u in fig.table("regional_units").to_dict("records")]
    rows += [{"recipient": p["recipient"], "name": p["name"],
              "kind": RecipientKind.NATIONAL_PROGRAMME.value,
              "need_weight": float(base[p["recipient"]])}
             for p in fig.table("national_programmes").to_dict("records")]
    return pd.DataFrame(rows, columns=["recipient", "name", "kind", "region", "first_year",
                                       "last_year", "need_weight"])


def _activities() -> pd.DataFrame:
    lp = Threat.LOCAL_POLICING.value
    rows = [{"activity": POLICING, "name": "Policing (core funding, not hypothecated)",
             "threat": lp, "strand": None},
            {"activity": NEIGHBOURHOOD_LINE, "name": "Neighbourhood policing (ring-fenced)",
             "threat": lp, "strand": None},
            {"activity": REFORM_LINE, "name": "Police reform and transformation",
             "threat": lp, "strand": None}]
    for t in SOC_THREATS:
        for s in Strand:
            label = t.value.replace("_", " ").capitalize()
            rows.append({"activity": activity_id(t, s), "name": f"{label}: {s.value}",
                         "threat": t.value, "strand": s.value})
    return pd.DataFrame(rows)


def _streams() -> pd.DataFrame:
    rows = [{"stream": s, "name": n, "paid_by": None} for s, n in STREAM_NAMES.items()]
    names = money.forces()["name"]
    rows += [{"stream": contribution_stream(c), "name": f"{names[c]} PCC's contribution to "
              f"its regional unit", "paid_by": c} for c in money.contributions()["contributor"]]
    return pd.DataFrame(rows)


def baseline_rows() -> pd.DataFrame:
    """Every recipient's 2026-27 funding by stream (and by activity where known)."""
    rows = []
    fm = money.force_money()
    for f, row in fm.iterrows():
        for s in FORCE_STREAMS:
            if row[s]:
                line = NEIGHBOURHOOD_LINE if s == NEIGHBOURHOOD else POLICING
                rows.append({"recipient": f, "activity": line, "stream": s, "amount": row[s]})
        if row[COUNTY_LINES]:
            rows.append({"recipient": f, "activity": activity_id("illegal_drugs", "pursue"),
                         "stream": COUNTY_LINES, "amount": row[COUNTY_LINES]})
    units = money.unit_money()
    for u, row in units.iterrows():
        if u == money.LONDON_UNIT:
            rows += [{"recipient": u, "activity": a, "stream": ROCU, "amount": float(v)}
                     for _, a, v in money.LONDON_LINES]
        else:
            rows.append({"recipient": u, "activity": None, "stream": ROCU,
                         "amount": row["rocu_grant"]})
    for c in money.contributions().to_dict("records"):
        rows.append({"recipient": c["unit"], "activity": None,
                     "stream": contribution_stream(c["contributor"]), "amount": c["amount"]})
    nca = money.nca_money()
    rows += [{"recipient": "nca", "activity": None, "stream": NCA, "amount": nca["nca"]},
             {"recipient": "online_csea", "activity": None, "stream": NCA,
              "amount": nca["online_csea"]},
             {"recipient": "nclcc", "activity": None, "stream": COUNTY_LINES,
              "amount": nca["nclcc"]}]
    return pd.DataFrame(rows, columns=["recipient", "activity", "stream", "amount"])


def _envelopes() -> pd.DataFrame:
    base = baseline_rows().groupby("stream")["amount"].sum()
    rows = []
    for s, amount in base.items():
        flat = s in (*HELD_FLAT, NEIGHBOURHOOD, COUNTY_LINES)
        grown = {y: float(amount) for y in HORIZON} if flat else grown_path(float(amount))
        rows += [{"stream": s, "year": y, "amount": v} for y, v in grown.items()]
    reform = fig.value("reform_2026_27")
    rows += [{"stream": REFORM, "year": y, "amount": reform if y == HORIZON[0] else 0.0}
             for y in HORIZON]
    return pd.DataFrame(rows)


def _eligibility() -> pd.DataFrame:
    force, unit = RecipientKind.FORCE.value, RecipientKind.REGIONAL_UNIT.value
    fm = money.force_money()
    rows = [{"stream": CORE, "recipient_kind": force, "activity": POLICING},
            {"stream": NEIGHBOURHOOD, "recipient_kind": force, "activity": NEIGHBOURHOOD_LINE},
            {"stream": REFORM, "recipient_kind": force, "activity": REFORM_LINE}]
    for s in (LCTG, TOP_UP, WG, NICC):
        rows += [{"stream": s, "recipient": f, "activity": POLICING}
                 for f in fm.index[fm[s] > 0]]
    drugs = [activity_id("illegal_drugs", s) for s in (Strand.PURSUE, Strand.PREVENT,
                                                       Strand.PROTECT)]
    rows += [{"stream": COUNTY_LINES, "recipient": f, "activity": a}
             for f in money.TASKFORCES for a in drugs]
    lines = _programme_lines()
    rows += [{"stream": COUNTY_LINES, "recipient": "nclcc", "activity": a}
             for a in lines["nclcc"]]
    rows += [{"stream": NCA, "recipient": p, "activity": a}
             for p in ("nca", "online_csea") for a in lines[p]]
    for t in SOC_THREATS:
        rows.append({"stream": ROCU, "recipient_kind": unit, "threat": t.value})
    for c in money.contributions().to_dict("records"):
        rows += [{"stream": contribution_stream(c["contributor"]), "recipient": c["unit"],
                  "threat": t.value} for t in SOC_THREATS]
    return pd.DataFrame(rows, columns=["stream", "recipient_kind", "recipient", "activity",
                                       "threat"])


def _other_income() -> pd.DataFrame:
    pre = money.precept()
    rows = []
    for f, row in pre.iterrows():
        level, rate = float(row["precept"]), money.precept_growth(str(f))
        for k, year in enumerate(YEARS):
            rows.append({"recipient": f, "year": year, "source": "precept",
                         "amount": float(round(level * (1 + rate) ** k))})
    return pd.DataFrame(rows, columns=["recipient", "year", "source", "contributor", "amount"])


def _commitments() -> pd.DataFrame:
    fm = money.force_money()
    rows = [{"recipient": f, "activity": POLICING, "stream": s, "first_year": HORIZON[0],
             "last_year": HORIZON[-1], "amount": float(fm.loc[f, s])}
            for s in HELD_FLAT for f in fm.index[fm[s] > 0]]
    return pd.DataFrame(rows)


def _local_priorities_and_shares() -> tuple[pd.DataFrame, pd.DataFrame]:
    forces = list(money.forces().index)
    priorities = [{"recipient": f, "activity": a} for f in forces
                  for a in (POLICING, NEIGHBOURHOOD_LINE, REFORM_LINE)]
    shares = [{"recipient": f, "min_local_share": fig.value("min_local_share")} for f in forces]
    return pd.DataFrame(priorities), pd.DataFrame(shares)


def _cliff_edges() -> pd.DataFrame:
    rows = [{"recipient": None, "max_fall_rate": fig.value("max_fall"),
             "max_rise_rate": fig.value("max_rise")}]
    rows += [{"recipient": u, "max_fall_rate": fig.value("unit_max_fall"), "penalty": 5.0}
             for u in fig.table("regional_units")["recipient"]]
    rows += [{"recipient": p, "max_fall_rate": fig.value("max_fall"), "penalty": 5.0}
             for p in fig.table("national_programmes")["recipient"]]
    return pd.DataFrame(rows, columns=["recipient", "max_fall_rate", "max_rise_rate",
                                       "penalty"])


def _share_targets() -> pd.DataFrame:
    rows = []
    for year in HORIZON:
        rows.append({"strand": Strand.PREVENT.value, "scope": "soc", "year": year,
                     "min_share": fig.value("prevent_share")})
        rows.append({"strand": Strand.PURSUE.value, "scope": "soc", "year": year,
                     "max_share": fig.value("pursue_share")})
    return pd.DataFrame(rows, columns=["strand", "threat", "scope", "year", "min_share",
                                       "max_share"])


def _value_tranches() -> pd.DataFrame:
    """Units' and programmes' money is worth 1 up to their baseline spread evenly over their
    lines and 0.8 beyond, so a recipient's lines stay balanced rather than piling onto one."""
    lines = {u: 4 * len(SOC_THREATS) for u in fig.table("regional_units")["recipient"]}
    lines.update({p: len(a) for p, a in _programme_lines().items()})
    base = baseline_rows().groupby("recipient")["amount"].sum()
    rows: list[dict[str, object]] = []
    for r, n in sorted(lines.items()):
        rows += [{"recipient": r, "tranche": 1, "width": float(round(base[r] / n)),
                  "value": 1.0},
                 {"recipient": r, "tranche": 2, "width": None, "value": 0.8}]
    return pd.DataFrame(rows, columns=["recipient", "activity", "tranche", "width", "value"])


def build_problem() -> FundingProblem:
    """The reference model as a validated :class:`~fundopt.FundingProblem` (money in £)."""
    priorities, shares = _local_priorities_and_shares()
    years = pd.DataFrame({"year": list(YEARS), "baseline": [True] + [False] * len(HORIZON),
                          "status": [None] + ["indicative" if y in INDICATIVE else None
                                              for y in HORIZON]})
    return FundingProblem(
        recipients=_recipients(),
        years=years,
        activities=_activities(),
        streams=_streams(),
        envelopes=_envelopes(),
        eligibility=_eligibility(),
        baselines=baseline_rows(),
        other_income=_other_income(),
        limits=pd.DataFrame([{"recipient": f, "floor_ratio": fig.value("force_floor")}
                             for f in money.forces().index]),
        commitments=_commitments(),
        cliff_edges=_cliff_edges(),
        local_priorities=priorities,
        local_shares=shares,
        share_targets=_share_targets(),
        value_tranches=_value_tranches(),
        settings=Settings(name="England and Wales police funding reference model "
                               "(2026-27 settlement)", money_unit=MoneyUnit.MILLIONS),
    )


def sources() -> pd.DataFrame:
    """Every figure in the model: category, item, value, unit, status, source, locator,
    url, note (see :mod:`fundopt.datasets.england_wales_sources`)."""
    from fundopt.datasets.england_wales_sources import sources_frame

    return sources_frame()


def write(path: str | Path) -> Path:
    """Write the reference model, its Sources sheet and its Scenarios sheet."""
    from fundopt.datasets.scenarios import reference_scenarios
    from fundopt.io import write_problem
    from fundopt.io.scenarios import SHEET, scenarios_sheet

    problem = build_problem()
    scenarios = scenarios_sheet(reference_scenarios(problem), problem.settings.money_unit)
    return write_problem(problem, path, extra_sheets={"Sources": sources(), SHEET: scenarios})


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m fundopt.datasets.england_wales OUT.xlsx", file=sys.stderr)
        return 2
    print(f"wrote {write(args[0])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
