"""The England and Wales reference model: 43 forces, ten regional units, NCA programmes.

Built by code from public figures (see :func:`sources`, and the notes in
:mod:`fundopt.datasets.england_wales_figures`), so the shipped workbook
``models/england_wales_soc.xlsx`` can always be regenerated::

    python -m fundopt.datasets.england_wales models/england_wales_soc.xlsx

What the model says, briefly:

- forces get the core police grant; their 2025-26 baseline is the Police Grant Report
  figure (Welsh forces scaled up to include the Welsh Government's share), their precept is
  other income growing 3.5% a year, and their PCCs' local priorities are local policing plus
  one SOC line;
- the nine ROCUs and London's regional capabilities get the Home Office ROCU grant; PCC
  contributions (split by the members' grant, the EMSOU rule) and other grants are their
  other income;
- NCA national programmes get an NCA programme budget for their own threats;
- a transformation fund pays out in 2026-27 and 2027-28 and then stops;
- SOC activities are the NCA's ten threats by the 4P strands.

Money is in pounds in the problem; the workbook shows £m.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from fundopt.datasets import england_wales_figures as fig
from fundopt.problem import FundingProblem, Settings
from fundopt.problem.schema import SOC_THREATS, MoneyUnit, RecipientKind, Strand, Threat

M = 1_000_000
CORE, ROCU, NCA, TRANSFORMATION = (
    "core_police_grant", "rocu_grant", "nca_programmes", "transformation_fund")
YEARS = (fig.BASELINE_YEAR, *fig.HORIZON)


def activity_id(threat: Threat | str, strand: Strand | str) -> str:
    return f"{Threat(threat).value}_{Strand(strand).value}"


def _pounds(million: float) -> float:
    return float(round(million * M))


def _welsh_factor() -> float:
    forces = fig.table("forces")
    welsh = forces.loc[forces["type"] == "Welsh", "grant_2025_26_m"].astype(float).sum()
    return fig.WELSH_CORE_SUPPORT_M / float(welsh)


def force_grants() -> pd.Series:
    """2025-26 grant per force in £m, Welsh forces adjusted (index: recipient id)."""
    forces = fig.table("forces").set_index("recipient")
    grant = forces["grant_2025_26_m"].astype(float)
    welsh = forces["type"] == "Welsh"
    return grant.where(~welsh, grant * _welsh_factor())


def unit_budgets() -> pd.Series:
    """Estimated 2025-26 budget per regional unit in £m."""
    forces = fig.table("forces")
    grants = force_grants()
    by_region = grants.groupby(forces.set_index("recipient")["region"]).sum()
    units = fig.table("regional_units").set_index("recipient")
    budget_2018 = pd.to_numeric(units["budget_2018_19_m"].replace("", None)).astype(float)
    nine = budget_2018.notna()
    # London is outside the published network total: the same split rule on its members' grant
    rocu_regions_grant = by_region[units.loc[nine, "region"]].sum()
    london = fig.ROCU_NETWORK_BUDGET_2018_M * by_region["London"] / rocu_regions_grant
    budget_2018 = budget_2018.fillna(london)
    return budget_2018 * fig.ROCU_UPLIFT


def unit_rocu_grants() -> pd.Series:
    """Baseline Home Office ROCU grant per regional unit in £m."""
    units = fig.table("regional_units").set_index("recipient")
    budgets = unit_budgets()
    london = units["region"] == "London"
    london_grant = fig.LONDON_ROCU_GRANT_POUNDS / M
    rest = budgets[~london]
    grants = (fig.ROCU_GRANT_M - london_grant) * rest / rest.sum()
    return pd.concat([grants, pd.Series(london_grant, index=budgets[london].index)]).sort_index()


def _programme_lines() -> dict[str, list[str]]:
    out = {}
    for r in fig.table("national_programmes").to_dict("records"):
        out[r["recipient"]] = [activity_id(t, s) for t in r["threats"].split(";")
                               for s in r["strands"].split(";")]
    return out


def _recipients() -> pd.DataFrame:
    forces = fig.table("forces")
    units = fig.table("regional_units")
    progs = fig.table("national_programmes")
    grants, budgets = force_grants(), unit_budgets()
    rows = [{"recipient": r["recipient"], "name": r["name"], "kind": RecipientKind.FORCE.value,
             "region": r["region"], "last_year": None,
             "need_weight": round(float(grants[r["recipient"]]), 3)}
            for r in forces.to_dict("records")]
    rows += [{"recipient": r["recipient"], "name": r["name"],
              "kind": RecipientKind.REGIONAL_UNIT.value, "region": r["region"], "last_year": None,
              "need_weight": round(float(budgets[r["recipient"]]), 3)}
             for r in units.to_dict("records")]
    rows += [{"recipient": r["recipient"], "name": r["name"],
              "kind": RecipientKind.NATIONAL_PROGRAMME.value, "region": None,
              "last_year": r["last_year"] or None, "need_weight": float(r["baseline_m"])}
             for r in progs.to_dict("records")]
    return pd.DataFrame(rows)


def _activities() -> pd.DataFrame:
    rows = [{"activity": Threat.LOCAL_POLICING.value, "name": "Local policing",
             "threat": Threat.LOCAL_POLICING.value, "strand": None}]
    for t in SOC_THREATS:
        for s in Strand:
            label = t.value.replace("_", " ").capitalize()
            rows.append({"activity": activity_id(t, s), "name": f"{label}: {s.value}",
                         "threat": t.value, "strand": s.value})
    return pd.DataFrame(rows)


def _streams() -> pd.DataFrame:
    return pd.DataFrame([
        {"stream": CORE, "name": "Core police grant", "carry_forward_share": None},
        {"stream": ROCU, "name": "Home Office ROCU grant", "carry_forward_share": None},
        {"stream": NCA, "name": "NCA national programme budget", "carry_forward_share": None},
        {"stream": TRANSFORMATION, "name": "Transformation fund (ends after 2027-28)",
         "carry_forward_share": fig.TRANSFORMATION_CARRY_SHARE},
    ])


def _baselines() -> pd.DataFrame:
    nca = {r["recipient"]: float(r["baseline_m"]) for r in
           fig.table("national_programmes").to_dict("records")}
    amounts = {**force_grants().to_dict(), **unit_rocu_grants().to_dict(), **nca}
    return pd.DataFrame([{"recipient": r, "activity": None, "amount": _pounds(v)}
                         for r, v in sorted(amounts.items())])


def baseline_allocation() -> pd.DataFrame:
    """Which stream paid each recipient's baseline (recipient, stream, amount in £)."""
    kinds = _recipients().set_index("recipient")["kind"]
    home = {RecipientKind.FORCE.value: CORE, RecipientKind.REGIONAL_UNIT.value: ROCU,
            RecipientKind.NATIONAL_PROGRAMME.value: NCA}
    base = _baselines()
    return pd.DataFrame({"recipient": base["recipient"],
                         "stream": [home[str(kinds[r])] for r in base["recipient"]],
                         "amount": base["amount"]})


def _envelopes() -> pd.DataFrame:
    core = float(force_grants().sum())
    nca = sum(float(r["baseline_m"]) for r in fig.table("national_programmes").to_dict("records"))
    rows = []
    for k, year in enumerate(fig.HORIZON, start=1):
        core *= 1 + fig.CORE_GROWTH[k - 1]
        rows += [
            {"stream": CORE, "year": year, "amount": _pounds(core)},
            {"stream": ROCU, "year": year,
             "amount": _pounds(fig.ROCU_GRANT_M * (1 + fig.ROCU_GRANT_GROWTH) ** k)},
            {"stream": NCA, "year": year, "amount": _pounds(nca * (1 + fig.NCA_GROWTH) ** k)},
            {"stream": TRANSFORMATION, "year": year,
             "amount": _pounds(fig.TRANSFORMATION_M[k - 1])},
        ]
    return pd.DataFrame(rows)


def _eligibility() -> pd.DataFrame:
    force, unit = RecipientKind.FORCE.value, RecipientKind.REGIONAL_UNIT.value
    rows = [{"stream": CORE, "recipient_kind": force, "threat": Threat.LOCAL_POLICING.value}]
    for t in SOC_THREATS:
        rows.append({"stream": CORE, "recipient_kind": force, "threat": t.value})
        rows.append({"stream": ROCU, "recipient_kind": unit, "threat": t.value})
        # new money backs new capability: prevent in forces, prevent and protect in units
        rows.append({"stream": TRANSFORMATION, "recipient_kind": force,
                     "activity": activity_id(t, Strand.PREVENT)})
        for s in (Strand.PREVENT, Strand.PROTECT):
            rows.append({"stream": TRANSFORMATION, "recipient_kind": unit,
                         "activity": activity_id(t, s)})
    for programme, lines in _programme_lines().items():
        for a in lines:
            for stream in (NCA, TRANSFORMATION):
                rows.append({"stream": stream, "recipient": programme, "activity": a})
    return pd.DataFrame(rows, columns=["stream", "recipient_kind", "recipient", "activity",
                                       "threat"])


def _other_income() -> pd.DataFrame:
    forces = fig.table("forces").set_index("recipient")
    grants = force_grants()
    precept = fig.PRECEPT_TOTAL_POUNDS / M * grants / grants.sum()
    units = fig.table("regional_units").set_index("recipient")
    unit_of_region = dict(zip(units["region"], units.index, strict=True))
    budgets, rocu = unit_budgets(), unit_rocu_grants()
    rows = []
    for k, year in enumerate(YEARS):
        for f in sorted(grants.index):
            rows.append({"recipient": f, "year": year, "source": "precept", "contributor": None,
                         "amount": _pounds(precept[f] * (1 + fig.PRECEPT_GROWTH) ** k)})
        for u in sorted(units.index):
            rows.append({"recipient": u, "year": year, "source": "other grants",
                         "contributor": None,
                         "amount": _pounds(budgets[u] * fig.ROCU_OTHER_GRANT_SHARE)})
            pcc_total = budgets[u] * (1 - fig.ROCU_OTHER_GRANT_SHARE) - rocu[u]
            members = grants[forces["region"] == units.loc[u, "region"]]
            for f, g in sorted(members.items()):
                share = g / members.sum()  # the EMSOU rule: in proportion to formula grant
                rows.append({"recipient": unit_of_region[units.loc[u, "region"]], "year": year,
                             "source": "PCC contribution", "contributor": f,
                             "amount": _pounds(pcc_total * share
                                               * (1 + fig.CONTRIBUTION_GROWTH) ** k)})
    return pd.DataFrame(rows)


def _limits() -> pd.DataFrame:
    return pd.DataFrame([{"recipient": f, "floor_ratio": fig.FORCE_FLOOR_RATIO}
                         for f in sorted(force_grants().index)])


def _commitments() -> pd.DataFrame:
    first, third, last = fig.HORIZON[0], fig.HORIZON[2], fig.HORIZON[-1]
    rows = [
        {"recipient": "online_csea", "activity": activity_id("child_sexual_abuse", "pursue"),
         "stream": NCA, "first_year": first, "last_year": last,
         "amount": _pounds(fig.ONLINE_CSEA_COMMITMENT_M)},
        {"recipient": "nclcc", "activity": activity_id("illegal_drugs", "pursue"),
         "stream": NCA, "first_year": first, "last_year": fig.HORIZON[1],
         "amount": _pounds(fig.NCLCC_COMMITMENT_M)},
    ]
    for u in sorted(fig.table("regional_units")["recipient"]):
        rows.append({"recipient": u, "activity": activity_id("cyber_crime", "pursue"),
                     "stream": ROCU, "first_year": first, "last_year": third,
                     "amount": _pounds(fig.ROCU_CYBER_COMMITMENT_M)})
    return pd.DataFrame(rows)


def _cliff_edges() -> pd.DataFrame:
    rows = [{"recipient": None, "max_fall_rate": fig.DEFAULT_MAX_FALL}]
    rows += [{"recipient": u, "max_fall_rate": fig.UNIT_MAX_FALL}
             for u in sorted(fig.table("regional_units")["recipient"])]
    return pd.DataFrame(rows)


def _local_priorities_and_shares() -> tuple[pd.DataFrame, pd.DataFrame]:
    priorities, shares = [], []
    for r in fig.table("forces").to_dict("records"):
        f = r["recipient"]
        priorities += [{"recipient": f, "activity": Threat.LOCAL_POLICING.value},
                       {"recipient": f, "activity": r["local_soc_priority"]}]
        city = f == "city_of_london"
        shares.append({
            "recipient": f,
            "min_local_share": fig.CITY_OF_LONDON_LOCAL_SHARE if city
            else fig.MIN_LOCAL_SHARE[r["type"]],
            "max_national_share": fig.CITY_OF_LONDON_NATIONAL_SHARE if city
            else fig.MAX_NATIONAL_SHARE,
        })
    return pd.DataFrame(priorities), pd.DataFrame(shares)


def _requirements() -> pd.DataFrame:
    forces = fig.table("forces")
    grants = force_grants()
    region_share = grants.groupby(forces.set_index("recipient")["region"]).sum() / grants.sum()
    rows = []
    for k, year in enumerate(fig.HORIZON):
        total = fig.REQUIREMENT_TOTAL_M * (1 + fig.REQUIREMENT_GROWTH) ** k
        for threat, weight in fig.THREAT_WEIGHTS.items():
            rows.append({"threat": threat.value, "year": year, "region": None,
                         "amount": _pounds(total * weight)})
            if threat in fig.REGIONAL_THREATS:
                for region, share in sorted(region_share.items()):
                    rows.append({"threat": threat.value, "year": year, "region": str(region),
                                 "amount": _pounds(total * weight * fig.REGIONAL_REQUIREMENT_SHARE
                                                   * share)})
    return pd.DataFrame(rows)


def _share_targets() -> pd.DataFrame:
    rows = []
    for year, prevent in zip(fig.HORIZON, fig.PREVENT_PATH, strict=True):
        bands = {Strand.PURSUE: fig.PURSUE_BAND,
                 Strand.PREVENT: (prevent, prevent + fig.PREVENT_BAND),
                 Strand.PROTECT: (fig.MIN_PROTECT_SHARE, None),
                 Strand.PREPARE: (fig.MIN_PREPARE_SHARE, None)}
        for strand, (low, high) in bands.items():
            rows.append({"strand": strand.value, "scope": "soc", "year": year,
                         "min_share": low, "max_share": high})
    return pd.DataFrame(rows, columns=["strand", "threat", "scope", "year", "min_share",
                                       "max_share"])


def _value_tranches() -> pd.DataFrame:
    rows: list[dict[str, object]] = [
        {"activity": Threat.LOCAL_POLICING.value, "tranche": 1, "width": None,
         "value": fig.LOCAL_POLICING_VALUE},
        {"tranche": 1, "width": None, "value": fig.SOC_VALUE},
    ]
    # a PCC's own SOC priority: a first slice of the grant is worth a little more than
    # local policing, the rest a little less (so the line neither starves nor swallows it)
    grants = force_grants()
    for r in fig.table("forces").to_dict("records"):
        width = float(round(grants[r["recipient"]] * M * fig.LOCAL_SOC_SLICE))
        rows += [{"recipient": r["recipient"], "activity": r["local_soc_priority"], "tranche": 1,
                  "width": width, "value": fig.LOCAL_SOC_VALUES[0]},
                 {"recipient": r["recipient"], "activity": r["local_soc_priority"], "tranche": 2,
                  "width": None, "value": fig.LOCAL_SOC_VALUES[1]}]
    lines = {u: 4 * len(SOC_THREATS) for u in fig.table("regional_units")["recipient"]}
    lines.update({p: len(a) for p, a in _programme_lines().items()})
    base = _baselines().set_index("recipient")["amount"]
    for r, n in sorted(lines.items()):
        # the baseline spread evenly over the recipient's lines is worth full value
        rows += [{"recipient": r, "tranche": 1, "width": float(round(base[r] / n)),
                  "value": fig.UNIT_VALUES[0]},
                 {"recipient": r, "tranche": 2, "width": None, "value": fig.UNIT_VALUES[1]}]
    return pd.DataFrame(rows, columns=["recipient", "activity", "tranche", "width", "value"])


def build_problem() -> FundingProblem:
    """The reference model as a validated :class:`~fundopt.FundingProblem` (money in £)."""
    priorities, shares = _local_priorities_and_shares()
    return FundingProblem(
        recipients=_recipients(),
        years=pd.DataFrame({"year": list(YEARS), "baseline": [True] + [False] * len(fig.HORIZON)}),
        activities=_activities(),
        streams=_streams(),
        envelopes=_envelopes(),
        eligibility=_eligibility(),
        baselines=_baselines(),
        other_income=_other_income(),
        limits=_limits(),
        commitments=_commitments(),
        cliff_edges=_cliff_edges(),
        local_priorities=priorities,
        local_shares=shares,
        requirements=_requirements(),
        share_targets=_share_targets(),
        value_tranches=_value_tranches(),
        settings=Settings(name="England and Wales serious and organised crime reference model",
                          money_unit=MoneyUnit.MILLIONS),
    )


def sources() -> pd.DataFrame:
    """Every figure in the model: category, item, value, unit, status, source, url, note."""
    derived = {"unit_budget": {str(k): round(float(v), 3) for k, v in unit_budgets().items()}}
    return fig.sources_frame(derived)


def write(path: str | Path) -> Path:
    """Write the reference model, its Sources sheet and the notebooks' Scenarios sheet."""
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
